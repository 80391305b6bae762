"""A hand-written evaluator of the award table: the speed ceiling for pure Python.

Plain code for the measures as the shipped rule files state them: the items of each claim
kind are picked by ``if`` statements instead of the condition language, and nothing is
traced. The amounts, families, citations, the period in force, the Hami codes and every
configurable policy are read from the loaded :class:`~qfund_rules.rules.RuleSet`, never
written here. It decides outcome, item, amount, reasons and citations as the engine does
(the benchmark checks that it agrees), so the two do the same work but for the trace.
"""

from __future__ import annotations

import gc
import unicodedata
from collections.abc import Sequence

from qfund_rules.claims import (
    Applicant,
    Batch,
    ClaimBase,
    DraftingUnit,
    QualityAwardClaim,
    QualityChainClaim,
    QualityCountyClaim,
    StandardClaim,
    TechnicalCommitteeClaim,
    XinjiangBrandClaim,
)
from qfund_rules.decision import Decision, Evaluation, Outcome
from qfund_rules.history import NO_HISTORY, History, applicant_key
from qfund_rules.rules import RuleSet

__all__ = ["evaluate_reference"]

_SOFT = frozenset({"top_up", "superseded_by_higher"})
_AWARD = {"china": 1, "xinjiang": 2, "hami": 3}
_STANDARD_ACTION = {
    ("formulate", "lead"): 1,
    ("formulate", "participant"): 2,
    ("revise", "lead"): 3,
}
_STANDARD_LEVELS = frozenset({"national", "industry", "local", "group"})
_SIMPLE = {
    "leading_enterprise": "a11.4",
    "cqo_case": "a11.6",
    "cnas_accreditation": "a12.1",
    "ccc_lab": "a12.2",
}
_BRAND = {"first_certification": "a16.1", "new_product": "a16.2", "recertification": "a16.3"}


def _item_id(claim: ClaimBase, role: str | None) -> str | None:
    """The award table of 第九条..第十六条, by claim kind."""
    kind = claim.kind
    if kind in _SIMPLE:
        return _SIMPLE[kind]
    if isinstance(claim, QualityCountyClaim):
        return "a9.1" if claim.stage == "approved" else "a9.2"
    if isinstance(claim, QualityChainClaim):
        return f"a10.{1 if claim.recognition == 'key_project' else 2}.{claim.level}"
    if isinstance(claim, QualityAwardClaim):
        return f"a11.{_AWARD[claim.award]}.{claim.tier}"
    if isinstance(claim, StandardClaim):
        n = _STANDARD_ACTION.get((claim.action, role or ""))
        return f"a13.{n}.{claim.level}" if n and claim.level in _STANDARD_LEVELS else None
    if isinstance(claim, TechnicalCommitteeClaim):
        if claim.level == "regional" and claim.body == "wg":
            return None  # 第十五条 pays no regional working group
        return f"a15.{1 if claim.level == 'national' else 2}.{claim.body}"
    if isinstance(claim, XinjiangBrandClaim):
        return _BRAND[claim.event]
    level: str = getattr(claim, "level", "")
    if kind == "qc_group":
        return f"a11.5.{level}"
    if kind == "testing_platform":
        return "a12.3" if level == "national" else "a12.4"
    if kind == "standardization_pilot":
        return f"a14.{level}"
    return None


def _fold(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).split())


def _role(
    applicant: Applicant, claim: StandardClaim, prefixes: tuple[str, ...], policy: str
) -> tuple[str, str | None]:
    """第十三条: (role, reason) of the applicant in the standard's 前言 (rulings R7)."""
    units: Sequence[DraftingUnit] = claim.drafting_units or ()
    if not units:
        return ("lead", None) if claim.lead_proof else ("unproven", "lead_proof_missing")
    name = _fold(applicant.name)
    index = None
    for i, u in enumerate(units):
        if (u.uscc == applicant.uscc) if (applicant.uscc and u.uscc) else _fold(u.name) == name:
            index = i
            break
    if index is None:
        return "none", "not_drafting_unit"
    if index == 0:
        return "lead", None
    for i in range(1 if policy == "foremost_after_lead" else 0, len(units)):
        u = units[i]
        region = u.region or (u.uscc[2:8] if u.uscc else None)
        if region is None and i == index:
            region = applicant.region
        if u.hami or (region and region.startswith(prefixes)):
            return "participant", None if i == index else "not_foremost_hami_participant"
    return "participant", "not_foremost_hami_participant"


