"""The engine: claims in, decisions out, every step recorded in the decision's trace.

Per claim, in order (interchange.md, rulings R2-R5, R7-R9): validity (第二十八条),
eligibility (第四条), authorship of standards (第十三条), item matching (each candidate
item of the claim's kind, matched or not and why), 首次 / 新承担, every exclusion of
第十七条, the ban of 第二十四条, and earlier awards for the same qualification
(第二十条第(二)项). Then, across the batch, 就高不就低: one award per qualification.

Every step runs and is recorded even after a failure, so a rejection lists every reason
that applies, not only the first. Nothing here reads a clock, a global or an environment
variable: the same batch and rules give the same decisions.

Most steps depend on a handful of values (a claim kind's enums, a date, an applicant), so
the same step recurs across a batch: each distinct step is built once per evaluation and
shared by every decision it belongs to (steps are immutable). The per-claim path is a
chain of dictionary look-ups; a step is built only on the first claim that needs it, or
when it reads facts of its own claim alone (a failure, a standard's authorship).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from operator import attrgetter

from .authorship import Authorship, settle_authorship
from .claims import CLAIM_TYPES, Applicant, Batch, ClaimBase, StandardClaim
from .conditions import failures
from .decision import Decision, Evaluation, JSONValue, Outcome, TraceStep, new_decision, new_step
from .history import NO_HISTORY, History, PriorAward, applicant_key
from .money import format_wan
from .rules import CompiledItem, Exclusion, RuleSet

__all__ = ["evaluate"]

# Reasons that explain an award or a supersession rather than refuse the claim.
_SOFT_REASONS = frozenset({"top_up", "superseded_by_higher"})


def evaluate(rules: RuleSet, batch: Batch, history: History = NO_HISTORY) -> Evaluation:
    """Decide every claim of ``batch`` under ``rules``, given earlier rounds' ``history``.

    Evaluation creates no reference cycles. On very large batches, much of the remaining
    time is Python's cyclic collector walking the heap; the library leaves that
    process-wide switch to its caller (the ``qfund`` command turns it off, bench/README.md).
    """
    ctx = _Context(rules, history)
    people = _people(ctx, batch.applicants)
    cross = _CrossClaim(ctx)
    add = cross.add
    drafts = [add(_derive(ctx, claim, people[claim.applicant])) for claim in batch.claims]
    cross.settle(people.values())
    sha, is_draft = rules.sha256, rules.status == "draft"
    # A claim no cross-claim rule can touch is finished as soon as it is decided, and its
    # draft freed: drafts are taken from the end of the reversed list.
    drafts.reverse()
    done: list[_Draft | Decision] = []
    while drafts:
        d = drafts.pop()
        _decide(ctx, d)
        done.append(d if d.pending else d.finish(sha, is_draft))
    _highest_wins(ctx, cross.groups.values())
    _one_participant_per_standard(rules, cross)
    return Evaluation(
        rules=rules.identity(),
        decisions=tuple([d if isinstance(d, Decision) else d.finish(sha, is_draft) for d in done]),
    )


def _people(ctx: _Context, applicants: Iterable[Applicant]) -> dict[str, _Person]:
    """The batch's applicants by id; those with one applicant key (a USCC entered under
    two ids) share their table of qualifications, as they share their ledger history."""
    people: dict[str, _Person] = {}
    tables: dict[str, dict[tuple[str, str], _Draft]] = {}
    for a in applicants:
        key = applicant_key(a.id, a.uscc)  # how the ledger knows the applicant
        people[a.id] = _Person(ctx, a, key, tables.setdefault(key, {}))
    return people


class _CrossClaim:
    """The cross-claim groups of a batch, which phase 3 settles (第十三条, 第二十条).

    Claims of one qualification (applicant, item family, subject) form a group: 就高不就低
    picks among them, and the same item claimed twice in one is a duplicate (第十七条第(三)项).
    Participants in a standard's drafting wait for the foremost Hami unit to be known.
    """

    def __init__(self, ctx: _Context) -> None:
        self.info = ctx.info
        self.groups: dict[tuple[str, str, str], list[_Draft]] = {}
        self.participants: list[_Draft] = []
        # Per standard, the foremost position of a Hami unit any of its claims shows.
        self.foremost: dict[str, int] = {}
        policy = ctx.rules.allocation.participation.policy
        self.start = 1 if policy == "foremost_after_lead" else 0

    def add(self, d: _Draft) -> _Draft:
        """Note the groups a draft of phase 1 belongs to; returns it."""
        found = d.authorship
        if found is not None and found.position is not None:
            if found.hami_unit and found.position >= self.start:
                subject = d.subject or ""
                best = self.foremost.get(subject, found.position)
                self.foremost[subject] = min(found.position, best)
            if d.item is not None and found.role == "participant":
                d.pending = True
                self.participants.append(d)
        if d.item is not None:
            # Only the claims of one applicant can share a qualification: each applicant
            # key has its own small table (_Person.seen).
            person = d.person
            key = (self.info[id(d.item)].family, d.subject or "")
            seen = person.seen.setdefault(key, d)
            if seen is not d:
                self.groups.setdefault((person.key, *key), [seen]).append(d)
        return d

    def settle(self, people: Iterable[_Person]) -> None:
        """Once every draft is in: mark duplicates; a grouped draft waits for phase 3."""
        for person in people:
            person.seen.clear()  # the tables hold drafts that phase 2 frees as it goes
        for group in self.groups.values():
            for d in group:
                d.pending = True
            _mark_duplicates(group)


# The steps of 第十七条 and the ban shared by claims of the same exclusion facts: those
# before the duplicate check, the duplicate case, those after it, and the (reason,
# citation) of the failing steps before and after it.
_Tail = tuple[
    tuple[TraceStep, ...],
    Exclusion | None,
    tuple[TraceStep, ...],
    tuple[tuple[str, str], ...],
    tuple[tuple[str, str], ...],
]


class _Kind:
    """How one claim kind is matched: its items, and the facts their conditions read."""

    __slots__ = ("declares_first_time", "items", "standard", "values")

    def __init__(self, rules: RuleSet, kind: str) -> None:
        self.items = rules.by_kind.get(kind, ())
        reads = dict.fromkeys(f for i in self.items for f in i.reads)
        declared = [f for f in reads if f in CLAIM_TYPES[kind].FACTS]
        # The values of the declared facts the conditions read, as one hashable key; the
        # derived fact (a standard's role) is added by the caller.
        self.values: Callable[[ClaimBase], object] = (
            attrgetter(*declared) if declared else _no_values
        )
        self.standard = kind == "standard"
        # 首次 is declared by the claim for some kinds; the others have only the ledger's
        # check (rulings R4).
        self.declares_first_time = "first_time" in CLAIM_TYPES[kind].FACTS


def _no_values(claim: ClaimBase) -> object:
    return ()


class _ItemInfo:
    """What the per-claim path reads of an item, without going through its models."""

    __slots__ = ("citation", "family", "first_time", "id")

    def __init__(self, item: CompiledItem) -> None:
        self.id = item.item.id
        self.citation = item.item.citation
        self.family = item.item.family
        self.first_time = item.item.first_time


class _Context:
    """One evaluation's view of the rules and history, and its memo of trace steps.

    Each memo maps the values a step depends on to the step built for them. The memos
    live and die with one ``evaluate`` call: no global state. Objects of the batch and the
    rules are keyed by ``id()``: the caller holds them for the whole call.
    """

    __slots__ = (
        "amounts",
        "authorship",
        "ban_ok",
        "duplicate_ok",
        "effective",
        "eligible",
        "first_time_ok",
        "history",
        "info",
        "isoformats",
        "kinds",
        "matches",
        "memo",
        "no_item",
        "prefixes",
        "rules",
        "tails",
        "texts",
        "valid",
    )

    def __init__(self, rules: RuleSet, history: History) -> None:
        self.rules = rules
        self.history = history
        self.prefixes = tuple(rules.exclusions.eligibility.hami_unit_prefixes)
        self.effective = (rules.effective_from, rules.effective_until)
        self.kinds: dict[str, _Kind] = {}
        self.info = {id(item): _ItemInfo(item) for item in rules.items}
        self.matches: dict[Hashable, tuple[tuple[CompiledItem, ...], tuple[TraceStep, ...]]] = {}
        self.authorship: dict[tuple[int, int, bool], Authorship] = {}
        self.valid: dict[dt.date, TraceStep] = {}
        self.eligible: dict[tuple[str, str | None], TraceStep] = {}
        self.no_item: dict[tuple[str, bool], TraceStep] = {}
        self.amounts: dict[tuple[int, int], tuple[TraceStep, int]] = {}
        self.first_time_ok: dict[int, TraceStep] = {}
        self.duplicate_ok: dict[str | None, TraceStep] = {}
        self.ban_ok: dict[dt.date, TraceStep] = {}
        self.tails: dict[Hashable, _Tail] = {}
        self.isoformats: dict[dt.date, str] = {}
        self.memo: dict[Hashable, TraceStep] = {}
        self.texts: dict[str, tuple[str, str, str, str]] = {}

    def iso(self, day: dt.date) -> str:
        """``day.isoformat()``, one string per day of the batch."""
        text = self.isoformats.get(day)
        if text is None:
            text = self.isoformats[day] = day.isoformat()
        return text

    def kind(self, kind: str) -> _Kind:
        found = self.kinds.get(kind)
        if found is None:
            found = self.kinds[kind] = _Kind(self.rules, kind)
        return found


class _Person:
    """An applicant as every one of its claims sees it: key, eligibility, 第十七条 flags."""

    __slots__ = ("applicant", "clean", "eligibility", "eligible", "id", "key", "seen")

    def __init__(
        self, ctx: _Context, a: Applicant, key: str, seen: dict[tuple[str, str], _Draft]
    ) -> None:
        self.applicant = a
        self.id = a.id
        self.key = key
        # Phase 1: the applicant key's claims by qualification (item family, subject).
        self.seen = seen
        # No applicant-level case of 第十七条 can apply (licence, credit listings).
        self.clean = a.licensed and not a.credit_listings
        self.eligibility, self.eligible = _eligibility(ctx, a)


class _Draft:
    """A decision under construction; its lists are made when phase 2 decides it."""

    reasons: list[str]
    citations: list[str]
    trace: list[TraceStep]

    __slots__ = (
        "amount",
        "authorship",
        "citations",
        "claim",
        "duplicate_of",
        "exclusion_key",
        "first_time",
        "id",
        "item",
        "match_steps",
        "on",
        "pending",
        "person",
        "reasons",
        "refused",
        "subject",
        "submitted",
        "superseded",
        "trace",
    )

    def __init__(self, claim: ClaimBase, person: _Person) -> None:
        self.claim = claim
        self.person = person
        # What phase 2 reads of the claim, read while phase 1 has it at hand.
        self.id = claim.id
        self.on = claim.achieved_on
        submitted = claim.submitted_on
        assert submitted is not None  # resolved by the loader
        self.submitted = submitted
        self.subject = claim.subject
        review = claim.review
        # The facts the cases of 第十七条 read, but the duplicate one: the submission day
        # alone when no case can apply (licensed, unlisted, no other support, the
        # reviewers' findings all "no problem"), the usual case.
        self.exclusion_key: Hashable = submitted
        if not (
            person.clean
            and not claim.other_support
            and review.industrial_policy == "ok"
            and review.related_to_quality
            and review.other_violation is None
        ):
            a = person.applicant
            listings = id(a.credit_listings)  # held by the batch for the whole evaluation
            self.exclusion_key = (submitted, id(review), claim.other_support, a.licensed, listings)
        self.item: CompiledItem | None = None
        self.amount = 0
        self.match_steps: Sequence[TraceStep] = ()
        self.authorship: Authorship | None = None  # a standard's (第十三条, rulings R7)
        self.first_time: bool | None = None  # 首次 as the claim declares it, if its kind does
        self.duplicate_of: str | None = None
        self.pending = False  # a cross-claim rule of phase 3 may still add to it
        self.superseded = False
        self.refused = False  # a reason so far refuses the claim (not merely explains it)

    @property
    def order(self) -> tuple[dt.date, str]:
        """(submitted_on, claim id): the tie-break of rulings R5 and R10."""
        return (self.submitted, self.id)

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
    ) -> TraceStep:
        result = ok if isinstance(ok, str) else ("pass" if ok else "fail")
        built = new_step(step, rule, citation, result, facts, zh, en)
        self.trace.append(built)
        if reason is not None:
            self.reject(reason, citation)
        return built

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
        item = self.item
        return new_decision(
            self.id,
            self.person.id,
            outcome,
            None if item is None else item.item.id,
            self.amount if outcome == "awarded" else 0,
            tuple(self.reasons),
            tuple(self.citations),
            tuple(self.trace),
            sha256,
            draft,
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


def _derive(ctx: _Context, claim: ClaimBase, person: _Person) -> _Draft:
    """Settle authorship of a standard, and match the items of the claim's kind."""
    d = _Draft(claim, person)
    kind = ctx.kind(claim.kind)
    if kind.declares_first_time:
        d.first_time = getattr(claim, "first_time")  # noqa: B009 (not every kind has it)
    # The items that match, and the match steps, depend only on the facts the kind's
    # conditions read: work them out once per distinct set of those values.
    key: Hashable
    if kind.standard:
        assert isinstance(claim, StandardClaim)
        d.authorship = settled = _authorship(ctx, d, claim)
        key = (claim.kind, kind.values(claim), settled.role)
    else:
        key = (claim.kind, kind.values(claim))
    found = ctx.matches.get(key)
    if found is None:
        facts = claim.facts()
        if d.authorship is not None:
            facts["role"] = d.authorship.role
        found = ctx.matches[key] = _match(kind.items, facts)
    matched, d.match_steps = found
    if len(matched) == 1:
        d.item = matched[0]
    elif matched:
        # Overlapping conditions would be a rule-file slip; 就高不就低 still picks one.
        on = claim.achieved_on
        d.item = max(matched, key=lambda i: (i.amount_on(on) or 0, i.id))
    return d


