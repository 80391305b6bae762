"""The JSON text of many decisions, written to a file object as it is made.

The engine shares one :class:`~qfund_rules.decision.TraceStep` among every decision it
belongs to. Encoding each decision's dict on its own encoded a shared step again for
every decision (100,000 claims: 590 MB of UTF-8 made as one string, in 6 to 10 s and
3.3 GB), so here each distinct step is encoded once per output, and each decision's text
is written as soon as it is made. The bytes are those of
:func:`~qfund_rules.decision.render` (one decision per line) and of
:func:`~qfund_rules.decision.dumps` (indented): the same ``json`` settings, the keys in
the same order.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from .decision import JSONValue, TraceStep

__all__ = ["TextParts", "Writable", "compact", "step_memo", "write_indented", "write_lines"]

T = TypeVar("T")

#: One decision's fields but its trace, in order, and its trace (written last, as "trace").
Entry = tuple[Mapping[str, "JSONValue"], Sequence["TraceStep"]]

compact = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode


class Writable(Protocol):
    """A text file object, or anything else with its ``write``."""

    def write(self, text: str, /) -> object: ...


class TextParts(list[str]):
    """What is written to it, kept in order: ``"".join(parts)`` is the text.

    For the ``to_json`` methods. The text of 100,000 decisions is a string of 960 MB (two
    bytes a character, for the Chinese): made through an ``io.StringIO`` it took 4 s and
    3.2 GB at the peak, joined from its parts 2.5 s and 2.2 GB.
    """

    write = list.append


_string = json.encoder.encode_basestring  # json's own, with ensure_ascii=False


def _indented(value: object, pad: str) -> str:
    """``json.dumps(value, ensure_ascii=False, indent=2)`` for a value written at ``pad``.

    The values of decisions (text, integers, true, false, null, lists and mappings of
    text keys) are written here, in json's order of checks; anything else by json itself,
    whose text is the same once each line is shifted by ``pad`` (json starts every line
    it breaks with the indent of its depth; a newline in a string is the escape there).
    json.dumps is not called per decision: with an indent it encodes in Python, through
    closures that refer to each other, and with the cyclic collector off (as ``qfund``
    runs) each call's closures stayed in memory: 130 MB for a round of 20,000 claims.
    """
    if isinstance(value, str):
        return _string(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    inner = pad + "  "
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        items = f",\n{inner}".join([_indented(v, inner) for v in value])
        return f"[\n{inner}{items}\n{pad}]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        try:
            pairs = [f"{_string(k)}: {_indented(v, inner)}" for k, v in value.items()]
        except TypeError:  # a key that is not text: json's own conversion, below
            pass
        else:
            joined = f",\n{inner}".join(pairs)
            return f"{{\n{inner}{joined}\n{pad}}}"
    return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + pad)


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


def _listed(fp: Writable, entries: Iterable[str], pad: str) -> None:
    # A list of entries, one per line at ``pad``: "[]" when there is none, as json writes it.
    opening = "[\n" + pad
    between = ",\n" + pad
    for text in entries:
        fp.write(opening + text)
        opening = between
    fp.write("[]" if opening != between else "\n" + pad[:-2] + "]")


def _top(
    fp: Writable,
    data: Mapping[str, JSONValue],
    listed: str,
    text: Callable[[JSONValue], str],
    entries: Iterable[str],
    pad: str,
) -> None:
    # The top mapping, one key a line, each value as ``text`` writes it; the value under
    # ``listed`` is the list of ``entries``, written as they come, one per line at ``pad``.
    keys = list(data)
    fp.write("{")
    for n, key in enumerate(keys):
        comma = "," if n < len(keys) - 1 else ""
        if key != listed:
            fp.write(f"\n  {compact(key)}: {text(data[key])}{comma}")
            continue
        fp.write(f"\n  {compact(key)}: ")
        _listed(fp, entries, pad)
        fp.write(comma)
    fp.write("\n}\n")


def write_lines(
    fp: Writable, data: Mapping[str, JSONValue], listed: str, entries: Iterable[Entry]
) -> None:
    """``render(data, listed)``, with the list under ``listed`` written from ``entries``."""
    steps = step_memo(lambda s: compact(s.to_dict()))
    lines = (
        compact(fields)[:-1] + ', "trace": [' + ", ".join(steps(trace)) + "]}"
        for fields, trace in entries
    )
    _top(fp, data, listed, compact, lines, "    ")


def write_indented(
    fp: Writable, data: Mapping[str, JSONValue], listed: str, entries: Iterable[Entry]
) -> None:
    """``dumps(data)``, with the list under ``listed`` written from ``entries``."""
    # The list is a value of the top mapping: its entries sit at depth 2, their traces'
    # steps at depth 4.
    pad, inner, step_pad = " " * 4, " " * 6, " " * 8
    steps = step_memo(lambda s: _indented(s.to_dict(), step_pad))

    def entry(fields: Mapping[str, JSONValue], trace: Sequence[TraceStep]) -> str:
        # The fields' own text up to its closing "\n}", then the trace as its last key.
        texts = f",\n{step_pad}".join(steps(trace))
        listing = f"[\n{step_pad}{texts}\n{inner}]" if trace else "[]"
        return f'{_indented(fields, pad)[: -len(pad) - 2]},\n{inner}"trace": {listing}\n{pad}}}'

    texts = (entry(fields, trace) for fields, trace in entries)
    _top(fp, data, listed, lambda value: _indented(value, "  "), texts, pad)
