"""The benchmark's own pieces (bench/run.py): its batches and its arithmetic, not its timings.

Timings belong to the benchmark; what is checked here is what its figures rest on: the
synthetic batches are seeded and are what the loader makes of them, the memory floor
returns what an evaluation returns, and the growth per 10x step is computed as documented.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

import qfund_rules as q
from qfund_rules.history import PriorAward, StaticHistory, applicant_key

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import run as bench  # bench/ is a directory of scripts, not a package
from reference import evaluate_reference


@pytest.fixture(scope="module")
def bench_rules() -> q.RuleSet:
    return q.load_rules(bench.RULES_DIR)


def test_synthetic_batches_are_seeded(bench_rules: q.RuleSet) -> None:
    one, again = (bench.synthetic_batch(300, 11, bench_rules) for _ in range(2))
    other = bench.synthetic_batch(300, 12, bench_rules)
    assert q.batch_to_data(one) == q.batch_to_data(again)
    assert q.batch_to_data(one) != q.batch_to_data(other)
    assert len(one.claims) == 300


def test_synthetic_batches_are_what_the_loader_makes(bench_rules: q.RuleSet) -> None:
    batch = bench.synthetic_batch(2_000, 5, bench_rules)
    data = q.batch_to_data(batch)
    loaded = q.batch_from_data(data, industry_codes=bench_rules.industry_codes)
    assert loaded == batch  # the same values, marked as loaded under the same readings
    assert q.evaluate(bench_rules, loaded).to_json() == q.evaluate(bench_rules, batch).to_json()
    # The mix the figures claim: every kind, every outcome, cross-claim cases included.
    decisions = q.evaluate(bench_rules, batch).decisions
    assert {c.kind for c in batch.claims} == set(bench.KIND_WEIGHTS)
    assert {d.outcome for d in decisions} == {"awarded", "rejected", "superseded"}
    reasons = {r for d in decisions for r in d.reasons}
    assert {"duplicate_claim", "superseded_by_higher", "outside_validity"} <= reasons


def test_the_reference_decides_as_the_engine(bench_rules: q.RuleSet) -> None:
    """The hand-written reference reaches the engine's outcome, item, amount, reasons and
    citations on every claim of a generated batch, its cross-claim cases included (this
    one holds twelve second claims to lead a standard), so its speed is that of the same
    work (bench/README.md)."""
    batch = bench.synthetic_batch(3_000, 7, bench_rules)
    engine = q.evaluate(bench_rules, batch)
    one_lead = [d for d in engine.decisions if any(s.rule == "standard.one_lead" for s in d.trace)]
    assert len(one_lead) == 12
    assert bench.disagreements(engine, evaluate_reference(bench_rules, batch)) == 0


def test_the_reference_decides_as_the_engine_against_earlier_leads(bench_rules: q.RuleSet) -> None:
    """With allocation.yaml lead.across_rounds, a lead of a batch's standard number awarded
    in an earlier round to an applicant outside the batch holds it: the reference rejects
    every claim to lead those numbers as the engine does."""
    batch = bench.synthetic_batch(3_000, 7, bench_rules)
    numbers = sorted({c.subject or "" for c in batch.claims if c.kind == "standard"})[::3]
    history = StaticHistory(
        {
            ("id:EARLIER", "a13.standard", n): [PriorAward(f"E{i}", "a13.1.local", 50_000, 2026)]
            for i, n in enumerate(numbers)
        }
    )
    engine = q.evaluate(bench_rules, batch, history)
    held = [
        d
        for d in engine.decisions
        if any(s.rule == "standard.one_lead" and "lead_round" in s.facts for s in d.trace)
    ]
    assert len(held) > 12
    assert bench.disagreements(engine, evaluate_reference(bench_rules, batch, history)) == 0


def test_the_reference_gives_no_top_up_to_a_claim_refused_after_it(
    bench_rules: q.RuleSet,
) -> None:
    """A past participant of every third standard number of a batch (5 万, 2026) whose lead
    another applicant holds: each claim of that applicant to lead one is topped up over
    the participation, then refused by the lead rule. The reference, as the engine, keeps
    neither top_up nor its article on the refused claim."""
    batch = bench.synthetic_batch(3_000, 7, bench_rules)
    numbers = sorted({c.subject or "" for c in batch.claims if c.kind == "standard"})[::3]
    keys = {a.id: applicant_key(a.id, a.uscc) for a in batch.applicants}
    leaders = {
        (keys[c.applicant], c.subject or "")
        for c in batch.claims
        if c.kind == "standard" and c.subject in numbers
    }
    awards = {
        (key, "a13.standard", n): [PriorAward(f"P{i}", "a13.2.national", 50_000, 2026)]
        for i, (key, n) in enumerate(sorted(leaders))
    }
    awards.update(
        {
            ("id:EARLIER", "a13.standard", n): [PriorAward(f"E{i}", "a13.1.local", 50_000, 2026)]
            for i, n in enumerate(numbers)
        }
    )
    history = StaticHistory(awards)
    engine = q.evaluate(bench_rules, batch, history)
    refused = [
        d
        for d in engine.decisions
        if d.outcome == "rejected"
        and any(s.step == "same_qualification" and s.result == "skip" for s in d.trace)
        and any(s.rule == "standard.one_lead" for s in d.trace)
    ]
    assert refused
    assert not any("top_up" in d.reasons for d in engine.decisions if d.outcome == "rejected")
    assert bench.disagreements(engine, evaluate_reference(bench_rules, batch, history)) == 0


def test_filler_histories_hold_no_lead_of_a_batch_standard(
    bench_rules: q.RuleSet, tmp_path: Path
) -> None:
    """The ledger runs compare the same work at every ledger size: the fillers' awards are
    of subjects no claim of the batch names (``subject-N``), so none holds the lead of a
    batch's standard (lead.across_rounds), and the decisions are those of an empty ledger."""
    batch = bench.synthetic_batch(2_000, 7, bench_rules)
    subjects = {c.subject for c in batch.claims}
    empty = q.evaluate(bench_rules, batch, StaticHistory()).to_json()
    memory = bench.filler_history(3_000, 9, bench_rules)
    ledger = bench.filler_sqlite(3_000, 9, bench_rules, tmp_path)
    try:
        for history in (memory, ledger):
            for family in bench_rules.lead_families:
                assert not any(history.awards_for(family, s or "") for s in subjects)
            assert q.evaluate(bench_rules, batch, history).to_json() == empty
    finally:
        ledger.close()


