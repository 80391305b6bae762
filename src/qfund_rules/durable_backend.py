"""A second, independent evaluator of the rule files, on durable-rules, in a worker process.

:func:`evaluate_durable` decides a batch like :func:`qfund_rules.evaluate` does, to the
same decisions, traces included (every step's rule, facts and messages), by compiling the
rule files into a durable-rules (Rete) ruleset. It exists to check the native engine: the
worker compiles each award item's raw ``when`` data itself, works out every fact of a
trace from the claim and that data, and never sees the native engine's compiled
conditions or results, so an error in one shows up as a disagreement.

durable-rules is unmaintained, compiles C, does not import on Python 3.13+, keeps its
rulesets in a process-wide registry and background timer threads, and swallows exceptions
raised in actions. So it never runs in the caller's process: this module does not import
it (neither does ``import qfund_rules``); a worker process (``_durable_worker.py``) does,
and speaks JSON lines over stdin/stdout. A segfault, a hang (past ``timeout``) or an error
reported by the worker reaches the caller as :class:`DurableBackendError`; a missing or
unsupported durable-rules as :class:`DurableUnavailableError`. Only the native engine's
decisions are ever recorded in a ledger.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.util
import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from ._texts import TEXTS
from .claims import CLAIM_TYPES, Batch, StandardClaim, check_loaded
from .decision import REASON_CODES, Decision, Evaluation
from .errors import QfundError
from .history import NO_HISTORY, History, applicant_key
from .rules import DERIVED_FACTS, RuleSet

__all__ = [
    "DurableBackendError",
    "DurableUnavailableError",
    "DurableWorker",
    "durable_unavailable_reason",
    "evaluate_durable",
]

_WORKER = Path(__file__).with_name("_durable_worker.py")
_PROTOCOL = 1
_OUTCOMES = frozenset({"awarded", "rejected", "superseded"})
_REASONS = frozenset(REASON_CODES)
_INSTALL = "install it with: pip install 'qfund-rules[durable]'"


class DurableUnavailableError(QfundError):
    """Raised when the durable backend cannot run here: Python 3.13 or later (durable-rules
    does not import there), durable-rules not installed, or its build failing to import."""


class DurableBackendError(QfundError):
    """Raised when the durable worker crashed, timed out, broke its protocol, or reported
    errors in compiling the rules or in its rule actions; no decision is returned then."""


def durable_unavailable_reason(
    version_info: Sequence[int] | None = None,
    find_spec: Callable[[str], object | None] | None = None,
) -> str | None:
    """Why the durable backend cannot run here, or ``None`` when it can (nothing imported)."""
    version_info = tuple(version_info or sys.version_info[:2])
    find_spec = find_spec or importlib.util.find_spec
    if version_info[:2] >= (3, 13):
        shown = ".".join(map(str, version_info[:2]))
        return (
            f"the durable backend needs Python 3.12 or earlier: durable-rules 2.0 does not "
            f"import on Python {shown}; use the native engine (the default)"
        )
    if find_spec("durable") is None or find_spec("durable_rules_engine") is None:
        return f"the durable backend needs durable-rules, which is not installed; {_INSTALL}"
    return None


def evaluate_durable(
    rules: RuleSet,
    batch: Batch,
    history: History = NO_HISTORY,
    *,
    timeout: float | None = None,
) -> Evaluation:
    """Decide ``batch`` under ``rules`` with durable-rules, in a fresh worker process.

    ``history`` is read here; the prior awards and bans the batch needs go to the worker
    as data. ``timeout`` (seconds, default scaled to the batch) bounds the worker's answer.

    ``batch`` must be one the loader returned under the readings of ``rules``, as for
    :func:`qfund_rules.evaluate`.

    Raises:
        DurableUnavailableError: durable-rules is missing or unsupported here.
        DurableBackendError: the worker crashed, hung or reported errors.
        TypeError: the batch was not made by the loader.
        ValueError: the batch was loaded under another rule set's readings.
    """
    with DurableWorker() as worker:
        return worker.evaluate(rules, batch, history, timeout=timeout)


class DurableWorker:
    """A durable-rules worker process, reusable for many batches (closed on ``__exit__``).

    Each rule set is compiled once per worker, under a name unique to it; every batch is
    decided in its own durable session, deleted afterwards. A worker that crashed or
    timed out is stopped, and the next call starts a fresh one.
    """

    def __init__(self, *, startup_timeout: float = 60.0) -> None:
        reason = durable_unavailable_reason()
        if reason is not None:
            raise DurableUnavailableError(reason)
        self.startup_timeout = startup_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._buffer = bytearray()
        self._programs: dict[int, tuple[RuleSet, dict[str, Any]]] = {}
        #: What the worker said when it started (durable-rules and Python versions).
        self.info: dict[str, Any] = {}

    def __enter__(self) -> DurableWorker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- evaluation ------------------------------------------------------------------

    def evaluate(
        self,
        rules: RuleSet,
        batch: Batch,
        history: History = NO_HISTORY,
        *,
        timeout: float | None = None,
    ) -> Evaluation:
        """Decide one batch (see :func:`evaluate_durable`)."""
        return self.evaluate_many(rules, [(batch, history)], timeout=timeout)[0]

    def evaluate_many(
        self,
        rules: RuleSet,
        jobs: Sequence[tuple[Batch, History]],
        *,
        timeout: float | None = None,
    ) -> list[Evaluation]:
        """Decide several batches in one round trip (each in its own durable session).

        Every batch is checked as :func:`evaluate_durable` checks it, before any is sent.
        """
        for batch, _ in jobs:
            check_loaded(
                batch, rules.industry_codes, rules.achieved_by_submission, "the durable backend"
            )
        if not jobs:
            return []
        claims = sum(len(b.claims) for b, _ in jobs)
        limit = timeout if timeout is not None else 60.0 + claims * 0.01
        request = {
            "op": "evaluate",
            "program": self._program(rules),
            "jobs": [_job(rules, b, h) for b, h in jobs],
        }
        response = self.request(request, limit)
        if not response.get("ok"):
            kind = response.get("kind", "unknown")
            errors = "\n".join(str(e) for e in response.get("errors", ()))
            raise DurableBackendError(
                f"the durable backend refused the batch ({kind}): {response.get('message')}"
                + (f"\n{errors}" if errors else "")
            )
        results = response.get("results")
        if not isinstance(results, list) or len(results) != len(jobs):
            raise DurableBackendError(
                "the durable worker answered with the wrong number of results"
            )
        identity = rules.identity()
        draft = rules.status == "draft"
        return [
            Evaluation(
                rules=identity,
                decisions=tuple(_decisions(batch, result, rules.sha256, draft)),
            )
            for (batch, _), result in zip(jobs, results, strict=True)
        ]

    def _program(self, rules: RuleSet) -> dict[str, Any]:
        cached = self._programs.get(id(rules))
        if cached is not None and cached[0] is rules:
            return cached[1]
        program = rules_program(rules)
        self._programs[id(rules)] = (rules, program)
        return program

    # -- the process -----------------------------------------------------------------

    def request(self, message: Mapping[str, Any], timeout: float) -> dict[str, Any]:
        """Send one request and wait up to ``timeout`` seconds for its answer."""
        if self._proc is None or self._proc.poll() is not None:
            self._start()
        payload = json.dumps(message, ensure_ascii=False).encode() + b"\n"
        return self._exchange(payload, timeout, "evaluating")

    def _start(self) -> None:
        self.close()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the worker
        env = dict(os.environ)
        env["PYTHONFAULTHANDLER"] = "1"  # a segfault leaves a Python traceback on stderr
        self._proc = subprocess.Popen(
            [sys.executable, "-P", str(_WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
            bufsize=0,
            close_fds=True,
        )
        self._buffer.clear()
        hello = self._exchange(b"", self.startup_timeout, "starting")
        if not hello.get("ready"):
            self.close()
            raise DurableUnavailableError(
                f"durable-rules cannot be imported here: {hello.get('error')}; {_INSTALL}"
            )
        if hello.get("protocol") != _PROTOCOL:
            self.close()
            raise DurableBackendError(f"the durable worker speaks protocol {hello.get('protocol')}")
        self.info = hello

    def _exchange(self, payload: bytes, timeout: float, doing: str) -> dict[str, Any]:
        proc = self._proc
        assert proc is not None
        assert proc.stdin is not None
        assert proc.stdout is not None
        deadline = time.monotonic() + timeout
        out_fd, in_fd = proc.stdout.fileno(), proc.stdin.fileno()
        os.set_blocking(in_fd, False)
        sent = 0
        with selectors.DefaultSelector() as sel:
            sel.register(out_fd, selectors.EVENT_READ)
            if payload:
                sel.register(in_fd, selectors.EVENT_WRITE)
            while b"\n" not in self._buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._kill()
                    raise DurableBackendError(
                        f"the durable-rules worker did not answer within {timeout:.0f} s while "
                        f"{doing} and was stopped; no decision was made"
                    )
                for key, _ in sel.select(remaining):
                    if key.fd == in_fd:
                        try:
                            sent += os.write(in_fd, payload[sent : sent + (1 << 16)])
                        except BrokenPipeError:
                            sent = len(payload)  # it died: reading will show why
                        if sent >= len(payload):
                            sel.unregister(in_fd)
                        continue
                    chunk = os.read(out_fd, 1 << 20)
                    if not chunk:
                        raise self._died(doing)
                    self._buffer.extend(chunk)
        line, _, rest = bytes(self._buffer).partition(b"\n")
        self._buffer[:] = rest
        try:
            answer = json.loads(line)
        except ValueError as exc:
            self._kill()
            raise DurableBackendError(f"the durable worker broke its protocol: {exc}") from None
        if not isinstance(answer, dict):
            self._kill()
            raise DurableBackendError("the durable worker broke its protocol: not an object")
        return answer

    def _died(self, doing: str) -> DurableBackendError:
        proc = self._proc
        assert proc is not None
        try:
            code = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._kill()
            code = proc.returncode
        tail = self._stderr_tail()
        self._kill()
        if code is not None and code < 0:
            how = f"killed by {signal.Signals(-code).name}"
        else:
            how = f"exited with status {code}"
        return DurableBackendError(
            f"the durable-rules worker died while {doing} ({how}); no decision was made"
            + (f"; its last output:\n{tail}" if tail else "")
        )

    def _stderr_tail(self, limit: int = 2000) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0, os.SEEK_END)
        size = self._stderr.tell()
        self._stderr.seek(max(0, size - limit))
        return self._stderr.read().decode(errors="replace").strip()

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc is not None:
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()

    def close(self) -> None:
        """Stop the worker: stdin closed (it exits), killed if it has not within 10 s."""
        proc = self._proc
        if proc is not None:
            if proc.stdin is not None:
                with contextlib.suppress(OSError):
                    proc.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
            self._kill()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None


# --- the data the worker gets ------------------------------------------------------------


def _iso(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _encode(value: object) -> object:
    """Raw ``when`` data as JSON: dates tagged, anything unexpected refused."""
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, Mapping):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, str | int | bool):
        return value
    raise DurableBackendError(f"cannot pass {value!r} ({type(value).__name__}) to the worker")


def _spec(spec: object) -> dict[str, Any]:
    if isinstance(spec, tuple):
        return {"type": "enum", "values": list(spec)}
    names = {dt.date: "date", bool: "bool", int: "int", str: "str"}
    if isinstance(spec, type) and spec in names:
        return {"type": names[spec]}
    raise DurableBackendError(f"the durable backend cannot compare a fact of type {spec!r}")


def _yuan(wan: Decimal) -> int:
    # Rulings R1, worked out here again rather than shared with the native loader.
    yuan = Decimal(wan) * 10000
    if yuan != yuan.to_integral_value():
        raise DurableBackendError(f"{wan} 万元 is not a whole number of yuan")
    return int(yuan)


def rules_program(rules: RuleSet) -> dict[str, Any]:
    """The rule set as data for the worker: the files' models, never compiled conditions;
    and the templates of the trace's messages (qfund_rules/_texts.py), plain words."""
    kinds = {}
    for kind, cls in CLAIM_TYPES.items():
        facts = {**cls.FACTS, **DERIVED_FACTS.get(kind, {})}
        kinds[kind] = {name: _spec(spec) for name, spec in facts.items()}
    ex = rules.exclusions
    al = rules.allocation
    return {
        "sha256": rules.sha256,
        "kinds": kinds,
        "items": [
            {
                "id": item.id,
                "kind": item.kind,
                "family": item.family,
                "citation": item.citation,
                "clause": item.clause,
                "title_zh": item.title_zh,
                "title_en": item.title_en,
                "first_time": item.first_time,
                "when": _encode(item.when),
                "amounts": [[a.from_.isoformat(), _yuan(a.wan)] for a in item.amounts],
            }
            for item in rules.awards.items
        ],
        "validity": {
            "citation": ex.validity.citation,
            "published_on": ex.validity.published_on.isoformat(),
            "starts_after_days": ex.validity.starts_after_days,
            "years": ex.validity.years,
        },
        "eligibility": {
            "citation": ex.eligibility.citation,
            "org_types": list(ex.eligibility.org_types),
            "regions": list(ex.eligibility.regions),
            "org_type_names": {k: [n.zh, n.en] for k, n in ex.eligibility.org_types.items()},
            "region_names": {k: [n.zh, n.en] for k, n in ex.eligibility.regions.items()},
            "hami_unit_prefixes": list(ex.eligibility.hami_unit_prefixes),
        },
        "exclusions": [
            {
                "code": e.code,
                "check": e.check,
                "citation": e.citation,
                "clause": e.clause,
                "title_zh": e.title_zh,
                "title_en": e.title_en,
                "lists": None if e.lists is None else list(e.lists),
                "list_names": None
                if e.list_names is None
                else {k: [n.zh, n.en] for k, n in e.list_names.items()},
            }
            for e in ex.exclusions
        ],
        "ban": {"citation": ex.ban.citation},
        "same_qualification": {
            "citation": al.same_qualification.citation,
            "policy": al.same_qualification.policy,
        },
        "participation": {
            "citation": al.participation.citation,
            "policy": al.participation.policy,
        },
        "lead": {
            "citation": al.lead.citation,
            "policy": al.lead.policy,
            "across_rounds": al.lead.across_rounds,
        },
        "first_time": {"scope": al.first_time.scope},
        # The messages' words, as the native engine writes them: plain text, no condition.
        "texts": {key: list(pair) for key, pair in TEXTS.items()},
    }