def _match(
    items: Iterable[CompiledItem], facts: Mapping[str, object]
) -> tuple[tuple[CompiledItem, ...], tuple[TraceStep, ...]]:
    """The items that ``facts`` match, and a match step for every item."""
    matched: list[CompiledItem] = []
    steps: list[TraceStep] = []
    for item in items:
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
    return new_step("match", item.id, item.item.citation, result, read, zh, en)


def _authorship(ctx: _Context, d: _Draft, claim: StandardClaim) -> Authorship:
    """第十三条 and rulings R7: settle the applicant's role, a fact the items then read."""
    applicant = d.person.applicant
    # The same applicant on the same drafting units (a twin claim) is settled once.
    key = (id(applicant), id(claim.drafting_units), claim.lead_proof)
    found = ctx.authorship.get(key)
    if found is None:
        participation = ctx.rules.allocation.participation
        found = ctx.authorship[key] = settle_authorship(
            applicant, claim, ctx.prefixes, participation.policy, participation.citation
        )
    return found


def _mark_duplicates(group: list[_Draft]) -> None:
    """第十七条第(三)项: the same item and subject claimed twice by one applicant."""
    first: dict[str, _Draft] = {}
    for d in sorted(group, key=lambda d: d.order):
        assert d.item is not None
        seen = first.setdefault(d.item.item.id, d)
        if seen is not d:
            d.duplicate_of = seen.claim.id


