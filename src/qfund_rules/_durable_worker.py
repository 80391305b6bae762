"""The durable-rules worker: compiles a rule set into a Rete ruleset and decides batches.

This module runs in its own process (started by :mod:`qfund_rules.durable_backend`) and is
the only code of qfund_rules that imports durable-rules. It imports nothing else of the
package: it sees the rule set and the batches only as the JSON data the parent sends, and
compiles every award item's raw ``when`` data into durable-rules conditions itself, so that
a mistake in the native condition compiler cannot hide by being shared. Only the words are
shared: its steps' messages are the native engine's templates, sent with the rule set and
filled in here.

It writes the native engine's trace, step for step: the same steps in the same order, with
the same rule names, facts and messages, so that the two can be compared whole. What a
step finds comes from the rules that fired (a rule that did not fire found nothing: the
case is clear, the item not matched); what it shows is worked out here from the claim's
data and the rule data (the facts a condition reads and the parts of it that do not hold
are read from the raw ``when`` data by a small interpreter of its own, checked against what
durable found on every claim).

A batch is decided in five rounds of facts asserted into one durable session:

1. ``claim`` facts (a claim's facts plus the derived ``role``), ``listing`` and ``ban``
   facts. Single-fact rules: validity (第二十八条), eligibility (第四条), authorship
   (第十三条), one rule per award item (its compiled ``when``; a claim no item rule fired
   on matches no item), the exclusions of 第十七条. Joins: a claim with its applicant's
   credit listings, and with its applicant's bans (第二十四条).
2. ``cand`` facts for claims that matched an item, ``prior`` facts for earlier awards.
   Joins: two candidates for one item and subject (duplicates, 第十七条第(三)项); a
   candidate with earlier awards of its qualification (首次, rulings R4; top-ups, R5).
3. ``lead`` facts for every claim to lead a standard. Join: two on one standard number
   (第十三条: the earliest names the lead).
4. ``live`` facts for candidates nothing refused. Join: two of one qualification
   (就高不就低, 第二十条第(二)项).
5. ``part`` facts for participants still paid, ``unit`` facts for every claim whose own
   unit is a Hami unit. Joins: a participant with a Hami unit of another claim on the same
   standard ranked before it, and two participants on one standard (第十三条).

Joins are on equality of interned keys only (durable's inequality joins crashed on Python
3.12): which of two joined facts ranks first is compared in the action.

durable-rules faults contained here: every action runs under a guard that records its
exception (durable would swallow it into the session state, whose ``exception`` field is
checked too); a disjunction fires once per satisfied branch, so findings are recorded
once (and no rule negates a whole kind's conditions: its branches would number
thousands); the host's two self-rearming timer threads are never started; the process
ends with ``os._exit`` when stdin closes.

Protocol: one JSON request per line on stdin, one JSON response per line on the original
stdout; fd 1 is pointed at stderr first, so nothing durable prints corrupts the stream.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import signal
import sys
import time
import traceback
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from importlib.metadata import version
from typing import Any, BinaryIO, NamedTuple

PROTOCOL = 1

Fact = dict[str, Any]
Expr = dict[str, Any]
Message = Mapping[str, Mapping[str, Any]]
Handler = Callable[["_Batch", Message], None]

# Where each kind of step sits in a trace: the order of the native engine's steps.
_VALIDITY, _ELIGIBILITY, _AUTHORSHIP, _MATCH, _AMOUNT, _FIRST_TIME = 0, 1, 2, 3, 4, 5
_EXCLUSION, _BAN, _EARLIER = 10, 100_000, 100_001
_LEAD, _HIGHEST, _PARTICIPANT = 100_002, 100_003, 100_004

_ORDERED = {"lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}
_NEGATED = {"$lt": "$gte", "$lte": "$gt", "$gt": "$lte", "$gte": "$lt"}
_SOFT = frozenset({"top_up", "superseded_by_higher"})
#: A step of a claim's trace as the worker records it: (order of its rule, order noted,
#: the step, its reason or None, the articles it adds to the decision).
_Event = tuple[int, int, Fact, str | None, tuple[str, ...]]
# The (step, rule) the native engine names its steps by, where one rule of its stands for
# several of durable's (in force or not, eligible or not, each role).
_VALID = ("validity", "measures.in_force")
_ELIGIBLE = ("eligibility", "applicant.eligible")
_AUTHORED = ("authorship", "standard.authorship")
_NOT_BANNED = ("ban", "applicant.not_banned")
_ONE_PARTICIPANT = ("authorship", "standard.one_participant")
_ONE_LEAD = ("authorship", "standard.one_lead")

# A trace's messages are the native engine's: its (zh, en) templates come with the rule
# set as data (``program["texts"]``, qfund_rules/_texts.py), formatted here with the values
# this module worked out itself. A value given as a (zh, en) pair is one per language.


def say(texts: Mapping[str, Sequence[str]], key: str, values: Mapping[str, object]) -> list[str]:
    """The (zh, en) messages of template ``key`` formatted with ``values``."""
    return [
        template.format_map({k: v[lang] if isinstance(v, tuple) else v for k, v in values.items()})
        for lang, template in enumerate(texts[key])
    ]


def wan(yuan: int) -> str:
    """Integer yuan as 万元 for the Chinese messages: 200000 -> '20', 25000 -> '2.5'."""
    sign = "-" if yuan < 0 else ""
    whole, rest = divmod(abs(yuan), 10000)
    return f"{sign}{whole}" if not rest else f"{sign}{whole}.{rest:04d}".rstrip("0")


#: The steps every claim has, one rule of each firing: validity and eligibility.
_CHECKED = ("validity.", "eligibility.")


class RuleDataError(Exception):
    """Raised when rule data cannot be compiled into durable-rules conditions."""


class ActionError(Exception):
    """Raised when rule actions failed or the rules contradicted themselves on a batch."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = tuple(errors)
        super().__init__(f"{len(self.errors)} error(s) in durable-rules actions")


# --- conditions: raw `when` data -> durable-rules expressions --------------------------


def fact_key(name: str) -> str:
    """The property a claim fact holds ``name`` under (prefixed: no clash with our own)."""
    return f"f_{name}"


def encode_fact(value: object, spec: Mapping[str, Any]) -> object:
    """A claim's fact value as durable compares it: dates as day ordinals."""
    if value is not None and spec["type"] == "date":
        if not isinstance(value, str):
            raise RuleDataError(f"expected an ISO date, got {value!r}")
        return dt.date.fromisoformat(value).toordinal()
    return value


def _constant(value: object, spec: Mapping[str, Any], where: str) -> object:
    kind = spec["type"]
    if kind == "date":
        if isinstance(value, dict) and set(value) == {"$date"}:
            return dt.date.fromisoformat(str(value["$date"])).toordinal()
        raise RuleDataError(f"{where}: {value!r} is not a date")
    if kind == "bool":
        ok = isinstance(value, bool)
    elif kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "str":
        ok = isinstance(value, str)
    else:
        ok = value in spec["values"]
    if not ok:
        raise RuleDataError(f"{where}: {value!r} does not fit a {kind} fact")
    return value


def _flat(op: str, parts: Sequence[Expr]) -> Expr:
    out: list[Expr] = []
    for part in parts:
        out.extend(part[op] if set(part) == {op} else [part])
    return out[0] if len(out) == 1 else {op: out}


def _and(parts: Sequence[Expr]) -> Expr:
    return _flat("$and", parts)


def _or(parts: Sequence[Expr]) -> Expr:
    return _flat("$or", parts)


def _absent(key: str) -> Expr:
    # durable's $neq and orderings never match a missing property, whereas the condition
    # language of the rule files holds a missing fact unequal to everything.
    return {"$nex": {key: 1}}


