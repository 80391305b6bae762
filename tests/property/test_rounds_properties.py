"""Invariants of rounds and the ledger over generated multi-year histories (rulings R5, R9-R11).

A history is up to three yearly rounds (2027..2029) of a few claims by three applicants,
drawn from award items whose tiers and levels meet (中国质量奖 winner and nominee, national
and regional QC groups...), each with a budget, an allocation policy, objections, and
between rounds some fraud findings and resolved objections.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import sqlite3
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from hypothesis import given
from hypothesis import strategies as st

import qfund_rules as q
from qfund_rules.allocation import RoundResult, run_round
from qfund_rules.ledger import MemoryLedger, PendingAward, SqliteLedger

from ..conftest import last_submitted

TEMPLATES: dict[str, dict[str, Any]] = {
    "china_nominee": {"kind": "quality_award", "award": "china", "tier": "nominee"},
    "china_winner": {"kind": "quality_award", "award": "china", "tier": "winner"},
    "hami_nominee": {"kind": "quality_award", "award": "hami", "tier": "nominee"},
    "hami_winner": {"kind": "quality_award", "award": "hami", "tier": "winner"},
    "leading": {"kind": "leading_enterprise"},
    "cnas": {"kind": "cnas_accreditation"},
    "qc_national": {"kind": "qc_group", "level": "national", "subject": "叶片质量攻关QC小组"},
    "qc_regional": {"kind": "qc_group", "level": "regional", "subject": "叶片质量攻关QC小组"},
}
FIRST_TIME_KINDS = ("quality_award", "cnas_accreditation")
BUDGETS = (0, 100_000, 300_000, 500_000, 800_000, 1_500_000)
APPLICANTS = [
    {"id": f"A{i}", "name": f"哈密某企业{i}", "org_type": "enterprise", "region": "650502"}
    for i in range(1, 4)
]


Resolution = Literal["upheld", "dismissed"] | None


@dataclass(frozen=True)
class Year:
    """One round and what happens after it is committed."""

    claims: tuple[tuple[str, str, int, bool], ...]  # applicant, template, day, objection
    budget_yuan: int
    frauds: tuple[bool, ...]  # fraud found on the i-th claim of the round
    resolutions: tuple[Resolution, ...]  # the i-th held claim: upheld, dismissed or pending


@dataclass(frozen=True)
class History:
    """Yearly rounds under one allocation policy."""

    on_shortfall: str
    years: tuple[Year, ...]


@st.composite
def years(draw: st.DrawFn) -> Year:
    """A round of 0..5 claims, its budget, and the findings after it."""
    claim = st.tuples(
        st.sampled_from([a["id"] for a in APPLICANTS]),
        st.sampled_from(sorted(TEMPLATES)),
        st.integers(0, 3),
        st.sampled_from([False, False, False, True]),
    )
    claims = draw(st.lists(claim, max_size=5))
    return Year(
        claims=tuple(claims),
        budget_yuan=draw(st.sampled_from(BUDGETS)),
        frauds=tuple(draw(st.lists(st.booleans(), min_size=5, max_size=5).map(_rare))),
        resolutions=tuple(
            draw(st.lists(st.sampled_from([None, "upheld", "dismissed"]), min_size=5, max_size=5))
        ),
    )


def _rare(flags: list[bool]) -> list[bool]:
    # At most one fraud finding a year keeps most awards alive to be paid or carried.
    return [f and i == flags.index(True) for i, f in enumerate(flags)]


histories = st.builds(
    History,
    on_shortfall=st.sampled_from(["stop", "skip"]),
    years=st.lists(years(), min_size=1, max_size=3).map(tuple),
)


@dataclass(frozen=True)
class Played:
    """One round as played: what was pending before it, and its result."""

    pending_before: tuple[PendingAward, ...]
    result: RoundResult


def policy(rules: q.RuleSet, on_shortfall: str) -> q.RuleSet:
    """The shipped rules with the drawn allocation policy."""
    alloc = rules.allocation.model_copy(
        update={
            "allocation": rules.allocation.allocation.model_copy(
                update={"on_shortfall": on_shortfall}
            )
        }
    )
    return dataclasses.replace(rules, allocation=alloc)


def batch(rules: q.RuleSet, year: int, spec: Year) -> q.Batch:
    """The drawn claims of one round as a batch."""
    claims = []
    for i, (applicant, template, day, objection) in enumerate(spec.claims):
        claim: dict[str, Any] = {
            "id": f"C{year}-{i}",
            "applicant": applicant,
            "achieved_on": f"{year - 1}-11-01",
            "submitted_on": dt.date(year, 3, 20 + day),
            "objection": objection,
            **TEMPLATES[template],
        }
        if claim["kind"] in FIRST_TIME_KINDS:
            claim["first_time"] = True
        claims.append(claim)
    data = {
        "round": year,
        "submitted_on": f"{year}-03-20",
        "applicants": APPLICANTS,
        "claims": claims,
    }
    return q.batch_from_data(data, industry_codes=rules.industry_codes)


def play(rules: q.RuleSet, history: History, ledger: SqliteLedger) -> list[Played]:
    """Run, commit and amend every round of ``history`` in ``ledger``."""
    rules = policy(rules, history.on_shortfall)
    played = []
    for year, spec in enumerate(history.years, start=2027):
        pending = ledger.pending()
        b = batch(rules, year, spec)
        start = last_submitted(b)  # 第二十条第(三)项: committed with its publicity start
        result = run_round(rules, b, ledger, budget_yuan=spec.budget_yuan, publicity_start=start)
        assert result.commit(ledger)
        played.append(Played(pending, result))
        found_on = dt.date(year, 12, 1)
        for claim_id, fraud in zip(result.claim_ids, spec.frauds, strict=False):
            if fraud:
                ledger.fraud(claim_id, found_on, rules.exclusions.ban.years, round_year=year)
        held = [s.claim_id for s in ledger.awards() if s.round == year and s.status == "held"]
        for claim_id, outcome in zip(held, spec.resolutions, strict=False):
            if outcome is not None:
                ledger.release(claim_id, found_on, outcome, round_year=year)
    return played


def play_in_memory(rules: q.RuleSet, history: History) -> list[Played]:
    """:func:`play` in a fresh ledger in memory, closed again before the checks."""
    with MemoryLedger() as ledger:
        return play(rules, history, ledger)


def statuses(result: RoundResult) -> list[tuple[str, int]]:
    """(status, amount) of every allocation the round made, carried awards first."""
    allocs = [c.allocation for c in result.carried_in]
    allocs += [d.allocation for d in result.decisions if d.allocation and d.allocation.status]
    return [(a.status or "", a.amount_yuan) for a in allocs]


@given(histories)
def test_nothing_is_lost(rules: q.RuleSet, history: History) -> None:
    """Every round: carried in + awarded = paid + deferred + held, award by award."""
    for p in play_in_memory(rules, history):
        s = p.result.summary
        by_status: dict[str, int] = defaultdict(int)
        for status, amount in statuses(p.result):
            by_status[status] += amount
        assert s.carried_in_yuan + s.awarded_yuan == s.paid_yuan + s.deferred_yuan + s.held_yuan
        assert (s.paid_yuan, s.deferred_yuan, s.held_yuan) == (
            by_status["paid"],
            by_status["deferred"],
            by_status["held"],
        )


@given(histories)
def test_a_year_never_pays_more_than_its_budget(rules: q.RuleSet, history: History) -> None:
    """Every round: paid <= the year's budget."""
    for p in play_in_memory(rules, history):
        assert p.result.summary.paid_yuan <= p.result.summary.budget_yuan


