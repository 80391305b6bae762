"""Tests for the ledger: history look-ups, idempotent atomic commits, fraud, the hash chain."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import random
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

import qfund_rules as q
from qfund_rules.allocation import RoundResult, run_round
from qfund_rules.errors import LedgerError
from qfund_rules.explain import revocation, standing
from qfund_rules.history import BanRecord, PriorAward, applicant_key
from qfund_rules.ledger import (
    GENESIS,
    SCHEMA_VERSION,
    AwardState,
    CountedAward,
    FraudFinding,
    MemoryLedger,
    PendingAward,
    SqliteLedger,
    canonical_json,
    migrate,
)

from .conftest import RULES_DIR, last_submitted

LEADING, CNAS, CHINA_NOMINEE = 200_000, 100_000, 400_000
KEY_A1 = applicant_key("A1", None)
KEY_A2 = applicant_key("A2", None)


def batch(rules: q.RuleSet, year: int, *claims: dict[str, Any]) -> q.Batch:
    """Round ``year`` of Hami enterprises A1..A4, achieved the year before."""
    data = {
        "round": year,
        "submitted_on": f"{year}-03-20",
        "applicants": [
            {"id": f"A{i}", "name": f"哈密某企业{i}", "org_type": "enterprise", "region": "650502"}
            for i in range(1, 5)
        ],
        "claims": [{"achieved_on": f"{year - 1}-11-01", **c} for c in claims],
    }
    return q.batch_from_data(data, industry_codes=rules.industry_codes)


def leading(cid: str, app: str, **extra: Any) -> dict[str, Any]:
    """A 第十一条(四) leading-enterprise claim (20 万元)."""
    return {"id": cid, "applicant": app, "kind": "leading_enterprise", **extra}


def nominee(cid: str, app: str) -> dict[str, Any]:
    """A 中国质量奖提名奖 claim (40 万元), declared first time."""
    return {
        "id": cid,
        "applicant": app,
        "kind": "quality_award",
        "award": "china",
        "tier": "nominee",
        "first_time": True,
    }


def commit(rules: q.RuleSet, ledger: SqliteLedger, b: q.Batch, budget: int) -> RoundResult:
    """Run and commit one round, its publicity starting the day the last claim came in."""
    result = run_round(rules, b, ledger, budget_yuan=budget, publicity_start=last_submitted(b))
    result.commit(ledger)
    return result


@pytest.fixture
def two_rounds(rules: q.RuleSet, tmp_path: Path) -> Path:
    """A ledger file with rounds 2027 and 2028, a fraud finding and a release."""
    path = tmp_path / "fund.db"
    with SqliteLedger(path) as ledger:
        b27 = batch(rules, 2027, nominee("C1", "A1"), leading("C2", "A2"), leading("C3", "A3"))
        commit(rules, ledger, b27, CHINA_NOMINEE)
        ledger.fraud("C1", dt.date(2027, 12, 1), 3)
        b28 = batch(rules, 2028, leading("D1", "A4", objection=True))
        commit(rules, ledger, b28, LEADING)
        ledger.release("D1", dt.date(2028, 7, 1), "dismissed")
    return path


def tamper(path: Path, sql: str, params: tuple[str, ...] = ()) -> None:
    """Edit the file as an intruder would: drop the append-only triggers, then run ``sql``."""
    conn = sqlite3.connect(path)
    conn.executescript("DROP TRIGGER records_no_update; DROP TRIGGER records_no_delete;")
    for statement in sql.split(";"):
        conn.execute(statement, params)
    conn.commit()
    conn.close()


# --- History --------------------------------------------------------------------------


def test_empty_ledger_has_no_history(ledger: MemoryLedger) -> None:
    """A new ledger knows no award and no ban."""
    assert (
        ledger.prior_awards(KEY_A1, "a11.leading_enterprise", "A1"),
        ledger.bans(KEY_A1),
    ) == ((), ())


def test_prior_awards_are_indexed_by_qualification(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """A committed award is found by (applicant key, family, subject)."""
    commit(rules, ledger, batch(rules, 2027, leading("C1", "A1")), LEADING)
    assert (PriorAward("C1", "a11.4", LEADING, 2027),) == ledger.prior_awards(
        KEY_A1, "a11.leading_enterprise", "A1"
    )


def test_deferred_awards_count_as_prior_awards(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """An award granted but deferred still counts for its qualification."""
    commit(rules, ledger, batch(rules, 2027, leading("C1", "A1")), 0)
    assert len(ledger.prior_awards(KEY_A1, "a11.leading_enterprise", "A1")) == 1


def test_revoked_awards_are_not_prior_awards(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """An award revoked for fraud no longer counts for its qualification."""
    commit(rules, ledger, batch(rules, 2027, leading("C1", "A1")), LEADING)
    ledger.fraud("C1", dt.date(2027, 12, 1), 3)
    assert ledger.prior_awards(KEY_A1, "a11.leading_enterprise", "A1") == ()


def test_bans_are_indexed_by_applicant_key(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """A fraud finding bans the applicant key for [found_on, found_on + 3 years)."""
    commit(rules, ledger, batch(rules, 2027, leading("C1", "A1")), LEADING)
    ledger.fraud("C1", dt.date(2027, 12, 1), 3)
    assert (BanRecord("C1", dt.date(2027, 12, 1), dt.date(2030, 12, 1)),) == ledger.bans(KEY_A1)


def test_keys_of_names_the_keys_of_standing_awards_and_bans(two_rounds: Path) -> None:
    """keys_of gives the applicant keys a batch id has awards or bans under: A1's award was
    revoked by fraud (its ban remains), A2's is deferred, A9 is unknown."""
    with SqliteLedger(two_rounds, readonly=True) as ledger:
        found = (ledger.keys_of("A1"), ledger.keys_of("A2"), ledger.keys_of("A9"))
    assert found == (frozenset({"id:A1"}), frozenset({"id:A2"}), frozenset())


def test_keys_of_before_a_year_looks_at_earlier_rounds_only(two_rounds: Path) -> None:
    """keys_of(before=Y) counts only rounds before Y: A4's 2028 award is no key of 2028's or
    2027's, and A1's ban follows a claim of 2027, so 2028 sees it and 2027 does not."""
    with SqliteLedger(two_rounds, readonly=True) as ledger:
        found = [
            (ledger.keys_of("A4", before=y), ledger.keys_of("A1", before=y))
            for y in (2027, 2028, 2029)
        ]
    assert found == [
        (frozenset(), frozenset()),
        (frozenset(), frozenset({"id:A1"})),
        (frozenset({"id:A4"}), frozenset({"id:A1"})),
    ]


@pytest.mark.parametrize("before", [True, "2028", 0])
def test_keys_of_before_must_be_a_year(ledger: MemoryLedger, before: object) -> None:
    """keys_of's before is a year of 1 to 9999 (a bool is not one): a LedgerError naming it."""
    with pytest.raises(LedgerError, match=r"SqliteLedger\.keys_of: before"):
        ledger.keys_of("A1", before=before)  # type: ignore[arg-type]


