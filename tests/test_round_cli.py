"""Tests for ``qfund round`` and ``qfund ledger ...``: a multi-year scenario from the CLI,
on the shipped batches examples/rounds/claims-2027.yaml and claims-2028.yaml.

Year 2027 (budget 100 万元): C1 中国质量奖提名奖 40 万 and C2 winner 60 万 are paid and use
the whole budget; C3 (领军企业 20 万) and C4 (CNAS 10 万) are deferred; C5 (哈密市质量奖
提名奖 5 万, with an objection) is held. Then C5's objection is dismissed, and fraud is found
on C2 (60 万 clawed back, A2 banned). Year 2028 (budget 55 万元): the carried C3, C4,
C5 are paid first (35 万), then A1's winner claim D1 tops up its nominee award (60 - 40 =
20 万); A2's claim D2 is rejected as banned.
"""

from __future__ import annotations

import html
import io
import json
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import qfund_rules as q
from qfund_rules.cli import run

from .conftest import ROOT

ROUNDS = ROOT / "examples" / "rounds"


def example(name: str) -> Any:
    """A shipped example batch of docs/rounds.md as plain JSON data (dates as text)."""
    data = yaml.safe_load((ROUNDS / name).read_text(encoding="utf-8"))
    return json.loads(json.dumps(data, default=str))


BATCH_2027 = example("claims-2027.yaml")
BATCH_2028 = example("claims-2028.yaml")


def qfund(*argv: str | Path) -> tuple[int, str, str]:
    """Run ``qfund`` in process; return exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = run([str(a) for a in argv], out, err)
    return code, out.getvalue(), err.getvalue()


def qfund_json(*argv: str | Path) -> Any:
    """Run ``qfund``, expect exit 0, and parse its JSON output."""
    code, out, err = qfund(*argv)
    assert code == 0, err
    return json.loads(out)


#: The walkthrough's publicity of round 2028 (第二十条第(三)项: a round is committed with it).
START_2028 = ("--publicity-start", "2028-06-01")


def write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


class Scenario:
    """The scenario's files and every output, run once for the module."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.ledger = root / "fund.db"
        self.b27 = write(root / "claims-2027.json", BATCH_2027)
        self.b28 = write(root / "claims-2028.json", BATCH_2028)
        common = ("--ledger", self.ledger, "--format", "json")
        self.dry_2027 = qfund_json("round", self.b27, *common, "--budget", "100")
        self.created_by_dry_run = self.ledger.exists()
        code, out, self.committed_2027 = qfund(
            "round", self.b27, *common, "--budget", "100", "--publicity-start", "2027-06-01",
            "--commit",
        )  # fmt: skip
        assert code == 0, self.committed_2027
        self.round_2027 = json.loads(out)
        # In the order of their dates, as docs/rounds.md shows them.
        self.release = qfund(
            "ledger", "release", "--ledger", self.ledger, "--claim", "C5",
            "--found-on", "2027-06-10", "--outcome", "dismissed",
        )  # fmt: skip
        code, out, self.fraud_err = qfund(
            "ledger", "fraud", *common, "--claim", "C2", "--found-on", "2028-01-15"
        )
        assert code == 0, self.fraud_err
        self.fraud = json.loads(out)
        self.round_2028 = qfund_json(
            "round", self.b28, *common, "--budget", "55", *START_2028, "--commit"
        )
        self.verify = qfund("ledger", "verify", "--ledger", self.ledger)

    def copy(self, tmp_path: Path) -> Path:
        """A copy of the scenario's ledger to tamper with."""
        return Path(shutil.copy(self.ledger, tmp_path / "copy.db"))


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """The two-year scenario of the module docstring, run from the CLI."""
    return Scenario(tmp_path_factory.mktemp("scenario"))


def allocations(result: Any) -> dict[str, tuple[str | None, int]]:
    """Claim id -> (status, amount) for this round's decisions and the carried awards."""
    out = {
        d["claim_id"]: (d["allocation"]["status"], d["allocation"]["amount_yuan"])
        for d in result["decisions"]
    }
    out.update(
        {
            f"{c['claim_id']}@{c['round']}": (c["allocation"]["status"], c["amount_yuan"])
            for c in result["carried_in"]
        }
    )
    return out


def money(summary: Any) -> tuple[int, ...]:
    keys = ("budget_yuan", "carried_in_yuan", "paid_yuan", "deferred_yuan", "held_yuan")
    return tuple(summary[k] for k in keys)


# --- the scenario ---------------------------------------------------------------------


def test_year_one_budget_runs_out(scenario: Scenario) -> None:
    """2027: 40 万 and 60 万 use the 100 万 budget; the rest is deferred, C5 held."""
    assert allocations(scenario.round_2027) == {
        "C1": ("paid", 400_000),
        "C2": ("paid", 600_000),
        "C3": ("deferred", 200_000),
        "C4": ("deferred", 100_000),
        "C5": ("held", 50_000),
    }


def test_year_one_summary(scenario: Scenario) -> None:
    """2027's summary: budget, carried in, paid, deferred, held, and the publicity dates."""
    summary = scenario.round_2027["summary"]
    assert (money(summary), summary["publicity"]) == (
        (1_000_000, 0, 1_000_000, 300_000, 50_000),
        {"start": "2027-06-01", "end": "2027-06-07", "disburse_from": "2027-06-08"},
    )


def test_round_output_names_the_rules(scenario: Scenario) -> None:
    """The round's JSON starts with the rule set's identity, as qfund evaluate's does."""
    assert list(scenario.round_2027["rules"]) == ["version", "status", "sha256"]


def test_dry_run_writes_nothing(scenario: Scenario) -> None:
    """Without --commit the round is computed and no ledger file is created."""
    assert (False, allocations(scenario.round_2027)) == (
        scenario.created_by_dry_run,
        allocations(scenario.dry_2027),
    )


def test_rounds_doc_shows_this_scenario(scenario: Scenario) -> None:
    """docs/rounds.md's transcript is this scenario: the head hashes it prints are its own."""
    doc = (ROOT / "docs" / "rounds.md").read_text(encoding="utf-8")
    written = (scenario.committed_2027, scenario.release[2], scenario.fraud_err)
    heads = {*(err.split()[-1] for err in written), scenario.verify[1].split()[-1]}
    assert set(re.findall(r"\b[0-9a-f]{64}\b", doc)) == heads
    # A head shown shortened (`head 03f50e13...`) is the start of one of them too.
    shortened = re.findall(r"\bhead ([0-9a-f]{6,63})\.\.\.", doc)
    assert shortened
    assert [h for h in shortened if not any(full.startswith(h) for full in heads)] == []


def test_rounds_doc_names_its_batches_by_their_digest() -> None:
    """The batch digests `ledger show` prints in docs/rounds.md (12 hex digits) are those
    of the walkthrough's batches as loaded now."""
    rules = q.load_rules(ROOT / "rules")
    digests = {
        q.batch_sha256(rules.load_batch(ROOT / "examples" / "rounds" / f"claims-{year}.yaml"))[:12]
        for year in (2027, 2028)
    }
    doc = (ROOT / "docs" / "rounds.md").read_text(encoding="utf-8")
    shown = set(re.findall(r"; batch ([0-9a-f]{12})\b", doc))
    assert shown
    assert shown <= digests


