"""Decisions and their traces: the data auditors read, and its stable JSON form.

The trace is data on each decision (interchange.md, "A decision"); rendering it as text
for people lives in :mod:`qfund_rules.explain`. JSON output is deterministic: fields in a
fixed order, no set iteration, no floats, ``ensure_ascii=False`` so Chinese stays legible.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Literal, NoReturn

from ._excerpt import echo, excerpt
from ._json_writer import Entry, TextParts, Writable, step_memo, write_lines
from ._json_writer import compact as _compact
from .rules import ITEM_IDS

__all__ = [
    "REASON_CODES",
    "Allocation",
    "Decision",
    "Evaluation",
    "Outcome",
    "TraceStep",
    "dumps",
    "render",
]

Outcome = Literal["awarded", "rejected", "superseded"]

#: The reason codes of interchange.md and rulings R8: the public contract.
REASON_CODES: tuple[str, ...] = (
    "no_matching_item",
    "not_eligible_applicant",
    "outside_validity",
    "not_first_time",
    "already_awarded",
    "top_up",
    "superseded_by_higher",
    "duplicate_claim",
    "banned",
    "not_drafting_unit",
    "lead_proof_missing",
    "not_foremost_hami_participant",
    "excluded_industrial_policy",
    "excluded_unlicensed",
    "excluded_credit",
    "excluded_other_support",
    "excluded_unrelated",
    "excluded_other_violation",
)
_REASONS: frozenset[str] = frozenset(REASON_CODES)
#: Reasons that explain an award or a supersession rather than refuse the claim: an award
#: may carry top_up, and a rejection carries a reason besides these (interchange.md).
SOFT_REASONS: frozenset[str] = frozenset({"top_up", "superseded_by_higher"})

JSONValue = str | int | bool | None | list["JSONValue"] | dict[str, "JSONValue"]


@dataclass(frozen=True, slots=True)
class TraceStep:
    """One step of a decision: the rule applied, the article, the facts read, the result."""

    step: str
    rule: str
    citation: str
    result: str
    #: Shared, like the step, by every decision the step belongs to: read it, never change
    #: it (``dict(step.facts)`` is a copy to change). It stays a plain dict: a read-only
    #: proxy per step made evaluation with the cyclic collector on about 30% slower
    #: (bench/README.md). Not hashed (a dict is not hashable); equality compares it.
    facts: Mapping[str, JSONValue] = field(hash=False)
    message_zh: str
    message_en: str

    def to_dict(self) -> dict[str, JSONValue]:
        """The step as interchange.md writes it."""
        return {
            "step": self.step,
            "rule": self.rule,
            "citation": self.citation,
            "result": self.result,
            "facts": dict(self.facts),
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TraceStep:
        """Rebuild a step from :meth:`to_dict` output.

        Raises:
            ValueError: naming every field that is not as :meth:`to_dict` writes it.
        """
        _refuse(_step_problems(data, ""))
        return _step(data)


@dataclass(frozen=True, slots=True)
class Allocation:
    """What a round did with an award: paid, deferred to next year, or held (rulings R10/R11)."""

    status: Literal["paid", "deferred", "held"] | None
    amount_yuan: int
    year: int

    def to_dict(self) -> dict[str, JSONValue]:
        """The allocation as interchange.md writes it."""
        return {"status": self.status, "amount_yuan": self.amount_yuan, "year": self.year}


@dataclass(frozen=True, slots=True)
class Decision:
    """The decision on one claim."""

    claim_id: str
    applicant_id: str
    outcome: Outcome
    item: str | None
    amount_yuan: int
    reasons: tuple[str, ...]
    citations: tuple[str, ...]
    trace: tuple[TraceStep, ...]
    rules_sha256: str
    draft: bool
    allocation: Allocation | None = field(default=None)

    def to_dict(self) -> dict[str, JSONValue]:
        """The decision as interchange.md writes it, plus the rule-set hash and draft flag."""
        out = decision_fields(self)
        out["trace"] = [s.to_dict() for s in self.trace]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Decision:
        """Rebuild a decision from :meth:`to_dict` output (JSON round trip).

        Raises:
            ValueError: naming every field that is not as :meth:`to_dict` writes it (an
                amount that is not whole yuan, an outcome outside the three, an unknown
                item id or step result, facts nested past 32 levels, ...), and fields
                that disagree (an amount but 0 unless awarded, an award without its item,
                a rejection without a reason that refuses, an allocation of another
                amount): nothing is converted or truncated.
        """
        _refuse(_decision_problems(data))
        return _decision(data)


def _step(data: Mapping[str, Any]) -> TraceStep:
    """The step ``data`` holds, once checked."""
    return TraceStep(
        step=data["step"],
        rule=data["rule"],
        citation=data["citation"],
        result=data["result"],
        facts=dict(data["facts"]),
        message_zh=data["message_zh"],
        message_en=data["message_en"],
    )


def _decision(data: Mapping[str, Any]) -> Decision:
    """The decision ``data`` holds, once checked."""
    alloc = data.get("allocation")
    return Decision(
        claim_id=data["claim_id"],
        applicant_id=data["applicant_id"],
        outcome=data["outcome"],
        item=data["item"],
        amount_yuan=data["amount_yuan"],
        reasons=tuple(data["reasons"]),
        citations=tuple(data["citations"]),
        trace=tuple(_step(s) for s in data["trace"]),
        rules_sha256=data["rules_sha256"],
        draft=data["draft"],
        allocation=None if alloc is None else Allocation(**alloc),
    )


def decision_fields(d: Decision) -> dict[str, JSONValue]:
    """:meth:`Decision.to_dict` but its trace, which comes last: the JSON writers add it."""
    out: dict[str, JSONValue] = {
        "claim_id": d.claim_id,
        "applicant_id": d.applicant_id,
        "outcome": d.outcome,
        "item": d.item,
        "amount_yuan": d.amount_yuan,
        "reasons": list(d.reasons),
        "citations": list(d.citations),
        "rules_sha256": d.rules_sha256,
        "draft": d.draft,
    }
    if d.allocation is not None:
        out["allocation"] = d.allocation.to_dict()
    return out


def decision_dicts(decisions: Iterable[Decision]) -> list[JSONValue]:
    """Each decision's :meth:`~Decision.to_dict`, a step shared by several decisions written
    as one dict that their traces share (the engine shares the step itself)."""
    steps: Callable[[Sequence[TraceStep]], list[JSONValue]] = step_memo(TraceStep.to_dict)
    out: list[JSONValue] = []
    for d in decisions:
        fields_ = decision_fields(d)
        fields_["trace"] = steps(d.trace)
        out.append(fields_)
    return out


def entries(decisions: Iterable[Decision]) -> Iterator[Entry]:
    """What the JSON writers of :mod:`._json_writer` take of each decision."""
    return ((decision_fields(d), d.trace) for d in decisions)


# --- reading decisions back: every field checked, nothing converted ---------------------

_OUTCOMES = ("awarded", "rejected", "superseded")
_STATUSES = ("paid", "deferred", "held", None)
_STEP_TEXTS = ("step", "rule", "citation", "result", "message_zh", "message_en")
_ITEMS: frozenset[str] = frozenset(ITEM_IDS)
#: A step's result as the engine writes it: pass | fail (most steps), match | no_match (an
#: item's conditions), skip | top_up | superseded (the same qualification, rulings R5),
#: paid | deferred | held (a round's allocation step, R10/R11); and the outcomes, which
#: the closing "engine" step of the durable backend's earlier traces showed (it writes the
#: native trace now; such output still reads back).
_RESULTS: frozenset[str] = frozenset(
    {
        "pass", "fail", "match", "no_match", "skip", "top_up", "superseded",
        "paid", "deferred", "held", *_OUTCOMES,
    }
)  # fmt: skip
#: How deep lists and mappings nest in a fact read back. The engine's facts nest two or
#: three levels (a list of bans, each a mapping); the cap keeps reading and writing them
#: clear of Python's recursion limit.
_FACT_DEPTH = 32


def _refuse(problems: list[str]) -> None:
    if problems:
        raise ValueError("not a decision as to_dict writes it: " + "; ".join(problems))


def _is_yuan(value: object) -> bool:
    return type(value) is int and value >= 0


def _texts(value: object) -> bool:
    return isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)


def _step_problems(data: object, at: str) -> list[str]:
    if not isinstance(data, Mapping):
        return [f"{at or 'step'}: expected a mapping, got {type(data).__name__}"]
    found = [f"{at}{k}: expected text" for k in _STEP_TEXTS if not isinstance(data.get(k), str)]
    result = data.get("result")
    if isinstance(result, str) and result not in _RESULTS:
        found.append(
            f"{at}result: expected one of {', '.join(sorted(_RESULTS))}, got {echo(result)}"
        )
    facts = data.get("facts")
    if not isinstance(facts, Mapping) or not all(isinstance(k, str) for k in facts):
        found.append(f"{at}facts: expected a mapping of names to values")
    else:
        shape = _facts_shape(facts)
        if shape == "deep":
            found.append(
                f"{at}facts: lists and mappings nested more than {_FACT_DEPTH} deep; to_dict "
                "writes a few levels"
            )
        elif shape == "other":
            found.append(
                f"{at}facts: expected values as to_dict writes them (text, whole numbers, "
                "true/false, null, lists and mappings of them; no fractions), "
                f"got {echo(dict(facts))}"
            )
    return found


def _facts_shape(facts: Mapping[str, object]) -> Literal["ok", "deep", "other"]:
    """Whether a step's facts are JSON values as to_dict writes them (never a float: money
    and counts are whole), walked without recursion: ``deep`` past :data:`_FACT_DEPTH`
    levels (a structure that holds itself among them), ``other`` for a value of another
    type or a key that is not text."""
    todo: list[tuple[object, int]] = [(v, 1) for v in facts.values()]
    while todo:
        value, depth = todo.pop()
        if value is None or isinstance(value, str | int):  # bool is an int
            continue
        if depth > _FACT_DEPTH:
            return "deep"
        if isinstance(value, list | tuple):
            todo.extend((v, depth + 1) for v in value)
        elif isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
            todo.extend((v, depth + 1) for v in value.values())
        else:
            return "other"
    return "ok"


def _decision_problems(data: object) -> list[str]:
    if not isinstance(data, Mapping):
        return [f"expected a mapping, got {type(data).__name__}"]
    checks: list[tuple[str, bool, str]] = [
        ("claim_id", isinstance(data.get("claim_id"), str), "expected text"),
        ("applicant_id", isinstance(data.get("applicant_id"), str), "expected text"),
        ("outcome", data.get("outcome") in _OUTCOMES, f"expected one of {', '.join(_OUTCOMES)}"),
        ("item", data.get("item") is None or isinstance(data.get("item"), str), "expected text"),
        ("amount_yuan", _is_yuan(data.get("amount_yuan")), "expected whole yuan (an integer)"),
        (
            "reasons",
            _texts(data.get("reasons")) and set(data["reasons"]) <= _REASONS,
            f"expected a list of reason codes ({', '.join(REASON_CODES)})",
        ),
        ("citations", _texts(data.get("citations")), "expected a list of articles"),
        ("rules_sha256", isinstance(data.get("rules_sha256"), str), "expected text"),
        ("draft", isinstance(data.get("draft"), bool), "expected true or false"),
        ("trace", isinstance(data.get("trace"), list | tuple), "expected a list of steps"),
    ]
    # Every key but allocation is written; a missing one is named as such (a missing item
    # would otherwise pass for null).
    found = [
        f"{k}: missing" if k not in data else f"{k}: {why}, got {echo(data[k])}"
        for k, ok, why in checks
        if not ok or k not in data
    ]
    item = data.get("item")
    if isinstance(item, str) and item not in _ITEMS:
        found.append(f"item: {echo(item)} is not an award item id of interchange.md")
    if not found:
        found = _outcome_problems(data)
    trace = data.get("trace")
    for i, step in enumerate(trace if isinstance(trace, list | tuple) else ()):
        found.extend(_step_problems(step, f"trace[{i}]."))
    alloc = data.get("allocation")
    if alloc is not None and not (
        isinstance(alloc, Mapping)
        and set(alloc) == {"status", "amount_yuan", "year"}
        and alloc["status"] in _STATUSES
        and _is_yuan(alloc["amount_yuan"])
        and type(alloc["year"]) is int
        and 1 <= alloc["year"] <= 9999
    ):
        found.append(f"allocation: expected status, amount_yuan and year, got {echo(alloc)}")
    elif alloc is not None and _is_yuan(data.get("amount_yuan")):
        # A round places each award whole and nothing else (rulings R10/R11, interchange.md).
        granted = data.get("outcome") == "awarded"
        if alloc["amount_yuan"] != data["amount_yuan"]:
            found.append(
                f"allocation.amount_yuan: {echo(alloc['amount_yuan'])} is not the decision's "
                f"amount_yuan {echo(data['amount_yuan'])}"
            )
        if granted and alloc["status"] is None:
            found.append("allocation.status: null for an award: expected paid, deferred or held")
        elif not granted and alloc["status"] is not None:
            found.append(
                f"allocation.status: {echo(alloc['status'])} for a decision that grants nothing: "
                "expected null"
            )
    return found


def _outcome_problems(data: Mapping[str, Any]) -> list[str]:
    """How a decision's outcome, item, amount and reasons disagree (interchange.md: the
    amount is 0 unless awarded; an award may carry top_up; a rejection carries a reason
    code, one that refuses). Its fields are each well formed."""
    outcome, item, amount = data["outcome"], data["item"], data["amount_yuan"]
    reasons = data["reasons"]
    hard = [r for r in reasons if r not in SOFT_REASONS]
    found = []
    if outcome == "awarded":
        if amount == 0:
            found.append("amount_yuan: 0 for an award: expected the amount it grants")
        if item is None:
            found.append("item: null for an award: expected the item awarded")
        if [r for r in reasons if r != "top_up"]:
            found.append(f"reasons: {echo(reasons)} for an award: expected none, or top_up")
        return found
    if amount != 0:
        found.append(f"amount_yuan: {echo(amount)} for a decision {outcome}: expected 0")
    if outcome == "rejected" and not hard:
        found.append(
            f"reasons: {echo(reasons)} for a rejection: expected a reason code that refuses"
        )
    if outcome == "superseded":
        if item is None:
            found.append("item: null for a superseded claim: expected the item superseded")
        if "superseded_by_higher" not in reasons or hard:
            found.append(
                f"reasons: {echo(reasons)} for a superseded claim: expected "
                "superseded_by_higher (and top_up), no reason that refuses"
            )
    return found


#: The keys of an evaluation's JSON, of its rules identity, of a decision and of a step,
#: as ``to_dict`` writes them: an evaluation read back holds these and no others.
_EVALUATION_KEYS = ("rules", "decisions")
_IDENTITY_KEYS = ("version", "status", "sha256")
_DECISION_KEYS = frozenset(
    {
        "claim_id", "applicant_id", "outcome", "item", "amount_yuan", "reasons", "citations",
        "rules_sha256", "draft", "trace", "allocation",
    }
)  # fmt: skip
_STEP_KEYS = frozenset({*_STEP_TEXTS, "facts"})
_SHA256 = re.compile(r"[0-9a-f]{64}")
#: How many problems an evaluation refused names; a file broken throughout would
#: otherwise make a message as long as itself.
_SHOWN_PROBLEMS = 20


def _unknown(data: Mapping[str, Any], known: Iterable[str], at: str) -> list[str]:
    return [f"{at}{excerpt(str(k))}: unknown key" for k in data if k not in known]


def _identity_problems(rules: object) -> list[str]:
    if not isinstance(rules, Mapping):
        return [f"rules: expected a mapping of version, status and sha256, got {echo(rules)}"]
    found = _unknown(rules, _IDENTITY_KEYS, "rules.")
    found += [f"rules.{k}: missing" for k in _IDENTITY_KEYS if k not in rules]
    if "version" in rules and not isinstance(rules["version"], str):
        found.append(f"rules.version: expected text, got {echo(rules['version'])}")
    if "status" in rules and rules["status"] not in ("draft", "final"):
        found.append(f"rules.status: expected draft or final, got {echo(rules['status'])}")
    sha = rules.get("sha256")
    if "sha256" in rules and not (isinstance(sha, str) and _SHA256.fullmatch(sha)):
        found.append(f"rules.sha256: expected 64 lowercase hex digits, got {echo(sha)}")
    return found


def _evaluation_problems(data: object) -> list[str]:
    """Every way ``data`` is not what :meth:`Evaluation.to_dict` writes."""
    if not isinstance(data, Mapping):
        return [f"expected a mapping of rules and decisions, got {type(data).__name__}"]
    found = _unknown(data, _EVALUATION_KEYS, "")
    if "summary" in data:
        found.append("a round's JSON (qfund round, RoundResult) is not an evaluation")
    found += [f"{k}: missing" for k in _EVALUATION_KEYS if k not in data]
    if "rules" in data:
        found += _identity_problems(data["rules"])
    decisions = data.get("decisions", ())
    if not isinstance(decisions, list | tuple):
        return [*found, f"decisions: expected a list of decisions, got {echo(decisions)}"]
    rules = data.get("rules")
    sha = rules.get("sha256") if isinstance(rules, Mapping) else None
    status = rules.get("status") if isinstance(rules, Mapping) else None
    draft = status == "draft" if status in ("draft", "final") else None
    seen: dict[str, int] = {}  # claim id -> the decision that has it: one per claim
    for i, d in enumerate(decisions):
        at = f"decisions[{i}]."
        if not isinstance(d, Mapping):
            found.append(f"decisions[{i}]: expected a mapping, got {type(d).__name__}")
            continue
        found += [at + p for p in _decision_problems(d)]
        found += _unknown(d, _DECISION_KEYS, at)
        claim = d.get("claim_id")
        if isinstance(claim, str):
            if claim in seen:
                found.append(f"{at}claim_id: {echo(claim)} is decisions[{seen[claim]}]'s too")
            else:
                seen[claim] = i
        trace = d.get("trace")
        for j, step in enumerate(trace if isinstance(trace, list | tuple) else ()):
            if isinstance(step, Mapping):
                found += _unknown(step, _STEP_KEYS, f"{at}trace[{j}].")
        # What one evaluation holds, one rule set decided (engine.evaluate).
        if (
            isinstance(sha, str)
            and isinstance(d.get("rules_sha256"), str)
            and d["rules_sha256"] != sha
        ):
            found.append(f"{at}rules_sha256: {echo(d['rules_sha256'])} is not the rules' sha256")
        if draft is not None and isinstance(d.get("draft"), bool) and d["draft"] != draft:
            found.append(f"{at}draft: {str(d['draft']).lower()} disagrees with the rules' status")
    return found


def _setters(cls: type) -> tuple[Callable[[object, object], None], ...]:
    # A slot's descriptor sets it directly; a frozen dataclass's own __init__ goes through
    # object.__setattr__ for each field, which costs twice as much.
    return tuple(getattr(cls, f.name).__set__ for f in fields(cls))


_new = object.__new__
_STEP = _setters(TraceStep)
_DECISION = _setters(Decision)


def new_step(
    step: str,
    rule: str,
    citation: str,
    result: str,
    facts: Mapping[str, JSONValue],
    message_zh: str,
    message_en: str,
) -> TraceStep:
    """``TraceStep(...)`` for the engine's hot path: the same frozen object, built faster."""
    s = _new(TraceStep)
    a, b, c, d, e, f, g = _STEP
    a(s, step)
    b(s, rule)
    c(s, citation)
    d(s, result)
    e(s, facts)
    f(s, message_zh)
    g(s, message_en)
    return s


