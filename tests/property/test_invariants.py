"""The invariants of issue 6, each a property over drawn rule sets, batches and ledgers.

Every test's docstring states the invariant it checks. The budget invariants (a round
never pays more than its budget; awarded = paid + deferred + held) belong to the rounds
work and are tested there.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import random
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import qfund_rules as q
from qfund_rules.claims import CLAIM_TYPES, Applicant, ClaimBase, DraftingUnit, StandardClaim
from qfund_rules.decision import REASON_CODES, Decision, JSONValue, TraceStep
from qfund_rules.history import PriorAward, applicant_key
from qfund_rules.rules import DERIVED_FACTS, ITEM_IDS, CompiledItem, RuleSet

from .strategies import (
    RULE_VARIANTS,
    SHIPPED,
    Ledger,
    RuleParams,
    Scenario,
    batch_data,
    dump_yaml,
    norm_name,
    outsiders,
    params_of_variant,
    rules_for,
    scenario_of,
    scenarios,
    with_raised_amount,
    write_rules,
)

OUTCOMES = frozenset({"awarded", "rejected", "superseded"})
# Reasons that explain an award or a supersession rather than refuse the claim.
SOFT_REASONS = frozenset({"top_up", "superseded_by_higher"})

# The citation rulings.md gives each reason code (R2, R3, R5, R7, R8 table, R9).
# `not_first_time` cites the matched item's article (R4) and `no_matching_item` the
# article of the kind's items (docs/interpretation.md): both are computed per decision.
RULING_CITATIONS: Mapping[str, str] = {
    "outside_validity": "第二十八条",
    "not_eligible_applicant": "第四条",
    "banned": "第二十四条",
    "superseded_by_higher": "第二十条第(二)项",
    "already_awarded": "第二十条第(二)项",
    "top_up": "第二十条第(二)项",
    "not_drafting_unit": "第十三条",
    "lead_proof_missing": "第十三条",
    "not_foremost_hami_participant": "第十三条",
    "excluded_industrial_policy": "第十七条第(一)项",
    "excluded_unlicensed": "第十七条第(二)项",
    "excluded_credit": "第十七条第(二)项",
    "duplicate_claim": "第十七条第(三)项",
    "excluded_other_support": "第十七条第(三)项",
    "excluded_unrelated": "第十七条第(四)项",
    "excluded_other_violation": "第十七条第(五)项",
}
CITATION = re.compile(r"^第[一二三四五六七八九十]+条(第\([一二三四五六七八九十]+\)项)?$")

Qualification = tuple[str, str, str]  # (applicant key, family, subject): rulings R5


# --- helpers ------------------------------------------------------------------------------


def claims_of(s: Scenario) -> dict[str, ClaimBase]:
    """The resolved claims by id."""
    return {c.id: c for c in s.batch.claims}


def applicants_of(s: Scenario) -> dict[str, Applicant]:
    """The resolved applicants by id."""
    return {a.id: a for a in s.batch.applicants}


def qualification(s: Scenario, d: Decision, rules: RuleSet | None = None) -> Qualification:
    """The qualification a decision with an item is about (rulings R5)."""
    assert d.item is not None
    claim = claims_of(s)[d.claim_id]
    a = applicants_of(s)[claim.applicant]
    family = (rules or s.rules).by_id[d.item].item.family
    return (applicant_key(a.id, a.uscc), family, claim.subject or "")


def item_amount(rules: RuleSet, item: str, claim: ClaimBase) -> int:
    """The amount of ``item`` in force on the claim's reference date (rulings R2)."""
    amount = rules.by_id[item].amount_on(claim.achieved_on)
    assert amount is not None
    return amount


def exclusion_findings(claim: ClaimBase, a: Applicant) -> set[str]:
    """The 第十七条 findings the input itself shows (every case of R8 but duplicates)."""
    found = set()
    if claim.review.industrial_policy == "violates":
        found.add("excluded_industrial_policy")
    if not a.licensed:
        found.add("excluded_unlicensed")
    on = claim.submitted_on
    assert on is not None
    if any(c.from_ <= on and (c.until is None or on <= c.until) for c in a.credit_listings):
        found.add("excluded_credit")
    if claim.other_support:
        found.add("excluded_other_support")
    if not claim.review.related_to_quality:
        found.add("excluded_unrelated")
    if claim.review.other_violation is not None:
        found.add("excluded_other_violation")
    return found


def kind_article(rules: RuleSet, kind: str) -> str:
    """The one article the kind's candidate items belong to (what no_matching_item cites)."""
    articles = {i.item.citation.split("条")[0] + "条" for i in rules.by_kind[kind]}
    assert len(articles) == 1, articles
    return articles.pop()


def unit_position(a: Applicant, units: Sequence[DraftingUnit]) -> int | None:
    """Where the applicant stands in the 前言: by USCC when both have one, else by name."""
    for i, u in enumerate(units):
        if a.uscc and u.uscc:
            if a.uscc == u.uscc:
                return i
        elif norm_name(u.name) == norm_name(a.name):
            return i
    return None


def by_claim(evaluation: q.Evaluation) -> dict[str, dict[str, JSONValue]]:
    """Decisions as JSON data keyed by claim id (JSON order follows input order)."""
    return {d.claim_id: d.to_dict() for d in evaluation.decisions}


def totals(s: Scenario, evaluation: q.Evaluation, rules: RuleSet) -> dict[Qualification, int]:
    """What this round awards to each qualification."""
    out: dict[Qualification, int] = defaultdict(int)
    for d in evaluation.decisions:
        if d.item is not None:
            out[qualification(s, d, rules)] += d.amount_yuan
    return dict(out)


