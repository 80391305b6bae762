"""The engine: claims in, decisions out, every step recorded in the decision's trace.

Per claim, in order (interchange.md, rulings R2-R5, R7-R9): validity (第二十八条),
eligibility (第四条), authorship of standards (第十三条), item matching (each candidate
item of the claim's kind, matched or not and why), 首次 / 新承担, every exclusion of
第十七条, the ban of 第二十四条, and earlier awards for the same qualification
(第二十条第(二)项). Then, across the batch, 就高不就低: one award per qualification.

Every step runs and is recorded even after a failure, so a rejection lists every reason
that applies, not only the first. Nothing here reads a clock, a global or an environment
variable: the same batch and rules give the same decisions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

from .authorship import settle_authorship
from .claims import Applicant, Batch, ClaimBase, StandardClaim
from .conditions import failures
from .decision import Decision, Evaluation, JSONValue, Outcome, TraceStep
from .history import NO_HISTORY, History, applicant_key
from .money import format_wan
from .rules import CompiledItem, Exclusion, RuleSet

__all__ = ["evaluate"]

# Reasons that explain an award or a supersession rather than refuse the claim.
_SOFT_REASONS = frozenset({"top_up", "superseded_by_higher"})


def evaluate(rules: RuleSet, batch: Batch, history: History = NO_HISTORY) -> Evaluation:
    """Decide every claim of ``batch`` under ``rules``, given earlier rounds' ``history``.

    Evaluation creates no reference cycles. On very large batches, most of the remaining
    time is Python's cyclic collector walking the heap; the library leaves that
    process-wide switch to its caller (the ``qfund`` command turns it off, bench/README.md).
    """
    applicants = {a.id: (a, applicant_key(a.id, a.uscc)) for a in batch.applicants}
    drafts = []
    for claim in batch.claims:
        applicant, key = applicants[claim.applicant]
        submitted = claim.submitted_on
        assert submitted is not None  # resolved by the loader
        # Ties are broken by submitted_on, then claim id (rulings R5, R10).
        drafts.append(_Draft(claim, applicant, key, (submitted, claim.id)))
    ctx = _Context(rules, history)
    for draft in drafts:
        _derive(ctx, draft)
    _mark_duplicates(drafts)
    for draft in drafts:
        _decide(ctx, draft)
    _highest_wins(rules, drafts)
    _one_participant_per_standard(rules, drafts)
    sha, is_draft = rules.sha256, rules.status == "draft"
    return Evaluation(
        rules=rules.identity(),
        decisions=tuple(d.finish(sha, is_draft) for d in drafts),
    )


class _Context:
    """One evaluation's view of the rules, and its memo of trace steps.

    Most steps depend on a handful of fact values (a claim kind's enums, a date), so the
    same step recurs across a batch; each distinct one is built once and shared. Steps are
    immutable, the memo lives and dies with one ``evaluate`` call: no global state.
    """

    __slots__ = (
        "clean",
        "effective_from",
        "effective_until",
        "history",
        "matches",
        "memo",
        "prefixes",
        "reads",
        "rules",
        "texts",
    )

    def __init__(self, rules: RuleSet, history: History) -> None:
        self.rules = rules
        self.history = history
        self.effective_from = rules.effective_from
        self.effective_until = rules.effective_until
        self.prefixes = tuple(rules.exclusions.eligibility.hami_unit_prefixes)
        self.memo: dict[Hashable, TraceStep] = {}
        self.reads: dict[str, tuple[str, ...]] = {}
        self.texts: dict[str, tuple[str, str, str, str]] = {}
        self.matches: dict[
            tuple[object, ...], tuple[tuple[CompiledItem, ...], tuple[TraceStep, ...]]
        ] = {}
        self.clean: dict[
            dt.date | None,
            tuple[tuple[TraceStep, ...], Exclusion | None, tuple[TraceStep, ...]],
        ] = {}


@dataclass(slots=True)
class _Draft:
    """A decision under construction."""

    claim: ClaimBase
    applicant: Applicant
    key: str  # how the ledger knows the applicant (applicant_key)
    order: tuple[dt.date, str]  # (submitted_on, claim id): the tie-break of rulings R5, R10
    facts: dict[str, object] = field(default_factory=dict)
    item: CompiledItem | None = None
    amount: int = 0
    reasons: list[str] = field(default_factory=list)
    citations: list[str] = field(default_factory=list)
    trace: list[TraceStep] = field(default_factory=list)
    match_steps: Sequence[TraceStep] = ()
    authorship: TraceStep | None = None
    authorship_reason: str | None = None
    duplicate_of: str | None = None
    superseded: bool = False
    position: int | None = None  # a standard claim's applicant in the 前言 (0: the lead)
    hami_unit: bool = False  # whether that unit is a Hami unit (rulings R7)

    refused: bool = False  # a reason so far refuses the claim (not merely explains its award)

    def step(
        self,
        step: str,
        rule: str,
        citation: str,
        ok: bool | str,
        facts: Mapping[str, JSONValue],
        zh: str,
        en: str,
        reason: str | None = None,
    ) -> None:
        result = ok if isinstance(ok, str) else ("pass" if ok else "fail")
        self.trace.append(TraceStep(step, rule, citation, result, facts, zh, en))
        if reason is not None:
            self.reject(reason, citation)

    def reject(self, reason: str, citation: str) -> None:
        if reason not in self.reasons:
            self.reasons.append(reason)
            if reason not in _SOFT_REASONS:
                self.refused = True
        self.cite(citation)

    def cite(self, citation: str) -> None:
        if citation not in self.citations:
            self.citations.append(citation)

    def finish(self, sha256: str, draft: bool) -> Decision:
        outcome: Outcome
        if self.refused:
            outcome = "rejected"
        elif self.superseded:
            outcome = "superseded"
        else:
            outcome = "awarded"
        return Decision(
            claim_id=self.claim.id,
            applicant_id=self.applicant.id,
            outcome=outcome,
            item=self.item.id if self.item else None,
            amount_yuan=self.amount if outcome == "awarded" else 0,
            reasons=tuple(self.reasons),
            citations=tuple(self.citations),
            trace=tuple(self.trace),
            rules_sha256=sha256,
            draft=draft,
        )


def _json(value: object) -> JSONValue:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_json(v) for v in value]
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


# --- phase 1: facts and the matched item, needed before duplicates can be seen -------


def _derive(ctx: _Context, d: _Draft) -> None:
    """Read the claim's facts, settle authorship of a standard, and match the items."""
    d.facts = facts = d.claim.facts()
    if isinstance(d.claim, StandardClaim):
        _authorship(ctx, d, d.claim)
    # The items that match, and the match steps, depend only on the facts the kind's
    # conditions read: work them out once per distinct set of those values.
    kind = d.claim.kind
    reads = ctx.reads.get(kind)
    if reads is None:
        items = ctx.rules.by_kind.get(kind, ())
        reads = ctx.reads[kind] = tuple(dict.fromkeys(f for i in items for f in i.reads))
    key = (kind, *[facts.get(f) for f in reads])
    found = ctx.matches.get(key)
    if found is None:
        found = ctx.matches[key] = _match(ctx, kind, facts)
    matched, d.match_steps = found
    if len(matched) == 1:
        d.item = matched[0]
    elif matched:
        # Overlapping conditions would be a rule-file slip; 就高不就低 still picks one.
        on = d.claim.achieved_on
        d.item = max(matched, key=lambda i: (i.amount_on(on) or 0, i.id))


def _match(
    ctx: _Context, kind: str, facts: Mapping[str, object]
) -> tuple[tuple[CompiledItem, ...], tuple[TraceStep, ...]]:
    """The items of ``kind`` that ``facts`` match, and a match step for every item."""
    matched: list[CompiledItem] = []
    steps: list[TraceStep] = []
    for item in ctx.rules.by_kind.get(kind, ()):
        ok = item.predicate(facts)
        if ok:
            matched.append(item)
        steps.append(_match_step(item, facts, ok))
    return tuple(matched), tuple(steps)


def _match_step(item: CompiledItem, facts: Mapping[str, object], ok: bool) -> TraceStep:
    read = {f: _json(facts.get(f)) for f in item.reads}
    if ok:
        zh = f"符合“{item.item.title_zh}”的条件"
        en = f"meets the conditions of '{item.item.title_en}'"
    else:
        missing = "; ".join(failures(item.condition, facts))
        zh = f"不符合“{item.item.title_zh}”:需 {missing}"
        en = f"not '{item.item.title_en}': requires {missing}"
    result = "match" if ok else "no_match"
    return TraceStep("match", item.id, item.item.citation, result, read, zh, en)


def _authorship(ctx: _Context, d: _Draft, claim: StandardClaim) -> None:
    """第十三条 and rulings R7: settle the applicant's role, a fact the items then read."""
    participation = ctx.rules.allocation.participation
    found = settle_authorship(
        d.applicant, claim, ctx.prefixes, participation.policy, participation.citation
    )
    d.facts["role"] = found.role
    d.authorship = found.step
    d.authorship_reason = found.reason
    d.position, d.hami_unit = found.position, found.hami_unit


def _mark_duplicates(drafts: Sequence[_Draft]) -> None:
    """第十七条第(三)项: the same item and subject claimed twice by one applicant."""
    first: dict[tuple[str, str, str], _Draft] = {}
    for d in sorted((d for d in drafts if d.item is not None), key=lambda d: d.order):
        assert d.item is not None
        key = (d.key, d.item.id, d.claim.subject or "")
        if key in first:
            d.duplicate_of = first[key].claim.id
        else:
            first[key] = d


# --- phase 2: the per-claim steps, in order -------------------------------------------


def _decide(ctx: _Context, d: _Draft) -> None:
    _validity(ctx, d)
    _eligibility(ctx, d)
    if d.authorship is not None:
        d.trace.append(d.authorship)
        if d.authorship_reason:
            d.reject(d.authorship_reason, d.authorship.citation)
    _matching(ctx, d)
    if d.item is not None and d.item.item.first_time:
        _first_time(ctx, d)
    _exclusions(ctx, d)
    _ban(ctx, d)
    if d.item is not None:
        _earlier_awards(ctx, d)


def _validity(ctx: _Context, d: _Draft) -> None:
    """第二十八条 and rulings R2: the reference date must fall in the period in force."""
    start, end = ctx.effective_from, ctx.effective_until
    on = d.claim.achieved_on
    ok = start <= on <= end
    key = ("validity", on)
    if ok and key in ctx.memo:
        d.trace.append(ctx.memo[key])
        return
    facts: dict[str, JSONValue] = {
        "achieved_on": on.isoformat(),
        "effective_from": start.isoformat(),
        "effective_until": end.isoformat(),
    }
    if ok:
        zh, en = (
            f"取得日期{on}在本办法有效期内",
            f"achieved on {on}, while the measures are in force",
        )
    else:
        zh = f"取得日期{on}不在本办法有效期({start}至{end})内"
        en = f"achieved on {on}, outside the period in force ({start} to {end})"
    cite = ctx.rules.exclusions.validity.citation
    d.step(
        "validity", "measures.in_force", cite, ok, facts, zh, en, None if ok else "outside_validity"
    )
    if ok:
        ctx.memo[key] = d.trace[-1]


def _eligibility(ctx: _Context, d: _Draft) -> None:
    """第四条 and rulings R3: a Hami-registered unit of an allowed type."""
    elig = ctx.rules.exclusions.eligibility
    a = d.applicant
    type_ok = a.org_type in elig.org_types
    region_ok = a.region in elig.regions
    facts: dict[str, JSONValue]
    if type_ok and region_ok:
        key = ("eligible", a.org_type, a.region)
        step = ctx.memo.get(key)
        if step is None:
            facts = {"org_type": a.org_type, "region": a.region}
            place = elig.regions[a.region or ""]
            zh = f"{elig.org_types[a.org_type]},注册地{place}({a.region}),属支持对象"
            en = f"{a.org_type} registered in {a.region}: within Hami, may apply"
            citation = elig.citation
            step = ctx.memo[key] = TraceStep(
                "eligibility", "applicant.eligible", citation, "pass", facts, zh, en
            )
        d.trace.append(step)
        return
    facts = {"org_type": a.org_type, "region": a.region}
    why_zh, why_en = [], []
    if not type_ok:
        why_zh.append(f"单位类型{a.org_type}不在支持范围")
        why_en.append(f"organisation type {a.org_type} is not supported")
    if not region_ok:
        why_zh.append(f"注册地区划代码{a.region}不属哈密市")
        why_en.append(f"division code {a.region} is not in Hami")
    d.step(
        "eligibility",
        "applicant.eligible",
        elig.citation,
        False,
        facts,
        ";".join(why_zh),
        "; ".join(why_en),
        "not_eligible_applicant",
    )


def _matching(ctx: _Context, d: _Draft) -> None:
    """Each candidate item of the claim's kind, matched or not and why."""
    d.trace.extend(d.match_steps)
    if d.item is None:
        articles = sorted({s.citation.split("条")[0] + "条" for s in d.match_steps})
        citation = articles[0] if len(articles) == 1 else "第八条"
        if d.authorship_reason is None:
            zh, en = "没有与本申报相符的奖励事项", "no award item matches this claim"
        else:
            # Authorship already failed and says why; "no item" would only repeat it.
            zh = "起草单位认定未通过,没有可适用的奖励事项"
            en = "authorship not established, so no award item applies"
        reason = None if d.authorship_reason else "no_matching_item"
        d.step("match", "item.none", citation, False, {"kind": d.claim.kind}, zh, en, reason)
        return
    item = d.item
    on = d.claim.achieved_on
    d.amount = item.amount_on(on) or 0
    d.cite(item.item.citation)
    key = ("amount", item.id, on)
    step = ctx.memo.get(key)
    if step is None:
        facts: dict[str, JSONValue] = {
            "item": item.id,
            "achieved_on": on.isoformat(),
            "amount_yuan": d.amount,
        }
        step = ctx.memo[key] = TraceStep(
            "amount",
            item.id,
            item.item.citation,
            "pass",
            facts,
            f"适用“{item.item.clause}”,取得日适用金额{format_wan(d.amount)}万元",
            f"'{item.item.title_en}' applies: {d.amount} yuan in force on the reference date",
        )
    d.trace.append(step)


def _first_time(ctx: _Context, d: _Draft) -> None:
    """Rulings R4: 首次 / 新承担 needs the declaration and no earlier award in the ledger."""
    item = d.item
    assert item is not None
    declared = d.facts.get("first_time", True)
    scope = ctx.rules.allocation.first_time.scope
    earlier = [
        p
        for p in ctx.history.prior_awards(d.key, item.item.family, d.claim.subject or "")
        if scope == "qualification" or p.item == item.id
    ]
    facts: dict[str, JSONValue] = {
        "first_time": _json(d.facts.get("first_time")),
        "scope": scope,
        "earlier_awards": [p.claim_id for p in earlier],
    }
    if declared is True and not earlier:
        key = ("first_time", item.id, scope)
        step = ctx.memo.get(key)
        if step is None:
            step = ctx.memo[key] = TraceStep(
                "first_time",
                item.id,
                item.item.citation,
                "pass",
                facts,
                "首次获得(新承担),账本中无同一资格的既往奖励",
                "first time: declared, and no earlier award in the ledger",
            )
        d.trace.append(step)
        return
    if declared is not True:
        zh, en = "申报未声明为首次获得", "the claim does not declare a first time"
    else:
        ids = ", ".join(p.claim_id for p in earlier)
        zh, en = f"账本中已有同一资格的奖励({ids})", f"the ledger already holds an award ({ids})"
    d.step("first_time", item.id, item.item.citation, False, facts, zh, en, "not_first_time")


def _exclusions(ctx: _Context, d: _Draft) -> None:
    """Every case of 第十七条; a claim no case can apply to shares its steps with its like."""
    exclusions = ctx.rules.exclusions.exclusions
    claim, a = d.claim, d.applicant
    review = claim.review
    clean = (
        a.licensed
        and not a.credit_listings
        and not claim.other_support
        and review.industrial_policy == "ok"
        and review.related_to_quality
        and review.other_violation is None
    )
    if not clean:
        for ex in exclusions:
            _exclusion(ctx, ex, d)
        return
    # Only the duplicate check reads this claim's own facts (its subject); every other
    # step is the same for all clean claims submitted on the same day.
    shared = ctx.clean.get(claim.submitted_on)
    if shared is None:
        start = len(d.trace)
        for ex in exclusions:
            _exclusion(ctx, ex, d)
        steps = d.trace[start:]
        at = next((i for i, ex in enumerate(exclusions) if ex.check == "duplicate_claim"), None)
        if at is None:
            ctx.clean[claim.submitted_on] = (tuple(steps), None, ())
        else:
            split = (tuple(steps[:at]), exclusions[at], tuple(steps[at + 1 :]))
            ctx.clean[claim.submitted_on] = split
        return
    before, duplicate, after = shared
    d.trace.extend(before)
    if duplicate is not None:
        if d.duplicate_of is not None:
            _exclusion(ctx, duplicate, d)
        else:
            facts: dict[str, JSONValue] = {"duplicate_of": None, "subject": claim.subject}
            zh, en = ctx.texts[duplicate.code][2:]
            step = TraceStep("exclusion", duplicate.code, duplicate.citation, "pass", facts, zh, en)
            d.trace.append(step)
    d.trace.extend(after)


def _exclusion(ctx: _Context, ex: Exclusion, d: _Draft) -> None:
    """One case of 第十七条 (rulings R8); every case is checked and reported."""
    claim, a = d.claim, d.applicant
    # The usual case: nothing to exclude, with the same facts as many other claims.
    quick = _clean_key(ex.check, d)
    if quick is not None and quick in ctx.memo:
        d.trace.append(ctx.memo[quick])
        return
    facts: dict[str, JSONValue]
    hit: bool
    if ex.check == "industrial_policy":
        facts = {"review.industrial_policy": claim.review.industrial_policy}
        hit = claim.review.industrial_policy == "violates"
    elif ex.check == "unlicensed":
        facts = {"licensed": a.licensed}
        hit = not a.licensed
    elif ex.check == "credit_listing":
        on = claim.submitted_on
        assert on is not None
        listed = [
            c.list
            for c in a.credit_listings
            if c.list in (ex.lists or ()) and c.from_ <= on and (c.until is None or on <= c.until)
        ]
        listed_on: list[JSONValue] = [str(x) for x in sorted(set(listed))]
        facts = {"submitted_on": on.isoformat(), "listed_on": listed_on}
        hit = bool(listed)
    elif ex.check == "duplicate_claim":
        facts = {"duplicate_of": d.duplicate_of, "subject": claim.subject}
        hit = d.duplicate_of is not None
    elif ex.check == "other_support":
        facts = {"other_support": list(claim.other_support)}
        hit = bool(claim.other_support)
    elif ex.check == "unrelated":
        facts = {"review.related_to_quality": claim.review.related_to_quality}
        hit = not claim.review.related_to_quality
    else:
        facts = {"review.other_violation": claim.review.other_violation}
        hit = claim.review.other_violation is not None
    texts = ctx.texts.get(ex.code)
    if texts is None:
        clause = ex.clause.rstrip(";。")
        texts = ctx.texts[ex.code] = (
            f"属于“{clause}”情形,不予奖励",
            f"excluded: {ex.code}",
            f"不属于“{clause}”情形",
            f"not excluded under {ex.code}",
        )
    zh, en = (texts[0], texts[1]) if hit else (texts[2], texts[3])
    d.step("exclusion", ex.code, ex.citation, not hit, facts, zh, en, ex.code if hit else None)
    if quick is not None and not hit:
        ctx.memo[quick] = d.trace[-1]


def _clean_key(check: str, d: _Draft) -> Hashable | None:
    """A memo key for an exclusion step whose facts recur across claims, else ``None``."""
    claim, a = d.claim, d.applicant
    if check == "industrial_policy":
        return ("excl", check, claim.review.industrial_policy)
    if check == "unlicensed":
        return ("excl", check, a.licensed)
    if check == "credit_listing":
        return None if a.credit_listings else ("excl", check, claim.submitted_on)
    if check == "other_support":
        return None if claim.other_support else ("excl", check)
    if check == "unrelated":
        return ("excl", check, claim.review.related_to_quality)
    if check == "other_violation":
        return None if claim.review.other_violation else ("excl", check)
    return None


def _ban(ctx: _Context, d: _Draft) -> None:
    """第二十四条 and rulings R9: no application within 3 years of a fraud finding."""
    on = d.claim.submitted_on
    assert on is not None
    bans = [b for b in ctx.history.bans(d.key) if b.found_on <= on < b.until]
    key = ("ban", on)
    if not bans and key in ctx.memo:
        d.trace.append(ctx.memo[key])
        return
    facts: dict[str, JSONValue] = {
        "submitted_on": on.isoformat(),
        "bans": [f"{b.found_on}..{b.until}" for b in bans],
    }
    cite = ctx.rules.exclusions.ban.citation
    if not bans:
        d.step(
            "ban",
            "applicant.not_banned",
            cite,
            True,
            facts,
            "申报单位不在取消申报资格期内",
            "the applicant is not banned",
        )
        ctx.memo[key] = d.trace[-1]
        return
    b = bans[0]
    d.step(
        "ban",
        "applicant.not_banned",
        cite,
        False,
        facts,
        f"因弄虚作假被取消申报资格至{b.until}",
        f"banned for fraud until {b.until}",
        "banned",
    )


def _earlier_awards(ctx: _Context, d: _Draft) -> None:
    """第二十条第(二)项 and rulings R5 across rounds: pay only up to the highest tier."""
    item = d.item
    assert item is not None
    rules = ctx.rules
    prior = ctx.history.prior_awards(d.key, item.item.family, d.claim.subject or "")
    if not prior:
        return
    paid = sum(p.amount_yuan for p in prior)
    policy = rules.allocation.same_qualification.policy
    cite = rules.allocation.same_qualification.citation
    facts: dict[str, JSONValue] = {
        "earlier_awards": [p.claim_id for p in prior],
        "earlier_yuan": paid,
        "amount_yuan": d.amount,
        "policy": policy,
    }
    if policy == "top_up" and d.amount > paid:
        if d.refused:
            # A top-up is a way of paying (rulings R5); a refused claim is paid nothing.
            d.step(
                "same_qualification",
                item.id,
                cite,
                "skip",
                facts,
                f"同一资格已获奖励{format_wan(paid)}万元;本申报已不予奖励,不补差",
                f"already paid {paid} yuan for this qualification; the claim is refused, "
                "so there is no top-up",
            )
            return
        d.amount -= paid
        d.step(
            "same_qualification",
            item.id,
            cite,
            "top_up",
            facts,
            f"同一资格已获奖励{format_wan(paid)}万元,就高补差{format_wan(d.amount)}万元",
            f"already paid {paid} yuan for this qualification: top-up of {d.amount} yuan",
            "top_up",
        )
        return
    d.step(
        "same_qualification",
        item.id,
        cite,
        False,
        facts,
        f"同一资格已获奖励{format_wan(paid)}万元,不重复奖励",
        f"already paid {paid} yuan for this qualification",
        "already_awarded",
    )


# --- phase 3: across the batch --------------------------------------------------------


def _highest_wins(rules: RuleSet, drafts: Sequence[_Draft]) -> None:
    """第二十条第(二)项: one qualification, one award, the highest (就高不就低)."""
    groups: dict[tuple[str, str, str], list[_Draft]] = {}
    for d in drafts:
        if d.item is None or d.refused:
            continue
        groups.setdefault((d.key, d.item.item.family, d.claim.subject or ""), []).append(d)
    cite = rules.allocation.same_qualification.citation
    for group in groups.values():
        if len(group) < 2:
            continue
        # Highest amount first; ties: earliest submitted_on, then claim id (rulings R5).
        group.sort(key=lambda d: (-d.amount, d.order))
        winner = group[0]
        for d in group[1:]:
            assert d.item is not None
            assert winner.item is not None
            d.superseded = True
            facts: dict[str, JSONValue] = {
                "winner": winner.claim.id,
                "winner_item": winner.item.id,
                "winner_amount_yuan": winner.amount,
                "amount_yuan": d.amount,
            }
            d.step(
                "same_qualification",
                d.item.id,
                cite,
                "superseded",
                facts,
                f"同一资格按就高不就低原则核拨申报{winner.claim.id}({winner.item.id})",
                f"same qualification: the higher claim {winner.claim.id} "
                f"({winner.item.id}) is paid instead",
                "superseded_by_higher",
            )


def _one_participant_per_standard(rules: RuleSet, drafts: Sequence[_Draft]) -> None:
    """第十三条: participation pays one Hami unit per standard, the foremost-ranked one.

    A unit the 前言 prints without a code is a Hami unit only to its own applicant's claim
    (rulings R7), so each claim's authorship step may settle on itself while another claim
    on the standard shows a Hami applicant ranked before it. The foremost Hami position is
    therefore taken over every claim on the standard, and only a participant there is paid.
    """
    participation = rules.allocation.participation
    start = 1 if participation.policy == "foremost_after_lead" else 0
    foremost: dict[str, int] = {}
    for d in drafts:
        if d.hami_unit and d.position is not None and d.position >= start:
            subject = d.claim.subject or ""
            foremost[subject] = min(d.position, foremost.get(subject, d.position))
    seen: dict[str, _Draft] = {}
    participants = [
        d
        for d in drafts
        if d.item is not None
        and d.facts.get("role") == "participant"
        and not d.superseded
        and not d.refused
    ]
    for d in sorted(participants, key=lambda d: (d.position or 0, d.order)):
        subject = d.claim.subject or ""
        best = foremost.get(subject)
        facts: dict[str, JSONValue] = {"standard_no": subject}
        if best is not None and best != d.position:
            facts["foremost_hami_position"] = best + 1
            zh = f"另一申报中排序第{best + 1}位的哈密市起草单位排序更靠前"
            en = f"another claim shows a Hami unit ranked {best + 1}, before this applicant"
        elif subject not in seen:
            seen[subject] = d
            continue
        else:
            paid = seen[subject].claim.id
            facts["paid_to"] = paid
            zh = f"该标准的参与制定奖励已核给申报{paid}"
            en = f"the participation award for this standard goes to {paid}"
        d.step(
            "authorship",
            "standard.one_participant",
            participation.citation,
            False,
            facts,
            zh,
            en,
            "not_foremost_hami_participant",
        )