def compile_when(
    data: object, facts: Mapping[str, Mapping[str, Any]], *, negate: bool = False, where: str = ""
) -> Expr:
    """Compile a raw ``when`` condition (or its negation) into a durable-rules expression.

    durable has no ``not``: a negation is pushed down to the comparisons (De Morgan), and
    each negated comparison also holds when the fact is missing.
    """
    if not isinstance(data, dict) or not data:
        raise RuleDataError(f"{where}: a condition must be a non-empty mapping, got {data!r}")
    keys = set(data)
    if keys in ({"all"}, {"any"}):
        (op,) = keys
        parts = data[op]
        if not isinstance(parts, list) or not parts:
            raise RuleDataError(f"{where}.{op}: expected a non-empty list")
        compiled = [
            compile_when(p, facts, negate=negate, where=f"{where}.{op}[{i}]")
            for i, p in enumerate(parts)
        ]
        return _and(compiled) if (op == "all") != negate else _or(compiled)
    if keys == {"not"}:
        return compile_when(data["not"], facts, negate=not negate, where=f"{where}.not")
    name = data.get("fact")
    if len(keys) != 2 or not isinstance(name, str) or name not in facts:
        raise RuleDataError(f"{where}: not a comparison of a known fact: {data!r}")
    (op,) = keys - {"fact"}
    spec, key, value = facts[name], fact_key(name), data[op]
    if op in ("eq", "ne"):
        const = _constant(value, spec, where)
        if (op == "eq") != negate:
            return {key: const}
        return _or([_absent(key), {"$neq": {key: const}}])
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            raise RuleDataError(f"{where}: '{op}' needs a non-empty list")
        consts = [_constant(v, spec, where) for v in value]
        if (op == "in") != negate:
            return _or([{key: c} for c in consts])
        return _or([_absent(key), _and([{"$neq": {key: c}} for c in consts])])
    if spec["type"] not in ("int", "date"):
        raise RuleDataError(f"{where}: fact {name!r} cannot be ordered")
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise RuleDataError(f"{where}: 'between' needs [FROM, TO]")
        low, high = (_constant(v, spec, where) for v in value)
        if not negate:
            return _and([{"$gte": {key: low}}, {"$lte": {key: high}}])
        return _or([_absent(key), {"$lt": {key: low}}, {"$gt": {key: high}}])
    if op not in _ORDERED:
        raise RuleDataError(f"{where}: unknown operator {op!r}")
    const, durable_op = _constant(value, spec, where), _ORDERED[op]
    if not negate:
        return {durable_op: {key: const}}
    return _or([_absent(key), {_NEGATED[durable_op]: {key: const}}])


# --- conditions read in plain Python, for the match steps' facts and messages -----------
#
# durable decides which items match (the item rules above); what a match step shows, the
# facts the condition reads and, for an item not matched, the parts of it that do not
# hold, is read here from the same raw data, and checked against what durable found.


def reads(data: object) -> list[str]:
    """The facts a raw condition reads, in first-use order."""
    seen: dict[str, None] = {}

    def walk(d: object) -> None:
        if not isinstance(d, dict):
            return
        if "fact" in d:
            seen.setdefault(str(d["fact"]), None)
        for key in ("all", "any"):
            for part in d.get(key) or ():
                walk(part)
        if "not" in d:
            walk(d["not"])

    walk(data)
    return list(seen)


def _plain(value: object) -> object:
    """A constant of raw condition data as Python compares it: tagged dates as dates."""
    if isinstance(value, dict) and set(value) == {"$date"}:
        return dt.date.fromisoformat(str(value["$date"]))
    return value


def _holds(data: Mapping[str, Any], facts: Mapping[str, object]) -> bool:
    """Whether a raw condition holds for ``facts`` (a missing fact equals nothing)."""
    if "all" in data:
        return all(_holds(p, facts) for p in data["all"])
    if "any" in data:
        return any(_holds(p, facts) for p in data["any"])
    if "not" in data:
        return not _holds(data["not"], facts)
    (op,) = set(data) - {"fact"}
    got: Any = facts.get(data["fact"])
    value: Any = data[op]
    if op == "eq":
        return bool(got == _plain(value))
    if op == "ne":
        return bool(got != _plain(value))
    if op in ("in", "not_in"):
        inside = any(got == _plain(v) for v in value)
        return inside if op == "in" else not inside
    if got is None:
        return False
    if op == "between":
        return bool(_plain(value[0]) <= got <= _plain(value[1]))
    const: Any = _plain(value)
    return bool({"lt": got < const, "le": got <= const, "gt": got > const, "ge": got >= const}[op])


_SYMBOLS = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥"}


def _describe(data: Mapping[str, Any]) -> str:
    """A raw condition in words, as the rule files' readers write it: ``level = national``."""
    for op, joint in (("all", " and "), ("any", " or ")):
        if op in data:
            return joint.join(_grouped(p) for p in data[op])
    if "not" in data:
        return f"not {_grouped(data['not'])}"
    name = data["fact"]
    (op,) = set(data) - {"fact"}
    value = data[op]
    if op in ("in", "not_in"):
        shown = ", ".join(sorted({str(_plain(v)) for v in value}))
        return f"{name} {'in' if op == 'in' else 'not in'} [{shown}]"
    if op == "between":
        return f"{_plain(value[0])} ≤ {name} ≤ {_plain(value[1])}"
    return f"{name} {_SYMBOLS[op]} {_plain(value)}"


def _grouped(data: Mapping[str, Any]) -> str:
    text = _describe(data)
    parts = data.get("all") or data.get("any") or ()
    return f"({text})" if len(parts) > 1 else text


def unmet(data: Mapping[str, Any] | None, facts: Mapping[str, object]) -> list[str]:
    """The parts of a raw condition that do not hold for ``facts``, in words."""
    if data is None or _holds(data, facts):
        return []
    if "all" in data:
        return [text for part in data["all"] for text in unmet(part, facts)]
    return [_describe(data)]


def _is(t: str, *more: Expr) -> Expr:
    return _and([{"t": t}, *more])


def _one(t: str, *more: Expr) -> list[Expr]:
    """A single-fact rule over facts of type ``t``."""
    return [{"m": _is(t, *more)}]


def _has_or(expr: object) -> bool:
    if isinstance(expr, dict):
        return "$or" in expr or any(_has_or(v) for v in expr.values())
    return isinstance(expr, list) and any(_has_or(v) for v in expr)


def _join(left: Expr, right: Expr, key: str) -> list[Expr]:
    """A two-fact Rete join on equality of ``key`` (never an inequality: see the module).

    durable drops the join test of a condition whose ``$or`` comes before it (every
    claim then joins every fact), so joined conditions are kept free of disjunctions.
    """
    if _has_or(left) or _has_or(right):
        raise RuleDataError(f"a joined condition may not hold a disjunction: {right!r}")
    return [{"x": left}, {"y": _and([right, {key: {"x": key}}])}]


# --- dates, amounts and authorship, worked out here independently ----------------------


def in_force(validity: Mapping[str, Any]) -> tuple[dt.date, dt.date]:
    """第二十八条, rulings R2: publication + N days, for Y years, last day included."""
    days = dt.timedelta(days=int(validity["starts_after_days"]))
    start = dt.date.fromisoformat(validity["published_on"]) + days
    year = start.year + int(validity["years"])
    try:
        anniversary = start.replace(year=year)
    except ValueError:  # from 29 February: the anniversary falls on 28 February
        anniversary = start.replace(year=year, day=28)
    return start, anniversary - dt.timedelta(days=1)


def _amount_on(amounts: Sequence[tuple[int, int]], day: int) -> tuple[int | None, int]:
    """The dated amount in force on ``day`` (ordinals): (its from day, yuan); (None, 0)
    before the first dated value."""
    found: tuple[int | None, int] = (None, 0)
    for since, yuan in amounts:
        if since <= day and (found[0] is None or since >= found[0]):
            found = (since, yuan)
    return found


def _fold(name: str) -> str:
    # rulings R7: names compared after NFKC (（ equals (), whitespace ignored.
    return "".join(unicodedata.normalize("NFKC", name).split())


Authorship = tuple[str, bool | None, int | None, int | None, bool, dict[str, Any]]


def authorship(
    applicant: Mapping[str, Any],
    units: Sequence[Mapping[str, Any]] | None,
    lead_proof: bool,
    prefixes: Sequence[str],
    policy: str,
) -> Authorship:
    """Rulings R7: (role, foremost Hami participant?, place in the 前言 (0: the lead), the
    foremost Hami unit's place, whether the applicant's own unit is a Hami unit, and the
    facts that show which units are Hami units and why: for a participant, and for the
    lead when a Hami lead takes the participation award's place)."""
    if not units:
        return ("lead" if lead_proof else "unproven"), None, None, None, False, {}

    def code(i: int) -> str | None:
        unit = units[i]
        return unit.get("region") or (unit["uscc"][2:8] if unit.get("uscc") else None)

    def why(i: int, own: bool) -> str | None:
        """What makes unit ``i`` a Hami unit, or None when it is not one."""
        unit, region = units[i], code(i)
        if unit.get("hami"):
            return "hami"
        if region:
            hit = str(region).startswith(tuple(prefixes))
            return ("uscc" if unit.get("uscc") else "region") if hit else None
        # A unit printed without a code: its own applicant's region.
        home = applicant.get("region")
        return "applicant" if own and home and str(home).startswith(tuple(prefixes)) else None

    def hami(i: int, own: bool) -> bool:
        return why(i, own) is not None

    def shown(position: int) -> dict[str, Any]:
        found = []
        for i in range(len(units)):
            by = why(i, i == position)
            if by is not None:
                entry: dict[str, Any] = {"by": by, "position": i + 1}
                if by == "applicant":
                    entry["region"] = applicant.get("region")
                found.append(entry)
        return {"unit_regions": [code(i) for i in range(len(units))], "hami_units": found}

    position = None
    for i, unit in enumerate(units):
        if applicant.get("uscc") and unit.get("uscc"):
            hit = unit["uscc"] == applicant["uscc"]
        else:
            hit = _fold(str(unit["name"])) == _fold(str(applicant["name"]))
        if hit:
            position = i
            break
    if position is None:
        return "none", None, None, None, False, {}
    own = hami(position, own=True)
    if position == 0:
        return "lead", None, 0, None, own, shown(0) if policy == "foremost_overall" else {}
    first = 1 if policy == "foremost_after_lead" else 0
    foremost = next((i for i in range(first, len(units)) if hami(i, i == position)), None)
    return "participant", foremost == position, position, foremost, own, shown(position)