# --- loading: an honour is claimed once granted --------------------------------------------


@given(batch_data(late=True))
def test_late_claims_are_refused_exactly_where_the_rules_require_it(data: dict[str, Any]) -> None:
    """Invariant (allocation.yaml achieved_by_submission): under ``required`` a batch is
    refused iff a claim was achieved after its submission day (its own or the batch's), with
    one problem per such claim, located at its ``achieved_on``; under ``any`` it loads."""
    default = data["submitted_on"]
    late = [
        i for i, c in enumerate(data["claims"]) if c["achieved_on"] > c.get("submitted_on", default)
    ]
    codes = SHIPPED.industry_codes
    lenient = q.batch_from_data(data, industry_codes=codes, achieved_by_submission=False)
    assert [c.id for c in lenient.claims] == [c["id"] for c in data["claims"]]
    if not late:
        q.batch_from_data(data, industry_codes=codes)
        return
    with pytest.raises(q.BatchError) as refused:
        q.batch_from_data(data, industry_codes=codes)
    problems = refused.value.problems
    assert [p.path for p in problems] == [("claims", i, "achieved_on") for i in late]
    assert all("achieved_by_submission" in p.message for p in problems)


def test_some_drawn_rule_sets_accept_late_claims() -> None:
    """The scenarios draw late claims only under rule files that accept them (``any``):
    without such a variant in the pool, that reading would go untested."""
    variants = [rules_for(params_of_variant(i)) for i in range(RULE_VARIANTS)]
    assert sum(not rules.achieved_by_submission for rules in variants) >= 2


# --- outcomes and amounts -----------------------------------------------------------------


@given(scenarios())
def test_outcome_is_one_of_three(s: Scenario) -> None:
    """Every decision is awarded, rejected or superseded."""
    for d in s.evaluate().decisions:
        assert d.outcome in OUTCOMES


@given(scenarios())
def test_amount_is_zero_unless_awarded(s: Scenario) -> None:
    """amount_yuan is 0 for every decision that is not awarded."""
    for d in s.evaluate().decisions:
        if d.outcome != "awarded":
            assert d.amount_yuan == 0, d.claim_id


@given(scenarios())
def test_award_is_the_item_amount_in_force_or_the_top_up(s: Scenario) -> None:
    """An award equals its item's amount in force on achieved_on, less what earlier rounds
    paid for the qualification; the reasons carry top_up exactly when earlier rounds paid."""
    claims = claims_of(s)
    for d in s.evaluate().decisions:
        if d.outcome != "awarded":
            continue
        assert d.item is not None
        paid = s.ledger.paid(*qualification(s, d))
        assert item_amount(s.rules, d.item, claims[d.claim_id]) - paid == d.amount_yuan
        assert ("top_up" in d.reasons) == (paid > 0), d.reasons


@given(scenarios())
def test_amount_is_never_negative(s: Scenario) -> None:
    """No decision grants a negative amount."""
    for d in s.evaluate().decisions:
        assert d.amount_yuan >= 0, d.claim_id


# --- citations and reasons ----------------------------------------------------------------


@given(scenarios())
def test_every_decision_cites_an_article(s: Scenario) -> None:
    """Every decision cites at least one article, each written like 第十三条第(二)项."""
    for d in s.evaluate().decisions:
        assert d.citations, d.claim_id
        for citation in d.citations:
            assert CITATION.match(citation), citation


@given(scenarios())
def test_reason_codes_are_from_the_contract(s: Scenario) -> None:
    """Every reason code of every decision is one of interchange.md's list."""
    for d in s.evaluate().decisions:
        assert set(d.reasons) <= set(REASON_CODES), d.reasons


@given(scenarios())
def test_every_rejection_carries_a_refusing_reason(s: Scenario) -> None:
    """A rejection carries at least one reason code other than top_up/superseded_by_higher."""
    for d in s.evaluate().decisions:
        if d.outcome == "rejected":
            assert set(d.reasons) - SOFT_REASONS, (d.claim_id, d.reasons)


@given(scenarios())
def test_reason_codes_cite_the_article_rulings_give_them(s: Scenario) -> None:
    """Each reason code comes with its rulings.md citation among the decision's citations:
    the fixed ones of RULING_CITATIONS, the item's article for not_first_time (R4), and the
    article of the kind's items for no_matching_item."""
    claims = claims_of(s)
    for d in s.evaluate().decisions:
        for reason in d.reasons:
            if reason == "not_first_time":
                assert d.item is not None
                expected = s.rules.by_id[d.item].item.citation
            elif reason == "no_matching_item":
                expected = kind_article(s.rules, claims[d.claim_id].kind)
            else:
                expected = RULING_CITATIONS[reason]
            assert expected in d.citations, (d.claim_id, reason, d.citations)


# --- who is never paid --------------------------------------------------------------------


@given(scenarios())
def test_excluded_claims_are_never_awarded(s: Scenario) -> None:
    """A claim with any 第十七条 finding (from its facts, or a duplicate) is not awarded."""
    claims, applicants = claims_of(s), applicants_of(s)
    for d in s.evaluate().decisions:
        claim = claims[d.claim_id]
        excluded = exclusion_findings(claim, applicants[claim.applicant])
        if excluded or "duplicate_claim" in d.reasons:
            assert d.outcome != "awarded", (d.claim_id, excluded)


@given(scenarios())
def test_every_applicable_exclusion_is_reported(s: Scenario) -> None:
    """Every 第十七条 finding the input shows is among the reasons, not only the first (R8)."""
    claims, applicants = claims_of(s), applicants_of(s)
    for d in s.evaluate().decisions:
        claim = claims[d.claim_id]
        assert exclusion_findings(claim, applicants[claim.applicant]) <= set(d.reasons)


