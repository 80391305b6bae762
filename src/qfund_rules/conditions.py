"""The condition language of the rule files: a small closed vocabulary, data not code.

A condition selects the claims an award item pays (``when:`` in ``awards.yaml``)::

    {all: [C, ...]}   {any: [C, ...]}   {not: C}
    {fact: F, eq: V}  ne  in  not_in  lt  le  gt  ge  between: [FROM, TO]

Conditions are parsed and checked against the facts of the item's claim kind when the
rule files load (an unknown fact or a value outside its enum is a load error), then
compiled once into plain Python closures. Nothing in a rule file is ever executed.
"""

from __future__ import annotations

import datetime as dt
import difflib
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._excerpt import echo

__all__ = [
    "AllOf",
    "AnyOf",
    "Compare",
    "Condition",
    "FactSpec",
    "Not",
    "Predicate",
    "compile_condition",
    "condition_schema",
    "describe",
    "facts_read",
    "failures",
    "holds",
    "parse_condition",
    "values_allowed",
]

#: What a fact may hold: a tuple of allowed values (an enum) or a Python type.
FactSpec = tuple[object, ...] | type
Predicate = Callable[[Mapping[str, object]], bool]
_Path = tuple[str | int, ...]

_ORDER_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}
_OPS = ("eq", "ne", "in", "not_in", "lt", "le", "gt", "ge", "between")
# The types of fact the ordering operators and `between` compare.
_ORDERED: tuple[type, ...] = (int, dt.date)
_SYMBOLS = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥"}


@dataclass(frozen=True, slots=True)
class Compare:
    """``{fact: F, <op>: value}``: one fact compared with a constant."""

    fact: str
    op: str
    value: object


@dataclass(frozen=True, slots=True)
class AllOf:
    """``{all: [...]}``: every part holds."""

    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    """``{any: [...]}``: at least one part holds."""

    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """``{not: C}``: the part does not hold."""

    part: Condition


Condition = Compare | AllOf | AnyOf | Not


def parse_condition(
    data: object, path: _Path, facts: Mapping[str, FactSpec]
) -> tuple[Condition | None, list[tuple[_Path, str]]]:
    """Parse ``data`` into a condition over ``facts``; return it or every problem found."""
    problems: list[tuple[_Path, str]] = []
    cond = _parse(data, path, facts, problems)
    return (None, problems) if problems else (cond, problems)


def _parse(
    data: object, path: _Path, facts: Mapping[str, FactSpec], problems: list[tuple[_Path, str]]
) -> Condition | None:
    if not isinstance(data, Mapping):
        problems.append((path, "a condition must be a mapping (all, any, not or fact)"))
        return None
    keys = set(data)
    for combinator in ("all", "any"):
        if combinator in keys:
            if keys != {combinator}:
                problems.append((path, f"'{combinator}' must stand alone in its condition"))
                return None
            parts = data[combinator]
            if not isinstance(parts, list | tuple) or not parts:
                problems.append(((*path, combinator), "expected a non-empty list of conditions"))
                return None
            parsed = [
                _parse(p, (*path, combinator, i), facts, problems) for i, p in enumerate(parts)
            ]
            if any(p is None for p in parsed):
                return None
            kids = tuple(p for p in parsed if p is not None)
            return AllOf(kids) if combinator == "all" else AnyOf(kids)
    if "not" in keys:
        if keys != {"not"}:
            problems.append((path, "'not' must stand alone in its condition"))
            return None
        inner = _parse(data["not"], (*path, "not"), facts, problems)
        return None if inner is None else Not(inner)
    if "fact" not in keys:
        allowed = ", ".join(("all", "any", "not", "fact"))
        problems.append((path, f"unknown condition {sorted(map(str, keys))}; allowed: {allowed}"))
        return None
    return _parse_compare(data, path, facts, problems)


