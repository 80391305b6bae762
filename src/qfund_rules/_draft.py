"""The state of one evaluation: its view of the rules, its memos, applicants and drafts.

:mod:`qfund_rules.engine` runs the phases; :mod:`qfund_rules._steps` builds a claim's own
steps. Everything here lives and dies with one ``evaluate`` call: no global state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Mapping, Sequence
from operator import attrgetter

from ._texts import say
from .authorship import Authorship
from .claims import CLAIM_TYPES, Applicant, ClaimBase
from .decision import (
    SOFT_REASONS,
    Decision,
    JSONValue,
    Outcome,
    TraceStep,
    new_decision,
    new_step,
)
from .history import History
from .money import format_wan
from .rules import CompiledItem, Exclusion, RuleSet

__all__ = ["Context", "Draft", "ItemInfo", "Kind", "Person", "Tail"]


# The steps of 第十七条 and the ban shared by claims of the same exclusion facts: those
# before the duplicate check, the duplicate case, those after it, and the (reason,
# citation) of the failing steps before and after it.
Tail = tuple[
    tuple[TraceStep, ...],
    Exclusion | None,
    tuple[TraceStep, ...],
    tuple[tuple[str, str], ...],
    tuple[tuple[str, str], ...],
]


#: The results of a step that cites its article in the decision: a refusal, or a reason
#: that explains (a top-up, a supersession).
_CITED = frozenset({"fail", "top_up", "superseded"})


class Kind:
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


class ItemInfo:
    """What the per-claim path reads of an item, without going through its models."""

    __slots__ = ("citation", "family", "first_time", "id")

    def __init__(self, item: CompiledItem) -> None:
        self.id = item.item.id
        self.citation = item.item.citation
        self.family = item.item.family
        self.first_time = item.item.first_time


class Context:
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
        self.kinds: dict[str, Kind] = {}
        self.info = {id(item): ItemInfo(item) for item in rules.items}
        self.matches: dict[Hashable, tuple[tuple[CompiledItem, ...], tuple[TraceStep, ...]]] = {}
        self.authorship: dict[tuple[int, int, bool], Authorship] = {}
        self.valid: dict[dt.date, TraceStep] = {}
        self.eligible: dict[tuple[str, str | None], TraceStep] = {}
        self.no_item: dict[tuple[str, bool], TraceStep] = {}
        self.amounts: dict[tuple[int, int], tuple[TraceStep, int]] = {}
        self.first_time_ok: dict[int, TraceStep] = {}
        self.duplicate_ok: dict[str | None, TraceStep] = {}
        self.ban_ok: dict[dt.date, TraceStep] = {}
        self.tails: dict[Hashable, Tail] = {}
        self.isoformats: dict[dt.date, str] = {}
        self.memo: dict[Hashable, TraceStep] = {}
        self.texts: dict[str, tuple[str, str, str, str]] = {}

    def iso(self, day: dt.date) -> str:
        """``day.isoformat()``, one string per day of the batch."""
        text = self.isoformats.get(day)
        if text is None:
            text = self.isoformats[day] = day.isoformat()
        return text

    def kind(self, kind: str) -> Kind:
        found = self.kinds.get(kind)
        if found is None:
            found = self.kinds[kind] = Kind(self.rules, kind)
        return found


class Person:
    """An applicant as every one of its claims sees it: key, eligibility, 第十七条 flags."""

    __slots__ = ("applicant", "clean", "eligibility", "eligible", "id", "key")

    def __init__(self, a: Applicant, key: str, eligibility: tuple[TraceStep, bool]) -> None:
        self.applicant = a
        self.id = a.id
        self.key = key
        # No applicant-level case of 第十七条 can apply (licence, credit listings).
        self.clean = a.licensed and not a.credit_listings
        self.eligibility, self.eligible = eligibility  # 第四条, the same for all its claims


class Draft:
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

    def __init__(self, claim: ClaimBase, person: Person) -> None:
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

    def _no_top_up(self) -> None:
        """A top-up is a way of paying (rulings R5): a claim refused after its top-up step
        (by a cross-claim rule of phase 3) gets none. Its step says so, as for a claim
        refused before it, and neither the reason nor the step's article stays."""
        self.reasons.remove("top_up")
        at = next(i for i, s in enumerate(self.trace) if s.result == "top_up")
        step = self.trace[at]
        paid = step.facts["earlier_yuan"]
        assert isinstance(paid, int)
        zh, en = say("same_qualification.no_top_up", earlier=(format_wan(paid), paid))
        self.trace[at] = new_step(step.step, step.rule, step.citation, "skip", step.facts, zh, en)
        if not any(s.citation == step.citation and s.result in _CITED for s in self.trace):
            self.citations.remove(step.citation)

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
            if reason not in SOFT_REASONS:
                self.refused = True
        self.cite(citation)

    def cite(self, citation: str) -> None:
        if citation not in self.citations:
            self.citations.append(citation)

    def finish(self, sha256: str, draft: bool) -> Decision:
        outcome: Outcome
        if self.refused:
            outcome = "rejected"
            if "top_up" in self.reasons:
                self._no_top_up()
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