@given(scenarios())
def test_ineligible_applicants_are_never_awarded(s: Scenario) -> None:
    """A claim of an applicant outside Hami (第四条) is rejected as not_eligible_applicant."""
    claims, applicants = claims_of(s), applicants_of(s)
    regions = s.rules.exclusions.eligibility.regions
    for d in s.evaluate().decisions:
        a = applicants[claims[d.claim_id].applicant]
        if a.region not in regions:
            assert d.outcome == "rejected"
            assert "not_eligible_applicant" in d.reasons


# --- one award per qualification, one participant per standard ----------------------------


@given(scenarios())
def test_at_most_one_award_per_qualification(s: Scenario) -> None:
    """Within a round, at most one claim per (applicant, family, subject) is awarded (R5)."""
    awarded: dict[Qualification, list[str]] = defaultdict(list)
    for d in s.evaluate().decisions:
        if d.outcome == "awarded":
            awarded[qualification(s, d)].append(d.claim_id)
    for q_, ids in awarded.items():
        assert len(ids) <= 1, (q_, ids)


@given(scenarios())
def test_the_award_of_a_qualification_is_its_highest(s: Scenario) -> None:
    """The awarded claim of a qualification has an amount at least that of every claim
    superseded in it (就高不就低, 第二十条第(二)项)."""
    claims = claims_of(s)
    decisions = s.evaluate().decisions
    winners = {
        qualification(s, d): item_amount(s.rules, d.item, claims[d.claim_id])
        for d in decisions
        if d.outcome == "awarded" and d.item is not None
    }
    for d in decisions:
        if d.outcome == "superseded" and d.item is not None:
            q_ = qualification(s, d)
            if q_ in winners:
                assert winners[q_] >= item_amount(s.rules, d.item, claims[d.claim_id])


@given(scenarios())
def test_at_most_one_participation_award_per_standard(s: Scenario) -> None:
    """No standard number pays more than one participation award (a13.2.*, 第十三条)."""
    claims = claims_of(s)
    paid: dict[str, list[str]] = defaultdict(list)
    for d in s.evaluate().decisions:
        if d.outcome == "awarded" and d.item is not None and d.item.startswith("a13.2."):
            paid[claims[d.claim_id].subject or ""].append(d.claim_id)
    for number, ids in paid.items():
        assert len(ids) <= 1, (number, ids)


def _two_leads() -> Scenario:
    """A1 first in its claim's 前言; A2's claim on the same standard names no unit and
    brings a lead proof (the audit's case): each claim alone finds its applicant the lead."""
    applicants = [
        {"id": a, "name": name, "org_type": "enterprise", "region": "650502"}
        for a, name in (("A1", "哈密天山能源装备有限公司"), ("A2", "哈密巴里坤草原乳业有限公司"))
    ]
    claims = [
        {"id": "C01", "applicant": "A1", "kind": "standard", "action": "formulate",
         "standard_no": "GB/T 902-2026", "achieved_on": dt.date(2026, 11, 2),
         "drafting_units": [{"name": "哈密天山能源装备有限公司"}, {"name": "中国标准化研究院"}]},
        {"id": "C02", "applicant": "A2", "kind": "standard", "action": "formulate",
         "standard_no": "GB/T 902-2026", "achieved_on": dt.date(2026, 11, 2),
         "lead_proof": True},
    ]  # fmt: skip
    data = {"round": 2027, "submitted_on": dt.date(2027, 3, 20), "applicants": applicants,
            "claims": claims}  # fmt: skip
    return scenario_of(RuleParams(), data)


@example(_two_leads())
@given(scenarios())
def test_at_most_one_lead_award_per_standard(s: Scenario) -> None:
    """Under lead.policy one_per_standard no standard number pays more than one lead award
    (a13.1.* formulation, a13.3.* revision: one published text, whose 前言 ranks one unit
    first, 第十三条), and a claim told another claim holds the lead is of another applicant
    than that claim's; under each_claim no claim is told so (each stands on its own list).
    With lead.across_rounds, a number whose lead another applicant was awarded in an
    earlier round (the ledger) pays no lead to any other applicant, and a claim told so is
    told the earliest such award and its round."""
    claims = claims_of(s)
    keys = {a.id: applicant_key(a.id, a.uscc) for a in s.batch.applicants}
    lead = s.rules.allocation.lead
    # The earliest standing lead award of each number in the ledger: (round, claim, key).
    held: dict[str, tuple[int, str, str]] = {}
    for (key, _family, subject), awards in s.ledger.awards.items():
        for a in awards:
            if a.item in s.rules.lead_items and (subject not in held or a.year < held[subject][0]):
                held[subject] = (a.year, a.claim_id, key)
    paid: dict[str, list[str]] = defaultdict(list)
    told: list[tuple[str, str, JSONValue]] = []
    for d in s.evaluate().decisions:
        if (
            d.outcome == "awarded"
            and d.item is not None
            and d.item.startswith(("a13.1.", "a13.3."))
        ):
            paid[claims[d.claim_id].subject or ""].append(d.claim_id)
        told += [(d.claim_id, str(t.facts["lead_claim"]), t.facts.get("lead_round"))
                 for t in d.trace if t.rule == "standard.one_lead"]  # fmt: skip
    if lead.policy == "one_per_standard":
        for standard, ids in paid.items():
            assert len(ids) <= 1, (standard, ids)
            if lead.across_rounds and standard in held:
                assert [keys[claims[c].applicant] for c in ids] == [held[standard][2]]
        for claim_id, holder, lead_round in told:
            one = claims[claim_id]
            if lead_round is not None:
                assert lead.across_rounds
                year, earlier, key = held[one.subject or ""]
                assert (holder, lead_round) == (earlier, year)
                assert keys[one.applicant] != key
                continue
            other = claims[holder]
            assert keys[one.applicant] != keys[other.applicant]
            assert (other.submitted_on, other.id) < (one.submitted_on, one.id)
    else:
        assert told == []