def _parse_compare(
    data: Mapping[Any, Any],
    path: _Path,
    facts: Mapping[str, FactSpec],
    problems: list[tuple[_Path, str]],
) -> Compare | None:
    fact = data["fact"]
    ops = [k for k in data if k != "fact"]
    if len(ops) != 1 or ops[0] not in _OPS:
        unknown = [k for k in ops if k not in _OPS]
        hint = _did_you_mean(str(unknown[0]), _OPS) if unknown else ""
        problems.append(
            (path, f"a comparison needs exactly one operator of {', '.join(_OPS)}{hint}")
        )
        return None
    op = str(ops[0])
    if not isinstance(fact, str) or fact not in facts:
        hint = _did_you_mean(str(fact), facts)
        known = ", ".join(sorted(facts)) or "none"
        problems.append(
            ((*path, "fact"), f"unknown fact {echo(fact)}{hint}; this kind has: {known}")
        )
        return None
    spec = facts[fact]
    value = data[op]
    if op in ("in", "not_in", "between"):
        if not isinstance(value, list | tuple) or not value:
            problems.append(((*path, op), f"'{op}' needs a non-empty list"))
            return None
        if op == "between" and len(value) != 2:
            problems.append(((*path, op), "'between' needs exactly [FROM, TO]"))
            return None
        before = len(problems)
        for i, v in enumerate(value):
            _check_value(v, spec, fact, (*path, op, i), problems, ordered=op == "between")
        if len(problems) > before:
            return None
        if op == "between" and not value[0] <= value[1]:
            problems.append(((*path, op), "'between' must run from the earlier to the later"))
            return None
        return Compare(fact, op, tuple(value) if op == "between" else frozenset(value))
    ordered = op in _ORDER_OPS
    if not _check_value(value, spec, fact, (*path, op), problems, ordered=ordered):
        return None
    return Compare(fact, op, value)


def _check_value(
    value: object,
    spec: FactSpec,
    fact: str,
    path: _Path,
    problems: list[tuple[_Path, str]],
    *,
    ordered: bool,
) -> bool:
    if isinstance(spec, tuple):
        if ordered:
            problems.append((path, f"fact {fact!r} is an enum; compare it with eq, ne or in"))
            return False
        if value not in spec:
            allowed = ", ".join(map(str, spec))
            if value is None:
                problems.append((path, f"{fact!r} is never null; allowed: {allowed}"))
                return False
            hint = _did_you_mean(str(value), [str(s) for s in spec])
            problems.append(
                (path, f"{echo(value)} is not a value of {fact!r}{hint}; allowed: {allowed}")
            )
            return False
        return True
    if ordered and spec not in _ORDERED:
        problems.append((path, f"fact {fact!r} cannot be ordered; use eq or ne"))
        return False
    # bool is an int and datetime a date to Python, but neither compares as the fact does.
    ok = isinstance(value, spec) and not (
        (spec is int and isinstance(value, bool))
        or (spec is dt.date and isinstance(value, dt.datetime))
    )
    if not ok:
        problems.append((path, f"{echo(value)} is not a {spec.__name__}, as {fact!r} is"))
    return ok


def condition_schema(facts: Mapping[str, FactSpec], ref: str) -> dict[str, Any]:
    """The JSON Schema of a condition over ``facts``: what :func:`parse_condition` takes.

    ``ref`` is where the schema itself will stand (``#/$defs/...``): ``all``, ``any`` and
    ``not`` hold conditions of the same facts. Each comparison names one fact and one
    operator, with values of the fact's enum or type; the ordering operators and
    ``between`` are offered for the facts that can be ordered, as parsing allows.
    """
    nested = {"$ref": ref}
    parts = {"type": "array", "minItems": 1, "items": nested}
    forms: list[dict[str, Any]] = [
        _alone("all", {**parts, "description": "holds when every condition listed holds"}),
        _alone("any", {**parts, "description": "holds when one condition listed holds"}),
        _alone("not", {**nested, "description": "holds when this condition does not"}),
    ]
    for fact, spec in facts.items():
        value = _value_schema(spec)
        ordered = spec in _ORDERED
        ops: dict[str, Any] = {}
        for op in _OPS:
            if op in ("in", "not_in"):
                ops[op] = {"type": "array", "minItems": 1, "items": value}
            elif op == "between":
                if ordered:
                    ops[op] = {"type": "array", "minItems": 2, "maxItems": 2, "items": value}
            elif op not in _ORDER_OPS or ordered:
                ops[op] = dict(value)
        for op, schema in ops.items():
            schema["description"] = f"holds when {fact} {_OP_WORDS[op]}"
        forms.append(
            {
                "type": "object",
                "description": f"compares the fact {fact} by one operator",
                "properties": {"fact": {"const": fact, "description": "the fact compared"}, **ops},
                "required": ["fact"],
                "minProperties": 2,
                "maxProperties": 2,
                "additionalProperties": False,
            }
        )
    return {"anyOf": forms}


