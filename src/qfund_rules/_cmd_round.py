"""The ``qfund round`` and ``qfund ledger ...`` commands: input and output only.

``register(sub)`` adds the commands to ``qfund``'s sub-parsers and returns their handlers
for ``cli._COMMANDS``. The work is done by :mod:`qfund_rules.allocation` and
:mod:`qfund_rules.ledger`; errors they raise (``QfundError``) become exit 2 in ``cli.run``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TextIO

from ._cli_args import (
    FORMAT_HELP,
    ShippedHelp,
    backend_opt,
    batch_arg,
    batch_limits,
    caps_opt,
    iso_date,
    load_batch_noting,
    note_start_required,
    path_arg,
    rules_opt,
    wan_budget,
    year,
)
from ._yaml import shown_path, suggested_command
from .allocation import RoundResult, run_round, unseen_keys
from .claims import Batch
from .decision import JSONValue, dumps
from .durable_backend import evaluate_durable
from .explain import fact_text
from .ledger import MemoryLedger, Record, SqliteLedger
from .money import format_wan
from .rules import load_rules

__all__ = ["register"]

Handler = Callable[[argparse.Namespace, TextIO, TextIO], int]

#: One paragraph a line, each wrapped to the terminal by the formatter (_help.py).
_ROUND_EPILOG = "\n".join(
    [
        "Order of payment (rulings R10): awards deferred by earlier rounds first (oldest "
        "round first), then this round's awards by submitted_on, then claim id; awards are "
        "paid whole while they fit. Claims with `objection: true` are held (rulings R11).",
        "Without --commit nothing is written; committing the same round again records nothing.",
        "A year the ledger already holds is shown as recorded only for the same batch, "
        "rules, budget and publicity start; anything else is refused: a committed round "
        "cannot change.",
        "Awards are paid only after publicity (第二十条第(三)项): while allocation.yaml "
        "publicity.commit.requires_start is true, --commit needs --publicity-start.",
        "exit codes: 0 ok; 2 bad input, no budget for the year, --commit without "
        "--publicity-start (as above), a ledger that refuses the round, a ledger that fails "
        "`qfund ledger verify` (nothing is decided from it), or, with --commit, an applicant "
        "id the ledger knows under another key.",
    ]
)


def _ledger_opt(p: argparse.ArgumentParser, help_text: str) -> None:
    p.add_argument("--ledger", required=True, type=path_arg, metavar="FILE", help=help_text)


def register(sub: argparse._SubParsersAction[Any]) -> dict[str, Handler]:
    """Add ``round`` and ``ledger`` to ``qfund``'s sub-commands; return their handlers."""
    r = sub.add_parser(
        "round",
        help="evaluate a batch against the ledger and allocate the year's budget",
        description="Evaluate a claims batch against the ledger (earlier awards, deferred "
        "awards, bans), then allocate the round year's budget: each award paid, deferred "
        'or held. JSON as interchange.md ("A round") by default.',
        epilog=_ROUND_EPILOG,
    )
    batch_arg(r)
    _ledger_opt(
        r,
        "ledger file (SQLite); created only with --commit, else a missing file is read as "
        "an empty ledger",
    )
    r.add_argument(
        "--budget",
        type=wan_budget,
        metavar="AMOUNT",
        help="the year's budget in 万元, e.g. 300 or 287.5 (default: allocation.yaml "
        "budgets.by_year for the batch's round; for a round the ledger records, as recorded)",
    )
    r.add_argument(
        "--publicity-start",
        type=iso_date,
        metavar="DATE",
        help=ShippedHelp(
            "first day of publicity (YYYY-MM-DD, 第二十二条): it lasts allocation.yaml "
            "publicity.days ({days} in the shipped rules) counting the first, and disbursement "
            "starts the day after it ends (left out for a round the ledger records: as "
            "recorded)",
            days=lambda rules: rules.allocation.publicity.days,
        ),
    )
    r.add_argument(
        "--commit",
        action="store_true",
        help="record the round in the ledger, in one transaction (else nothing is written); "
        "needs --publicity-start while allocation.yaml publicity.commit.requires_start is true",
    )
    r.add_argument(
        "--format",
        choices=("json", "text"),
        default="json",
        help=FORMAT_HELP,
    )
    rules_opt(r)
    backend_opt(r)
    caps_opt(r)

    lg = sub.add_parser(
        "ledger",
        help="verify, show or amend the ledger (fraud findings, objections)",
        description="The ledger of committed rounds: an append-only SQLite file whose "
        "records are chained by sha256.",
    )
    actions = lg.add_subparsers(
        dest="ledger_command",
        metavar="ACTION",
        required=True,
        parser_class=type(lg),
        help="what to do; `qfund ledger ACTION --help` lists its arguments",
    )
    v = actions.add_parser(
        "verify",
        help="check the hash chain; exit 1 naming the first bad record",
        description="Walk the hash chain and report the first record that was edited, "
        "deleted or reordered (exit 1); exit 0 when the ledger is intact.",
    )
    _ledger_opt(v, "ledger file (must exist; read, never written)")
    v.add_argument("--format", choices=("text", "json"), default="text", help=FORMAT_HELP)

    s = actions.add_parser(
        "show",
        help="list the ledger's records",
        description="List the records in chain order: rounds, decisions, allocations, "
        "releases, fraud findings, clawbacks and bans.",
    )
    _ledger_opt(s, "ledger file (must exist; read, never written)")
    s.add_argument(
        "--year",
        type=year,
        metavar="YEAR",
        help="only the records of round YEAR (its decisions, and allocations made in or for YEAR)",
    )
    s.add_argument("--format", choices=("text", "json"), default="text", help=FORMAT_HELP)

    f = actions.add_parser(
        "fraud",
        help="record a fraud finding: revoke, claw back, ban (第二十四条)",
        description="第二十四条: revoke the claim's award, record the clawback of what was "
        "paid for it, and ban the applicant for ban.years of exclusions.yaml (see "
        "--found-on): claims submitted in [found-on, found-on + years) are rejected "
        "with `banned`. Awards already committed for the applicant's claims submitted in "
        "that interval are revoked too (paid: clawed back; deferred or held: cancelled), "
        "and listed. An award already revoked (its objection upheld, or under an earlier "
        "finding's ban) is said to be: nothing more is revoked or clawed back, and the ban "
        "starts all the same; so is a claim its round granted no award (rejected or "
        "superseded): there is no award to revoke, and the finding and its ban are recorded.",
    )
    _ledger_opt(f, "ledger file (must exist)")
    f.add_argument("--claim", required=True, metavar="ID", help="the committed claim's id")
    f.add_argument(
        "--found-on",
        required=True,
        type=iso_date,
        metavar="DATE",
        help=ShippedHelp(
            "the day the fraud was found (YYYY-MM-DD); the ban runs from it for "
            "exclusions.yaml ban.years ({years} in the shipped rules)",
            years=lambda rules: rules.exclusions.ban.years,
        ),
    )
    f.add_argument(
        "--round", type=year, metavar="YEAR", help="the claim's round year, when its id is reused"
    )
    f.add_argument("--format", choices=("text", "json"), default="text", help=FORMAT_HELP)
    rules_opt(f)

    rl = actions.add_parser(
        "release",
        help="resolve an objection to a held award",
        description="第二十二条: resolve the objection that holds an award. dismissed: the "
        "award joins the next round's allocation as a deferred award; upheld: it is revoked.",
    )
    _ledger_opt(rl, "ledger file (must exist)")
    rl.add_argument("--claim", required=True, metavar="ID", help="the held claim's id")
    rl.add_argument(
        "--found-on",
        required=True,
        type=iso_date,
        metavar="DATE",
        help="the day the objection was resolved (YYYY-MM-DD)",
    )
    rl.add_argument(
        "--outcome",
        required=True,
        choices=("upheld", "dismissed"),
        help="dismissed (the award joins the next round as a deferred award) or upheld "
        "(it is revoked)",
    )
    rl.add_argument(
        "--round", type=year, metavar="YEAR", help="the claim's round year, when its id is reused"
    )
    rl.add_argument("--format", choices=("text", "json"), default="text", help=FORMAT_HELP)
    return {"round": _cmd_round, "ledger": _cmd_ledger}


