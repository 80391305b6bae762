"""`qfund schema`: every shipped file meets its schema, and what the schema refuses
`qfund validate` and `qfund test` refuse too."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

import qfund_rules as q
from qfund_rules._yaml import read_yaml
from qfund_rules.casebook import case_files, run_cases
from qfund_rules.cli import run
from qfund_rules.rules import RULE_FILES
from qfund_rules.schema import SCHEMA_NAMES, cases_schema, schemas

from .conftest import EXAMPLES_DIR, ROOT, RULES_DIR
from .schema_check import as_json, schema_errors

CASES_DIR = RULES_DIR / "tests"
CASE_FILES = case_files(CASES_DIR)


def _data(path: Path) -> Any:
    doc, problems = read_yaml(path)
    assert doc is not None
    assert problems == []
    return as_json(doc.data)


def _schema(name: str) -> dict[str, Any]:
    """The schema ``qfund schema NAME`` prints (cases: for the shipped rules)."""
    return cases_schema(q.load_rules(RULES_DIR)) if name == "cases" else schemas()[name]


def call(*argv: str | Path) -> tuple[int, str, str]:
    """Run qfund in process; return exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = run([str(a) for a in argv], out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("name", RULE_FILES)
def test_every_shipped_rule_file_meets_its_schema(name: str) -> None:
    """awards.yaml, exclusions.yaml and allocation.yaml are valid under their schemas."""
    assert schema_errors(schemas()[name.removesuffix(".yaml")], _data(RULES_DIR / name)) == []


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.name for p in CASE_FILES])
def test_every_shipped_case_file_meets_the_cases_schema(path: Path) -> None:
    """Each case file of rules/tests/ is valid under the case files' schema."""
    assert schema_errors(_schema("cases"), _data(path)) == []


@pytest.mark.parametrize(
    "path",
    [EXAMPLES_DIR / "claims-2027.yaml", *sorted((EXAMPLES_DIR / "rounds").glob("*.yaml"))],
    ids=lambda p: p.name,
)
def test_the_example_batches_meet_the_batch_schema(path: Path) -> None:
    """The example claims batches are valid under the batch schema."""
    assert schema_errors(schemas()["batch"], _data(path)) == []


def test_the_shipped_case_files_are_all_checked() -> None:
    """The case files' test above runs over every shipped case file (there are some)."""
    assert len(CASE_FILES) >= 10


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


# (old, new, the field the schema refuses), in a20-same-qualification.yaml
CASE_EDITS = [
    ("reasons: [top_up]", "reasons: [topup]", "$.cases[1].expect[0].reasons[0]"),
    ("outcome: awarded", "outcome: award", "$.cases[0].expect[0].outcome"),
    ("item: a11.1.winner,", "item: a11.1.winer,", "$.cases[0].expect[0].item"),
    ("family: a11.china_quality_award, subject: BL",
     "family: a11.xinjiang_quality_award, subject: BL",
     "$.cases[1].history.awards[0].family"),
    ("family: a11.china_quality_award, subject: BL", "family: a11.china, subject: BL",
     "$.cases[1].history.awards[0].family"),
    ("amount_yuan: 400000, year: 2026}", "amount_yuan: 0, year: 2026}",
     "$.cases[1].history.awards[0].amount_yuan"),
    ("kind: quality_award, award: china, tier: winner",
     "kind: quality_awards, award: china, tier: winner", "$.cases[0].batch.claims[0]"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "where"), CASE_EDITS)
def test_a_wrong_value_fails_the_cases_schema_as_it_fails_qfund_test(
    tmp_path: Path, rules: q.RuleSet, old: str, new: str, where: str
) -> None:
    """A wrong reason code, outcome, item id, family (unknown, or not the item's), a
    history award of 0 yuan or an unknown claim kind: the case files' schema refuses it at
    its field, and `qfund test` refuses the file."""
    edited = _edited(tmp_path, CASES_DIR / "a20-same-qualification.yaml", old, new)
    errors = schema_errors(cases_schema(rules), _data(edited))
    assert any(e.startswith(f"{where}:") for e in errors), errors
    with pytest.raises(q.RuleFileError):
        run_cases(rules, tmp_path)


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_every_field_is_described(name: str) -> None:
    """Every property of every schema has a description, for an editor to show."""
    schema = _schema(name)
    bare = [
        f"{owner}.{key}"
        for owner, definition in [("$", schema), *schema["$defs"].items()]
        for key, field in definition.get("properties", {}).items()
        if "description" not in field
    ]
    assert bare == []


def test_the_cases_schema_names_the_rules_families_and_items(rules: q.RuleSet) -> None:
    """A case file's history award takes the families of the rule set it runs against,
    each paired with its items."""
    award = cases_schema(rules)["$defs"]["HistoryAward"]
    assert award["properties"]["family"]["enum"] == list(rules.families)
    assert award["properties"]["item"]["enum"] == list(rules.by_id)
    assert len(award["allOf"]) == 42


def test_the_committed_cases_schema_is_current() -> None:
    """schema/cases.schema.json is what `qfund schema cases --rules rules` prints."""
    committed = (ROOT / "schema" / "cases.schema.json").read_text(encoding="utf-8")
    assert call("schema", "cases", "--rules", RULES_DIR) == (0, committed, "")


def test_the_shipped_case_files_declare_their_schema() -> None:
    """Each case file names the case files' JSON Schema on its first line, for editors."""
    firsts = {p.read_text(encoding="utf-8").splitlines()[0] for p in CASE_FILES}
    assert firsts == {"# yaml-language-server: $schema=../../schema/cases.schema.json"}


def test_rules_are_refused_for_a_schema_that_does_not_depend_on_them() -> None:
    """`--rules` names the rule set of the cases schema; with another it is a usage slip."""
    code, out, err = call("schema", "awards", "--rules", RULES_DIR)
    assert (code, out) == (2, "")
    assert "--rules is for the cases schema" in err


def test_invalid_rules_for_the_cases_schema_exit_2(tmp_path: Path) -> None:
    """The cases schema of a directory without rule files: its problems, exit 2."""
    code, out, err = call("schema", "cases", "--rules", tmp_path)
    assert (code, out) == (2, "")
    assert "awards.yaml: cannot read" in err


def test_the_checker_refuses_a_keyword_it_does_not_know() -> None:
    """A schema keyword the test checker does not implement is an error, never a pass."""
    with pytest.raises(ValueError, match="dependentRequired"):
        schema_errors({"dependentRequired": {"a": ["b"]}}, {"a": 1})


def test_the_schemas_are_json() -> None:
    """Each schema is plain JSON text (what editors read), the same on every call."""
    for name in SCHEMA_NAMES:
        text = json.dumps(_schema(name), ensure_ascii=False)
        assert json.loads(text) == _schema(name)
