"""A round: the batch evaluated against the ledger, then the year's budget allocated.

Rulings R10 and R11 (第二十条第(一)(三)项, 第二条, 第二十二条):

- the allocation order is: awards deferred by earlier rounds (oldest round first, then
  their original order), then this round's awards by ``submitted_on``, then claim id;
- awards are paid whole while they fit the remaining budget; under ``on_shortfall: stop``
  (用完即止) the first award that does not fit and every award after it are deferred to
  the next year, under ``skip`` later awards that still fit are paid;
- a claim with ``objection: true`` is ``held``: neither paid nor deferred until the
  objection is resolved (``SqliteLedger.release``);
- publicity lasts ``days`` natural days counting the first: it ends on
  ``start + (days - 1)`` and awards are disbursed from ``start + days``;
- awards are paid only after publicity (第二十条第(三)项): under
  ``publicity.commit.requires_start`` a round without a publicity start is not committed.

Nothing is lost: in every round, carried in + awarded = paid + deferred + held.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from ._arguments import A_RULESET, check_callable, check_date, check_lang, check_type, check_yuan
from ._json_writer import TextParts, Writable, write_indented
from .claims import Batch, batch_sha256, check_loaded
from .decision import (
    Allocation,
    Decision,
    DecisionLookup,
    Evaluation,
    JSONValue,
    ReadOnlyDict,
    TraceStep,
    decision_dicts,
    entries,
    new_step,
)
from .engine import evaluate
from .errors import LedgerError, QfundError
from .history import History, applicant_key
from .ledger import Record, SqliteLedger
from .money import format_wan
from .rules import RuleSet

__all__ = [
    "CarriedAward",
    "Publicity",
    "RoundClaim",
    "RoundError",
    "RoundResult",
    "RoundSummary",
    "UnseenKey",
    "run_round",
    "unseen_keys",
]

Status = Literal["paid", "deferred", "held"]

_LEDGER = "a SqliteLedger or MemoryLedger"


class RoundError(QfundError):
    """Raised when a round cannot be run: claims of another year, no budget for its year.

    Also for a publicity period out of range, and an argument of :func:`run_round` of the
    wrong type (a float or bool budget, a date given as text, a batch the loader did not
    make or made under another rule set's readings) or out of range (a negative budget).
    """


@dataclass(frozen=True, slots=True)
class Publicity:
    """第二十二条 and rulings R11: the publicity period and the first disbursement day."""

    start: dt.date
    end: dt.date
    disburse_from: dt.date

    @classmethod
    def starting(cls, start: dt.date, days: int) -> Publicity:
        """``days`` natural days counting the first; disbursement the day after the last."""
        return cls(
            start=start,
            end=start + dt.timedelta(days=days - 1),
            disburse_from=start + dt.timedelta(days=days),
        )

    def to_dict(self) -> dict[str, JSONValue]:
        """``{"start", "end", "disburse_from"}`` as ISO dates."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "disburse_from": self.disburse_from.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class CarriedAward:
    """An award deferred by an earlier round, as this round allocated it."""

    claim_id: str
    applicant_id: str
    item: str | None
    round: int  # the year of the round that granted it
    amount_yuan: int
    allocation: Allocation

    def to_dict(self) -> dict[str, JSONValue]:
        """The carried award with its allocation in this round."""
        return {
            "claim_id": self.claim_id,
            "applicant_id": self.applicant_id,
            "item": self.item,
            "round": self.round,
            "amount_yuan": self.amount_yuan,
            "allocation": self.allocation.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class RoundSummary:
    """The round's money: carried in + awarded = paid + deferred + held (rulings R10)."""

    year: int
    budget_yuan: int
    carried_in_yuan: int  # deferred awards from earlier rounds taken into this one
    awarded_yuan: int  # what this round's decisions grant
    paid_yuan: int
    deferred_yuan: int  # carried and new awards moved to the next year
    held_yuan: int
    publicity: Publicity | None

    def to_dict(self) -> dict[str, JSONValue]:
        """The ``summary`` of interchange.md ("A round"), plus ``awarded_yuan``."""
        return {
            "year": self.year,
            "budget_yuan": self.budget_yuan,
            "carried_in_yuan": self.carried_in_yuan,
            "awarded_yuan": self.awarded_yuan,
            "paid_yuan": self.paid_yuan,
            "deferred_yuan": self.deferred_yuan,
            "held_yuan": self.held_yuan,
            "publicity": None if self.publicity is None else self.publicity.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RoundSummary:
        """Rebuild a summary from :meth:`to_dict` output."""
        pub = data["publicity"]
        return cls(
            year=data["year"],
            budget_yuan=data["budget_yuan"],
            carried_in_yuan=data["carried_in_yuan"],
            awarded_yuan=data["awarded_yuan"],
            paid_yuan=data["paid_yuan"],
            deferred_yuan=data["deferred_yuan"],
            held_yuan=data["held_yuan"],
            publicity=None
            if pub is None
            else Publicity(
                *(dt.date.fromisoformat(pub[k]) for k in ("start", "end", "disburse_from"))
            ),
        )


@dataclass(frozen=True, slots=True)
class RoundClaim:
    """What the ledger keeps beside a decision: its qualification and place in the order."""

    claim_id: str
    applicant_key: str
    family: str | None
    subject: str
    submitted_on: dt.date
    position: int | None  # place in this round's allocation order; None: grants nothing


@dataclass(frozen=True, slots=True)
class RoundResult(DecisionLookup):
    """A round evaluated and allocated; :meth:`commit` writes it to the ledger.

    Immutable, as an :class:`~qfund_rules.decision.Evaluation`: ``rules`` is a
    :class:`~qfund_rules.decision.ReadOnlyDict`, left out of the hash.
    """

    rules: Mapping[str, str] = field(hash=False)
    year: int
    decisions: tuple[Decision, ...]
    carried_in: tuple[CarriedAward, ...]
    summary: RoundSummary
    claims: tuple[RoundClaim, ...]  # one per decision, same order
    base_head: str  # hash of the ledger head the round was computed against
    batch_sha256: str  # the batch it was computed from (claims.batch_sha256); "" if unknown
    recorded: bool = False  # True: read back from the ledger, where it is already committed
    # False: decided by another evaluator than the native engine (run_round's evaluator=),
    # to cross-check it; such a round is never committed (SqliteLedger.commit_round).
    native: bool = True
    # The citation of allocation.yaml publicity.commit (第二十条第(三)项) when its
    # requires_start is true and the round has no publicity start: commit refuses it.
    start_required_by: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.rules, ReadOnlyDict):
            object.__setattr__(self, "rules", ReadOnlyDict(self.rules))

    @property
    def claim_ids(self) -> tuple[str, ...]:
        """The batch's claim ids, in batch order."""
        return tuple(d.claim_id for d in self.decisions)

    def to_dict(self) -> dict[str, JSONValue]:
        """``{"rules", "decisions", "carried_in", "summary"}`` as ``qfund round`` prints it.

        A step that several decisions share is one dict in all their traces: read it,
        never change it (as the step's own ``facts``).
        """
        return {
            "rules": dict(self.rules),
            "decisions": decision_dicts(self.decisions),
            "carried_in": [c.to_dict() for c in self.carried_in],
            "summary": self.summary.to_dict(),
        }

    def write_json(self, fp: Writable) -> None:
        """Write :meth:`to_json`'s text to the text file ``fp``, a decision at a time.

        What ``qfund round`` writes: the text of a large round is never held whole (as
        ``Evaluation.write_json``). Open the file with ``encoding="utf-8"``.
        """
        data: dict[str, JSONValue] = {
            "rules": dict(self.rules),
            "decisions": [],
            "carried_in": [c.to_dict() for c in self.carried_in],
            "summary": self.summary.to_dict(),
        }
        write_indented(fp, data, "decisions", entries(self.decisions))

    def to_json(self) -> str:
        """Deterministic JSON text, indented."""
        parts = TextParts()
        self.write_json(parts)
        return "".join(parts)

    @property
    def start_missing(self) -> str | None:
        """That the rules need a publicity start this round lacks, and why, or ``None``."""
        if self.start_required_by is None:
            return None
        return (
            f"round {self.year} has no publicity start, and allocation.yaml "
            f"publicity.commit.requires_start is true ({self.start_required_by}: awards are "
            "paid only after publicity)"
        )

    @property
    def commit_refusal(self) -> str | None:
        """Why :meth:`commit` refuses this round before it reads the ledger, or ``None``.

        第二十条第(三)项 pays an award only after publicity: when the rules' ``publicity.
        commit.requires_start`` is true, a round run without ``publicity_start`` (whose
        awards would be recorded ``paid`` with no publicity) is refused.
        """
        missing = self.start_missing
        if missing is None:
            return None
        return (
            f"{missing}: run the round again with the first day of publicity (run_round's "
            "publicity_start; --publicity-start DATE), or set requires_start to false"
        )

    def commit(self, ledger: SqliteLedger) -> bool:
        """Record the round in ``ledger``; ``False`` when it was already recorded.

        Raises :class:`LedgerError` when ``ledger`` is not a :class:`SqliteLedger` (or
        ``MemoryLedger``), when the round was not decided by the native engine
        (``native`` is ``False``: ``run_round`` was given another ``evaluator``), when it
        has no publicity start and the rules require one (:attr:`commit_refusal`), and
        when the ledger refuses the round (:meth:`SqliteLedger.commit_round`).
        """
        where = "RoundResult.commit"
        check_type(LedgerError, where, "ledger", ledger, SqliteLedger, _LEDGER)
        return ledger.commit_round(self)

    def records(self) -> list[tuple[str, dict[str, JSONValue]]]:
        """The ledger records of this round, in order: round, decisions, allocations."""
        ids: list[JSONValue] = [*sorted(self.claim_ids)]
        out: list[tuple[str, dict[str, JSONValue]]] = [
            (
                "round",
                {
                    "year": self.year,
                    "rules": dict(self.rules),
                    "batch_sha256": self.batch_sha256,
                    "claim_ids": ids,
                    "summary": self.summary.to_dict(),
                },
            )
        ]
        for d, c in zip(self.decisions, self.claims, strict=True):
            out.append(
                (
                    "decision",
                    {
                        "round": self.year,
                        "applicant_key": c.applicant_key,
                        "family": c.family,
                        "subject": c.subject,
                        "submitted_on": c.submitted_on.isoformat(),
                        "position": c.position,
                        "decision": d.to_dict(),
                        # Record bodies sort their keys; this restores the trace's own order.
                        "fact_order": [[*step.facts] for step in d.trace],
                    },
                )
            )
        # Allocations in allocation order: carried awards, then this round's by position.
        out.extend(
            (
                "allocation",
                _allocation_body(a.claim_id, a.applicant_id, a.item, a.round, a.allocation),
            )
            for a in self.carried_in
        )
        placed = sorted(
            (c.position, d)
            for d, c in zip(self.decisions, self.claims, strict=True)
            if c.position is not None and d.allocation is not None
        )
        out.extend(
            ("allocation", _allocation_body(d.claim_id, d.applicant_id, d.item, self.year, a))
            for _, d in placed
            if (a := d.allocation) is not None
        )
        return out

    @classmethod
    def from_records(cls, records: Sequence[Record]) -> RoundResult:
        """Read a committed round back from its ledger records (``SqliteLedger.round_records``)."""
        head = records[0].body
        year = int(head["year"])
        decisions: list[Decision] = []
        claims: list[RoundClaim] = []
        carried: list[CarriedAward] = []
        for r in records[1:]:
            b = r.body
            if r.kind == "decision":
                decisions.append(_in_order(Decision.from_dict(b["decision"]), b["fact_order"]))
                claims.append(
                    RoundClaim(
                        claim_id=b["decision"]["claim_id"],
                        applicant_key=b["applicant_key"],
                        family=b["family"],
                        subject=b["subject"],
                        submitted_on=dt.date.fromisoformat(b["submitted_on"]),
                        position=b["position"],
                    )
                )
            elif r.kind == "allocation" and b["round"] != year:
                alloc = Allocation(b["status"], b["amount_yuan"], b["year"])
                carried.append(
                    CarriedAward(
                        b["claim_id"],
                        b["applicant_id"],
                        b["item"],
                        b["round"],
                        b["amount_yuan"],
                        alloc,
                    )
                )
        return cls(
            rules={k: head["rules"][k] for k in ("version", "status", "sha256")},
            year=year,
            decisions=tuple(decisions),
            carried_in=tuple(carried),
            summary=RoundSummary.from_dict(head["summary"]),
            claims=tuple(claims),
            base_head=records[-1].hash,
            batch_sha256=str(head.get("batch_sha256", "")),
            recorded=True,
        )


def _in_order(decision: Decision, order: Sequence[Sequence[str]]) -> Decision:
    """The decision with each trace step's facts back in the order the engine wrote them."""
    trace = tuple(
        replace(step, facts={k: step.facts[k] for k in keys})
        for step, keys in zip(decision.trace, order, strict=True)
    )
    return replace(decision, trace=trace)


def _allocation_body(
    claim_id: str, applicant_id: str, item: str | None, round_year: int, alloc: Allocation
) -> dict[str, JSONValue]:
    return {
        "year": alloc.year,
        "round": round_year,
        "claim_id": claim_id,
        "applicant_id": applicant_id,
        "item": item,
        "status": alloc.status,
        "amount_yuan": alloc.amount_yuan,
    }


class _Purse:
    """The year's budget, walked in allocation order (rulings R10)."""

    def __init__(self, budget: int, on_shortfall: str) -> None:
        self.remaining = budget
        self.on_shortfall = on_shortfall
        self.stopped = False

    def place(self, amount: int) -> Status:
        # 一次性拨付: whole awards only; 用完即止: the first misfit stops the walk (stop).
        if not self.stopped and amount <= self.remaining:
            self.remaining -= amount
            return "paid"
        if self.on_shortfall == "stop":
            self.stopped = True
        return "deferred"

    def step(self, rules: RuleSet, position: int, amount: int) -> tuple[Status, TraceStep]:
        """Place an award of this round, and the trace step that says how (rulings R10).

        Its facts are what an auditor needs to redo the placement: the award's place in
        the order (carried-in awards came first), the budget left when it came up, and the
        reading applied (``on_shortfall``, and whether an earlier award had not fitted).
        """
        left, stopped = self.remaining, self.stopped
        status = self.place(amount)
        policy = rules.allocation.allocation
        facts: dict[str, JSONValue] = {
            "position": position,
            "amount_yuan": amount,
            "budget_left_yuan": left,
            "on_shortfall": self.on_shortfall,
            "after_shortfall": stopped,
        }
        a, rest = format_wan(amount), format_wan(left)
        if status == "paid":
            zh = f"按序第{position}位,预算余额{rest}万元,一次性拨付{a}万元"
            en = f"place {position} in the order: {rest} 万元 of the budget left, paid in full"
        elif stopped:
            zh = f"按序第{position}位,此前已有奖励超出预算,用完即止,列入下一年度"
            en = (
                f"place {position}: an earlier award did not fit the budget, so under "
                "on_shortfall stop (用完即止) this one is deferred to next year"
            )
        else:
            zh = f"按序第{position}位,预算余额{rest}万元不足{a}万元,列入下一年度"
            en = (
                f"place {position}: {rest} 万元 of the budget left, less than the award: "
                "deferred to next year"
            )
        return status, new_step(
            "allocation", "allocation.budget", policy.citation, status, facts, zh, en
        )


def _held_step(rules: RuleSet, position: int, amount: int) -> TraceStep:
    """Rulings R11: an objection raised during publicity holds the award, using no budget."""
    facts: dict[str, JSONValue] = {"position": position, "amount_yuan": amount, "objection": True}
    return new_step(
        "allocation",
        "allocation.objection",
        rules.allocation.publicity.citation,
        "held",
        facts,
        "公示期间有异议,暂缓拨付,待异议处理后再定",
        "an objection was raised during publicity: held, using no budget, until it is resolved",
    )


def _same_round(
    recorded: RoundResult, digest: str, rules: RuleSet, budget: int | None, start: dt.date | None
) -> None:
    """Refuse to show a recorded round as the answer to a different one (same claim ids)."""
    year = recorded.year
    if recorded.batch_sha256 and recorded.batch_sha256 != digest:
        raise LedgerError(
            f"round {year} is already in the ledger from another batch with the same claim ids "
            f"(batch sha256 {recorded.batch_sha256[:16]}, this one {digest[:16]}): a committed "
            "round cannot be changed"
        )
    # Other rules may decide the same claims otherwise: the recorded decisions are not theirs.
    made_by = recorded.rules.get("sha256", "")
    if made_by != rules.sha256:
        raise LedgerError(
            f"round {year} is already in the ledger under other rules (rules sha256 "
            f"{made_by[:16]}, these {rules.sha256[:16]}): a committed round cannot be changed"
        )
    summary = recorded.summary
    if budget is not None and budget != summary.budget_yuan:
        raise LedgerError(
            f"round {year} is already in the ledger with a budget of "
            f"{format_wan(summary.budget_yuan)} 万元, not {format_wan(budget)}"
        )
    was = None if summary.publicity is None else summary.publicity.start
    if start is not None and start != was:
        raise LedgerError(
            f"round {year} is already in the ledger with publicity from {was or 'no date'}, "
            f"not {start}"
        )


def _check_round_year(rules: RuleSet, batch: Batch) -> None:
    """第二十一条 as ``round_year`` reads it: a round takes the claims of its own year."""
    reading = rules.allocation.round_year
    if reading.policy == "any":
        return
    why = (
        f"allocation.yaml round_year.policy is submitted_year ({reading.citation}): correct "
        "the round or the dates, or set the policy to any"
    )
    if not batch.claims and batch.submitted_on.year != batch.round:
        raise RoundError(
            f"round {batch.round}: the batch's submitted_on {batch.submitted_on} is in "
            f"another year; {why}"
        )
    other = [c for c in batch.claims if (c.submitted_on or batch.submitted_on).year != batch.round]
    if other:
        listed = ", ".join(f"{c.id} ({c.submitted_on or batch.submitted_on})" for c in other[:10])
        more = f" and {len(other) - 10} more" if len(other) > 10 else ""
        raise RoundError(
            f"round {batch.round} holds {len(other)} claim{'s' if len(other) != 1 else ''} "
            f"submitted in another year: {listed}{more}; {why}"
        )


def run_round(
    rules: RuleSet,
    batch: Batch,
    ledger: SqliteLedger,
    *,
    budget_yuan: int | None = None,
    publicity_start: dt.date | None = None,
    evaluator: Callable[[RuleSet, Batch, History], Evaluation] | None = None,
) -> RoundResult:
    """Evaluate ``batch`` against ``ledger`` and allocate the year's budget; write nothing.

    ``budget_yuan`` defaults to the rule files' budget for ``batch.round``; ``evaluator``
    to the native engine (:func:`~qfund_rules.engine.evaluate`). Another evaluator (the
    durable backend, say) may stand in to cross-check, never to commit: its result has
    ``native=False`` and :meth:`RoundResult.commit` refuses it. A round already
    committed with the same claims is read back from the ledger (``recorded=True``).
    Without ``publicity_start``, when the rules' ``publicity.commit.requires_start`` is
    true, the round runs but is not committed (:attr:`RoundResult.commit_refusal`).

    The arguments are checked before anything is read or computed: ``rules`` a
    :class:`RuleSet`, ``batch`` a :class:`Batch` the loader returned under the readings of
    ``rules`` (as :func:`~qfund_rules.engine.evaluate` requires), ``ledger`` a
    :class:`SqliteLedger` (or ``MemoryLedger``), ``budget_yuan`` ``None`` or an ``int`` of
    yuan (not a ``bool``, not a ``float``), ``publicity_start`` ``None`` or a
    ``datetime.date`` (not a ``datetime.datetime``: it would be printed with its time and
    cannot be compared with the claims' dates), ``evaluator`` ``None`` or a callable.

    Raises:
        RoundError: an argument of the wrong type, a batch the loader did not make or made
            under another rule set's readings, a negative budget, claims submitted in
            another year than the round's (when ``round_year.policy`` is
            ``submitted_year``), no budget for the year, or a publicity period that starts
            before the last claim was submitted or ends past the year 9999.
        LedgerError: the year holds a round with other claims, or a later round exists;
            or it holds this round, recorded from another batch, under other rules
            (another rule-set sha256), or with another ``budget_yuan`` or
            ``publicity_start`` than the ones given; or ``publicity_start`` is before the
            publicity start of an earlier round.
    """
    where = "run_round"
    check_type(RoundError, where, "rules", rules, RuleSet, A_RULESET)
    check_loaded(
        batch,
        rules.industry_codes,
        rules.achieved_by_submission,
        where,
        unchecked=RoundError,
        other_rules=RoundError,
    )
    check_type(RoundError, where, "ledger", ledger, SqliteLedger, _LEDGER)
    if budget_yuan is not None:
        check_yuan(RoundError, where, "budget_yuan", budget_yuan)
    if publicity_start is not None:
        check_date(RoundError, where, "publicity_start", publicity_start)
    if evaluator is not None:
        check_callable(RoundError, where, "evaluator", evaluator)
    _check_round_year(rules, batch)
    # One state of the ledger throughout: a round another process commits meanwhile is
    # seen whole or not at all, never half (its awards as earlier ones, its head not).
    with ledger.snapshot():
        return _round(rules, batch, ledger, budget_yuan, publicity_start, evaluator)


def _after_earlier_publicity(ledger: SqliteLedger, year: int, start: dt.date) -> None:
    """第二十二条, 第二十条第(一)项: a round's results are made public no earlier than an
    earlier round's. Awards deferred from that round are paid in this one, and never before
    their own publicity, when an objection to them could still be raised."""
    began = [
        (day, y) for y in ledger.round_years() if y < year if (day := ledger.publicity_start(y))
    ]
    day, y = max(began, default=(start, year))
    if start < day:
        raise LedgerError(
            f"publicity of round {year} cannot start on {start}, before round {y}'s did "
            f"({day}): its deferred awards, paid in this round, would be paid before they "
            "were made public; a round's publicity starts no earlier than an earlier round's"
        )


def _round(
    rules: RuleSet,
    batch: Batch,
    ledger: SqliteLedger,
    budget_yuan: int | None,
    publicity_start: dt.date | None,
    evaluator: Callable[[RuleSet, Batch, History], Evaluation] | None,
) -> RoundResult:
    """:func:`run_round` once its arguments are checked, inside one snapshot of the ledger."""
    year = batch.round
    digest = batch_sha256(batch)
    recorded = ledger.round_claim_ids(year)
    if recorded is not None:
        if recorded != tuple(sorted(c.id for c in batch.claims)):
            raise LedgerError(f"round {year} is already in the ledger with other claims")
        result = RoundResult.from_records(ledger.round_records(year))
        _same_round(result, digest, rules, budget_yuan, publicity_start)
        return result
    later = [y for y in ledger.round_years() if y > year]
    if later:
        raise LedgerError(f"round {later[-1]} is already committed: rounds go in year order")
    budget = rules.budget_yuan(year) if budget_yuan is None else budget_yuan
    if budget is None:
        raise RoundError(
            f"no budget for round {year}: allocation.yaml budgets.by_year has none; "
            "give one (--budget in 万元)"
        )
    publicity = None
    # 第二十条第(三)项: paid only after publicity; without its start, no commit (rules' choice).
    commit_rule = rules.allocation.publicity.commit
    start_required_by = (
        commit_rule.citation if commit_rule.requires_start and publicity_start is None else None
    )
    if publicity_start is not None:
        # 第二十二条: claims are submitted, reviewed, then the results are made public.
        last = max((c.submitted_on or batch.submitted_on for c in batch.claims), default=None)
        if last is not None and publicity_start < last:
            raise RoundError(
                f"publicity cannot start on {publicity_start}, before the round's claims were "
                f"all submitted (the last on {last})"
            )
        try:
            publicity = Publicity.starting(publicity_start, rules.allocation.publicity.days)
        except OverflowError:
            raise RoundError(
                f"publicity starting {publicity_start} would end after the year 9999"
            ) from None
        _after_earlier_publicity(ledger, year, publicity_start)
    base_head = ledger.head()[1]
    evaluation = (evaluator or evaluate)(rules, batch, ledger)
    policy = rules.allocation.allocation
    claims = {c.id: c for c in batch.claims}
    applicants = {a.id: a for a in batch.applicants}

    def submitted(claim_id: str) -> dt.date:
        on = claims[claim_id].submitted_on
        assert on is not None  # resolved by the loader
        return on

    granted = [d for d in evaluation.decisions if d.outcome == "awarded" and d.amount_yuan > 0]
    order = sorted(granted, key=lambda d: (submitted(d.claim_id), d.claim_id))
    position = {d.claim_id: i for i, d in enumerate(order)}

    purse = _Purse(budget, policy.on_shortfall)
    # carry_over: false leaves earlier deferred awards out of this round (docs/rounds.md).
    pending = ledger.pending() if policy.carry_over else ()
    carried = tuple(
        CarriedAward(
            p.claim_id,
            p.applicant_id,
            p.item,
            p.round,
            p.amount_yuan,
            Allocation(purse.place(p.amount_yuan), p.amount_yuan, year),
        )
        for p in pending
    )
    placed: dict[str, tuple[Status, TraceStep]] = {}
    for n, d in enumerate(order, len(carried) + 1):
        # 第二十二条, rulings R11: an objection holds the award until it is resolved.
        if claims[d.claim_id].objection:
            placed[d.claim_id] = ("held", _held_step(rules, n, d.amount_yuan))
        else:
            placed[d.claim_id] = purse.step(rules, n, d.amount_yuan)

    decisions: list[Decision] = []
    round_claims: list[RoundClaim] = []
    for d in evaluation.decisions:
        found = placed.get(d.claim_id)
        if found is None:
            decisions.append(replace(d, allocation=Allocation(None, 0, year)))
        else:
            s, step = found
            cited = d.citations if step.citation in d.citations else (*d.citations, step.citation)
            allocation = Allocation(s, d.amount_yuan, year)
            decisions.append(
                replace(d, allocation=allocation, trace=(*d.trace, step), citations=cited)
            )
        claim, applicant = claims[d.claim_id], applicants[d.applicant_id]
        round_claims.append(
            RoundClaim(
                claim_id=d.claim_id,
                applicant_key=applicant_key(applicant.id, applicant.uscc),
                family=rules.by_id[d.item].item.family if d.item else None,
                subject=claim.subject or "",
                submitted_on=submitted(d.claim_id),
                position=position.get(d.claim_id),
            )
        )

    allocations = [c.allocation for c in carried] + [
        d.allocation for d in decisions if d.allocation is not None
    ]

    def total(which: Status) -> int:
        return sum(a.amount_yuan for a in allocations if a.status == which)

    summary = RoundSummary(
        year=year,
        budget_yuan=budget,
        carried_in_yuan=sum(c.amount_yuan for c in carried),
        awarded_yuan=sum(d.amount_yuan for d in granted),
        paid_yuan=total("paid"),
        deferred_yuan=total("deferred"),
        held_yuan=total("held"),
        publicity=publicity,
    )
    return RoundResult(
        rules=evaluation.rules,
        year=year,
        decisions=tuple(decisions),
        carried_in=carried,
        summary=summary,
        claims=tuple(round_claims),
        base_head=base_head,
        batch_sha256=digest,
        native=evaluator is None or evaluator is evaluate,
        start_required_by=start_required_by,
    )


@dataclass(frozen=True, slots=True)
class UnseenKey:
    """An applicant of a batch whose batch id the ledger holds standing awards or bans of
    under another applicant key: its USCC left out (``uscc`` is ``None``; ``known_as``
    the USCCs the ledger knows), or a USCC now given where the ledger knew the id only
    (``known_as`` is ``("id:ID",)``). A round does not count those records for it
    (:func:`~qfund_rules.history.applicant_key`): found by :func:`unseen_keys`."""

    applicant_id: str
    uscc: str | None  # as the batch gives it
    known_as: tuple[str, ...]  # the ledger's other keys of the id, sorted

    def to_text(self, lang: Literal["zh", "en"] = "en") -> str:
        """The note, as ``qfund round`` and ``qfund explain --ledger`` write it (``en``) and
        the report shows it (in its language).

        Raises:
            ValueError: ``lang`` is not ``zh`` or ``en``.
        """
        check_lang("UnseenKey.to_text", lang)
        a = self.applicant_id
        known = ", ".join(self.known_as)
        if self.uscc is None:
            if lang == "zh":
                return (
                    f"申报单位{a}在本批次中未填统一社会信用代码,但账本中有以统一社会信用代码"
                    f"{known}登记的申报单位{a}的奖励或取消申报资格记录:本次未计入;如为该单位,"
                    "请填写其统一社会信用代码,如非该单位,请另用申报单位编号"
                )
            return (
                f"applicant {a} has no USCC in this batch, but the ledger holds awards or "
                f"bans of an applicant {a} under USCC {known}: they are not counted for it; "
                "give its USCC if it is that organisation, another applicant id if it is not"
            )
        if lang == "zh":
            return (
                f"申报单位{a}在本批次中填有统一社会信用代码{self.uscc},但账本中有仅以编号登记"
                f"(无统一社会信用代码)的申报单位{a}的奖励或取消申报资格记录:本次未计入;"
                "如为该单位,请不填统一社会信用代码,如非该单位,请另用申报单位编号"
            )
        return (
            f"applicant {a} has USCC {self.uscc} in this batch, but the ledger holds awards "
            f"or bans of an applicant {a} known by its id only (no USCC): they are not "
            "counted for it; leave its USCC out if it is that organisation, give it another "
            "applicant id if it is not"
        )


def unseen_keys(
    batch: Batch, ledger: SqliteLedger, applicant_ids: Collection[str] | None = None
) -> tuple[UnseenKey, ...]:
    """The applicants with claims in ``batch`` (of ``applicant_ids`` only, when given) that
    the ledger knows by another key (:class:`UnseenKey`) in rounds before the batch's, in
    the batch's order. Later rounds are not looked at: their awards and bans never count
    for the batch's round (a recorded round's note would point at them, and giving the
    key they hold would make :func:`run_round` refuse the batch as not the recorded one).

    Batch ids are batch-local, so this only hints (:meth:`SqliteLedger.keys_of`): ``qfund
    round`` notes them and refuses to commit them, ``qfund explain --ledger`` and ``qfund
    report --ledger`` note them.
    """
    claiming = {c.applicant for c in batch.claims}
    if applicant_ids is not None:
        claiming &= set(applicant_ids)
    found = []
    for a in batch.applicants:
        if a.id not in claiming:
            continue
        key = applicant_key(a.id, a.uscc)
        others = ledger.keys_of(a.id, before=batch.round) - {key}
        by_id = f"id:{a.id}"
        if key == by_id and others:  # another key of this id is a USCC
            found.append(UnseenKey(a.id, None, tuple(sorted(others))))
        elif by_id in others:
            found.append(UnseenKey(a.id, a.uscc, (by_id,)))
    return tuple(found)