# --- phase 2: the per-claim steps, in order -------------------------------------------


def _decide(ctx: _Context, d: _Draft) -> None:
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


def _validity(ctx: _Context, d: _Draft, on: dt.date) -> None:
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


def _eligibility(ctx: _Context, a: Applicant) -> tuple[TraceStep, bool]:
    """第四条 and rulings R3: a Hami-registered unit of an allowed type."""
    elig = ctx.rules.exclusions.eligibility
    type_ok = a.org_type in elig.org_types
    region_ok = a.region in elig.regions
    facts: dict[str, JSONValue] = {"org_type": a.org_type, "region": a.region}
    if type_ok and region_ok:
        key = (a.org_type, a.region)
        step = ctx.eligible.get(key)
        if step is None:
            place = elig.regions[a.region or ""]
            zh = f"{elig.org_types[a.org_type]},注册地{place}({a.region}),属支持对象"
            en = f"{a.org_type} registered in {a.region}: within Hami, may apply"
            step = ctx.eligible[key] = new_step(
                "eligibility", "applicant.eligible", elig.citation, "pass", facts, zh, en
            )
        return step, True
    why_zh, why_en = [], []
    if not type_ok:
        why_zh.append(f"单位类型{a.org_type}不在支持范围")
        why_en.append(f"organisation type {a.org_type} is not supported")
    if not region_ok:
        why_zh.append(f"注册地区划代码{a.region}不属哈密市")
        why_en.append(f"division code {a.region} is not in Hami")
    zh, en = ";".join(why_zh), "; ".join(why_en)
    step = new_step("eligibility", "applicant.eligible", elig.citation, "fail", facts, zh, en)
    return step, False


