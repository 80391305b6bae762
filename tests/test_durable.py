"""The durable-rules backend: agreement with the native engine, and durable's faults contained.

Most tests talk to a worker process, as callers do. A few open the worker's engine in this
process to reach what a process boundary hides (an action that raises, the condition
compiler, the ruleset registry); those need durable-rules importable here.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import string
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import qfund_rules as q
from qfund_rules import durable_backend as db
from qfund_rules.claims import CLAIM_TYPES
from qfund_rules.cli import run
from qfund_rules.conditions import FactSpec, facts_read, failures, holds, parse_condition
from qfund_rules.decision import REASON_CODES
from qfund_rules.durable_backend import (
    DurableBackendError,
    DurableUnavailableError,
    DurableWorker,
    durable_unavailable_reason,
    evaluate_durable,
)
from qfund_rules.history import BanRecord, PriorAward, StaticHistory, applicant_key

from .conftest import EXAMPLES_DIR, RULES_DIR

_UNAVAILABLE = durable_unavailable_reason()
# What a missing durable-rules is refused with: from Python 3.13 on the version is checked
# first (durable-rules cannot run there, installed or not), before it the absence itself.
_MISSING = (
    "the durable backend needs Python 3.12 or earlier"
    if sys.version_info >= (3, 13)
    else "which is not installed; install it with: pip install 'qfund-rules[durable]'"
)
needs_durable = pytest.mark.skipif(_UNAVAILABLE is not None, reason=_UNAVAILABLE or "")
# durable-rules calls datetime.utcfromtimestamp, deprecated from Python 3.12 on.
in_process = pytest.mark.filterwarnings("ignore::DeprecationWarning")

Key = tuple[str, str, str | None, int, tuple[str, ...], tuple[str, ...]]


@pytest.fixture(scope="module")
def worker() -> Iterator[DurableWorker]:
    """One worker for the tests that only evaluate."""
    if _UNAVAILABLE is not None:
        pytest.skip(_UNAVAILABLE)
    with DurableWorker() as w:
        yield w


def exact(evaluation: q.Evaluation) -> list[Key]:
    """What both backends must agree on, reasons and citations in their order."""
    return [
        (d.claim_id, d.outcome, d.item, d.amount_yuan, d.reasons, d.citations)
        for d in evaluation.decisions
    ]


def domain_cases(rules: q.RuleSet) -> list[tuple[str, q.Batch, StaticHistory]]:
    """Every case of rules/tests/ as (name, batch, history), read as ``qfund test`` does."""
    out = []
    for path in sorted((RULES_DIR / "tests").glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
            batch = q.batch_from_data(case["batch"], industry_codes=rules.industry_codes)
            keys = {a.id: applicant_key(a.id, a.uscc) for a in batch.applicants}
            history = case.get("history") or {}
            awards: dict[tuple[str, str, str], list[PriorAward]] = {}
            for aw in history.get("awards", ()):
                key = (keys.get(aw["applicant"], aw["applicant"]), aw["family"], aw["subject"])
                prior = PriorAward(aw["claim_id"], aw["item"], aw["amount_yuan"], aw["year"])
                awards.setdefault(key, []).append(prior)
            bans: dict[str, list[BanRecord]] = {}
            for b in history.get("bans", ()):
                who = keys.get(b["applicant"], b["applicant"])
                bans.setdefault(who, []).append(BanRecord(b["claim_id"], b["found_on"], b["until"]))
            out.append((f"{path.name}: {case['name']}", batch, StaticHistory(awards, bans)))
    return out


# --- availability ------------------------------------------------------------------------


def test_importing_the_package_never_imports_durable() -> None:
    """``import qfund_rules`` and even the backend module leave durable-rules unimported."""
    code = (
        "import sys, qfund_rules, qfund_rules.durable_backend; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('durable', 'durable_rules_engine')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_python_313_is_refused_with_a_reason() -> None:
    """On Python 3.13 and later the backend says why it cannot run and what to use instead."""
    reason = durable_unavailable_reason(version_info=(3, 13), find_spec=lambda name: object())
    assert reason is not None
    assert "3.13" in reason
    assert "native" in reason


def test_missing_durable_is_refused_with_an_install_hint() -> None:
    """Without durable-rules installed the reason names the extra to install."""
    reason = durable_unavailable_reason(version_info=(3, 11), find_spec=lambda name: None)
    assert reason is not None
    assert "pip install 'qfund-rules[durable]'" in reason


def test_evaluate_durable_raises_a_qfund_error_when_durable_is_missing(
    rules: q.RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A missing durable-rules is a DurableUnavailableError (a QfundError), not an ImportError."""
    monkeypatch.setattr("importlib.util.find_spec", lambda name, package=None: None)
    batch = q.load_batch(EXAMPLES_DIR / "claims-2027.yaml", industry_codes=rules.industry_codes)
    with pytest.raises(DurableUnavailableError, match=re.escape(_MISSING)) as info:
        evaluate_durable(rules, batch)
    assert isinstance(info.value, q.QfundError)


