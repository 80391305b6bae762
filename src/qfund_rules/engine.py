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

This module runs the phases: facts and matching (1), across the batch (3).
:mod:`qfund_rules._steps` builds each claim's own steps (2), and
:mod:`qfund_rules._draft` holds one evaluation's state: its memos, applicants and drafts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable, Mapping

from ._arguments import A_HISTORY, A_RULESET, check_type, given
from ._draft import Context, Draft, Person
from ._steps import decide, eligibility
from ._texts import say
from .authorship import Authorship, settle_authorship
from .claims import Applicant, Batch, ClaimBase, StandardClaim, check_loaded
from .conditions import failures
from .decision import Decision, Evaluation, JSONValue, TraceStep, new_step
from .history import NO_HISTORY, History, SubjectAward, applicant_key
from .rules import CompiledItem, RuleSet

__all__ = ["evaluate"]


def evaluate(rules: RuleSet, batch: Batch, history: History = NO_HISTORY) -> Evaluation:
    """Decide every claim of ``batch`` under ``rules``, given earlier rounds' ``history``.

    Evaluation creates no reference cycles. On very large batches, much of the remaining
    time is Python's cyclic collector walking the heap; the library leaves that
    process-wide switch to its caller (the ``qfund`` command turns it off, bench/README.md).

    ``batch`` must be one the loader returned (``rules.load_batch``,
    ``rules.batch_from_data``), checked under the readings of ``rules`` (its industry
    codes and ``achieved_by_submission``): the engine trusts what the loader checked and
    resolved (regions read from USCCs, claim subjects, standard numbers and their levels,
    unique ids), and checks none of it again.

    Raises:
        TypeError: an argument is not a RuleSet, a Batch or a History (a dict or a path
            where a loaded batch belongs: load it with ``rules.load_batch``), or the batch
            was not made by the loader (built with ``Batch(...)`` or ``model_construct``,
            changed with ``model_copy(update=...)``).
        ValueError: the batch was loaded under another rule set's readings (other
            industry codes or ``achieved_by_submission``): load it with ``rules``.
    """
    _check_arguments(rules, batch, history)
    ctx = Context(rules, history)
    people = _people(ctx, batch.applicants)
    cross = _CrossClaim(ctx)
    add = cross.add
    drafts = [add(_derive(ctx, claim, people[claim.applicant])) for claim in batch.claims]
    cross.settle()
    sha, is_draft = rules.sha256, rules.status == "draft"
    # A claim no cross-claim rule can touch is finished as soon as it is decided, and its
    # draft freed: drafts are taken from the end of the reversed list.
    drafts.reverse()
    done: list[Draft | Decision] = []
    while drafts:
        d = drafts.pop()
        decide(ctx, d)
        done.append(d if d.pending else d.finish(sha, is_draft))
    _one_lead_per_standard(rules, cross)
    _highest_wins(ctx, cross.groups.values())
    _one_participant_per_standard(rules, cross)
    return Evaluation(
        rules=rules.identity(),
        decisions=tuple([d if isinstance(d, Decision) else d.finish(sha, is_draft) for d in done]),
    )


def _check_arguments(rules: object, batch: object, history: object) -> None:
    where = "evaluate()"
    check_type(TypeError, where, "rules", rules, RuleSet, A_RULESET)
    assert isinstance(rules, RuleSet)
    check_loaded(batch, rules.industry_codes, rules.achieved_by_submission, where)
    if not all(callable(getattr(history, m, None)) for m in _HISTORY_METHODS):
        raise TypeError(f"{where}: history must be {A_HISTORY}, not {given(history)}")


#: What evaluate() needs of a History (a custom one lacking one is refused up front).
_HISTORY_METHODS = ("prior_awards", "awards_for", "bans")


def _people(ctx: Context, applicants: Iterable[Applicant]) -> dict[str, Person]:
    """The batch's applicants by id, each with its eligibility and its applicant key."""
    people: dict[str, Person] = {}
    for a in applicants:
        key = applicant_key(a.id, a.uscc)  # how the ledger knows the applicant
        people[a.id] = Person(a, key, eligibility(ctx, a))
    return people


