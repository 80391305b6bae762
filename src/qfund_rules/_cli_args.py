"""Argument types and options shared by the ``qfund`` commands (cli, rounds, report)."""

from __future__ import annotations

import argparse
import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from difflib import get_close_matches
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ._excerpt import echo
from ._yaml import DEFAULT_LIMITS, Limits, exceeded_limit, shown_path, unusable_path
from .errors import Problem, QfundError
from .history import loose_subject
from .money import wan_to_yuan
from .rules import load_rules

if TYPE_CHECKING:
    from .allocation import RoundResult
    from .claims import Batch
    from .rules import RuleSet

__all__ = [
    "ShippedHelp",
    "backend_opt",
    "batch_arg",
    "batch_limits",
    "caps_given",
    "caps_opt",
    "iso_date",
    "lang_opt",
    "limit_notes",
    "path_arg",
    "rules_opt",
    "wan_budget",
    "year",
]

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_YEAR = re.compile(r"\d{1,4}", re.ASCII)
_SIZE = re.compile(r"(\d{1,15})\s*(|B|KiB|MiB|GiB)", re.ASCII | re.IGNORECASE)
_COUNT = re.compile(r"\d{1,15}(?:_\d{3})*", re.ASCII)
_UNITS = {"": 1, "b": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30}
#: The largest SIZE taken: 1 TiB is past any batch a process could read; more is a slip.
_MAX_SIZE = 1 << 40


def shown_size(size: int) -> str:
    """A number of bytes as a SIZE argument writes it: in the largest unit it is a whole
    number of (``16MiB``, ``1024GiB``), else in bytes."""
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size and size % factor == 0:
            return f"{size // factor}{unit}"
    return str(size)


#: That bound as --max-bytes's help and its refusal write it.
_MAX_SIZE_SHOWN = shown_size(_MAX_SIZE)


def iso_date(text: str) -> dt.date:
    """An ISO date argument (YYYY-MM-DD); dates always come in, never from a clock.

    Only the extended form: ``date.fromisoformat`` would also take 20270101 or 2027-W01-1.
    """
    problem = argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {echo(text)}")
    if not _ISO_DATE.fullmatch(text):
        raise problem
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise problem from None


def year(text: str) -> int:
    """A round year argument: 1 to 9999, the years a date can hold."""
    if not _YEAR.fullmatch(text) or int(text) == 0:
        raise argparse.ArgumentTypeError(f"not a year (1 to 9999): {echo(text)}")
    return int(text)


def wan_budget(text: str) -> int:
    """A budget in 万元, read exactly (Decimal, never float), as integer yuan."""
    try:
        wan = Decimal(text.strip())
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a number of 万元: {echo(text)}") from None
    if not wan.is_finite() or wan < 0:
        raise argparse.ArgumentTypeError(f"not a budget in 万元: {echo(text)}")
    try:
        return wan_to_yuan(wan)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def byte_size(text: str) -> int:
    """A size in bytes: a whole number, or one with KiB, MiB or GiB (``64MiB``), at most
    :data:`_MAX_SIZE` (1024GiB)."""
    found = _SIZE.fullmatch(text.strip())
    if found is None:
        raise argparse.ArgumentTypeError(
            f"not a size: {echo(text)} (bytes, or a whole number of KiB, MiB or GiB: 64MiB)"
        )
    size = int(found[1]) * _UNITS[found[2].lower()]
    if size > _MAX_SIZE:
        raise argparse.ArgumentTypeError(
            f"too large a size: {echo(text)} (at most {_MAX_SIZE_SHOWN})"
        )
    return size


def node_count(text: str) -> int:
    """A whole number of at least 1 (``5000000``, or ``5_000_000``)."""
    if not _COUNT.fullmatch(text.strip()) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a whole number of at least 1: {echo(text)}")
    return int(text)


def path_arg(text: str) -> Path:
    """A path argument. One no file can have (a NUL in it) is a usage error naming it,
    escaped: the OS layer would refuse it with a bare ValueError, a traceback."""
    unusable = unusable_path(text)
    if unusable is not None:
        raise argparse.ArgumentTypeError(f"{shown_path(text)}: {unusable}")
    return Path(text)


def batch_arg(
    sp: argparse.ArgumentParser, what: str = "claims batch", *, option: str | None = None
) -> None:
    """Add the BATCH argument, or the option ``option`` taking one where the command can do
    without a batch (``qfund diff --claims BATCH``); ``caps_opt`` adds the caps on reading it."""
    sp.add_argument(
        "batch" if option is None else option,
        type=path_arg,
        metavar="BATCH",
        help=f"{what} (YAML, or strict JSON when named *.json)",
    )


def caps_opt(sp: argparse.ArgumentParser) -> None:
    """Add ``--max-bytes`` and ``--max-nodes``, the caps on reading BATCH (last: rarely set).

    Each is None when not given (``caps_given``); ``batch_limits`` reads the defaults then.
    """
    sp.add_argument(
        "--max-bytes",
        type=byte_size,
        metavar="SIZE",
        help="refuse a batch file larger than this (bytes, or KiB/MiB/GiB, at most "
        f"{_MAX_SIZE_SHOWN}; default {shown_size(DEFAULT_LIMITS.max_bytes)}: some 620 bytes "
        "a claim in JSON indented by two, 420 in compact JSON or YAML; docs/limits.md)",
    )
    sp.add_argument(
        "--max-nodes",
        type=node_count,
        metavar="N",
        help="refuse a batch of more values than this, aliases expanded (default "
        f"{DEFAULT_LIMITS.max_nodes:,}: some 40 values a claim; docs/limits.md)",
    )