@needs_durable
def test_a_durable_that_fails_to_import_is_reported(
    rules: q.RuleSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A durable-rules build that fails to import in the worker is DurableUnavailableError."""
    fake = tmp_path / "durable"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "engine.py").write_text("raise ImportError('simulated broken build')\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    batch = q.load_batch(EXAMPLES_DIR / "claims-2027.yaml", industry_codes=rules.industry_codes)
    with pytest.raises(DurableUnavailableError, match="simulated broken build"):
        evaluate_durable(rules, batch)


# --- agreement ----------------------------------------------------------------------------


def whole(evaluation: q.Evaluation) -> list[dict[str, Any]]:
    """Each decision whole, as interchange.md writes it: its trace too, every step's facts
    and messages included."""
    return [d.to_dict() for d in evaluation.decisions]


@needs_durable
def test_agrees_with_the_native_engine_on_the_example_batch(rules: q.RuleSet) -> None:
    """On the example batch of 2027 both backends write the same decisions, traces and all."""
    batch = q.load_batch(EXAMPLES_DIR / "claims-2027.yaml", industry_codes=rules.industry_codes)
    native, durable = q.evaluate(rules, batch), evaluate_durable(rules, batch)
    assert exact(native) == exact(durable)
    assert whole(native) == whole(durable)
    assert native.to_dict() == durable.to_dict()


@needs_durable
def test_agrees_on_every_domain_case(rules: q.RuleSet, worker: DurableWorker) -> None:
    """Every case of rules/tests/ (histories, bans and top-ups included) is decided alike,
    each decision whole: a difference anywhere in a trace fails."""
    cases = domain_cases(rules)
    got = worker.evaluate_many(rules, [(batch, history) for _, batch, history in cases])
    for (name, batch, history), durable in zip(cases, got, strict=True):
        native = q.evaluate(rules, batch, history)
        assert exact(native) == exact(durable), name
        for n, d in zip(whole(native), whole(durable), strict=True):
            assert n == d, (name, n["claim_id"])


# Texts the domain cases do not reach: a near miss of an organisation type, a participant
# with no Hami unit ranked after the lead, a lead by proof, a claim achieved before its
# item's first amount (and outside the measures' period), a listed applicant with a listing
# on file that does not apply, an applicant on both lists.
_EDGES = {
    "round": 2027,
    "submitted_on": "2027-03-20",
    "applicants": [
        {"id": "A1", "name": "哈密某公司", "org_type": "enterprize", "region": "650502"},
        {"id": "A2", "name": "哈密某新能源有限公司", "org_type": "enterprise", "region": "650502"},
        {"id": "A3", "name": "哈密某检测有限公司", "org_type": "enterprise", "region": "650502",
         "credit_listings": [{"list": "dishonest", "from": "2026-01-10"},
                             {"list": "negative", "from": "2027-04-01"}]},
        {"id": "A4", "name": "哈密某建材有限公司", "org_type": "enterprise", "region": "650502",
         "credit_listings": [{"list": "negative", "from": "2027-01-01", "until": "2027-12-31"},
                             {"list": "dishonest", "from": "2026-05-01"}]},
    ],
    "claims": [
        {"id": "C1", "applicant": "A1", "kind": "leading_enterprise", "achieved_on": "2026-11-02"},
        {"id": "C2", "applicant": "A2", "kind": "standard", "action": "formulate",
         "standard_no": "GB/T 45678-2026", "achieved_on": "2026-11-02",
         "drafting_units": [{"name": "中国标准化研究院", "region": "110108"},
                            {"name": "哈密某新能源有限公司", "region": "110108"}]},
        {"id": "C3", "applicant": "A2", "kind": "standard", "action": "formulate",
         "standard_no": "GB/T 45679-2026", "achieved_on": "2026-11-02", "lead_proof": True},
        {"id": "C4", "applicant": "A2", "kind": "leading_enterprise", "achieved_on": "2025-11-02"},
        {"id": "C5", "applicant": "A3", "kind": "leading_enterprise", "achieved_on": "2026-11-02"},
        {"id": "C6", "applicant": "A4", "kind": "leading_enterprise", "achieved_on": "2026-11-02"},
    ],
}  # fmt: skip


@needs_durable
def test_both_backends_write_the_same_trace(rules: q.RuleSet, worker: DurableWorker) -> None:
    """Every step of a trace is the same in both backends, in the same order: its step,
    rule, citation, result, facts and messages (the passing cases and the items not matched
    included); with a ledger and without, on the domain cases, the example batch and edge
    cases they do not reach."""
    example = q.load_batch(EXAMPLES_DIR / "claims-2027.yaml", industry_codes=rules.industry_codes)
    edges = q.batch_from_data(_EDGES, industry_codes=rules.industry_codes)
    cases: list[tuple[q.Batch, q.History]] = [(b, h) for _, b, h in domain_cases(rules)]
    cases += [(b, h) for b in (example, edges) for h in (q.NO_HISTORY, StaticHistory())]
    got = worker.evaluate_many(rules, cases)
    for (batch, history), durable in zip(cases, got, strict=True):
        native = q.evaluate(rules, batch, history)
        for n, d in zip(native.decisions, durable.decisions, strict=True):
            steps = [(s.step, s.rule) for s in n.trace]
            assert steps == [(s.step, s.rule) for s in d.trace], n.claim_id
            for mine, theirs in zip(n.trace, d.trace, strict=True):
                assert mine.to_dict() == theirs.to_dict(), (n.claim_id, mine.step, mine.rule)


@needs_durable
def test_agreement_covers_every_kind_and_reason_code(
    rules: q.RuleSet, worker: DurableWorker
) -> None:
    """The domain cases make the durable backend use every claim kind and every reason code."""
    cases = domain_cases(rules)
    got = worker.evaluate_many(rules, [(batch, history) for _, batch, history in cases])
    kinds = {c.kind for _, batch, _ in cases for c in batch.claims}
    reasons = {r for e in got for d in e.decisions for r in d.reasons}
    outcomes = {d.outcome for e in got for d in e.decisions}
    assert set(CLAIM_TYPES) == kinds
    assert set(REASON_CODES) == reasons
    assert outcomes == {"awarded", "rejected", "superseded"}


def participation_policy(rules: q.RuleSet, policy: str, tmp_path: Path) -> q.RuleSet:
    """``rules`` with allocation.yaml's participation policy set to ``policy``."""
    if policy != rules.allocation.participation.policy:
        for name in ("awards.yaml", "exclusions.yaml", "allocation.yaml"):
            text = (RULES_DIR / name).read_text(encoding="utf-8")
            if name == "allocation.yaml":
                text = text.replace(
                    f"policy: {rules.allocation.participation.policy}", f"policy: {policy}"
                )
            (tmp_path / name).write_text(text, encoding="utf-8")
        rules = q.load_rules(tmp_path)
    assert rules.allocation.participation.policy == policy
    return rules


@needs_durable
@pytest.mark.parametrize("policy", ["foremost_after_lead", "foremost_overall"])
def test_participation_goes_to_the_foremost_hami_unit_across_claims(
    rules: q.RuleSet, worker: DurableWorker, policy: str, tmp_path: Path
) -> None:
    """A unit printed without a code is Hami only to its own claim; across claims the foremost
    Hami unit is paid, under either participation policy, by both backends alike."""
    rules = participation_policy(rules, policy, tmp_path)
    units = [
        {"name": "哈密某能源有限公司"},  # no code: a Hami unit only to A1's own claim
        {"name": "中国标准化研究院", "region": "110108"},
        {"name": "哈密某新材料有限公司"},
        {"name": "哈密某检测有限公司", "region": "650502"},
    ]
    data = {
        "round": 2027,
        "submitted_on": "2027-03-20",
        "applicants": [
            {"id": f"A{i}", "name": u["name"], "org_type": "enterprise", "region": "650502"}
            for i, u in enumerate(units)
            if u["name"].startswith("哈密")
        ],
        "claims": [
            {"id": f"C{i}", "applicant": f"A{i}", "kind": "standard", "action": "formulate",
             "standard_no": "GB/T 45678-2026", "achieved_on": "2026-11-02",
             "drafting_units": units}
            for i, u in enumerate(units)
            if u["name"].startswith("哈密")
        ],
    }  # fmt: skip
    batch = q.batch_from_data(data, industry_codes=rules.industry_codes)
    native, durable = q.evaluate(rules, batch), worker.evaluate(rules, batch)
    assert exact(native) == exact(durable)
    paid = [d.claim_id for d in native.decisions if d.item and d.item.startswith("a13.2")]
    awarded = [d.claim_id for d in native.decisions if d.outcome == "awarded"]
    assert paid  # the case really has participants
    assert len([c for c in awarded if c in paid]) <= 1


# The steps of 第十三条 across the claims on a standard: the native engine's, durable's two.
_ACROSS_CLAIMS = ("standard.one_participant", "authorship.foremost_elsewhere",
                  "authorship.one_participant")  # fmt: skip


@needs_durable
def test_a_participant_behind_another_claim_is_told_the_same_claim_by_both_backends(
    rules: q.RuleSet, worker: DurableWorker
) -> None:
    """Both backends' failing step of 第十三条 across claims names the same claim showing the
    foremost Hami unit (the earliest by submitted_on, then id, of the two that show it), with
    the same facts and messages, and the same claim paid."""
    name = "哈密某新能源有限公司"
    units = [
        {"name": "中国标准化研究院", "region": "110108"},
        {"name": name},
        {"name": "哈密某检测有限公司", "region": "650521"},
    ]
    applicants = [
        {"id": "A1", "name": name, "org_type": "enterprise", "region": "650502"},
        {"id": "A1b", "name": name, "org_type": "enterprise", "region": "650502"},
        {"id": "A2", "name": "哈密某检测有限公司", "org_type": "enterprise", "region": "650521"},
    ]
    claims = [
        {
            "id": c,
            "applicant": a,
            "kind": "standard",
            "action": "formulate",
            "standard_no": "GB/T 45678-2026",
            "achieved_on": "2026-11-02",
            "submitted_on": on,
            "drafting_units": units,
        }
        for c, a, on in (
            ("C1", "A1", "2027-03-20"),
            ("C2", "A1b", "2027-03-19"),
            ("C3", "A2", "2027-03-20"),
        )
    ]
    data = {"round": 2027, "submitted_on": "2027-03-20", "applicants": applicants,
            "claims": claims}  # fmt: skip
    batch = q.batch_from_data(data, industry_codes=rules.industry_codes)

    def shown(evaluation: q.Evaluation) -> dict[str, tuple[dict[str, Any], str, str]]:
        return {
            d.claim_id: (dict(s.facts), s.message_zh, s.message_en)
            for d in evaluation.decisions
            for s in d.trace
            if s.rule in _ACROSS_CLAIMS
        }

    native, durable = q.evaluate(rules, batch), worker.evaluate(rules, batch)
    assert exact(native) == exact(durable)
    facts = {"standard_no": "GB/T 45678-2026", "foremost_hami_position": 2,
             "foremost_hami_claim": "C2"}  # fmt: skip
    assert shown(native)["C3"] == (
        facts,
        "申报C2中排序第2位的哈密市起草单位排序更靠前",
        "claim C2 shows a Hami unit ranked 2, before this applicant",
    )
    assert shown(native) == shown(durable)


@needs_durable
@pytest.mark.parametrize("policy", ["foremost_after_lead", "foremost_overall"])
def test_authorship_steps_show_the_same_hami_units_in_both_backends(
    rules: q.RuleSet, worker: DurableWorker, policy: str, tmp_path: Path
) -> None:
    """Both backends' authorship steps show the same division code per drafting unit and the
    same Hami units with what made each one (a code given or read from a USCC, hami: true,
    the applicant's own entry read as the applicant), for the lead and participants alike,
    under either participation policy."""
    rules = participation_policy(rules, policy, tmp_path)
    hami_uscc = "12650500458001234T"
    units = [
        {"name": "哈密某能源有限公司"},  # A0's own entry, printed without a code
        {"name": "中国标准化研究院", "region": "110108"},
        {"name": "哈密市产品质量检验检测中心", "uscc": hami_uscc},
        {"name": "外地某研究院", "region": "650102", "hami": True},
        {"name": "哈密某新材料有限公司"},  # A4's own entry, printed without a code
        {"name": "某协会"},
    ]
    applicants = [
        {"id": "A0", "name": "哈密某能源有限公司", "org_type": "enterprise", "region": "650502"},
        {"id": "A2", "name": "哈密市产品质量检验检测中心", "org_type": "public_institution",
         "uscc": hami_uscc},
        {"id": "A4", "name": "哈密某新材料有限公司", "org_type": "enterprise", "region": "650521"},
    ]  # fmt: skip
    data = {
        "round": 2027,
        "submitted_on": "2027-03-20",
        "applicants": applicants,
        "claims": [
            {"id": f"C{a['id'][1]}", "applicant": a["id"], "kind": "standard",
             "action": "formulate", "standard_no": "GB/T 45678-2026",
             "achieved_on": "2026-11-02", "drafting_units": units}
            for a in applicants
        ],
    }  # fmt: skip
    batch = q.batch_from_data(data, industry_codes=rules.industry_codes)
    keys = ("position", "unit_regions", "hami_units")

    def shown(evaluation: q.Evaluation) -> dict[str, dict[str, Any]]:
        return {
            d.claim_id: {k: s.facts[k] for k in keys if k in s.facts}
            for d in evaluation.decisions
            for s in d.trace
            if s.step == "authorship" and not s.rule.endswith(("one_participant", "elsewhere"))
        }

    native = shown(q.evaluate(rules, batch))
    lead = {"by": "applicant", "position": 1, "region": "650502"}
    others = [{"by": "uscc", "position": 3}, {"by": "hami", "position": 4}]
    regions = [None, "110108", "650500", "650102", None, None]
    expected = {
        "C0": {"position": 1}
        if policy == "foremost_after_lead"
        else {"position": 1, "unit_regions": regions, "hami_units": [lead, *others]},
        "C2": {"position": 3, "unit_regions": regions, "hami_units": others},
        "C4": {
            "position": 5,
            "unit_regions": regions,
            "hami_units": [*others, {"by": "applicant", "position": 5, "region": "650521"}],
        },
    }
    assert (expected, expected) == (native, shown(worker.evaluate(rules, batch)))


def lead_policy(rules: q.RuleSet, policy: str, tmp_path: Path) -> q.RuleSet:
    """``rules`` with allocation.yaml's lead policy set to ``policy``."""
    if policy != rules.allocation.lead.policy:
        for name in ("awards.yaml", "exclusions.yaml", "allocation.yaml"):
            text = (RULES_DIR / name).read_text(encoding="utf-8")
            if name == "allocation.yaml":
                text = text.replace(f"policy: {rules.allocation.lead.policy}", f"policy: {policy}")
            (tmp_path / name).write_text(text, encoding="utf-8")
        rules = q.load_rules(tmp_path)
    assert rules.allocation.lead.policy == policy
    return rules


def _lead(cid: str, applicant: str, units: list[str] | None, **more: Any) -> dict[str, Any]:
    """A claim of ``applicant`` on GB/T 902-2026, its 前言 printing ``units`` by name."""
    claim = {"id": cid, "applicant": applicant, "kind": "standard", "action": "formulate",
             "standard_no": "GB/T 902-2026", "achieved_on": "2026-11-02", **more}  # fmt: skip
    if units is not None:
        claim["drafting_units"] = [{"name": u} for u in units]
    return claim


# Claims of four applicants to lead GB/T 902-2026 (第十三条): one naming itself first, one
# with a lead proof and no units, one refused for other support, an applicant's own second
# claim, leads of its revision (the earliest of all, superseded by its applicant's
# formulation), and another applicant's participation beside them.
_NAMES = {"A1": "哈密某新能源有限公司", "A2": "哈密某检测有限公司", "A3": "哈密某材料有限公司",
          "A4": "哈密某建材有限公司", "A5": "哈密某乳业有限公司"}  # fmt: skip
_LEADS = {
    "round": 2027,
    "submitted_on": "2027-03-20",
    "applicants": [
        {"id": a, "name": name, "org_type": "enterprise", "region": "650502"}
        for a, name in _NAMES.items()
    ],
    "claims": [
        _lead("L1", "A1", [_NAMES["A1"], "中国标准化研究院"]),
        _lead("L2", "A2", [], lead_proof=True),
        _lead("L3", "A3", [_NAMES["A3"]], submitted_on="2027-03-19", other_support=["资助"]),
        _lead("L1b", "A1", None, lead_proof=True, submitted_on="2027-03-21"),
        _lead("R1", "A1", [_NAMES["A1"]], action="revise", submitted_on="2027-03-18"),
        _lead("R3", "A3", [_NAMES["A3"]], action="revise", submitted_on="2027-03-21"),
        _lead("R4", "A4", [_NAMES["A4"]], action="revise", submitted_on="2027-03-22"),
        _lead("P5", "A5", ["中国标准化研究院", _NAMES["A5"]]),
    ],
}


@needs_durable
@pytest.mark.parametrize("policy", ["one_per_standard", "each_claim"])
def test_one_lead_per_standard_is_decided_alike_by_both_backends(
    rules: q.RuleSet, worker: DurableWorker, policy: str, tmp_path: Path
) -> None:
    """Claims of several applicants to lead one standard are decided alike by both backends,
    each decision whole (the standard.one_lead steps' facts, messages and citations
    included), under either lead policy; under one_per_standard one applicant leads the
    number."""
    rules = lead_policy(rules, policy, tmp_path)
    batch = q.batch_from_data(_LEADS, industry_codes=rules.industry_codes)
    native, durable = q.evaluate(rules, batch), worker.evaluate(rules, batch)
    assert exact(native) == exact(durable)
    assert whole(native) == whole(durable)
    named = {
        d.claim_id: s.facts["lead_claim"]
        for d in native.decisions
        for s in d.trace
        if s.rule == "standard.one_lead"
    }
    paid = {d.claim_id for d in native.decisions if d.outcome == "awarded"}
    if policy == "one_per_standard":
        # R1, the earliest claim to lead the number, names A1 its lead; A1's claims go by
        # 就高不就低 (L1 paid), every other applicant's claim to lead is a second claim.
        assert named == {"L2": "R1", "L3": "R1", "R3": "R1", "R4": "R1"}
        assert paid == {"L1", "P5"}
    else:
        assert named == {}
        assert paid == {"L1", "L2", "R3", "R4", "P5"}


@needs_durable
@pytest.mark.parametrize("across_rounds", [True, False])
@pytest.mark.parametrize("holder", ["A3", "A9"])
def test_an_earlier_lead_is_decided_alike_by_both_backends(
    rules: q.RuleSet, worker: DurableWorker, tmp_path: Path, across_rounds: bool, holder: str
) -> None:
    """A lead of GB/T 902-2026 awarded in round 2026 (to A3, an applicant of the batch, or
    to A9, outside it) and a later one to A4 (2026 too, listed after it): with
    lead.across_rounds both backends reject every other applicant's claim to lead the
    number, naming the earlier A3/A9 award and its round, and leave A3's own to its earlier
    award; without it, both decide the batch alone. Each decision whole."""
    if not across_rounds:
        text = (RULES_DIR / "allocation.yaml").read_text(encoding="utf-8")
        for name in ("awards.yaml", "exclusions.yaml"):
            (tmp_path / name).write_text((RULES_DIR / name).read_text(encoding="utf-8"), "utf-8")
        (tmp_path / "allocation.yaml").write_text(
            text.replace("across_rounds: true", "across_rounds: false"), encoding="utf-8"
        )
        rules = q.load_rules(tmp_path)
    assert rules.allocation.lead.across_rounds is across_rounds
    history = StaticHistory(
        {
            (applicant_key(holder, None), "a13.standard", "GB/T 902-2026"): [
                PriorAward("OLD1", "a13.3.national", 200_000, 2026)
            ],
            (applicant_key("A4", None), "a13.standard", "GB/T 902-2026"): [
                PriorAward("OLD2", "a13.1.national", 200_000, 2026)
            ],
        }
    )
    batch = q.batch_from_data(_LEADS, industry_codes=rules.industry_codes)
    native, durable = q.evaluate(rules, batch, history), worker.evaluate(rules, batch, history)
    assert whole(native) == whole(durable)
    named = {
        d.claim_id: (s.facts["lead_claim"], s.facts.get("lead_round"))
        for d in native.decisions
        for s in d.trace
        if s.rule == "standard.one_lead"
    }
    if across_rounds:
        others = {"L1", "L2", "L1b", "R1", "R4"} | ({"L3", "R3"} if holder == "A9" else set())
        assert named == dict.fromkeys(others, ("OLD1", 2026))
    else:
        assert named == dict.fromkeys(("L2", "L3", "R3", "R4"), ("R1", None))


@needs_durable
def test_a_claim_refused_after_its_top_up_step_is_decided_alike(
    rules: q.RuleSet, worker: DurableWorker
) -> None:
    """A1 and A2, paid 5 万 in 2026 as participants in drafting GB/T 902-2026, claim its
    lead while A9 holds the lead awarded in 2026: each claim is topped up over the
    participation, then refused by the lead rule. Both backends give it no top-up (a skip
    step, neither top_up nor 第二十条第(二)项), each decision whole."""
    number = "GB/T 902-2026"
    history = StaticHistory(
        {
            **{
                (applicant_key(a, None), "a13.standard", number): [
                    PriorAward(f"P{a}", "a13.2.national", 50_000, 2026)
                ]
                for a in ("A1", "A2")
            },
            (applicant_key("A9", None), "a13.standard", number): [
                PriorAward("OLD1", "a13.1.national", 200_000, 2026)
            ],
        }
    )
    batch = q.batch_from_data(_LEADS, industry_codes=rules.industry_codes)
    native, durable = q.evaluate(rules, batch, history), worker.evaluate(rules, batch, history)
    assert whole(native) == whole(durable)
    skipped = {
        d.claim_id
        for d in durable.decisions
        for s in d.trace
        if s.step == "same_qualification" and s.result == "skip"
    }
    assert {"L1", "L2"} <= skipped
    cite = rules.allocation.same_qualification.citation
    refused = [d for d in durable.decisions if d.claim_id in skipped]
    assert all("top_up" not in d.reasons and cite not in d.citations for d in refused)


@needs_durable
def test_decisions_carry_a_trace_and_the_rule_set(rules: q.RuleSet, worker: DurableWorker) -> None:
    """Each decision names the rule set, and its trace is the native engine's: no step of
    durable's own (it closed each trace with an ``engine`` step that the native one lacks)."""
    batch = q.load_batch(EXAMPLES_DIR / "claims-2027.yaml", industry_codes=rules.industry_codes)
    evaluation = worker.evaluate(rules, batch)
    assert evaluation.rules == rules.identity()
    for d in evaluation.decisions:
        assert d.rules_sha256 == rules.sha256
        assert d.draft is (rules.status == "draft")
        assert d.trace
        assert "engine" not in {s.step for s in d.trace}
        assert d.trace[-1].step in ("ban", "same_qualification", "authorship")


@pytest.mark.parametrize("backend", ["native", pytest.param("durable", marks=needs_durable)])
def test_a_failing_listing_step_names_the_lists_that_apply(rules: q.RuleSet, backend: str) -> None:
    """A failing 第十七条第(二)项 step names the case by its titles and each list the
    applicant is on by its name in exclusions.yaml (list_names), in zh and en, in both
    backends: K36 of the example batch is on the dishonesty list, A4 of the edge cases on
    both lists."""
    example = q.load_batch(EXAMPLES_DIR / "claims-2027.yaml", industry_codes=rules.industry_codes)
    edges = q.batch_from_data(_EDGES, industry_codes=rules.industry_codes)
    evaluate = q.evaluate if backend == "native" else evaluate_durable
    found = {
        d.claim_id: s
        for batch in (example, edges)
        for d in evaluate(rules, batch).decisions
        for s in d.trace
        if s.rule == "excluded_credit" and s.result == "fail"
    }
    assert (found["K36"].message_zh, found["K36"].message_en) == (
        "属于“被列入失信名单、负面清单”情形(申报日2027-03-20列入失信名单),不予奖励",
        "excluded under 'On a dishonesty list or a negative list': on the dishonesty list on "
        "2027-03-20",
    )
    assert (found["C6"].message_zh, found["C6"].message_en) == (
        "属于“被列入失信名单、负面清单”情形(申报日2027-03-20列入失信名单、负面清单),不予奖励",
        "excluded under 'On a dishonesty list or a negative list': on the dishonesty list and "
        "the negative list on 2027-03-20",
    )


def failed_facts(evaluation: q.Evaluation, step: str) -> dict[str, dict[str, Any]]:
    """Per claim, the facts of its failing step of kind ``step``."""
    return {
        d.claim_id: dict(s.facts)
        for d in evaluation.decisions
        for s in d.trace
        if s.step == step and s.result == "fail"
    }


@needs_durable
def test_a_listing_step_shows_the_same_listings_in_both_backends(
    rules: q.RuleSet, worker: DurableWorker
) -> None:
    """Both backends' step of 第十七条第(二)项 shows every listing that applies on the claim's
    submitted_on with its dates, in the same order, and apart from them those that do not
    apply, with why."""
    listings = [
        {"list": "negative", "from": "2027-01-01", "until": "2027-03-20"},
        {"list": "dishonest", "from": "2025-01-01", "until": "2026-12-31"},
        {"list": "dishonest", "from": "2026-01-10", "until": None},
        {"list": "dishonest", "from": "2024-05-01"},
    ]
    data = {
        "round": 2027,
        "submitted_on": "2027-03-20",
        "applicants": [
            {"id": "A1", "name": "哈密某公司", "org_type": "enterprise", "region": "650502",
             "credit_listings": listings},
        ],
        "claims": [
            {"id": "C1", "applicant": "A1", "kind": "leading_enterprise",
             "achieved_on": "2026-11-02"},
            {"id": "C2", "applicant": "A1", "kind": "qc_group", "level": "national",
             "subject": "某QC小组", "achieved_on": "2026-11-02", "submitted_on": "2027-03-21"},
        ],
    }  # fmt: skip
    batch = q.batch_from_data(data, industry_codes=rules.industry_codes)
    native = failed_facts(q.evaluate(rules, batch), "exclusion")
    assert native["C2"]["listings"] == [
        {"from": "2024-05-01", "list": "dishonest", "until": None},
        {"from": "2026-01-10", "list": "dishonest", "until": None},
    ]
    assert native["C2"]["not_applying"] == [
        {"from": "2025-01-01", "list": "dishonest", "until": "2026-12-31", "why": "ended_before"},
        {"from": "2027-01-01", "list": "negative", "until": "2027-03-20", "why": "ended_before"},
    ]
    assert native == failed_facts(worker.evaluate(rules, batch), "exclusion")


@needs_durable
def test_a_listing_on_a_list_the_case_does_not_name_reads_alike_in_both_backends(
    rules: q.RuleSet, worker: DurableWorker, tmp_path: Path
) -> None:
    """With the listing case naming the dishonesty list only, both backends' failing step
    shows a negative listing covering submitted_on as other_list, with the same messages."""
    for name in ("awards.yaml", "exclusions.yaml", "allocation.yaml"):
        text = (RULES_DIR / name).read_text(encoding="utf-8")
        text = text.replace("lists: [dishonest, negative]", "lists: [dishonest]")
        (tmp_path / name).write_text(text, encoding="utf-8")
    rules = q.load_rules(tmp_path)
    listings = [
        {"list": "negative", "from": "2027-01-01"},
        {"list": "dishonest", "from": "2026-01-10"},
        {"list": "dishonest", "from": "2027-03-21"},
    ]
    data = {
        "round": 2027,
        "submitted_on": "2027-03-20",
        "applicants": [{"id": "A1", "name": "哈密某公司", "org_type": "enterprise",
                        "region": "650502", "credit_listings": listings}],
        "claims": [{"id": "C1", "applicant": "A1", "kind": "leading_enterprise",
                    "achieved_on": "2026-11-02"}],
    }  # fmt: skip
    batch = q.batch_from_data(data, industry_codes=rules.industry_codes)

    def shown(evaluation: q.Evaluation) -> list[tuple[dict[str, Any], str, str]]:
        return [
            (dict(s.facts), s.message_zh, s.message_en)
            for d in evaluation.decisions
            for s in d.trace
            if s.step == "exclusion" and "listed_on" in s.facts
        ]

    native = shown(q.evaluate(rules, batch))
    assert [f["not_applying"] for f, _, _ in native] == [
        [
            {"from": "2027-03-21", "list": "dishonest", "until": None, "why": "starts_after"},
            {"from": "2027-01-01", "list": "negative", "until": None, "why": "other_list"},
        ]
    ]
    # The lists by their names in exclusions.yaml, not by their codes.
    assert native[0][1].endswith(
        ":失信名单(2027-03-21起,申报日后才列入);负面清单(2027-01-01起,非本项所列名单)"
    )
    assert native[0][2].endswith(
        ": dishonesty list, from 2027-03-21, still listed (starts after that day); negative "
        "list, from 2027-01-01, still listed (not a list this case names)"
    )
    assert native == shown(worker.evaluate(rules, batch))


@needs_durable
def test_a_ban_step_shows_the_same_bans_in_both_backends(
    rules: q.RuleSet, worker: DurableWorker
) -> None:
    """Both backends' ban step (第二十四条) shows every ban covering the claim's submitted_on
    as {claim_id, found_on, until}, in the ledger's order, and says until when the last one
    runs."""
    bans = [
        BanRecord("F2", dt.date(2026, 6, 1), dt.date(2029, 6, 1)),
        BanRecord("F1", dt.date(2023, 1, 1), dt.date(2026, 1, 1)),
        BanRecord("F3", dt.date(2027, 3, 20), dt.date(2030, 3, 20)),
    ]
    data = {
        "round": 2027,
        "submitted_on": "2027-03-20",
        "applicants": [{"id": "A1", "name": "哈密某公司", "org_type": "enterprise",
                        "region": "650502"}],
        "claims": [{"id": "C1", "applicant": "A1", "kind": "leading_enterprise",
                    "achieved_on": "2026-11-02"}],
    }  # fmt: skip
    batch = q.batch_from_data(data, industry_codes=rules.industry_codes)
    history = StaticHistory(bans={applicant_key("A1", None): bans})

    def shown(evaluation: q.Evaluation) -> list[tuple[dict[str, Any], str, str]]:
        return [
            (dict(s.facts), s.message_zh, s.message_en)
            for d in evaluation.decisions
            for s in d.trace
            if s.step == "ban"
        ]

    native = shown(q.evaluate(rules, batch, history))
    assert native == [
        (
            {
                "submitted_on": "2027-03-20",
                "bans": [
                    {"claim_id": "F2", "found_on": "2026-06-01", "until": "2029-06-01"},
                    {"claim_id": "F3", "found_on": "2027-03-20", "until": "2030-03-20"},
                ],
            },
            "因申报F3弄虚作假被取消申报资格至2030-03-20",
            "banned until 2030-03-20 for fraud found on claim F3",
        )
    ]
    assert native == shown(worker.evaluate(rules, batch, history))
    # Two bans ending last together: both claims are named, in the ledger's order.
    bans.append(BanRecord("F0", dt.date(2027, 3, 20), dt.date(2030, 3, 20)))
    history = StaticHistory(bans={applicant_key("A1", None): bans})
    tied = shown(q.evaluate(rules, batch, history))
    assert [(zh, en) for _, zh, en in tied] == [
        (
            "因申报F3、F0弄虚作假被取消申报资格至2030-03-20",
            "banned until 2030-03-20 for fraud found on claims F3, F0",
        )
    ]
    assert tied == shown(worker.evaluate(rules, batch, history))


def test_a_batch_built_by_hand_is_refused_before_it_is_sent(
    rules: q.RuleSet, worker: DurableWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The durable backend takes what evaluate takes: a Batch the loader did not make is a
    TypeError, even beside a loaded one, and nothing is sent to the worker."""
    loaded = q.load_batch(EXAMPLES_DIR / "claims-2027.yaml", industry_codes=rules.industry_codes)
    by_hand = q.Batch.model_validate(q.batch_to_data(loaded))
    monkeypatch.setattr(worker, "request", lambda *_: pytest.fail("sent to the worker"))
    with pytest.raises(TypeError, match=re.escape("the durable backend: the batch was not made")):
        worker.evaluate_many(rules, [(loaded, q.NO_HISTORY), (by_hand, q.NO_HISTORY)])


def test_a_batch_loaded_under_other_readings_is_refused(
    rules: q.RuleSet, worker: DurableWorker
) -> None:
    """A batch loaded without the achieved_by_submission check is refused by the shipped
    rules, which make it, naming both readings."""
    lenient = q.load_batch(
        EXAMPLES_DIR / "claims-2027.yaml",
        industry_codes=rules.industry_codes,
        achieved_by_submission=False,
    )
    with pytest.raises(ValueError, match="the batch's any, these rules' required"):
        worker.evaluate(rules, lenient)


# --- the command line (once cli.py carries --backend) --------------------------------------


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@needs_durable
def test_qfund_evaluate_backend_durable_agrees_with_native() -> None:
    """``qfund evaluate --backend durable`` prints what the native engine prints, byte for
    byte: the same decisions, traces and all."""
    example = str(EXAMPLES_DIR / "claims-2027.yaml")
    code, durable, _ = _cli("evaluate", example, "--backend", "durable")
    assert code == 0
    _, native, _ = _cli("evaluate", example)

    assert native == durable  # byte for byte, traces included


def test_qfund_round_never_commits_durable_decisions(tmp_path: Path) -> None:
    """``qfund round --backend durable --commit`` is refused and writes no ledger."""
    ledger = tmp_path / "ledger.db"
    example = str(EXAMPLES_DIR / "claims-2027.yaml")
    code, _, err = _cli("round", example, "--ledger", str(ledger), "--backend", "durable",
                        "--commit")  # fmt: skip
    assert code == 2
    assert "only the native engine" in err
    assert not ledger.exists()


def test_qfund_evaluate_without_durable_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without durable-rules, ``--backend durable`` exits 2 with the reason, no traceback."""
    monkeypatch.setattr("importlib.util.find_spec", lambda name, package=None: None)
    example = str(EXAMPLES_DIR / "claims-2027.yaml")
    code, out, err = _cli("evaluate", example, "--backend", "durable")
    assert code == 2
    assert out == ""
    assert _MISSING in err
    assert "Traceback" not in err


# --- containment --------------------------------------------------------------------------


@needs_durable
def test_a_segfault_in_the_worker_reaches_the_caller_as_an_error(rules: q.RuleSet) -> None:
    """A worker killed by SIGSEGV is a DurableBackendError; the next call gets a fresh worker."""
    batch = q.load_batch(EXAMPLES_DIR / "claims-2027.yaml", industry_codes=rules.industry_codes)
    with DurableWorker() as w:
        with pytest.raises(DurableBackendError, match=r"died .*SIGSEGV"):
            w.request({"op": "_segfault"}, 30)
        assert exact(w.evaluate(rules, batch)) == exact(q.evaluate(rules, batch))


@needs_durable
def test_a_hanging_worker_is_stopped_at_the_timeout() -> None:
    """A worker that does not answer in time is killed and reported, not waited for."""
    with DurableWorker() as w:
        with pytest.raises(DurableBackendError, match=r"did not answer within 1 s"):
            w.request({"op": "_hang"}, 1.0)
        assert w.request({"op": "ping"}, 30) == {"ok": True}


def test_errors_reported_by_the_worker_are_raised(
    rules: q.RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Errors the worker collected from its actions become a DurableBackendError listing them."""
    answer = {"ok": False, "kind": "actions", "message": "1 error(s)", "errors": ["rule x: boom"]}
    monkeypatch.setattr(db, "durable_unavailable_reason", lambda: None)
    monkeypatch.setattr(DurableWorker, "request", lambda self, message, timeout: answer)
    batch = q.load_batch(EXAMPLES_DIR / "claims-2027.yaml", industry_codes=rules.industry_codes)
    with pytest.raises(DurableBackendError, match=r"(?s)actions.*rule x: boom"):
        DurableWorker().evaluate(rules, batch)


# --- the worker's engine, in this process -------------------------------------------------


@pytest.fixture(scope="module")
def program(rules: q.RuleSet) -> dict[str, Any]:
    """The shipped rule set as the worker receives it."""
    return dict(json.loads(json.dumps(db.rules_program(rules))))


def _job(rules: q.RuleSet) -> dict[str, Any]:
    batch = q.load_batch(EXAMPLES_DIR / "claims-2027.yaml", industry_codes=rules.industry_codes)
    return dict(json.loads(json.dumps(db._job(rules, batch, q.NO_HISTORY))))


@needs_durable
@in_process
def test_an_exception_in_an_action_is_reported_not_swallowed(
    rules: q.RuleSet, program: dict[str, Any]
) -> None:
    """durable swallows exceptions raised in actions; the worker collects and reports them."""
    from qfund_rules import _durable_worker as w

    engine = w.Worker(w.new_host()).engine(program)

    def boom(batch: object, message: object) -> None:
        raise ValueError("boom in an action")

    engine.handlers["eligibility.may_apply"] = boom
    with pytest.raises(w.ActionError) as info:
        engine.evaluate(_job(rules))
    raised = [e for e in info.value.errors if "boom in an action" in e]
    assert raised  # once per eligible claim of the batch
    assert all(e.startswith("rule eligibility.may_apply:") for e in raised)


@needs_durable
@in_process
def test_a_match_step_the_worker_reads_otherwise_than_durable_is_an_error(
    rules: q.RuleSet, program: dict[str, Any]
) -> None:
    """The worker reads each item's raw condition itself for the match steps' words, and
    checks that reading against what durable fired: where they part, it reports an error
    naming the claim and the item instead of writing a trace that says otherwise."""
    from qfund_rules import _durable_worker as w

    engine = w.Worker(w.new_host()).engine(program)
    holds = w._holds
    engine_module: Any = w
    engine_module._holds = lambda data, facts: not holds(data, facts)
    try:
        with pytest.raises(w.ActionError) as info:
            engine.evaluate(_job(rules))
    finally:
        engine_module._holds = holds
    assert any(
        re.fullmatch(r"claim K01: item [\w.]+'s rule and its condition disagree", e)
        for e in info.value.errors
    ), info.value.errors[:3]


@needs_durable
@in_process
def test_no_background_threads_are_started(rules: q.RuleSet, program: dict[str, Any]) -> None:
    """The worker's durable host never starts durable's timer threads."""
    from qfund_rules import _durable_worker as w

    before = threading.active_count()
    engine = w.Worker(w.new_host()).engine(program)
    engine.evaluate(_job(rules))
    assert threading.active_count() == before


@needs_durable
@in_process
def test_one_ruleset_per_rule_set_under_unique_names(program: dict[str, Any]) -> None:
    """A rule set is compiled once per worker; a changed one gets a new, unique ruleset name."""
    from qfund_rules import _durable_worker as w

    worker = w.Worker(w.new_host())
    first = worker.engine(program)
    assert worker.engine(dict(program)) is first
    changed = {**program, "first_time": {"scope": "qualification"}}
    second = worker.engine(changed)
    assert second.name != first.name
    assert program["sha256"][:16] in second.name


@needs_durable
@in_process
def test_rule_data_the_worker_cannot_compile_is_refused(program: dict[str, Any]) -> None:
    """An unknown operator in a ``when`` is refused as a rules error, not silently dropped."""
    from qfund_rules import _durable_worker as w

    items = [dict(i) for i in program["items"]]
    items[0]["when"] = {"fact": "stage", "like": "appr%"}
    answer = w.Worker(w.new_host()).handle(
        {"op": "evaluate", "program": {**program, "items": items}, "jobs": []}
    )
    assert answer["ok"] is False
    assert answer["kind"] == "rules"
    assert "a9.1" in answer["message"]


@needs_durable
@in_process
def test_joined_conditions_may_not_hold_a_disjunction() -> None:
    """durable drops the join test after an ``$or``, so such a join is refused when built."""
    from qfund_rules import _durable_worker as w

    with pytest.raises(w.RuleDataError, match="disjunction"):
        w._join({"t": "claim"}, {"$or": [{"list": "a"}, {"list": "b"}]}, "app")


# The condition compiler against the native interpreter, on facts present and missing.
_SPECS: Mapping[str, FactSpec] = {"n": int, "d": dt.date, "e": ("a", "b", "c"), "b": bool}
_CONDITIONS: list[dict[str, Any]] = [
    {"fact": "e", "eq": "a"},
    {"fact": "e", "ne": "a"},
    {"fact": "e", "in": ["a", "b"]},
    {"fact": "e", "not_in": ["a", "b"]},
    {"fact": "n", "lt": 5},
    {"fact": "n", "le": 5},
    {"fact": "n", "gt": 5},
    {"fact": "n", "ge": 5},
    {"fact": "d", "between": [dt.date(2026, 3, 14), dt.date(2029, 3, 13)]},
    {"fact": "b", "eq": True},
    {"all": [{"fact": "e", "eq": "b"}, {"fact": "n", "ge": 3}]},
    {"any": [{"fact": "e", "eq": "c"}, {"fact": "b", "eq": False}]},
    {"not": {"fact": "n", "lt": 5}},
    {"not": {"fact": "d", "between": [dt.date(2026, 3, 14), dt.date(2029, 3, 13)]}},
    {"not": {"all": [{"fact": "e", "in": ["a", "c"]}, {"not": {"fact": "b", "eq": True}}]}},
    {"not": {"any": [{"fact": "e", "not_in": ["c"]}, {"fact": "n", "between": [1, 4]}]}},
]
_FACTS: list[dict[str, object]] = [
    {"n": 5, "d": dt.date(2026, 3, 14), "e": "a", "b": True},
    {"n": 4, "d": dt.date(2029, 3, 14), "e": "b", "b": False},
    {"n": 6, "d": dt.date(2026, 3, 13), "e": "c", "b": True},
    {"n": 1, "e": "c"},
    {"d": dt.date(2027, 1, 1), "b": False},
    {},
]


@needs_durable
@in_process
def test_compiled_conditions_hold_exactly_when_the_native_ones_do() -> None:
    """For each condition and each fact set (some facts missing), durable fires iff it holds."""
    from qfund_rules import _durable_worker as w

    specs = {name: db._spec(spec) for name, spec in _SPECS.items()}
    fired: set[tuple[int, int]] = set()

    def record(i: int) -> Any:
        def action(c: Any) -> None:
            fired.add((i, int(c._m["m"]["k"])))

        return action

    rules = {
        f"r{i}": {
            "all": [{"m": w._is("f", w.compile_when(db._encode(cond), specs))}],
            "run": record(i),
        }
        for i, cond in enumerate(_CONDITIONS)
    }
    rules["any"] = {"all": [{"m": {"t": "f"}}], "run": lambda c: None}
    host = w.new_host()
    host.register_rulesets({"conditions_test": rules})
    facts = []
    for k, values in enumerate(_FACTS):
        fact: dict[str, object] = {"id": f"f{k}", "sid": "s", "t": "f", "k": k}
        for name, value in values.items():
            encoded = w.encode_fact(_json(value), specs[name])
            fact[w.fact_key(name)] = encoded
        facts.append(fact)
    host.assert_facts("conditions_test", facts)
    for i, cond in enumerate(_CONDITIONS):
        parsed, problems = parse_condition(cond, (), _SPECS)
        assert not problems
        for k, values in enumerate(_FACTS):
            assert ((i, k) in fired) is holds(parsed, values), (cond, values)


def _json(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


_DAYS = st.dates(dt.date(2026, 1, 1), dt.date(2029, 12, 31))
_VALUES: Mapping[str, st.SearchStrategy[Any]] = {
    "n": st.integers(0, 9),
    "d": _DAYS,
    "e": st.sampled_from(("a", "b", "c")),
    "b": st.booleans(),
}


@st.composite
def _comparisons(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(st.sampled_from(sorted(_SPECS)))
    ops = ["eq", "ne", "in", "not_in"]
    if name in ("n", "d"):  # the ordered facts
        ops += ["lt", "le", "gt", "ge", "between"]
    op = draw(st.sampled_from(ops))
    value = _VALUES[name]
    if op in ("in", "not_in"):
        return {"fact": name, op: draw(st.lists(value, min_size=1, max_size=3))}
    if op == "between":
        low, high = sorted(draw(st.lists(value, min_size=2, max_size=2)))
        return {"fact": name, op: [low, high]}
    return {"fact": name, op: draw(value)}


_CONDITION = st.recursive(
    _comparisons(),
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda parts: {"all": parts}),
        st.lists(inner, min_size=1, max_size=3).map(lambda parts: {"any": parts}),
        inner.map(lambda part: {"not": part}),
    ),
    max_leaves=6,
)
_SOME_FACTS = st.fixed_dictionaries({}, optional=dict(_VALUES))


@given(cond=st.one_of(st.sampled_from(_CONDITIONS), _CONDITION), facts=_SOME_FACTS)
def test_the_worker_reads_a_condition_as_the_native_engine_does(
    cond: dict[str, Any], facts: dict[str, object]
) -> None:
    """What a match step shows is read from the raw condition in the worker, not from the
    native engine: whether it holds, the parts that do not (in words), and the facts it
    reads come out as the native interpreter's, on any condition and facts, some missing."""
    from qfund_rules import _durable_worker as w

    parsed, problems = parse_condition(cond, (), _SPECS)
    assert not problems
    raw = db._encode(cond)
    assert isinstance(raw, dict)
    assert w._holds(raw, facts) is holds(parsed, facts)
    assert w.unmet(raw, facts) == failures(parsed, facts)
    assert w.reads(raw) == list(facts_read(parsed))


def test_the_worker_runs_as_a_script_without_the_package() -> None:
    """The worker module imports nothing of qfund_rules: it runs from its file alone."""
    source = Path(db.__file__).with_name("_durable_worker.py").read_text(encoding="utf-8")
    imports = [
        line
        for line in source.splitlines()
        if line.lstrip().startswith(("import ", "from ")) and "qfund_rules" in line
    ]
    assert imports == [], textwrap.indent("\n".join(imports), "  ")


@given(st.integers(-(10**16), 10**16))
def test_the_workers_wan_is_format_wan(yuan: int) -> None:
    """Invariant: the worker, which imports nothing of the package, writes 万元 in its
    messages as money.format_wan does (its own copy; a change to one shows here, not as a
    trace that differs only in some claims). Needs no durable-rules."""
    from qfund_rules import _durable_worker as w
    from qfund_rules.money import format_wan

    assert w.wan(yuan) == format_wan(yuan)


def test_the_workers_say_is_texts_say() -> None:
    """The worker formats the native templates as _texts.say does, a (zh, en) pair given
    as one value per language: every template with the same values."""
    from qfund_rules import _durable_worker as w
    from qfund_rules._texts import TEXTS, say

    values: dict[str, object] = {}
    for zh, en in TEXTS.values():
        for field in {*_fields(zh), *_fields(en)}:
            values[field] = (f"{field}-zh", f"{field}-en") if len(values) % 2 else field
    for key in TEXTS:
        assert tuple(w.say(TEXTS, key, values)) == tuple(say(key, **values)), key


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}
