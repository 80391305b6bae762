"""Turn pydantic validation errors into located, helpful problems.

pydantic's ``loc`` has no line numbers; the document read by :mod:`._yaml` knows where
every value stood, so each error is placed at its line and column. An unknown key lists
the keys allowed at that place and suggests the closest one.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import types
import typing
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ._excerpt import BoundedRepr, echo, excerpt
from ._yaml import Document
from .errors import Problem

__all__ = [
    "allowed_keys",
    "did_you_mean",
    "model_at",
    "plain_message",
    "problems_from_validation",
    "shown",
    "whole_hint",
]


class _AsFile(BoundedRepr):
    """The bounded walk of :mod:`._excerpt`, each value as a YAML file writes it."""

    def repr_instance(self, x: Any, level: int) -> str:
        if isinstance(x, bool):
            return "true" if x else "false"
        if x is None:
            return "null"
        if isinstance(x, Decimal):
            return excerpt(str(x))
        if isinstance(x, dt.date):
            return x.isoformat()
        return super().repr_instance(x, level)

    def repr_tuple(self, x: tuple[Any, ...], level: int) -> str:
        return self.repr_list(list(x), level)  # a file writes a list


_AS_FILE = _AsFile()


def shown(value: object) -> str:
    """A refused value as the file writes it: true, null, 2027.0, 2026-01-01, [a, b].

    Strings keep their quotes; anything long is cut short, saying so (:mod:`._excerpt`).
    (The YAML reader keeps a number with a decimal point as a ``Decimal`` and a date as a
    ``date``: their reprs would show Python, not the file.)
    """
    return _AS_FILE.repr(value)


# pydantic's words for a value of the wrong type, in the words of a YAML file's reader.
_EXPECTED = {
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "string_type": "expected a text",
    "list_type": "expected a list",
    "tuple_type": "expected a list",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
}


# pydantic's bounds, as "must be at least 0".
_BOUNDS = {
    "greater_than_equal": ("ge", "at least"),
    "greater_than": ("gt", "more than"),
    "less_than_equal": ("le", "at most"),
    "less_than": ("lt", "less than"),
}


def plain_message(err: ErrorDetails) -> str:
    """A pydantic error's message without pydantic's wording for types, bounds and choices.

    A refused choice names the value, the closest allowed one and every allowed one.
    """
    kind = err["type"]
    ctx = err.get("ctx", {})
    if kind in _EXPECTED:
        return _EXPECTED[kind]
    if kind in _BOUNDS and _BOUNDS[kind][0] in ctx:
        bound, words = _BOUNDS[kind]
        return f"must be {words} {ctx[bound]}"
    if kind == "literal_error":
        given = err.get("input")
        allowed = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        hint = did_you_mean(given, allowed) if isinstance(given, str) else ""
        return f"invalid value {shown(given)}{hint or ';'} allowed: {', '.join(allowed)}"
    if kind == "too_short" and isinstance(n := ctx.get("min_length"), int):
        return f"expected at least {n} item{'s' if n != 1 else ''}"
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        return f"must be {_PATTERNS.get(pattern, f'text matching {pattern}')}"
    return str(err["msg"]).removeprefix("Value error, ")


#: A whole number as a YAML file writes it unquoted (no leading zero: YAML 1.1's octal).
_WHOLE = re.compile(r"-?(?:0|[1-9][0-9]*)")


def _unquoted(err: ErrorDetails) -> str:
    """``"; write it without quotes: 3"`` for a whole number or a truth value written as
    text where one is expected (``years: "3"``), or an empty string."""
    given = err.get("input")
    if not isinstance(given, str):
        return ""
    text = given.strip()
    if err["type"] in ("int_type", "int_parsing") and _WHOLE.fullmatch(text):
        return f"; write it without quotes: {text}"
    if err["type"] in ("bool_type", "bool_parsing") and text.lower() in ("true", "false"):
        return f"; write it without quotes: {text.lower()}"
    return ""


def whole_hint(err: ErrorDetails) -> str:
    """``"; write 100000"`` for a whole number written with a decimal point or an exponent
    (``100000.0``, ``1e5`` in JSON) where a whole number is expected, or an empty string."""
    given = err.get("input")
    if (
        err["type"] in ("int_type", "int_parsing", "int_from_float")
        and isinstance(given, Decimal)
        and given.is_finite()
        and given == given.to_integral_value()
        and given.adjusted() < 100  # a number a reader can still write out in full
    ):
        return f"; write {int(given)}"
    return ""


#: What each pattern of the models asks for, in words.
_PATTERNS = {
    r"^\d{6}$": "a division code of 6 digits, such as 650502",
    r"^[A-Z]{2}$": "two capital letters, such as JB",
    r"^\d{2,6}$": "the first 2 to 6 digits of a division code, such as 6505",
}


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest choice, or an empty string."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def allowed_keys(model: type[BaseModel]) -> list[str]:
    """The keys a mapping for ``model`` may hold, as written in the file (aliases)."""
    return [f.alias or name for name, f in model.model_fields.items()]


def _unwrap(annotation: Any) -> list[Any]:
    """The candidate types inside Optional/Union/Annotated/tuple/dict annotations."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for a in typing.get_args(annotation) for t in _unwrap(a)]
    return [annotation]


