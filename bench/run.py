"""Benchmark: the native engine, the durable-rules backend and a hand-written reference.

    python bench/run.py [--quick] [--json FILE] [--seed N]

Batches are synthetic, seeded and built as already-parsed :class:`~qfund_rules.Batch`
objects (YAML parsing is not timed): a realistic mix of all 13 claim kinds, exclusions,
ineligible applicants, dates outside the period in force, and cross-claim cases (tiers of
one qualification, duplicates, several applicants on one standard). Every figure is the
median of several repeats. What is measured and what it means: bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import gc
import itertools
import json
import os
import platform
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

import yaml
from reference import evaluate_reference
from stdnum.cn import uscc as stdnum_uscc

import qfund_rules as q
from qfund_rules.claims import (
    CLAIM_TYPES,
    Applicant,
    CreditListing,
    DraftingUnit,
    Review,
    _mark_loaded,
    batch_pool,
)
from qfund_rules.decision import TraceStep, new_decision, new_step
from qfund_rules.durable_backend import DurableWorker, durable_unavailable_reason
from qfund_rules.history import PriorAward, StaticHistory
from qfund_rules.ledger import SqliteLedger
from qfund_rules.standards import parse_standard_number

ROOT = Path(__file__).resolve().parents[1]
RULES_DIR = ROOT / "rules"

# The targets (issue 5): reported, never asserted.
TARGET_NATIVE_CPS = 100_000
TARGET_VS_DURABLE = 5.0
TARGET_VS_REFERENCE = 2.0
TARGET_LINEAR = 11.0
TARGET_LEDGER = 1.2
TARGET_LOAD_MS = 50.0
TARGET_1M_MB = 2048.0

HAMI = ("650500", "650502", "650521", "650522", "652201")
ROUND_DAY, LATE = dt.date(2027, 3, 20), dt.date(2027, 4, 30)
IN_FORCE_FROM = dt.date(2026, 3, 14)  # the first day of the period in force
# A realistic mix: standards and brand certifications dominate, county pilots are rare.
KIND_WEIGHTS = {
    "standard": 24, "xinjiang_brand": 14, "quality_award": 9, "qc_group": 9,
    "quality_chain": 8, "leading_enterprise": 5, "cqo_case": 5, "cnas_accreditation": 5,
    "testing_platform": 5, "standardization_pilot": 5, "technical_committee": 5,
    "ccc_lab": 4, "quality_county": 2,
}  # fmt: skip
ENUMS: dict[str, dict[str, tuple[Any, ...]]] = {
    "quality_county": {"stage": ("approved", "accepted")},
    "quality_chain": {"recognition": ("key_project", "typical_case"),
                      "level": ("national", "regional")},
    "quality_award": {"award": ("china", "xinjiang", "hami"), "tier": ("winner", "nominee")},
    "qc_group": {"level": ("national", "regional")},
    "testing_platform": {"level": ("national", "regional")},
    "standardization_pilot": {"level": ("national", "regional")},
    "technical_committee": {"level": ("national", "regional"), "body": ("tc", "sc", "wg")},
    "xinjiang_brand": {"event": ("first_certification", "new_product", "recertification")},
}  # fmt: skip
FIRST_TIME_KINDS = ("quality_award", "cnas_accreditation", "ccc_lab")
OUTSIDE_UNITS = (("中国标准化研究院", "110108"), ("新疆维吾尔自治区标准化研究院", "650102"))
STANDARD_PREFIXES = (("GB/T", 30), ("NB/T", 13), ("JB/T", 12), ("DB65/T", 20), ("T/XJAS", 20),
                     ("Q/HMTS", 5))  # fmt: skip


# --- synthetic batches ----------------------------------------------------------------


def _uscc(region: str, serial: int) -> str:
    body = f"91{region}MA{serial:07d}"
    return body + str(stdnum_uscc.calc_check_digit(body))


def _day(rnd: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rnd.randrange((end - start).days + 1))


def synthetic_batch(n_claims: int, seed: int, rules: q.RuleSet) -> q.Batch:
    """A resolved batch of ``n_claims`` claims, the same for the same seed.

    Built through a :func:`batch_pool` as the loader builds it, so that the memory measured
    is the memory a loaded batch holds, and marked as the loader marks what it returns
    (``_mark_loaded``), so that ``evaluate`` takes it.
    """
    rnd = random.Random(seed)
    pool = batch_pool()
    applicants = []
    for i in range(max(4, n_claims // 4)):
        region = rnd.choice(HAMI) if rnd.random() < 0.95 else "650102"  # 5% outside Hami
        uscc = _uscc(region, i) if rnd.random() < 0.4 else None
        listings: tuple[CreditListing, ...] = ()
        if rnd.random() < 0.02:  # on the dishonest list (第十七条第(二)项)
            until = None if rnd.random() < 0.5 else dt.date(2027, 12, 31)
            since = dt.date(2026, 1, 1)
            listings = (
                pool.build(CreditListing, {"list": "dishonest", "from_": since, "until": until}),
            )
        applicants.append(
            pool.build(Applicant, {
                "id": f"A{i:07d}", "name": f"哈密测试{i:07d}有限公司",
                "org_type": rnd.choice(("enterprise", "enterprise", "enterprise",
                                        "public_institution", "research_institute")),
                "region": region, "uscc": uscc, "licensed": rnd.random() >= 0.01,
                "credit_listings": listings,
            })
        )  # fmt: skip
    standards = []
    for s in range(max(2, n_claims // 20)):
        prefix = rnd.choices([p for p, _ in STANDARD_PREFIXES], [w for _, w in STANDARD_PREFIXES])[
            0
        ]
        number = parse_standard_number(
            f"{prefix} {10000 + s}-{rnd.randint(2020, 2026)}", rules.industry_codes
        )
        members = rnd.sample(range(len(applicants)), k=rnd.randint(1, 3))
        units: list[Any] = []
        for m in members:
            a = applicants[m]
            units.append(
                pool.build(
                    DraftingUnit, {"name": a.name, "region": a.region, "uscc": a.uscc, "hami": None}
                )
            )
        for name, region in OUTSIDE_UNITS[: rnd.randint(0, 2)]:
            units.insert(
                rnd.randint(0, len(units)),
                pool.build(
                    DraftingUnit, {"name": name, "region": region, "uscc": None, "hami": None}
                ),
            )
        if rnd.random() < 0.08:
            units, members = [], members[:1]  # the 前言 names no drafting unit
        standards.append((str(number), number.level, tuple(units), members))
    claims: list[Any] = []
    kinds, weights = list(KIND_WEIGHTS), list(KIND_WEIGHTS.values())
    while len(claims) < n_claims:
        cid = f"C{len(claims):07d}"
        if claims and rnd.random() < 0.06:
            # Cross-claim: another tier of an earlier claim's qualification, or the same again.
            twin = rnd.choice(claims[-50:])
            changes: dict[str, Any] = {"id": cid}
            for fact, values in ENUMS.get(twin.kind, {}).items():
                if fact in ("tier", "level", "body") and rnd.random() < 0.7:
                    changes[fact] = rnd.choice(values)
            claims.append(pool.build(type(twin), {**dict(twin), **changes}))
            continue
        kind = rnd.choices(kinds, weights)[0]
        applicant = rnd.randrange(len(applicants))
        submitted = ROUND_DAY if rnd.random() < 0.8 else _day(rnd, ROUND_DAY, LATE)
        # Achieved by the day it is submitted (achieved_by_submission), or before the
        # period in force (3%).
        outside = rnd.random() < 0.03
        achieved = dt.date(2025, 11, 3) if outside else _day(rnd, IN_FORCE_FROM, submitted)
        facts: dict[str, Any] = {
            "id": cid, "kind": kind, "achieved_on": achieved, "submitted_on": submitted,
            "other_support": ("自治区首台(套)补助",) if rnd.random() < 0.03 else (),
            "review": pool.build(Review, {
                "industrial_policy": "violates" if rnd.random() < 0.02 else "ok",
                "related_to_quality": rnd.random() >= 0.02,
                "other_violation": "环保处罚" if rnd.random() < 0.01 else None,
            }),
            "objection": False,
        }  # fmt: skip
        for fact, values in ENUMS.get(kind, {}).items():
            facts[fact] = rnd.choice(values)
        if kind in FIRST_TIME_KINDS:
            facts["first_time"] = rnd.random() < 0.95
        if kind == "standard":
            standard_no, level, drafting, members = rnd.choice(standards)
            if rnd.random() < 0.85:
                applicant = rnd.choice(members)
            facts.update(
                action="formulate" if rnd.random() < 0.85 else "revise", standard_no=standard_no,
                level=level, drafting_units=drafting, subject=standard_no,
                lead_proof=not drafting and rnd.random() < 0.7,
            )  # fmt: skip
        elif (
            CLAIM_TYPES[kind].SUBJECT == "applicant" or facts.get("event") == "first_certification"
        ):
            facts["subject"] = applicants[applicant].uscc or applicants[applicant].id
        else:
            facts["subject"] = f"{kind}-{applicant}-{rnd.randrange(3)}"
        facts["applicant"] = applicants[applicant].id
        claims.append(pool.build(CLAIM_TYPES[kind], facts))
    batch = q.Batch.model_construct(
        round=2027, submitted_on=ROUND_DAY, applicants=tuple(applicants), claims=tuple(claims)
    )
    # Built as the loader builds, which run() and tests/test_bench.py check on a sample.
    return _mark_loaded(batch, rules.industry_codes, rules.achieved_by_submission)


def filler_history(rows: int, seed: int, rules: q.RuleSet) -> StaticHistory:
    """``rows`` earlier awards of applicants outside the batch (pure lookup cost).

    Their subjects (``subject-N``) are never a batch's: no filler award is a lead of one of
    its standard numbers (allocation.yaml ``lead.across_rounds``), so every ledger size
    decides the same (tests/test_bench.py)."""
    rnd = random.Random(seed)
    items = rules.items
    awards: dict[tuple[str, str, str], list[PriorAward]] = {}
    for r in range(rows):
        item = rnd.choice(items)
        key = (f"id:OLD{r % (rows // 3 + 1)}", item.item.family, f"subject-{r}")
        awards.setdefault(key, []).append(PriorAward(f"R{r}", item.id, item.amounts_yuan[0], 2026))
    return StaticHistory(awards)


def filler_sqlite(rows: int, seed: int, rules: q.RuleSet, directory: Path) -> SqliteLedger:
    """A ledger file whose look-up index holds ``rows`` awards of other applicants.

    Rows go straight into the derived ``claims`` table the look-ups read (committing
    ``rows`` real rounds would take longer than the whole benchmark); no record is written.
    Their subjects are never a batch's, as :func:`filler_history`'s.
    """
    rnd = random.Random(seed)
    ledger = SqliteLedger(directory / f"ledger-{rows}.db")
    values = []
    for r in range(rows):
        item = rnd.choice(rules.items)
        key = f"id:OLD{r % (rows // 3 + 1)}"
        amount = item.amounts_yuan[0]
        values.append(
            (2026, f"R{r}", f"OLD{r}", key, item.item.family, f"subject-{r}", item.id, "awarded",
             amount, r, "paid")
        )  # fmt: skip
    with ledger.transaction():
        ledger._conn.executemany(  # the index table itself: see the docstring
            "INSERT INTO claims (round, claim_id, applicant_id, applicant_key, family, subject,"
            " item, outcome, amount_yuan, position, status) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            values,
        )
    return ledger


# --- measuring --------------------------------------------------------------------------


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    """The median wall time of ``repeats`` calls, each after a full collection.

    The clock stops when the call returns: freeing what it returned (the caller's business,
    whenever it drops the result) is not timed. ``scale_in_turns`` reports that apart.
    """
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
        del result
    return statistics.median(times)


def interleaved(
    rules: q.RuleSet, batch: q.Batch, histories: Sequence[q.History], repeats: int
) -> list[float]:
    """The median time of evaluating ``batch`` against each history, taken in turns."""
    times: list[list[float]] = [[] for _ in histories]
    for _ in range(repeats):
        for i, history in enumerate(histories):
            times[i].append(median_seconds(functools.partial(q.evaluate, rules, batch, history), 1))
    return [statistics.median(t) for t in times]


def memory_per_claim(rules: q.RuleSet, seed: int, n: int = 20_000) -> dict[str, float]:
    """Bytes per claim (tracemalloc) of a resolved batch, and the peak of its evaluation.

    ``peak_bytes`` is the batch and its evaluation together at the evaluation's peak: a
    million claims need about a million times that, on top of the process's baseline.
    """
    gc.collect()
    tracemalloc.start()
    try:
        batch = synthetic_batch(n, seed, rules)
        held = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        evaluation = q.evaluate(rules, batch)
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del evaluation, batch
    return {"batch_bytes": held / n, "evaluation_bytes": (kept - held) / n, "peak_bytes": peak / n}


def json_write_seconds(evaluation: q.Evaluation, repeats: int = 3) -> float:
    """The median time ``qfund evaluate`` takes to write ``evaluation``'s JSON, written
    here to /dev/null: the text made and encoded as for a file, no disk."""
    with Path(os.devnull).open("w", encoding="utf-8") as sink:
        return median_seconds(lambda: evaluation.write_json(sink), repeats)


def load_claims_per_s(rules: q.RuleSet, batch: q.Batch, directory: Path) -> dict[str, float]:
    """Claims a second that ``rules.load_batch`` reads and checks from a file, JSON (as
    ``json.dumps`` writes it, indented) and YAML (block style, as PyYAML writes it)."""
    data = q.batch_to_data(batch)
    files = {
        "json": (directory / "batch.json", json.dumps(data, ensure_ascii=False, indent=1)),
        "yaml": (directory / "batch.yaml", yaml.safe_dump(data, allow_unicode=True)),
    }
    speeds = {}
    for fmt, (path, text) in files.items():
        path.write_text(text, encoding="utf-8")
        if rules.load_batch(path) != batch:
            raise SystemExit(f"bench: the {fmt} batch does not load to the batch written")
        load = functools.partial(rules.load_batch, path)
        speeds[fmt] = len(batch.claims) / median_seconds(load, 3)
    return speeds


def rss_mb() -> float:
    """The process's current resident set size."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def minor_faults() -> int:
    """The process's page faults so far that needed no disk: each one a page of memory
    the kernel mapped and zeroed on first touch (bench/README.md)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # kilobytes on Linux


def disagreements(a: q.Evaluation, b: q.Evaluation) -> int:
    """Claims on which two evaluations differ in outcome, item, amount, reasons or citations."""

    def key(d: q.Decision) -> tuple[object, ...]:
        return (d.outcome, d.item, d.amount_yuan, sorted(d.reasons), sorted(d.citations))

    return sum(key(x) != key(y) for x, y in zip(a.decisions, b.decisions, strict=True))


# The shared steps of the memory floor's traces: built once, as the engine shares its own.
FLOOR_STEPS = tuple(new_step("floor", f"step.{i}", "第九条", "pass", {}, "", "") for i in range(10))


def memory_floor(batch: q.Batch) -> tuple[q.Decision, ...]:
    """The least any evaluator returning this library's decisions does per claim, and no rule.

    It reads the facts every claim has, looks its applicant up, and builds the claim's
    decision with a trace (of shared steps) and citations of its own, through the engine's
    own constructor. Timed on the scaling batches, it shows how much of the growth in time
    per claim from one batch size to the next is memory alone (bench/README.md).
    """
    people = {a.id: a for a in batch.applicants}
    cite = FLOOR_STEPS[0].citation
    out = []
    for claim in batch.claims:
        applicant = people[claim.applicant]
        trace: list[TraceStep] = []
        trace.extend(FLOOR_STEPS)
        citations = [cite, claim.kind]
        paid = claim.submitted_on is not None and claim.achieved_on <= claim.submitted_on
        out.append(
            new_decision(
                claim.id, applicant.id, "awarded" if paid else "rejected", claim.kind,
                0, (), tuple(citations), tuple(trace), "", claim.subject is None,
            )
        )  # fmt: skip
    return tuple(out)


def batch_read(batch: q.Batch) -> int:
    """The reading half of the memory floor: what ``memory_floor`` reads, and nothing built.

    It loads the same fields of every claim and of its applicant (a field only compared, so
    no string is read past its pointer) and returns a count, so the loop does no more than
    read. Its growth per 10x step is what reading a batch that no longer fits the caches
    costs on its own (bench/README.md).
    """
    people = {a.id: a for a in batch.applicants}
    count = 0
    for claim in batch.claims:
        applicant = people[claim.applicant]
        count += applicant.id is not None and claim.id is not None and claim.kind is not None
        count += claim.submitted_on is not None and claim.achieved_on <= claim.submitted_on
        count += claim.subject is None
    return count


#: Calls per round for each batch size in scale_in_turns: enough that a round of the small
#: sizes is not one short call.
CALLS_PER_ROUND: Final = {1_000: 5, 10_000: 3, 100_000: 1}
SCALING_ROUNDS: Final = 5


def scale_in_turns(
    rules: q.RuleSet, seed: int, sizes: Sequence[int], out: dict[str, Any]
) -> list[dict[str, Any]]:
    """Native, reference and floor on each batch size, the sizes taken in turns.

    Every round times each size once (the median of ``CALLS_PER_ROUND`` calls), so drift in
    the machine's speed falls on all sizes alike: timed one after the other, the same
    engine gave a 10x step of 10.4x in one run and 12.3x in the next (bench/README.md).
    Each figure is the median over ``SCALING_ROUNDS`` rounds. Also records the RSS one
    evaluation of 100k claims adds (``rss_mb_per_100k_claims``), and the time freeing it
    takes (``free_s_per_100k_claims``), which no figure times (``median_seconds``), and
    the time writing its JSON takes (``json_write_s_per_100k_claims``: not a target).
    Each row also gives the page faults per claim of the engine's timed calls
    (``page_faults_per_claim``): memory the kernel maps afresh, which a small batch
    evaluated after a large one finds already mapped (bench/README.md).
    """
    batches = {n: synthetic_batch(n, seed + n, rules) for n in sizes}
    evaluators: dict[str, Callable[[q.Batch], object]] = {
        "seconds": functools.partial(q.evaluate, rules),
        "reference_seconds": functools.partial(evaluate_reference, rules),
        "floor_seconds": memory_floor,
        "read_seconds": batch_read,
    }
    for batch in batches.values():
        for evaluate in evaluators.values():
            evaluate(batch)  # warm
    times: dict[tuple[int, str], list[float]] = {}
    faults = dict.fromkeys(batches, 0)
    for _ in range(SCALING_ROUNDS):
        for n, batch in batches.items():
            for name, evaluate in evaluators.items():
                call = functools.partial(evaluate, batch)
                mapped = minor_faults()
                times.setdefault((n, name), []).append(
                    median_seconds(call, CALLS_PER_ROUND.get(n, 1))
                )
                if name == "seconds":
                    faults[n] += minor_faults() - mapped
    if 100_000 in batches:
        gc.collect()
        before = rss_mb()
        result = q.evaluate(rules, batches[100_000])
        out["rss_mb_per_100k_claims"] = rss_mb() - before
        out["json_write_s_per_100k_claims"] = json_write_seconds(result)
        start = time.perf_counter()
        del result
        out["free_s_per_100k_claims"] = time.perf_counter() - start
    rows = []
    for n in sizes:
        row: dict[str, Any] = {"claims": n}
        for name in evaluators:
            row[name] = statistics.median(times[(n, name)])
        row["claims_per_s"] = n / row["seconds"]
        row["reference_claims_per_s"] = n / row["reference_seconds"]
        calls = SCALING_ROUNDS * CALLS_PER_ROUND.get(n, 1)
        row["page_faults_per_claim"] = faults[n] / (calls * n)
        rows.append(row)
    del batches
    gc.collect()
    return rows


def refiled(batch: q.Batch, rules: q.RuleSet, order: str) -> q.Batch:
    """The claims of ``batch`` as the loader builds them from a file that lists them in
    ``order`` (one of :data:`ORDERS`), each group's claims in their order in ``batch``:

    - ``generated``: as they are (each claim's kind and applicant drawn at random);
    - ``by_article``: kinds in the order the rule files give them (第九条 first), as
      examples/claims-2027.yaml files them;
    - ``by_applicant``: each applicant's claims together, applicants in the batch's order
      of them, as a file of the applicants' own submissions would list them.
    """
    data = q.batch_to_data(batch)
    if order == "by_article":
        rank = {kind: i for i, kind in enumerate(rules.by_kind)}
        data["claims"].sort(key=lambda claim: rank[claim["kind"]])  # stable
    elif order == "by_applicant":
        rank = {a.id: i for i, a in enumerate(batch.applicants)}
        data["claims"].sort(key=lambda claim: rank[claim["applicant"]])  # stable
    elif order != "generated":
        raise ValueError(f"unknown order {order!r}: one of {', '.join(ORDERS)}")
    return rules.batch_from_data(data)


#: The orders order_effect compares (refiled).
ORDERS: Final = ("generated", "by_article", "by_applicant")


def order_effect(
    rules: q.RuleSet,
    seed: int,
    sizes: tuple[int, int] = (10_000, 100_000),
    rounds: int = SCALING_ROUNDS,
) -> dict[str, Any]:
    """The engine's step from the smaller of ``sizes`` to the larger on the same claims in
    each of the :data:`ORDERS`, the batches taken in turns. Every batch is built by the
    loader from the same data (:func:`refiled`), so they differ in their order alone.
    """
    batches: dict[tuple[str, int], q.Batch] = {}
    for n in sizes:
        generated = synthetic_batch(n, seed + n, rules)
        for order in ORDERS:
            batches[(order, n)] = refiled(generated, rules, order)
        del generated
    evaluate = functools.partial(q.evaluate, rules)
    for batch in batches.values():
        evaluate(batch)  # warm
    times: dict[tuple[str, int], list[float]] = {}
    for _ in range(rounds):
        for (order, n), batch in batches.items():
            call = functools.partial(evaluate, batch)
            times.setdefault((order, n), []).append(median_seconds(call, CALLS_PER_ROUND.get(n, 1)))
    out: dict[str, Any] = {}
    for order in ORDERS:
        small, big = (statistics.median(times[(order, n)]) for n in sizes)
        out[order] = {
            "claims": list(sizes),
            "claims_per_s": [sizes[0] / small, sizes[1] / big],
            "step": big / small,
        }
    del batches
    gc.collect()
    return out


def scale_alone(rules: q.RuleSet, seed: int, n: int) -> dict[str, Any]:
    """Native, reference and floor on one batch of ``n`` claims: a warm-up, then the
    median of 3."""
    batch = synthetic_batch(n, seed + n, rules)
    row: dict[str, Any] = {"claims": n}
    for name, evaluate in (
        ("seconds", functools.partial(q.evaluate, rules)),
        ("reference_seconds", functools.partial(evaluate_reference, rules)),
        ("floor_seconds", memory_floor),
        ("read_seconds", batch_read),
    ):
        evaluate(batch)
        mapped = minor_faults()
        row[name] = median_seconds(functools.partial(evaluate, batch), 3)
        if name == "seconds":
            row["page_faults_per_claim"] = (minor_faults() - mapped) / (3 * n)
    row["claims_per_s"] = n / row["seconds"]
    row["reference_claims_per_s"] = n / row["reference_seconds"]
    del batch
    gc.collect()
    return row


def growth(scaling: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per 10x step of batch size: the time ratio, and the microseconds each claim gained.

    ``allowed_us`` is what the target (10x the claims in at most 11x the time) lets a claim
    gain: a tenth of its time on the smaller batch.
    """
    steps = []
    for a, b in itertools.pairwise(scaling):
        row: dict[str, Any] = {"from_claims": a["claims"], "to_claims": b["claims"]}
        for who in ("", "reference_", "floor_", "read_"):
            small, big = a[f"{who}seconds"] / a["claims"], b[f"{who}seconds"] / b["claims"]
            name = who.rstrip("_") or "native"
            row[f"{name}_ratio"] = b[f"{who}seconds"] / a[f"{who}seconds"]
            row[f"{name}_added_us"] = 1e6 * (big - small)
        row["allowed_us"] = 1e6 * (TARGET_LINEAR / 10 - 1) * a["seconds"] / a["claims"]
        steps.append(row)
    return steps


def machine() -> dict[str, Any]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {
        "cpu": cpu,
        "nproc": os.cpu_count(),
        "pinned_to_cpu": sorted(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "qfund_rules": q.__version__,
    }


def run(quick: bool, seed: int, collector: str = "off") -> dict[str, Any]:
    """Every measurement; returns the JSON document."""
    # One core, as the targets say; the durable worker inherits the same core.
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    if collector == "off":
        # As the qfund command runs (cli.main): the library leaves this process-wide switch
        # to its caller. Each timed repeat still starts after a full collection.
        gc.disable()
    rules = q.load_rules(RULES_DIR)
    out: dict[str, Any] = {"machine": machine(), "quick": quick, "seed": seed, "gc": collector}
    out["rss_baseline_mb"] = rss_mb()
    out["memory_per_claim"] = memory_per_claim(rules, seed)

    # The generator must build what the loader builds: round-trip a sample through it.
    sample = synthetic_batch(2_000, seed, rules)
    loaded = rules.batch_from_data(q.batch_to_data(sample))
    if (
        loaded != sample
        or q.evaluate(rules, loaded).to_dict() != q.evaluate(rules, sample).to_dict()
    ):
        raise SystemExit("bench: synthetic batches differ from what the loader makes of them")

    out["rules_load_ms"] = 1000 * median_seconds(lambda: q.load_rules(RULES_DIR), 7)
    with tempfile.TemporaryDirectory(prefix="qfund-bench-") as scratch:
        out["batch_load_claims_per_s"] = load_claims_per_s(rules, sample, Path(scratch))

    side = 10_000 if quick else 50_000
    batch = synthetic_batch(side, seed, rules)
    native = q.evaluate(rules, batch)
    reference = evaluate_reference(rules, batch)
    t_native = median_seconds(lambda: q.evaluate(rules, batch), 5)
    t_reference = median_seconds(lambda: evaluate_reference(rules, batch), 5)
    out["side_by_side_claims"] = side
    out["native_claims_per_s"] = side / t_native
    out["reference_claims_per_s"] = side / t_reference
    out["agreement"] = {"reference_vs_native": disagreements(native, reference)}
    outcomes: dict[str, int] = {}
    for d in native.decisions:
        outcomes[d.outcome] = outcomes.get(d.outcome, 0) + 1
    out["mix"] = {
        "outcomes": outcomes,
        "reasons": sorted({r for d in native.decisions for r in d.reasons}),
        "kinds": len({c.kind for c in batch.claims}),
        "trace_steps_per_claim": sum(len(d.trace) for d in native.decisions) / side,
    }
    unavailable = durable_unavailable_reason()
    if unavailable is None:
        with DurableWorker() as worker:
            start = time.perf_counter()
            worker.request({"op": "ping"}, 120)
            out["durable_startup_s"] = time.perf_counter() - start
            durable = worker.evaluate(rules, batch, timeout=3600)
            out["agreement"]["durable_vs_native"] = disagreements(native, durable)
            t_durable = median_seconds(lambda: worker.evaluate(rules, batch, timeout=3600), 3)
            del durable  # its 50k decisions would otherwise sit under the 1M measurement
        out["durable_claims_per_s"] = side / t_durable
        out["durable_worker_peak_rss_mb"] = peak_rss_mb(resource.RUSAGE_CHILDREN)
    else:
        out["durable_claims_per_s"] = None
        out["durable_unavailable"] = unavailable
    del native, reference, batch

    scaling = scale_in_turns(rules, seed, (1_000, 10_000, 100_000), out)
    if not quick:
        # A million claims are timed alone: beside the smaller batches they would add to
        # the peak memory measured with them.
        scaling.append(scale_alone(rules, seed, 1_000_000))
    out["scaling"] = scaling
    out["growth"] = growth(scaling)
    out["reference_worst_10x_step"] = max(g["reference_ratio"] for g in out["growth"])
    out["floor_worst_10x_step"] = max(g["floor_ratio"] for g in out["growth"])
    out["read_worst_10x_step"] = max(g["read_ratio"] for g in out["growth"])
    if not quick:
        out["peak_rss_mb_1m"] = peak_rss_mb()
    # After the 1M run, so that its peak is the 1M batch's alone.
    out["order_steps"] = order_effect(rules, seed)
    per_claim = out["memory_per_claim"]["peak_bytes"]
    out["projected_peak_rss_mb_1m"] = out["rss_baseline_mb"] + 1_000_000 * per_claim / 2**20

    ledger_claims, sizes = 10_000, (0, 10_000, 100_000)
    batch = synthetic_batch(ledger_claims, seed + 7, rules)
    with tempfile.TemporaryDirectory(prefix="qfund-bench-") as scratch:
        histories: list[q.History] = [filler_history(n, seed + n, rules) for n in sizes]
        ledgers = [filler_sqlite(n, seed + n, rules, Path(scratch)) for n in sizes]
        # Sizes interleaved within each repeat, so that drift in the machine's speed falls
        # on all of them alike.
        memory = interleaved(rules, batch, histories, 7)
        sqlite = interleaved(rules, batch, ledgers, 3)
        for ledger in ledgers:
            ledger.close()
    ledger_scaling = [
        {"ledger_rows": n, "claims_per_s": ledger_claims / t}
        for n, t in zip(sizes, memory, strict=True)
    ]
    sqlite_scaling = [
        {"ledger_rows": n, "claims_per_s": ledger_claims / t}
        for n, t in zip(sizes, sqlite, strict=True)
    ]
    out["ledger_scaling"] = ledger_scaling
    out["ledger_scaling_sqlite"] = sqlite_scaling
    out["peak_rss_mb"] = peak_rss_mb()
    out["targets"] = targets(out)
    return out


def targets(out: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of the issue: the measured value, the goal, and whether it is met."""
    native, durable = out["native_claims_per_s"], out["durable_claims_per_s"]
    linear = max(g["native_ratio"] for g in out["growth"])
    ledger = out["ledger_scaling"]
    rows: list[dict[str, Any]] = [
        {"target": "native claims/s, full traces, one core", "value": native,
         "goal": f">= {TARGET_NATIVE_CPS:,}", "met": native >= TARGET_NATIVE_CPS},
        {"target": "native / durable speed", "value": None if durable is None else native / durable,
         "goal": f">= {TARGET_VS_DURABLE:g}x",
         "met": None if durable is None else native / durable >= TARGET_VS_DURABLE},
        {"target": "native time / reference time", "value": out["reference_claims_per_s"] / native,
         "goal": f"<= {TARGET_VS_REFERENCE:g}x",
         "met": out["reference_claims_per_s"] / native <= TARGET_VS_REFERENCE},
        {"target": "time for 10x the claims (worst step)", "value": linear,
         "goal": f"<= {TARGET_LINEAR:g}x", "met": linear <= TARGET_LINEAR},
        {"target": "100k ledger rows / empty ledger (time)",
         "value": ledger[0]["claims_per_s"] / ledger[-1]["claims_per_s"],
         "goal": f"<= {TARGET_LEDGER:g}x",
         "met": ledger[0]["claims_per_s"] / ledger[-1]["claims_per_s"] <= TARGET_LEDGER},
        {"target": "rule files loaded and validated (ms)", "value": out["rules_load_ms"],
         "goal": f"<= {TARGET_LOAD_MS:g}", "met": out["rules_load_ms"] <= TARGET_LOAD_MS},
    ]  # fmt: skip
    peak = out.get("peak_rss_mb_1m")
    if peak is None:  # --quick: projected from the bytes per claim of 20k claims
        peak, what = out["projected_peak_rss_mb_1m"], "peak RSS with 1M claims (MB, projected)"
    else:
        what = "peak RSS with 1M claims (MB)"
    rows.append(
        {"target": what, "value": peak, "goal": f"<= {TARGET_1M_MB:g}", "met": peak <= TARGET_1M_MB}
    )  # fmt: skip
    return rows


def _shown(value: object) -> str:
    if value is None:
        return "not measured"
    if isinstance(value, float):
        return f"{value:,.0f}" if value >= 100 else f"{value:.2f}"
    return str(value)


def report(out: dict[str, Any]) -> str:
    """The figures as a table people read."""
    m = out["machine"]
    lines = [
        f"qfund_rules {m['qfund_rules']} on {m['cpu']} (nproc {m['nproc']}, pinned to cpu "
        f"{m['pinned_to_cpu']}), Python {m['python']}{' --quick' if out['quick'] else ''}, "
        f"cyclic GC {out['gc']}",
        "",
        f"side by side, {out['side_by_side_claims']:,} claims, median of repeats:",
    ]
    lines += [
        f"  {name:<10} {_shown(out[f'{name}_claims_per_s']):>12} claims/s"
        for name in ("native", "durable", "reference")
    ]
    agreement = ", ".join(f"{k}: {v} differ" for k, v in out["agreement"].items())
    lines += [f"  agreement  {agreement}", "", "native time against batch size:"]
    for s in out["scaling"]:
        lines.append(
            f"  {s['claims']:>9,} claims  {s['seconds']:8.3f} s  {s['claims_per_s']:>10,.0f}/s"
            f"  (reference {s['reference_seconds']:7.3f} s {s['reference_claims_per_s']:>9,.0f}/s;"
            f" floor {s['floor_seconds']:6.3f} s; read {s['read_seconds']:6.3f} s;"
            f" {s['page_faults_per_claim']:.2f} page faults/claim)"
        )
    lines += [
        "  each 10x step: the time ratio, and the µs per claim it added (11x allows the last):",
        f"  {'':<21} {'native':>8} {'reference':>10} {'floor':>8} {'read':>7}"
        f"   {'native':>7} {'reference':>10} {'floor':>7} {'read':>7} {'allowed':>8}",
    ]
    for g in out["growth"]:
        step = f"{g['from_claims']:,} → {g['to_claims']:,}"
        lines.append(
            f"  {step:<21} {g['native_ratio']:>7.2f}x {g['reference_ratio']:>9.2f}x"
            f" {g['floor_ratio']:>7.2f}x {g['read_ratio']:>6.2f}x   {g['native_added_us']:>+7.2f}"
            f" {g['reference_added_us']:>+10.2f} {g['floor_added_us']:>+7.2f}"
            f" {g['read_added_us']:>+7.2f}"
            f" {g['allowed_us']:>+8.2f}"
        )
    labels = {
        "generated": "as generated (kind, applicant at random)",
        "by_article": "filed by article (as examples/ files them)",
        "by_applicant": "each applicant's claims together",
    }
    lines.append(
        "native 10k → 100k on the same claims refiled (in turns; a figure, not the target's):"
    )
    for order, row in out["order_steps"].items():
        small, big = row["claims_per_s"]
        lines.append(f"  {labels[order]:<43} {row['step']:6.2f}x  ({small:,.0f}/s → {big:,.0f}/s)")
    lines.append("native against ledger size (10,000 claims): StaticHistory | SqliteLedger")
    for a, b in zip(out["ledger_scaling"], out["ledger_scaling_sqlite"], strict=True):
        lines.append(f"  {a['ledger_rows']:>9,} rows  {a['claims_per_s']:>10,.0f}/s | "
                     f"{b['claims_per_s']:>8,.0f}/s")  # fmt: skip
    lines += [
        f"rules load and validate: {out['rules_load_ms']:.1f} ms",
        "batch files read and checked (2,000 claims; not in any time above): JSON "
        "{json:,.0f} claims/s, YAML {yaml:,.0f} claims/s".format(**out["batch_load_claims_per_s"]),
        f"peak RSS: {out['peak_rss_mb']:.0f} MB; an evaluation of 100k claims holds "
        f"{out['rss_mb_per_100k_claims']:.0f} MB (freed in "
        f"{out['free_s_per_100k_claims'] * 1000:.0f} ms, not in any time above); its JSON "
        f"written as qfund evaluate writes it in {out['json_write_s_per_100k_claims']:.2f} s",
        "bytes per claim (tracemalloc, 20k claims): batch {batch_bytes:.0f}, evaluation "
        "{evaluation_bytes:.0f}, both at the evaluation's peak {peak_bytes:.0f}".format(
            **out["memory_per_claim"]
        ),
        "",
        f"{'target':<42} {'measured':>14} {'goal':>12}  met",
    ]
    for t in out["targets"]:
        met = "-" if t["met"] is None else ("yes" if t["met"] else "NO")
        lines.append(f"{t['target']:<42} {_shown(t['value']):>14} {t['goal']:>12}  {met}")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="up to 100k claims; no 1M run")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the figures as JSON")
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument(
        "--gc",
        choices=("off", "on"),
        default="off",
        help="the cyclic garbage collector during the run: off (default, as the qfund "
        "command runs) or on (as a library caller that leaves it on)",
    )
    args = parser.parse_args(argv)
    out = run(args.quick, args.seed, args.gc)
    print(report(out), end="")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
