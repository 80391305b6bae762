"""`qfund schema`: every shipped file meets its schema, and what the schema refuses
`qfund validate` refuses too."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

import qfund_rules as q
from qfund_rules._yaml import read_yaml
from qfund_rules.rules import RULE_FILES
from qfund_rules.schema import schemas

from .conftest import EXAMPLES_DIR, RULES_DIR
from .schema_check import as_json, schema_errors

SCHEMA_NAMES = ("awards", "exclusions", "allocation", "batch")


def _data(path: Path) -> Any:
    doc, problems = read_yaml(path)
    assert doc is not None
    assert problems == []
    return as_json(doc.data)


@pytest.mark.parametrize("name", RULE_FILES)
def test_every_shipped_rule_file_meets_its_schema(name: str) -> None:
    """awards.yaml, exclusions.yaml and allocation.yaml are valid under their schemas."""
    assert schema_errors(schemas()[name.removesuffix(".yaml")], _data(RULES_DIR / name)) == []


@pytest.mark.parametrize(
    "path",
    [EXAMPLES_DIR / "claims-2027.yaml", *sorted((EXAMPLES_DIR / "rounds").glob("*.yaml"))],
    ids=lambda p: p.name,
)
def test_the_example_batches_meet_the_batch_schema(path: Path) -> None:
    """The example claims batches are valid under the batch schema."""
    assert schema_errors(schemas()["batch"], _data(path)) == []


def _edited(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    """A copy of ``source`` in ``tmp_path`` with the first ``old`` replaced by ``new``."""
    text = source.read_text(encoding="utf-8")
    assert old in text
    target = tmp_path / source.name
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


# (file, old, new, the field the schema refuses)
RULE_EDITS = [
    ("awards.yaml", "status: draft", "status: drafted", "$.status"),
    ("awards.yaml", "  - id: a9.1\n", "  - id: a9.x\n", "$.items[0].id"),
    ("awards.yaml", "kind: quality_county\n", "kind: quality_countyy\n", "$.items[0].kind"),
    ("awards.yaml", "{fact: stage, eq: approved}", "{fact: stagee, eq: approved}",
     "$.items[0].when"),
    ("awards.yaml", "{fact: stage, eq: approved}", "{fact: stage, eq: approve}",
     "$.items[0].when"),
    ("awards.yaml", "{fact: stage, eq: approved}", "{fact: tier, eq: winner}",
     "$.items[0].when"),
    ("awards.yaml", "{fact: stage, eq: approved}", "{fact: stage, gt: approved}",
     "$.items[0].when"),
    ("awards.yaml", "wan: 20}", "wan: 20.005}", "$.items[0].amounts[0].wan"),
    ("awards.yaml", "citation: 第九条第(一)项", "citation: 第9条", "$.items[0].citation"),
    ("exclusions.yaml", "    enterprise:\n", "    enterprises:\n",
     "$.eligibility.org_types.enterprises (name)"),
    ("exclusions.yaml", "code: excluded_credit", "code: excluded_credits", "$.exclusions[2].code"),
    ("exclusions.yaml", "code: excluded_credit", "code: excluded_unlicensed",
     "$.exclusions[2].code"),
    ("exclusions.yaml", "check: credit_listing", "check: unlicensed", "$.exclusions"),
    ("allocation.yaml", "policy: top_up", "policy: top-up", "$.same_qualification.policy"),
    ("allocation.yaml", "on_shortfall: stop", "on_shortfall: halt", "$.allocation.on_shortfall"),
    ("allocation.yaml", "2028: 300", "20x8: 300", "$.budgets.by_year.20x8 (name)"),
]  # fmt: skip


@pytest.mark.parametrize(("file", "old", "new", "where"), RULE_EDITS)
def test_a_wrong_value_fails_the_schema_as_it_fails_validate(
    tmp_path: Path, file: str, old: str, new: str, where: str
) -> None:
    """A wrong choice (a status, an id, a kind, a condition's fact or value, an exclusion's
    code or check, a policy, a year) or an amount with three decimals: the schema refuses
    it at its field, and so does `qfund validate`."""
    for name in RULE_FILES:
        if name != file:
            shutil.copy(RULES_DIR / name, tmp_path / name)
    edited = _edited(tmp_path, RULES_DIR / file, old, new)
    errors = schema_errors(schemas()[file.removesuffix(".yaml")], _data(edited))
    assert any(e.startswith(f"{where}:") for e in errors), errors
    with pytest.raises(q.RuleFileError):
        q.load_rules(tmp_path)


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_every_field_is_described(name: str) -> None:
    """Every property of every schema has a description, for an editor to show."""
    schema = schemas()[name]
    bare = [
        f"{owner}.{key}"
        for owner, definition in [("$", schema), *schema["$defs"].items()]
        for key, field in definition.get("properties", {}).items()
        if "description" not in field
    ]
    assert bare == []


def test_the_checker_refuses_a_keyword_it_does_not_know() -> None:
    """A schema keyword the test checker does not implement is an error, never a pass."""
    with pytest.raises(ValueError, match="dependentRequired"):
        schema_errors({"dependentRequired": {"a": ["b"]}}, {"a": 1})


def test_the_schemas_are_json() -> None:
    """Each schema is plain JSON text (what editors read), the same on every call."""
    for name in SCHEMA_NAMES:
        text = json.dumps(schemas()[name], ensure_ascii=False)
        assert json.loads(text) == schemas()[name]