def _job(rules: RuleSet, batch: Batch, history: History) -> dict[str, Any]:
    """One batch as data, with the part of ``history`` it needs."""
    families: dict[str, set[str]] = {}
    for item in rules.awards.items:
        families.setdefault(item.kind, set()).add(item.family)
    applicants = []
    keys: dict[str, str] = {}
    for a in batch.applicants:
        keys[a.id] = applicant_key(a.id, a.uscc)
        applicants.append(
            {
                "id": a.id,
                "name": a.name,
                "org_type": a.org_type,
                "region": a.region,
                "uscc": a.uscc,
                "licensed": a.licensed,
                "key": keys[a.id],
                "credit_listings": [
                    {"list": c.list, "from": c.from_.isoformat(), "until": _iso(c.until)}
                    for c in a.credit_listings
                ],
            }
        )
    claims = []
    asked: set[tuple[str, str, str]] = set()
    prior: list[dict[str, Any]] = []
    for c in batch.claims:
        key, subject = keys[c.applicant], c.subject or ""
        for family in sorted(families.get(c.kind, ())):
            if (key, family, subject) in asked:
                continue
            asked.add((key, family, subject))
            prior.extend(
                {
                    "key": key,
                    "family": family,
                    "subject": subject,
                    "claim_id": p.claim_id,
                    "item": p.item,
                    "amount_yuan": p.amount_yuan,
                }
                for p in history.prior_awards(key, family, subject)
            )
        facts = {
            name: (value.isoformat() if isinstance(value, dt.date) else value)
            for name, value in c.facts().items()
        }
        units = None
        if isinstance(c, StandardClaim) and c.drafting_units:
            units = [
                {"name": u.name, "region": u.region, "uscc": u.uscc, "hami": u.hami}
                for u in c.drafting_units
            ]
        claims.append(
            {
                "id": c.id,
                "applicant": c.applicant,
                "kind": c.kind,
                "subject": subject,
                "achieved_on": c.achieved_on.isoformat(),
                "submitted_on": _iso(c.submitted_on or batch.submitted_on),
                "facts": facts,
                "review": {
                    "industrial_policy": c.review.industrial_policy,
                    "related_to_quality": c.review.related_to_quality,
                    "other_violation": c.review.other_violation,
                },
                "other_support": list(c.other_support),
                "drafting_units": units,
                "lead_proof": isinstance(c, StandardClaim) and c.lead_proof,
            }
        )
    bans = [
        {
            "key": key,
            "claim_id": b.claim_id,
            "found_on": b.found_on.isoformat(),
            "until": b.until.isoformat(),
        }
        for key in dict.fromkeys(keys.values())
        for b in history.bans(key)
    ]
    return {
        "batch": {"applicants": applicants, "claims": claims},
        # ledger: whether a history was given (NO_HISTORY: none looked at, traces say so).
        "history": {
            "prior": prior,
            "bans": bans,
            "leads": _earlier_leads(rules, batch, history),
            "ledger": history is not NO_HISTORY,
        },
    }