def test_fraud_finding_output(scenario: Scenario) -> None:
    """ledger fraud claws back the 60 万 paid and bans A2 for 3 years from the finding."""
    assert scenario.fraud == {
        "claim_id": "C2",
        "applicant_id": "A2",
        "clawback_yuan": 600_000,
        "banned_until": "2031-01-15",
        "banned_awards": [],
        "already_revoked": None,
        "banned_by": None,
        "outcome": "awarded",
        "award_revoked": True,
    }


def fraud_after_round_two(scenario: Scenario, tmp_path: Path, budget: str) -> Path:
    """Rounds 2027 and 2028 committed (C5 still held), then fraud found on C2 on 2028-01-15.

    A2's D2 (submitted 2028-03-21) was awarded 10 万 in 2028: deferred with a 55 万 budget,
    paid with 65 万. The finding comes after the round, so the round could not ban it.
    """
    ledger = tmp_path / "late.db"
    for argv in (
        ("round", scenario.b27, "--budget", "100", "--publicity-start", "2027-06-01", "--commit"),
        ("round", scenario.b28, "--budget", budget, *START_2028, "--commit"),
    ):
        code, _, err = qfund(*argv[:2], "--ledger", ledger, *argv[2:])
        assert code == 0, err
    return ledger


@pytest.mark.parametrize(
    ("budget", "done"),
    [("55", "deferred award cancelled"), ("65", "clawback 10 万元 (100000 yuan)")],
    ids=["deferred", "paid"],
)
def test_a_late_fraud_finding_revokes_awards_inside_the_ban(
    scenario: Scenario, tmp_path: Path, budget: str, done: str
) -> None:
    """ledger fraud lists A2's D2 (submitted inside the ban) as revoked, and verify passes."""
    ledger = fraud_after_round_two(scenario, tmp_path, budget)
    code, out, err = qfund(
        "ledger", "fraud", "--ledger", ledger, "--claim", "C2", "--found-on", "2028-01-15"
    )
    assert (
        code,
        err.startswith(f"qfund: fraud finding on claim C2 recorded in {ledger}: head 22 "),
        out.endswith(
            "claim D2 (A2, round 2028, submitted 2028-03-21, inside the ban): award of 10 万元 "
            f"revoked; {done}\n"
        ),
    ) == (0, True, True), out
    assert qfund("ledger", "verify", "--ledger", ledger)[0] == 0


def test_a_late_fraud_finding_is_shown_and_its_award_never_paid(
    scenario: Scenario, tmp_path: Path
) -> None:
    """ledger show names D2 under the fraud record; the 2029 round does not pay it."""
    ledger = fraud_after_round_two(scenario, tmp_path, "55")
    finding = qfund_json(
        "ledger", "fraud", "--ledger", ledger, "--claim", "C2", "--found-on", "2028-01-15",
        "--format", "json",
    )  # fmt: skip
    _, shown, _ = qfund("ledger", "show", "--ledger", ledger)
    b29 = write(
        tmp_path / "claims-2029.json",
        {**BATCH_2028, "round": 2029, "submitted_on": "2029-03-20", "claims": []},
    )
    b29_round = qfund_json("round", b29, "--ledger", ledger, "--budget", "100")
    assert (
        [
            (b["claim_id"], b["status"], b["amount_yuan"], b["clawback_yuan"])
            for b in finding["banned_awards"]
        ],
        "fraud found on 2028-01-15: award revoked; awards revoked under the ban: D2 (round 2028)"
        in shown,
        "D2 (round 2028) clawback 0 万元 (banned: fraud finding on C2 (round 2027))" in shown,
        b29_round["carried_in"],
    ) == (
        [("D2", "deferred", 100_000, 0)],
        True,
        True,
        [],
    )


@pytest.mark.parametrize(
    ("argv", "what"),
    [
        (("fraud", "--claim", "C2", "--found-on", "2028-01-15"), "fraud finding on claim C2"),
        (
            ("release", "--claim", "C5", "--found-on", "2027-06-10", "--outcome", "upheld"),
            "release of claim C5 (objection upheld)",
        ),
    ],
    ids=["fraud", "release"],
)
def test_fraud_and_release_give_the_head_they_wrote(
    scenario: Scenario, tmp_path: Path, argv: tuple[str, ...], what: str
) -> None:
    """ledger fraud and release end with the new head on stderr, as round --commit does: the
    head ledger verify then prints, to be put in the minutes."""
    ledger = round_2027(scenario, tmp_path / "fund.db")
    code, _, err = qfund("ledger", argv[0], "--ledger", ledger, *argv[1:])
    _, records, _, _, head = qfund("ledger", "verify", "--ledger", ledger)[1].split()
    assert (code, err) == (0, f"qfund: {what} recorded in {ledger}: head {records} {head}\n")


def test_release_dismissed_reports_the_deferral(scenario: Scenario) -> None:
    """ledger release --outcome dismissed sends the held award to the next allocation."""
    code, out, _ = scenario.release
    assert (code, "deferred" in out) == (0, True)


def upheld_after_a_2028_claim(
    scenario: Scenario, tmp_path: Path, **d5: str
) -> tuple[int, list[str], str]:
    """Round 2027 committed (C5 held), then round 2028 of A5's claim D5 (the example's
    哈密市政府质量奖 winner claim, with ``d5``'s changes), then C5's objection upheld:
    the release's exit code, stdout lines and stderr."""
    ledger = round_2027(scenario, tmp_path / "fund.db")
    claim = {**BATCH_2028["claims"][1], "id": "D5", "applicant": "A5", **d5}
    b28 = write(tmp_path / "claims-2028.json", {**BATCH_2028, "claims": [claim]})
    assert (
        qfund("round", b28, "--ledger", ledger, "--budget", "55", *START_2028, "--commit")[0] == 0
    )
    code, out, err = qfund("ledger", "release", "--ledger", ledger, "--claim", "C5",
                           "--found-on", "2028-06-10", "--outcome", "upheld")  # fmt: skip
    return code, out.splitlines(), err


def test_release_upheld_names_the_top_up_that_counted_the_held_award(
    scenario: Scenario, tmp_path: Path
) -> None:
    """C5 (held, 5 万) is still held when A5 wins the 哈密市政府质量奖 in 2028: the win is
    topped up counting C5. Upholding the objection afterwards says so on a note line."""
    code, lines, err = upheld_after_a_2028_claim(scenario, tmp_path)
    assert (code, lines) == (
        0,
        [
            "claim C5 (A5): objection upheld; the award is revoked (5 万元)",
            "note: claim D5 (round 2028, a11.3.winner) was awarded 5 万元 counting this award "
            "as earlier (top-up, 第二十条第(二)项); with it revoked, the qualification is paid "
            "less than its tier, and no command pays the difference",
        ],
    ), err