def test_pending_lists_deferred_awards_in_order(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """Deferred awards are listed by round, then their place in the round's order."""
    b = batch(rules, 2027, leading("C2", "A2"), leading("C1", "A1", submitted_on="2027-03-21"))
    commit(rules, ledger, b, 0)
    assert (
        PendingAward("C2", "A2", "a11.4", 2027, 0, LEADING),
        PendingAward("C1", "A1", "a11.4", 2027, 1, LEADING),
    ) == ledger.pending()


# --- commits --------------------------------------------------------------------------


def test_committing_a_round_twice_records_nothing(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """The same year and claim ids again: commit returns False and no record is added."""
    result = commit(rules, ledger, batch(rules, 2027, leading("C1", "A1")), LEADING)
    head = ledger.head()
    assert (False, head) == (result.commit(ledger), ledger.head())


def test_a_stale_round_is_refused(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """A round computed before another write to the ledger cannot be committed."""
    commit(rules, ledger, batch(rules, 2027, leading("C1", "A1")), 0)
    b28 = batch(rules, 2028, leading("D1", "A2"))
    stale = run_round(rules, b28, ledger, publicity_start=last_submitted(b28))
    ledger.fraud("C1", dt.date(2028, 1, 5), 3)
    with pytest.raises(LedgerError, match="changed since"):
        stale.commit(ledger)


def test_a_failed_commit_writes_nothing(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """An error in the middle of a commit rolls the whole round back."""
    result = run_round(rules, batch(rules, 2027, leading("C1", "A1")), ledger)

    class Broken:
        year, claim_ids, base_head = result.year, result.claim_ids, result.base_head

        def records(self) -> list[tuple[str, dict[str, Any]]]:
            return [*result.records()[:2], ("allocation", {"bad": 1.5})]

    with pytest.raises(LedgerError, match="float"):
        ledger.commit_round(Broken())
    assert (ledger.head(), ledger.round_years()) == ((0, "0" * 64), ())


# --- fraud and objections (第二十四条, 第二十二条) -----------------------------------------


def test_fraud_claws_back_what_was_paid(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """A fraud finding on a paid award claws back its amount and bans for 3 years."""
    commit(rules, ledger, batch(rules, 2027, nominee("C1", "A1")), CHINA_NOMINEE)
    finding = ledger.fraud("C1", dt.date(2028, 1, 15), 3)
    assert FraudFinding("C1", "A1", CHINA_NOMINEE, dt.date(2031, 1, 15)) == finding


def test_fraud_on_an_unpaid_award_claws_back_nothing(
    rules: q.RuleSet, ledger: MemoryLedger
) -> None:
    """A deferred award found fraudulent is revoked with nothing to claw back."""
    commit(rules, ledger, batch(rules, 2027, leading("C1", "A1")), 0)
    finding = ledger.fraud("C1", dt.date(2028, 1, 15), 3)
    assert (finding.clawback_yuan, ledger.awards()[0].status) == (0, "revoked")


def test_fraud_recorded_again_records_nothing(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """The same finding twice returns the first result and adds no record."""
    commit(rules, ledger, batch(rules, 2027, leading("C1", "A1")), LEADING)
    first = ledger.fraud("C1", dt.date(2028, 1, 15), 3)
    head = ledger.head()
    assert (first, head) == (ledger.fraud("C1", dt.date(2028, 1, 15), 3), ledger.head())


def test_fraud_on_another_date_is_refused(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """A second finding with another date for the same claim is refused."""
    commit(rules, ledger, batch(rules, 2027, leading("C1", "A1")), LEADING)
    ledger.fraud("C1", dt.date(2028, 1, 15), 3)
    with pytest.raises(LedgerError, match="already recorded on 2028-01-15"):
        ledger.fraud("C1", dt.date(2028, 2, 1), 3)


def test_fraud_found_before_the_claim_was_submitted_is_refused(
    rules: q.RuleSet, ledger: MemoryLedger
) -> None:
    """A finding dated before the claim existed is a slip: refused, nothing written."""
    commit(rules, ledger, batch(rules, 2027, leading("C1", "A1")), LEADING)
    head = ledger.head()
    with pytest.raises(LedgerError) as refused:
        ledger.fraud("C1", dt.date(2027, 3, 19), 3)
    finding = ledger.fraud("C1", dt.date(2027, 3, 20), 3)  # the day it was submitted: taken
    assert (str(refused.value), finding.banned_until) == (
        "claim 'C1': a fraud finding on 2027-03-19 is before the claim was submitted "
        "(2027-03-20); check the date of the finding",
        dt.date(2030, 3, 20),
    )
    assert ledger.head()[0] == head[0] + 3


def hami_nominee(cid: str, app: str, **extra: Any) -> dict[str, Any]:
    """A 哈密市质量奖提名奖 claim (5 万元), declared first time."""
    return {**nominee(cid, app), "award": "hami", **extra}


def cnas(cid: str, app: str, **extra: Any) -> dict[str, Any]:
    """A 第十二条(一) CNAS accreditation claim (10 万元), declared first time."""
    return {"id": cid, "applicant": app, "kind": "cnas_accreditation", "first_time": True, **extra}


@pytest.fixture
def banned_later(rules: q.RuleSet, ledger: MemoryLedger) -> MemoryLedger:
    """A1 paid in 2027 (C1); in 2028 A1's D1 paid (03-20), D2 paid (03-21), D4 held (03-23),
    A2's D3 deferred (03-22); in 2029 A1's E1 deferred (03-21). No finding recorded yet."""
    commit(rules, ledger, batch(rules, 2027, nominee("C1", "A1")), CHINA_NOMINEE)
    b28 = batch(
        rules,
        2028,
        leading("D1", "A1", submitted_on="2028-03-20"),
        cnas("D2", "A1", submitted_on="2028-03-21"),
        leading("D3", "A2", submitted_on="2028-03-22"),
        hami_nominee("D4", "A1", submitted_on="2028-03-23", objection=True),
    )
    commit(rules, ledger, b28, LEADING + CNAS)
    winner = {**nominee("E1", "A1"), "tier": "winner", "submitted_on": "2029-03-21"}
    b29 = batch(rules, 2029, winner)  # a top-up of C1, 20 万, deferred
    commit(rules, ledger, b29, 0)
    return ledger


def test_fraud_revokes_awards_submitted_inside_the_ban(banned_later: MemoryLedger) -> None:
    """Awards already committed for claims submitted in [found_on, until) are revoked (R9).

    Found on 2028-03-21 with a 1-year ban (until 2029-03-21): D2 (paid) is clawed back and
    D4 (held) cancelled; D1 (submitted the day before), E1 (submitted on the day the ban
    ends) and A2's D3 stand.
    """
    finding = banned_later.fraud("C1", dt.date(2028, 3, 21), 1)
    states = {
        (a.claim_id, a.status, a.paid_yuan, a.clawed_back_yuan) for a in banned_later.awards()
    }
    assert (
        (
            (2028, "D2", "A1", dt.date(2028, 3, 21), "paid", CNAS, CNAS),
            (2028, "D4", "A1", dt.date(2028, 3, 23), "held", 50_000, 0),
        ),
        {
            ("C1", "revoked", CHINA_NOMINEE, CHINA_NOMINEE),
            ("D1", "paid", LEADING, 0),
            ("D2", "revoked", CNAS, CNAS),
            ("D3", "deferred", 0, 0),
            ("D4", "revoked", 0, 0),
            ("E1", "deferred", 0, 0),
        },
        None,
    ) == (
        tuple(
            (b.round, b.claim_id, b.applicant_id, b.submitted_on, b.status, b.amount_yuan,
             b.clawback_yuan)
            for b in finding.banned_awards
        ),
        states,
        banned_later.verify(),
    )  # fmt: skip


def test_awards_revoked_by_a_ban_leave_the_queue(banned_later: MemoryLedger) -> None:
    """A deferred award inside the ban is no longer owed; a held one cannot be released,
    and the refusal names the ban's finding and its article."""
    banned_later.fraud("C1", dt.date(2028, 3, 21), 3)  # E1 (2029-03-21) is inside now
    with pytest.raises(LedgerError) as refused:
        banned_later.release("D4", dt.date(2028, 7, 1), "dismissed")
    assert str(refused.value) == (
        "claim 'D4' is not held for an objection: revoked: submitted under the ban of the "
        "fraud found on claim C1 of round 2027 (第二十四条)"
    )
    assert [p.claim_id for p in banned_later.pending()] == ["D3"]


def test_the_fraud_record_names_the_awards_the_ban_revokes(banned_later: MemoryLedger) -> None:
    """The fraud record lists them, and each has a clawback record with reason banned."""
    head = banned_later.head()[0]
    banned_later.fraud("C1", dt.date(2028, 3, 21), 1)
    records = banned_later.records()[head:]
    fraud = records[0].body
    assert (
        [r.kind for r in records],
        [(b["claim_id"], b["status"], b["clawback_yuan"]) for b in fraud["banned_awards"]],
        [(r.body["claim_id"], r.body["reason"], r.body["amount_yuan"]) for r in records[1:4]],
        records[2].body["fraud"],
    ) == (
        ["fraud", "clawback", "clawback", "clawback", "ban"],
        [("D2", "paid", CNAS), ("D4", "held", 0)],
        [("C1", "fraud", CHINA_NOMINEE), ("D2", "banned", CNAS), ("D4", "banned", 0)],
        {"round": 2027, "claim_id": "C1"},
    )


def test_a_finding_that_bans_nothing_already_awarded_records_no_list(
    rules: q.RuleSet, ledger: MemoryLedger
) -> None:
    """A finding with no later award to revoke writes the fraud record as before (no key)."""
    commit(rules, ledger, batch(rules, 2027, nominee("C1", "A1")), CHINA_NOMINEE)
    finding = ledger.fraud("C1", dt.date(2028, 1, 15), 3)
    fraud = next(r for r in ledger.records() if r.kind == "fraud")
    assert (finding.banned_awards, "banned_awards" in fraud.body) == ((), False)


def test_fraud_recorded_again_names_the_same_banned_awards(banned_later: MemoryLedger) -> None:
    """Recording the finding again returns the awards it revoked and adds no record."""
    first = banned_later.fraud("C1", dt.date(2028, 3, 21), 1)
    head = banned_later.head()
    again = banned_later.fraud("C1", dt.date(2028, 3, 21), 1)
    assert (first, head, 2) == (again, banned_later.head(), len(again.banned_awards))


def test_a_later_round_does_not_pay_an_award_the_ban_revoked(
    rules: q.RuleSet, banned_later: MemoryLedger
) -> None:
    """The next round carries in only what is still owed: never the revoked awards."""
    banned_later.fraud("C1", dt.date(2028, 3, 21), 3)
    result = run_round(rules, batch(rules, 2030), banned_later, budget_yuan=1_000_000)
    assert [c.claim_id for c in result.carried_in] == ["D3"]


def test_fraud_on_an_award_an_upheld_objection_revoked_is_kept_beside_it(
    rules: q.RuleSet, ledger: MemoryLedger
) -> None:
    """第二十四条 after 第二十二条第(五)项: the held award was never paid, so nothing is
    clawed back, but the finding is recorded, says what had revoked the award, starts its
    ban, and the award's state keeps both causes."""
    commit(rules, ledger, batch(rules, 2027, leading("C1", "A1", objection=True)), LEADING)
    ledger.release("C1", dt.date(2027, 7, 1), "upheld")
    finding = ledger.fraud("C1", dt.date(2028, 1, 15), 3)
    fraud = next(r for r in ledger.records() if r.kind == "fraud")
    (state,) = ledger.awards()
    assert (
        FraudFinding("C1", "A1", 0, dt.date(2031, 1, 15), (), "objection"),
        "objection",
        ("revoked", "upheld", dt.date(2028, 1, 15), 0, 0, "objection"),
        (BanRecord("C1", dt.date(2028, 1, 15), dt.date(2031, 1, 15)),),
    ) == (
        finding,
        fraud.body["already_revoked"],
        (state.status, state.release_outcome, state.fraud_found_on, state.paid_yuan,
         state.clawed_back_yuan, state.revoked_by),
        ledger.bans(KEY_A1),
    )  # fmt: skip
    assert (ledger.fraud("C1", dt.date(2028, 1, 15), 3), ledger.verify()) == (finding, None)


def test_fraud_on_an_award_a_ban_revoked_claws_back_nothing_twice(
    banned_later: MemoryLedger,
) -> None:
    """D2, paid and then clawed back under the ban of the finding on C1 (R9), found
    fraudulent itself: no second clawback; its own ban is recorded, and the ban, first,
    stays what revoked it, the finding on C1 named."""
    banned_later.fraud("C1", dt.date(2028, 3, 21), 1)
    finding = banned_later.fraud("D2", dt.date(2028, 4, 1), 3)
    d2 = next(a for a in banned_later.awards() if a.claim_id == "D2")
    clawed = sum(
        r.body["amount_yuan"]
        for r in banned_later.records()
        if r.kind == "clawback" and r.body["claim_id"] == "D2"
    )
    assert (
        finding.clawback_yuan,
        (finding.already_revoked, finding.banned_by, finding.to_dict()["banned_by"]),
        d2.clawed_back_yuan,
        clawed,
        (d2.revoked_by, d2.banned_by, d2.fraud_found_on),
        len(banned_later.bans(KEY_A1)),
    ) == (
        0,
        ("ban", (2027, "C1"), {"round": 2027, "claim_id": "C1"}),
        CNAS,
        CNAS,
        ("ban", (2027, "C1"), dt.date(2028, 4, 1)),
        2,
    )


def test_fraud_on_an_award_a_ban_revoked_recorded_again_is_the_same_finding(
    banned_later: MemoryLedger,
) -> None:
    """The finding on D2 recorded again returns what it did (clawed back nothing), not
    what the ban of the finding on C1 clawed back from D2 before it, and records nothing."""
    banned_later.fraud("C1", dt.date(2028, 3, 21), 1)
    finding = banned_later.fraud("D2", dt.date(2028, 4, 1), 3)
    head = banned_later.head()
    again = banned_later.fraud("D2", dt.date(2028, 4, 1), 3)
    assert (again, again.clawback_yuan, banned_later.head()) == (finding, 0, head)


def test_fraud_on_a_standing_award_names_no_earlier_cause(
    rules: q.RuleSet, ledger: MemoryLedger
) -> None:
    """A paid award found fraudulent: revoked by the finding, and its record has no
    already_revoked key (records written before stay as they were)."""
    commit(rules, ledger, batch(rules, 2027, leading("C1", "A1")), LEADING)
    finding = ledger.fraud("C1", dt.date(2028, 1, 15), 3)
    fraud = next(r for r in ledger.records() if r.kind == "fraud")
    assert (
        finding.already_revoked,
        "already_revoked" in fraud.body,
        ledger.awards()[0].revoked_by,
    ) == (None, False, "fraud")


def test_fraud_on_a_claim_never_awarded_revokes_no_award(
    rules: q.RuleSet, ledger: MemoryLedger
) -> None:
    """A claim its round rejected, found fraudulent: the finding says there was no award
    to revoke (granted false, its outcome, award_revoked false), claws back nothing, and
    starts its ban; recorded again, it says the same."""
    outside = leading("C1", "A1", achieved_on="2020-01-01")  # before the measures: rejected
    commit(rules, ledger, batch(rules, 2027, outside), LEADING)
    finding = ledger.fraud("C1", dt.date(2028, 1, 15), 3)
    (state,) = ledger.awards()
    assert (
        (False, "rejected", False, None, 0),
        {"outcome": "rejected", "award_revoked": False},
        (None, None, dt.date(2031, 1, 15)),
        (BanRecord("C1", dt.date(2028, 1, 15), dt.date(2031, 1, 15)),),
    ) == (
        (finding.granted, finding.outcome, finding.award_revoked, finding.already_revoked,
         finding.clawback_yuan),
        {k: finding.to_dict()[k] for k in ("outcome", "award_revoked")},
        (state.status, state.revoked_by, state.banned_until),
        ledger.bans(KEY_A1),
    )  # fmt: skip
    assert ledger.fraud("C1", dt.date(2028, 1, 15), 3) == finding


def test_a_finding_on_a_claim_never_awarded_is_said_with_its_ban() -> None:
    """revocation() of a claim granted nothing that fraud was found on: no award to revoke,
    the finding, and the ban's end when the state holds it (an AwardState made without
    banned_until says the finding alone); with no finding, nothing."""
    state = AwardState(2027, "C1", "A1", KEY_A1, "f", "s", None, "superseded", 0, None, 0, 0,
                       fraud_found_on=dt.date(2028, 1, 15))  # fmt: skip
    banned = dataclasses.replace(state, banned_until=dt.date(2031, 1, 15))
    clean = dataclasses.replace(state, fraud_found_on=None)
    assert [revocation(banned, "en"), revocation(state, "en"), revocation(state, "zh"),
            standing(clean, "en")] == [
        "no award to revoke (superseded); fraud found on 2028-01-15 (第二十四条), banned until "
        "2031-01-15 (exclusive)",
        "no award to revoke (superseded); fraud found on 2028-01-15 (第二十四条)",
        "无奖励可撤销(就高不就低,不另奖励);2028-01-15认定弄虚作假(第二十四条)",
        None,
    ]  # fmt: skip


def test_an_award_a_ban_revoked_names_the_finding(banned_later: MemoryLedger) -> None:
    """D2 and D4, revoked under the ban of the finding on C1 (R9), name it (banned_by);
    C1, revoked by its own finding, and the awards standing name none."""
    banned_later.fraud("C1", dt.date(2028, 3, 21), 1)
    named = {a.claim_id: (a.revoked_by, a.banned_by) for a in banned_later.awards()}
    assert named == {
        "C1": ("fraud", None),
        "D1": (None, None),
        "D2": ("ban", (2027, "C1")),
        "D3": (None, None),
        "D4": ("ban", (2027, "C1")),
        "E1": (None, None),
    }


def test_fraud_on_an_unknown_claim_is_refused(ledger: MemoryLedger) -> None:
    """A claim the ledger does not hold cannot be found fraudulent."""
    with pytest.raises(LedgerError, match="no committed claim 'C9'"):
        ledger.fraud("C9", dt.date(2028, 1, 15), 3)


def test_a_reused_claim_id_needs_its_round(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """A claim id used in two rounds must be named with its round."""
    commit(rules, ledger, batch(rules, 2027, leading("C1", "A1")), LEADING)
    commit(rules, ledger, batch(rules, 2028, leading("C1", "A2")), LEADING)
    with pytest.raises(LedgerError, match="name the round"):
        ledger.fraud("C1", dt.date(2028, 6, 1), 3)
    assert ledger.fraud("C1", dt.date(2028, 6, 1), 3, round_year=2028).applicant_id == "A2"


def test_release_needs_a_held_award(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """Only an award held for an objection can be released."""
    commit(rules, ledger, batch(rules, 2027, leading("C1", "A1")), LEADING)
    with pytest.raises(LedgerError, match="not held"):
        ledger.release("C1", dt.date(2027, 7, 1), "dismissed")


def test_an_upheld_objection_names_the_top_ups_that_counted_the_award(
    rules: q.RuleSet, ledger: MemoryLedger
) -> None:
    """R5 counts a held award as earlier: A1's 2028 winner claim is topped up by 20 万 over
    the held 40 万 nominee award. Upholding the objection revokes the nominee award and
    names the top-up now short of the tier; a dismissal, or an award nothing counted,
    names none."""
    held = {**nominee("C1", "A1"), "objection": True}
    commit(rules, ledger, batch(rules, 2027, held, {**nominee("C2", "A2"), "objection": True}),
           CHINA_NOMINEE)  # fmt: skip
    winner = {**nominee("D1", "A1"), "tier": "winner"}
    commit(rules, ledger, batch(rules, 2028, winner), 1_000_000)
    upheld = ledger.release("C1", dt.date(2028, 6, 1), "upheld")
    assert upheld.counted_by == (CountedAward(2028, "D1", "a11.1.winner", 200_000),)
    assert upheld.to_dict()["counted_by"] == [
        {
            "round": 2028,
            "claim_id": "D1",
            "item": "a11.1.winner",
            "amount_yuan": 200_000,
            "outcome": "awarded",
            "reason": None,
        }
    ]
    assert ledger.release("C1", dt.date(2028, 6, 1), "upheld") == upheld  # recorded again
    assert ledger.release("C2", dt.date(2028, 6, 1), "upheld").counted_by == ()


def test_an_upheld_objection_names_the_claims_rejected_counting_the_award(
    rules: q.RuleSet, ledger: MemoryLedger
) -> None:
    """R5 counts a held award as earlier: A1's 2028 nominee claim of the same award is
    rejected already_awarded against the held 2027 winner award. Upholding the objection
    revokes the winner award, and the release names the rejected claim (its amount 0);
    a later claim of the qualification rejected for another reason is not named."""
    held = {**nominee("C1", "A1"), "tier": "winner", "objection": True}
    commit(rules, ledger, batch(rules, 2027, held), CHINA_NOMINEE)
    commit(rules, ledger, batch(rules, 2028, nominee("D1", "A1")), 1_000_000)
    (d1,) = ledger.round_records(2028)[1:2]
    assert d1.body["decision"]["reasons"] == ["already_awarded"]
    upheld = ledger.release("C1", dt.date(2028, 6, 1), "upheld")
    counted = CountedAward(2028, "D1", "a11.1.nominee", 0, "rejected", "already_awarded")
    assert upheld.counted_by == (counted,)
    assert upheld.to_dict()["counted_by"] == [
        {
            "round": 2028,
            "claim_id": "D1",
            "item": "a11.1.nominee",
            "amount_yuan": 0,
            "outcome": "rejected",
            "reason": "already_awarded",
        }
    ]


def test_a_claim_rejected_for_another_reason_is_not_named(
    rules: q.RuleSet, ledger: MemoryLedger
) -> None:
    """A later claim of the qualification rejected for a reason of its own (other support,
    第十七条), not already_awarded, was not decided by the held award: the release upheld
    names none."""
    held = {**nominee("C1", "A1"), "objection": True}
    commit(rules, ledger, batch(rules, 2027, held), CHINA_NOMINEE)
    winner = {**nominee("D1", "A1"), "tier": "winner", "other_support": ["某项目资金"]}
    commit(rules, ledger, batch(rules, 2028, winner), 1_000_000)
    (d1,) = ledger.round_records(2028)[1:2]
    assert d1.body["decision"]["outcome"] == "rejected"
    assert "already_awarded" not in d1.body["decision"]["reasons"]
    assert ledger.release("C1", dt.date(2028, 6, 1), "upheld").counted_by == ()


def test_release_recorded_again_records_nothing(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """The same resolution twice adds no record; another resolution is refused."""
    commit(rules, ledger, batch(rules, 2027, leading("C1", "A1", objection=True)), LEADING)
    ledger.release("C1", dt.date(2027, 7, 1), "dismissed")
    head = ledger.head()
    ledger.release("C1", dt.date(2027, 7, 1), "dismissed")
    with pytest.raises(LedgerError, match="already dismissed"):
        ledger.release("C1", dt.date(2027, 7, 1), "upheld")
    assert head == ledger.head()


def test_release_on_another_date_is_refused(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """The same outcome on another date is refused, naming the outcome and date recorded."""
    commit(rules, ledger, batch(rules, 2027, leading("C1", "A1", objection=True)), LEADING)
    ledger.release("C1", dt.date(2027, 5, 1), "dismissed")
    head = ledger.head()
    with pytest.raises(LedgerError, match="objection already dismissed on 2027-05-01"):
        ledger.release("C1", dt.date(2027, 6, 1), "dismissed")
    assert head == ledger.head()


def test_release_before_the_claim_was_submitted_is_refused(
    rules: q.RuleSet, ledger: MemoryLedger
) -> None:
    """A resolution dated before the claim was submitted is refused, naming both dates."""
    commit(rules, ledger, batch(rules, 2027, leading("C1", "A1", objection=True)), LEADING)
    head = ledger.head()
    with pytest.raises(
        LedgerError,
        match=r"SqliteLedger.release: claim 'C1': an objection resolved on 2027-03-19 is "
        r"before the claim was submitted \(2027-03-20\)",
    ):
        ledger.release("C1", dt.date(2027, 3, 19), "dismissed")
    assert head == ledger.head()
    assert ledger.release("C1", dt.date(2027, 3, 20), "dismissed").status == "deferred"


def test_release_before_publicity_is_refused(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """A resolution dated before the round's publicity started is refused (第二十二条)."""
    b = batch(rules, 2027, leading("C1", "A1", objection=True))
    run_round(rules, b, ledger, budget_yuan=LEADING, publicity_start=dt.date(2027, 6, 1)).commit(
        ledger
    )
    head = ledger.head()
    with pytest.raises(
        LedgerError,
        match=r"SqliteLedger.release: claim 'C1': an objection resolved on 2027-05-31 is "
        r"before the publicity of round 2027 started \(2027-06-01\)",
    ):
        ledger.release("C1", dt.date(2027, 5, 31), "upheld")
    assert head == ledger.head()
    assert ledger.release("C1", dt.date(2027, 6, 1), "upheld").status == "revoked"


def test_a_repeated_release_is_compared_with_its_own_round(
    rules: q.RuleSet, ledger: MemoryLedger
) -> None:
    """With a claim id reused across rounds, a repeat is checked against its round's release."""
    commit(rules, ledger, batch(rules, 2027, leading("C1", "A1", objection=True)), LEADING)
    ledger.release("C1", dt.date(2027, 5, 1), "dismissed", round_year=2027)
    commit(rules, ledger, batch(rules, 2028, leading("C1", "A2", objection=True)), 0)
    ledger.release("C1", dt.date(2028, 5, 1), "dismissed", round_year=2028)
    head = ledger.head()
    ledger.release("C1", dt.date(2028, 5, 1), "dismissed", round_year=2028)
    with pytest.raises(LedgerError, match="already dismissed on 2028-05-01"):
        ledger.release("C1", dt.date(2027, 5, 1), "dismissed", round_year=2028)
    assert head == ledger.head()


@pytest.mark.parametrize("found_on", [dt.date(9997, 1, 1), dt.date(9999, 12, 31)])
def test_a_ban_ending_after_year_9999_is_refused(
    rules: q.RuleSet, found_on: dt.date, ledger: MemoryLedger
) -> None:
    """A finding whose ban would end after 9999-12-31 is a LedgerError; nothing is written."""
    commit(rules, ledger, batch(rules, 2027, leading("C1", "A1")), LEADING)
    head = ledger.head()
    with pytest.raises(LedgerError, match=f"3-year ban from {found_on} would end after year 9999"):
        ledger.fraud("C1", found_on, 3)
    assert (head, "paid") == (ledger.head(), ledger.awards()[0].status)


def test_a_ban_ending_on_the_last_day_is_recorded(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """A finding on 9996-12-31 bans until 9999-12-31, the last date there is."""
    commit(rules, ledger, batch(rules, 2027, leading("C1", "A1")), LEADING)
    assert dt.date(9999, 12, 31) == ledger.fraud("C1", dt.date(9996, 12, 31), 3).banned_until


# --- records and the hash chain -------------------------------------------------------


def test_records_of_a_year(two_rounds: Path) -> None:
    """show --year keeps the records of that round year and its budget year."""
    with SqliteLedger(two_rounds, create=False) as ledger:
        kinds = [r.kind for r in ledger.records(year=2028)]
    assert kinds == ["round", "decision", "allocation", "allocation", "allocation", "release"]


def test_each_hash_is_sha256_of_prev_hash_and_body(two_rounds: Path) -> None:
    """hash = sha256(prev_hash + canonical body), and prev_hash is the previous hash."""
    conn = sqlite3.connect(two_rounds)
    rows = conn.execute("SELECT body, prev_hash, hash FROM records ORDER BY seq").fetchall()
    conn.close()
    prev = "0" * 64
    for body, prev_hash, digest in rows:
        assert (prev, hashlib.sha256((prev + body).encode()).hexdigest()) == (prev_hash, digest)
        prev = digest


def test_bodies_are_canonical_json(two_rounds: Path) -> None:
    """Every body is sorted-key compact JSON with Chinese kept as is."""
    with SqliteLedger(two_rounds, create=False) as ledger:
        records = ledger.records()
    conn = sqlite3.connect(two_rounds)
    texts = [b for (b,) in conn.execute("SELECT body FROM records ORDER BY seq")]
    conn.close()
    assert texts == [canonical_json(r.body) for r in records]


def test_canonical_json_refuses_floats() -> None:
    """No float ever enters a record (rulings R1)."""
    with pytest.raises(LedgerError, match="float"):
        canonical_json({"amount_yuan": 1.0})  # type: ignore[dict-item]


def test_an_intact_ledger_verifies(two_rounds: Path) -> None:
    """verify() finds nothing wrong in a ledger written only by qfund."""
    with SqliteLedger(two_rounds, create=False) as ledger:
        assert ledger.verify() is None


def test_records_are_append_only(two_rounds: Path) -> None:
    """Updating or deleting a record through SQL is refused while the triggers stand."""
    conn = sqlite3.connect(two_rounds)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM records WHERE seq = 1")
    conn.close()


TAMPERING: dict[str, tuple[str, int | None, str]] = {
    "body edited": (
        "UPDATE records SET body = replace(body, '200000', '200001') WHERE seq = 7",
        7,
        "edited",
    ),
    "middle record deleted": ("DELETE FROM records WHERE seq = 5", 5, "missing"),
    "last record deleted": ("DELETE FROM records WHERE seq = 16", 16, "missing"),
    "two records swapped": (
        "UPDATE records SET seq = -1 WHERE seq = 3; UPDATE records SET seq = 3 WHERE seq = 6;"
        "UPDATE records SET seq = 6 WHERE seq = -1",
        3,
        "reordered",
    ),
    "kind edited": ("UPDATE records SET kind = 'ban' WHERE seq = 2", 2, "edited"),
    "index edited": ("UPDATE claims SET amount_yuan = 1 WHERE claim_id = 'C2'", None, "index"),
}


@pytest.mark.parametrize(("sql", "seq", "word"), TAMPERING.values(), ids=list(TAMPERING))
def test_tampering_is_found(two_rounds: Path, sql: str, seq: int | None, word: str) -> None:
    """verify() names the first record edited, deleted or reordered."""
    tamper(two_rounds, sql)
    with SqliteLedger(two_rounds, create=False) as ledger:
        fault = ledger.verify()
    assert fault is not None
    assert (seq, True) == (fault.seq, word in str(fault))


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE meta SET value = 'x' WHERE key = 'head_hash'",
        "UPDATE meta SET value = '15' WHERE key = 'head_seq'",
        "UPDATE meta SET value = '17' WHERE key = 'head_seq'",
    ],
    ids=["hash", "seq lowered", "seq raised"],
)
def test_an_edited_head_is_named_as_such(two_rounds: Path, sql: str) -> None:
    """A head edited in meta is reported as the head not matching the last record, not a cut."""
    tamper(two_rounds, sql)
    with SqliteLedger(two_rounds, create=False) as ledger:
        fault = ledger.verify()
    assert fault is not None
    text = str(fault)
    assert (
        fault.kind,
        fault.seq,
        text.startswith("head: edited: the stored head") and "last record (record 16" in text,
        "deleted" in text,
    ) == ("head", None, True, False), text


def test_a_rehashed_edit_is_found_at_the_edited_record(two_rounds: Path) -> None:
    """A record edited and given a matching hash breaks the next record's link to it."""
    conn = sqlite3.connect(two_rounds)
    body, prev = conn.execute("SELECT body, prev_hash FROM records WHERE seq = 7").fetchone()
    conn.close()
    forged = body.replace("200000", "200001")
    digest = hashlib.sha256((prev + forged).encode()).hexdigest()
    tamper(two_rounds, "UPDATE records SET body = ?, hash = ? WHERE seq = 7", (forged, digest))
    with SqliteLedger(two_rounds, create=False) as ledger:
        fault = ledger.verify()
    assert fault is not None
    assert fault.seq == 7


def test_commit_refuses_a_ledger_whose_head_was_cut(rules: q.RuleSet, two_rounds: Path) -> None:
    """Writing after the last record was deleted is refused instead of hiding the cut."""
    tamper(two_rounds, "DELETE FROM records WHERE seq = 16")
    with (
        SqliteLedger(two_rounds, create=False) as ledger,
        pytest.raises(LedgerError, match=r"fails verification \(record 16: missing"),
    ):
        ledger.fraud("C2", dt.date(2029, 1, 1), 3)


#: Edits that leave the head alone: an allocation's record rewritten (owed award marked
#: paid), and a ban deleted from the index (no trigger guards the index tables).
EDITS: dict[str, tuple[str, str]] = {
    "record edited": (
        'UPDATE records SET body = replace(body, \'"status":"deferred"\', '
        '\'"status":"paid"\') WHERE seq = 6;'
        "UPDATE claims SET status = 'paid' WHERE claim_id = 'C2'",
        "record 6 (allocation): edited",
    ),
    "index edited": ("DELETE FROM bans", "index: edited: index table bans"),
}

#: Each write of the ledger, on the two_rounds ledger (A1 banned from 2027-12-01).
WRITES: dict[str, Callable[[SqliteLedger, q.RuleSet], object]] = {
    "commit_round": lambda ledger, rules: commit(
        rules, ledger, batch(rules, 2029, leading("E1", "A1")), LEADING
    ),
    "fraud": lambda ledger, rules: ledger.fraud("C2", dt.date(2029, 1, 1), 3),
    "release": lambda ledger, rules: ledger.release("D1", dt.date(2028, 7, 1), "dismissed"),
}


@pytest.mark.parametrize(("sql", "fault"), EDITS.values(), ids=list(EDITS))
@pytest.mark.parametrize("write", WRITES.values(), ids=list(WRITES))
def test_a_write_refuses_a_ledger_that_fails_verification(
    rules: q.RuleSet,
    two_rounds: Path,
    write: Callable[[SqliteLedger, q.RuleSet], object],
    sql: str,
    fault: str,
) -> None:
    """commit_round, fraud and release refuse an edited ledger, naming the fault; no write."""
    tamper(two_rounds, sql)
    before = two_rounds.read_bytes()
    with SqliteLedger(two_rounds, create=False) as ledger:
        with pytest.raises(LedgerError) as caught:
            write(ledger, rules)
        message = str(caught.value)
    assert (True, True, before) == (
        f"fails verification ({fault}" in message,
        message.endswith(f"check it with `qfund ledger verify --ledger {two_rounds}`"),
        two_rounds.read_bytes(),
    ), message


def test_require_intact_verifies_once_per_write_transaction(
    two_rounds: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inside one write transaction the ledger is verified once, not before every write."""
    with SqliteLedger(two_rounds, create=False) as ledger:
        calls: list[None] = []
        verify = ledger.verify

        def counted() -> object:
            calls.append(None)
            return verify()

        monkeypatch.setattr(ledger, "verify", counted)
        with ledger.transaction():
            ledger.require_intact()
            ledger.fraud("C2", dt.date(2029, 1, 1), 3)
            ledger.fraud("C3", dt.date(2029, 1, 1), 3)
        ledger.release("D1", dt.date(2028, 7, 1), "dismissed")  # a transaction of its own
    assert len(calls) == 2


# --- the file and its schema -----------------------------------------------------------


def _user_version(path: Path) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def test_schema_version_is_recorded(rules: q.RuleSet, tmp_path: Path) -> None:
    """A new ledger file carries the schema version in PRAGMA user_version, written with
    its first record."""
    with SqliteLedger(tmp_path / "new.db") as ledger:
        commit(rules, ledger, batch(rules, 2027, leading("C1", "A1")), LEADING)
    assert _user_version(tmp_path / "new.db") == SCHEMA_VERSION


def test_an_empty_file_is_written_only_with_its_first_record(
    rules: q.RuleSet, tmp_path: Path
) -> None:
    """An empty file opened to write reads as an empty ledger; a write refused, and a
    transaction that records nothing, leave it 0 bytes with no journal beside it."""
    path = tmp_path / "empty.db"
    path.touch()
    with SqliteLedger(path, create=False) as ledger:
        with pytest.raises(LedgerError, match="no committed claim 'C1'"):
            ledger.fraud("C1", dt.date(2028, 1, 15), 3)
        with ledger.transaction():
            seen = (ledger.head(), ledger.verify())
        after_refusals = (path.read_bytes(), sorted(p.name for p in tmp_path.iterdir()))
        commit(rules, ledger, batch(rules, 2027, leading("C1", "A1")), LEADING)
        written = (ledger.head()[0], ledger.verify())
    assert (*seen, *after_refusals) == ((0, GENESIS), None, b"", ["empty.db"])
    assert (written, _user_version(path)) == ((3, None), SCHEMA_VERSION)


def test_an_empty_file_reads_what_another_process_wrote_to_it(
    rules: q.RuleSet, tmp_path: Path
) -> None:
    """Two ledgers open on one empty file: a round the second commits is seen by the first,
    which then commits nothing over it."""
    path = tmp_path / "shared.db"
    path.touch()
    b27 = batch(rules, 2027, leading("C1", "A1"))
    with SqliteLedger(path) as first, SqliteLedger(path) as second:
        assert first.head() == (0, GENESIS)
        commit(rules, second, b27, LEADING)
        seen = (first.head(), first.round_years(), first.verify())
        again = run_round(rules, b27, first, budget_yuan=LEADING, publicity_start=None)
    assert (seen, again.recorded) == ((second_head(path), (2027,), None), True)


@pytest.mark.parametrize("lookup", ["prior_awards", "bans"])
def test_an_empty_file_answers_lookups_with_what_another_process_wrote(
    rules: q.RuleSet, tmp_path: Path, lookup: str
) -> None:
    """A history lookup outside a snapshot, on an empty file another ledger then wrote its
    first records to, finds them: the award of A1, the ban of A2."""
    path = tmp_path / "shared.db"
    path.touch()
    with SqliteLedger(path) as first, SqliteLedger(path) as second:
        before = (first.prior_awards(KEY_A1, "a11.leading_enterprise", "A1"), first.bans(KEY_A2))
        b27 = batch(rules, 2027, leading("C1", "A1"), leading("C2", "A2"))
        commit(rules, second, b27, 2 * LEADING)
        second.fraud("C2", dt.date(2027, 12, 1), 3)
        found = (
            first.prior_awards(KEY_A1, "a11.leading_enterprise", "A1")
            if lookup == "prior_awards"
            else first.bans(KEY_A2)
        )
    expected = {
        "prior_awards": (PriorAward("C1", "a11.4", LEADING, 2027),),
        "bans": (BanRecord("C2", dt.date(2027, 12, 1), dt.date(2030, 12, 1)),),
    }
    assert (((), ()), expected[lookup]) == (before, found)


def second_head(path: Path) -> tuple[int, str]:
    """The head of the ledger file at ``path``, read afresh."""
    with SqliteLedger(path, readonly=True) as ledger:
        return ledger.head()


def test_migration_from_an_empty_file() -> None:
    """migrate() takes a version-0 database to the current schema."""
    with closing(sqlite3.connect(":memory:", isolation_level=None)) as conn:
        assert (
            migrate(conn, 0),
            conn.execute("PRAGMA user_version").fetchone()[0],
        ) == (SCHEMA_VERSION, SCHEMA_VERSION)


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    """A ledger written by a newer qfund is not opened."""
    path = tmp_path / "new.db"
    SqliteLedger(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(LedgerError, match="newer"):
        SqliteLedger(path)


def test_another_sqlite_database_is_refused(tmp_path: Path) -> None:
    """A SQLite file that is not a qfund ledger is not touched."""
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    with pytest.raises(LedgerError, match="not a qfund ledger"):
        SqliteLedger(path)


def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    """A file that is not a database is refused with a ledger error."""
    path = tmp_path / "notes.db"
    path.write_text("hello, this is not a database" * 100)
    with pytest.raises(LedgerError, match="not a usable qfund ledger"):
        SqliteLedger(path)


def test_a_missing_file_is_refused_without_create(tmp_path: Path) -> None:
    """create=False refuses a missing file and creates nothing."""
    with pytest.raises(LedgerError, match="no such ledger file"):
        SqliteLedger(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()


@pytest.mark.parametrize(
    "options",
    [{}, {"create": False}, {"readonly": True}],
    ids=["create", "no-create", "readonly"],
)
def test_a_directory_is_refused_as_a_directory(tmp_path: Path, options: dict[str, bool]) -> None:
    """A directory given as the ledger is named as one, not as a missing file."""
    with pytest.raises(LedgerError, match="is a directory, not a ledger file"):
        SqliteLedger(tmp_path, **options)


def test_a_refused_path_is_named_escaped(tmp_path: Path) -> None:
    """A directory given as the ledger, its name holding a line break, is named escaped, so
    the message stays on one line."""
    folder = tmp_path / "a\nb"
    folder.mkdir()
    with pytest.raises(LedgerError) as info:
        SqliteLedger(folder)
    assert f"{str(folder)!r}: is a directory, not a ledger file" == str(info.value)


def _garbage(path: Path) -> None:
    path.write_bytes(b"not a database, but long enough to be read as one " * 40)
    SqliteLedger(path)


def _other_tables(path: Path) -> None:
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.commit()
    SqliteLedger(path)


def _read_only_write(path: Path) -> None:
    SqliteLedger(path).close()
    with SqliteLedger(path, readonly=True) as ledger, ledger.transaction():
        pass  # pragma: no cover - refused before


def _unknown_claim(path: Path) -> None:
    with SqliteLedger(path) as ledger:
        ledger.fraud("C9", dt.date(2028, 1, 15), 3)


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (_garbage, "{}: not a usable qfund ledger: file is not a database"),
        (_other_tables, "{}: not a qfund ledger (it holds other tables)"),
        (_read_only_write, "{}: the ledger is open read-only; nothing was written"),
        (_unknown_claim, "no committed claim 'C9' in {}"),
    ],
    ids=["not a database", "other tables", "read-only", "unknown claim"],
)
def test_every_ledger_error_names_its_path_escaped(
    tmp_path: Path, make: Callable[[Path], None], said: str
) -> None:
    """A ledger file whose name holds a line break is named escaped by every LedgerError
    (shown_path, as _check_path names it), so each message stays on one line."""
    path = tmp_path / "a\nb.db"
    with pytest.raises(LedgerError) as info:
        make(path)
    assert str(info.value) == said.format(repr(str(path)))


def test_a_ledger_failing_verification_is_named_escaped(two_rounds: Path) -> None:
    """require_intact names the file escaped, and offers no command to paste, which could
    not name it: it names the command on that file."""
    path = Path(shutil.copy(two_rounds, two_rounds.with_name("a\nb.db")))
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("DELETE FROM bans")
        conn.commit()
    with SqliteLedger(path) as ledger, pytest.raises(LedgerError) as info:
        ledger.require_intact()
    shown = repr(str(path))
    assert (str(info.value).startswith(f"{shown} fails verification ("), "\n" in str(info.value),
            "`" in str(info.value),
            str(info.value).endswith("; check it with qfund ledger verify on that file")) == (
        True, False, False, True)  # fmt: skip


@pytest.mark.parametrize(
    ("sql", "said"),
    [
        (
            "UPDATE meta SET value = '3' WHERE key = 'head_seq'",
            "{path}: the last record does not match the ledger head",
        ),
        (
            "DELETE FROM records WHERE kind = 'decision' AND body LIKE '%\"C2\"%'",
            "{path}: claim 'C2': the index records a claim the chain does not hold",
        ),
    ],
    ids=["head", "claim"],
)
def test_an_index_the_chain_does_not_hold_suggests_a_command_to_paste(
    two_rounds: Path, monkeypatch: pytest.MonkeyPatch, sql: str, said: str
) -> None:
    """A write finding the chain short of the head or of a claim of the index (faults
    verify would have reported first, were it not skipped here) names the file and
    suggests `qfund ledger verify` on it, its path shell-quoted to be pasted."""
    path = Path(shutil.copy(two_rounds, two_rounds.with_name("my fund's.db")))
    tamper(path, sql)
    monkeypatch.setattr(SqliteLedger, "verify", lambda self: None)
    with SqliteLedger(path) as ledger, pytest.raises(LedgerError) as info:
        ledger.fraud("C2", dt.date(2028, 1, 15), 3)
    quoted = shlex.quote(str(path))
    assert (quoted != str(path), str(info.value)) == (
        True,
        f"{said.format(path=path)}; run `qfund ledger verify --ledger {quoted}`",
    )


@pytest.mark.parametrize(
    "open_ledger",
    [MemoryLedger, lambda: SqliteLedger(":memory:"), lambda: SqliteLedger(Path(":memory:"))],
    ids=["MemoryLedger", "SqliteLedger(':memory:')", "SqliteLedger(Path(':memory:'))"],
)
def test_a_memory_ledger_suggests_its_verify_method_not_a_command(
    rules: q.RuleSet, monkeypatch: pytest.MonkeyPatch, open_ledger: Callable[[], SqliteLedger]
) -> None:
    """A ledger in memory cannot be reached by `qfund ledger verify --ledger :memory:`
    (that would open a new, empty one): its messages point at its own verify(), whether
    it is a MemoryLedger or a SqliteLedger opened on ':memory:'."""
    with open_ledger() as ledger:
        commit(rules, ledger, batch(rules, 2027, leading("C2", "A2")), LEADING)
        ledger._conn.executescript(
            "DROP TRIGGER records_no_update; DROP TRIGGER records_no_delete;"
            "UPDATE meta SET value = '99' WHERE key = 'head_seq';"
        )
        monkeypatch.setattr(SqliteLedger, "verify", lambda self: None)
        with pytest.raises(LedgerError) as info:
            ledger.fraud("C2", dt.date(2028, 1, 15), 3)
    message = str(info.value)
    assert (message.endswith("; run its `verify()`"), "qfund ledger verify" in message) == (
        True,
        False,
    )


@pytest.mark.parametrize(
    ("name", "shown", "why"),
    [
        ("a\x00b", r"'a\x00b'", "the path holds a NUL character (U+0000), which no file name can"),
        (
            "a\ud800b",
            r"'a\ud800b'",
            "the path holds U+D800, which no file name can (an unpaired surrogate)",
        ),
    ],
    ids=["nul", "surrogate"],
)
@pytest.mark.parametrize(
    "options",
    [{}, {"create": False}, {"readonly": True}],
    ids=["create", "no-create", "readonly"],
)
def test_a_path_no_file_can_have_is_a_ledger_error(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    shown: str,
    why: str,
    options: dict[str, bool],
) -> None:
    """A ledger path no file can have is a LedgerError naming it escaped, as load_rules and
    load_batch name it, not the OS layer's ValueError nor "no such ledger file"; nothing is
    created."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(LedgerError) as info:
        SqliteLedger(name, **options)
    assert (f"{shown}: cannot open the ledger: {why}", []) == (
        str(info.value),
        list(tmp_path.iterdir()),
    )


# --- read-only ------------------------------------------------------------------------


def _file_state(*paths: Path) -> list[tuple[bytes, int]]:
    """Each file's bytes and modification time, to show a reader wrote nothing."""
    return [(p.read_bytes(), p.stat().st_mtime_ns) for p in paths]


def test_readonly_reads_an_empty_file_as_an_empty_ledger(tmp_path: Path) -> None:
    """An empty file opened read-only is an empty, intact ledger, and stays 0 bytes."""
    path = tmp_path / "empty.db"
    path.touch()
    before = _file_state(path)
    with SqliteLedger(path, readonly=True) as ledger:
        seen = (ledger.head(), ledger.records(), ledger.pending(), ledger.verify())
    assert ((0, GENESIS), (), (), None, before) == (*seen, _file_state(path))


def test_readonly_reads_a_ledger_without_writing(two_rounds: Path) -> None:
    """A ledger opened read-only gives the same answers as one opened for writing."""
    with SqliteLedger(two_rounds, create=False) as ledger:
        expected = (ledger.head(), ledger.records(), ledger.awards(), ledger.bans(KEY_A1))
    before = _file_state(two_rounds)
    with SqliteLedger(two_rounds, readonly=True) as ledger:
        seen = (ledger.head(), ledger.records(), ledger.awards(), ledger.bans(KEY_A1))
        assert ledger.verify() is None
    assert (expected, before) == (seen, _file_state(two_rounds))


READONLY_WRITES: dict[str, Callable[[SqliteLedger, q.RuleSet], object]] = {
    "commit_round": lambda ledger, rules: run_round(
        rules,
        batch(rules, 2029, leading("E1", "A1")),
        ledger,
        budget_yuan=LEADING,
        publicity_start=dt.date(2029, 3, 20),
    ).commit(ledger),
    "fraud": lambda ledger, rules: ledger.fraud("C2", dt.date(2029, 1, 1), 3),
    "release again": lambda ledger, rules: ledger.release("D1", dt.date(2028, 7, 1), "dismissed"),
}


@pytest.mark.parametrize("write", READONLY_WRITES.values(), ids=list(READONLY_WRITES))
def test_readonly_refuses_every_write(
    rules: q.RuleSet, two_rounds: Path, write: Callable[[SqliteLedger, q.RuleSet], object]
) -> None:
    """Writing through a read-only ledger raises LedgerError, and the file is unchanged."""
    before = _file_state(two_rounds)
    with (
        SqliteLedger(two_rounds, readonly=True) as ledger,
        pytest.raises(LedgerError, match="open read-only; nothing was written"),
    ):
        write(ledger, rules)
    assert before == _file_state(two_rounds)


def test_readonly_refuses_a_missing_file(tmp_path: Path) -> None:
    """readonly=True never creates a file, whatever create says."""
    with pytest.raises(LedgerError, match="no such ledger file"):
        SqliteLedger(tmp_path / "missing.db", readonly=True)
    assert not (tmp_path / "missing.db").exists()


def test_readonly_refuses_an_older_schema(
    two_rounds: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file at an older non-zero schema version is not migrated by a reader."""
    monkeypatch.setattr("qfund_rules.ledger.SCHEMA_VERSION", SCHEMA_VERSION + 1)
    before = _file_state(two_rounds)
    with pytest.raises(LedgerError, match=f"version {SCHEMA_VERSION} needs migrating"):
        SqliteLedger(two_rounds, readonly=True)
    assert before == _file_state(two_rounds)


def test_readonly_refuses_another_sqlite_database(tmp_path: Path) -> None:
    """A SQLite file with other tables is not taken for an empty ledger."""
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    with pytest.raises(LedgerError, match="not a qfund ledger"):
        SqliteLedger(path, readonly=True)


_INTERRUPTED = """
import os, sqlite3, sys
conn = sqlite3.connect(sys.argv[2], isolation_level=None)
conn.execute("PRAGMA cache_size = 1")  # changed pages reach the file before COMMIT
conn.execute("BEGIN IMMEDIATE")
conn.execute("UPDATE meta SET value = '999' WHERE key = 'head_seq'")
conn.execute("CREATE TABLE junk (x)")
conn.executemany("INSERT INTO junk VALUES (?)", [("x" * 1000,)] * 500)
os._exit(0)  # gone before COMMIT: the journal is left hot
"""


def test_readonly_reads_a_hot_journal_as_rolled_back(two_rounds: Path) -> None:
    """After an interrupted commit a reader sees the ledger as it was, and leaves both files."""
    with SqliteLedger(two_rounds, create=False) as ledger:
        head = ledger.head()
    pristine = two_rounds.read_bytes()
    subprocess.run(_python(_INTERRUPTED, two_rounds), check=True, timeout=60)
    journal = two_rounds.with_name(two_rounds.name + "-journal")
    assert (journal.exists(), two_rounds.read_bytes() != pristine) == (True, True)
    before = _file_state(two_rounds, journal)
    with SqliteLedger(two_rounds, readonly=True) as ledger:
        seen = (ledger.head(), ledger.verify())
    assert ((head, None), before) == (seen, _file_state(two_rounds, journal))
    with SqliteLedger(two_rounds, create=False) as ledger:  # the next writer rolls it back
        assert (head, False) == (ledger.head(), journal.exists())


def test_readonly_reads_a_hot_journal_through_a_symlink(two_rounds: Path, tmp_path: Path) -> None:
    """The journal is beside the file a symlink points to, and is found there."""
    with SqliteLedger(two_rounds, create=False) as ledger:
        head = ledger.head()
    subprocess.run(_python(_INTERRUPTED, two_rounds), check=True, timeout=60)
    link = tmp_path / "elsewhere" / "link.db"
    link.parent.mkdir()
    link.symlink_to(two_rounds)
    with SqliteLedger(link, readonly=True) as ledger:
        assert (ledger.head(), ledger.verify()) == (head, None)


def test_readonly_refuses_a_journal_rolled_back_while_it_is_copied(
    two_rounds: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer rolling the journal back while a reader copies it: the reader asks for a rerun."""
    subprocess.run(_python(_INTERRUPTED, two_rounds), check=True, timeout=60)
    copyfile = shutil.copyfile

    def copy_then_touch(src: Path, dst: Path) -> Path:
        copied = copyfile(src, dst)
        stamp = two_rounds.stat().st_mtime_ns + 1_000_000
        os.utime(two_rounds, ns=(stamp, stamp))  # as a writer's rollback would
        return copied

    monkeypatch.setattr("qfund_rules.ledger.shutil.copyfile", copy_then_touch)
    with pytest.raises(LedgerError, match="changed while it was read; run again"):
        SqliteLedger(two_rounds, readonly=True)


# --- processes ------------------------------------------------------------------------

_BIG_ROUND = """
import sys
import qfund_rules as q
from qfund_rules.allocation import run_round
from qfund_rules.ledger import SqliteLedger
rules = q.load_rules(sys.argv[1])
n = int(sys.argv[3])
data = {
    "round": 2028, "submitted_on": "2028-03-20",
    "applicants": [{"id": f"A{i}", "name": f"哈密{i}", "org_type": "enterprise",
                    "region": "650502"} for i in range(n)],
    "claims": [{"id": f"C{i}", "applicant": f"A{i}", "kind": "qc_group", "level": "national",
                "achieved_on": "2027-11-01", "subject": f"QC{i}"} for i in range(n)],
}
batch = q.batch_from_data(data, industry_codes=rules.industry_codes)
ledger = SqliteLedger(sys.argv[2])
result = run_round(rules, batch, ledger, publicity_start=batch.submitted_on)
print("committing", flush=True)
result.commit(ledger)
print("done", flush=True)
"""

_RACE = """
import pathlib, sys, time
import qfund_rules as q
from qfund_rules.allocation import run_round
from qfund_rules.ledger import SqliteLedger
rules = q.load_rules(sys.argv[1])
batch = q.load_batch(sys.argv[3], industry_codes=rules.industry_codes)
ledger = SqliteLedger(sys.argv[2])
go = pathlib.Path(sys.argv[4])
while not go.exists():
    time.sleep(0.001)
if sys.argv[5] == "locked":
    with ledger.transaction():
        print(run_round(rules, batch, ledger, publicity_start=batch.submitted_on).commit(ledger))
else:
    print(run_round(rules, batch, ledger, publicity_start=batch.submitted_on).commit(ledger))
"""


def _python(script: str, *args: str | Path) -> list[str]:
    return [sys.executable, "-c", script, str(RULES_DIR), *map(str, args)]


@pytest.mark.parametrize("mode", ["locked", "unlocked"])
def test_two_processes_committing_at_once_pay_once(
    rules: q.RuleSet, tmp_path: Path, mode: str
) -> None:
    """Two processes committing one round together: one records it, the other nothing."""
    path, go = tmp_path / "fund.db", tmp_path / "go"
    SqliteLedger(path).close()
    b = batch(rules, 2027, leading("C1", "A1"), leading("C2", "A2"), nominee("C3", "A3"))
    batch_file = tmp_path / "b.json"
    batch_file.write_text(json.dumps(q.batch_to_data(b), ensure_ascii=False))
    procs = [
        subprocess.Popen(
            _python(_RACE, path, batch_file, go, mode), stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    time.sleep(1.0)  # both are loaded and waiting
    go.touch()
    outputs = sorted(p.communicate(timeout=60)[0].strip() for p in procs)
    with SqliteLedger(path, create=False) as ledger:
        paid = sum(a.paid_yuan for a in ledger.awards())
        assert ledger.verify() is None
    assert (outputs, paid) == (["False", "True"], 2 * LEADING + CHINA_NOMINEE)


def test_a_round_reads_one_state_of_the_ledger(rules: q.RuleSet, tmp_path: Path) -> None:
    """A commit another connection tries while a round is being computed waits until the
    round has read the ledger (here: longer than its timeout, so it is refused); the round
    never sees a ledger half before and half after it (the unlocked race above)."""
    path = tmp_path / "fund.db"
    SqliteLedger(path).close()
    b = batch(rules, 2027, leading("C1", "A1"), nominee("C2", "A2"))
    start = last_submitted(b)
    tried: list[str] = []

    def evaluator(r: q.RuleSet, bt: q.Batch, history: q.History) -> q.Evaluation:
        with SqliteLedger(path, timeout=0.05) as other:
            try:
                tried.append(str(run_round(r, bt, other, publicity_start=start).commit(other)))
            except LedgerError as exc:
                tried.append("refused" if "locked" in str(exc) else str(exc))
        return q.evaluate(r, bt, history)

    with SqliteLedger(path) as ledger:
        run_round(rules, b, ledger, publicity_start=start, evaluator=evaluator)
        assert ledger.round_years() == ()
    assert tried == ["refused"]


def _snapshot(path: Path) -> tuple[tuple[int, str], tuple[int, ...], int]:
    with SqliteLedger(path, create=False) as ledger:
        assert ledger.verify() is None
        return ledger.head(), ledger.round_years(), len(ledger.records())


def _start_big_round(path: Path, n: int) -> subprocess.Popen[str]:
    """A process committing round 2028 of ``n`` claims, once it printed "committing"."""
    proc = subprocess.Popen(_python(_BIG_ROUND, path, str(n)), stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "committing"
    return proc


def test_a_process_killed_mid_commit_leaves_the_ledger_whole(
    rules: q.RuleSet, tmp_path: Path
) -> None:
    """SIGKILL at a random moment of a commit: the ledger has the whole round or nothing."""
    n = 1500
    rng = random.Random(20270320)  # noqa: S311 - reproducible kill moments, not secrets

    def ledger_with_2027(name: str) -> Path:
        path = tmp_path / name
        with SqliteLedger(path) as ledger:
            commit(rules, ledger, batch(rules, 2027, leading("C1", "A1")), LEADING)
        return path

    # One commit left to finish, to learn how long a commit takes here.
    path = ledger_with_2027("timed.db")
    before = _snapshot(path)
    proc = _start_big_round(path, n)
    started = time.monotonic()
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "done"
    duration = time.monotonic() - started
    proc.wait(timeout=60)
    proc.stdout.close()
    whole = ((2027, 2028), before[2] + 1 + 2 * n)  # one round record, n decisions and n allocations
    assert whole == _snapshot(path)[1:]

    outcomes: list[str] = []
    for attempt in range(6):
        path = ledger_with_2027(f"killed{attempt}.db")
        before = _snapshot(path)
        proc = _start_big_round(path, n)
        time.sleep(rng.uniform(0.0, duration * 1.2))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        assert proc.stdout is not None
        proc.stdout.close()
        after = _snapshot(path)  # verifies, after SQLite rolled back any hot journal
        if after == before:
            outcomes.append("nothing")
        else:
            assert whole == after[1:]
            outcomes.append("whole")
    assert "nothing" in outcomes  # at least one kill really landed inside the commit


def test_a_ledger_reads_from_threads(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """One ledger instance answers history look-ups from several threads."""
    from concurrent.futures import ThreadPoolExecutor

    commit(rules, ledger, batch(rules, 2027, leading("C1", "A1")), LEADING)
    look: Callable[[int], int] = lambda _: len(  # noqa: E731
        ledger.prior_awards(KEY_A1, "a11.leading_enterprise", "A1")
    )
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(look, range(200))) == [1] * 200


def test_verify_reads_one_state_of_the_ledger(
    rules: q.RuleSet, two_rounds: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commit by another process cannot fall between verify()'s reads of the chain and head.

    The writer tries to record a finding at the moment verify() has read the chain and is
    about to read the head: it cannot commit while verify() reads (it is refused, its
    timeout short), so verify() sees one ledger and reports no false "missing" record.
    """
    with (
        SqliteLedger(two_rounds, readonly=True) as reader,
        SqliteLedger(two_rounds, create=False, timeout=0.05) as writer,
    ):
        refused: list[str] = []
        head = reader.head

        def head_after_a_concurrent_commit() -> tuple[int, str]:
            try:
                writer.fraud("C2", dt.date(2028, 1, 15), 3)
            except LedgerError as exc:
                refused.append(str(exc))
            return head()

        monkeypatch.setattr(reader, "head", head_after_a_concurrent_commit)
        fault = reader.verify()
        monkeypatch.undo()
        assert (fault, len(refused), reader.head()[0]) == (None, 1, writer.head()[0])


def test_a_snapshot_holds_one_state_of_the_ledger(two_rounds: Path) -> None:
    """Inside snapshot() another process cannot commit; once it ends, it can."""
    with (
        SqliteLedger(two_rounds, readonly=True) as reader,
        SqliteLedger(two_rounds, create=False, timeout=0.05) as writer,
    ):
        with reader.snapshot():
            listed = reader.records()
            with pytest.raises(LedgerError, match="nothing was written"):
                writer.fraud("C2", dt.date(2028, 1, 15), 3)
            assert reader.head()[0] == listed[-1].seq
        writer.fraud("C2", dt.date(2028, 1, 15), 3)
        assert reader.head()[0] == listed[-1].seq + 3  # fraud, clawback, ban
