"""Domain tests that policy staff write in YAML and run with ``qfund test``.

Each file under ``rules/tests/`` holds cases: a small claims batch, optionally the history
of earlier rounds, and the decision expected for each claim (outcome, item, amount,
reasons). They are the measures' worked examples, run against the rule files as they are,
so a changed amount that no case expects shows up as a failing case with a diff. The
format, for policy staff, is in docs/rule-files.md ("Case files").

A case that cannot run as written is bad input instead: its batch invalid; a history record
with a wrong date, a ban whose [found_on, until) covers no day, an empty claim id, or an
applicant that is not in the batch; an amount or year that is not a YAML integer; an item
id, reason code, family or claim that does not exist. So is a history award that no claim
could meet, which would pass a case expecting a second payment: under another family than
its item's, of the case's round or later, for the applicant itself with another subject
than its id or USCC (in any case or spacing), for a kind naming a subject without one, or
for a standard with no standard number. Every such problem in every file is raised
together, located at its line and column, and no case runs.

```yaml
cases:
  - name: 主导制定国家标准 pays 20 万元
    batch: {round: 2027, submitted_on: 2027-03-20, applicants: [...], claims: [...]}
    history:                      # optional: earlier rounds (rulings R4, R5, R9)
      awards: [{applicant: A1, family: a13.standard, subject: GB/T 1-2026,
                claim_id: OLD1, item: a13.2.national, amount_yuan: 50000, year: 2026}]
      # subject left out, or the applicant's id or USCC: the applicant itself (a quality award)
      bans: [{applicant: A1, claim_id: OLD2, found_on: 2026-05-01, until: 2029-05-01}]
    expect:
      - {claim: C1, outcome: awarded, item: a13.1.national, amount_yuan: 150000,
         reasons: [top_up]}
```
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    WithJsonSchema,
)

from ._excerpt import echo
from ._validation import did_you_mean, problems_from_validation
from ._yaml import Document, read_yaml, shown_path
from .claims import CLAIM_TYPES, Applicant, Batch, ClaimBase
from .claims import Text as OneLine
from .decision import REASON_CODES
from .engine import evaluate
from .errors import BatchError, Problem, RuleFileError, StandardNumberError
from .history import (
    BanRecord,
    PriorAward,
    StaticHistory,
    applicant_key,
    itself_subject,
    names_itself,
)
from .rules import CompiledItem, RuleSet, Text, YamlDate
from .standards import parse_standard_number

__all__ = ["CaseFile", "CaseResult", "run_cases"]

_Path = tuple[str | int, ...]


def _paid(value: int) -> int:
    # Every award the ledger holds paid something: an item amount is positive (awards.yaml)
    # and a top-up is paid only above what was paid before (rulings R5). An earlier award
    # of 0 yuan cannot happen, and would still count as one for 首次 (rulings R4).
    if value <= 0:
        raise ValueError(
            "must be a positive number of yuan: an earlier award paid its item's amount or a top-up"
        )
    return value


def _year(value: int) -> int:
    if not dt.MINYEAR <= value <= dt.MAXYEAR:
        raise ValueError(f"must be the year of a round, from {dt.MINYEAR} to {dt.MAXYEAR}")
    return value


# Money is integer yuan: a YAML integer, never a text ("200000") or a decimal (50000.0).
_Yuan = Annotated[StrictInt, Field(ge=0)]
_PaidYuan = Annotated[
    StrictInt, AfterValidator(_paid), WithJsonSchema({"type": "integer", "exclusiveMinimum": 0})
]
_Year = Annotated[
    StrictInt,
    AfterValidator(_year),
    WithJsonSchema({"type": "integer", "minimum": dt.MINYEAR, "maximum": dt.MAXYEAR}),
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HistoryAward(_Model):
    """An award an earlier round paid (rulings R4, R5)."""

    applicant: str = Field(description="the applicant's id in the case's batch (not its USCC)")
    family: str = Field(description="the family of the award's item in awards.yaml")
    subject: str | None = Field(
        None,
        description="what the award was for, as the claim's subject would be; left out, or "
        "the applicant's id or USCC, for an award of the applicant itself",
    )  # None, or the applicant's id: the applicant itself
    claim_id: Text = Field(description="the id of the earlier claim")
    item: str = Field(description="the item id the award paid")
    amount_yuan: _PaidYuan = Field(
        description="what that decision paid, in whole yuan: the item's amount or a top-up"
    )
    year: _Year = Field(description="the round that paid it, before the case's round")


class HistoryBan(_Model):
    """A fraud finding (rulings R9)."""

    applicant: str = Field(description="the applicant's id in the case's batch")
    claim_id: Text = Field(description="the claim the fraud was found on")
    found_on: YamlDate = Field(description="the day the fraud was found: the ban's first day")
    until: YamlDate = Field(
        description="the first day no longer banned: claims submitted in [found_on, until) "
        "are banned"
    )


class History(_Model):
    """What earlier rounds left in the ledger."""

    awards: tuple[HistoryAward, ...] = Field((), description="awards paid in earlier rounds")
    bans: tuple[HistoryBan, ...] = Field((), description="fraud findings and their bans")


class Expectation(_Model):
    """The decision a case requires for one claim."""

    claim: str = Field(description="the id of a claim in the case's batch")
    outcome: Literal["awarded", "rejected", "superseded"] = Field(
        description="the decision's outcome"
    )
    item: str | None = Field(None, description="the item matched; left out or null: none")
    amount_yuan: _Yuan = Field(0, description="what the decision grants, in whole yuan")
    reasons: tuple[str, ...] = Field(
        (),
        description="the reason codes, in any order (interchange.md); left out: none",
        json_schema_extra={"items": {"type": "string", "enum": list(REASON_CODES)}},
    )


class Case(_Model):
    """One worked example: a batch, optionally its history, and the decisions expected."""

    name: OneLine = Field(
        description="shown on the case's PASS or FAIL line: one line of printable text"
    )
    batch: object = Field(
        description="a claims batch as qfund evaluate reads one (docs/interchange.md)"
    )  # checked by the claims loader, in its own words
    history: History = Field(
        History(), description="what earlier rounds left in the ledger (optional)"
    )
    expect: tuple[Expectation, ...] = Field(
        min_length=1, description="the decisions required, one per claim checked"
    )


class CaseFile(_Model):
    """A case file of ``qfund test`` (docs/rule-files.md, "Case files")."""

    cases: tuple[Case, ...] = Field(min_length=1, description="the cases of this file")


@dataclass(frozen=True, slots=True)
class CaseResult:
    """The outcome of one domain test case: passed, or the differences found.

    ``file`` is the case file's path as found, not escaped: whoever shows it escapes it
    once (``qfund test`` names it as every message names a path, ``shown_path``).
    """

    file: str
    name: str
    differences: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """True when every expected decision was made."""
        return not self.differences


@dataclass(frozen=True, slots=True)
class _Ready:
    """A checked case: its batch resolved, ready to run."""

    file: str  # the case file's path, as found (CaseResult.file)
    case: Case
    batch: Batch


def case_files(directory: Path) -> list[Path]:
    """The case files in ``directory``, in name order."""
    return sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])


def run_cases(rules: RuleSet, directory: Path) -> Iterator[CaseResult]:
    """Check every case file in ``directory``, then run their cases one by one.

    Raises:
        RuleFileError: at the call, before any case runs, listing every problem of every
            case file with its line and column: a malformed file, a case whose batch is
            invalid, a history record for an applicant not in the batch or a ban covering
            no day, an amount or year that is not an integer, a history record or
            expectation naming an item id, family, reason code or claim that does not
            exist, or a history award no claim could meet (another family than its item's,
            a year not before the round, a subject its item's claims cannot have). A wrong
            case is bad input, never a failing case, and no result is ever returned beside
            it.
    """
    if not directory.is_dir():
        raise RuleFileError([Problem(shown_path(directory), None, None, (), "no such directory")])
    files = case_files(directory)
    if not files:
        message = "no case files (*.yaml or *.yml) in this directory"
        raise RuleFileError([Problem(shown_path(directory), None, None, (), message)])
    problems: list[Problem] = []
    ready: list[_Ready] = []
    for path in files:
        doc, found = read_yaml(path)
        problems.extend(found)
        if doc is not None:
            cases, wrong = _check_file(rules, path, doc, found)
            ready.extend(cases)
            problems.extend(wrong)
    if problems:
        raise RuleFileError(problems)
    return (_run(rules, r) for r in ready)


def _check_file(
    rules: RuleSet, path: Path, doc: Document, found: list[Problem]
) -> tuple[list[_Ready], list[Problem]]:
    """The runnable cases of the file at ``path``, or the problems in it (those not yet
    ``found``)."""
    problems: list[Problem] = []
    model: CaseFile | None = None
    try:
        model = CaseFile.model_validate(doc.data)
    except ValidationError as exc:
        problems.extend(problems_from_validation(exc, doc, CaseFile, [p.path for p in found]))
    # The batches and the names they use are checked in the raw data, so that a file with
    # a misspelt key still has every other problem in it listed in the same run.
    raw_cases = doc.data.get("cases") if isinstance(doc.data, dict) else None
    batches = [
        _CaseChecker(rules, doc, ("cases", i), problems).run(raw)
        for i, raw in enumerate(raw_cases if isinstance(raw_cases, list) else [])
    ]
    # The reader reported an impossible date once, keeping its text: not again here.
    reported = [p.path for p in found]
    problems = [p for p in problems if not any(p.path[: len(r)] == r for r in reported)]
    if model is None or problems or found:
        return [], problems
    return [
        # The path as found: doc.file is escaped for the problems, which name it so.
        _Ready(str(path), case, batch)
        for case, batch in zip(model.cases, batches, strict=True)
        if batch is not None
    ], problems


class _CaseChecker:
    """Checks one raw case for what its model cannot know: its batch, and the names it uses."""

    def __init__(self, rules: RuleSet, doc: Document, path: _Path, problems: list[Problem]) -> None:
        self.rules = rules
        self.doc = doc
        self.path = path
        self.problems = problems  # shared with the caller, which reports them together

    def run(self, raw: object) -> Batch | None:
        """The case's resolved batch, or ``None`` when the case has it wrong."""
        if not isinstance(raw, dict):
            return None  # the model reports it
        batch = self._batch(raw["batch"]) if "batch" in raw else None
        history = raw.get("history")
        if isinstance(history, dict):
            self._history(history, batch)
        claims = [c.id for c in batch.claims] if batch is not None else None
        for j, exp in _entries(raw.get("expect")):
            self._expectation(("expect", j), exp, claims)
        return batch

    def _report(self, path: _Path, message: str) -> None:
        self.problems.append(self.doc.problem((*self.path, *path), message))

    def _batch(self, raw: object) -> Batch | None:
        try:
            return self.rules.batch_from_data(raw, name=self.doc.file)
        except BatchError as exc:
            # Located by field path only: the case file knows where each field stands.
            for p in exc.problems:
                self._report(("batch", *p.path), p.message)
            return None

    def _history(self, history: dict[str, object], batch: Batch | None) -> None:
        applicants = batch.applicants if batch is not None else None
        for j, award in _entries(history.get("awards")):
            path = ("history", "awards", j)
            applicant = self._applicant((*path, "applicant"), award.get("applicant"), applicants)
            item = self._item(path, award.get("family"), award.get("item"))
            if item is not None:
                self._subject(path, award, item, applicant)
            if batch is not None:
                self._earlier((*path, "year"), award.get("year"), batch.round)
        # A ban is not checked against the round: one found after a claim was submitted,
        # or ended before, leaves it unbanned, as rulings R9 has it (a24-bans.yaml tests so).
        for j, ban in _entries(history.get("bans")):
            path = ("history", "bans", j)
            self._applicant((*path, "applicant"), ban.get("applicant"), applicants)
            self._period(path, ban.get("found_on"), ban.get("until"))

    def _applicant(
        self, path: _Path, value: object, applicants: Sequence[Applicant] | None
    ) -> Applicant | None:
        """The batch's applicant a history record names; reported when there is none.

        The case's history is keyed by the batch's applicants (their USCC, else their id),
        so a record for anyone else could never apply: it would be silently ignored.
        """
        if applicants is None or not isinstance(value, str):
            return None  # the batch reports its own problems; a wrong type is the model's
        found = next((a for a in applicants if a.id == value), None)
        if found is not None:
            return found
        hint = did_you_mean(value, [a.id for a in applicants])
        owner = next((a.id for a in applicants if a.uscc == value), None)
        if owner is not None:
            hint = f"; {value} is the USCC of applicant {owner!r}: name it by its id"
        self._report(path, f"no applicant in the case's batch has the id {echo(value)}{hint}")
        return None

    def _item(self, path: _Path, family: object, item_id: object) -> CompiledItem | None:
        """A history award's item; reported when unknown, or when ``family`` is not its own.

        The history is looked up by family (rulings R5): an award under another family than
        its item's meets the claims of that other family, or none.
        """
        self._known((*path, "item"), item_id, "item id", self.rules.by_id)
        item = self.rules.by_id.get(item_id) if isinstance(item_id, str) else None
        if item is None:
            self._known((*path, "family"), family, "family", self.rules.families)
            return None
        own = item.item.family
        if isinstance(family, str) and family != own:
            self._report(
                (*path, "family"),
                f"{family!r} is not the family of item {item.id!r}, which is {own!r}: an award "
                "is held under its item's family (rulings R5)",
            )
        return item

    def _subject(
        self,
        path: _Path,
        award: dict[str, object],
        item: CompiledItem,
        applicant: Applicant | None,
    ) -> None:
        """Report a history award's subject that no claim of ``item`` could have (claims.py)."""
        subject = award.get("subject")
        itself = _subject_is_applicant(item)
        if itself is False and subject is None:
            kind = CLAIM_TYPES[item.item.kind]
            self._report(
                (*path, "subject") if "subject" in award else path,
                f"subject is required for an award of item {item.id!r} ({item.item.kind}): "
                f"{kind.SUBJECT}",
            )
        elif (
            itself
            and applicant is not None
            and isinstance(subject, str)  # left out, it is the applicant; another type the model's
            and not names_itself(subject, applicant.id, applicant.uscc)
        ):
            identity = itself_subject(applicant.id, applicant.uscc)
            self._report(
                (*path, "subject"),
                f"the subject of an award of item {item.id!r} is the applicant itself: leave "
                f"it out, or write the applicant's id or USCC (got {echo(subject)}, which no claim "
                f"has: the applicant's own have {identity!r})",
            )
        elif item.item.kind == "standard" and isinstance(subject, str):
            try:
                parse_standard_number(subject, self.rules.industry_codes)
            except StandardNumberError as exc:
                # A claim's subject is its standard_no, as rulings R7 reads it.
                self._report(
                    (*path, "subject"),
                    f"the subject of an award of item {item.id!r} is its standard number: {exc}",
                )

    def _earlier(self, path: _Path, year: object, round_year: int) -> None:
        """Report a history award's year that is not before the round of the case's batch."""
        if type(year) is not int or not round_year <= year <= dt.MAXYEAR:
            return  # a wrong type, or a year no round has, is the model's
        self._report(
            path,
            f"must be before the case's round ({round_year}): the history holds the awards "
            f"of earlier rounds, rulings R4 and R5 (got {year})",
        )

    def _period(self, path: _Path, found_on: object, until: object) -> None:
        """Report a ban whose period [found_on, until) is empty or backwards, at ``until``."""
        start, end = _day(found_on), _day(until)
        if start is None or end is None:
            return  # a missing, wrong or impossible date is reported as such
        if end <= start:
            self._report(
                (*path, "until"),
                f"must be after found_on ({start}): a ban covers [found_on, until), "
                f"so this one covers no day (got {end})",
            )

    def _expectation(self, path: _Path, exp: dict[str, object], claims: list[str] | None) -> None:
        self._known((*path, "item"), exp.get("item"), "item id", self.rules.by_id)
        reasons = exp.get("reasons")
        if isinstance(reasons, list):
            for k, code in enumerate(reasons):
                self._known((*path, "reasons", k), code, "reason code", REASON_CODES, listed=True)
        claim = exp.get("claim")
        if claims is not None and isinstance(claim, str) and claim not in claims:
            hint = did_you_mean(claim, claims)
            self._report(
                (*path, "claim"), f"no claim in the case's batch has the id {echo(claim)}{hint}"
            )

    def _known(
        self, path: _Path, value: object, what: str, known: Collection[str], *, listed: bool = False
    ) -> None:
        """Report ``value`` when it is a string that is not one of ``known``."""
        if not isinstance(value, str) or value in known:
            return  # a missing or wrong-typed value is the model's to report
        message = f"unknown {what} {echo(value)}{did_you_mean(value, known)}"
        if listed:
            message += f" ({what}s: {', '.join(known)})"
        self._report(path, message)


def _subject_is_applicant(item: CompiledItem) -> bool | None:
    """Whether the claims ``item`` pays have the applicant itself as their subject, as
    claims.py reads them; ``None`` when the item alone cannot tell."""
    kind = CLAIM_TYPES.get(item.item.kind)
    if kind is None:
        return None
    if kind.subject_is_applicant is ClaimBase.subject_is_applicant:
        return kind.SUBJECT == "applicant"
    # The kind decides by a fact (第十六条: (一) the enterprise, (二)(三) a product or a
    # certificate): ask every claim of the kind whose facts the item's condition accepts.
    choices = {
        name: spec if isinstance(spec, tuple) else (False, True)
        for name, spec in kind.FACTS.items()
        if isinstance(spec, tuple) or spec is bool
    }
    if not set(item.reads) <= choices.keys():
        return None
    answers = set()
    for values in itertools.product(*choices.values()):
        facts: dict[str, Any] = dict(zip(choices, values, strict=True))
        if item.predicate(facts):
            answers.add(kind.model_construct(**facts).subject_is_applicant())
    return answers.pop() if len(answers) == 1 else None


def _day(value: object) -> dt.date | None:
    """A raw value that the model takes as a date (a datetime it refuses), else ``None``."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    return None


def _entries(raw: object) -> Iterator[tuple[int, dict[str, object]]]:
    """The mappings in a raw list, with their indexes; anything else is the model's to report."""
    if isinstance(raw, list):
        for j, entry in enumerate(raw):
            if isinstance(entry, dict):
                yield j, entry


def _run(rules: RuleSet, ready: _Ready) -> CaseResult:
    case, batch = ready.case, ready.batch
    keys = {a.id: applicant_key(a.id, a.uscc) for a in batch.applicants}
    # The applicant itself as a claim's subject is (claims.py): its USCC, else its id.
    itself = {a.id: itself_subject(a.id, a.uscc) for a in batch.applicants}
    applicants = {a.id: a for a in batch.applicants}
    awards: dict[tuple[str, str, str], list[PriorAward]] = {}
    # Checked: every history record names an applicant of the batch.
    for aw in case.history.awards:
        # Checked: only an award of the applicant itself leaves its subject out, and one that
        # names it names its id or USCC, in any case or spacing.
        subject = aw.subject
        if subject is None or (
            _subject_is_applicant(rules.by_id[aw.item]) is not False
            and names_itself(subject, aw.applicant, applicants[aw.applicant].uscc)
        ):
            subject = itself[aw.applicant]
        elif rules.by_id[aw.item].item.kind == "standard":
            # Checked: a number, read as the claims' (GB/T 1—2026 is GB/T 1-2026, rulings R7).
            subject = str(parse_standard_number(subject, rules.industry_codes))
        key = (keys[aw.applicant], aw.family, subject)
        awards.setdefault(key, []).append(PriorAward(aw.claim_id, aw.item, aw.amount_yuan, aw.year))
    bans: dict[str, list[BanRecord]] = {}
    for ban in case.history.bans:
        bans.setdefault(keys[ban.applicant], []).append(
            BanRecord(ban.claim_id, ban.found_on, ban.until)
        )
    evaluation = evaluate(rules, batch, StaticHistory(awards, bans))
    by_id = {d.claim_id: d for d in evaluation.decisions}
    diffs: list[str] = []
    for exp in case.expect:
        got = by_id[exp.claim]  # checked: every expected claim is in the batch
        pairs = (
            ("outcome", exp.outcome, got.outcome),
            ("item", exp.item, got.item),
            ("amount_yuan", exp.amount_yuan, got.amount_yuan),
            ("reasons", sorted(exp.reasons), sorted(got.reasons)),
        )
        for name, want, have in pairs:
            if want != have:
                # As the case file writes them (JSON, which YAML reads): null, not None.
                shown = [json.dumps(v, ensure_ascii=False) for v in (want, have)]
                diffs.append(f"{exp.claim}.{name}: expected {shown[0]}, got {shown[1]}")
    return CaseResult(ready.file, case.name, tuple(diffs))