def test_release_upheld_names_the_claim_rejected_counting_the_held_award(
    scenario: Scenario, tmp_path: Path
) -> None:
    """C5 (held, the 5 万 哈密市政府质量奖 nominee award) is still held when A5 claims the same
    nominee award again in 2028: rejected already_awarded, counting C5. Upholding the
    objection afterwards says so on a note line: A5 now holds nothing for it."""
    code, lines, err = upheld_after_a_2028_claim(scenario, tmp_path, tier="nominee")
    assert (code, lines) == (
        0,
        [
            "claim C5 (A5): objection upheld; the award is revoked (5 万元)",
            "note: claim D5 (round 2028, a11.3.nominee) was rejected already_awarded counting "
            "this award as earlier (第二十条第(二)项); with it revoked, the qualification may be "
            "paid less than its tier, and no command decides the claim again",
        ],
    ), err


def test_year_two_pays_carried_awards_first(scenario: Scenario) -> None:
    """2028: the deferred and released awards of 2027 are paid first, in their order."""
    assert [
        (c["claim_id"], c["allocation"]["status"]) for c in scenario.round_2028["carried_in"]
    ] == [("C3", "paid"), ("C4", "paid"), ("C5", "paid")]


def test_year_two_tops_up(scenario: Scenario) -> None:
    """2028: A1's winner claim after its nominee award pays 60 - 40 = 20 万, top_up."""
    d1 = scenario.round_2028["decisions"][0]
    assert (
        d1["outcome"],
        d1["amount_yuan"],
        d1["reasons"],
        d1["allocation"]["status"],
    ) == ("awarded", 200_000, ["top_up"], "paid")


def test_year_two_rejects_the_banned_applicant(scenario: Scenario) -> None:
    """2028: A2, found fraudulent on 2028-01-15, is rejected with banned (第二十四条)."""
    d2 = scenario.round_2028["decisions"][1]
    assert (
        d2["outcome"],
        d2["reasons"],
        d2["allocation"]["status"],
    ) == ("rejected", ["banned"], None)


def test_year_two_summary(scenario: Scenario) -> None:
    """2028's summary: 35 万 carried in, all paid with the top-up within 55 万."""
    assert money(scenario.round_2028["summary"]) == (550_000, 350_000, 550_000, 0, 0)


def test_the_scenario_ledger_verifies(scenario: Scenario) -> None:
    """ledger verify exits 0 on the ledger the scenario wrote."""
    code, out, _ = scenario.verify
    assert (code, out.startswith("ok: 22 records")) == (0, True)


# --- re-running and committing again --------------------------------------------------


def test_committing_again_records_nothing(scenario: Scenario, tmp_path: Path) -> None:
    """round --commit of a committed round prints it as recorded and adds no record."""
    ledger = scenario.copy(tmp_path)
    before = ledger.read_bytes()
    code, out, err = qfund("round", scenario.b27, "--ledger", ledger, "--budget", "100", "--commit")
    assert (0, scenario.round_2027, True, before) == (
        code,
        json.loads(out),
        "nothing recorded" in err,
        ledger.read_bytes(),
    )


# --- tampering ------------------------------------------------------------------------

TAMPERING = {
    "body edited": ("UPDATE records SET body = replace(body, '600000', '700000') WHERE seq = 8", 8),
    "record deleted": ("DELETE FROM records WHERE seq = 9", 9),
    "records swapped": (
        "UPDATE records SET seq = -1 WHERE seq = 5; UPDATE records SET seq = 5 WHERE seq = 7;"
        "UPDATE records SET seq = 7 WHERE seq = -1",
        5,
    ),
}


@pytest.mark.parametrize(("sql", "seq"), TAMPERING.values(), ids=list(TAMPERING))
def test_verify_names_the_tampered_record(
    scenario: Scenario, tmp_path: Path, sql: str, seq: int
) -> None:
    """ledger verify exits 1 and names the first record edited, deleted or reordered."""
    ledger = scenario.copy(tmp_path)
    conn = sqlite3.connect(ledger)
    conn.executescript("DROP TRIGGER records_no_update; DROP TRIGGER records_no_delete;" + sql)
    conn.close()
    code, out, _ = qfund("ledger", "verify", "--ledger", ledger)
    assert (code, out.startswith(f"record {seq}")) == (1, True)


def test_verify_names_an_edited_head(scenario: Scenario, tmp_path: Path) -> None:
    """ledger verify exits 1 on a head hash edited in meta, saying so, not "deleted"."""
    ledger = scenario.copy(tmp_path)
    conn = sqlite3.connect(ledger)
    conn.executescript("UPDATE meta SET value = 'x' WHERE key = 'head_hash';")
    conn.close()
    code, out, _ = qfund("ledger", "verify", "--ledger", ledger)
    assert (
        code,
        out.split(" does not match")[0],
        "deleted" in out,
    ) == (1, "head: edited: the stored head (meta: record 22, hash x)", False)


def round_2027(scenario: Scenario, ledger: Path) -> Path:
    """``ledger`` with round 2027 committed as the walkthrough commits it."""
    code, _, err = qfund(
        "round", scenario.b27, "--ledger", ledger, "--budget", "100",
        "--publicity-start", "2027-06-01", "--commit",
    )  # fmt: skip
    assert code == 0, err
    return ledger


def year_one(scenario: Scenario, tmp_path: Path) -> Path:
    """A ledger holding round 2027 and the fraud finding on C2 (A2 banned), not 2028."""
    ledger = round_2027(scenario, tmp_path / "year-one.db")
    code, _, err = qfund("ledger", "fraud", "--ledger", ledger, "--claim", "C2",
                         "--found-on", "2028-01-15")  # fmt: skip
    assert code == 0, err
    return ledger


#: Edits that leave the head alone: the ban deleted from the index (no trigger guards it),
#: and the deferred allocations rewritten as paid, in the chain and the index alike.
EDITED_LEDGERS = {
    "ban deleted": ("DELETE FROM bans;", "index: edited: index table bans"),
    "owed award marked paid": (
        "DROP TRIGGER records_no_update;"
        'UPDATE records SET body = replace(body, \'"status":"deferred"\', '
        "'\"status\":\"paid\"') WHERE kind = 'allocation';"
        "UPDATE claims SET status = 'paid' WHERE status = 'deferred';",
        "record 9 (allocation): edited",
    ),
}
COMMANDS_ON_AN_EDITED_LEDGER = {
    "round": ("round", "{b28}", "--budget", "55"),
    "round --commit": ("round", "{b28}", "--budget", "55", "--commit"),
    "fraud": ("ledger", "fraud", "--claim", "C1", "--found-on", "2028-01-15"),
    "release": ("ledger", "release", "--claim", "C5", "--found-on", "2027-06-10",
                "--outcome", "dismissed"),
    "report": ("report", "{b28}", "--out", "-"),
    "report --round": ("report", "{b28}", "--round", "--budget", "55", "--out", "-"),
    "explain": ("explain", "{b28}", "--claim", "D2"),
}  # fmt: skip


