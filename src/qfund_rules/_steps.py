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
from ._texts import TEXTS, say
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
    zh, en = say("validity.in_force" if ok else "validity.outside", **facts)
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
            zh, en = say(
                "eligibility.may_apply",
                type=(kind.zh, kind.en),
                place=(place.zh, place.en),
                region=a.region,
            )
            step = ctx.eligible[key] = new_step(
                "eligibility", "applicant.eligible", elig.citation, "pass", facts, zh, en
            )
        return step, True
    why: list[tuple[str, str]] = []
    if not type_ok:
        # Any text may name the type (R3 decides the claim); a near miss is shown as such.
        close = difflib.get_close_matches(a.org_type, list(elig.org_types), n=1, cutoff=0.75)
        hint = say("eligibility.hint", close=close[0]) if close else ("", "")
        why.append(say("eligibility.type", org_type=a.org_type, hint=hint))
    if not region_ok:
        why.append(say("eligibility.region", region=a.region))
    join_zh, join_en = TEXTS["eligibility.join"]
    zh, en = join_zh.join(w[0] for w in why), join_en.join(w[1] for w in why)
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
        # Authorship failed already and says why; "no item" would only repeat it.
        zh, en = say("item.none" if plain else "item.none.authorship")
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
            title = (item.item.clause, item.item.title_en)
            zh, en = say("amount", title=title, amount=(format_wan(amount), amount))
        else:  # achieved before the item's first amount: the validity step fails too
            first = ctx.iso(item.amount_dates[0])
            zh, en = say("amount.before_first", title=item.item.title_en, first=first)
        step = new_step("amount", item.item.id, item.item.citation, "pass", facts, zh, en)
        found = ctx.amounts[(id(item), i)] = (step, amount)
    return found


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
            # Decided without a ledger (`qfund explain` alone): none was looked at.
            key = "first_time.pass.no_ledger" if ctx.history is NO_HISTORY else "first_time.pass"
            zh, en = say(key, scope=_scope(scope))
            step = ctx.first_time_ok[id(info)] = new_step(
                "first_time", info.id, info.citation, "pass", facts, zh, en
            )
        d.trace.append(step)
        return
    if not declared:
        zh, en = say("first_time.undeclared")
    else:
        ids = ", ".join(p.claim_id for p in earlier)
        zh, en = say("first_time.earlier_award", scope=_scope(scope), ids=ids)
    facts = _first_time_facts(d, scope, earlier)
    d.step("first_time", info.id, info.citation, False, facts, zh, en, "not_first_time")


