"""History.awards_for: every applicant's earlier awards of one subject (family, subject),
from NO_HISTORY, a StaticHistory and the ledger, whose index for it older files gain."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import qfund_rules as q
from qfund_rules.history import PriorAward, SubjectAward, applicant_key
from qfund_rules.ledger import SCHEMA_VERSION

NUMBER = "GB/T 902-2026"
FAMILY = "a13.standard"
A1 = {"id": "A1", "name": "哈密某新能源有限公司", "org_type": "enterprise", "region": "650502"}
A2 = {"id": "A2", "name": "哈密某检测有限公司", "org_type": "enterprise", "region": "650521"}


def test_static_history_answers_every_applicants_awards_in_round_order() -> None:
    history = q.StaticHistory(
        {
            ("id:A2", "a13.standard", NUMBER): [PriorAward("N2", "a13.1.local", 1, 2027)],
            ("id:A1", "a13.standard", "GB/T\u3000902-2026"): [
                PriorAward("N1", "a13.1.national", 2, 2026)
            ],
            ("id:A1", "a11.x", NUMBER): [PriorAward("N3", "a11.4", 3, 2025)],
        }
    )
    assert history.awards_for("a13.standard", NUMBER) == (
        SubjectAward("id:A1", "N1", "a13.1.national", 2, 2026),
        SubjectAward("id:A2", "N2", "a13.1.local", 1, 2027),
    )
    assert history.awards_for("a13.standard", "GB/T 1-2026") == ()
    assert q.NO_HISTORY.awards_for("a13.standard", NUMBER) == ()


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("applicant", "", ValueError),
        ("applicant", 1, TypeError),
        ("claim_id", "", ValueError),
        ("amount_yuan", 1.0, TypeError),
        ("amount_yuan", -1, ValueError),
        ("year", 0, ValueError),
    ],
)
def test_a_subject_award_is_checked(field: str, value: object, error: type[Exception]) -> None:
    given: dict[str, Any] = {"applicant": "id:A1", "claim_id": "C1", "item": "a13.1.national",
             "amount_yuan": 1, "year": 2026, field: value}  # fmt: skip
    with pytest.raises(error, match=f"SubjectAward: {field}"):
        SubjectAward(**given)


def lead(cid: str, applicant: str) -> dict[str, Any]:
    """A claim of ``applicant`` to lead NUMBER, by lead proof."""
    return {"id": cid, "applicant": applicant, "kind": "standard", "action": "formulate",
            "standard_no": NUMBER, "achieved_on": "2026-11-02", "lead_proof": True}  # fmt: skip


def commit_round(rules: q.RuleSet, ledger: q.SqliteLedger, year: int, *claims: Any) -> None:
    data = {"round": year, "submitted_on": f"{year}-03-20", "applicants": [A1, A2],
            "claims": list(claims)}  # fmt: skip
    result = q.run_round(rules, rules.batch_from_data(data), ledger,
                         publicity_start=dt.date(year, 6, 1))  # fmt: skip
    assert result.commit(ledger)


def test_the_ledger_answers_every_applicants_standing_awards(
    rules: q.RuleSet, ledger: q.MemoryLedger
) -> None:
    """Each round's awards of the number, whoever holds them, in round order; a revoked one
    (fraud) is left out, as prior_awards leaves it out."""
    commit_round(rules, ledger, 2027, lead("L1", "A1"))
    ledger.fraud("L1", dt.date(2027, 9, 1), 3, round_year=2027)
    assert ledger.awards_for(FAMILY, NUMBER) == ()
    commit_round(rules, ledger, 2028, lead("L2", "A2"))
    assert ledger.awards_for(FAMILY, NUMBER) == (
        SubjectAward(applicant_key("A2", None), "L2", "a13.1.national", 200_000, 2028),
    )
    assert ledger.awards_for(FAMILY, "GB/T 1-2026") == ()
    assert ledger.awards_for("a11.leading_enterprise", NUMBER) == ()


def _sql(path: Path, statement: str) -> list[Any]:
    """``statement``'s rows, on a connection of its own, committed and closed: sqlite3's
    own context manager commits but leaves the connection open (Python 3.13 warns)."""
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        return conn.execute(statement).fetchall()


def _indexes(path: Path) -> set[str]:
    return {n for (n,) in _sql(path, "SELECT name FROM sqlite_master WHERE type='index'")}


def test_a_ledger_file_written_before_the_index_opens_verifies_and_gains_it(
    rules: q.RuleSet, tmp_path: Path
) -> None:
    """A file without the index claims_subject (written by an earlier qfund): read-only, it
    opens, verifies and answers awards_for (by a scan) and is not written; opened to write,
    it gains the index, still at schema version 1, and still verifies."""
    path = tmp_path / "fund.db"
    with q.SqliteLedger(path) as ledger:
        commit_round(rules, ledger, 2027, lead("L1", "A1"))
        expected = ledger.awards_for(FAMILY, NUMBER)
        plan = ledger._conn.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM claims WHERE family = ? AND subject = ?"
            " AND outcome = 'awarded' AND status IN ('paid', 'deferred', 'held')"
            " ORDER BY round, position", (FAMILY, NUMBER)).fetchall()  # fmt: skip
    assert "claims_subject" in str(plan)
    assert len(expected) == 1
    _sql(path, "DROP INDEX claims_subject")
    assert "claims_subject" not in _indexes(path)
    before = path.read_bytes()
    with q.SqliteLedger(path, readonly=True) as old:
        assert old.verify() is None
        assert old.awards_for(FAMILY, NUMBER) == expected
    assert path.read_bytes() == before
    with q.SqliteLedger(path) as ledger:
        assert ledger.verify() is None
        assert ledger.awards_for(FAMILY, NUMBER) == expected
    assert "claims_subject" in _indexes(path)
    assert _sql(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)] == [(1,)]