@pytest.mark.parametrize(("sql", "fault"), EDITED_LEDGERS.values(), ids=list(EDITED_LEDGERS))
@pytest.mark.parametrize(
    "argv", COMMANDS_ON_AN_EDITED_LEDGER.values(), ids=list(COMMANDS_ON_AN_EDITED_LEDGER)
)
def test_a_ledger_that_fails_verification_is_refused(
    scenario: Scenario, tmp_path: Path, argv: tuple[str, ...], sql: str, fault: str
) -> None:
    """round (with or without --commit), fraud, release, report and explain exit 2 on an
    edited ledger.

    One line names the fault and how to check it; nothing is decided or written.
    """
    ledger = year_one(scenario, tmp_path)
    conn = sqlite3.connect(ledger)
    conn.executescript(sql)
    conn.close()
    before = ledger.read_bytes()
    args = [a.format(b28=scenario.b28) for a in argv]
    code, out, err = qfund(*args[:2], "--ledger", ledger, *args[2:])
    assert (2, "", True, True, 1, before) == (
        code,
        out,
        err.startswith(f"qfund: {ledger} fails verification ({fault}"),
        err.endswith(f"check it with `qfund ledger verify --ledger {ledger}`\n"),
        err.count("\n"),
        ledger.read_bytes(),
    ), err


@pytest.mark.parametrize(("sql", "fault"), EDITED_LEDGERS.values(), ids=list(EDITED_LEDGERS))
@pytest.mark.parametrize("form", ["text", "json"])
def test_show_refuses_a_ledger_that_fails_verification(
    scenario: Scenario, tmp_path: Path, sql: str, fault: str, form: str
) -> None:
    """ledger show lists nothing from an edited ledger: verify's fault on stderr, exit 1."""
    ledger = year_one(scenario, tmp_path)
    conn = sqlite3.connect(ledger)
    conn.executescript(sql)
    conn.close()
    code, out, err = qfund("ledger", "show", "--ledger", ledger, "--format", form)
    assert (
        code,
        out,
        err.startswith(f"qfund: {ledger} fails verification ({fault}"),
        err.count("\n"),
    ) == (1, "", True, 1), err


#: Ledger file names starting with -: one no shell takes unquoted; one (no space in it)
#: that argparse, after --ledger, takes for an option unless it is written ./-fund.db.
AWKWARD_NAMES = pytest.mark.parametrize(
    "name", ['-my fund\'s "$HOME" 账本.db', "-fund.db"], ids=["quoted", "option-like"]
)

#: Two commands refusing an edited ledger, with their exit codes: 1, the fault is ledger
#: show's answer; 2, bad input for round.
REFUSING = pytest.mark.parametrize(
    ("argv", "refused"),
    [(("ledger", "show"), 1), (("round", "{b28}", "--budget", "55"), 2)],
    ids=["ledger show", "round"],
)


@AWKWARD_NAMES
@REFUSING
def test_the_command_suggested_for_an_edited_ledger_runs_when_pasted(
    scenario: Scenario,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    argv: tuple[str, ...],
    refused: int,
    name: str,
) -> None:
    """The `qfund ledger verify` that `ledger show` and `round` suggest for a ledger that
    fails verification, split as a POSIX shell splits a pasted line (shlex), verifies the
    very file: a name with spaces, quotes, a $ and a leading - included, given as is."""
    edited = year_one(scenario, tmp_path)
    conn = sqlite3.connect(edited)
    conn.executescript("DELETE FROM bans;")
    conn.close()
    monkeypatch.chdir(tmp_path)
    Path(name).write_bytes(edited.read_bytes())
    args = [a.format(b28=scenario.b28) for a in argv]
    code, _, err = qfund(*args[:2], f"--ledger={name}", *args[2:])
    suggested = re.fullmatch(r"qfund: .* check it with `([^`]*)`\n", err)
    assert code == refused, err
    assert suggested is not None, err
    pasted = shlex.split(suggested[1])
    verified, fault, said = qfund(*pasted[1:])
    assert (pasted[:4], verified, fault.startswith("index: edited: index table bans"), said) == (
        ["qfund", "ledger", "verify", "--ledger"],
        1,
        True,
        f"qfund: {name} fails verification\n",
    ), pasted


@REFUSING
def test_no_command_is_suggested_to_paste_for_a_ledger_named_unprintably(
    scenario: Scenario, tmp_path: Path, argv: tuple[str, ...], refused: int
) -> None:
    """A ledger whose name holds a line break is named escaped, and `qfund ledger verify` is
    named on that file, not offered in backticks as a command that could not be pasted."""
    ledger = Path(shutil.copy(year_one(scenario, tmp_path), tmp_path / "a\nb.db"))
    conn = sqlite3.connect(ledger)
    conn.executescript("DELETE FROM bans;")
    conn.close()
    args = [a.format(b28=scenario.b28) for a in argv]
    code, _, err = qfund(*args[:2], "--ledger", ledger, *args[2:])
    assert (
        code,
        err.startswith(f"qfund: {str(ledger)!r} fails verification ("),
        err.endswith("; check it with qfund ledger verify on that file\n"),
        err.count("\n"),
        "`" in err,
    ) == (refused, True, True, 1, False), err


def test_verify_json_reports_the_fault(scenario: Scenario, tmp_path: Path) -> None:
    """ledger verify --format json gives valid false and the fault's record."""
    ledger = scenario.copy(tmp_path)
    conn = sqlite3.connect(ledger)
    conn.executescript("DROP TRIGGER records_no_delete; DELETE FROM records WHERE seq = 3;")
    conn.close()
    code, out, _ = qfund("ledger", "verify", "--ledger", ledger, "--format", "json")
    data = json.loads(out)
    assert (code, data["valid"], data["fault"]["seq"]) == (1, False, 3)


# --- commands that only read -----------------------------------------------------------

READERS: dict[str, tuple[str, ...]] = {
    "verify": ("ledger", "verify"),
    "verify json": ("ledger", "verify", "--format", "json"),
    "show": ("ledger", "show"),
    "show year": ("ledger", "show", "--year", "2027"),
    "round": ("round", "{b27}", "--budget", "100"),
    # Without --round, a report decides against earlier rounds: a batch of a later year.
    "report": ("report", "{b29}", "--out", "{out}"),
    "report round": ("report", "{b27}", "--round", "--budget", "100", "--out", "{out}"),
    "explain": ("explain", "{b27}", "--claim", "C3"),
}


def reader_argv(argv: tuple[str, ...], scenario: Scenario, tmp_path: Path) -> list[str]:
    """A read-only command's argv with the scenario's batches and a page file filled in."""
    b29 = write(tmp_path / "claims-2029.json", dict(BATCH_2028, round=2029))
    return [a.format(b27=scenario.b27, b29=b29, out=tmp_path / "page.html") for a in argv]


@pytest.mark.parametrize("argv", READERS.values(), ids=list(READERS))
@pytest.mark.parametrize("content", ["empty", "ledger"])
def test_commands_that_only_read_leave_the_file_untouched(
    scenario: Scenario, tmp_path: Path, argv: tuple[str, ...], content: str
) -> None:
    """verify, show, round without --commit, report, explain: exit 0, the bytes and mtime kept."""
    ledger = scenario.copy(tmp_path) if content == "ledger" else tmp_path / "empty.db"
    ledger.touch()
    before = (ledger.read_bytes(), ledger.stat().st_mtime_ns)
    code, _, err = qfund(*reader_argv(argv, scenario, tmp_path), "--ledger", ledger)
    assert (0, before) == (code, (ledger.read_bytes(), ledger.stat().st_mtime_ns)), err