def new_decision(
    claim_id: str,
    applicant_id: str,
    outcome: Outcome,
    item: str | None,
    amount_yuan: int,
    reasons: tuple[str, ...],
    citations: tuple[str, ...],
    trace: tuple[TraceStep, ...],
    rules_sha256: str,
    draft: bool,
) -> Decision:
    """``Decision(...)`` without an allocation, for the engine's hot path (see new_step)."""
    x = _new(Decision)
    a, b, c, d, e, f, g, h, i, j, k = _DECISION
    a(x, claim_id)
    b(x, applicant_id)
    c(x, outcome)
    d(x, item)
    e(x, amount_yuan)
    f(x, reasons)
    g(x, citations)
    h(x, trace)
    i(x, rules_sha256)
    j(x, draft)
    k(x, None)
    return x


class ReadOnlyDict(dict[str, str]):
    """A dict that refuses every change: the rules identity a result carries.

    Unlike a ``MappingProxyType`` it pickles, deep-copies and goes through
    ``dataclasses.asdict`` and ``json.dumps`` as the dict it is.
    """

    def _refuse(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("a result's rules identity cannot be changed")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self) -> tuple[type[ReadOnlyDict], tuple[dict[str, str]]]:
        return (type(self), (dict(self),))


class DecisionLookup:
    """``decision(claim_id)`` for a result that holds ``decisions``: by an index of them.

    The index is made on the first look-up and kept in a slot of its own, not a dataclass
    field: equality, the hash, ``repr``, ``asdict`` and pickling see only the result's
    fields, and a result read back from pickle makes its index again. Two threads looking
    up at once may each make one: each looks up in its own, and one of them is kept.
    """

    __slots__ = ("_by_claim",)
    _by_claim: dict[str, Decision]
    decisions: tuple[Decision, ...]

    def decision(self, claim_id: str) -> Decision:
        """The decision on ``claim_id`` (``KeyError`` when the batch had no such claim)."""
        try:
            index = self._by_claim
        except AttributeError:
            # Of two decisions on one claim id the first, as a scan would find it: a batch
            # never holds two, a result built by hand may.
            index = {d.claim_id: d for d in reversed(self.decisions)}
            object.__setattr__(self, "_by_claim", index)  # frozen, as __post_init__ below
        return index[claim_id]


