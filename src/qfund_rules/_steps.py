"""Phase 2 of an evaluation: each claim's own steps, in order (interchange.md).

Validity (第二十八条), eligibility (第四条), authorship (第十三条, settled in phase 1),
the match steps and the amount, 首次 / 新承担 (rulings R4), every case of 第十七条, the ban
of 第二十四条, and earlier awards for the same qualification (第二十条第(二)项). Most steps
depend on a few values (a day, an item, the exclusion facts), and each distinct one is
built once per evaluation and shared; the usual path is a chain of dictionary look-ups.
"""

from __future__ import annotations

import datetime as dt
import difflib
from bisect import bisect_right
from collections.abc import Hashable, Sequence

from ._draft import Context, Draft, ItemInfo
from .claims import Applicant, CreditListing
from .decision import JSONValue, TraceStep, new_step
from .history import NO_HISTORY, PriorAward
from .money import format_wan
from .rules import CompiledItem, Exclusion

__all__ = ["decide", "eligibility"]


def decide(ctx: Context, d: Draft) -> None:
    """Every step of one claim, in order; cross-claim steps come in phase 3."""
    person = d.person
    d.reasons, d.citations, d.trace = [], [], []
    trace = d.trace
    on = d.on
    step = ctx.valid.get(on)
    if step is None:
        _validity(ctx, d, on)
    else:
        trace.append(step)
    trace.append(person.eligibility)
    if not person.eligible:
        d.reject("not_eligible_applicant", person.eligibility.citation)
    authorship = d.authorship
    if authorship is not None:
        trace.append(authorship.step)
        if authorship.reason:
            d.reject(authorship.reason, authorship.step.citation)
    trace.extend(d.match_steps)
    item = d.item
    prior: Sequence[PriorAward] = ()
    if item is None:
        _no_item(ctx, d)
    else:
        info = ctx.info[id(item)]
        amount = ctx.amounts.get((id(item), bisect_right(item.amount_dates, on)))
        if amount is None:
            amount = _amount(ctx, item, on)
        step, d.amount = amount
        if info.citation not in d.citations:
            d.citations.append(info.citation)
        trace.append(step)
        prior = ctx.history.prior_awards(person.key, info.family, d.subject or "")
        if info.first_time:
            # The usual case: declared (or not for the kind to declare), nothing earlier.
            ok = None if prior or d.first_time is False else ctx.first_time_ok.get(id(info))
            if ok is None:
                _first_time(ctx, d, info, prior)
            else:
                trace.append(ok)
    # 第十七条 and the ban: only the duplicate check reads facts of the claim's own (its
    # subject); the other steps are those of every claim with the same exclusion facts and
    # no ban on record, the usual case.
    tail = ctx.tails.get(d.exclusion_key)
    if tail is None or ctx.history.bans(person.key):
        _exclusions_and_ban(ctx, d)
    else:
        before, duplicate, after, before_fails, after_fails = tail
        trace.extend(before)
        for reason, citation in before_fails:
            d.reject(reason, citation)
        if duplicate is not None:
            _duplicate(ctx, d, duplicate)
        trace.extend(after)
        for reason, citation in after_fails:
            d.reject(reason, citation)
    if prior:
        _earlier_awards(ctx, d, prior)