def test_verify_reads_an_empty_file_as_an_empty_ledger(tmp_path: Path) -> None:
    """ledger verify on a 0-byte file: an intact ledger of no records; the file stays empty."""
    ledger = tmp_path / "empty.db"
    ledger.touch()
    code, out, _ = qfund("ledger", "verify", "--ledger", ledger)
    assert (code, out, ledger.read_bytes()) == (0, f"ok: 0 records, head {'0' * 64}\n", b"")


def test_committing_to_an_empty_file_makes_it_a_ledger(scenario: Scenario, tmp_path: Path) -> None:
    """round --commit still writes to an empty file, which then verifies."""
    ledger = tmp_path / "empty.db"
    ledger.touch()
    code, _, err = qfund(
        "round", scenario.b27, "--ledger", ledger, "--budget", "100",
        "--publicity-start", "2027-06-01", "--commit",
    )  # fmt: skip
    assert (code, "committed to" in err) == (0, True)
    assert qfund("ledger", "verify", "--ledger", ledger)[1].startswith("ok: 11 records")


# --- show -----------------------------------------------------------------------------


def test_show_one_year(scenario: Scenario) -> None:
    """ledger show --year 2028 lists round 2028's records and the 2028 allocations."""
    data = qfund_json(
        "ledger", "show", "--ledger", scenario.ledger, "--year", "2028", "--format", "json"
    )
    assert [r["kind"] for r in data["records"]] == ["round", "decision", "decision"] + [
        "allocation"
    ] * 4


def test_show_text_lists_every_record(scenario: Scenario) -> None:
    """ledger show prints a header and one line per record."""
    code, out, _ = qfund("ledger", "show", "--ledger", scenario.ledger)
    assert (code, len(out.splitlines())) == (0, 1 + 22)


def test_the_ledger_commands_name_the_ledger_escaped(scenario: Scenario, tmp_path: Path) -> None:
    """A ledger file whose name holds a line break: `ledger show`'s heading, the head line
    `ledger fraud` writes and `round`'s notes name it escaped, each on one line."""
    ledger = Path(shutil.copy(scenario.ledger, tmp_path / "a\nb.db"))
    shown = repr(str(ledger))
    heading = qfund("ledger", "show", "--ledger", ledger)[1].splitlines()[0]
    _, _, fraud = qfund("ledger", "fraud", "--ledger", ledger, "--claim", "D2",
                        "--found-on", "2028-06-10")  # fmt: skip
    _, _, round_note = qfund("round", scenario.b28, "--ledger", ledger, "--budget", "55")
    assert (
        heading.startswith(f"ledger {shown}: 22 records, head "),
        fraud.startswith(f"qfund: fraud finding on claim D2 recorded in {shown}: head 25 "),
        f"qfund: round 2028 is in {shown}; showing it as recorded\n" in round_note,
    ) == (True, True, True), (heading, fraud, round_note)


def test_show_text_writes_a_record_of_an_unknown_kind_as_json() -> None:
    """A record of a kind this version does not describe is shown as its body's JSON."""
    from qfund_rules._cmd_round import _describe
    from qfund_rules.ledger import Record

    record = Record(30, "note", {"claim_id": "C1", "ok": True, "of": None}, "0" * 64, "1" * 64)
    assert _describe(record) == '{"claim_id": "C1", "ok": true, "of": null}'


def test_round_text_format(scenario: Scenario, tmp_path: Path) -> None:
    """round --format text prints a line per claim and the summary in 万元."""
    code, out, _ = qfund(
        "round", scenario.b27, "--ledger", tmp_path / "none.db", "--budget", "100",
        "--format", "text",
    )  # fmt: skip
    assert (code, "budget 100 万元; carried in 0; awarded 135; paid 100" in out) == (0, True)


# --- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ("verify",),
        ("show",),
        ("fraud", "--claim", "C1", "--found-on", "2028-01-01"),
        ("release", "--claim", "C1", "--found-on", "2028-01-01", "--outcome", "upheld"),
    ],
    ids=["verify", "show", "fraud", "release"],
)
def test_a_missing_ledger_is_an_error(tmp_path: Path, argv: tuple[str, ...]) -> None:
    """ledger commands exit 2 on a ledger file that does not exist, and create none."""
    missing = tmp_path / "missing.db"
    code, _, err = qfund("ledger", *argv, "--ledger", missing)
    assert (code, "no such ledger file" in err, missing.exists()) == (2, True, False)


@pytest.mark.parametrize(
    "argv",
    [
        *READERS.values(),
        ("round", "{b27}", "--budget", "100", "--commit"),
        ("ledger", "fraud", "--claim", "C1", "--found-on", "2028-01-01"),
        ("ledger", "release", "--claim", "C5", "--found-on", "2028-01-01", "--outcome", "upheld"),
    ],
    ids=[*READERS, "round commit", "fraud", "release"],
)
def test_a_directory_is_not_a_ledger(
    scenario: Scenario, tmp_path: Path, argv: tuple[str, ...]
) -> None:
    """Every command given a directory as --ledger exits 2 saying it is a directory."""
    folder = tmp_path / "fund.db"
    folder.mkdir()
    code, _, err = qfund(*reader_argv(argv, scenario, tmp_path), "--ledger", folder)
    assert (code, err) == (2, f"qfund: {folder}: is a directory, not a ledger file\n")


def test_a_round_of_another_year_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    """A round year typed wrong (2072) is refused (exit 2): a committed round is for good."""
    batch = write(tmp_path / "b.json", {**BATCH_2028, "round": 2072})
    ledger = tmp_path / "l.db"
    code, out, err = qfund("round", batch, "--ledger", ledger, "--budget", "100", "--commit")
    assert (code, out, ledger.exists()) == (2, "", False)
    assert err.startswith(
        "qfund: round 2072 holds 2 claims submitted in another year: D1 (2028-03-20), "
        "D2 (2028-03-21); allocation.yaml round_year.policy is submitted_year (第二十一条)"
    )


def test_a_year_without_budget_is_an_error(tmp_path: Path) -> None:
    """round exits 2 when the rules set no budget for the year and none is given; no file."""
    in_2031 = json.loads(json.dumps(BATCH_2028).replace('"2028-', '"2031-'))
    batch = write(tmp_path / "b.json", {**in_2031, "round": 2031})
    ledger = tmp_path / "l.db"
    code, _, err = qfund("round", batch, "--ledger", ledger, "--commit")
    assert (code, "no budget for round 2031" in err, ledger.exists()) == (2, True, False)


#: Every way a write command refuses to write to a ledger with no record in it (exit 2),
#: with a fragment of what it says. {b27}, {b72}, {b31}: the 2027 batch, and the 2028
#: batch as round 2072 (its claims of another year) and moved to 2031 (no budget).
REFUSED_WRITES = {
    "round, no publicity start": (
        ("round", "{b27}", "--budget", "100", "--commit"),
        "no publicity start",
    ),
    "round, claims of another year": (
        ("round", "{b72}", "--budget", "100", "--commit", *START_2028),
        "round 2072 holds 2 claims submitted in another year",
    ),
    "round, no budget": (("round", "{b31}", "--commit", *START_2028), "no budget for round 2031"),
    "fraud": (
        ("ledger", "fraud", "--claim", "C1", "--found-on", "2028-01-01"),
        "no committed claim 'C1'",
    ),
    "release": (
        ("ledger", "release", "--claim", "C5", "--found-on", "2028-01-01", "--outcome", "upheld"),
        "no committed claim 'C5'",
    ),
}


