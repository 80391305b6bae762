"""Domain tests that policy staff write in YAML and run with ``qfund test``.

Each file under ``rules/tests/`` holds cases: a small claims batch, optionally the history
of earlier rounds, and the decision expected for each claim (outcome, item, amount,
reasons). They are the measures' worked examples, run against the rule files as they are,
so a changed amount that no case expects shows up as a failing case with a diff.

```yaml
cases:
  - name: 主导制定国家标准 pays 20 万元
    batch: {round: 2027, submitted_on: 2027-03-20, applicants: [...], claims: [...]}
    history:                      # optional: earlier rounds (rulings R4, R5, R9)
      awards: [{applicant: A1, family: a13.standard, subject: GB/T 1-2026,
                claim_id: OLD1, item: a13.1.industry, amount_yuan: 100000, year: 2026}]
      bans: [{applicant: A1, claim_id: OLD2, found_on: 2026-05-01, until: 2029-05-01}]
    expect:
      - {claim: C1, outcome: awarded, item: a13.1.national, amount_yuan: 200000, reasons: []}
```
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ._validation import problems_from_validation
from ._yaml import Document, read_yaml
from .claims import batch_from_data
from .engine import evaluate
from .errors import BatchError, Problem, RuleFileError
from .history import BanRecord, PriorAward, StaticHistory, applicant_key
from .rules import RuleSet

__all__ = ["CaseResult", "run_cases"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Award(_Model):
    applicant: str
    family: str
    subject: str
    claim_id: str
    item: str
    amount_yuan: int = Field(ge=0)
    year: int


class _Ban(_Model):
    applicant: str
    claim_id: str
    found_on: dt.date
    until: dt.date


class _History(_Model):
    awards: tuple[_Award, ...] = ()
    bans: tuple[_Ban, ...] = ()


class _Expect(_Model):
    claim: str
    outcome: Literal["awarded", "rejected", "superseded"]
    item: str | None = None
    amount_yuan: int = Field(default=0, ge=0)
    reasons: tuple[str, ...] = ()


class _Case(_Model):
    name: str
    batch: dict[str, object]
    history: _History = _History()
    expect: tuple[_Expect, ...] = Field(min_length=1)


class _CaseFile(_Model):
    cases: tuple[_Case, ...] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class CaseResult:
    """The outcome of one domain test case: passed, or the differences found."""

    file: str
    name: str
    differences: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """True when every expected decision was made."""
        return not self.differences


def case_files(directory: Path) -> list[Path]:
    """The case files in ``directory``, in name order."""
    return sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])


def run_cases(rules: RuleSet, directory: Path) -> Iterator[CaseResult]:
    """Run every case in ``directory``; raise :class:`RuleFileError` for a malformed case file.

    Malformed files are reported together, before any case runs.
    """
    loaded: list[tuple[Document, _CaseFile]] = []
    problems: list[Problem] = []
    files = case_files(directory)
    if not files:
        raise RuleFileError([Problem(str(directory), None, None, (), "no *.yaml case files")])
    for path in files:
        doc, found = read_yaml(path)
        problems.extend(found)
        if doc is None:
            continue
        try:
            loaded.append((doc, _CaseFile.model_validate(doc.data)))
        except ValidationError as exc:
            problems.extend(problems_from_validation(exc, doc, _CaseFile))
    if problems:
        raise RuleFileError(problems)
    for doc, case_file in loaded:
        for i, case in enumerate(case_file.cases):
            yield _run(rules, doc, i, case)


def _run(rules: RuleSet, doc: Document, index: int, case: _Case) -> CaseResult:
    prefix = ("cases", index, "batch")
    try:
        batch = batch_from_data(case.batch, industry_codes=rules.industry_codes, name=doc.file)
    except BatchError as exc:
        line = doc.locate(prefix)[0]
        return CaseResult(
            doc.file,
            case.name,
            tuple(f"line {line}: the case's batch is invalid: {p}" for p in exc.problems),
        )
    keys = {a.id: applicant_key(a.id, a.uscc) for a in batch.applicants}
    awards: dict[tuple[str, str, str], list[PriorAward]] = {}
    for aw in case.history.awards:
        key = (keys.get(aw.applicant, aw.applicant), aw.family, aw.subject)
        awards.setdefault(key, []).append(PriorAward(aw.claim_id, aw.item, aw.amount_yuan, aw.year))
    bans: dict[str, list[BanRecord]] = {}
    for ban in case.history.bans:
        who = keys.get(ban.applicant, ban.applicant)
        bans.setdefault(who, []).append(BanRecord(ban.claim_id, ban.found_on, ban.until))
    evaluation = evaluate(rules, batch, StaticHistory(awards, bans))
    by_id = {d.claim_id: d for d in evaluation.decisions}
    diffs: list[str] = []
    for exp in case.expect:
        got = by_id.get(exp.claim)
        if got is None:
            diffs.append(f"{exp.claim}: no such claim in the case's batch")
            continue
        pairs = (
            ("outcome", exp.outcome, got.outcome),
            ("item", exp.item, got.item),
            ("amount_yuan", exp.amount_yuan, got.amount_yuan),
            ("reasons", sorted(exp.reasons), sorted(got.reasons)),
        )
        for name, want, have in pairs:
            if want != have:
                diffs.append(f"{exp.claim}.{name}: expected {want!r}, got {have!r}")
    return CaseResult(doc.file, case.name, tuple(diffs))