def _no_item(ctx: _Context, d: _Draft) -> None:
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


def _amount(ctx: _Context, item: CompiledItem, on: dt.date) -> tuple[TraceStep, int]:
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
        step = new_step(
            "amount",
            item.item.id,
            item.item.citation,
            "pass",
            facts,
            f"适用“{item.item.clause}”,取得日适用金额{format_wan(amount)}万元",
            f"'{item.item.title_en}' applies: {amount} yuan in force on the reference date",
        )
        found = ctx.amounts[(id(item), i)] = (step, amount)
    return found


def _first_time(ctx: _Context, d: _Draft, info: _ItemInfo, prior: Sequence[PriorAward]) -> None:
    """Rulings R4: 首次 / 新承担 needs the declaration and no earlier award in the ledger."""
    # Kinds without a declared first_time fact have only the ledger check (R4).
    declared = d.first_time is not False
    scope = ctx.rules.allocation.first_time.scope
    earlier = [p for p in prior if scope == "qualification" or p.item == info.id]
    if declared and not earlier:
        step = ctx.first_time_ok.get(id(info))
        if step is None:
            facts = _first_time_facts(d, scope, earlier)
            step = ctx.first_time_ok[id(info)] = new_step(
                "first_time",
                info.id,
                info.citation,
                "pass",
                facts,
                "首次获得(新承担),账本中无同一资格的既往奖励",
                "first time: declared, and no earlier award in the ledger",
            )
        d.trace.append(step)
        return
    if not declared:
        zh, en = "申报未声明为首次获得", "the claim does not declare a first time"
    else:
        ids = ", ".join(p.claim_id for p in earlier)
        zh, en = f"账本中已有同一资格的奖励({ids})", f"the ledger already holds an award ({ids})"
    facts = _first_time_facts(d, scope, earlier)
    d.step("first_time", info.id, info.citation, False, facts, zh, en, "not_first_time")


