"""The ``qfund`` command line: input/output only; every decision is made by the library.

Exit codes: 0 ok, 1 a check failed (invalid rules for ``validate``, a failing case for
``test``), 2 bad input or usage (every problem printed, never a traceback), or an output
that cannot be written.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import io
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final, TextIO

from . import __version__
from ._cli_args import (
    FORMAT_HELP,
    backend_opt,
    batch_arg,
    batch_limits,
    caps_opt,
    iso_date,
    lang_opt,
    later_rounds_refused,
    limit_notes,
    load_batch_noting,
    path_arg,
    rules_opt,
)
from ._cmd_report import register as _register_report
from ._cmd_round import register as _register_round
from ._excerpt import echo
from ._help import DisplayWidthFormatter
from ._measures import check_citations, require_articles
from ._validation import did_you_mean
from ._yaml import DEFAULT_LIMITS, read_bounded, shown_path
from .allocation import UnseenKey, run_round, unseen_keys
from .casebook import run_cases
from .claims import Batch
from .decision import Decision, Evaluation, JSONValue, dumps
from .durable_backend import evaluate_durable
from .engine import evaluate
from .errors import BatchError, InputError, QfundError, RuleFileError
from .explain import explain, table
from .ledger import AwardState, SqliteLedger
from .money import format_wan
from .rules import ITEM_IDS, RuleSet, load_rules
from .schema import SCHEMA_NAMES, cases_schema, schemas

__all__ = ["main", "run"]

#: One paragraph a line, each wrapped to the terminal by the formatter (_help.py).
_EPILOG = "\n".join(
    [
        "exit codes: 0 ok; 1 a check failed; 2 bad input (every problem is listed as "
        "FILE:LINE:COL: field: message).",
        "docs: README.md and docs/ (integrators, policy staff, rule files, rounds, auditors, "
        "limits, interpretation).",
    ]
)


class _UsageError(Exception):
    """Raised by the parser instead of exiting, so ``run`` can return 2."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(f"{parser.prog}: error: {message}")
        self.parser = parser  # the (sub)command whose usage applies


class _Parser(argparse.ArgumentParser):
    """Every ``qfund`` parser and sub-parser (``add_subparsers(parser_class=...)``): help
    wrapped by display width, usage errors raised."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The formatter of every parser, whatever a caller gives: with another, a command's
        # help would run past the terminal again.
        super().__init__(*args, **{**kwargs, "formatter_class": DisplayWidthFormatter})

    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(self, message)


Handler = Callable[[argparse.Namespace, TextIO, TextIO], int]


class _Version(argparse.Action):
    """``--version``: the package, and the rule set it ships (the one used by default)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        try:
            rules = load_rules()
            shipped = f"; shipped rules {rules.version} ({rules.status}) sha256 {rules.sha256}"
        except QfundError:  # a damaged installation: the package's own version still helps
            shipped = ""
        sys.stdout.write(f"qfund {__version__}{shipped}\n")  # stdout, as argparse's own
        parser.exit()