def _earlier_leads(rules: RuleSet, batch: Batch, history: History) -> list[dict[str, Any]]:
    """第十三条 across rounds (allocation.yaml lead.across_rounds): every standing award of a
    lead item (RuleSet.lead_items) of each number a claim of a lead item's kind names,
    asked once per number, in the history's order. The worker picks the holder itself."""
    lead = rules.allocation.lead
    if lead.policy != "one_per_standard" or not lead.across_rounds:
        return []
    lead_items = frozenset(rules.lead_items)
    kinds = {rules.by_id[i].item.kind for i in lead_items}
    subjects = dict.fromkeys(c.subject or "" for c in batch.claims if c.kind in kinds)
    return [
        {"subject": subject, "key": a.applicant, "claim_id": a.claim_id, "round": a.year}
        for subject in subjects
        for family in rules.lead_families
        for a in history.awards_for(family, subject)
        if a.item in lead_items
    ]


def _decisions(batch: Batch, result: object, sha256: str, draft: bool) -> Iterable[Decision]:
    """The worker's decisions, checked against the batch and the public contract."""
    if not isinstance(result, list) or len(result) != len(batch.claims):
        raise DurableBackendError("the durable worker returned the wrong number of decisions")
    for claim, data in zip(batch.claims, result, strict=True):
        try:
            decision = Decision.from_dict({**data, "rules_sha256": sha256, "draft": draft})
        except (KeyError, TypeError, ValueError) as exc:
            raise DurableBackendError(
                f"the durable worker returned a malformed decision: {exc}"
            ) from None
        unknown = set(decision.reasons) - _REASONS
        if (
            decision.claim_id != claim.id
            or decision.outcome not in _OUTCOMES
            or unknown
            or not decision.trace
        ):
            raise DurableBackendError(
                f"the durable worker returned an invalid decision for claim {claim.id}"
            )
        yield decision