# --- one batch under evaluation --------------------------------------------------------


class _Claim:
    """A claim's data and what the rules found about it."""

    def __init__(
        self,
        index: int,
        data: Mapping[str, Any],
        applicant: Mapping[str, Any],
        texts: Mapping[str, Sequence[str]],
    ) -> None:
        self.index, self.data, self.applicant, self.texts = index, data, applicant, texts
        self.id: str = data["id"]
        self.achieved = dt.date.fromisoformat(data["achieved_on"])
        self.submitted = dt.date.fromisoformat(data["submitted_on"])
        self.rank = 0
        self.role: str | None = None
        self.matches: set[str] = set()
        self.item: Mapping[str, Any] | None = None
        self.amount = 0
        self.duplicate_of: _Claim | None = None
        self.first_time_earlier: dict[int, str] = {}
        self.prior: dict[int, Mapping[str, Any]] = {}
        self.beaten_by: _Claim | None = None
        self.paid_to: _Claim | None = None
        self.position: int | None = None  # a standard claim's place in the 前言 (0: the lead)
        self.hami_unit = False
        self.hami_facts: dict[str, Any] = {}  # which drafting units are Hami units, and why
        self.listed: list[int] = []  # the credit listings that apply (第十七条(二))
        self.banned: list[int] = []  # the bans the claim was submitted in (第二十四条)
        # The foremost Hami unit another claim on the standard shows before this one, and
        # that claim.
        self.foremost_elsewhere: tuple[int, _Claim] | None = None
        self.rivals: list[_Claim] = []
        self.lead_rivals: list[_Claim] = []  # the other claims to lead its standard
        self.superseded = False
        self.seen: set[tuple[object, ...]] = set()
        self.excluded: set[str] = set()  # the cases of 第十七条 found, but listings, duplicates
        self.undeclared = False  # 首次 not declared, for an item that pays only a first time
        self.events: list[_Event] = []

    def once(self, *key: object) -> bool:
        """True the first time ``key`` is seen: a disjunction fires once per branch."""
        if key in self.seen:
            return False
        self.seen.add(key)
        return True

    def note(
        self,
        order: int,
        step: str,
        rule: str,
        citation: str,
        facts: Mapping[str, Any],
        reason: str | None = None,
        *,
        text: str | None = None,
        result: str | None = None,
        cite: bool = False,
        words: Mapping[str, object] | None = None,
        messages: Sequence[str] | None = None,
        also_cite: Sequence[str] = (),
    ) -> None:
        """Record a step of the trace as the native engine writes it (``step``, ``rule``,
        ``citation``, ``result``, ``facts``, messages), and its reason and citation (then
        ``also_cite``, articles the decision rests on beside the step's own).

        Its messages are ``messages`` (zh, en) when given, else the template ``text``
        formatted with the facts and ``words``.
        """
        if messages is None:
            assert text is not None
            messages = say(self.texts, text, {**facts, **(words or {})})
        zh, en = messages
        trace = {
            "step": step,
            "rule": rule,
            "citation": citation,
            "result": result or ("fail" if reason else "pass"),
            "facts": dict(facts),
            "message_zh": zh,
            "message_en": en,
        }
        shown = (citation, *also_cite) if reason is not None or cite else ()
        self.events.append((order, len(self.events), trace, reason, shown))

    def refused(self) -> bool:
        """Whether a reason other than a top-up or a supersession was found."""
        return any(r is not None and r not in _SOFT for _, _, _, r, _ in self.events)

    def _no_top_up(self, event: _Event) -> _Event:
        """The top-up step of a claim refused after it, as the step of a claim refused
        before it: ``skip``, no reason, no article."""
        order, n, trace, _, _ = event
        paid = int(trace["facts"]["earlier_yuan"])
        words = {**trace["facts"], "earlier": (wan(paid), paid)}
        zh, en = say(self.texts, "same_qualification.no_top_up", words)
        return (order, n, {**trace, "result": "skip", "message_zh": zh, "message_en": en}, None, ())

    def decision(self) -> Fact:
        events = sorted(self.events, key=lambda e: (e[0], e[1]))
        reasons = list(dict.fromkeys(e[3] for e in events if e[3] is not None))
        citations = list(dict.fromkeys(c for e in events for c in e[4]))
        hard = [r for r in reasons if r not in _SOFT]
        if hard and "top_up" in reasons:
            # A top-up is a way of paying (rulings R5): refused after its step (a rule of
            # the later rounds), the claim gets none, and its step says so.
            events = [self._no_top_up(e) if e[3] == "top_up" else e for e in events]
            reasons = [r for r in reasons if r != "top_up"]
            citations = list(dict.fromkeys(c for e in events for c in e[4]))
        outcome = "rejected" if hard else ("superseded" if self.superseded else "awarded")
        return {
            "claim_id": self.id,
            "applicant_id": self.applicant["id"],
            "outcome": outcome,
            "item": None if self.item is None else self.item["id"],
            "amount_yuan": self.amount if outcome == "awarded" else 0,
            "reasons": reasons,
            "citations": citations,
            "trace": [e[2] for e in events],
        }


class _Batch:
    """The state of one evaluation: claims by index, keys interned, errors collected."""

    def __init__(self, job: Mapping[str, Any], texts: Mapping[str, Sequence[str]]) -> None:
        applicants = {a["id"]: a for a in job["batch"]["applicants"]}
        claims = job["batch"]["claims"]
        self.claims = [
            _Claim(i, c, applicants[c["applicant"]], texts) for i, c in enumerate(claims)
        ]
        # Whether the history came from a ledger: without one, none was looked at.
        self.ledger = bool(job["history"]["ledger"])
        # Ties everywhere are broken by submitted_on, then claim id (rulings R5).
        for rank, claim in enumerate(sorted(self.claims, key=lambda c: (c.submitted, c.id))):
            claim.rank = rank
        self.applicant_index = {a_id: i for i, a_id in enumerate(applicants)}
        self.listings = [
            (self.applicant_index[a["id"]], listing)
            for a in applicants.values()
            for listing in a["credit_listings"]
        ]
        self.prior: list[Mapping[str, Any]] = job["history"]["prior"]
        self.bans: list[Mapping[str, Any]] = job["history"]["bans"]
        # 第十三条 across rounds: per standard number, the earliest standing lead award of
        # an earlier round (the lowest round; of one round, the first listed).
        self.earlier_leads: dict[str, Mapping[str, Any]] = {}
        for award in job["history"].get("leads", ()):
            held = self.earlier_leads.get(award["subject"])
            if held is None or award["round"] < held["round"]:
                self.earlier_leads[award["subject"]] = award
        self.keys: dict[tuple[object, ...], int] = {}
        self.errors: list[str] = []

    def key(self, *parts: object) -> int:
        """A small integer standing for a composite key: durable joins on it."""
        return self.keys.setdefault(parts, len(self.keys))

    def claim(self, fact: Mapping[str, Any]) -> _Claim:
        return self.claims[int(fact["ci"])]


def _listing_order(x: Mapping[str, Any]) -> tuple[str, str, str]:
    """Listings in the native engine's order: by list, from, until (still listed last)."""
    return (x["list"], x["from"], x["until"] or "9999-12-31")


def _ordinal(iso: str) -> int:
    return dt.date.fromisoformat(iso).toordinal()


class _ClaimCheck(NamedTuple):
    """A case of 第十七条 read from the claim alone: its rule's condition on the claim
    fact, and the fact its step shows, by name and as read from the claim's data."""

    when: Expr
    shown: str
    read: Callable[[_Claim], object]