def _scope(scope: str) -> tuple[str, str]:
    """What 首次 looks for in the ledger, as allocation.yaml first_time.scope reads it (R4):
    an earlier award of the same item, or of any item of the same qualification (family)."""
    return TEXTS[f"first_time.scope.{scope}"]


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
        zh, en = _texts(ctx, duplicate)[2:]
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
        listed: list[CreditListing] = []
        other: list[tuple[CreditListing, str]] = []
        for c in a.credit_listings:
            why = _not_applying(c, ex.lists or (), on)
            if why is None:
                listed.append(c)
            else:
                other.append((c, why))
        listed_on: list[JSONValue] = [str(x) for x in sorted({c.list for c in listed})]
        facts = {
            "submitted_on": ctx.iso(on),
            "listed_on": listed_on,
            "listings": _listings(ctx, [(c, None) for c in listed]),
            "not_applying": _listings(ctx, other),
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
    texts = _texts(ctx, ex)
    zh, en = (texts[0], texts[1]) if hit else (texts[2], texts[3])
    if ex.check == "credit_listing" and hit:
        zh, en = _listed_texts(ex, d.submitted, facts["listed_on"])
    if ex.check == "credit_listing" and facts["not_applying"]:
        # Listings on file that do not apply: said, with why (only applicants listed at all).
        more_zh, more_en = _not_applying_texts(ctx, ex, d.submitted, facts["not_applying"], hit)
        zh, en = zh + more_zh, en + more_en
    step = d.step(
        "exclusion", ex.code, ex.citation, not hit, facts, zh, en, ex.code if hit else None
    )
    if quick is not None and not hit:
        ctx.memo[quick] = step


def _texts(ctx: Context, ex: Exclusion) -> tuple[str, str, str, str]:
    """A case's messages, when it applies and when not (zh, en, zh, en), made once.

    Named by its titles; the step's clause line quotes the measures' own words.
    """
    texts = ctx.texts.get(ex.code)
    if texts is None:
        title = (ex.title_zh, ex.title_en)
        texts = ctx.texts[ex.code] = (
            *say("exclusion.applies", title=title),
            *say("exclusion.clear", title=title),
        )
    return texts


def _listed_texts(ex: Exclusion, on: dt.date, listed: JSONValue) -> tuple[str, str]:
    """第十七条第(二)项 applying: the case by its titles, and the lists the applicant is on
    that day, each by its name (exclusions.yaml ``list_names``; by its code when it has none)."""
    assert isinstance(listed, list)
    names = ex.list_names or {}
    shown: list[tuple[str, str]] = []
    for code in listed:
        assert isinstance(code, str)
        name = names.get(code)
        shown.append((code, code) if name is None else (name.zh, name.en))
    join_zh, join_en = TEXTS["exclusion.listed.join"]
    lists = (join_zh.join(s[0] for s in shown), join_en.join(s[1] for s in shown))
    title = (ex.title_zh, ex.title_en)
    return say("exclusion.listed", title=title, day=on.isoformat(), lists=lists)


def _not_applying(c: CreditListing, lists: Sequence[str], on: dt.date) -> str | None:
    """Why a listing on file does not apply on the submission day ``on``, or ``None``: a
    list the case does not name (exclusions.yaml ``lists``), or a listing that starts after
    that day or ended before it (both its days count as listed)."""
    if c.list not in lists:
        return "other_list"
    if on < c.from_:
        return "starts_after"
    if c.until is not None and c.until < on:
        return "ended_before"
    return None


def _listings(
    ctx: Context, listings: Sequence[tuple[CreditListing, str | None]]
) -> list[JSONValue]:
    """Listings with their dates, and why each does not apply when it does not (``why``).

    In the order of (list, from, until), so that the order of the batch file does not show;
    each mapping's keys in sorted order, as a ledger record writes them (its body is
    canonical JSON), so that a recorded decision reads back as the engine wrote it.
    """
    ordered = sorted(listings, key=lambda x: (x[0].list, x[0].from_, x[0].until or dt.date.max))
    shown: list[JSONValue] = []
    for c, why in ordered:
        entry: dict[str, JSONValue] = {
            "from": ctx.iso(c.from_),
            "list": c.list,
            "until": None if c.until is None else ctx.iso(c.until),
        }
        if why is not None:
            entry["why"] = why
        shown.append(entry)
    return shown


def _not_applying_texts(
    ctx: Context, ex: Exclusion, on: dt.date, listings: JSONValue, listed: bool
) -> tuple[str, str]:
    """What the step adds to its message for the listings on file that do not apply, each
    list by its name (exclusions.yaml ``list_names``; by its code when it has none); the
    day not said again when the applicant is ``listed`` (exclusion.listed has said it)."""
    assert isinstance(listings, list)
    names = ex.list_names or {}
    said: list[tuple[str, str]] = []
    for entry in listings:
        assert isinstance(entry, dict)
        start, end = entry["from"], entry["until"]
        if end is None:
            dates = say("exclusion.listing.open", start=start)
        else:
            dates = say("exclusion.listing.dates", start=start, end=end)
        why = TEXTS[f"exclusion.listing.{entry['why']}"]
        code = entry["list"]
        assert isinstance(code, str)
        name = names.get(code)
        shown_list = (code, code) if name is None else (name.zh, name.en)
        said.append(say("exclusion.listing", list=shown_list, dates=dates, why=why))
    join_zh, join_en = TEXTS["exclusion.listing.join"]
    shown = (join_zh.join(s[0] for s in said), join_en.join(s[1] for s in said))
    if listed:
        return say("exclusion.not_applying.listed", listings=shown)
    return say("exclusion.not_applying", day=ctx.iso(on), listings=shown)


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
            # Without a ledger no ban was looked for: "not banned" would be unchecked.
            zh, en = say("ban.none.no_ledger" if ctx.history is NO_HISTORY else "ban.none")
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
    # Overlapping bans: the applicant may apply again only when the last of them has ended;
    # the message names the claim its fraud was found on (those of the bans ending then).
    until = max(b.until for b in bans)
    claims = list(dict.fromkeys(b.claim_id for b in bans if b.until == until))
    if len(claims) == 1:
        zh, en = say("ban.active", until=until, claim=claims[0])
    else:
        join_zh, join_en = TEXTS["ban.claims.join"]
        joined = (join_zh.join(claims), join_en.join(claims))
        zh, en = say("ban.active.several", until=until, claims=joined)
    d.step("ban", "applicant.not_banned", ctx.rules.exclusions.ban.citation, False, facts, zh, en,
           "banned")  # fmt: skip
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
    earlier = (format_wan(paid), paid)
    if policy == "top_up" and d.amount > paid:
        if d.refused:
            # A top-up is a way of paying (rulings R5); a refused claim is paid nothing.
            zh, en = say("same_qualification.no_top_up", earlier=earlier)
            d.step("same_qualification", item.id, cite, "skip", facts, zh, en)
            return
        d.amount -= paid
        top_up = (format_wan(d.amount), d.amount)
        zh, en = say("same_qualification.top_up", earlier=earlier, amount=top_up)
        d.step("same_qualification", item.id, cite, "top_up", facts, zh, en, "top_up")
        return
    zh, en = say("same_qualification.already_awarded", earlier=earlier)
    d.step("same_qualification", item.id, cite, False, facts, zh, en, "already_awarded")