def _parser() -> tuple[argparse.ArgumentParser, dict[str, Handler]]:
    p = _Parser(
        prog="qfund",
        description="Hami City quality fund (质量提升发展专项资金) award rules: validate the rule "
        "files and evaluate claims into auditable decisions.",
        epilog=_EPILOG,
    )
    p.add_argument(
        "--version",
        action=_Version,
        nargs=0,
        help="show qfund's version and that of the rules it ships, then exit",
    )
    sub = p.add_subparsers(
        dest="command",
        metavar="COMMAND",
        required=True,
        parser_class=_Parser,
        help="what to do; `qfund COMMAND --help` lists its arguments",
    )

    v = sub.add_parser(
        "validate",
        help="check the rule files; exit 1 when invalid",
        description="Check awards.yaml, exclusions.yaml and allocation.yaml and "
        "list every problem with file, line and field; with --measures, once the files "
        "load, also check their clauses and citations against the text of the measures.",
    )
    v.add_argument(
        "rules_dir",
        nargs="?",
        type=path_arg,
        metavar="RULES_DIR",
        help="rule-file directory (default: the rules installed with qfund)",
    )
    v.add_argument("--format", choices=("text", "json"), default="text", help=FORMAT_HELP)
    v.add_argument(
        "--measures",
        type=path_arg,
        metavar="FILE",
        help="also check that every clause is quoted verbatim from this UTF-8 text of the "
        "measures (docs/source/measures-2026-draft.txt) and that every citation names the "
        "article, and numbered item, that holds it",
    )

    c = sub.add_parser(
        "catalogue",
        help=f"list the {len(ITEM_IDS)} award items with their amounts",
        description="List every award item with its id, citation, the amount in force "
        "on a date (none outside the period the measures are in force) and its title; JSON "
        "adds each item's family, kind and first-time flag.",
    )
    rules_opt(c)
    c.add_argument(
        "--on",
        type=iso_date,
        metavar="DATE",
        help="date whose amounts to show (YYYY-MM-DD; default: the day the rules come into force)",
    )
    c.add_argument("--format", choices=("text", "json"), default="text", help=FORMAT_HELP)
    lang_opt(c, "the heading and item titles in --format text (JSON holds both)")

    s = sub.add_parser(
        "schema",
        help="print the JSON Schema of a rule file, a claims batch or a case file",
        description="JSON Schema for editors, generated from what `qfund validate` and "
        "`qfund test` check with. The case files' schema holds the item ids and families of "
        "a rule set: --rules DIR names it.",
    )
    s.add_argument(
        "which",
        choices=SCHEMA_NAMES,
        metavar="SCHEMA",
        help="awards, exclusions or allocation (a rule file), batch (a claims batch) or "
        "cases (a case file of `qfund test`)",
    )
    rules_opt(s)

    e = sub.add_parser(
        "evaluate",
        help="decide every claim of a batch",
        description="Evaluate a claims batch (YAML, or strict JSON when named *.json) into "
        "decisions; JSON as interchange.md by default.",
    )
    batch_arg(e)
    rules_opt(e)
    e.add_argument("--format", choices=("json", "text"), default="json", help=FORMAT_HELP)
    lang_opt(e, "--format text (JSON holds every message in both)")
    backend_opt(e)
    caps_opt(e)

    x = sub.add_parser(
        "explain",
        help="show one decision's trace as an auditor reads it",
        description="Print every step of one claim's decision: the facts read, "
        "the article applied with its clause, and the result.",
    )
    batch_arg(x, "claims batch holding the claim")
    x.add_argument("--claim", required=True, metavar="ID", help="id of the claim to explain")
    rules_opt(x)
    x.add_argument(
        "--ledger",
        type=path_arg,
        metavar="FILE",
        help="decide against this ledger's earlier rounds (read, never written); a round "
        "the ledger records is explained as committed, with its allocation and where the "
        "award stands now; an applicant the ledger knows by another key is noted on stderr",
    )
    lang_opt(x, "the trace")
    caps_opt(x)

    t = sub.add_parser(
        "test",
        help="run the YAML domain tests (rules/tests/)",
        description="Run example claims with expected decisions; print a line "
        "per case and a diff on failure. Exit 0 when every case passes, 1 when one fails, "
        "2 when the case files or the rule files have problems (every one listed; no case "
        "runs).",
    )
    t.add_argument(
        "cases_dir",
        nargs="?",
        type=path_arg,
        metavar="CASES_DIR",
        help="directory of case files (default: tests/ beside the rule files)",
    )
    rules_opt(t)
    commands = {**_COMMANDS, **_register_round(sub), **_register_report(sub)}
    return p, commands


