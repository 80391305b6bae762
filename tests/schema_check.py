"""A JSON Schema (2020-12) checker for the keywords qfund's schemas use, and no other.

No JSON Schema library is a dependency of the project, so the tests that hold the files
to their schemas use this one. It knows exactly the keywords ``qfund schema`` writes; any
other keyword is an error, so a schema that grows one cannot pass half-checked. ``format:
date`` is asserted (editors do): a date is a real one, written YYYY-MM-DD.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

__all__ = ["as_json", "schema_errors"]

# Keywords that say something about a value without constraining it.
_ANNOTATIONS = frozenset(
    {"$defs", "$schema", "default", "description", "discriminator", "examples", "title"}
)
_CHECKED = frozenset(
    {
        "$ref", "additionalProperties", "allOf", "anyOf", "const", "contains", "else",
        "enum", "exclusiveMaximum", "exclusiveMinimum", "format", "if", "items",
        "maxContains", "maxItems", "maxProperties", "maximum", "minItems", "minLength",
        "minProperties", "minimum", "multipleOf", "oneOf", "pattern", "patternProperties",
        "properties", "propertyNames", "required", "then", "type",
    }
)  # fmt: skip
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def as_json(value: object) -> Any:
    """Data read from YAML as an editor sees it: dates as their text, keys as text."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): as_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_json(v) for v in value]
    return value


def schema_errors(schema: Mapping[str, Any], instance: object) -> list[str]:
    """Every way ``instance`` fails ``schema``, as ``path: what``; empty when it is valid."""
    return list(_Checker(schema).errors(schema, instance, "$"))


def _same(a: object, b: object) -> bool:
    # JSON tells true from 1, Python does not.
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def _is_type(value: object, name: str) -> bool:
    number = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
    if name == "integer":
        return number and Decimal(str(value)) == Decimal(str(value)).to_integral_value()
    return {
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
        "string": isinstance(value, str),
        "number": number,
        "boolean": isinstance(value, bool),
        "null": value is None,
    }[name]


