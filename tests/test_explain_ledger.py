"""`qfund explain --ledger`: a round's decision as committed, and where its award stands now.

The two-year scenario of tests/test_round_cli.py (docs/rounds.md): in 2027 C3 is deferred
and paid in 2028, C2 is paid and then revoked for fraud, and A2's D2 of 2028 is banned.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .test_round_cli import BATCH_2027, Scenario, qfund, write


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """The scenario, run once for this module."""
    return Scenario(tmp_path_factory.mktemp("explain"))


def explained(scenario: Scenario, batch: Path, claim: str) -> list[str]:
    code, out, err = qfund(
        "explain", batch, "--claim", claim, "--ledger", scenario.ledger, "--lang", "en"
    )
    assert code == 0, err
    return out.splitlines()


def test_a_deferred_award_shows_its_allocation_and_that_it_was_paid_later(
    scenario: Scenario,
) -> None:
    """C3 was deferred by 2027's budget and paid from 2028's."""
    lines = explained(scenario, scenario.b27, "C3")
    assert "Allocation: deferred: 2027's budget ran out, 20 万元" in lines
    assert "In the ledger now: paid; paid 20 万元, clawed back 0 万元" in lines


def test_a_revoked_award_says_so(scenario: Scenario) -> None:
    """C2 was paid in 2027, then revoked by a fraud finding and clawed back (第二十四条)."""
    lines = explained(scenario, scenario.b27, "C2")
    assert "Allocation: paid from 2027, 60 万元" in lines
    assert "In the ledger now: revoked (第二十四条); paid 60 万元, clawed back 60 万元" in lines


def test_a_recorded_decision_is_the_committed_one(scenario: Scenario) -> None:
    """D1 is the 2028 top-up and D2 the ban, as committed: not what the batch gives alone
    (D1 would be a first-time 60 万元 award, D2 an award)."""
    d1 = explained(scenario, scenario.b28, "D1")
    assert d1[1:3] == ["Outcome: awarded a11.1.winner, 20 万元 (200000 yuan)", "Reasons: top_up"]
    d2 = explained(scenario, scenario.b28, "D2")
    assert d2[1:3] == ["Outcome: rejected a11.3.winner", "Reasons: banned"]
    code, alone, _ = qfund("explain", scenario.b28, "--claim", "D2", "--lang", "en")
    assert code == 0
    assert alone.splitlines()[1] == "Outcome: awarded a11.3.winner, 10 万元 (100000 yuan)"


def test_a_batch_before_the_ledgers_last_round_is_refused(
    scenario: Scenario, tmp_path: Path
) -> None:
    """--ledger decides against earlier rounds: a 2026 batch against rounds 2027 and 2028
    would count later awards as earlier ones (exit 2)."""
    older = dict(BATCH_2027, round=2026, submitted_on="2026-12-20")
    batch = write(tmp_path / "claims-2026.json", older)
    code, out, err = qfund("explain", batch, "--claim", "C1", "--ledger", scenario.ledger)
    assert (code, out) == (2, "")
    assert "later rounds (2027, 2028) than the batch's round 2026" in err


def test_another_batch_for_a_recorded_round_is_refused(scenario: Scenario, tmp_path: Path) -> None:
    """The same claim ids with other facts: the recorded round is not this batch's."""
    other = json.loads(json.dumps(BATCH_2027))
    other["claims"][0]["achieved_on"] = "2026-11-03"
    batch = write(tmp_path / "other.json", other)
    code, out, err = qfund("explain", batch, "--claim", "C1", "--ledger", scenario.ledger)
    assert (code, out) == (2, "")
    assert "from another batch with the same claim ids" in err


def test_no_such_ledger_is_bad_input(scenario: Scenario, tmp_path: Path) -> None:
    """A missing ledger file is exit 2, and is not created."""
    missing = tmp_path / "missing.db"
    code, _, err = qfund("explain", scenario.b27, "--claim", "C1", "--ledger", missing)
    assert code == 2
    assert "no such ledger" in err
    assert not missing.exists()