@given(histories)
def test_deferred_awards_come_first_and_keep_their_amount(
    rules: q.RuleSet, history: History
) -> None:
    """Every round takes all pending awards first, in order, amounts unchanged; a carried
    award stays deferred only when it does not fit (stop: then no new award is paid)."""
    for p in play_in_memory(rules, history):
        r = p.result
        assert [(a.claim_id, a.round, a.amount_yuan) for a in p.pending_before] == [
            (c.claim_id, c.round, c.amount_yuan) for c in r.carried_in
        ]
        left = r.summary.budget_yuan
        for c in r.carried_in:
            if c.allocation.status == "paid":
                left -= c.amount_yuan
            elif history.on_shortfall == "skip":
                assert c.amount_yuan > left
        if any(c.allocation.status == "deferred" for c in r.carried_in):
            new = [d.allocation.status for d in r.decisions if d.allocation]
            assert history.on_shortfall == "skip" or "paid" not in new


@given(histories)
def test_every_deferred_award_is_paid_or_still_owed(rules: q.RuleSet, history: History) -> None:
    """At the end every award ever deferred is paid, still deferred, or revoked."""
    with MemoryLedger() as ledger:
        played = play(rules, history, ledger)
        awards = ledger.awards()
    deferred = {
        (p.result.year, d.claim_id)
        for p in played
        for d in p.result.decisions
        if d.allocation and d.allocation.status == "deferred"
    }
    final = {(s.round, s.claim_id): s.status for s in awards}
    assert all(final[k] in ("paid", "deferred", "revoked") for k in deferred)