@dataclass(frozen=True, slots=True)
class Evaluation(DecisionLookup):
    """The decisions on one batch, with the identity of the rule set that made them.

    Immutable: ``rules`` is a :class:`ReadOnlyDict` (left out of the hash, as dicts do not
    hash; equal evaluations still hash alike).
    """

    rules: Mapping[str, str] = field(hash=False)
    decisions: tuple[Decision, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.rules, ReadOnlyDict):
            object.__setattr__(self, "rules", ReadOnlyDict(self.rules))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Evaluation:
        """Rebuild an evaluation from :meth:`to_dict` output, or from :meth:`to_json`'s
        text read with ``json.loads``: its :meth:`to_json` is then the same text.

        Raises:
            ValueError: naming every key or field that is not as :meth:`to_dict` writes
                it (the first 20 of them): a key it does not write (a round's
                ``summary``), a decision of another rule set than ``rules`` names, two
                decisions on one claim id, any field :meth:`Decision.from_dict`
                refuses. Nothing is converted, dropped or truncated.
        """
        found = _evaluation_problems(data)
        if found:
            more = len(found) - _SHOWN_PROBLEMS
            shown = found[:_SHOWN_PROBLEMS] + ([f"and {more} more"] if more > 0 else [])
            raise ValueError("not an evaluation as to_dict writes it: " + "; ".join(shown))
        rules = data["rules"]
        return cls(
            rules={k: rules[k] for k in _IDENTITY_KEYS},
            decisions=tuple(_decision(d) for d in data["decisions"]),
        )

    def to_dict(self) -> dict[str, JSONValue]:
        """``{"rules": {...}, "decisions": [...]}`` as ``qfund evaluate`` prints it.

        A step that several decisions share is one dict in all their traces: read it,
        never change it (as the step's own ``facts``).
        """
        return {"rules": dict(self.rules), "decisions": decision_dicts(self.decisions)}

    def write_json(self, fp: Writable) -> None:
        """Write :meth:`to_json`'s text to the text file ``fp``, a decision at a time.

        What ``qfund evaluate`` writes: the text of a large batch is never held whole (a
        step shared by many decisions is encoded once; its text is written for each).
        Open the file with ``encoding="utf-8"``: the text holds Chinese as is.
        """
        head: dict[str, JSONValue] = {"rules": dict(self.rules), "decisions": []}
        write_lines(fp, head, "decisions", entries(self.decisions))

    def to_json(self) -> str:
        """Deterministic JSON text (same input and rules: byte-identical output).

        One decision per line: readable, diffable, and written by the C encoder (an
        indented dump of a large batch would go through the pure-Python one).
        """
        parts = TextParts()
        self.write_json(parts)
        return "".join(parts)


def dumps(data: JSONValue) -> str:
    """The project's JSON style for small documents: indented, UTF-8 as is, keys in order."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def render(data: Mapping[str, JSONValue], listed: str) -> str:
    """JSON of ``data`` with the list under key ``listed`` written one entry per line."""
    lines = ["{"]
    keys = list(data)
    for n, key in enumerate(keys):
        comma = "," if n < len(keys) - 1 else ""
        value = data[key]
        if key == listed and isinstance(value, list) and value:
            lines.append(f"  {_compact(key)}: [")
            lines.extend(f"    {_compact(v)}," for v in value[:-1])
            lines.append(f"    {_compact(value[-1])}")
            lines.append(f"  ]{comma}")
        else:
            lines.append(f"  {_compact(key)}: {_compact(value)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"