#: What each operator says, for the schema's descriptions.
_OP_WORDS = {
    "eq": "equals the value",
    "ne": "differs from the value",
    "in": "is one of the values",
    "not_in": "is none of the values",
    "lt": "is less than (before) the value",
    "le": "is at most (on or before) the value",
    "gt": "is more than (after) the value",
    "ge": "is at least (on or after) the value",
    "between": "is from the first value to the second, both included",
}


def _alone(key: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "description": schema["description"],
        "properties": {key: schema},
        "required": [key],
        "additionalProperties": False,
    }


def _value_schema(spec: FactSpec) -> dict[str, Any]:
    """The values a fact may be compared with, as :func:`_check_value` accepts them."""
    if isinstance(spec, tuple):
        return {"enum": list(spec)}
    if spec is bool:
        return {"type": "boolean"}
    if spec is int:
        return {"type": "integer"}
    if spec is dt.date:
        return {"type": "string", "format": "date"}
    return {"type": "string"}


def _did_you_mean(word: str, choices: Sequence[str] | Mapping[str, object]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def compile_condition(cond: Condition | None) -> Predicate:
    """Turn a parsed condition into a closure over a claim's facts (``None``: always true)."""
    if cond is None:
        return _always
    if isinstance(cond, AllOf):
        preds = tuple(compile_condition(p) for p in cond.parts)
        return lambda facts: all(p(facts) for p in preds)
    if isinstance(cond, AnyOf):
        preds = tuple(compile_condition(p) for p in cond.parts)
        return lambda facts: any(p(facts) for p in preds)
    if isinstance(cond, Not):
        pred = compile_condition(cond.part)
        return lambda facts: not pred(facts)
    return _compile_compare(cond)


def _always(facts: Mapping[str, object]) -> bool:
    return True


def _compile_compare(cond: Compare) -> Predicate:
    fact, value = cond.fact, cond.value
    if cond.op == "eq":
        return lambda facts: facts.get(fact) == value
    if cond.op == "ne":
        return lambda facts: facts.get(fact) != value
    if cond.op in ("in", "not_in"):
        values: frozenset[object] = value  # type: ignore[assignment]
        if cond.op == "in":
            return lambda facts: facts.get(fact) in values
        return lambda facts: facts.get(fact) not in values
    if cond.op == "between":
        bounds: tuple[Any, Any] = value  # type: ignore[assignment]
        low, high = bounds

        def between(facts: Mapping[str, object]) -> bool:
            got: Any = facts.get(fact)
            return got is not None and low <= got <= high

        return between
    compare = _ORDER_OPS[cond.op]

    def ordered(facts: Mapping[str, object]) -> bool:
        got = facts.get(fact)
        return got is not None and compare(got, value)

    return ordered


def describe(cond: Condition | None) -> str:
    """A short human-readable rendering, e.g. ``action = formulate and role = lead``."""
    if cond is None:
        return "always"
    if isinstance(cond, AllOf):
        return " and ".join(_group(p) for p in cond.parts)
    if isinstance(cond, AnyOf):
        return " or ".join(_group(p) for p in cond.parts)
    if isinstance(cond, Not):
        return f"not {_group(cond.part)}"
    if cond.op in ("in", "not_in"):
        values = ", ".join(sorted(map(str, cond.value)))  # type: ignore[call-overload]
        return f"{cond.fact} {'in' if cond.op == 'in' else 'not in'} [{values}]"
    if cond.op == "between":
        bounds: tuple[Any, Any] = cond.value  # type: ignore[assignment]
        low, high = bounds
        return f"{low} ≤ {cond.fact} ≤ {high}"
    return f"{cond.fact} {_SYMBOLS[cond.op]} {cond.value}"


def _group(cond: Condition) -> str:
    text = describe(cond)
    return f"({text})" if isinstance(cond, AllOf | AnyOf) and len(cond.parts) > 1 else text


def failures(cond: Condition | None, facts: Mapping[str, object]) -> list[str]:
    """The parts of ``cond`` that do not hold for ``facts``, described (empty when it holds)."""
    if cond is None or holds(cond, facts):
        return []
    if isinstance(cond, AllOf):
        return [msg for part in cond.parts for msg in failures(part, facts)]
    return [describe(cond)]


def holds(cond: Condition | None, facts: Mapping[str, object]) -> bool:
    """Interpret ``cond`` directly (the slow path, for explanations; decisions use closures)."""
    if cond is None:
        return True
    if isinstance(cond, AllOf):
        return all(holds(p, facts) for p in cond.parts)
    if isinstance(cond, AnyOf):
        return any(holds(p, facts) for p in cond.parts)
    if isinstance(cond, Not):
        return not holds(cond.part, facts)
    return _compile_compare(cond)(facts)


def facts_read(cond: Condition | None) -> tuple[str, ...]:
    """The names of the facts a condition reads, in first-use order."""
    seen: dict[str, None] = {}

    def walk(c: Condition | None) -> None:
        if c is None:
            return
        if isinstance(c, Compare):
            seen.setdefault(c.fact, None)
        elif isinstance(c, Not):
            walk(c.part)
        else:
            for part in c.parts:
                walk(part)

    walk(cond)
    return tuple(seen)


def values_allowed(
    cond: Condition | None, fact: str, values: Sequence[object]
) -> frozenset[object]:
    """The values of the enum ``fact`` (of ``values``) under which ``cond`` can hold.

    Read from the condition's structure, never by running it: a comparison of ``fact``
    allows what it names, ``all`` what each part allows, ``any`` what some part allows,
    ``not`` the complement of a comparison of ``fact``. Anything else (a comparison of
    another fact, ``not`` of a combination) allows every value, so the answer may be wider
    than the truth, never narrower: an item whose condition allows only ``lead`` surely
    requires it. No condition allows every value.
    """
    every = frozenset(values)
    if cond is None:
        return every
    if isinstance(cond, Compare):
        return _compared(cond, fact, every) if cond.fact == fact else every
    if isinstance(cond, AllOf):
        allowed = every
        for part in cond.parts:
            allowed &= values_allowed(part, fact, values)
        return allowed
    if isinstance(cond, AnyOf):
        found: frozenset[object] = frozenset()
        for part in cond.parts:
            found |= values_allowed(part, fact, values)
        return found
    inner = cond.part
    if isinstance(inner, Compare) and inner.fact == fact:
        return every - _compared(inner, fact, every)
    return every


def _compared(cond: Compare, fact: str, every: frozenset[object]) -> frozenset[object]:
    """The values of ``every`` for which one comparison of ``fact`` holds."""
    if cond.op == "eq":
        return every & {cond.value}
    if cond.op == "ne":
        return every - {cond.value}
    named = cond.value if isinstance(cond.value, frozenset) else frozenset()  # in, not_in
    if cond.op == "in":
        return every & named
    if cond.op == "not_in":
        return every - named
    return every  # an order on an enum: not narrowed