def known_hami_positions(s: Scenario, number: str) -> set[int]:
    """Positions in a standard's 前言 known to hold a Hami unit: by the unit's own code or
    flag (R7), or because a Hami-registered applicant claiming on the standard stands there."""
    prefixes = tuple(s.rules.exclusions.eligibility.hami_unit_prefixes)
    applicants = applicants_of(s)
    on_it = [
        c
        for c in s.batch.claims
        if isinstance(c, StandardClaim) and c.subject == number and c.drafting_units
    ]
    units = on_it[0].drafting_units or ()
    known = {i for i, u in enumerate(units) if u.hami or (u.region or "").startswith(prefixes)}
    for c in on_it:
        a = applicants[c.applicant]
        i = unit_position(a, units)
        if i is not None and (units[i].region or a.region or "").startswith(prefixes):
            known.add(i)
    return known


def _two_participants(policy: str, units: list[str]) -> Scenario:
    """Two Hami applicants on one standard whose 前言 prints names only (found by hypothesis):
    each claim's own authorship step sees only its own unit as a Hami unit."""
    applicants = [
        {
            "id": "A1",
            "name": "哈密天山能源装备有限公司",
            "org_type": "enterprise",
            "region": "650502",
        },
        {
            "id": "A2",
            "name": "哈密巴里坤草原乳业有限公司",
            "org_type": "enterprise",
            "region": "650521",
        },
    ]
    claims = [
        {"id": f"C0{n}", "applicant": a, "kind": "standard", "action": "formulate",
         "standard_no": "GB/T 45678-2026", "achieved_on": dt.date(2026, 11, 2),
         "drafting_units": [{"name": name} for name in units]}
        for n, a in ((1, "A1"), (2, "A2"))
    ]  # fmt: skip
    data = {"round": 2027, "submitted_on": dt.date(2027, 3, 20), "applicants": applicants,
            "claims": claims}  # fmt: skip
    return scenario_of(RuleParams(participation=policy), data)


# A1 ranks third behind A2, yet A1's claim id comes first.
_BEHIND = _two_participants(
    "foremost_after_lead",
    ["中国标准化研究院", "哈密巴里坤草原乳业有限公司", "哈密天山能源装备有限公司"],
)
# A1 leads: under foremost_overall no participation award is paid for the standard.
_LED_BY_HAMI = _two_participants(
    "foremost_overall", ["哈密天山能源装备有限公司", "哈密巴里坤草原乳业有限公司"]
)


@example(_BEHIND)
@example(_LED_BY_HAMI)
@given(scenarios())
def test_participation_award_goes_to_the_foremost_hami_participant(s: Scenario) -> None:
    """The participation award of a standard goes to the foremost-ranked Hami unit after the
    lead (or of the whole list under foremost_overall), counting as Hami every unit whose
    code or flag says so and every unit of a Hami applicant claiming on that standard."""
    claims, applicants = claims_of(s), applicants_of(s)
    start = 1 if s.rules.allocation.participation.policy == "foremost_after_lead" else 0
    for d in s.evaluate().decisions:
        if d.outcome != "awarded" or d.item is None or not d.item.startswith("a13.2."):
            continue
        claim = claims[d.claim_id]
        assert isinstance(claim, StandardClaim)
        number = claim.subject or ""
        position = unit_position(applicants[claim.applicant], claim.drafting_units or ())
        foremost = min(i for i in known_hami_positions(s, number) if i >= start)
        assert foremost == position, (d.claim_id, number, position, foremost)


# --- permutation and independence ---------------------------------------------------------


@given(scenarios(), st.randoms(use_true_random=False))
def test_shuffling_claims_and_applicants_changes_no_decision(
    s: Scenario, rnd: random.Random
) -> None:
    """Shuffling the order of claims and of applicants in a batch changes no decision."""
    shuffled = dict(s.data)
    shuffled["claims"] = rnd.sample(s.data["claims"], len(s.data["claims"]))
    shuffled["applicants"] = rnd.sample(s.data["applicants"], len(s.data["applicants"]))
    batch = s.rules.batch_from_data(shuffled)
    again = q.evaluate(s.rules, batch, s.ledger.history)
    assert by_claim(s.evaluate()) == by_claim(again)


@given(scenarios(), outsiders())
def test_another_applicants_claim_changes_no_decision(
    s: Scenario, outsider: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    """Adding another applicant's claim on a subject no claim of the batch names changes no
    decision already made. (A claim on the *same* standard may: 第十三条 pays one
    participant per standard across applicants, so that case is left out.)"""
    applicant, claim = outsider
    more = dict(s.data)
    more["applicants"] = [*s.data["applicants"], applicant]
    more["claims"] = [*s.data["claims"], claim]
    batch = s.rules.batch_from_data(more)
    after = by_claim(q.evaluate(s.rules, batch, s.ledger.history))
    del after[claim["id"]]
    assert by_claim(s.evaluate()) == after


def _retyped(subject: str, how: str) -> str:
    """``subject`` typed otherwise with the same characters to a reader: full-width
    letters and digits, an invisible zero-width space, spaces around and doubled."""
    if how == "full-width":
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in subject)
    if how == "zero-width":
        return subject[:1] + "\u200b" + subject[1:]
    return "  " + subject.replace(" ", "  ") + " "