def _validity(ctx: Context, d: Draft, on: dt.date) -> None:
    """第二十八条 and rulings R2: the reference date must fall in the period in force."""
    start, end = ctx.effective
    ok = start <= on <= end
    facts: dict[str, JSONValue] = {
        "achieved_on": ctx.iso(on),
        "effective_from": ctx.iso(start),
        "effective_until": ctx.iso(end),
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
    step = d.step(
        "validity", "measures.in_force", cite, ok, facts, zh, en, None if ok else "outside_validity"
    )
    if ok:
        ctx.valid[on] = step


def eligibility(ctx: Context, a: Applicant) -> tuple[TraceStep, bool]:
    """第四条 and rulings R3: a Hami-registered unit of an allowed type."""
    elig = ctx.rules.exclusions.eligibility
    type_ok = a.org_type in elig.org_types
    region_ok = a.region in elig.regions
    facts: dict[str, JSONValue] = {"org_type": a.org_type, "region": a.region}
    if type_ok and region_ok:
        key = (a.org_type, a.region)
        step = ctx.eligible.get(key)
        if step is None:
            kind, place = elig.org_types[a.org_type], elig.regions[a.region or ""]
            zh = f"{kind.zh},注册地{place.zh}({a.region}),属支持对象"
            en = f"{kind.en} registered in {place.en} ({a.region}): within Hami, may apply"
            step = ctx.eligible[key] = new_step(
                "eligibility", "applicant.eligible", elig.citation, "pass", facts, zh, en
            )
        return step, True
    why_zh, why_en = [], []
    if not type_ok:
        # Any text may name the type (R3 decides the claim); a near miss is shown as such.
        close = difflib.get_close_matches(a.org_type, list(elig.org_types), n=1, cutoff=0.75)
        hint = f"(是否应为{close[0]}?)" if close else ""
        why_zh.append(f"单位类型{a.org_type}不在支持范围{hint}")
        why_en.append(
            f"organisation type {a.org_type} is not supported"
            + (f" (did you mean {close[0]}?)" if close else "")
        )
    if not region_ok:
        why_zh.append(f"注册地区划代码{a.region}不属哈密市")
        why_en.append(f"division code {a.region} is not in Hami")
    zh, en = ";".join(why_zh), "; ".join(why_en)
    step = new_step("eligibility", "applicant.eligible", elig.citation, "fail", facts, zh, en)
    return step, False


def _no_item(ctx: Context, d: Draft) -> None:
    """No candidate item of the claim's kind matched (第八条 or the kind's article)."""
    kind = d.claim.kind
    plain = d.authorship is None or d.authorship.reason is None
    step = ctx.no_item.get((kind, plain))
    if step is None:
        articles = sorted({s.citation.split("条")[0] + "条" for s in d.match_steps})
        citation = articles[0] if len(articles) == 1 else "第八条"
        if plain:
            zh, en = "没有与本申报相符的奖励事项", "no award item matches this claim"
        else:
            # Authorship already failed and says why; "no item" would only repeat it.
            zh = "起草单位认定未通过,没有可适用的奖励事项"
            en = "authorship not established, so no award item applies"
        facts: dict[str, JSONValue] = {"kind": kind}
        step = new_step("match", "item.none", citation, "fail", facts, zh, en)
        ctx.no_item[(kind, plain)] = step
    d.trace.append(step)
    if plain:
        d.reject("no_matching_item", step.citation)


def _amount(ctx: Context, item: CompiledItem, on: dt.date) -> tuple[TraceStep, int]:
    """The amount step: the item's dated amount in force on the reference date.

    The step names the dated value applied (its ``from`` date), not the reference date,
    which the validity step already shows: one step per dated value, shared by every claim.
    """
    i = bisect_right(item.amount_dates, on)
    found = ctx.amounts.get((id(item), i))
    if found is None:
        amount = item.amounts_yuan[i - 1] if i else 0
        facts: dict[str, JSONValue] = {
            "item": item.item.id,
            "amount_yuan": amount,
            "in_force_from": ctx.iso(item.amount_dates[i - 1]) if i else None,
        }
        if i:
            zh = f"适用“{item.item.clause}”,取得日适用金额{format_wan(amount)}万元"
            en = f"'{item.item.title_en}' applies: {amount} yuan in force on the reference date"
        else:  # achieved before the item's first amount: the validity step fails too
            first = ctx.iso(item.amount_dates[0])
            zh = f"取得日早于本事项首个金额的生效日({first}),无适用金额"
            en = (
                f"no amount of '{item.item.title_en}' is in force on the reference date "
                f"(the first from {first})"
            )
        step = new_step("amount", item.item.id, item.item.citation, "pass", facts, zh, en)
        found = ctx.amounts[(id(item), i)] = (step, amount)
    return found


# What 首次 looks for in the ledger, as allocation.yaml first_time.scope reads it (R4): an
# earlier award of the same item, or of any item of the same qualification (family).
_SCOPE = {
    "item": ("该奖励事项", "of this item"),
    "qualification": ("同一资格", "for the same qualification"),
}


def _first_time(ctx: Context, d: Draft, info: ItemInfo, prior: Sequence[PriorAward]) -> None:
    """Rulings R4: 首次 / 新承担 needs the declaration and no earlier award in the ledger."""
    # Kinds without a declared first_time fact have only the ledger check (R4).
    declared = d.first_time is not False
    scope = ctx.rules.allocation.first_time.scope
    earlier = [p for p in prior if scope == "qualification" or p.item == info.id]
    if declared and not earlier:
        step = ctx.first_time_ok.get(id(info))
        if step is None:
            facts = _first_time_facts(d, scope, earlier)
            what_zh, what_en = _SCOPE[scope]
            if ctx.history is NO_HISTORY:
                # Decided without a ledger (`qfund explain` alone): none was looked at.
                zh = f"首次获得(新承担),无{what_zh}的既往奖励记录(未提供账本)"
                en = f"first time: declared, and no earlier award {what_en} given (no ledger read)"
            else:
                zh = f"首次获得(新承担),账本中无{what_zh}的既往奖励"
                en = f"first time: declared, and no earlier award {what_en} in the ledger"
            step = ctx.first_time_ok[id(info)] = new_step(
                "first_time", info.id, info.citation, "pass", facts, zh, en
            )
        d.trace.append(step)
        return
    if not declared:
        zh, en = "申报未声明为首次获得", "the claim does not declare a first time"
    else:
        ids = ", ".join(p.claim_id for p in earlier)
        zh = f"账本中已有{_SCOPE[scope][0]}的奖励({ids})"
        en = f"the ledger already holds an award {_SCOPE[scope][1]} ({ids})"
    facts = _first_time_facts(d, scope, earlier)
    d.step("first_time", info.id, info.citation, False, facts, zh, en, "not_first_time")


def _first_time_facts(d: Draft, scope: str, earlier: Sequence[PriorAward]) -> dict[str, JSONValue]:
    return {
        "first_time": d.first_time,
        "scope": scope,
        "earlier_awards": [p.claim_id for p in earlier],
    }


def _exclusions_and_ban(ctx: Context, d: Draft) -> None:
    """Every case of 第十七条, then the ban; shared with claims of the same exclusion facts."""
    exclusions = ctx.rules.exclusions.exclusions
    start = len(d.trace)
    for ex in exclusions:
        _exclusion(ctx, ex, d)
    if _ban(ctx, d, d.submitted) is None:
        return  # banned: the ban step is this applicant's own
    steps = d.trace[start:]
    at = next((i for i, ex in enumerate(exclusions) if ex.check == "duplicate_claim"), None)
    after: tuple[TraceStep, ...] = ()
    if at is None:
        before, duplicate = tuple(steps), None
    else:
        before, duplicate, after = tuple(steps[:at]), exclusions[at], tuple(steps[at + 1 :])
    ctx.tails[d.exclusion_key] = (before, duplicate, after, _fails(before), _fails(after))


def _fails(steps: Sequence[TraceStep]) -> tuple[tuple[str, str], ...]:
    """(reason, citation) of the exclusions that apply: an exclusion's reason is its code."""
    return tuple((s.rule, s.citation) for s in steps if s.result == "fail")


def _duplicate(ctx: Context, d: Draft, duplicate: Exclusion) -> None:
    """第十七条第(三)项 beside shared exclusion steps; the passing step is shared per subject."""
    if d.duplicate_of is not None:
        _exclusion(ctx, duplicate, d)
        return
    subject = d.subject
    step = ctx.duplicate_ok.get(subject)
    if step is None:
        facts: dict[str, JSONValue] = {"duplicate_of": None, "subject": subject}
        zh, en = ctx.texts[duplicate.code][2:]
        step = new_step("exclusion", duplicate.code, duplicate.citation, "pass", facts, zh, en)
        ctx.duplicate_ok[subject] = step
    d.trace.append(step)


def _exclusion(ctx: Context, ex: Exclusion, d: Draft) -> None:
    """One case of 第十七条 (rulings R8); every case is checked and reported."""
    claim, a = d.claim, d.person.applicant
    # The usual case: nothing to exclude, with the same facts as many other claims.
    quick = _clean_key(ex.check, d)
    shared = None if quick is None else ctx.memo.get(quick)
    if shared is not None:
        d.trace.append(shared)
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
            c
            for c in a.credit_listings
            if c.list in (ex.lists or ()) and c.from_ <= on and (c.until is None or on <= c.until)
        ]
        listed_on: list[JSONValue] = [str(x) for x in sorted({c.list for c in listed})]
        facts = {
            "submitted_on": ctx.iso(on),
            "listed_on": listed_on,
            "listings": _listings(ctx, listed),
        }
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
        # Named by its titles; the step's clause line quotes the measures' own words.
        texts = ctx.texts[ex.code] = (
            f"属于“{ex.title_zh}”情形,不予奖励",
            f"excluded under '{ex.title_en}'",
            f"不属于“{ex.title_zh}”情形",
            f"not excluded under '{ex.title_en}'",
        )
    zh, en = (texts[0], texts[1]) if hit else (texts[2], texts[3])
    step = d.step(
        "exclusion", ex.code, ex.citation, not hit, facts, zh, en, ex.code if hit else None
    )
    if quick is not None and not hit:
        ctx.memo[quick] = step