def evaluate_reference(rules: RuleSet, batch: Batch, history: History = NO_HISTORY) -> Evaluation:
    """Decide ``batch`` as the engine does, without traces.

    The cyclic garbage collector is paused meanwhile, as the fastest plain Python would:
    nothing here makes reference cycles, and on large batches the collector's walks over
    the whole heap cost more than the decisions.
    """
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        return _decide(rules, batch, history)
    finally:
        if paused:
            gc.enable()


def _decide(rules: RuleSet, batch: Batch, history: History) -> Evaluation:
    ex = rules.exclusions
    start, end = rules.effective_from, rules.effective_until
    org_types, regions = ex.eligibility.org_types, ex.eligibility.regions
    prefixes = tuple(ex.eligibility.hami_unit_prefixes)
    participation = rules.allocation.participation
    same_q = rules.allocation.same_qualification
    scope = rules.allocation.first_time.scope
    by_id = rules.by_id
    no_item_cite = {}
    for kind, kind_items in rules.by_kind.items():
        articles = sorted({i.item.citation.split("条")[0] + "条" for i in kind_items})
        no_item_cite[kind] = articles[0] if len(articles) == 1 else "第八条"
    applicants = {a.id: a for a in batch.applicants}
    keys = {a.id: applicant_key(a.id, a.uscc) for a in batch.applicants}

    n = len(batch.claims)
    reasons: list[list[str]] = [[] for _ in range(n)]
    cites: list[list[str]] = [[] for _ in range(n)]
    items: list[str | None] = [None] * n
    amounts = [0] * n
    roles: list[str | None] = [None] * n
    auth: list[str | None] = [None] * n

    def add(i: int, reason: str | None, cite: str) -> None:
        if reason is not None and reason not in reasons[i]:
            reasons[i].append(reason)
        if cite not in cites[i]:
            cites[i].append(cite)

    def refused(i: int) -> bool:
        return any(r not in _SOFT for r in reasons[i])

    claims = batch.claims
    for i, c in enumerate(claims):
        if isinstance(c, StandardClaim):
            roles[i], auth[i] = _role(applicants[c.applicant], c, prefixes, participation.policy)
        item_id = _item_id(c, roles[i])
        items[i] = item_id
    # 第十七条第(三)项: the same item and subject claimed again in one round.
    order = sorted(range(n), key=lambda i: (claims[i].submitted_on, claims[i].id))
    first: dict[tuple[str, str, str], int] = {}
    duplicate = [False] * n
    for i in order:
        item_id = items[i]
        if item_id is not None:
            same = (keys[claims[i].applicant], item_id, claims[i].subject or "")
            duplicate[i] = same in first
            first.setdefault(same, i)

    for i, c in enumerate(claims):
        a = applicants[c.applicant]
        on = c.achieved_on
        if not start <= on <= end:
            add(i, "outside_validity", ex.validity.citation)
        if a.org_type not in org_types or a.region not in regions:
            add(i, "not_eligible_applicant", ex.eligibility.citation)
        if auth[i] is not None:
            add(i, auth[i], participation.citation)
        item_id = items[i]
        compiled = by_id[item_id] if item_id is not None else None
        if compiled is None:
            if auth[i] is None:
                add(i, "no_matching_item", no_item_cite[c.kind])
        else:
            add(i, None, compiled.item.citation)
            amounts[i] = compiled.amount_on(on) or 0
        key, subject = keys[c.applicant], c.subject or ""
        if compiled is not None and compiled.item.first_time:
            earlier = [
                p
                for p in history.prior_awards(key, compiled.item.family, subject)
                if scope == "qualification" or p.item == compiled.id
            ]
            if getattr(c, "first_time", True) is not True or earlier:
                add(i, "not_first_time", compiled.item.citation)
        submitted = c.submitted_on
        assert submitted is not None
        for e in ex.exclusions:
            check = e.check
            if check == "industrial_policy":
                hit = c.review.industrial_policy == "violates"
            elif check == "unlicensed":
                hit = not a.licensed
            elif check == "credit_listing":
                hit = any(
                    x.list in (e.lists or ())
                    and x.from_ <= submitted
                    and (x.until is None or submitted <= x.until)
                    for x in a.credit_listings
                )
            elif check == "duplicate_claim":
                hit = duplicate[i]
            elif check == "other_support":
                hit = bool(c.other_support)
            elif check == "unrelated":
                hit = not c.review.related_to_quality
            else:
                hit = c.review.other_violation is not None
            if hit:
                add(i, e.code, e.citation)
        if any(b.found_on <= submitted < b.until for b in history.bans(key)):
            add(i, "banned", ex.ban.citation)
        if compiled is not None:
            prior = history.prior_awards(key, compiled.item.family, subject)
            if prior:
                paid = sum(p.amount_yuan for p in prior)
                if same_q.policy == "top_up" and amounts[i] > paid:
                    if not refused(i):
                        amounts[i] -= paid
                        add(i, "top_up", same_q.citation)
                else:
                    add(i, "already_awarded", same_q.citation)

    # 第十三条: one lead per standard number, across applicants (allocation.yaml lead): the
    # applicant of the earliest claim to lead it, refused or not, leads it.
    # With lead.across_rounds, the applicant of the earliest standing lead award of an
    # earlier round leads it instead, whatever the batch holds.
    lead = rules.allocation.lead
    if lead.policy == "one_per_standard":
        twice = next(e.citation for e in ex.exclusions if e.check == "duplicate_claim")
        leader: dict[str, str] = {}
        held: set[str] = set()
        lead_items = frozenset(rules.lead_items)
        for i in order:
            if roles[i] == "lead" and items[i] is not None:
                standard, key = claims[i].subject or "", keys[claims[i].applicant]
                if lead.across_rounds and standard not in leader and standard not in held:
                    held.add(standard)
                    held_by = [
                        a
                        for family in rules.lead_families
                        for a in history.awards_for(family, standard)
                        if a.item in lead_items
                    ]
                    if held_by:  # the lowest round, the first listed of it (min is stable)
                        leader[standard] = min(held_by, key=lambda a: a.year).applicant
                if leader.setdefault(standard, key) != key:
                    add(i, "duplicate_claim", lead.citation)
                    add(i, None, twice)

    # 第二十条第(二)项: 就高不就低 within the round.
    superseded = [False] * n
    groups: dict[tuple[str, str, str], list[int]] = {}
    for i, c in enumerate(claims):
        item_id = items[i]
        if item_id is not None and not refused(i):
            family = by_id[item_id].item.family
            groups.setdefault((keys[c.applicant], family, c.subject or ""), []).append(i)
    for group in groups.values():
        if len(group) > 1:
            group.sort(key=lambda i: (-amounts[i], claims[i].submitted_on, claims[i].id))
            for i in group[1:]:
                superseded[i] = True
                add(i, "superseded_by_higher", same_q.citation)
    # 第十三条: one paid participant per standard, across applicants.
    paid_to: set[str] = set()
    for i in order:
        if items[i] is not None and roles[i] == "participant" and not superseded[i]:
            if refused(i):
                continue
            subject = claims[i].subject or ""
            if subject in paid_to:
                add(i, "not_foremost_hami_participant", participation.citation)
            paid_to.add(subject)

    # A top-up is a way of paying (rulings R5): a claim refused after it gets none.
    for i in range(n):
        if "top_up" in reasons[i] and refused(i):
            reasons[i].remove("top_up")
            cites[i].remove(same_q.citation)

    sha, draft = rules.sha256, rules.status == "draft"
    decisions = []
    for i, c in enumerate(claims):
        outcome: Outcome = (
            "rejected" if refused(i) else ("superseded" if superseded[i] else "awarded")
        )
        decisions.append(
            Decision(
                claim_id=c.id,
                applicant_id=c.applicant,
                outcome=outcome,
                item=items[i],
                amount_yuan=amounts[i] if outcome == "awarded" else 0,
                reasons=tuple(reasons[i]),
                citations=tuple(cites[i]),
                trace=(),
                rules_sha256=sha,
                draft=draft,
            )
        )
    return Evaluation(rules=rules.identity(), decisions=tuple(decisions))