def _first_time_facts(d: _Draft, scope: str, earlier: Sequence[PriorAward]) -> dict[str, JSONValue]:
    return {
        "first_time": d.first_time,
        "scope": scope,
        "earlier_awards": [p.claim_id for p in earlier],
    }


def _exclusions_and_ban(ctx: _Context, d: _Draft) -> None:
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


def _duplicate(ctx: _Context, d: _Draft, duplicate: Exclusion) -> None:
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


def _exclusion(ctx: _Context, ex: Exclusion, d: _Draft) -> None:
    """One case of 第十七条 (rulings R8); every case is checked and reported."""
    claim, a = d.claim, d.person.applicant
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
    step = d.step(
        "exclusion", ex.code, ex.citation, not hit, facts, zh, en, ex.code if hit else None
    )
    if quick is not None and not hit:
        ctx.memo[quick] = step


def _clean_key(check: str, d: _Draft) -> Hashable | None:
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


def _ban(ctx: _Context, d: _Draft, on: dt.date) -> TraceStep | None:
    """第二十四条 and rulings R9: no application within 3 years of a fraud finding.

    Returns the step when it is the pass step every unbanned claim of the day shares.
    """
    recorded = ctx.history.bans(d.person.key)
    bans = [b for b in recorded if b.found_on <= on < b.until] if recorded else []
    if not bans:
        step = ctx.ban_ok.get(on)
        if step is None:
            step = ctx.ban_ok[on] = new_step(
                "ban",
                "applicant.not_banned",
                ctx.rules.exclusions.ban.citation,
                "pass",
                {"submitted_on": ctx.iso(on), "bans": []},
                "申报单位不在取消申报资格期内",
                "the applicant is not banned",
            )
        d.trace.append(step)
        return step
    facts: dict[str, JSONValue] = {
        "submitted_on": ctx.iso(on),
        "bans": [f"{b.found_on}..{b.until}" for b in bans],
    }
    b = bans[0]
    d.step(
        "ban",
        "applicant.not_banned",
        ctx.rules.exclusions.ban.citation,
        False,
        facts,
        f"因弄虚作假被取消申报资格至{b.until}",
        f"banned for fraud until {b.until}",
        "banned",
    )
    return None


def _earlier_awards(ctx: _Context, d: _Draft, prior: Sequence[PriorAward]) -> None:
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


def _highest_wins(ctx: _Context, groups: Iterable[list[_Draft]]) -> None:
    """第二十条第(二)项: one qualification, one award, the highest (就高不就低)."""
    cite = ctx.rules.allocation.same_qualification.citation
    for claims in groups:
        group = [d for d in claims if not d.refused]
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


def _one_participant_per_standard(rules: RuleSet, cross: _CrossClaim) -> None:
    """第十三条: participation pays one Hami unit per standard, the foremost-ranked one.

    A unit the 前言 prints without a code is a Hami unit only to its own applicant's claim
    (rulings R7), so each claim's authorship step may settle on itself while another claim
    on the standard shows a Hami applicant ranked before it. The foremost Hami position is
    therefore taken over every claim on the standard, and only a participant there is paid.
    """
    participation = rules.allocation.participation
    foremost = cross.foremost
    participants = [d for d in cross.participants if not d.superseded and not d.refused]
    seen: dict[str, _Draft] = {}
    for d in sorted(participants, key=_participant_order):
        subject = d.claim.subject or ""
        best = foremost.get(subject)
        facts: dict[str, JSONValue] = {"standard_no": subject}
        if best is not None and best != _position(d):
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


def _position(d: _Draft) -> int | None:
    return None if d.authorship is None else d.authorship.position


def _participant_order(d: _Draft) -> tuple[int, dt.date, str]:
    return (_position(d) or 0, *d.order)