@given(histories)
def test_no_qualification_is_paid_more_than_its_highest_tier(
    rules: q.RuleSet, history: History
) -> None:
    """Per (applicant, family, subject): net paid, and all granted, <= the family's top amount."""
    with MemoryLedger() as ledger:
        play(rules, history, ledger)
        awards = ledger.awards()
    top: dict[str, int] = defaultdict(int)
    for item in rules.items:
        top[item.item.family] = max(top[item.item.family], *item.amounts_yuan)
    paid: dict[tuple[str, str, str], int] = defaultdict(int)
    granted: dict[tuple[str, str, str], int] = defaultdict(int)
    for s in awards:
        if s.family is None:
            continue
        key = (s.applicant_key, s.family, s.subject)
        paid[key] += s.paid_yuan - s.clawed_back_yuan
        if s.outcome == "awarded" and s.status != "revoked":
            granted[key] += s.amount_yuan
    for (_, family, _), total in [*paid.items(), *granted.items()]:
        assert total <= top[family]


@given(histories)
def test_committing_twice_changes_nothing(rules: q.RuleSet, history: History) -> None:
    """A committed round committed again, as is or run again, adds no record."""
    with MemoryLedger() as ledger:
        for p in play(rules, history, ledger):
            head = ledger.head()
            assert not p.result.commit(ledger)
            rules_ = policy(rules, history.on_shortfall)
            spec = history.years[p.result.year - 2027]
            again = run_round(rules_, batch(rules_, p.result.year, spec), ledger)
            assert (True, False, head) == (again.recorded, again.commit(ledger), ledger.head())


@given(histories)
def test_the_chain_verifies_after_any_rounds(rules: q.RuleSet, history: History) -> None:
    """Whatever rounds, findings and releases were recorded, the chain verifies."""
    with MemoryLedger() as ledger:
        play(rules, history, ledger)
        assert ledger.verify() is None


EDITS = ("body", "hash", "prev_hash", "kind", "seq_swap", "delete", "append")


@given(
    histories,
    st.sampled_from(EDITS),
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=1, max_value=10_000),
)
def test_any_single_edit_fails_verification(
    rules: q.RuleSet, history: History, edit: str, target: int, other: int
) -> None:
    """After any single edit of one record (or a forged one appended), verify() reports it."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fund.db"
        with SqliteLedger(path) as ledger:
            play(rules, history, ledger)
            n = ledger.head()[0]
        seq = target % n + 1
        _edit(path, edit, seq, (seq + other % max(n - 1, 1)) % n + 1, n)
        with SqliteLedger(path, create=False) as ledger:
            fault = ledger.verify()
    assert fault is not None
    if edit == "body":
        assert seq == fault.seq


def _edit(path: Path, edit: str, seq: int, other: int, n: int) -> None:
    conn = sqlite3.connect(path)
    conn.executescript("DROP TRIGGER records_no_update; DROP TRIGGER records_no_delete;")
    sql: Sequence[tuple[str, tuple[Any, ...]]]
    if edit == "seq_swap" and other != seq:
        sql = [
            ("UPDATE records SET seq = -1 WHERE seq = ?", (seq,)),
            ("UPDATE records SET seq = ? WHERE seq = ?", (seq, other)),
            ("UPDATE records SET seq = ? WHERE seq = -1", (other,)),
        ]
    elif edit in ("body", "seq_swap"):  # a swap with itself is no edit: edit the body
        sql = [("UPDATE records SET body = body || ' ' WHERE seq = ?", (seq,))]
    elif edit in ("hash", "prev_hash"):
        forged = hashlib.sha256(b"forged").hexdigest()
        column = {
            "hash": "UPDATE records SET hash = ? WHERE seq = ?",
            "prev_hash": "UPDATE records SET prev_hash = ? WHERE seq = ?",
        }
        sql = [(column[edit], (forged, seq))]
    elif edit == "kind":
        sql = [("UPDATE records SET kind = kind || 'x' WHERE seq = ?", (seq,))]
    elif edit == "delete":
        sql = [("DELETE FROM records WHERE seq = ?", (seq,))]
    else:  # a forged record chained properly after the last one
        (last,) = conn.execute("SELECT hash FROM records WHERE seq = ?", (n,)).fetchone()
        body = f'{{"kind":"ban","seq":{n + 1}}}'
        digest = hashlib.sha256((last + body).encode()).hexdigest()
        sql = [("INSERT INTO records VALUES (?, 'ban', ?, ?, ?)", (n + 1, body, last, digest))]
    for statement, params in sql:
        conn.execute(statement, params)
    conn.commit()
    conn.close()