# The cases of 第十七条 read from the claim alone, by check: _exclusion_rules compiles
# ``when``, _settle_exclusions shows ``shown``. The credit listings (a join) and the
# duplicates (round two) are not here.
_CLAIM_CHECKS: Mapping[str, _ClaimCheck] = {
    "industrial_policy": _ClaimCheck(
        {"industrial_policy": "violates"},
        "review.industrial_policy",
        lambda c: c.data["review"]["industrial_policy"],
    ),
    "unlicensed": _ClaimCheck({"licensed": False}, "licensed", lambda c: c.applicant["licensed"]),
    "other_support": _ClaimCheck(
        {"$gt": {"other_support": 0}},
        "other_support",
        lambda c: list(c.data["other_support"]),
    ),
    "unrelated": _ClaimCheck(
        {"related_to_quality": False},
        "review.related_to_quality",
        lambda c: c.data["review"]["related_to_quality"],
    ),
    "other_violation": _ClaimCheck(
        {"other_violation": True},
        "review.other_violation",
        lambda c: c.data["review"]["other_violation"],
    ),
}


# --- the compiled rule set -------------------------------------------------------------


def new_host() -> Any:
    """A durable host whose two self-rearming timer threads are never started."""
    from durable import engine as durable_engine  # noqa: PLC0415 - only ever in the worker

    class QuietHost(durable_engine.Host):  # type: ignore[misc]
        """durable.engine.Host without ``_run``: actions are driven synchronously here."""

        def _run(self) -> None:
            return None

    return QuietHost()


