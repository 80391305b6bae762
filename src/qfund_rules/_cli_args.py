"""Argument types and options shared by the ``qfund`` commands (cli, rounds, report)."""

from __future__ import annotations

import argparse
import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from difflib import get_close_matches
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .history import loose_subject
from .money import wan_to_yuan

if TYPE_CHECKING:
    from .claims import Batch
    from .rules import RuleSet

__all__ = ["backend_opt", "iso_date", "lang_opt", "rules_opt", "wan_budget", "year"]

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_YEAR = re.compile(r"\d{1,4}", re.ASCII)


def iso_date(text: str) -> dt.date:
    """An ISO date argument (YYYY-MM-DD); dates always come in, never from a clock.

    Only the extended form: ``date.fromisoformat`` would also take 20270101 or 2027-W01-1.
    """
    problem = argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}")
    if not _ISO_DATE.fullmatch(text):
        raise problem
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise problem from None


def year(text: str) -> int:
    """A round year argument: 1 to 9999, the years a date can hold."""
    if not _YEAR.fullmatch(text) or int(text) == 0:
        raise argparse.ArgumentTypeError(f"not a year (1 to 9999): {text!r}")
    return int(text)


def wan_budget(text: str) -> int:
    """A budget in 万元, read exactly (Decimal, never float), as integer yuan."""
    try:
        wan = Decimal(text.strip())
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a number of 万元: {text!r}") from None
    if not wan.is_finite() or wan < 0:
        raise argparse.ArgumentTypeError(f"not a budget in 万元: {text!r}")
    try:
        return wan_to_yuan(wan)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def rules_opt(sp: argparse.ArgumentParser) -> None:
    """Add the ``--rules DIR`` option every rule-reading command takes."""
    sp.add_argument(
        "--rules",
        metavar="DIR",
        type=Path,
        help="rule-file directory (default: the rules installed with qfund, not ./rules: "
        "give --rules rules to use the files you edit in a checkout)",
    )


def lang_opt(sp: argparse.ArgumentParser, what: str) -> None:
    """Add ``--lang zh|en``: the language of ``what`` (Chinese by default)."""
    sp.add_argument(
        "--lang", choices=("zh", "en"), default="zh", help=f"language of {what} (default: zh)"
    )


def backend_opt(sp: argparse.ArgumentParser) -> None:
    """Add ``--backend native|durable``: which evaluator decides (native by default)."""
    sp.add_argument(
        "--backend",
        choices=("native", "durable"),
        default="native",
        help="evaluator: native (default, the only one recorded in ledgers) or durable "
        "(durable-rules in a worker process, to cross-check; needs the durable extra)",
    )


def later_rounds_refused(command: str, year: int, later: list[int]) -> str:
    """Why ``--ledger`` is refused for a batch older than the ledger's rounds (one line)."""
    years = ", ".join(map(str, later))
    return (
        f"qfund {command}: the ledger records later rounds ({years}) than the batch's round "
        f"{year}: --ledger decides a batch against earlier rounds only\n"
    )


#: The help of every --format option: argparse fills in the command's own default.
FORMAT_HELP = "output format (default: %(default)s)"


def load_batch_noting(rules: RuleSet, path: Path, err: TextIO) -> Batch:
    """The batch at ``path`` under ``rules``, with notes on stderr for what a reviewer may
    have meant otherwise: a batch with no claims, an org_type that is a near miss of one
    第四条 names (R3 decides it not eligible, quietly else), and subjects of one applicant
    and kind that differ only in case or spacing (two qualifications, docs/interpretation.md).
    """
    batch = rules.load_batch(path)
    if not batch.claims:
        err.write(f"qfund: note: {path} holds no claims\n")
    listed = list(rules.exclusions.eligibility.org_types)
    for a in batch.applicants:
        close = [] if a.org_type in listed else get_close_matches(a.org_type, listed, 1, 0.75)
        if close:
            err.write(
                f"qfund: note: applicant {a.id}'s org_type {a.org_type!r} is not one 第四条 "
                f"names; did you mean {close[0]!r}? Its claims are decided "
                "not_eligible_applicant\n"
            )
    for (applicant, kind), named in _subjects_alike(batch).items():
        listed_subjects = "; ".join(f"{c} {s!r}" for s, c in named)
        err.write(
            f"qfund: note: applicant {applicant}'s {kind} claims name subjects that differ "
            f"only in case or spacing ({listed_subjects}): each is decided as a "
            "qualification of its own\n"
        )
    return batch


def _subjects_alike(batch: Batch) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """Per applicant and kind, the subjects (with a claim naming each) that are equal but
    for case and spacing; only groups with more than one such spelling."""
    spellings: dict[tuple[str, str, str], dict[str, str]] = {}
    for c in batch.claims:
        if c.subject is not None and c.subject != c.applicant:
            loose = loose_subject(c.subject)
            spellings.setdefault((c.applicant, c.kind, loose), {}).setdefault(c.subject, c.id)
    found: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for (applicant, kind, _), named in spellings.items():
        if len(named) > 1:
            found.setdefault((applicant, kind), []).extend(named.items())
    return found