class _CrossClaim:
    """The cross-claim groups of a batch, which phase 3 settles (第十三条, 第二十条).

    Claims of one qualification (applicant key, item family, subject) form a group: 就高不就低
    picks among them, and the same item claimed twice in one is a duplicate (第十七条第(三)项).
    The applicant key, not the id, makes the qualification: a USCC entered under two ids is
    one applicant, as in the ledger. Participants in a standard's drafting wait for the
    foremost Hami unit to be known, and claims of several applicants to lead one standard
    for the earliest of them to be known, as do claims to lead a standard another
    applicant was awarded the lead of in an earlier round (allocation.yaml
    ``lead.across_rounds``).
    """

    def __init__(self, ctx: Context) -> None:
        self.info = ctx.info
        # The first draft of each qualification seen in phase 1 (cleared when it ends), and
        # the qualifications claimed more than once, each with all its drafts.
        self.seen: dict[tuple[str, str, str], Draft] = {}
        self.groups: dict[tuple[str, str, str], list[Draft]] = {}
        self.participants: list[Draft] = []
        # Per standard, the foremost position of a Hami unit any of its claims shows, and the
        # claim that shows it (the earliest by rulings R5's order when several do).
        self.foremost: dict[str, tuple[int, dt.date, str]] = {}
        policy = ctx.rules.allocation.participation.policy
        self.start = 1 if policy == "foremost_after_lead" else 0
        # The claims to lead a standard, by standard number (allocation.yaml lead.policy);
        # settle() keeps those of standards that several applicants claim to lead.
        lead = ctx.rules.allocation.lead
        self.one_lead = lead.policy == "one_per_standard"
        self.leads: dict[str, list[Draft]] = {}
        # The earlier lead award holding each standard number, looked up in settle().
        self.across_rounds = self.one_lead and lead.across_rounds
        self.history = ctx.history
        self.rules = ctx.rules
        self.held: dict[str, SubjectAward] = {}

    def add(self, d: Draft) -> Draft:
        """Note the groups a draft of phase 1 belongs to; returns it."""
        found = d.authorship
        if found is not None and found.position is not None:
            if found.hami_unit and found.position >= self.start:
                subject = d.subject or ""
                shown = (found.position, *d.order)
                best = self.foremost.get(subject)
                if best is None or shown < best:
                    self.foremost[subject] = shown
            if d.item is not None and found.role == "participant":
                d.pending = True
                self.participants.append(d)
        if found is not None and found.role == "lead" and d.item is not None and self.one_lead:
            self.leads.setdefault(d.subject or "", []).append(d)
        if d.item is not None:
            key = (d.person.key, self.info[id(d.item)].family, d.subject or "")
            seen = self.seen.setdefault(key, d)
            if seen is not d:
                self.groups.setdefault(key, [seen]).append(d)
        return d

    def settle(self) -> None:
        """Once every draft is in: mark duplicates; a grouped draft waits for phase 3."""
        self.seen.clear()  # it holds drafts that phase 2 frees as it goes
        for group in self.groups.values():
            for d in group:
                d.pending = True
            _mark_duplicates(group)
        if self.across_rounds:
            self.held = _earlier_leads(self.rules, self.history, self.leads)
        held = self.held
        # A standard one applicant alone claims to lead has nothing to settle, unless
        # another applicant was awarded its lead in an earlier round.
        self.leads = {
            s: g
            for s, g in self.leads.items()
            if len({d.person.key for d in g}) > 1
            or (s in held and held[s].applicant != g[0].person.key)
        }
        for s, group in self.leads.items():
            holder = held.get(s)
            for d in group:
                if holder is None or holder.applicant != d.person.key:
                    d.pending = True


def _earlier_leads(
    rules: RuleSet, history: History, leads: Mapping[str, list[Draft]]
) -> dict[str, SubjectAward]:
    """第十三条 across rounds: per standard number claimed to be led, the earliest standing
    award of a lead item (RuleSet.lead_items) in an earlier round, if any. Looked up once
    per number (and lead family), whatever the number of claims to lead it."""
    lead_items = frozenset(rules.lead_items)
    families = rules.lead_families
    held: dict[str, SubjectAward] = {}
    for subject in leads:
        for family in families:
            for award in history.awards_for(family, subject):
                # The lowest round; of one round, the first listed (its allocation order).
                if award.item in lead_items and (
                    subject not in held or award.year < held[subject].year
                ):
                    held[subject] = award
    return held


def _json(value: object) -> JSONValue:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_json(v) for v in value]
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


# --- phase 1: facts and the matched item, needed before duplicates can be seen -------


def _derive(ctx: Context, claim: ClaimBase, person: Person) -> Draft:
    """Settle authorship of a standard, and match the items of the claim's kind."""
    d = Draft(claim, person)
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
    title = (item.item.title_zh, item.item.title_en)
    if ok:
        zh, en = say("match", title=title)
    else:
        zh, en = say("match.not", title=title, missing="; ".join(failures(item.condition, facts)))
    result = "match" if ok else "no_match"
    return new_step("match", item.id, item.item.citation, result, read, zh, en)


def _authorship(ctx: Context, d: Draft, claim: StandardClaim) -> Authorship:
    """第十三条 and rulings R7: settle the applicant's role, a fact the items then read."""
    applicant = d.person.applicant
    # The same applicant on the same drafting units (a twin claim) is settled once.
    key = (id(applicant), id(claim.drafting_units), claim.lead_proof)
    found = ctx.authorship.get(key)
    if found is None:
        allocation = ctx.rules.allocation
        participation = allocation.participation
        found = ctx.authorship[key] = settle_authorship(
            applicant,
            claim,
            ctx.prefixes,
            participation.policy,
            participation.citation,
            allocation.lead.policy,
        )
    return found


def _mark_duplicates(group: list[Draft]) -> None:
    """第十七条第(三)项: the same item and subject claimed twice by one applicant."""
    first: dict[str, Draft] = {}
    for d in sorted(group, key=lambda d: d.order):
        assert d.item is not None
        seen = first.setdefault(d.item.item.id, d)
        if seen is not d:
            d.duplicate_of = seen.claim.id