class _Checker:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root

    def valid(self, schema: Mapping[str, Any], value: object) -> bool:
        return next(self.errors(schema, value, "$"), None) is None

    def errors(self, schema: Mapping[str, Any], value: object, at: str) -> Iterator[str]:
        unknown = set(schema) - _CHECKED - _ANNOTATIONS
        if unknown:
            raise ValueError(f"keywords this checker does not know: {sorted(unknown)}")
        if "$ref" in schema:
            yield from self.errors(self._resolve(schema["$ref"]), value, at)
        yield from self._general(schema, value, at)
        if isinstance(value, dict):
            yield from self._object(schema, value, at)
        if isinstance(value, list):
            yield from self._array(schema, value, at)
        if isinstance(value, str):
            yield from self._string(schema, value, at)
        if _is_type(value, "number"):
            yield from self._number(schema, value, at)

    def _resolve(self, ref: str) -> Mapping[str, Any]:
        if not ref.startswith("#/"):
            raise ValueError(f"only local references are checked: {ref}")
        node: Any = self.root
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node  # type: ignore[no-any-return]

    def _general(self, schema: Mapping[str, Any], value: object, at: str) -> Iterator[str]:
        if "type" in schema:
            types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            if not any(_is_type(value, t) for t in types):
                yield f"{at}: {value!r} is not of type {schema['type']}"
        if "const" in schema and not _same(value, schema["const"]):
            yield f"{at}: {value!r} is not {schema['const']!r}"
        if "enum" in schema and not any(_same(value, e) for e in schema["enum"]):
            yield f"{at}: {value!r} is not one of {schema['enum']}"
        for part in schema.get("allOf", ()):
            yield from self.errors(part, value, at)
        if "anyOf" in schema and not any(self.valid(p, value) for p in schema["anyOf"]):
            yield f"{at}: {value!r} matches none of anyOf"
        if "oneOf" in schema:
            n = sum(self.valid(p, value) for p in schema["oneOf"])
            if n != 1:
                yield f"{at}: {value!r} matches {n} of oneOf, not exactly one"
        if "if" in schema:
            branch = "then" if self.valid(schema["if"], value) else "else"
            if branch in schema:
                yield from self.errors(schema[branch], value, at)

    def _object(self, schema: Mapping[str, Any], value: dict[str, Any], at: str) -> Iterator[str]:
        properties: Mapping[str, Any] = schema.get("properties", {})
        patterns: Mapping[str, Any] = schema.get("patternProperties", {})
        for key in schema.get("required", ()):
            if key not in value:
                yield f"{at}: required {key!r} is missing"
        if "minProperties" in schema and len(value) < schema["minProperties"]:
            yield f"{at}: fewer than {schema['minProperties']} properties"
        if "maxProperties" in schema and len(value) > schema["maxProperties"]:
            yield f"{at}: more than {schema['maxProperties']} properties"
        for key, item in value.items():
            if "propertyNames" in schema:
                yield from self.errors(schema["propertyNames"], key, f"{at}.{key} (name)")
            matched = False
            if key in properties:
                matched = True
                yield from self.errors(properties[key], item, f"{at}.{key}")
            for pattern, sub in patterns.items():
                if re.search(pattern, key):
                    matched = True
                    yield from self.errors(sub, item, f"{at}.{key}")
            extra = schema.get("additionalProperties", True)
            if not matched and extra is False:
                yield f"{at}: unknown key {key!r}"
            elif not matched and isinstance(extra, dict):
                yield from self.errors(extra, item, f"{at}.{key}")

    def _array(self, schema: Mapping[str, Any], value: list[Any], at: str) -> Iterator[str]:
        if "minItems" in schema and len(value) < schema["minItems"]:
            yield f"{at}: fewer than {schema['minItems']} items"
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            yield f"{at}: more than {schema['maxItems']} items"
        if "items" in schema:
            for i, item in enumerate(value):
                yield from self.errors(schema["items"], item, f"{at}[{i}]")
        if "contains" in schema:
            n = sum(self.valid(schema["contains"], item) for item in value)
            if n < 1:
                yield f"{at}: no item matches {schema['contains']}"
            if n > schema.get("maxContains", n):
                yield f"{at}: {n} items match {schema['contains']}, at most one may"

    def _string(self, schema: Mapping[str, Any], value: str, at: str) -> Iterator[str]:
        if "minLength" in schema and len(value) < schema["minLength"]:
            yield f"{at}: shorter than {schema['minLength']}"
        if "pattern" in schema and not re.search(schema["pattern"], value):
            yield f"{at}: {value!r} does not match {schema['pattern']}"
        if schema.get("format", "date") != "date":
            raise ValueError(f"only format date is checked, not {schema['format']}")
        if "format" in schema:
            try:
                ok = bool(_DATE.fullmatch(value)) and bool(dt.date.fromisoformat(value))
            except ValueError:
                ok = False
            if not ok:
                yield f"{at}: {value!r} is not a date (YYYY-MM-DD)"

    def _number(self, schema: Mapping[str, Any], value: Any, at: str) -> Iterator[str]:
        number = Decimal(str(value))
        bounds: dict[str, Callable[[Decimal], bool]] = {
            "minimum": lambda b: number >= b,
            "maximum": lambda b: number <= b,
            "exclusiveMinimum": lambda b: number > b,
            "exclusiveMaximum": lambda b: number < b,
        }
        for keyword, holds in bounds.items():
            if keyword in schema and not holds(Decimal(str(schema[keyword]))):
                yield f"{at}: {value} fails {keyword} {schema[keyword]}"
        if "multipleOf" in schema and number % Decimal(str(schema["multipleOf"])) != 0:
            yield f"{at}: {value} is not a multiple of {schema['multipleOf']}"