class Engine:
    """One rule set compiled into one durable ruleset (its name unique in the process)."""

    def __init__(self, program: Mapping[str, Any], host: Any, name: str) -> None:
        self.program, self.host, self.name = program, host, name
        self.current: _Batch | None = None
        self.stray: list[str] = []
        self.sessions = 0
        self.start, self.until = in_force(program["validity"])
        self.items = {i["id"]: i for i in program["items"]}
        self.amounts = {
            i["id"]: [(_ordinal(d), int(y)) for d, y in i["amounts"]] for i in program["items"]
        }
        # Each kind's items in the rule file's order, and the facts each item's condition
        # reads (its match steps show them).
        self.by_kind: dict[str, list[Mapping[str, Any]]] = {}
        for item in program["items"]:
            self.by_kind.setdefault(item["kind"], []).append(item)
        self.reads = {i["id"]: reads(i["when"]) for i in program["items"]}
        self.scope = program["first_time"]["scope"]
        self.texts: Mapping[str, Sequence[str]] = program["texts"]
        # What 首次 looks for (rulings R4), as its messages name it.
        self.scope_words = tuple(self.texts[f"first_time.scope.{self.scope}"])
        # The 第十七条(二) case, when there is one.
        self.credit: Mapping[str, Any] | None = next(
            (ex for ex in program["exclusions"] if ex["check"] == "credit_listing"), None
        )
        self.handlers: dict[str, Handler] = {}
        rules: dict[str, Fact] = {}
        for rule, when, handler in self._rules():
            if rule in rules:
                raise RuleDataError(f"rule {rule!r} defined twice")
            self.handlers[rule] = handler
            rules[rule] = {"all": when, "run": self._action(rule)}
        self.definition = rules
        host.register_rulesets({name: rules})

    def _action(self, rule: str) -> Callable[[Any], None]:
        def action(c: Any) -> None:
            batch = self.current
            if batch is None:
                self.stray.append(rule)
                return
            try:
                self.handlers[rule](batch, c._m)
            except BaseException:  # durable would swallow it into the session state
                batch.errors.append(f"rule {rule}: {traceback.format_exc(limit=6)}")

        return action

    def _rules(self) -> list[tuple[str, list[Expr], Handler]]:
        p = self.program
        on, start, until = fact_key("achieved_on"), self.start.toordinal(), self.until.toordinal()
        types = [{"org_type": t} for t in p["eligibility"]["org_types"]]
        regions = [{"region": r} for r in p["eligibility"]["regions"]]
        refused = _or([
            _and([{"$neq": {"org_type": t["org_type"]}} for t in types]),
            _and([{"$neq": {"region": r["region"]}} for r in regions]),
            _absent("region"),
        ])  # fmt: skip
        validity, elig = p["validity"]["citation"], p["eligibility"]["citation"]
        role = fact_key("role")
        rules: list[tuple[str, list[Expr], Handler]] = [
            (
                "validity.in_force",
                _one("claim", {"$gte": {on: start}}, {"$lte": {on: until}}),
                self._finding(_VALIDITY, "validity.in_force", _VALID, validity, None, self._dates),
            ),
            (
                "validity.outside",
                _one("claim", _or([{"$lt": {on: start}}, {"$gt": {on: until}}])),
                self._finding(
                    _VALIDITY, "validity.outside", _VALID, validity, "outside_validity",
                    self._dates,
                ),
            ),
            (
                "eligibility.may_apply",
                _one("claim", _or(types), _or(regions)),
                self._finding(_ELIGIBILITY, "eligibility.may_apply", _ELIGIBLE, elig, None,
                              self._who, self._may_apply),
            ),
            (
                "eligibility.refused",
                _one("claim", refused),
                self._finding(
                    _ELIGIBILITY, "eligibility.refused", _ELIGIBLE, elig, "not_eligible_applicant",
                    self._who, self._refused,
                ),
            ),
        ]  # fmt: skip
        cite13 = p["participation"]["citation"]
        for name, expr, reason in (
            ("lead", {role: "lead"}, None),
            ("foremost_participant", _and([{role: "participant"}, {"foremost": True}]), None),
            (
                "other_participant",
                _and([{role: "participant"}, {"foremost": False}]),
                "not_foremost_hami_participant",
            ),
            ("not_drafting_unit", {role: "none"}, "not_drafting_unit"),
            ("lead_proof_missing", {role: "unproven"}, "lead_proof_missing"),
        ):
            rule = f"authorship.{name}"
            handler = self._finding(
                _AUTHORSHIP, rule, _AUTHORED, cite13, reason, self._role, self._role_words
            )
            rules.append((rule, _one("claim", expr), handler))
        # No "no item" rule: the negation of a kind's conditions expands (durable works in
        # disjunctive normal form) into thousands of branches, each firing on its own. That
        # no item rule fired is read once round one is over.
        for item in p["items"]:
            facts = p["kinds"].get(item["kind"])
            if facts is None:
                raise RuleDataError(f"item {item['id']}: unknown kind {item['kind']!r}")
            exprs = [{"kind": item["kind"]}]
            if item["when"] is not None:
                exprs.append(compile_when(item["when"], facts, where=f"items.{item['id']}.when"))
            rules.append((f"item.{item['id']}", _one("claim", *exprs), self._match(item["id"])))
        rules.extend(self._exclusion_rules())
        claim, cand, live, part = {"t": "claim"}, {"t": "cand"}, {"t": "live"}, {"t": "part"}
        lead = {"t": "lead"}
        rules += [
            ("ban.active", _join(claim, {"t": "ban"}, "ak"), self._ban),
            ("first_time.undeclared", _one("cand", {"ft": True}, {"decl": False}),
             self._undeclared),
            (
                "first_time.earlier_award",
                _join(_is("cand", {"ft": True}), {"t": "prior"}, "fk"),
                self._first_time_earlier,
            ),
            ("same_qualification.earlier_award", _join(cand, {"t": "prior"}, "qk"), self._earlier),
            ("same_qualification.highest", _join(live, live, "qk"), self._highest),
            ("authorship.foremost_elsewhere", _join(part, {"t": "unit"}, "sk"),
             self._foremost_elsewhere),
            ("authorship.one_participant", _join(part, part, "sk"), self._one_paid),
            ("authorship.one_lead", _join(lead, lead, "lk"), self._one_lead),
        ]  # fmt: skip
        return rules

    def _exclusion_rules(self) -> list[tuple[str, list[Expr], Handler]]:
        rules: list[tuple[str, list[Expr], Handler]] = []
        for ex in self.program["exclusions"]:
            rule, check = f"exclusion.{ex['code']}", ex["check"]
            if check in _CLAIM_CHECKS:
                when = _one("claim", _CLAIM_CHECKS[check].when)
                rules.append((rule, when, self._excluded(ex["code"])))
            elif check == "credit_listing":
                # One rule per list: a disjunction would break the join (see _join).
                found = self._credit(rule, ex)
                for name in ex["lists"] or ():
                    when = _join({"t": "claim"}, _is("listing", {"list": name}), "app")
                    rules.append((f"{rule}.{name}", when, found))
            elif check == "duplicate_claim":
                rules.append((rule, _join({"t": "cand"}, {"t": "cand"}, "dk"), self._duplicate))
            else:
                raise RuleDataError(f"exclusion {ex['code']}: unknown check {check!r}")
        return rules

    # -- actions: each records what its rule found, once --------------------------------

    def _finding(
        self,
        order: int,
        rule: str,
        shown: tuple[str, str],
        citation: str,
        reason: str | None,
        read: Callable[[_Claim, Mapping[str, Any]], dict[str, Any]],
        speak: Callable[[_Claim, Mapping[str, Any]], Sequence[str]] | None = None,
    ) -> Handler:
        """A single-fact rule's action: one trace step, named as the native engine names
        it (``shown``: its step and rule), with the rule's reason if any.

        Its messages are what ``speak`` says, else the template named as the rule.
        """
        step, name = shown

        def handler(b: _Batch, m: Message) -> None:
            c, fact = b.claim(m["m"]), m["m"]
            if c.once(rule):
                messages = None if speak is None else speak(c, fact)
                c.note(order, step, name, citation, read(c, fact), reason, text=rule,
                       messages=messages)  # fmt: skip

        return handler

    def _excluded(self, code: str) -> Handler:
        """A case of 第十七条 read from the claim alone: noted, its step written once the
        round is over (_settle_exclusions), as is the step of every case not found."""

        def handler(b: _Batch, m: Message) -> None:
            b.claim(m["m"]).excluded.add(code)

        return handler

    def _dates(self, c: _Claim, fact: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "achieved_on": c.data["achieved_on"],
            "effective_from": self.start.isoformat(),
            "effective_until": self.until.isoformat(),
        }

    def _who(self, c: _Claim, fact: Mapping[str, Any]) -> dict[str, Any]:
        return {"org_type": c.applicant["org_type"], "region": c.applicant["region"]}

    def _may_apply(self, c: _Claim, fact: Mapping[str, Any]) -> Sequence[str]:
        elig, a = self.program["eligibility"], c.applicant
        names = {
            "type": tuple(elig["org_type_names"][a["org_type"]]),
            "place": tuple(elig["region_names"][a["region"]]),
            "region": a["region"],
        }
        return say(self.texts, "eligibility.may_apply", names)

    def _refused(self, c: _Claim, fact: Mapping[str, Any]) -> Sequence[str]:
        """第四条's failing parts: the type (a near miss shown as such), the region."""
        elig, a = self.program["eligibility"], c.applicant
        parts = []
        if a["org_type"] not in elig["org_types"]:
            close = difflib.get_close_matches(a["org_type"], elig["org_types"], n=1, cutoff=0.75)
            hint = (
                tuple(say(self.texts, "eligibility.hint", {"close": close[0]}))
                if close
                else ("", "")
            )
            parts.append(
                say(self.texts, "eligibility.type", {"org_type": a["org_type"], "hint": hint})
            )
        if a["region"] not in elig["regions"]:
            parts.append(say(self.texts, "eligibility.region", {"region": a["region"]}))
        joins = self.texts["eligibility.join"]
        return [joins[lang].join(p[lang] for p in parts) for lang in (0, 1)]

    def _role_words(self, c: _Claim, fact: Mapping[str, Any]) -> Sequence[str]:
        """The messages of the claim's authorship (rulings R7), by its role and places."""
        role, position = fact[fact_key("role")], fact.get("position")
        words: dict[str, object] = {"position": position}
        if role == "lead":
            key = "authorship.lead_proof" if position is None else "authorship.lead"
        elif role == "unproven":
            key = "authorship.lead_proof_missing"
        elif role == "none":
            key = "authorship.not_drafting_unit"
        elif fact.get("foremost"):
            key = "authorship.foremost_participant"
        elif fact.get("foremost_position") is None:
            key = "authorship.no_hami_unit"
        else:
            key, words["foremost"] = "authorship.other_participant", fact["foremost_position"]
        return say(self.texts, key, words)

    def _role(self, c: _Claim, fact: Mapping[str, Any]) -> dict[str, Any]:
        """The authorship step's facts, in the native engine's order: the 前言's units, the
        proof, the policy; the applicant's place and, where they decide, which units are
        Hami units and the foremost one's place; a lead's lead policy; the role."""
        units = c.data["drafting_units"] or []
        role = fact[fact_key("role")]
        facts: dict[str, Any] = {
            "drafting_units": [u["name"] for u in units],
            "lead_proof": bool(c.data["lead_proof"]),
            "participation_policy": self.program["participation"]["policy"],
        }
        if units:
            facts["position"] = fact.get("position")
            facts.update(c.hami_facts)
            if role == "participant":
                facts["foremost_hami_position"] = fact.get("foremost_position")
        if role == "lead":
            facts["lead_policy"] = self.program["lead"]["policy"]
        facts["role"] = role
        return facts

    def _match(self, item_id: str) -> Handler:
        def handler(b: _Batch, m: Message) -> None:
            c = b.claim(m["m"])
            if c.once("item", item_id):
                c.matches.add(item_id)

        return handler

    def _credit(self, rule: str, ex: Mapping[str, Any]) -> Handler:
        def handler(b: _Batch, m: Message) -> None:
            c, listing = b.claim(m["x"]), m["y"]
            on = c.submitted.toordinal()
            # The listing's window is tested here: durable's inequality joins are not used.
            if listing["from"] > on or ("until" in listing and on > listing["until"]):
                return
            li = int(listing["li"])
            if c.once(rule, li):  # every listing that applies: _settle_exclusions
                c.listed.append(li)

        return handler

    def _duplicate(self, b: _Batch, m: Message) -> None:
        first, later = b.claim(m["x"]), b.claim(m["y"])
        if first.rank < later.rank and (
            later.duplicate_of is None or first.rank < later.duplicate_of.rank
        ):
            later.duplicate_of = first

    def _ban(self, b: _Batch, m: Message) -> None:
        c, ban = b.claim(m["x"]), m["y"]
        on = c.submitted.toordinal()
        bi = int(ban["bi"])
        if ban["found"] <= on < ban["until"] and c.once("ban.active", bi):
            c.banned.append(bi)  # every ban the claim falls in: _settle_ban

    def _undeclared(self, b: _Batch, m: Message) -> None:
        c = b.claim(m["m"])
        c.undeclared = True

    def _first_time_earlier(self, b: _Batch, m: Message) -> None:
        prior = int(m["y"]["pi"])
        b.claim(m["x"]).first_time_earlier[prior] = str(b.prior[prior]["claim_id"])

    def _earlier(self, b: _Batch, m: Message) -> None:
        prior = int(m["y"]["pi"])
        b.claim(m["x"]).prior[prior] = b.prior[prior]

    def _highest(self, b: _Batch, m: Message) -> None:
        # 就高不就低: the highest amount wins; ties go to the earlier claim (rulings R5).
        x, y = b.claim(m["x"]), b.claim(m["y"])
        if (-x.amount, x.rank) < (-y.amount, y.rank) and (
            y.beaten_by is None or (-x.amount, x.rank) < (-y.beaten_by.amount, y.beaten_by.rank)
        ):
            y.beaten_by = x

    def _foremost_elsewhere(self, b: _Batch, m: Message) -> None:
        # The foremost unit, shown by the earliest claim when several show it (rulings R5).
        part, unit = b.claim(m["x"]), m["y"]
        shown = (int(unit["pos"]), b.claim(unit))
        best = part.foremost_elsewhere
        if shown[0] < m["x"]["pos"] and (
            best is None or (shown[0], shown[1].rank) < (best[0], best[1].rank)
        ):
            part.foremost_elsewhere = shown

    def _one_paid(self, b: _Batch, m: Message) -> None:
        b.claim(m["y"]).rivals.append(b.claim(m["x"]))

    def _one_lead(self, b: _Batch, m: Message) -> None:
        b.claim(m["y"]).lead_rivals.append(b.claim(m["x"]))

    # -- evaluation --------------------------------------------------------------------

    def evaluate(self, job: Mapping[str, Any]) -> list[Fact]:
        """Decide one batch; raises :class:`ActionError` when any rule action failed."""
        batch = _Batch(job, self.texts)
        self.sessions += 1
        sid = f"s{self.sessions}"
        self.current = batch
        try:
            rounds = (
                (self._claims, self._settle_claim),
                (self._candidates, self._settle_candidate),
                (self._leads, self._settle_lead),
                (self._live, self._settle_live),
                (self._standards, self._settle_participant),
            )
            for make, settle in rounds:
                facts = make(batch)
                for fact in facts:
                    fact["sid"] = sid
                for i in range(0, len(facts), 2000):
                    self.host.assert_facts(self.name, facts[i : i + 2000])
                for claim in batch.claims:  # what the round's rules found, all facts being in
                    settle(batch, claim)
            if len(batch.claims) + len(batch.bans) + len(batch.listings):
                state = self.host.get_state(self.name, sid)
                if state.get("exception"):
                    batch.errors.append(f"durable recorded: {state['exception']}")
        finally:
            self.current = None
            if len(batch.claims) + len(batch.bans) + len(batch.listings):
                self.host.delete_state(self.name, sid)
        if batch.errors or self.stray:
            raise ActionError([*batch.errors, *(f"stray action {s}" for s in self.stray)])
        return [c.decision() for c in batch.claims]

    def _settle_live(self, b: _Batch, c: _Claim) -> None:
        w = c.beaten_by
        if w is None or w.item is None or c.item is None:
            return
        facts = {
            "winner": w.id,
            "winner_item": w.item["id"],
            "winner_amount_yuan": w.amount,
            "amount_yuan": c.amount,
        }
        c.superseded = True
        cite = self.program["same_qualification"]["citation"]
        c.note(_HIGHEST, "same_qualification", c.item["id"], cite, facts, "superseded_by_higher",
               text="same_qualification.superseded", result="superseded")  # fmt: skip

    def _settle_lead(self, b: _Batch, c: _Claim) -> None:
        """第十三条: the 前言 ranks one unit first; of the claims of several applicants to
        lead one standard number, the earliest (R5's order), whatever else is found against
        it, names the applicant who leads; the others' claims are duplicates. Across rounds
        (lead.across_rounds), a standing lead awarded earlier names it before any of them."""
        lead = self.program["lead"]
        # A second claim to the same award: the duplicate case's article too (第十七条第(三)项).
        duplicate = [e["citation"] for e in self.program["exclusions"]
                     if e["check"] == "duplicate_claim"]  # fmt: skip
        earlier = b.earlier_leads.get(c.data["subject"])
        if (
            earlier is not None
            and lead["policy"] == "one_per_standard"
            and lead["across_rounds"]
            and c.role == "lead"
            and c.item is not None
        ):
            # A lead awarded in an earlier round holds the number: its own applicant's claim
            # meets it as an earlier award; any other's is a second claim to it.
            if earlier["key"] == c.applicant["key"]:
                return
            facts = {
                "standard_no": c.data["subject"],
                "lead_claim": earlier["claim_id"],
                "lead_round": earlier["round"],
            }
            c.note(_LEAD, *_ONE_LEAD, lead["citation"], facts, "duplicate_claim",
                   text="authorship.one_lead.earlier", also_cite=duplicate)  # fmt: skip
            return
        held = min((c, *c.lead_rivals), key=lambda x: x.rank)
        if held.applicant["key"] == c.applicant["key"]:
            return
        facts = {"standard_no": c.data["subject"], "lead_claim": held.id}
        c.note(_LEAD, *_ONE_LEAD, lead["citation"], facts, "duplicate_claim",
               text="authorship.one_lead", also_cite=duplicate)  # fmt: skip

    def _settle_participant(self, b: _Batch, c: _Claim) -> None:
        cite = self.program["participation"]["citation"]
        if c.foremost_elsewhere is not None:
            at, shown = c.foremost_elsewhere
            facts = {
                "standard_no": c.data["subject"],
                "foremost_hami_position": at + 1,
                "foremost_hami_claim": shown.id,
            }
            c.note(_PARTICIPANT, *_ONE_PARTICIPANT, cite, facts, "not_foremost_hami_participant",
                   text="authorship.foremost_elsewhere")  # fmt: skip
            return
        # Of the participants at the foremost place, the earliest claim is paid (R5's order).
        order = (c.position, c.rank)
        ahead = [
            x for x in c.rivals if x.foremost_elsewhere is None and (x.position, x.rank) < order
        ]
        c.paid_to = min(ahead, key=lambda x: x.rank, default=None)
        if c.paid_to is not None:
            facts = {"standard_no": c.data["subject"], "paid_to": c.paid_to.id}
            cite = self.program["participation"]["citation"]
            c.note(_PARTICIPANT, *_ONE_PARTICIPANT, cite, facts, "not_foremost_hami_participant",
                   text="authorship.one_participant")  # fmt: skip

    def _claims(self, b: _Batch) -> list[Fact]:
        p = self.program
        facts: list[Fact] = []
        for c in b.claims:
            d, a = c.data, c.applicant
            fact: Fact = {
                "id": f"c{c.index}",
                "t": "claim",
                "ci": c.index,
                "kind": d["kind"],
                "org_type": a["org_type"],
                "licensed": bool(a["licensed"]),
                "app": b.applicant_index[a["id"]],
                "ak": b.key("applicant", a["key"]),
                "industrial_policy": d["review"]["industrial_policy"],
                "related_to_quality": bool(d["review"]["related_to_quality"]),
                "other_violation": d["review"]["other_violation"] is not None,
                "other_support": len(d["other_support"]),
            }
            if a["region"] is not None:
                fact["region"] = a["region"]
            if d["kind"] == "standard":
                prefixes = p["eligibility"]["hami_unit_prefixes"]
                policy = p["participation"]["policy"]
                role, foremost, position, foremost_at, own, c.hami_facts = authorship(
                    a, d["drafting_units"], bool(d["lead_proof"]), prefixes, policy
                )
                c.role = fact[fact_key("role")] = role
                c.position, c.hami_unit = position, own
                shown = {
                    "foremost": foremost,
                    "position": position,
                    "foremost_position": foremost_at,
                }
                fact.update(
                    {k: v + 1 if k != "foremost" else v for k, v in shown.items() if v is not None}
                )
            specs = p["kinds"][d["kind"]]
            for name, value in d["facts"].items():
                encoded = encode_fact(value, specs[name])
                if encoded is not None:
                    fact[fact_key(name)] = encoded
            facts.append(fact)
        # A listing on a list the case does not name is a fact no rule reads, which durable
        # refuses (MessageNotHandledException): it is left out, and shown as other_list.
        lists = set(self.credit["lists"] or ()) if self.credit is not None else set()
        for i, (app, listing) in enumerate(b.listings):
            if listing["list"] not in lists:
                continue
            lf = {"id": f"l{i}", "t": "listing", "li": i, "app": app, "list": listing["list"]}
            lf["from"] = _ordinal(listing["from"])
            if listing["until"]:
                lf["until"] = _ordinal(listing["until"])
            facts.append(lf)
        for i, ban in enumerate(b.bans):
            ak = b.key("applicant", ban["key"])
            found, until = _ordinal(ban["found_on"]), _ordinal(ban["until"])
            facts.append(
                {"id": f"b{i}", "t": "ban", "bi": i, "ak": ak, "found": found, "until": until}
            )
        return facts

    def _settle_claim(self, b: _Batch, c: _Claim) -> None:
        self._settle_exclusions(b, c)
        self._settle_ban(b, c)
        self._settle_item(b, c)

    def _settle_exclusions(self, b: _Batch, c: _Claim) -> None:
        """A step for every case of 第十七条 (the duplicate's in round two), found or not.

        A case is found when its rule fired (for the credit lists, once per listing that
        applies); the step shows the facts the case reads, taken from the claim's data.
        """
        for order, ex in enumerate(self.program["exclusions"]):
            check = ex["check"]
            if check == "duplicate_claim":
                continue  # round two: _settle_candidate
            if check == "credit_listing":
                self._settle_listings(b, c, _EXCLUSION + order, ex)
                continue
            case = _CLAIM_CHECKS[check]
            facts = {case.shown: case.read(c)}
            self._exclusion_step(c, _EXCLUSION + order, ex, facts, ex["code"] in c.excluded)

    def _exclusion_step(
        self,
        c: _Claim,
        order: int,
        ex: Mapping[str, Any],
        facts: Mapping[str, Any],
        hit: bool,
        more: Sequence[str] = ("", ""),
        messages: Sequence[str] | None = None,
    ) -> None:
        """A case's step: its messages (``messages``, else the case applying or not by its
        titles), then ``more``; its code the reason when it applies."""
        if messages is None:
            title = {"title": (ex["title_zh"], ex["title_en"])}
            messages = say(self.texts, "exclusion.applies" if hit else "exclusion.clear", title)
        zh, en = messages[0] + more[0], messages[1] + more[1]
        c.note(order, "exclusion", ex["code"], ex["citation"], facts, ex["code"] if hit else None,
               messages=[zh, en])  # fmt: skip

    def _settle_listings(self, b: _Batch, c: _Claim, order: int, ex: Mapping[str, Any]) -> None:
        """第十七条第(二)项: the listings that apply (their rules fired), and the applicant's
        other listings with why each does not, in the native engine's order: by (list,
        from, until), each mapping's keys sorted."""
        lists = ex["lists"] or ()
        rows = sorted((b.listings[i][1] for i in c.listed), key=_listing_order)
        # The applicant's other listings: why each does not apply, worked out here.
        app, day = b.applicant_index[c.applicant["id"]], c.submitted.isoformat()
        others = []
        for i, (owner, x) in enumerate(b.listings):
            if owner != app or i in c.listed:
                continue
            if x["list"] not in lists:
                why = "other_list"
            elif x["from"] > day:  # ISO dates compare as dates
                why = "starts_after"
            elif x["until"] and x["until"] < day:
                why = "ended_before"
            else:
                b.errors.append(f"claim {c.id}: listing {i} applies but its rule did not fire")
                continue
            others.append({"from": x["from"], "list": x["list"], "until": x["until"],
                           "why": why})  # fmt: skip
        others.sort(key=_listing_order)
        listed = sorted({x["list"] for x in rows})
        facts = {
            "submitted_on": c.data["submitted_on"],
            "listed_on": listed,
            "listings": [{"from": x["from"], "list": x["list"], "until": x["until"]} for x in rows],
            "not_applying": others,
        }
        names = ex.get("list_names") or {}
        more = self._not_applying(day, others, names, bool(rows)) if others else ("", "")
        messages = None
        if rows:
            # The lists it applies by, each by its name (by its code when it has none).
            t = self.texts
            shown = [tuple(names[x]) if x in names else (x, x) for x in listed]
            joins = t["exclusion.listed.join"]
            words = {
                "title": (ex["title_zh"], ex["title_en"]),
                "day": day,
                "lists": tuple(joins[lang].join(n[lang] for n in shown) for lang in (0, 1)),
            }
            messages = say(t, "exclusion.listed", words)
        self._exclusion_step(c, order, ex, facts, bool(rows), more, messages)

    def _settle_ban(self, b: _Batch, c: _Claim) -> None:
        """第二十四条: the bans the claim was submitted in (their rules fired), or none; a
        step of every claim, as in the native engine, with every ban in force."""
        cite = self.program["ban"]["citation"]
        if c.banned:
            bans = [b.bans[i] for i in sorted(c.banned)]
            facts = {
                "submitted_on": c.data["submitted_on"],
                "bans": [
                    {"claim_id": x["claim_id"], "found_on": x["found_on"], "until": x["until"]}
                    for x in bans
                ],
            }
            # Overlapping bans: the last to end says until when (ISO dates sort as dates),
            # and the claims their fraud was found on.
            until = max(x["until"] for x in bans)
            claims = list(dict.fromkeys(x["claim_id"] for x in bans if x["until"] == until))
            if len(claims) == 1:
                text, words = "ban.active", {"until": until, "claim": claims[0]}
            else:
                joins = self.texts["ban.claims.join"]
                joined = (joins[0].join(claims), joins[1].join(claims))
                text, words = "ban.active.several", {"until": until, "claims": joined}
            c.note(_BAN, *_NOT_BANNED, cite, facts, "banned", text=text, words=words)
        else:
            # No ban rule fired: the applicant is not banned (or, without a ledger, no ban
            # was looked for).
            text = "ban.none" if b.ledger else "ban.none.no_ledger"
            facts = {"submitted_on": c.data["submitted_on"], "bans": []}
            c.note(_BAN, *_NOT_BANNED, cite, facts, text=text)

    def _not_applying(
        self,
        day: str,
        listings: Sequence[Mapping[str, Any]],
        names: Mapping[str, Sequence[str]],
        listed: bool,
    ) -> list[str]:
        """What a listing step adds to its message for the listings that do not apply, each
        list by its (zh, en) name in ``names`` (by its code when it has none); the day not
        said again when the applicant is ``listed`` (exclusion.listed has said it)."""
        t = self.texts
        said = []
        for x in listings:
            if x["until"] is None:
                dates = say(t, "exclusion.listing.open", {"start": x["from"]})
            else:
                dates = say(t, "exclusion.listing.dates", {"start": x["from"], "end": x["until"]})
            why = tuple(t[f"exclusion.listing.{x['why']}"])
            name = names.get(x["list"])
            shown = (x["list"], x["list"]) if name is None else tuple(name)
            values = {"list": shown, "dates": tuple(dates), "why": why}
            said.append(say(t, "exclusion.listing", values))
        joins = t["exclusion.listing.join"]
        shown = tuple(joins[lang].join(s[lang] for s in said) for lang in (0, 1))
        if listed:
            return say(t, "exclusion.not_applying.listed", {"listings": shown})
        return say(t, "exclusion.not_applying", {"day": day, "listings": shown})

    def _settle_item(self, b: _Batch, c: _Claim) -> None:
        """A match step for every item of the claim's kind, then the matched item's amount
        (the highest when several match), or why none matches."""
        kind = c.data["kind"]
        # The step rules that fired, each seen once under its own name (``once(rule)``).
        checked = [k[0] for k in c.seen if len(k) == 1 and str(k[0]).startswith(_CHECKED)]
        if len(checked) != 2:
            b.errors.append(f"claim {c.id}: validity and eligibility rules fired {checked}")
        # The claim's facts as the conditions read them (dates as dates), and as shown.
        specs = self.program["kinds"][kind]
        shown: dict[str, Any] = dict(c.data["facts"])
        if c.role is not None:
            shown["role"] = c.role
        plain = {
            k: dt.date.fromisoformat(v) if v is not None and specs[k]["type"] == "date" else v
            for k, v in shown.items()
        }
        day = c.achieved.toordinal()
        for item in self.by_kind.get(kind, ()):
            item_id, when = item["id"], item["when"]
            matched = item_id in c.matches
            if (when is None or _holds(when, plain)) != matched:
                b.errors.append(f"claim {c.id}: item {item_id}'s rule and its condition disagree")
            facts = {name: shown.get(name) for name in self.reads[item_id]}
            title = (item["title_zh"], item["title_en"])
            if matched:
                c.note(_MATCH, "match", item_id, item["citation"], facts, text="match",
                       result="match", words={"title": title})  # fmt: skip
            else:
                unmet_words = {"title": title, "missing": "; ".join(unmet(when, plain))}
                c.note(_MATCH, "match", item_id, item["citation"], facts, text="match.not",
                       result="no_match", words=unmet_words)  # fmt: skip
        if c.matches:
            best = max(c.matches, key=lambda i: (_amount_on(self.amounts[i], day)[1], i))
            c.item = item = self.items[best]
            since, c.amount = _amount_on(self.amounts[best], day)
            facts = {
                "item": best,
                "amount_yuan": c.amount,
                "in_force_from": None if since is None else dt.date.fromordinal(since).isoformat(),
            }
            words: dict[str, object]
            if since is not None:
                text = "amount"
                words = {
                    "title": (item["clause"], item["title_en"]),
                    "amount": (wan(c.amount), c.amount),
                }
            else:  # achieved before the item's first amount: validity fails too
                first = min(d for d, _ in self.amounts[best])
                text = "amount.before_first"
                words = {"title": item["title_en"], "first": dt.date.fromordinal(first).isoformat()}
            c.note(_AMOUNT, "amount", best, item["citation"], facts, text=text, cite=True,
                   words=words)  # fmt: skip
            return
        kinds = self.program["items"]
        articles = sorted({i["citation"].split("条")[0] + "条" for i in kinds if i["kind"] == kind})
        cite = articles[0] if len(articles) == 1 else "第八条"
        rule = "item.none"  # no item rule fired: the absence of activations is the finding
        # Authorship already failed and says why; "no item" would only repeat it.
        if any(order == _AUTHORSHIP and r is not None for order, _, _, r, _ in c.events):
            c.note(_MATCH, "match", rule, cite, {"kind": kind}, text="item.none.authorship",
                   result="fail")  # fmt: skip
        else:
            c.note(_MATCH, "match", rule, cite, {"kind": kind}, "no_matching_item",
                   text="item.none")  # fmt: skip

    def _qualification(self, b: _Batch, c: _Claim, item: Mapping[str, Any]) -> int:
        return b.key("q", c.applicant["key"], item["family"], c.data["subject"])

    def _candidates(self, b: _Batch) -> list[Fact]:
        facts: list[Fact] = []
        for c in b.claims:
            if c.item is None:
                continue
            item, key, subject = c.item, c.applicant["key"], c.data["subject"]
            only = item["id"] if self.scope == "item" else ""
            facts.append(
                {
                    "id": f"k{c.index}",
                    "t": "cand",
                    "ci": c.index,
                    "dk": b.key("d", key, item["id"], subject),
                    "qk": self._qualification(b, c, item),
                    "fk": b.key("f", key, item["family"], subject, only),
                    "ft": bool(item["first_time"]),
                    # Declared unless declared False (a kind without the fact: the ledger
                    # alone decides, rulings R4).
                    "decl": c.data["facts"].get("first_time") is not False,
                }
            )
        for i, row in enumerate(b.prior):
            only = row["item"] if self.scope == "item" else ""
            qk = b.key("q", row["key"], row["family"], row["subject"])
            fk = b.key("f", row["key"], row["family"], row["subject"], only)
            facts.append({"id": f"p{i}", "t": "prior", "pi": i, "qk": qk, "fk": fk})
        return facts

    def _settle_candidate(self, b: _Batch, c: _Claim) -> None:
        # 第十七条第(三)项 for every claim: a claim that matched no item duplicates none.
        for order, ex in enumerate(self.program["exclusions"]):
            if ex["check"] == "duplicate_claim":
                first = None if c.duplicate_of is None else c.duplicate_of.id
                dup = {"duplicate_of": first, "subject": c.data["subject"]}
                self._exclusion_step(c, _EXCLUSION + order, ex, dup, first is not None)
        item = c.item
        if item is None:
            return
        item_id, cite = item["id"], item["citation"]
        if item["first_time"]:
            # Rulings R4: declared (unless the kind has no such fact), and no earlier award
            # in the ledger of the item (scope item) or of the qualification.
            ids = [c.first_time_earlier[k] for k in sorted(c.first_time_earlier)]
            declared = c.data["facts"].get("first_time")
            ft = {"first_time": declared, "scope": self.scope, "earlier_awards": ids}
            scope = {"scope": self.scope_words}
            if c.undeclared:
                c.note(_FIRST_TIME, "first_time", item_id, cite, ft, "not_first_time",
                       text="first_time.undeclared")  # fmt: skip
            elif ids:
                found = {**scope, "ids": ", ".join(ids)}
                c.note(_FIRST_TIME, "first_time", item_id, cite, ft, "not_first_time",
                       text="first_time.earlier_award", words=found)  # fmt: skip
            else:
                text = "first_time.pass" if b.ledger else "first_time.pass.no_ledger"
                c.note(_FIRST_TIME, "first_time", item_id, cite, ft, text=text, words=scope)
        if not c.prior:
            return
        paid = sum(int(r["amount_yuan"]) for r in c.prior.values())
        sq = self.program["same_qualification"]
        facts = {
            "earlier_awards": [str(c.prior[k]["claim_id"]) for k in sorted(c.prior)],
            "earlier_yuan": paid,
            "amount_yuan": c.amount,
            "policy": sq["policy"],
        }
        step, cite = "same_qualification", sq["citation"]
        words: dict[str, object] = {"earlier": (wan(paid), paid)}
        if sq["policy"] == "top_up" and c.amount > paid and c.refused():
            # A top-up is a way of paying (rulings R5): a refused claim gets none.
            c.note(_EARLIER, step, item_id, cite, facts, text="same_qualification.no_top_up",
                   result="skip", words=words)  # fmt: skip
        elif sq["policy"] == "top_up" and c.amount > paid:
            # The step shows the item's amount; the decision grants the difference.
            c.amount -= paid
            words["amount"] = (wan(c.amount), c.amount)
            c.note(_EARLIER, step, item_id, cite, facts, "top_up",
                   text="same_qualification.top_up", result="top_up", words=words)  # fmt: skip
        else:
            c.note(_EARLIER, step, item_id, cite, facts, "already_awarded",
                   text="same_qualification.already_awarded", words=words)  # fmt: skip

    def _live(self, b: _Batch) -> list[Fact]:
        return [
            {"id": f"v{c.index}", "t": "live", "ci": c.index, "qk": self._qualification(b, c, i)}
            for c in b.claims
            if (i := c.item) is not None and not c.refused()
        ]

    def _leads(self, b: _Batch) -> list[Fact]:
        # 第十三条: the claims to lead a standard number, refused or not: the earliest names
        # its lead (allocation.yaml lead.policy), before 就高不就低.
        if self.program["lead"]["policy"] != "one_per_standard":
            return []
        return [
            {"id": f"h{c.index}", "t": "lead", "ci": c.index, "lk": b.key("l", c.data["subject"])}
            for c in b.claims
            if c.role == "lead" and c.item is not None
        ]

    def _standards(self, b: _Batch) -> list[Fact]:
        # 第十三条: the participant paid is the foremost Hami unit over every claim on the
        # standard (a unit printed without a code is Hami only to its own applicant's claim).
        start = 1 if self.program["participation"]["policy"] == "foremost_after_lead" else 0
        facts: list[Fact] = []
        for c in b.claims:
            live = c.item is not None and not c.superseded and not c.refused()
            if c.position is None:
                continue
            sk, pos = b.key("s", c.data["subject"]), c.position
            if c.hami_unit and pos >= start:
                facts.append(
                    {"id": f"u{c.index}", "t": "unit", "ci": c.index, "sk": sk, "pos": pos}
                )
            if live and c.role == "participant":
                facts.append(
                    {"id": f"s{c.index}", "t": "part", "ci": c.index, "sk": sk, "pos": pos}
                )
        return facts