def test_memory_floor_returns_a_decision_per_claim_in_order(bench_rules: q.RuleSet) -> None:
    batch = bench.synthetic_batch(200, 3, bench_rules)
    floor = bench.memory_floor(batch)
    assert [d.claim_id for d in floor] == [c.id for c in batch.claims]
    applicants = {c.id: c.applicant for c in batch.claims}
    assert all(d.applicant_id == applicants[d.claim_id] for d in floor)
    assert all(len(d.trace) == len(bench.FLOOR_STEPS) for d in floor)


def test_batch_read_counts_what_the_memory_floor_reads(bench_rules: q.RuleSet) -> None:
    """The reading half of the floor reads every claim: one for each claim, one more for
    each paid by the floor's test, one more for each without a subject."""
    batch = bench.synthetic_batch(200, 3, bench_rules)
    floor = bench.memory_floor(batch)
    paid = sum(d.outcome == "awarded" for d in floor)
    no_subject = sum(c.subject is None for c in batch.claims)
    assert bench.batch_read(batch) == len(batch.claims) + paid + no_subject


def test_growth_per_10x_step() -> None:
    scaling = [
        {"claims": 1_000, "seconds": 0.010, "reference_seconds": 0.008, "floor_seconds": 0.001,
         "read_seconds": 0.0004},
        {"claims": 10_000, "seconds": 0.120, "reference_seconds": 0.080, "floor_seconds": 0.015,
         "read_seconds": 0.0064},
    ]  # fmt: skip
    (step,) = bench.growth(scaling)
    assert step["from_claims"] == 1_000
    assert step["to_claims"] == 10_000
    assert step["native_ratio"] == pytest.approx(12.0)
    assert step["reference_ratio"] == pytest.approx(10.0)
    assert step["floor_ratio"] == pytest.approx(15.0)
    assert step["read_ratio"] == pytest.approx(16.0)
    # 10 µs per claim became 12: 2 µs gained, where 11x the time allows a tenth of 10 µs.
    assert step["native_added_us"] == pytest.approx(2.0)
    assert step["reference_added_us"] == pytest.approx(0.0)
    assert step["floor_added_us"] == pytest.approx(0.5)
    assert step["read_added_us"] == pytest.approx(0.24)
    assert step["allowed_us"] == pytest.approx(1.0)


def test_scaling_rows_in_turns(bench_rules: q.RuleSet) -> None:
    """Sizes taken in turns give one row per size, in order, with per-second figures that
    are the claims over the seconds; the RSS of 100k claims is recorded only for 100k."""
    out: dict[str, object] = {}
    rows = bench.scale_in_turns(bench_rules, 7, (100, 300), out)
    assert [r["claims"] for r in rows] == [100, 300]
    for r in rows:
        assert r["seconds"] > 0
        assert r["claims_per_s"] == pytest.approx(r["claims"] / r["seconds"])
        assert r["reference_claims_per_s"] == pytest.approx(r["claims"] / r["reference_seconds"])
        assert r["floor_seconds"] > 0
        assert r["read_seconds"] > 0
    assert "rss_mb_per_100k_claims" not in out
    assert "free_s_per_100k_claims" not in out
    assert "json_write_s_per_100k_claims" not in out