@pytest.mark.parametrize(
    ("argv", "said", "found"),
    [
        pytest.param(argv, said, found, id=f"{name}, {found} file")
        for name, (argv, said) in REFUSED_WRITES.items()
        # A missing file is refused by `ledger` before anything (test_a_missing_ledger_...).
        for found in (("missing", "empty") if argv[0] == "round" else ("empty",))
    ],
)
def test_a_refused_write_leaves_a_missing_or_empty_ledger_file_as_it_was(
    scenario: Scenario, tmp_path: Path, argv: tuple[str, ...], said: str, found: str
) -> None:
    """round --commit, ledger fraud and ledger release refused (exit 2): a missing file is
    not created, a 0-byte file keeps 0 bytes, and no journal is left beside it."""
    in_2031 = json.loads(json.dumps(BATCH_2028).replace('"2028-', '"2031-'))
    files = {
        "b27": scenario.b27,
        "b72": write(tmp_path / "b72.json", {**BATCH_2028, "round": 2072}),
        "b31": write(tmp_path / "b31.json", {**in_2031, "round": 2031}),
    }
    folder = tmp_path / "ledger"
    folder.mkdir()
    ledger = folder / "fund.db"
    if found == "empty":
        ledger.touch()
    before = sorted((p.name, p.read_bytes()) for p in folder.iterdir())
    code, out, err = qfund(*(a.format(**files) for a in argv), "--ledger", ledger)
    after = sorted((p.name, p.read_bytes()) for p in folder.iterdir())
    assert (code, out, said in err, after) == (2, "", True, before), err


