"""The ``qfund report`` and ``qfund diff`` commands: input and output only.

``cli.py`` wires them in with :func:`register`; the work is done by
:mod:`qfund_rules.report` and :mod:`qfund_rules.diff`.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ._cli_args import (
    FORMAT_HELP,
    batch_arg,
    batch_limits,
    batch_notes,
    caps_given,
    caps_opt,
    iso_date,
    lang_opt,
    later_rounds_refused,
    load_batch_noting,
    note_start_required,
    path_arg,
    rules_opt,
    wan_budget,
)
from ._yaml import shown_path
from .allocation import RoundResult, UnseenKey, run_round, unseen_keys
from .claims import Batch
from .decision import Evaluation
from .diff import diff_rules, measure_impact
from .engine import evaluate
from .errors import BatchError, Problem, RuleFileError
from .history import History
from .ledger import AwardState, MemoryLedger, SqliteLedger
from .report import render_report
from .rules import RULE_FILES, RuleSet, load_rules

if TYPE_CHECKING:
    from ._yaml import Limits
    from .cli import Handler

__all__ = ["register"]


def register(
    sub: argparse._SubParsersAction[Any],
) -> dict[str, Handler]:
    """Add ``report`` and ``diff`` to the ``qfund`` parser; return their handlers by name."""
    r = sub.add_parser(
        "report",
        help="write a batch's decisions as one self-contained HTML page",
        description="Decide a batch and write the decisions, with their traces and the "
        "clauses they rest on, as one HTML file that works offline and prints. Open "
        "FILE#outcome=rejected&open=ID to start filtered with a trace open.",
    )
    batch_arg(r)
    rules_opt(r)
    r.add_argument(
        "--ledger",
        type=path_arg,
        metavar="FILE",
        help="decide against this ledger's earlier rounds (read, never written); a ledger "
        "that already holds the batch's round or a later one is refused without --round; "
        "with --round, where each award stands in the ledger now",
    )
    r.add_argument(
        "--round",
        action="store_true",
        help="allocate the year's budget as `qfund round` does, without committing "
        "(against an empty ledger when --ledger is not given)",
    )
    r.add_argument(
        "--budget",
        type=wan_budget,
        metavar="AMOUNT",
        help="with --round: the year's budget in 万元, e.g. 300 or 287.5 (default: "
        "allocation.yaml budgets.by_year for the batch's round; for a round the ledger "
        "records, as recorded)",
    )
    r.add_argument(
        "--publicity-start",
        type=iso_date,
        metavar="DATE",
        help="with --round: first day of publicity (YYYY-MM-DD, 第二十二条); a commit needs it "
        "(publicity.commit.requires_start); for a round the ledger records, as recorded",
    )
    r.add_argument(
        "--out",
        type=path_arg,
        required=True,
        metavar="FILE",
        help="HTML file to write ('-': stdout)",
    )
    lang_opt(r, "the page")
    caps_opt(r)

    d = sub.add_parser(
        "diff",
        help="show what changed between two rule directories, and what it costs",
        description="Compare two rule directories: every item, condition, citation, "
        "clause, amount, budget, policy and list that changed, old and new side by side; "
        "an edited title or name is tagged wording (no outcome, item or amount depends on "
        "it), and the new rules' warnings are listed as `qfund validate` lists them. With "
        "--claims, every decision of the batch that changes, the total awarded under each, "
        "and each new dated amount no claim of the batch reaches. Exit 0 identical, "
        "1 different, 2 bad input.",
    )
    d.add_argument(
        "old_rules", type=path_arg, metavar="OLD_RULES", help="rule-file directory before"
    )
    d.add_argument(
        "new_rules", type=path_arg, metavar="NEW_RULES", help="rule-file directory after"
    )
    batch_arg(d, "claims batch to decide under both", option="--claims")
    d.add_argument("--format", choices=("text", "json"), default="text", help=FORMAT_HELP)
    lang_opt(d, "--format text")
    caps_opt(d)
    return {"report": _cmd_report, "diff": _cmd_diff}


def _cmd_report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if not args.round and (args.budget is not None or args.publicity_start is not None):
        err.write("qfund report: --budget and --publicity-start need --round\n")
        return 2
    rules = load_rules(args.rules)
    inputs = [args.batch, *(Path(rules.directory) / name for name in RULE_FILES)]
    if args.ledger is not None:
        inputs.append(args.ledger)
    if str(args.out) != "-" and any(_same_file(args.out, p) for p in inputs):
        shown = shown_path(args.out)
        err.write(f"qfund report: --out {shown} is an input of the report; not overwriting it\n")
        return 2
    batch = load_batch_noting(rules, args.batch, err, batch_limits(args))
    result: Evaluation | RoundResult
    now: tuple[AwardState, ...] = ()
    unseen: tuple[UnseenKey, ...] = ()
    if args.ledger is None and not args.round:
        result = evaluate(rules, batch)
    else:
        # A report never creates a ledger, and never writes to one.
        ledger = (
            SqliteLedger(args.ledger, readonly=True) if args.ledger is not None else MemoryLedger()
        )
        with ledger, ledger.snapshot():
            ledger.require_intact()  # nothing is shown as decided from an edited ledger
            if args.ledger is not None:
                unseen = unseen_keys(batch, ledger)  # as `qfund round` notes them
            if args.round:
                result = run_round(
                    rules,
                    batch,
                    ledger,
                    budget_yuan=args.budget,
                    publicity_start=args.publicity_start,
                    evaluator=None if args.ledger is not None else _without_ledger,
                )
                # Where the round's awards, and those it carried in, stand today: revoked
                # since, or a held award released (as `qfund explain --ledger` shows it).
                now = ledger.awards()
                note_start_required(result, err)
            else:
                recorded = [y for y in ledger.round_years() if y >= batch.round]
                if recorded:
                    err.write(_not_earlier(batch.round, recorded))
                    return 2
                result = evaluate(rules, batch, ledger)
    page = render_report(result, rules, batch, lang=args.lang, now=now, unseen=unseen)
    if str(args.out) == "-":
        out.write(page)
        return 0
    try:
        args.out.write_text(page, encoding="utf-8", newline="\n")
    except OSError as exc:
        err.write(f"qfund: {shown_path(args.out)}: cannot write: {exc.strerror}\n")
        return 2
    out.write(
        f"wrote {shown_path(args.out)}: {len(result.decisions)} decisions, rules {rules.version} "
        f"({rules.status}) sha256 {rules.sha256}\n"
    )
    return 0


def _without_ledger(rules: RuleSet, batch: Batch, _empty: History) -> Evaluation:
    """The batch decided with no history: a report's ``--round`` without ``--ledger``.

    The round is allocated against an empty stand-in ledger, which holds nothing: the
    decisions are those it would give, and their traces say that no ledger was read
    rather than that the ledger holds no earlier award. The result is marked not native
    (``RoundResult.native``); a report never commits it.
    """
    return evaluate(rules, batch)


def _not_earlier(year: int, recorded: list[int]) -> str:
    """Why a batch is not decided against a ledger that already holds its round or later.

    The ledger's history includes those rounds: a recorded round would be judged against
    its own awards (already awarded, not first time), and an older batch against awards
    made after it.
    """
    if recorded[0] == year:
        return (
            f"qfund report: the ledger already records round {year}: deciding the batch "
            "against it would count the round's own awards as earlier ones; add --round to "
            "show the round as recorded\n"
        )
    return later_rounds_refused("report", year, recorded)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return False


def _cmd_diff(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    given = caps_given(args)
    if args.claims is None and given:
        needs, caps = ("needs", "it caps") if len(given) == 1 else ("need", "they cap")
        err.write(f"qfund diff: {' and '.join(given)} {needs} --claims BATCH, the batch {caps}\n")
        return 2
    for directory in (args.old_rules, args.new_rules):
        if not directory.is_dir():
            err.write(f"qfund: {shown_path(directory)}: not a directory of rule files\n")
            return 2
    old, new = _load_both(args.old_rules, args.new_rules)
    diff = diff_rules(old, new)
    if args.claims is not None:
        batches = _batch_under_both(old, new, args.claims, batch_limits(args))
        if isinstance(batches, str):
            # The rules' changes still help: they say why the batch is refused on one side.
            out.write(diff.to_json() if args.format == "json" else diff.to_text(args.lang))
            err.write(batches)
            return 2
        err.writelines(_notes_under_both(old, new, *batches, args.claims))
        diff = replace(diff, impact=measure_impact(old, new, *batches))
    out.write(diff.to_json() if args.format == "json" else diff.to_text(args.lang))
    return 0 if diff.identical else 1


def _load_both(old_dir: Path, new_dir: Path) -> tuple[RuleSet, RuleSet]:
    """Both rule sets; every problem of both when either is invalid."""
    loaded: list[RuleSet] = []
    problems: list[Problem] = []
    for directory in (old_dir, new_dir):
        try:
            loaded.append(load_rules(directory))
        except RuleFileError as exc:
            problems.extend(exc.problems)
    if problems:
        raise RuleFileError(problems)
    return loaded[0], loaded[1]


def _notes_under_both(
    old: RuleSet, new: RuleSet, old_batch: Batch, new_batch: Batch, path: Path
) -> list[str]:
    """The batch's notes as every other command gives them (``batch_notes``), each once: a
    note under both rule sets as they say it, one under one side only (an org_type that is
    a near miss of one side's 第四条 list) saying which side."""
    under_old = batch_notes(old, old_batch, path)
    under_new = batch_notes(new, new_batch, path)
    lines = [
        f"qfund: note: {n}\n" if n in under_new else f"qfund: note: under the old rules: {n}\n"
        for n in under_old
    ]
    only_new = [n for n in under_new if n not in under_old]
    lines.extend(f"qfund: note: under the new rules: {n}\n" for n in only_new)
    return lines


def _batch_under_both(
    old: RuleSet, new: RuleSet, path: Path, limits: Limits
) -> tuple[Batch, Batch] | str:
    """The batch as each rule set loads it under ``limits``, or why one of them (or both)
    refuses it.

    A standard number's level depends on the industry codes of each rule set, and each may
    or may not accept a claim achieved after it was submitted. The caps are the reader's,
    whatever the rules: a batch over one is refused under both, as any command reports it.
    """
    same = (new.industry_codes, new.achieved_by_submission) == (
        old.industry_codes,
        old.achieved_by_submission,
    )
    sides = (("old", old), ("new", new)) if not same else (("old", old),)
    loaded: dict[str, Batch] = {}
    refused: dict[str, BatchError] = {}
    for side, rules in sides:
        try:
            loaded[side] = rules.load_batch(path, limits=limits)
        except BatchError as exc:
            refused[side] = exc
    if not refused:
        return loaded["old"], loaded.get("new", loaded["old"])
    if len(refused) == len(sides):
        raise refused["old"]  # bad input whatever the rules: as any command reports it
    side = next(iter(refused))
    other = "new" if side == "old" else "old"
    problems = refused[side]
    count = len([p for p in problems.problems if p.severity == "error"])
    return (
        f"{problems.render()}\n"
        f"qfund diff: {shown_path(path)} is valid under the {other} rules but refused under "
        f"the {side} ({count} problem{'s' if count != 1 else ''}): the rule changes above say "
        "why; no decision was priced\n"
    )