def test_page_faults_per_claim_count_the_engine_calls_alone(
    bench_rules: q.RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``page_faults_per_claim`` is the faults the engine's timed calls took, over the
    claims those calls evaluated: on a counter that only the engine moves, by 1 a claim,
    it is 1.0 for every size, and the other evaluators' faults are not in it."""
    faults = [0]
    engine = q.evaluate

    def counting(rules: q.RuleSet, batch: q.Batch) -> q.Evaluation:
        faults[0] += len(batch.claims)
        return engine(rules, batch)

    def costly_floor(batch: q.Batch) -> int:
        faults[0] += 1_000_000  # another evaluator's faults: not the engine's
        return len(batch.claims)

    monkeypatch.setattr(q, "evaluate", counting)
    monkeypatch.setattr(bench, "memory_floor", costly_floor)
    monkeypatch.setattr(bench, "minor_faults", lambda: faults[0])
    rows = bench.scale_in_turns(bench_rules, 7, (100, 300), {})
    assert [r["page_faults_per_claim"] for r in rows] == [1.0, 1.0]


def test_median_seconds_stops_the_clock_before_the_result_is_freed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A call is timed until it returns; freeing its result is the caller's (measured apart
    as free_s_per_100k_claims). On a clock that only the call and the freeing move, the
    median is the call's ticks alone."""
    clock = [0.0]

    class Result:
        def __del__(self) -> None:
            clock[0] += 100.0  # freeing: must not be timed

    def call() -> Result:
        clock[0] += 1.0
        return Result()

    monkeypatch.setattr(time, "perf_counter", lambda: clock[0])  # the module run.py reads
    assert bench.median_seconds(call, 3) == 1.0


def test_batch_files_load_to_the_batch_they_were_written_from(
    bench_rules: q.RuleSet, tmp_path: Path
) -> None:
    """The load figure reads a JSON and a YAML file of the same batch, and checks both."""
    batch = bench.synthetic_batch(300, 5, bench_rules)
    speeds = bench.load_claims_per_s(bench_rules, batch, tmp_path)
    assert set(speeds) == {"json", "yaml"}
    assert all(v > 0 for v in speeds.values())
    assert bench_rules.load_batch(tmp_path / "batch.json") == batch
    assert bench_rules.load_batch(tmp_path / "batch.yaml") == batch


@pytest.mark.parametrize(
    ("order", "group"),
    [("generated", None), ("by_article", "kind"), ("by_applicant", "applicant")],
)
def test_refiled_reorders_the_claims_and_nothing_else(
    bench_rules: q.RuleSet, order: str, group: str | None
) -> None:
    """Claims come grouped (kinds in the rule files' order, applicants in the batch's), each
    group's claims in the batch's order, and every claim is decided as before."""
    batch = bench.synthetic_batch(300, 11, bench_rules)
    refiled = bench.refiled(batch, bench_rules, order)
    if group is None:
        assert [c.id for c in refiled.claims] == [c.id for c in batch.claims]
    else:
        firsts = list(bench_rules.by_kind) if group == "kind" else [a.id for a in batch.applicants]
        ranks = [firsts.index(getattr(c, group)) for c in refiled.claims]
        assert ranks == sorted(ranks)
        assert [c.id for c in refiled.claims] != [c.id for c in batch.claims]
        for value in set(ranks):
            assert [c.id for c in refiled.claims if firsts.index(getattr(c, group)) == value] == [
                c.id for c in batch.claims if firsts.index(getattr(c, group)) == value
            ]
    before = {d.claim_id: d.to_dict() for d in q.evaluate(bench_rules, batch).decisions}
    after = {d.claim_id: d.to_dict() for d in q.evaluate(bench_rules, refiled).decisions}
    assert after == before


def test_refiled_refuses_an_unknown_order(bench_rules: q.RuleSet) -> None:
    with pytest.raises(ValueError, match="unknown order 'by_size'"):
        bench.refiled(bench.synthetic_batch(20, 1, bench_rules), bench_rules, "by_size")


def test_order_effect_times_every_order(bench_rules: q.RuleSet) -> None:
    steps = bench.order_effect(bench_rules, 5, sizes=(100, 300), rounds=1)
    assert list(steps) == list(bench.ORDERS)
    for row in steps.values():
        small, big = row["claims_per_s"]
        assert row["claims"] == [100, 300]
        assert row["step"] == pytest.approx((300 / big) / (100 / small))