# --- the process ------------------------------------------------------------------------


class Worker:
    """Answers requests; keeps one compiled engine per rule-set sha256 for its lifetime."""

    def __init__(self, host: Any) -> None:
        self.host = host
        self.engines: dict[str, tuple[str, Engine]] = {}
        self.compiled = 0

    def engine(self, program: Mapping[str, Any]) -> Engine:
        """The engine of ``program``, compiled on first use under a process-unique name."""
        sha = str(program["sha256"])
        text = json.dumps(program, sort_keys=True)
        cached = self.engines.get(sha)
        if cached is not None and cached[0] == text:
            return cached[1]
        # A registered ruleset can never be unloaded or replaced: a new one gets a new name.
        self.compiled += 1
        engine = Engine(program, self.host, f"qfund_{sha[:16]}_{self.compiled}")
        self.engines[sha] = (text, engine)
        return engine

    def handle(self, request: Mapping[str, Any]) -> Fact:
        """One response for one request."""
        op = request.get("op")
        if op == "evaluate":
            started = time.perf_counter()
            try:
                engine = self.engine(request["program"])
            except RuleDataError as exc:
                return {"ok": False, "kind": "rules", "message": str(exc), "errors": []}
            try:
                results = [engine.evaluate(job) for job in request["jobs"]]
            except ActionError as exc:
                return {"ok": False, "kind": "actions", "message": str(exc), "errors": exc.errors}
            seconds = time.perf_counter() - started
            return {"ok": True, "ruleset": engine.name, "seconds": seconds, "results": results}
        if op == "ping":
            return {"ok": True}
        # Test hooks: fail the ways durable-rules can, so that containment can be shown.
        if op == "_segfault":
            os.kill(os.getpid(), signal.SIGSEGV)
        if op == "_hang":
            time.sleep(3600)
        return {"ok": False, "kind": "protocol", "message": f"unknown op {op!r}", "errors": []}


def _send(out: BinaryIO, message: Mapping[str, Any]) -> None:
    out.write(json.dumps(message, ensure_ascii=False).encode() + b"\n")
    out.flush()


def main() -> int:
    """Serve requests until stdin closes."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed (by durable or its C code) goes to stderr
    sys.stdout = sys.stderr
    try:
        host = new_host()
        durable_version = version("durable-rules")
    except BaseException as exc:  # an ImportError, a broken build: report it, plainly
        _send(out, {"ready": False, "error": f"{type(exc).__name__}: {exc}"})
        return 3
    python = sys.version.split()[0]
    _send(out, {"ready": True, "protocol": PROTOCOL, "durable": durable_version, "python": python})
    worker = Worker(host)
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        try:
            response = worker.handle(json.loads(line))
        except Exception:
            errors = [traceback.format_exc(limit=8)]
            response = {
                "ok": False,
                "kind": "internal",
                "message": "worker failure",
                "errors": errors,
            }
        _send(out, response)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stderr.flush()
    os._exit(code)  # durable's threads, had any been started, must not keep us alive