def model_at(root: type[BaseModel], loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model class whose mapping sits at ``loc`` below ``root``, when it can be found."""
    current: Any = root
    for part in loc:
        models = [t for t in _unwrap(current) if isinstance(t, type) and issubclass(t, BaseModel)]
        if models:
            model = models[0]
            field = next((f for n, f in model.model_fields.items() if part in (n, f.alias)), None)
            if field is None:
                return None
            current = field.annotation
            continue
        origin = typing.get_origin(current)
        args = typing.get_args(current)
        if origin is tuple and args:
            current = args[0]
        elif origin in (dict, Mapping) and len(args) == 2:
            current = args[1]
        elif origin is None and current is None:
            return None
        else:
            candidates = [
                t for t in _unwrap(current) if typing.get_origin(t) in (tuple, dict, Mapping)
            ]
            if not candidates:
                return None
            current = candidates[0]
            args = typing.get_args(current)
            current = args[0] if typing.get_origin(current) is tuple else args[1]
    models = [t for t in _unwrap(current) if isinstance(t, type) and issubclass(t, BaseModel)]
    return models[0] if models else None


def _comma_in_flow(doc: Document, loc: tuple[str | int, ...]) -> str:
    """For a key with no value in a ``{...}`` mapping after a text (``{zh: 哈密市, en: Hami
    City, districts}``), the hint that a comma there ended the text; or an empty string."""
    if not doc.in_flow(loc[:-1]):
        return ""
    mapping: object = doc.data
    for part in loc[:-1]:
        if isinstance(mapping, dict):
            mapping = mapping.get(part)
        elif isinstance(mapping, list) and isinstance(part, int) and part < len(mapping):
            mapping = mapping[part]
        else:
            return ""
    if not isinstance(mapping, dict) or mapping.get(loc[-1], "") is not None:
        return ""
    keys = list(mapping)
    at = keys.index(loc[-1])
    before = mapping[keys[at - 1]] if at else None
    if not isinstance(before, str):
        return ""
    meant = f"{before}, {loc[-1]}"
    return (
        f"; inside {{...}} a comma ends a value: to write {echo(meant)}, quote it "
        f'({keys[at - 1]}: "{excerpt(meant)}") or put the names on lines of their own'
    )


def problems_from_validation(
    exc: ValidationError,
    doc: Document,
    root: type[BaseModel],
    skip: Iterable[tuple[str | int, ...]] = (),
    *,
    unquote_hints: bool = False,
) -> list[Problem]:
    """One located :class:`Problem` per pydantic error, skipping paths already reported.

    With ``unquote_hints``, a whole number or truth value written in quotes is told to be
    written without them (the rule files' messages; a casebook's keep their own words).
    """
    skipped = set(skip)
    out: list[Problem] = []
    errors = exc.errors(include_url=False)
    locs = [tuple(e["loc"]) for e in errors]
    misspelt: dict[tuple[str | int, ...], list[str]] = {}
    for e, loc in zip(errors, locs, strict=True):
        if e["type"] == "extra_forbidden":
            misspelt.setdefault(loc[:-1], []).append(str(loc[-1]))
    for err, loc in zip(errors, locs, strict=True):
        if loc in skipped:
            continue
        if err["type"] == "too_short" and any(
            len(other) > len(loc) and other[: len(loc)] == loc for other in locs
        ):
            continue  # a sequence emptied by its own failing entries: those are the news
        kind = err["type"]
        if kind == "extra_forbidden":
            parent = model_at(root, loc[:-1])
            key = str(loc[-1])
            if parent is not None:
                allowed = allowed_keys(parent)
                msg = (
                    f"unknown key {echo(key)}{did_you_mean(key, allowed)}"
                    f" (allowed: {', '.join(allowed)})"
                )
            else:
                msg = f"unknown key {echo(key)}"
            msg += _comma_in_flow(doc, loc)
        elif kind == "missing":
            wanted = str(loc[-1])
            if any(difflib.get_close_matches(wanted, misspelt.get(loc[:-1], []), n=1)):
                continue  # reported once, as the misspelt key beside it
            msg = f"required key {wanted!r} is missing"
        else:
            msg = plain_message(err) + (_unquoted(err) if unquote_hints else "")
            if (
                kind not in ("missing", "literal_error")  # a choice names its value already
                and "input" in err
                and not isinstance(err["input"], dict | list)
            ):
                msg = f"{msg} (got {shown(err['input'])})"
        at = loc
        if loc and loc[-1] == "[key]":  # pydantic's mark for a mapping's key: name it so
            at = loc[:-1]
            msg = f"key {shown(at[-1])}: {plain_message(err)}"
        out.append(doc.problem(at, msg))
    return out
