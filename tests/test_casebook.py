"""The policy staff's domain tests (rules/tests/*.yaml), one pytest case each, and their reach."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import qfund_rules as q
from qfund_rules.casebook import CaseResult, run_cases
from qfund_rules.decision import REASON_CODES
from qfund_rules.rules import ITEM_IDS

from .conftest import RULES_DIR

CASES_DIR = RULES_DIR / "tests"
RESULTS: list[CaseResult] = list(run_cases(q.load_rules(RULES_DIR), CASES_DIR))


def _expectations() -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
            out.extend(case["expect"])
    return out


@pytest.mark.parametrize("result", RESULTS, ids=[f"{Path(r.file).stem}: {r.name}" for r in RESULTS])
def test_case(result: CaseResult) -> None:
    """The engine makes exactly the decisions the case expects."""
    assert result.differences == ()


def test_every_item_is_awarded_somewhere() -> None:
    """Each of the 42 items is expected as an award in at least one case."""
    awarded = {e["item"] for e in _expectations() if e["outcome"] == "awarded"}
    assert sorted(set(ITEM_IDS) - awarded) == []


def test_every_reason_code_is_exercised() -> None:
    """Each reason code of the contract is expected in at least one case."""
    seen = {r for e in _expectations() for r in e.get("reasons", [])}  # type: ignore[attr-defined]
    assert sorted(set(REASON_CODES) - seen) == []


def test_a_wrong_expectation_fails(tmp_path: Path) -> None:
    """A case whose expectation is wrong reports the difference (the runner can fail)."""
    source = (CASES_DIR / "a09-quality-county.yaml").read_text(encoding="utf-8")
    (tmp_path / "wrong.yaml").write_text(
        source.replace("amount_yuan: 200000", "amount_yuan: 250000", 1), encoding="utf-8"
    )
    results = list(run_cases(q.load_rules(RULES_DIR), tmp_path))
    failing = [r for r in results if not r.passed]
    assert len(failing) == 1
    assert "amount_yuan: expected 250000, got 200000" in failing[0].differences[0]


def test_malformed_case_file_is_located(tmp_path: Path) -> None:
    """A case file with a misspelt key is refused with its line, before any case runs."""
    (tmp_path / "bad.yaml").write_text(
        "cases:\n  - name: x\n    batch: {}\n    expected: []\n", encoding="utf-8"
    )
    with pytest.raises(q.RuleFileError) as info:
        list(run_cases(q.load_rules(RULES_DIR), tmp_path))
    assert "bad.yaml:4:" in info.value.render()
    assert "did you mean 'expect'" in info.value.render()