@given(scenarios(), st.randoms(use_true_random=False))
def test_a_subject_retyped_the_same_to_a_reader_changes_no_decision(
    s: Scenario, rnd: random.Random
) -> None:
    """Invariant (docs/interpretation.md, subjects): every subject retyped with full-width
    letters, a zero-width space or extra spaces gives byte-identical decisions: the
    qualification, duplicates, 就高不就低 and the facts shown are those of the subject."""
    retyped = copy.deepcopy(s.data)
    for claim in retyped["claims"]:
        if isinstance(claim.get("subject"), str):
            how = rnd.choice(("full-width", "zero-width", "spaces"))
            claim["subject"] = _retyped(claim["subject"], how)
    again = q.evaluate(s.rules, s.rules.batch_from_data(retyped), s.ledger.history)
    assert again.to_json() == s.evaluate().to_json()


# --- monotonicity -------------------------------------------------------------------------

_RAISES = st.tuples(
    st.sampled_from(ITEM_IDS), st.integers(1, 5_000).map(lambda n: Decimal(n).scaleb(-2))
)


@given(scenarios(), _RAISES)
def test_raising_an_amount_never_lowers_what_a_qualification_is_awarded(
    s: Scenario, raise_: tuple[str, Decimal]
) -> None:
    """Raising any item's amount never lowers the total this round awards to any
    qualification of an unchanged batch (issue 6's monotonicity, read per qualification:
    see test_raising_a_lower_tier_above_the_higher_moves_the_award)."""
    raised = rules_for(with_raised_amount(s.params, *raise_))
    before = totals(s, s.evaluate(), s.rules)
    after = totals(s, q.evaluate(raised, s.batch, s.ledger.history), raised)
    for q_, amount in before.items():
        assert after[q_] >= amount, (q_, amount, after[q_])


@given(scenarios(), _RAISES)
def test_raising_an_amount_never_lowers_the_award_of_a_claim_alone_in_its_qualification(
    s: Scenario, raise_: tuple[str, Decimal]
) -> None:
    """Raising any item's amount never lowers the award of a claim that no other claim of
    the batch shares its qualification with (issue 6's monotonicity, read per claim)."""
    raised = rules_for(with_raised_amount(s.params, *raise_))
    before = s.evaluate().decisions
    count: dict[Qualification, int] = defaultdict(int)
    for d in before:
        if d.item is not None:
            count[qualification(s, d)] += 1
    after = {d.claim_id: d for d in q.evaluate(raised, s.batch, s.ledger.history).decisions}
    for d in before:
        if d.item is not None and count[qualification(s, d)] == 1:
            assert after[d.claim_id].amount_yuan >= d.amount_yuan, d.claim_id


def test_raising_a_lower_tier_above_the_higher_moves_the_award() -> None:
    """By design (就高不就低) a raise can lower one claim's award: with winner and nominee
    of 中国质量奖 claimed in one round, raising the nominee above the winner pays the
    nominee claim and supersedes the winner claim; the qualification's total still rises."""
    data = {
        "round": 2027,
        "submitted_on": dt.date(2027, 3, 20),
        "applicants": [{"id": "A1", "name": "哈密某公司", "org_type": "enterprise",
                        "region": "650502"}],
        "claims": [
            {"id": "W", "applicant": "A1", "kind": "quality_award", "award": "china",
             "tier": "winner", "first_time": True, "achieved_on": dt.date(2026, 11, 2)},
            {"id": "N", "applicant": "A1", "kind": "quality_award", "award": "china",
             "tier": "nominee", "first_time": True, "achieved_on": dt.date(2026, 11, 2)},
        ],
    }  # fmt: skip
    batch = q.batch_from_data(data, industry_codes=SHIPPED.industry_codes)
    raised = rules_for(with_raised_amount(RuleParams(), "a11.1.nominee", Decimal(30)))
    before = {d.claim_id: d.amount_yuan for d in q.evaluate(SHIPPED, batch).decisions}
    after = {d.claim_id: d.amount_yuan for d in q.evaluate(raised, batch).decisions}
    assert before == {"W": 600_000, "N": 0}
    assert after == {"W": 0, "N": 700_000}


# --- determinism and round trips ----------------------------------------------------------


@given(scenarios())
def test_evaluation_is_deterministic_within_a_process(s: Scenario) -> None:
    """The same batch and rules give byte-identical JSON, the batch loaded afresh or not."""
    again = s.rules.batch_from_data(s.data)
    first = s.evaluate().to_json()
    assert first == q.evaluate(s.rules, again, s.ledger.history).to_json()
    assert first == s.evaluate().to_json()


def _evaluate_in_subprocess(batch_file: Path, rules_dir: Path, seed: str) -> bytes:
    command = [sys.executable, "-m", "qfund_rules", "evaluate", str(batch_file)]
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run(
        [*command, "--rules", str(rules_dir)], env=env, capture_output=True, check=True
    )
    return done.stdout


