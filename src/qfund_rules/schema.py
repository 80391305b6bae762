"""JSON Schema of the rule files, of a claims batch and of a case file, for editors.

The shipped YAML files name these schemas on their first line
(``# yaml-language-server: $schema=../schema/awards.schema.json``) so an editor checks
what policy staff type; ``qfund schema NAME`` prints them and ``schema/`` holds copies
that the test suite keeps in step with the code.

Each schema is generated from what ``qfund validate`` (or ``qfund test``) checks with, so
the two cannot drift apart: the pydantic models give the structure, the descriptions and
the simple choices (a policy's values, a status, an item id, a claim kind); the tables
the cross-checks use give the rest here: the facts a condition of each claim kind may
name, the reason code each exclusion check reports, the 42 items and 7 checks each
written once, and, for a case file, the item ids and families of the rule set it runs
against. What a schema cannot say (a dated value's order, a clause quoted verbatim) is
left to the validator.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from .casebook import CaseFile
from .claims import CLAIM_TYPES, Batch
from .conditions import condition_schema
from .rules import (
    EXCLUSION_CHECKS,
    ITEM_IDS,
    AllocationFile,
    AwardsFile,
    ExclusionsFile,
    RuleSet,
    kind_facts,
)

__all__ = ["SCHEMA_NAMES", "cases_schema", "schemas"]

#: What ``qfund schema`` prints: the three rule files, a claims batch, and a case file.
SCHEMA_NAMES = ("awards", "exclusions", "allocation", "batch", "cases")

_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schemas() -> dict[str, dict[str, Any]]:
    """``{"awards", "exclusions", "allocation", "batch"}`` to their JSON Schema.

    The case files' schema depends on a rule set: :func:`cases_schema`.
    """
    models: dict[str, type[BaseModel]] = {
        "awards": AwardsFile,
        "exclusions": ExclusionsFile,
        "allocation": AllocationFile,
        "batch": Batch,
    }
    out = {name: _generated(name, model) for name, model in models.items()}
    _awards(out["awards"])
    _exclusions(out["exclusions"])
    return out


def cases_schema(rules: RuleSet) -> dict[str, Any]:
    """The JSON Schema of a case file (``rules/tests/*.yaml``) run against ``rules``: its
    batch is a claims batch, its item ids and families those of ``rules``, and each
    history award's family its item's, as ``qfund test`` checks them."""
    schema = _generated("cases", CaseFile)
    defs: dict[str, Any] = schema["$defs"]
    batch = schemas()["batch"]
    for name, definition in batch.pop("$defs").items():
        assert name not in defs, f"a case file's schema and a batch's both define {name}"
        defs[name] = definition
    batch.pop("$schema")
    defs["Batch"] = batch
    case = defs["Case"]["properties"]
    case["batch"] = {"$ref": "#/$defs/Batch", "description": case["batch"]["description"]}
    ids = list(rules.by_id)
    expected = defs["Expectation"]["properties"]
    expected["item"] = {
        "anyOf": [{"enum": ids}, {"type": "null"}],
        **_kept(expected["item"]),
    }
    award = defs["HistoryAward"]
    award["properties"]["item"] = {"enum": ids, **_kept(award["properties"]["item"])}
    award["properties"]["family"] = {
        "enum": list(rules.families),
        **_kept(award["properties"]["family"]),
    }
    # An award is held under its item's family (rulings R5): qfund test refuses another.
    award["allOf"] = [
        _when("item", i.id, {"properties": {"family": {"const": i.item.family}}})
        for i in rules.items
    ]
    return schema


def _generated(name: str, model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema(by_alias=True)
    schema["$schema"] = _DIALECT
    schema.setdefault("title", name)
    return schema


def _kept(field: dict[str, Any]) -> dict[str, Any]:
    """A field's words (title, description, default), its type to be replaced."""
    return {k: v for k, v in field.items() if k in ("title", "description", "default")}


def _when(key: str, value: str, then: dict[str, Any]) -> dict[str, Any]:
    """``then`` applies to an object whose ``key`` is ``value``."""
    return {"if": {"properties": {key: {"const": value}}, "required": [key]}, "then": then}


def _each_once(key: str, values: list[str]) -> list[dict[str, Any]]:
    """An array holds exactly one object whose ``key`` is each of ``values``."""
    return [
        {
            "contains": {"properties": {key: {"const": v}}, "required": [key]},
            "maxContains": 1,
        }
        for v in values
    ]


def _awards(schema: dict[str, Any]) -> None:
    """A condition (``when``) per claim kind, on the facts that kind has; every item once."""
    defs: dict[str, Any] = schema["$defs"]
    then: list[dict[str, Any]] = []
    for kind in CLAIM_TYPES:
        ref = f"#/$defs/Condition.{kind}"
        condition = condition_schema(kind_facts(kind), ref)
        condition["anyOf"] = [_shared(defs, form, kind) for form in condition["anyOf"]]
        defs[f"Condition.{kind}"] = {
            "description": f"a condition on the facts of a {kind} claim",
            **condition,
        }
        when = {"anyOf": [{"type": "null"}, {"$ref": ref}]}
        then.append(_when("kind", kind, {"properties": {"when": when}}))
    defs["AwardItem"]["allOf"] = then
    schema["properties"]["items"]["allOf"] = _each_once("id", list(ITEM_IDS))


def _shared(defs: dict[str, Any], form: dict[str, Any], kind: str) -> dict[str, Any]:
    """A comparison of a fact, as a reference to one definition that every kind with the
    same fact (the same name and values) shares; any other form as it is."""
    fact = form.get("properties", {}).get("fact", {}).get("const")
    if fact is None:
        return form
    name = f"Comparison.{fact}"
    if defs.setdefault(name, form) != form:
        name = f"Comparison.{fact}.{kind}"  # level: national | regional, or a standard's
        defs[name] = form
    return {"$ref": f"#/$defs/{name}"}


def _exclusions(schema: dict[str, Any]) -> None:
    """Each check once, with the reason code it reports; ``lists`` for credit_listing only."""
    defs: dict[str, Any] = schema["$defs"]
    exclusion = defs["Exclusion"]
    rules = [
        _when("check", check, {"properties": {"code": {"const": code}}})
        for check, code in EXCLUSION_CHECKS.items()
    ]
    credit = _when(
        "check",
        "credit_listing",
        {"required": ["lists"], "properties": {"lists": {"type": "array"}}},
    )
    credit["else"] = {"properties": {"lists": {"type": "null"}}}
    exclusion["allOf"] = [*rules, credit]
    listed = schema["properties"]["exclusions"]
    listed["allOf"] = _each_once("check", list(EXCLUSION_CHECKS))