# --- round ------------------------------------------------------------------------------


def _cmd_round(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.backend == "durable" and args.commit:
        err.write(
            "qfund: --backend durable cannot --commit: only the native engine's "
            "decisions are recorded in a ledger\n"
        )
        return 2
    evaluator = evaluate_durable if args.backend == "durable" else None
    rules = load_rules(args.rules)
    batch = load_batch_noting(rules, args.batch, err, batch_limits(args))
    path: Path = args.ledger
    shown = shown_path(path)  # as every message names it: escaped when not printable
    budget, start = args.budget, args.publicity_start
    ledger: SqliteLedger
    if path.exists():
        # Without --commit the file is only read: not migrated, not written at all.
        ledger = SqliteLedger(path, create=False, readonly=not args.commit)
    elif args.commit:
        # A round the empty ledger refuses (no budget for the year...) creates no file.
        with MemoryLedger() as empty:
            first = run_round(rules, batch, empty, budget_yuan=budget, publicity_start=start)
        if _start_refused(first, err):
            return 2
        ledger = SqliteLedger(path)
    else:
        err.write(f"qfund: {shown} does not exist: the round sees an empty ledger\n")
        ledger = MemoryLedger()
    with ledger:
        if args.commit:
            # One transaction from reading the ledger to writing the round: a concurrent
            # `qfund round --commit` waits, then finds the round recorded.
            with ledger.transaction():
                ledger.require_intact()  # decide nothing from an edited ledger
                result = run_round(rules, batch, ledger, budget_yuan=budget, publicity_start=start)
                unseen = _unseen_history(batch, ledger)
                twice = bool(unseen) and not result.recorded
                if twice:
                    # Recorded, it would stand as a double payment or a dodged ban.
                    err.writelines(f"qfund: {line}\n" for line in unseen)
                    err.write(
                        f"qfund: round {result.year} not committed: it would pay an award twice "
                        "or let a ban be dodged; nothing recorded\n"
                    )
                if _start_refused(result, err) or twice:
                    return 2
                written = result.commit(ledger)
            seq, head = ledger.head()
            if written:
                err.write(f"qfund: round {result.year} committed to {shown}: head {seq} {head}\n")
            else:
                err.writelines(f"qfund: note: {line}\n" for line in unseen)
                err.write(f"qfund: round {result.year} was already in {shown}; nothing recorded\n")
        else:
            with ledger.snapshot():  # one state of the ledger, as a commit would see it
                ledger.require_intact()
                unseen = _unseen_history(batch, ledger)
                result = run_round(
                    rules,
                    batch,
                    ledger,
                    budget_yuan=budget,
                    publicity_start=start,
                    evaluator=evaluator,
                )
            err.writelines(f"qfund: note: {line}\n" for line in unseen)
            note_start_required(result, err)
            if result.recorded:
                err.write(f"qfund: round {result.year} is in {shown}; showing it as recorded\n")
    if args.format == "json":
        result.write_json(out)  # a decision at a time, as evaluate
    else:
        out.write(_round_text(result))
    return 0


def _start_refused(result: RoundResult, err: TextIO) -> bool:
    """Refuse a commit the rules forbid without a publicity start (第二十条第(三)项)."""
    needed = result.start_missing
    if needed is None:
        return False
    err.write(
        f"qfund: {needed}: give --publicity-start DATE (or set requires_start to false); "
        f"round {result.year} not committed, nothing recorded\n"
    )
    return True


def _unseen_history(batch: Batch, ledger: SqliteLedger) -> list[str]:
    """A line for each applicant with claims that the ledger knows under another key."""
    return [u.to_text("en") for u in unseen_keys(batch, ledger)]


def _round_text(result: RoundResult) -> str:
    ident = result.rules
    lines = [
        f"round {result.year}, rules {ident.get('version')} ({ident.get('status')}) "
        f"sha256 {ident.get('sha256', '')[:16]}",
        f"{'claim':<10} {'applicant':<10} {'outcome':<11} {'item':<16} {'万元':>8}  allocation",
    ]
    for d in result.decisions:
        status = d.allocation.status if d.allocation else None
        lines.append(
            f"{d.claim_id:<10} {d.applicant_id:<10} {d.outcome:<11} {d.item or '-':<16} "
            f"{format_wan(d.amount_yuan):>8}  {status or '-'}"
            + (f"  ({', '.join(d.reasons)})" if d.reasons else "")
        )
    if result.carried_in:
        lines.append("carried in from earlier rounds:")
        lines.extend(
            f"{c.claim_id:<10} {c.applicant_id:<10} {'round ' + str(c.round):<11} "
            f"{c.item or '-':<16} {format_wan(c.amount_yuan):>8}  {c.allocation.status}"
            for c in result.carried_in
        )
    s = result.summary
    lines.append(
        f"budget {format_wan(s.budget_yuan)} 万元; carried in {format_wan(s.carried_in_yuan)}; "
        f"awarded {format_wan(s.awarded_yuan)}; paid {format_wan(s.paid_yuan)}; "
        f"deferred {format_wan(s.deferred_yuan)}; held {format_wan(s.held_yuan)}"
    )
    if s.publicity is not None:
        p = s.publicity
        lines.append(f"publicity {p.start} .. {p.end}; disbursement from {p.disburse_from}")
    return "\n".join(lines) + "\n"


# --- ledger -----------------------------------------------------------------------------


def _cmd_ledger(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    actions: Mapping[str, Handler] = {
        "verify": _verify,
        "show": _show,
        "fraud": _fraud,
        "release": _release,
    }
    return actions[args.ledger_command](args, out, err)


def _verify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with SqliteLedger(args.ledger, readonly=True) as ledger, ledger.snapshot():
        fault = ledger.verify()
        seq, head = ledger.head()  # the head of the chain just verified
    if args.format == "json":
        out.write(
            dumps(
                {
                    "valid": fault is None,
                    "records": seq,
                    "head": head,
                    "fault": None if fault is None else fault.to_dict(),
                }
            )
        )
    elif fault is None:
        out.write(f"ok: {seq} records, head {head}\n")
    else:
        out.write(f"{fault}\n")
    if fault is not None:
        err.write(f"qfund: {shown_path(args.ledger)} fails verification\n")
        return 1
    return 0


def _show(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with SqliteLedger(args.ledger, readonly=True) as ledger, ledger.snapshot():
        fault = ledger.verify()
        records = ledger.records(year=args.year)
        seq, head = ledger.head()  # the head of the records listed
        awards = ledger.awards()
    # Claims their round granted no award: a fraud finding on one revoked nothing; awards a
    # ban revoked: a later finding on one names the earlier finding.
    ungranted = {(a.round, a.claim_id): a.outcome for a in awards if a.status is None}
    banned_by = {(a.round, a.claim_id): a.banned_by for a in awards if a.banned_by is not None}
    shown = shown_path(args.ledger)  # as every message names it: escaped when not printable
    if fault is not None:
        # Edited values under the stored head would read as the fund's record.
        verify = suggested_command("qfund ledger verify", "--ledger", args.ledger)
        err.write(
            f"qfund: {shown} fails verification ({fault}): its records are not shown; "
            f"check it with {verify}\n"
        )
        return 1
    if args.format == "json":
        listing: list[JSONValue] = [r.to_dict() for r in records]
        data: dict[str, JSONValue] = {"head": {"seq": seq, "hash": head}}
        if args.year is not None:
            data["year"] = args.year
        data["records"] = listing
        out.write(dumps(data))
        return 0
    scope = "" if args.year is None else f", year {args.year}"
    out.write(f"ledger {shown}: {seq} records, head {head}{scope}\n")
    for r in records:
        out.write(f"{r.seq:>6} {r.kind:<10} {_describe(r, ungranted, banned_by)}\n")
    return 0


#: What had revoked an award a fraud finding was recorded on (its ban starts all the same).
_ALREADY_REVOKED: Mapping[str, str] = {
    "objection": "objection upheld, 第二十二条第(五)项",
    "ban": "under the ban of an earlier finding, 第二十四条",
}


def _already_revoked(cause: str, banned_by: tuple[int, str] | None) -> str:
    """What had revoked an award a fraud finding was recorded on: under a ban, the earlier
    finding is named by its claim and round, as explain and the report name it."""
    if cause == "ban" and banned_by is not None:
        return (
            f"under the ban of the fraud found on claim {banned_by[1]} of round {banned_by[0]}, "
            "第二十四条"
        )
    return _ALREADY_REVOKED[cause]


def _no_award(outcome: str) -> str:
    """What a fraud finding did on a claim its round granted no award (第二十四条)."""
    why = outcome if outcome != "awarded" else "nothing allocated"
    return f"no award to revoke ({why}); the finding and its ban are recorded"


def _describe(
    r: Record,
    ungranted: Mapping[tuple[int, str], str] | None = None,
    banned_by: Mapping[tuple[int, str], tuple[int, str]] | None = None,
) -> str:
    """One record for `ledger show`; ``ungranted``: the claims (round, claim id) their round
    granted no award, with their outcome; ``banned_by``: the awards a ban revoked, with the
    (round, claim id) of the finding whose ban it was (``AwardState.banned_by``)."""
    b = r.body
    claim = f"{b.get('claim_id')} (round {b.get('round')})"
    if r.kind == "round":
        s = b["summary"]
        return (
            f"round {b['year']}: {len(b['claim_ids'])} claims; budget "
            f"{format_wan(s['budget_yuan'])} 万元, paid {format_wan(s['paid_yuan'])}, deferred "
            f"{format_wan(s['deferred_yuan'])}, held {format_wan(s['held_yuan'])}; rules "
            f"{b['rules'].get('version')} {str(b['rules'].get('sha256', ''))[:12]}"
            + (f"; batch {str(b['batch_sha256'])[:12]}" if b.get("batch_sha256") else "")
        )
    if r.kind == "decision":
        d = b["decision"]
        return (
            f"{d['claim_id']} {d['applicant_id']} {d['outcome']} {d['item'] or '-'} "
            f"{format_wan(d['amount_yuan'])} 万元"
            + (f" ({', '.join(d['reasons'])})" if d["reasons"] else "")
        )
    if r.kind == "allocation":
        return f"{claim} {b['status']} {format_wan(b['amount_yuan'])} 万元 in {b['year']}"
    if r.kind == "release":
        return f"{claim} objection {b['outcome']} on {b['found_on']}"
    if r.kind == "fraud":
        banned = b.get("banned_awards") or ()
        key = (b["round"], b["claim_id"])
        cause = str(b.get("already_revoked"))
        outcome = (ungranted or {}).get(key)
        if outcome is not None:
            revoked = _no_award(outcome)
        elif cause not in _ALREADY_REVOKED:
            revoked = "award revoked"
        else:
            revoked = (
                f"award already revoked ({_already_revoked(cause, (banned_by or {}).get(key))})"
            )
        return f"{claim} fraud found on {b['found_on']}: {revoked}" + (
            "; awards revoked under the ban: "
            + ", ".join(f"{x['claim_id']} (round {x['round']})" for x in banned)
            if banned
            else ""
        )
    if r.kind == "clawback":
        why = ""
        if b.get("reason") == "banned":
            f = b["fraud"]
            why = f" (banned: fraud finding on {f['claim_id']} (round {f['round']}))"
        return f"{claim} clawback {format_wan(b['amount_yuan'])} 万元{why}"
    if r.kind == "ban":
        return f"applicant {b['applicant_id']} banned {b['found_on']} .. {b['until']} (exclusive)"
    return fact_text(dict(b))  # a kind this version does not know: its body as JSON


def _write_head(
    err: TextIO, path: Path, what: str, before: tuple[int, str], ledger: SqliteLedger
) -> None:
    """The head after a write, as `round --commit` gives it, for the minutes (docs/rounds.md)."""
    seq, head = ledger.head()
    shown = shown_path(path)
    if (seq, head) == before:
        err.write(f"qfund: {what} was already in {shown}; nothing recorded: head {seq} {head}\n")
    else:
        err.write(f"qfund: {what} recorded in {shown}: head {seq} {head}\n")


def _fraud(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    rules = load_rules(args.rules)
    with SqliteLedger(args.ledger, create=False) as ledger:
        with ledger.transaction():  # the heads before and after this write, and no other
            before = ledger.head()
            finding = ledger.fraud(
                args.claim, args.found_on, rules.exclusions.ban.years, round_year=args.round
            )
        _write_head(err, args.ledger, f"fraud finding on claim {finding.claim_id}", before, ledger)
    if args.format == "json":
        out.write(dumps(finding.to_dict()))
    else:
        if not finding.granted:
            revoked = _no_award(finding.outcome)
        elif finding.already_revoked is None:
            revoked = "award revoked"
        else:
            already = _already_revoked(finding.already_revoked, finding.banned_by)
            revoked = f"award already revoked ({already})"
        out.write(
            f"claim {finding.claim_id} ({finding.applicant_id}): {revoked}; clawback "
            f"{format_wan(finding.clawback_yuan)} 万元 ({finding.clawback_yuan} yuan); "
            f"banned until {finding.banned_until} (exclusive)\n"
        )
        for b in finding.banned_awards:
            # R9: submitted inside the ban, so banned: the award is revoked with the finding.
            done = (
                f"clawback {format_wan(b.clawback_yuan)} 万元 ({b.clawback_yuan} yuan)"
                if b.status == "paid"
                else f"{b.status} award cancelled"
            )
            out.write(
                f"claim {b.claim_id} ({b.applicant_id}, round {b.round}, submitted "
                f"{b.submitted_on}, inside the ban): award of {format_wan(b.amount_yuan)} 万元 "
                f"revoked; {done}\n"
            )
    return 0


def _release(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with SqliteLedger(args.ledger, create=False) as ledger:
        with ledger.transaction():
            before = ledger.head()
            release = ledger.release(args.claim, args.found_on, args.outcome, round_year=args.round)
        what = f"release of claim {release.claim_id} (objection {release.outcome})"
        _write_head(err, args.ledger, what, before, ledger)
    if args.format == "json":
        out.write(dumps(release.to_dict()))
    else:
        then = (
            "the award joins the next round as a deferred award"
            if release.status == "deferred"
            else "the award is revoked"
        )
        out.write(
            f"claim {release.claim_id} ({release.applicant_id}): objection {release.outcome}; "
            f"{then} ({format_wan(release.amount_yuan)} 万元)\n"
        )
        for c in release.counted_by:
            if c.reason == "duplicate_claim":
                out.write(
                    f"note: claim {c.claim_id} (round {c.round}, {c.item}) of another applicant "
                    "was rejected duplicate_claim, this award holding the lead of its standard "
                    "(第十三条); with it revoked, that claim may have led it, and no command "
                    "decides the claim again\n"
                )
                continue
            if c.outcome == "rejected":
                out.write(
                    f"note: claim {c.claim_id} (round {c.round}, {c.item}) was rejected "
                    "already_awarded counting this award as earlier (第二十条第(二)项); with it "
                    "revoked, the qualification may be paid less than its tier, and no command "
                    "decides the claim again\n"
                )
                continue
            out.write(
                f"note: claim {c.claim_id} (round {c.round}, {c.item}) was awarded "
                f"{format_wan(c.amount_yuan)} 万元 counting this award as earlier (top-up, "
                "第二十条第(二)项); with it revoked, the qualification is paid less than its "
                "tier, and no command pays the difference\n"
            )
    return 0
