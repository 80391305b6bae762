"""The JSON of many decisions: each trace step that decisions share made once per output.

The engine shares one :class:`~qfund_rules.decision.TraceStep` among every decision it
belongs to; the JSON of a batch shares what it makes of the step the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from .decision import TraceStep

__all__ = ["step_memo"]

T = TypeVar("T")


def step_memo(make: Callable[[TraceStep], T]) -> Callable[[Sequence[TraceStep]], list[T]]:
    """``[make(step) for step in trace]``, each step's value kept from its second use on,
    for as long as the memo lives.

    A step that one decision alone has (an exclusion step with facts of its own: 3 of 4
    distinct steps in the benchmark's batches) is made once and never kept, so that what
    the memo holds grows with the steps decisions share, not with the batch. Keyed by
    ``id``, the step itself held beside: a step freed while the memo lives would let
    another object take its id, and its value (a memo shared by two evaluations gave
    158 of 200 decisions steps of the other's).
    """
    seen: dict[int, TraceStep] = {}
    kept: dict[int, tuple[TraceStep, T]] = {}
    known = kept.get

    def made(step: TraceStep) -> T:
        value = make(step)
        if id(step) in seen:  # seen holds the step: its id is not another object's
            kept[id(step)] = (step, value)
        else:
            seen[id(step)] = step
        return value

    def each(trace: Sequence[TraceStep]) -> list[T]:
        return [hit[1] if (hit := known(id(s))) is not None else made(s) for s in trace]

    return each
