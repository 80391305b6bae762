"""Build the models of one resolved batch, sharing equal values among them.

A claim validated field by field owns what it need not: a fields set (a set of ~10 names,
728 bytes), a ``Review`` that is nearly always the default one, ``date`` objects and
strings that thousands of other claims repeat. A batch of a million claims must fit in
memory with its evaluation (bench/README.md), so the loader builds its resolved models
through a :class:`ModelPool` (:func:`qfund_rules.claims.batch_pool`).
"""

from __future__ import annotations

import typing
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

__all__ = ["ModelPool"]

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


class ModelPool:
    """Builds models from checked values, each value the first equal one the pool has seen.

    ``values`` are the model classes that are plain values (equal instances are
    interchangeable, so they are shared too); ``unique`` names fields never worth sharing,
    as ``(model class, field)`` pairs (a claim's own id never recurs). Instances of other
    models are never shared.

    :meth:`build` makes each model with ``model_construct`` and every field set, in one
    ``set`` per model class of the pool. The fields set stays a mutable ``set``:
    ``model_copy(update=...)`` copies it before adding to it (a ``frozenset`` would be
    "copied" as itself and has no ``update``), and frozen models refuse assignment, the only
    other thing that adds to it.

    One pool per batch, dropped with its loader, never module state: the batches of a
    process share nothing, and the pool's tables do not outlive the load.
    """

    def __init__(
        self,
        values: tuple[type[BaseModel], ...] = (),
        unique: Sequence[tuple[type[BaseModel], str]] = (),
    ) -> None:
        self._values = values
        self._unique = tuple(unique)
        # Per type, the values seen so far; None for a type never shared (None, bools,
        # models that are not values).
        self._seen: dict[type, dict[Any, Any] | None] = {}
        self._models: dict[
            type[BaseModel], tuple[set[str], tuple[tuple[str, Any], ...], str | None]
        ] = {}

    def build(self, model: type[M], values: Mapping[str, object]) -> M:
        """``model`` from checked ``values`` by field name; a field left out takes its default.

        Nothing is validated: the values must be what validation and resolution make.

        Raises:
            TypeError: when ``values`` leaves out a required field or names an unknown one.
        """
        fields_set, defaults, own = self._fields(model)
        shared: dict[str, object] = {}
        given = 0
        for name, default in defaults:
            if name in values:
                value, given = values[name], given + 1
            elif default is PydanticUndefined:
                raise TypeError(f"{model.__name__}: missing required field {name!r}")
            else:
                value = default
            shared[name] = value if name == own else self._share(value)
        if given != len(values):
            unknown = ", ".join(sorted(map(repr, values.keys() - shared.keys())))
            raise TypeError(f"{model.__name__} has no field {unknown}")
        built = model.model_construct(_fields_set=fields_set, **shared)
        seen = self._table(model)
        return built if seen is None else seen.setdefault(built, built)

    def share(self, value: T) -> T:
        """The first value of this pool equal to ``value`` and of its type, else ``value``.

        Equal is not enough: ``True`` never stands for ``1``, nor ``(1.0,)`` for ``(1,)``.
        Tuples are shared element by element, value models rebuilt by :meth:`build`; other
        models are returned as they are.
        """
        return typing.cast("T", self._share(value))

    def _share(self, value: object) -> object:
        kind = type(value)
        seen = self._seen[kind] if kind in self._seen else self._table(kind)
        if seen is None:
            return value
        found = seen.get(value)
        if found is not None and (not isinstance(value, tuple) or _alike(found, value)):
            return found
        if isinstance(value, self._values):
            return self.build(type(value), dict(value))
        if isinstance(value, tuple) and kind is tuple:  # a named tuple is kept whole
            value = tuple(map(self._share, value))
        # An equal tuple of other element types, such as (1,) for (1.0,), keeps its own.
        return seen.setdefault(value, value) if found is None else value

    def _table(self, kind: type) -> dict[Any, Any] | None:
        if kind not in self._seen:
            never = kind in (type(None), bool) or (
                issubclass(kind, BaseModel) and kind not in self._values
            )
            self._seen[kind] = None if never else {}
        return self._seen[kind]

    def _fields(
        self, model: type[BaseModel]
    ) -> tuple[set[str], tuple[tuple[str, Any], ...], str | None]:
        known = self._models.get(model)
        if known is None:
            info = model.model_fields
            defaults = tuple((n, f.get_default(call_default_factory=True)) for n, f in info.items())
            own = next((f for m, f in self._unique if issubclass(model, m)), None)
            known = self._models[model] = (set(info), defaults, own)
        return known


def _alike(a: object, b: object) -> bool:
    """Whether two equal values are also of one type, element by element for tuples."""
    if type(a) is not type(b):
        return False
    if isinstance(a, tuple) and isinstance(b, tuple):
        return all(map(_alike, a, b))
    return True