# Each example starts three interpreters: a few examples, more under the ci profile.
@settings(max_examples=max(2, settings().max_examples // 40))
@given(scenarios(history=False))
def test_json_is_byte_identical_across_hash_seeds(s: Scenario) -> None:
    """`qfund evaluate` prints byte-identical JSON whatever PYTHONHASHSEED is."""
    with tempfile.TemporaryDirectory() as tmp:
        rules_dir = write_rules(s.params, Path(tmp) / "rules")
        batch_file = Path(tmp) / "batch.yaml"
        batch_file.write_text(dump_yaml(s.data), encoding="utf-8")
        outputs = {seed: _evaluate_in_subprocess(batch_file, rules_dir, seed)
                   for seed in ("0", "1", "4242")}  # fmt: skip
    assert len(set(outputs.values())) == 1
    assert json.loads(outputs["0"])["decisions"]


@given(scenarios())
def test_decision_json_loads_back_equal(s: Scenario) -> None:
    """Each decision read back from the evaluation's JSON equals the decision itself."""
    evaluation = s.evaluate()
    loaded = json.loads(evaluation.to_json())["decisions"]
    assert [Decision.from_dict(d) for d in loaded] == list(evaluation.decisions)


@given(scenarios())
def test_evaluation_json_reads_back_to_the_same_bytes(s: Scenario) -> None:
    """Evaluation.from_dict of the evaluation's JSON gives the evaluation back, equal, and
    its to_json is the same text byte for byte."""
    evaluation = s.evaluate()
    text = evaluation.to_json()
    again = q.Evaluation.from_dict(json.loads(text))
    assert again == evaluation
    assert again.to_json().encode("utf-8") == text.encode("utf-8")


@given(scenarios())
def test_dumped_batch_reloads_and_evaluates_the_same(s: Scenario) -> None:
    """A batch dumped with batch_to_data (through JSON text) and reloaded evaluates to the
    same JSON."""
    dumped = json.loads(json.dumps(q.batch_to_data(s.batch), ensure_ascii=False))
    reloaded = s.rules.batch_from_data(dumped)
    again = q.evaluate(s.rules, reloaded, s.ledger.history)
    assert s.evaluate().to_json() == again.to_json()


# --- traces replay ------------------------------------------------------------------------

Replayed = tuple[str, str | None, int, tuple[str, ...], tuple[str, ...]]


def _fact(kind: str, name: str, value: JSONValue) -> object:
    """A fact as the trace wrote it, turned back into what conditions compare (dates)."""
    spec = {**CLAIM_TYPES[kind].FACTS, **DERIVED_FACTS.get(kind, {})}.get(name)
    if spec is dt.date and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def _role(facts: Mapping[str, JSONValue], rules: RuleSet, region: str) -> tuple[str, bool]:
    """Authorship redone from its recorded facts (rulings R7): the role, and whether it holds.

    A participant's foremost Hami unit is redone from the Hami units the step shows, each
    checked against its unit's division code, the rule set's prefixes and, for the
    applicant's own entry printed without a code, the applicant's ``region``.
    """
    if not facts["drafting_units"]:
        return ("lead", True) if facts["lead_proof"] is True else ("unproven", False)
    position = facts["position"]
    if position is None:
        return "none", False
    policy = rules.allocation.participation.policy
    if position == 1:
        # The lead's Hami status counts only where a Hami lead takes the award's place.
        assert ("hami_units" in facts) is (policy == "foremost_overall"), facts
        if "hami_units" in facts:
            _hami_positions(facts, rules, region)
        return "lead", True
    first = 2 if policy == "foremost_after_lead" else 1
    foremost = next((p for p in _hami_positions(facts, rules, region) if p >= first), None)
    assert facts["foremost_hami_position"] == foremost, facts
    return "participant", foremost == position


def _hami_positions(facts: Mapping[str, JSONValue], rules: RuleSet, region: str) -> list[int]:
    """The places of the Hami units an authorship step shows, each checked for its reason."""
    prefixes = rules.exclusions.eligibility.hami_unit_prefixes
    codes, shown, names = facts["unit_regions"], facts["hami_units"], facts["drafting_units"]
    assert isinstance(codes, list)
    assert isinstance(shown, list)
    assert isinstance(names, list)
    assert len(codes) == len(names)
    by_place: dict[int, Mapping[str, JSONValue]] = {}
    for entry in shown:
        assert isinstance(entry, dict)
        place = entry["position"]
        assert isinstance(place, int)
        by_place[place] = entry
    for place, code in enumerate(codes, 1):
        found = by_place.get(place)
        hami_code = isinstance(code, str) and code.startswith(prefixes)
        if found is None:
            assert not hami_code, facts
        elif found["by"] in ("region", "uscc"):
            assert hami_code, facts
        elif found["by"] == "applicant":  # the applicant's own entry, printed without a code
            assert (code, place, found["region"]) == (None, facts["position"], region), facts
            assert region.startswith(prefixes), facts
        else:
            assert found["by"] == "hami", facts
    assert list(by_place) == sorted(by_place), facts
    return list(by_place)


def _excluded(check: str, facts: Mapping[str, JSONValue]) -> bool:
    """One 第十七条 case redone from the facts its step recorded."""
    if check == "industrial_policy":
        return facts["review.industrial_policy"] == "violates"
    if check == "unlicensed":
        return facts["licensed"] is False
    if check == "credit_listing":
        return bool(_listings_applying(facts))
    if check == "duplicate_claim":
        return facts["duplicate_of"] is not None
    if check == "other_support":
        return bool(facts["other_support"])
    if check == "unrelated":
        return facts["review.related_to_quality"] is False
    return facts["review.other_violation"] is not None


def _listings_applying(facts: Mapping[str, JSONValue]) -> list[JSONValue]:
    """The listings a 第十七条(二) step shows, each checked to cover its submitted_on."""
    on, listings = facts["submitted_on"], facts["listings"]
    assert isinstance(on, str)
    assert isinstance(listings, list)
    for x in listings:
        assert isinstance(x, dict)
        until = x["until"]
        assert str(x["from"]) <= on, facts
        assert until is None or on <= str(until), facts
    assert facts["listed_on"] == sorted({str(x["list"]) for x in listings if isinstance(x, dict)})
    return listings


class _Replay:
    """Re-decides one claim from its trace and the rule set alone, checking each step."""

    def __init__(self, rules: RuleSet, kind: str) -> None:
        self.rules = rules
        self.kind = kind
        self.reasons: list[str] = []
        self.citations: list[str] = []
        self.achieved_on = dt.date.min
        self.matched: list[CompiledItem] = []
        self.candidates: list[str] = []
        self.item: CompiledItem | None = None
        self.amount = 0
        self.authorship_failed = False
        self.superseded = False
        self.skipped_top_up = False  # a top-up step skipped: the claim must end refused
        self.region = ""  # the applicant's, as the eligibility step shows it
        self.role = ""  # a standard's, as its authorship step shows it

    def cite(self, reason: str | None, citation: str) -> None:
        if reason is not None and reason not in self.reasons:
            self.reasons.append(reason)
        if citation not in self.citations:
            self.citations.append(citation)

    def verdict(self, step: TraceStep, ok: bool, reason: str) -> None:
        assert step.result == ("pass" if ok else "fail"), step
        if not ok:
            self.cite(reason, step.citation)

    def run(self, trace: Sequence[TraceStep]) -> Replayed:
        for step in trace:
            getattr(self, f"_{step.step}")(step)
        assert sorted(self.candidates) == sorted(i.id for i in self.rules.by_kind[self.kind])
        hard = [r for r in self.reasons if r not in SOFT_REASONS]
        assert hard or not self.skipped_top_up, "a top-up skipped on a claim not refused"
        outcome = "rejected" if hard else "superseded" if self.superseded else "awarded"
        return (
            outcome,
            None if self.item is None else self.item.id,
            self.amount if outcome == "awarded" else 0,
            tuple(self.reasons),
            tuple(self.citations),
        )

    def _validity(self, step: TraceStep) -> None:
        f = step.facts
        start, end = self.rules.effective_from, self.rules.effective_until
        assert (f["effective_from"], f["effective_until"]) == (str(start), str(end))
        self.achieved_on = dt.date.fromisoformat(str(f["achieved_on"]))
        self.verdict(step, start <= self.achieved_on <= end, "outside_validity")

    def _eligibility(self, step: TraceStep) -> None:
        self.region = str(step.facts["region"])
        elig = self.rules.exclusions.eligibility
        ok = step.facts["org_type"] in elig.org_types and step.facts["region"] in elig.regions
        self.verdict(step, ok, "not_eligible_applicant")

    def _authorship(self, step: TraceStep) -> None:
        if step.rule == "standard.one_participant":
            self.verdict(step, False, "not_foremost_hami_participant")
            return
        f = step.facts
        if step.rule == "standard.one_lead":
            # Another applicant's earlier claim holds the standard's lead: a lead claim is told
            # so whatever else is found against it, before 就高不就低 (never superseded then),
            # and it is a second claim to that award (第十七条(三)).
            assert self.rules.allocation.lead.policy == "one_per_standard"
            assert self.role == "lead"
            assert self.item is not None
            lead = self.rules.allocation.lead
            if "lead_round" in f:  # held by a lead awarded in an earlier round
                assert lead.across_rounds
                assert set(f) == {"standard_no", "lead_claim", "lead_round"}
            else:
                assert set(f) == {"standard_no", "lead_claim"}
            assert not self.superseded
            self.verdict(step, False, "duplicate_claim")
            duplicate = [
                e for e in self.rules.exclusions.exclusions if e.check == "duplicate_claim"
            ]
            self.cite(None, duplicate[0].citation)
            return
        assert f["participation_policy"] == self.rules.allocation.participation.policy
        role, ok = _role(f, self.rules, self.region)
        assert f["role"] == role
        self.role = role
        if role == "lead":
            assert f["lead_policy"] == self.rules.allocation.lead.policy
        else:
            assert "lead_policy" not in f
        self.authorship_failed = not ok
        reasons = {"none": "not_drafting_unit", "unproven": "lead_proof_missing",
                   "participant": "not_foremost_hami_participant", "lead": ""}  # fmt: skip
        self.verdict(step, ok, reasons[role])

    def _match(self, step: TraceStep) -> None:
        if step.rule == "item.none":
            assert not self.matched
            assert step.citation == kind_article(self.rules, self.kind)
            self.verdict(step, False, "no_matching_item")
            if self.authorship_failed:
                self.reasons.remove("no_matching_item")
            return
        candidate = self.rules.by_id[step.rule]
        facts = {k: _fact(self.kind, k, v) for k, v in step.facts.items()}
        ok = candidate.predicate(facts)
        assert step.result == ("match" if ok else "no_match"), step
        self.candidates.append(step.rule)
        if ok:
            self.matched.append(candidate)

    def _amount(self, step: TraceStep) -> None:
        on = self.achieved_on
        self.item = max(self.matched, key=lambda i: (i.amount_on(on) or 0, i.id))
        self.amount = self.item.amount_on(on) or 0
        assert (step.rule, step.facts["item"]) == (self.item.id, self.item.id)
        assert step.facts["amount_yuan"] == self.amount
        self.cite(None, self.item.item.citation)

    def _first_time(self, step: TraceStep) -> None:
        assert self.item is not None
        assert self.item.item.first_time
        assert step.facts["scope"] == self.rules.allocation.first_time.scope
        assert step.citation == self.item.item.citation
        # Kinds worded 新承担 (第十五条) declare nothing: only the ledger speaks (R4).
        declares = "first_time" in CLAIM_TYPES[self.kind].FACTS
        declared = step.facts["first_time"] is True or not declares
        ok = declared and not step.facts["earlier_awards"]
        self.verdict(step, ok, "not_first_time")

    def _exclusion(self, step: TraceStep) -> None:
        by_code = {ex.code: ex for ex in self.rules.exclusions.exclusions}
        ex = by_code[step.rule]
        assert step.citation == ex.citation
        self.verdict(step, not _excluded(ex.check, step.facts), ex.code)

    def _ban(self, step: TraceStep) -> None:
        on, bans = step.facts["submitted_on"], step.facts["bans"]
        assert isinstance(on, str)
        assert isinstance(bans, list)
        for ban in bans:  # each a ban the claim was submitted in: [found_on, until)
            assert isinstance(ban, dict)
            assert str(ban["found_on"]) <= on < str(ban["until"]), step
        self.verdict(step, not bans, "banned")

    def _same_qualification(self, step: TraceStep) -> None:
        f = step.facts
        if step.result == "superseded":
            assert f["amount_yuan"] == self.amount
            assert isinstance(f["winner_amount_yuan"], int)
            assert f["winner_amount_yuan"] >= self.amount
            self.superseded = True
            self.cite("superseded_by_higher", step.citation)
            return
        earlier = f["earlier_yuan"]
        assert isinstance(earlier, int)
        assert (f["amount_yuan"], f["policy"]) == (
            self.amount,
            self.rules.allocation.same_qualification.policy,
        )
        if f["policy"] == "top_up" and self.amount > earlier:
            if step.result == "skip":  # a refused claim is not topped up either: refused
                # by a step before this one, or by a rule across the batch after it
                self.skipped_top_up = True
                return
            assert step.result == "top_up"
            self.amount -= earlier
            self.cite("top_up", step.citation)
        else:
            self.verdict(step, False, "already_awarded")


def _mappings(value: JSONValue) -> list[dict[str, JSONValue]]:
    """Every mapping inside a fact's value."""
    if isinstance(value, dict):
        return [value, *(m for v in value.values() for m in _mappings(v))]
    if isinstance(value, list):
        return [m for v in value for m in _mappings(v)]
    return []


@given(scenarios())
def test_mappings_inside_facts_have_their_keys_sorted(s: Scenario) -> None:
    """Every mapping inside a step's facts (a listing, a ban, a Hami unit) has its keys in
    sorted order, the order a ledger record's canonical JSON gives them back in: a recorded
    decision then reads back as the engine wrote it."""
    for d in s.evaluate().decisions:
        for step in d.trace:
            for found in (m for v in step.facts.values() for m in _mappings(v)):
                assert list(found) == sorted(found), step


def _topped_up_then_refused() -> Scenario:
    """A3 was paid 100 yuan for the lead of GB/T 45678-2015 in 2026 (a ledger row written
    by hand). In 2027 it claims the formulation as the third Hami unit of the 前言, a
    participant: topped up over the 100 yuan, then refused by the foremost-participant rule
    across the batch (A2 is ranked before it), after its top-up step. Hypothesis found it:
    the skip step then comes before the refusal in the trace."""
    names = ("哈密天山能源装备有限公司", "哈密巴里坤草原乳业有限公司", "哈密伊吾光伏新材料有限公司")
    applicants = [
        {"id": f"A{i}", "name": name, "org_type": "government_agency", "region": "650500"}
        for i, name in enumerate(names, 1)
    ]
    units = [{"name": n} for n in names] + [{"name": "中国标准化研究院", "region": "110108"}]
    claims = [
        {"id": cid, "applicant": a, "kind": "standard", "achieved_on": dt.date(2026, 3, 14),
         "action": "formulate", "standard_no": "GB/T 45678-2015", "drafting_units": units}
        for cid, a in (("C01", "A3"), ("C02", "A2"))
    ]  # fmt: skip
    data = {"round": 2027, "submitted_on": dt.date(2027, 3, 20), "applicants": applicants,
            "claims": claims}  # fmt: skip
    old = PriorAward("OLD0", "a13.1.national", 100, 2026)
    held = {("id:A3", "a13.standard", "GB/T 45678-2015"): (old,)}
    params = RuleParams(same_qualification="top_up", lead_across_rounds=True)
    return scenario_of(params, data, Ledger(awards=held))


@example(_two_leads())
@example(_topped_up_then_refused())
@given(scenarios())
def test_trace_replays_to_the_same_decision(s: Scenario) -> None:
    """Re-deciding each claim from the facts its trace recorded and the rule set alone gives
    the decision's outcome, item, amount, reasons and citations.

    The replay redoes every step from its recorded facts: validity from achieved_on and the
    rule set's period; eligibility from org_type and region; authorship from the 前言
    position and the foremost Hami position, itself redone from the Hami units shown, each
    checked against its division code and the rule set's prefixes; each candidate item's
    condition from the facts it read (every candidate of the kind must be there); the amount
    in force on the reference date; 首次 from the declaration and the ledger awards
    recorded; each 第十七条 case from its facts (a listing from its dates); the ban from the
    bans' dates; top-up or refusal from the earlier amount recorded. What
    one claim's trace cannot redo alone (which claim of the batch won a qualification, or
    took a standard's participation award or its lead) is checked for consistency: the
    winner's amount is at least the claim's own; a claim told another holds the lead is a
    lead claim nothing else refused.
    """
    claims = claims_of(s)
    for d in s.evaluate().decisions:
        replayed = _Replay(s.rules, claims[d.claim_id].kind).run(d.trace)
        assert (d.outcome, d.item, d.amount_yuan, d.reasons, d.citations) == replayed