# --- phase 3: across the batch --------------------------------------------------------


def _highest_wins(ctx: Context, groups: Iterable[list[Draft]]) -> None:
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
            zh, en = say("same_qualification.superseded", **facts)
            d.step("same_qualification", d.item.id, cite, "superseded", facts, zh, en,
                   "superseded_by_higher")  # fmt: skip


def _one_lead_per_standard(rules: RuleSet, cross: _CrossClaim) -> None:
    """第十三条: the lead is the drafting unit ranked first in the 前言, one per standard.

    Each claim is judged on its own 前言 list (or its lead proof when the list names no
    unit), so the claims of several applicants may each find their own applicant the lead of
    one standard number. One number is one published text, so one applicant leads it: the
    applicant of the earliest of those claims by submitted_on, then claim id (rulings R5's
    order), whatever else is found against that claim (the question is who the 前言 ranks
    first, not who is paid; an award of the lead in an earlier round, ``already_awarded``,
    shows it best). Every claim of another applicant to lead the number is a second claim to
    the same award, 重复申报同一奖励事项 (duplicate_claim), told which claim holds it. This
    runs before 就高不就低, so a claim rejected here supersedes none of its applicant's.
    The step cites 第十三条, and the decision the article of the duplicate case too, as
    every duplicate_claim does.

    Across rounds (``lead.across_rounds``): a lead awarded in an earlier round and standing
    names the applicant that leads the number before any claim of this batch does. Every
    other applicant's claim to lead it is rejected the same way, told the earlier claim and
    its round; the holder's own claims meet that award in the earlier-awards step
    (already_awarded, or a top-up). Where no earlier lead stands, the batch decides alone.
    """
    lead = rules.allocation.lead
    duplicate = next(e for e in rules.exclusions.exclusions if e.check == "duplicate_claim")
    for subject, group in cross.leads.items():
        earlier = cross.held.get(subject)
        if earlier is not None:
            _led_earlier(group, earlier, lead.citation, duplicate.citation)
            continue
        holder = min(group, key=lambda d: d.order)
        for d in group:  # each rejected claim's step is its own: no order to keep
            if d.person.key == holder.person.key:
                continue
            facts: dict[str, JSONValue] = {"standard_no": d.subject, "lead_claim": holder.id}
            zh, en = say("authorship.one_lead", lead_claim=holder.id)
            d.step("authorship", "standard.one_lead", lead.citation, False, facts, zh, en,
                   "duplicate_claim")  # fmt: skip
            d.cite(duplicate.citation)


def _led_earlier(group: list[Draft], earlier: SubjectAward, cite: str, duplicate: str) -> None:
    """The claims to lead a number whose lead ``earlier`` (an award of an earlier round)
    holds: each of another applicant is a second claim to that award."""
    for d in group:
        if d.person.key == earlier.applicant:
            continue  # its own earlier award: the earlier-awards step (第二十条第(二)项)
        facts: dict[str, JSONValue] = {
            "standard_no": d.subject,
            "lead_claim": earlier.claim_id,
            "lead_round": earlier.year,
        }
        zh, en = say("authorship.one_lead.earlier", lead_claim=earlier.claim_id,
                     lead_round=earlier.year)  # fmt: skip
        d.step("authorship", "standard.one_lead", cite, False, facts, zh, en, "duplicate_claim")
        d.cite(duplicate)


def _one_participant_per_standard(rules: RuleSet, cross: _CrossClaim) -> None:
    """第十三条: participation pays one Hami unit per standard, the foremost-ranked one.

    A unit the 前言 prints without a code is a Hami unit only to its own applicant's claim
    (rulings R7), so each claim's authorship step may settle on itself while another claim
    on the standard shows a Hami applicant ranked before it. The foremost Hami position is
    therefore taken over every claim on the standard, and only a participant there is paid.
    A participant ranked after it is told which claim shows that unit.
    """
    participation = rules.allocation.participation
    foremost = cross.foremost
    participants = [d for d in cross.participants if not d.superseded and not d.refused]
    seen: dict[str, Draft] = {}
    for d in sorted(participants, key=_participant_order):
        subject = d.claim.subject or ""
        best = foremost.get(subject)
        facts: dict[str, JSONValue] = {"standard_no": subject}
        if best is not None and best[0] != _position(d):
            facts["foremost_hami_position"] = best[0] + 1
            facts["foremost_hami_claim"] = best[2]
            zh, en = say("authorship.foremost_elsewhere", **facts)
        elif subject not in seen:
            seen[subject] = d
            continue
        else:
            facts["paid_to"] = seen[subject].claim.id
            zh, en = say("authorship.one_participant", **facts)
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


def _position(d: Draft) -> int | None:
    return None if d.authorship is None else d.authorship.position


def _participant_order(d: Draft) -> tuple[int, dt.date, str]:
    return (_position(d) or 0, *d.order)