def batch_limits(args: argparse.Namespace) -> Limits:
    """The caps ``caps_opt``'s options set, the defaults for those not given; the other
    caps keep their defaults."""
    return replace(
        DEFAULT_LIMITS,
        max_bytes=DEFAULT_LIMITS.max_bytes if args.max_bytes is None else args.max_bytes,
        max_nodes=DEFAULT_LIMITS.max_nodes if args.max_nodes is None else args.max_nodes,
    )


def caps_given(args: argparse.Namespace) -> list[str]:
    """The options of ``caps_opt`` given on the command line, as written there."""
    return [option for cap, option in _LIMIT_OPTION.items() if getattr(args, cap) is not None]


_LIMIT_OPTION = {"max_bytes": "--max-bytes", "max_nodes": "--max-nodes"}


def limit_notes(problems: Iterable[Problem]) -> list[str]:
    """A note per batch cap a problem ran into, naming the option that raises it."""
    hit = dict.fromkeys(c for c in map(exceeded_limit, problems) if c in _LIMIT_OPTION)
    return [
        f"qfund: note: {_LIMIT_OPTION[cap]} raises that limit, for a batch you trust "
        "(docs/limits.md)\n"
        for cap in hit
    ]


def rules_opt(sp: argparse.ArgumentParser) -> None:
    """Add the ``--rules DIR`` option every rule-reading command takes."""
    sp.add_argument(
        "--rules",
        metavar="DIR",
        type=path_arg,
        help="rule-file directory (default: the rules installed with qfund, not ./rules: "
        "give --rules rules to use the files you edit in a checkout)",
    )


def lang_opt(sp: argparse.ArgumentParser, what: str) -> None:
    """Add ``--lang zh|en``: the language of ``what`` (Chinese by default)."""
    sp.add_argument(
        "--lang",
        choices=("zh", "en"),
        default="zh",
        help=f"language of {what} (default: %(default)s)",
    )


def backend_opt(sp: argparse.ArgumentParser) -> None:
    """Add ``--backend native|durable``: which evaluator decides (native by default)."""
    sp.add_argument(
        "--backend",
        choices=("native", "durable"),
        default="native",
        help="evaluator: native (the only one recorded in ledgers) or durable (durable-rules "
        "in a worker process, to cross-check; needs the durable extra) (default: %(default)s)",
    )


class ShippedHelp(str):
    """A help text quoting values of the shipped rule files as ``{name}`` fields, read when
    the help is printed (argparse applies ``%`` to a help text then), not copied into the
    text, nor read each time the parser is built, which is on every run.

    ``ShippedHelp("it lasts {days} days", days=lambda rules: rules.allocation.publicity.days)``
    """

    __slots__ = ("_read",)
    _read: dict[str, Callable[[RuleSet], object]]

    def __new__(cls, text: str, **read: Callable[[RuleSet], object]) -> ShippedHelp:
        help_text = super().__new__(cls, text)
        help_text._read = read
        return help_text

    def __mod__(self, params: Any) -> str:
        try:
            rules = load_rules()
            values = {name: str(read(rules)) for name, read in self._read.items()}
        except QfundError:  # a damaged installation: the help still prints
            values = dict.fromkeys(self._read, "unreadable")
        return str.__mod__(str(self).format(**values), params)


def later_rounds_refused(command: str, year: int, later: list[int]) -> str:
    """Why ``--ledger`` is refused for a batch older than the ledger's rounds (one line)."""
    years = ", ".join(map(str, later))
    return (
        f"qfund {command}: the ledger records later rounds ({years}) than the batch's round "
        f"{year}: --ledger decides a batch against earlier rounds only\n"
    )


def note_start_required(result: RoundResult, err: TextIO) -> None:
    """On a round that is not committed (a dry run, a report): what a commit will need."""
    needed = result.start_missing
    if needed is not None:
        err.write(f"qfund: note: {needed}, so a commit will need --publicity-start DATE\n")


#: The help of every --format option: argparse fills in the command's own default.
FORMAT_HELP = "output format (default: %(default)s)"


def load_batch_noting(
    rules: RuleSet, path: Path, err: TextIO, limits: Limits = DEFAULT_LIMITS
) -> Batch:
    """The batch at ``path`` under ``rules``, with :func:`batch_notes` on stderr, each a
    line ``qfund: note: ...``."""
    batch = rules.load_batch(path, limits=limits)
    err.writelines(f"qfund: note: {note}\n" for note in batch_notes(rules, batch, path))
    return batch


def batch_notes(rules: RuleSet, batch: Batch, path: Path) -> list[str]:
    """What a reviewer of the batch at ``path`` may have meant otherwise: a batch with no
    claims, an org_type that is a near miss of one 第四条 names in ``rules`` (R3 decides it
    not eligible, quietly else), and subjects of one applicant and kind that differ only in
    case or spacing (two qualifications, docs/interpretation.md). Each note one line."""
    notes: list[str] = []
    if not batch.claims:
        notes.append(f"{shown_path(path)} holds no claims")
    listed = list(rules.exclusions.eligibility.org_types)
    for a in batch.applicants:
        close = [] if a.org_type in listed else get_close_matches(a.org_type, listed, 1, 0.75)
        if close:
            notes.append(
                f"applicant {a.id}'s org_type {echo(a.org_type)} is not one 第四条 names; did "
                f"you mean {close[0]!r}? Its claims are decided not_eligible_applicant"
            )
    for (applicant, kind), named in _subjects_alike(batch).items():
        listed_subjects = "; ".join(f"{c} {echo(s)}" for s, c in named)
        notes.append(
            f"applicant {applicant}'s {kind} claims name subjects that differ only in case "
            f"or spacing ({listed_subjects}): each is decided as a qualification of its own"
        )
    return notes


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