def run(
    argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run ``qfund`` with ``argv``; return the exit code. Never raises for bad input."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    parser, commands = _parser()
    if not (sys.argv[1:] if argv is None else argv):
        # `qfund` alone: what it can do, rather than one line saying a command is missing.
        err.write(parser.format_help())
        return 2
    try:
        # argparse prints --help and --version to sys.stdout; send them to ``out``.
        with contextlib.redirect_stdout(out):
            args = parser.parse_args(argv)
    except _UsageError as exc:
        exc.parser.print_usage(err)
        err.write(f"{exc}\n")
        return 2
    except SystemExit as exc:  # --help and --version exit 0 through argparse
        return int(exc.code or 0)
    handler = commands[args.command]
    try:
        return handler(args, out, err)
    except InputError as exc:
        err.write(exc.render() + "\n")
        if isinstance(exc, BatchError) and hasattr(args, "max_bytes"):
            # --max-bytes and --max-nodes cap the batch only: a rule file keeps the defaults.
            err.writelines(limit_notes(exc.problems))
        count = len([p for p in exc.problems if p.severity == "error"])
        err.write(f"qfund: {count} problem{'s' if count != 1 else ''}; nothing was decided\n")
        return 1 if isinstance(exc, RuleFileError) and args.command == "validate" else 2
    except QfundError as exc:
        err.write(f"qfund: {exc}\n")
        return 2


def _rules(args: argparse.Namespace) -> RuleSet:
    return load_rules(args.rules)


def _batch(args: argparse.Namespace, rules: RuleSet, err: TextIO) -> Batch:
    return load_batch_noting(rules, args.batch, err, batch_limits(args))


def _read_text(path: Path) -> str:
    """A UTF-8 text file's contents; a QfundError naming the file when it cannot be read."""
    try:
        raw = read_bounded(path)
    except OSError as exc:
        raise QfundError(f"{shown_path(path)}: cannot read: {exc.strerror}") from None
    if len(raw) > DEFAULT_LIMITS.max_bytes:
        raise QfundError(f"{shown_path(path)}: more than {DEFAULT_LIMITS.max_bytes} bytes")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        at = exc.start
        raise QfundError(f"{shown_path(path)}: not UTF-8 text (bad byte at offset {at})") from None


def _validated(directory: Path | None, measures: str | None) -> RuleSet:
    """The loaded rules, then checked against the text of the measures when given one."""
    rules = load_rules(directory)
    found = check_citations(rules, measures) if measures is not None else ()
    if found:
        raise RuleFileError([*rules.warnings, *found])
    return rules


def _cmd_validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    directory: Path | None = args.rules_dir
    if directory is not None and not directory.is_dir():
        err.write(f"qfund: {shown_path(directory)}: not a directory of rule files\n")
        return 2
    # A measures file that cannot be used (unreadable, or no article in it) does not hide
    # what is wrong with the rules: it is said on stderr, as `qfund: ...`, in either format;
    # the JSON on stdout lists the rule files' problems only.
    measures, unread = None, None
    if args.measures is not None:
        try:
            measures = _read_text(args.measures)
            require_articles(measures, args.measures)
        except QfundError as exc:
            measures, unread = None, exc
    try:
        rules = _validated(directory, measures)
    except RuleFileError as exc:
        if args.format == "json":
            problems: list[JSONValue] = [str(p) for p in exc.problems]
            out.write(dumps({"valid": False, "problems": problems}))
        else:
            err.write(exc.render() + "\n")
        if unread is not None:
            err.write(f"qfund: {unread}\n")
        if args.format != "json":
            n = len([p for p in exc.problems if p.severity == "error"])
            err.write(f"qfund: invalid rule files: {n} problem{'s' if n != 1 else ''}\n")
        unreadable = unread is not None or all(p.line is None for p in exc.problems)
        return 2 if unreadable else 1
    # The warnings first: a measures file that cannot be used hides nothing about the rules.
    for w in rules.warnings:
        err.write(f"{w}\n")
    if unread is not None:
        raise unread
    if args.format == "json":
        out.write(
            dumps(
                {
                    "valid": True,
                    "rules": dict(rules.identity()),
                    "warnings": [str(w) for w in rules.warnings],
                }
            )
        )
    else:
        out.write(
            f"ok: {len(rules.items)} award items, rules {rules.version} ({rules.status}), "
            f"in force {rules.effective_from} .. {rules.effective_until}\n"
            f"sha256 {rules.sha256}\n"
            f"read from {shown_path(rules.directory)}\n"
        )
        if args.measures is not None:
            out.write(f"every clause and citation agrees with {shown_path(args.measures)}\n")
    return 0


def _cmd_catalogue(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    rules = _rules(args)
    on: dt.date = args.on or rules.effective_from
    # 第二十八条: outside the period in force no amount applies (a claim would be refused).
    in_force = rules.effective_from <= on <= rules.effective_until
    items: list[dict[str, JSONValue]] = []
    for c in rules.items:
        amount = c.amount_on(on) if in_force else None
        items.append(
            {
                "id": c.id,
                "citation": c.item.citation,
                "family": c.item.family,
                "kind": c.item.kind,
                "first_time": c.item.first_time,
                "amount_yuan": amount,
                "amount_wan": None if amount is None else format_wan(amount),
                "title_zh": c.item.title_zh,
                "title_en": c.item.title_en,
            }
        )
    if args.format == "json":
        listing: list[JSONValue] = list(items)
        data: dict[str, JSONValue] = {"rules": dict(rules.identity()), "on": on.isoformat()}
        out.write(dumps({**data, "in_force": in_force, "items": listing}))
        return 0
    period = f"{rules.effective_from} .. {rules.effective_until}"
    if args.lang == "zh":
        head = f"规则 {rules.version} ({rules.status}),"
        when = f"{on} 施行的金额" if in_force else f"{on} 不在有效期内({period}):不适用任何金额"
    else:
        head = f"rules {rules.version} ({rules.status}), "
        when = f"amounts in force on {on}" if in_force else (
            f"not in force on {on} ({period}): no amount applies"
        )  # fmt: skip
    out.write(f"{head}{when}\n")
    for it in items:
        wan = "-" if it["amount_wan"] is None else f"{it['amount_wan']} 万元"
        title = it["title_zh"] if args.lang == "zh" else it["title_en"]
        out.write(f"{it['id']:<16} {it['citation']:<12} {wan:>8}  {title}\n")
    return 0


def _cmd_schema(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.which == "cases":
        schema = cases_schema(_rules(args))
    elif args.rules is not None:
        same = f"{args.which}'s is the same for every rule set"
        err.write(f"qfund schema: --rules is for the cases schema; {same}\n")
        return 2
    else:
        schema = schemas()[args.which]
    out.write(json.dumps(schema, ensure_ascii=False, indent=2) + "\n")
    return 0


def _cmd_evaluate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    rules = _rules(args)
    batch = _batch(args, rules, err)
    evaluation: Evaluation
    if args.backend == "durable":
        # The second evaluator (issue 5): a worker process; DurableUnavailableError and
        # DurableBackendError are QfundErrors, so they exit 2 with their message.
        evaluation = evaluate_durable(rules, batch)
    else:
        evaluation = evaluate(rules, batch)
    if args.format == "json":
        evaluation.write_json(out)  # a decision at a time: a large batch's text is never whole
    else:
        out.write(table(evaluation, args.lang))
    return 0


def _known(claim_id: str, decisions: Sequence[Decision]) -> str:
    """What the batch holds instead of ``claim_id``: its claims, or the closest of many."""
    ids = [d.claim_id for d in decisions]
    if not ids:
        return ": it holds no claims"
    if len(ids) <= _LISTED_CLAIMS:
        return f"; claims: {', '.join(ids)}"
    return f" ({len(ids)} claims){did_you_mean(claim_id, ids)}"


#: Up to this many claims, a claim id not found is answered with the batch's list of ids.
_LISTED_CLAIMS: Final = 40


def _cmd_explain(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    rules = _rules(args)
    batch = _batch(args, rules, err)
    state: AwardState | None = None
    unseen: tuple[UnseenKey, ...] = ()
    if args.ledger is None:
        decisions = evaluate(rules, batch).decisions
    else:
        with SqliteLedger(args.ledger, readonly=True) as ledger, ledger.snapshot():
            ledger.require_intact()  # nothing is explained from an edited ledger
            # As `qfund round` notes it: the claim's applicant known by another key.
            claimant = [c.applicant for c in batch.claims if c.id == args.claim]
            unseen = unseen_keys(batch, ledger, claimant)
            years = ledger.round_years()
            later = [y for y in years if y > batch.round]
            if batch.round in years:
                # As committed: run_round reads a recorded round back, and refuses it when
                # the batch or the rules are not those it was committed from.
                decisions = run_round(rules, batch, ledger).decisions
                key = (batch.round, args.claim)
                state = next((a for a in ledger.awards() if (a.round, a.claim_id) == key), None)
            elif later:
                err.write(later_rounds_refused("explain", batch.round, later))
                return 2
            else:
                decisions = evaluate(rules, batch, ledger).decisions
    found_decision = [d for d in decisions if d.claim_id == args.claim]
    if not found_decision:
        err.write(
            f"qfund: no claim {echo(args.claim)} in {shown_path(args.batch)}"
            f"{_known(args.claim, decisions)}\n"
        )
        return 2
    err.writelines(f"qfund: note: {u.to_text()}\n" for u in unseen)
    out.write(explain(found_decision[0], rules, args.lang, now=state))
    return 0


def _cmd_test(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    rules = _rules(args)
    directory: Path = args.cases_dir or Path(rules.directory) / "tests"
    passed = failed = 0
    for result in run_cases(rules, directory):
        # The case file's name as every message names a path: escaped here, once.
        file = shown_path(Path(result.file).name)
        if result.passed:
            passed += 1
            out.write(f"PASS {file}: {result.name}\n")
        else:
            failed += 1
            out.write(f"FAIL {file}: {result.name}\n")
            for line in result.differences:
                out.write(f"     {line}\n")
    out.write(f"{passed} passed, {failed} failed\n")
    return 1 if failed else 0


_COMMANDS: dict[str, Handler] = {
    "validate": _cmd_validate,
    "catalogue": _cmd_catalogue,
    "schema": _cmd_schema,
    "evaluate": _cmd_evaluate,
    "explain": _cmd_explain,
    "test": _cmd_test,
}


class _WholeWrites(io.RawIOBase):
    """A file descriptor whose every write is made whole, or fails.

    CPython's stdout can drop what is left of a large write that the pipe took only in
    part before its reader went away (``qfund evaluate ... | head -1``), and report
    success: the command would exit 0 with its output cut. Here each write goes on until
    all of it is written, so a reader gone is a ``BrokenPipeError``, as for a small write.
    """

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        done = 0
        while done < len(view):
            done += os.write(self._fd, view[done:])
        return done


def _whole_stdout() -> None:
    """Point ``sys.stdout`` at its descriptor through :class:`_WholeWrites`."""
    stdout = sys.__stdout__
    if stdout is None or sys.stdout is not stdout:
        return  # a caller's own stdout (tests, an embedding program): left as it is
    try:
        fd = stdout.fileno()
    except (OSError, ValueError):
        return
    stdout.flush()
    sys.stdout = io.TextIOWrapper(
        io.BufferedWriter(_WholeWrites(fd), buffer_size=1 << 16),
        encoding=stdout.encoding,
        errors=stdout.errors,
        line_buffering=stdout.line_buffering,  # a terminal still sees each line at once
    )


def main() -> None:
    """Console entry point: ``qfund``."""
    # A short-lived process deciding a batch creates no reference cycles worth collecting;
    # the cyclic collector's walks of a large batch cost more than the evaluation itself.
    gc.disable()
    _whole_stdout()
    try:
        code = run()
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader of stdout went away (`qfund test | head -1`): stop quietly, as a
        # command killed by SIGPIPE would, and keep Python from complaining at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 128 + 13
    except UnicodeEncodeError as exc:
        # A terminal or pipe that takes only ASCII (PYTHONIOENCODING=ascii): the decisions
        # are Chinese text. Said in ASCII, so that the message itself gets through.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.stderr.write(
            f"qfund: the output is Chinese text, which the {exc.encoding} encoding of this "
            "terminal or pipe cannot carry: set PYTHONIOENCODING=utf-8 (or a UTF-8 locale)\n"
        )
        code = 2
    except OSError as exc:
        # stdout itself failed (`> /dev/full`, a disk that filled up): say so in one line;
        # what is left in its buffer goes nowhere, so that exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.stderr.write(f"qfund: cannot write the output: {exc.strerror or exc}\n")
        code = 2
    raise SystemExit(code)