def test_two_cli_processes_commit_a_round_once(scenario: Scenario, tmp_path: Path) -> None:
    """Two `qfund round --commit` at once on a new ledger: one commits, the other finds it."""
    ledger = tmp_path / "race.db"
    argv = [sys.executable, "-m", "qfund_rules", "round", scenario.b27, "--ledger", ledger]
    procs = [
        subprocess.Popen(
            [*map(str, argv), "--budget", "100", "--publicity-start", "2027-06-01", "--commit"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    notes = sorted(p.communicate(timeout=120)[1] for p in procs)
    code, out, _ = qfund("ledger", "verify", "--ledger", ledger)
    assert ("committed to" in notes[0], "nothing recorded" in notes[1]) == (True, True)
    assert (code, out.startswith("ok: 11 records")) == (0, True)


@pytest.mark.parametrize("budget", ["abc", "-1", "1.234", "nan", "inf"])
def test_a_bad_budget_is_a_usage_error(scenario: Scenario, tmp_path: Path, budget: str) -> None:
    """--budget takes a non-negative number of 万元 with at most two decimals."""
    code, _, err = qfund("round", scenario.b27, "--ledger", tmp_path / "l.db", f"--budget={budget}")
    assert (code, "--budget" in err) == (2, True)


def test_budget_is_read_exactly(scenario: Scenario, tmp_path: Path) -> None:
    """--budget 287.55 is 2875500 yuan exactly (Decimal, never float)."""
    data = qfund_json("round", scenario.b27, "--ledger", tmp_path / "l.db", "--budget", "287.55")
    assert data["summary"]["budget_yuan"] == 2_875_500


def test_releasing_an_award_that_is_not_held_is_an_error(
    scenario: Scenario, tmp_path: Path
) -> None:
    """ledger release exits 2 for a claim that was never held."""
    ledger = scenario.copy(tmp_path)
    code, _, err = qfund(
        "ledger", "release", "--ledger", ledger, "--claim", "C1", "--found-on", "2028-01-01",
        "--outcome", "dismissed",
    )  # fmt: skip
    assert (code, "not held" in err) == (2, True)


def test_release_on_another_date_is_refused(scenario: Scenario, tmp_path: Path) -> None:
    """ledger release of a resolved objection with another date exits 2, naming the first."""
    ledger = scenario.copy(tmp_path)
    before = ledger.read_bytes()
    code, out, err = qfund(
        "ledger", "release", "--ledger", ledger, "--claim", "C5", "--found-on", "2027-07-01",
        "--outcome", "dismissed",
    )  # fmt: skip
    assert (code, out, err, ledger.read_bytes()) == (
        2,
        "",
        "qfund: claim 'C5': objection already dismissed on 2027-06-10\n",
        before,
    )


@pytest.mark.parametrize(
    ("found_on", "why"),
    [
        ("2020-01-01", "before the claim was submitted (2027-03-24)"),
        ("2027-05-31", "before the publicity of round 2027 started (2027-06-01)"),
    ],
)
def test_release_dated_too_early_is_refused(
    scenario: Scenario, tmp_path: Path, found_on: str, why: str
) -> None:
    """ledger release exits 2 on one line for a resolution before submission or publicity."""
    ledger = round_2027(scenario, tmp_path / "l.db")
    before = ledger.read_bytes()
    code, out, err = qfund(
        "ledger", "release", "--ledger", ledger, "--claim", "C5", "--found-on", found_on,
        "--outcome", "dismissed",
    )  # fmt: skip
    assert (code, out, err, ledger.read_bytes()) == (
        2,
        "",
        f"qfund: SqliteLedger.release: claim 'C5': an objection resolved on {found_on} is "
        f"{why}; check the date of the resolution\n",
        before,
    )


def test_release_repeated_exactly_records_nothing(scenario: Scenario, tmp_path: Path) -> None:
    """ledger release of the resolution already recorded exits 0 and writes nothing."""
    ledger = scenario.copy(tmp_path)
    before = ledger.read_bytes()
    code, out, _ = qfund(
        "ledger", "release", "--ledger", ledger, "--claim", "C5", "--found-on", "2027-06-10",
        "--outcome", "dismissed",
    )  # fmt: skip
    assert (0, scenario.release[1], before) == (code, out, ledger.read_bytes())


@pytest.mark.parametrize("found_on", ["9997-01-01", "9999-12-31"])
def test_a_ban_past_year_9999_is_an_error(
    scenario: Scenario, tmp_path: Path, found_on: str
) -> None:
    """ledger fraud whose 3-year ban would end after 9999 exits 2 and writes nothing."""
    ledger = scenario.copy(tmp_path)
    before = ledger.read_bytes()
    code, _, err = qfund(
        "ledger", "fraud", "--ledger", ledger, "--claim", "C1", "--found-on", found_on
    )
    assert (code, err, ledger.read_bytes()) == (
        2,
        f"qfund: claim 'C1': a 3-year ban from {found_on} would end after year 9999; "
        "check the date of the finding\n",
        before,
    )


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [(("round",), "--commit"), (("ledger",), "verify"), (("ledger", "fraud"), "第二十四条")],
)
def test_help_describes_the_commands(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], fragment: str
) -> None:
    """--help of round and the ledger commands exits 0 and explains the command."""
    out = io.StringIO()
    code = run([*argv, "--help"], out, io.StringIO())
    # argparse prints help to sys.stdout; a run() that redirects it to ``out`` is fine too.
    assert (code, fragment in out.getvalue() + capsys.readouterr().out) == (0, True)


@pytest.mark.parametrize(
    "argv",
    [
        ("fraud", "--claim", "C2", "--found-on", "2028-01-15", "--round", "99999999999999999999"),
        ("release", "--claim", "C5", "--found-on", "2027-06-10", "--outcome", "dismissed",
         "--round", "0"),
        ("show", "--year", "-1"),
    ],
    ids=["fraud", "release", "show"],
)  # fmt: skip
def test_a_round_year_out_of_range_is_a_usage_error(
    scenario: Scenario, argv: tuple[str, ...]
) -> None:
    """--round and --year take a year of 1 to 9999: no OverflowError from SQLite."""
    code, out, err = qfund("ledger", argv[0], "--ledger", scenario.ledger, *argv[1:])
    value = argv[-1]
    assert (code, out, err.splitlines()[-1]) == (
        2,
        "",
        f"qfund ledger {argv[0]}: error: argument {argv[-2]}: not a year (1 to 9999): {value!r}",
    )


def test_a_changed_batch_with_the_same_claim_ids_is_refused(
    scenario: Scenario, tmp_path: Path
) -> None:
    """Round 2027 again with C1's facts changed: exit 2, not the recorded round as if it were."""
    ledger = scenario.copy(tmp_path)
    before = ledger.read_bytes()
    changed = json.loads(json.dumps(BATCH_2027))
    changed["claims"][0]["tier"] = "winner"
    batch = write(tmp_path / "changed.json", changed)
    code, out, err = qfund("round", batch, "--ledger", ledger, "--budget", "100")
    assert (code, out, ledger.read_bytes() == before) == (2, "", True)
    assert err.startswith(
        "qfund: round 2027 is already in the ledger from another batch with the same claim ids"
    )


# --- an applicant id known under another applicant key ------------------------------------

#: The 2028 batch with A1's USCC left out (the ledger knows A1 by it), or with a USCC for
#: A2 (banned by id): either way the ledger's awards or ban would not be counted for it.
UNSEEN = {
    "uscc left out": (
        "A1",
        {"uscc": None, "region": "650502"},
        "applicant A1 has no USCC in this batch, but the ledger holds awards or bans of an "
        "applicant A1 under USCC 91650502MA78K2Q582: they are not counted for it",
    ),
    "uscc added": (
        "A2",
        {"uscc": "91650521MA78K3R4XF", "region": None},
        "applicant A2 has USCC 91650521MA78K3R4XF in this batch, but the ledger holds awards "
        "or bans of an applicant A2 known by its id only (no USCC): they are not counted for it",
    ),
}


def batch_2028_with(tmp_path: Path, applicant: str, changes: dict[str, str | None]) -> Path:
    """The 2028 batch with one applicant's fields changed (None: left out)."""
    data = json.loads(json.dumps(BATCH_2028))
    for a in data["applicants"]:
        if a["id"] == applicant:
            a.update(changes)
            for key in [k for k, v in a.items() if v is None]:
                del a[key]
    return write(tmp_path / "claims-2028.json", data)


@pytest.mark.parametrize(("applicant", "changes", "note"), UNSEEN.values(), ids=list(UNSEEN))
def test_an_id_the_ledger_knows_by_another_key_is_noted(
    scenario: Scenario, tmp_path: Path, applicant: str, changes: dict[str, str | None], note: str
) -> None:
    """round without --commit notes an applicant whose id the ledger holds awards or bans of
    under another key (USCC left out, or newly given); it decides as before."""
    ledger = year_one(scenario, tmp_path)
    b28 = batch_2028_with(tmp_path, applicant, changes)
    code, _, err = qfund("round", b28, "--ledger", ledger, "--budget", "55")
    assert (code, f"qfund: note: {note}; " in err) == (0, True), err


@pytest.mark.parametrize(("applicant", "changes", "note"), UNSEEN.values(), ids=list(UNSEEN))
def test_an_id_the_ledger_knows_by_another_key_is_not_committed(
    scenario: Scenario, tmp_path: Path, applicant: str, changes: dict[str, str | None], note: str
) -> None:
    """round --commit refuses it (exit 2, nothing written): recorded, A1's nominee award
    would be paid again in full, or A2's ban dodged."""
    ledger = year_one(scenario, tmp_path)
    before = ledger.read_bytes()
    b28 = batch_2028_with(tmp_path, applicant, changes)
    code, out, err = qfund(
        "round", b28, "--ledger", ledger, "--budget", "55", *START_2028, "--commit"
    )
    assert (2, "", True, True, before) == (
        code,
        out,
        err.startswith(f"qfund: {note}; "),
        err.endswith(
            "qfund: round 2028 not committed: it would pay an award twice or let a "
            "ban be dodged; nothing recorded\n"
        ),
        ledger.read_bytes(),
    ), err


def note_lines(err: str) -> list[str]:
    """The `qfund: note:` lines a command wrote on stderr."""
    return [line for line in err.splitlines() if line.startswith("qfund: note: ")]


def test_a_recorded_round_is_not_noted_for_a_later_rounds_keys(tmp_path: Path) -> None:
    """A05 of 2027 (no USCC, rejected) and A05 of 2028 (another organisation, a USCC, paid)
    both committed: round, explain and report of 2027 note nothing, since a 2028 award never
    counts for 2027; round 2028 notes nothing either (2027 left A05 no award)."""
    ledger = tmp_path / "u.db"
    a05 = {"id": "A05", "name": "哈密某企业5", "org_type": "enterprise", "region": "650502"}
    b27 = write(tmp_path / "u27.json", {
        "round": 2027, "submitted_on": "2027-03-20", "applicants": [a05],
        "claims": [{"id": "C1", "applicant": "A05", "kind": "leading_enterprise",
                    "achieved_on": "2026-01-01"}],  # before the rules came into force
    })  # fmt: skip
    other = {"id": "A05", "name": "哈密某新能源有限公司", "org_type": "enterprise",
             "uscc": "91650502MA78K2Q582"}  # fmt: skip
    b28 = write(tmp_path / "u28.json", {
        "round": 2028, "submitted_on": "2028-03-20", "applicants": [other],
        "claims": [{"id": "D1", "applicant": "A05", "kind": "leading_enterprise",
                    "achieved_on": "2027-11-01"}],
    })  # fmt: skip
    for b, start in ((b27, "2027-06-01"), (b28, "2028-06-01")):
        code, _, err = qfund("round", b, "--ledger", ledger, "--budget", "300",
                             "--publicity-start", start, "--commit")  # fmt: skip
        assert code == 0, err
    runs = [
        qfund("round", b27, "--ledger", ledger),
        qfund("explain", b27, "--claim", "C1", "--ledger", ledger),
        qfund("round", b28, "--ledger", ledger),
    ]
    code, page, err = qfund("report", b27, "--round", "--ledger", ledger, "--out", "-")
    assert ([c for c, _, _ in runs], [note_lines(e) for *_, e in runs]) == ([0, 0, 0], [[], [], []])
    assert (code, err, 'id="ledger-notes"' in page) == (0, "", False)


@pytest.mark.parametrize(("applicant", "changes", "note"), UNSEEN.values(), ids=list(UNSEEN))
def test_explain_gives_the_note_round_gives(
    scenario: Scenario, tmp_path: Path, applicant: str, changes: dict[str, str | None], note: str
) -> None:
    """explain --ledger writes round's note on stderr for the explained claim's applicant
    (D1 is A1's, D2 is A2's), and none for another applicant's claim."""
    ledger = year_one(scenario, tmp_path)
    b28 = batch_2028_with(tmp_path, applicant, changes)
    noted = note_lines(qfund("round", b28, "--ledger", ledger, "--budget", "55", *START_2028)[2])
    claims = {"A1": "D1", "A2": "D2"}
    other = next(c for a, c in claims.items() if a != applicant)
    explained = qfund("explain", b28, "--claim", claims[applicant], "--ledger", ledger)
    unnoted = qfund("explain", b28, "--claim", other, "--ledger", ledger)
    assert (1, True, (0, noted), (0, [])) == (
        len(noted),
        noted[0].startswith(f"qfund: note: {note}; "),
        (explained[0], note_lines(explained[2])),
        (unnoted[0], note_lines(unnoted[2])),
    )


@pytest.mark.parametrize(
    "round_flag", [(), ("--round", "--budget", "55", *START_2028)], ids=["", "round"]
)
@pytest.mark.parametrize(("applicant", "changes", "note"), UNSEEN.values(), ids=list(UNSEEN))
def test_report_shows_the_note_round_gives(
    scenario: Scenario,
    tmp_path: Path,
    applicant: str,
    changes: dict[str, str | None],
    note: str,
    round_flag: tuple[str, ...],
) -> None:
    """report --ledger shows round's note at the top of the page, and in the traces of the
    applicant's claims; in Chinese under --lang zh."""
    ledger = year_one(scenario, tmp_path)
    b28 = batch_2028_with(tmp_path, applicant, changes)
    (noted,) = note_lines(qfund("round", b28, "--ledger", ledger, "--budget", "55", *START_2028)[2])
    said = noted.removeprefix("qfund: note: ")
    argv: tuple[str | Path, ...] = ("report", b28, "--ledger", ledger, *round_flag, "--out", "-")
    code, page, err = qfund(*argv, "--lang", "en")
    top = re.search(r'<section id="ledger-notes"[^>]*>(.*?)</section>', page, re.DOTALL)
    traces = re.findall(r"<dt>Notes on the ledger</dt><dd>([^<]*)</dd>", page)
    zh_code, zh_page, _ = qfund(*argv, "--lang", "zh")
    assert (0, "", True, [html.escape(said)], True) == (
        code,
        err,
        top is not None and f'<li data-applicant="{applicant}">{html.escape(said)}</li>' in top[1],
        traces,
        zh_code == 0 and f"申报单位{applicant}在本批次中" in zh_page,
    )


def test_both_refusals_of_a_commit_are_listed(scenario: Scenario, tmp_path: Path) -> None:
    """An applicant id known under another key and no publicity start: both are said, in
    one run (exit 2, nothing written)."""
    ledger = year_one(scenario, tmp_path)
    before = ledger.read_bytes()
    applicant, changes, note = UNSEEN["uscc added"]
    b28 = batch_2028_with(tmp_path, applicant, changes)
    code, out, err = qfund("round", b28, "--ledger", ledger, "--budget", "55", "--commit")
    lines = err.splitlines()
    assert (code, out, len(lines), before) == (2, "", 3, ledger.read_bytes()), err
    assert lines[0].startswith(f"qfund: {note}; ")
    assert lines[2] == refused_without_start(2028)


# --- a commit needs the publicity start (第二十条第(三)项) -------------------------------


def refused_without_start(year: int) -> str:
    """The line `round --commit` writes for a round without --publicity-start."""
    return (
        f"qfund: round {year} has no publicity start, and allocation.yaml "
        "publicity.commit.requires_start is true (第二十条第(三)项: awards are paid only after "
        "publicity): give --publicity-start DATE (or set requires_start to false); round "
        f"{year} not committed, nothing recorded"
    )


def noted_without_start(year: int) -> str:
    """The note of a run without --commit and without --publicity-start."""
    return (
        f"qfund: note: round {year} has no publicity start, and allocation.yaml "
        "publicity.commit.requires_start is true (第二十条第(三)项: awards are paid only after "
        "publicity), so a commit will need --publicity-start DATE"
    )


def test_commit_without_a_start_creates_no_ledger(scenario: Scenario, tmp_path: Path) -> None:
    """round --commit without --publicity-start on a new file: exit 2, the reason on stderr
    in one line, nothing on stdout, no file."""
    ledger = tmp_path / "fund.db"
    code, out, err = qfund("round", scenario.b27, "--ledger", ledger, "--budget", "100", "--commit")
    assert (code, out, err, ledger.exists()) == (2, "", refused_without_start(2027) + "\n", False)


def test_commit_without_a_start_leaves_a_ledger_as_it_was(
    scenario: Scenario, tmp_path: Path
) -> None:
    """round --commit without --publicity-start on a ledger holding 2027: exit 2, the file's
    bytes unchanged, and the ledger still verifies."""
    ledger = year_one(scenario, tmp_path)
    before = ledger.read_bytes()
    code, out, err = qfund("round", scenario.b28, "--ledger", ledger, "--budget", "55", "--commit")
    assert (code, out, err, ledger.read_bytes()) == (
        2,
        "",
        refused_without_start(2028) + "\n",
        before,
    )
    assert qfund("ledger", "verify", "--ledger", ledger)[0] == 0


def test_a_dry_run_without_a_start_notes_what_a_commit_needs(
    scenario: Scenario, tmp_path: Path
) -> None:
    """round without --commit and --publicity-start decides as before (exit 0, the round
    on stdout, publicity null) and says that a commit will need a start."""
    ledger = tmp_path / "fund.db"
    code, out, err = qfund("round", scenario.b27, "--ledger", ledger, "--budget", "100")
    assert (code, json.loads(out)["summary"]["publicity"], err.splitlines()) == (
        0,
        None,
        [
            f"qfund: {ledger} does not exist: the round sees an empty ledger",
            noted_without_start(2027),
        ],
    )


def test_a_dry_run_with_a_start_notes_nothing(scenario: Scenario, tmp_path: Path) -> None:
    """With --publicity-start a run without --commit has nothing to note about it."""
    code, _, err = qfund(
        "round", scenario.b27, "--ledger", tmp_path / "fund.db", "--budget", "100",
        "--publicity-start", "2027-06-01",
    )  # fmt: skip
    assert (code, "publicity" in err) == (0, False)


def test_requires_start_false_commits_without_a_start(scenario: Scenario, tmp_path: Path) -> None:
    """Under allocation.yaml publicity.commit.requires_start: false, round --commit without
    --publicity-start records the round (publicity null) and notes nothing about it."""
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    allocation = rules / "allocation.yaml"
    text = allocation.read_text(encoding="utf-8")
    allocation.write_text(text.replace("requires_start: true", "requires_start: false"), "utf-8")
    ledger = tmp_path / "fund.db"
    code, out, err = qfund(
        "round", scenario.b27, "--ledger", ledger, "--budget", "100", "--rules", rules,
        "--commit",
    )  # fmt: skip
    assert (
        code,
        json.loads(out)["summary"]["publicity"],
        err.startswith("qfund: round 2027 committed to"),
    ) == (
        0,
        None,
        True,
    ), err
    assert "publicity" not in err