def _listings(ctx: Context, listed: Sequence[CreditListing]) -> list[JSONValue]:
    """The listings that apply on the submission day, with the dates that make them apply.

    In the order of (list, from, until), so that the order of the batch file does not show;
    each mapping's keys in sorted order, as a ledger record writes them (its body is
    canonical JSON), so that a recorded decision reads back as the engine wrote it.
    """
    ordered = sorted(listed, key=lambda c: (c.list, c.from_, c.until or dt.date.max))
    return [
        {
            "from": ctx.iso(c.from_),
            "list": c.list,
            "until": None if c.until is None else ctx.iso(c.until),
        }
        for c in ordered
    ]


def _clean_key(check: str, d: Draft) -> Hashable | None:
    """A memo key for an exclusion step whose facts recur across claims, else ``None``."""
    claim, a = d.claim, d.person.applicant
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


def _ban(ctx: Context, d: Draft, on: dt.date) -> TraceStep | None:
    """第二十四条 and rulings R9: no application within 3 years of a fraud finding.

    Returns the step when it is the pass step every unbanned claim of the day shares.
    """
    recorded = ctx.history.bans(d.person.key)
    bans = [b for b in recorded if b.found_on <= on < b.until] if recorded else []
    if not bans:
        step = ctx.ban_ok.get(on)
        if step is None:
            if ctx.history is NO_HISTORY:
                # Without a ledger no ban was looked for: "not banned" would be unchecked.
                zh, en = (
                    "无取消申报资格记录(未提供账本)",
                    "no ban of the applicant given (no ledger read)",
                )
            else:
                zh, en = "申报单位不在取消申报资格期内", "the applicant is not banned"
            step = ctx.ban_ok[on] = new_step(
                "ban",
                "applicant.not_banned",
                ctx.rules.exclusions.ban.citation,
                "pass",
                {"submitted_on": ctx.iso(on), "bans": []},
                zh,
                en,
            )
        d.trace.append(step)
        return step
    # A ban covers [found_on, until): until is the first day the applicant may apply again.
    # Each mapping's keys are in sorted order, as a ledger record writes them (_listings).
    # claim_id: the claim the fraud was found on, as `qfund ledger show` lists the finding.
    shown: list[JSONValue] = [
        {"claim_id": b.claim_id, "found_on": ctx.iso(b.found_on), "until": ctx.iso(b.until)}
        for b in bans
    ]
    facts: dict[str, JSONValue] = {"submitted_on": ctx.iso(on), "bans": shown}
    # Overlapping bans: the applicant may apply again only when the last of them has ended.
    until = max(b.until for b in bans)
    d.step(
        "ban",
        "applicant.not_banned",
        ctx.rules.exclusions.ban.citation,
        False,
        facts,
        f"因弄虚作假被取消申报资格至{until}",
        f"banned for fraud until {until}",
        "banned",
    )
    return None


def _earlier_awards(ctx: Context, d: Draft, prior: Sequence[PriorAward]) -> None:
    """第二十条第(二)项 and rulings R5 across rounds: pay only up to the highest tier."""
    item = d.item
    assert item is not None
    rules = ctx.rules
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
                f"already awarded {paid} yuan for this qualification; the claim is refused, "
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
            f"already awarded {paid} yuan for this qualification: top-up of {d.amount} yuan",
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
        f"already awarded {paid} yuan for this qualification",
        "already_awarded",
    )
