"""Tests for the guards of the round API.

Arguments are checked at the call (``run_round``, ``commit``, the ledger's ``fraud`` and
``release``), only the native engine's rounds are committed, a committed round is never
shown as the answer to the same batch under other rules, a result computed before its
year was recorded otherwise is never reported as recorded, and a round is committed only
with its publicity start while the rules require one (第二十条第(三)项).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import qfund_rules as q
from qfund_rules.allocation import RoundError, run_round
from qfund_rules.cli import run
from qfund_rules.durable_backend import durable_unavailable_reason, evaluate_durable
from qfund_rules.errors import LedgerError
from qfund_rules.ledger import MemoryLedger, SqliteLedger
from qfund_rules.rules import RULE_FILES

from .conftest import RULES_DIR

#: When publicity of round 2027 starts (rules: publicity.commit.requires_start).
START = dt.date(2027, 5, 6)


def applicants() -> list[dict[str, Any]]:
    """Hami enterprises A1..A3."""
    return [
        {"id": f"A{i}", "name": f"哈密某企业{i}", "org_type": "enterprise", "region": "650502"}
        for i in range(1, 4)
    ]


def small_batch(rules: q.RuleSet) -> q.Batch:
    """Round 2027: a leading enterprise (20 万元, paid) and a CNAS claim with an objection."""
    return rules.batch_from_data(
        {
            "round": 2027,
            "submitted_on": "2027-03-20",
            "applicants": applicants(),
            "claims": [
                {
                    "id": "C1",
                    "applicant": "A1",
                    "kind": "leading_enterprise",
                    "achieved_on": "2026-11-01",
                },
                {
                    "id": "C2",
                    "applicant": "A2",
                    "kind": "cnas_accreditation",
                    "first_time": True,
                    "achieved_on": "2026-11-01",
                    "objection": True,
                },
            ],
        }
    )


@pytest.fixture
def ledger() -> Iterator[SqliteLedger]:
    """An empty ledger in memory."""
    with MemoryLedger() as led:
        yield led


@pytest.fixture
def committed(rules: q.RuleSet) -> Iterator[SqliteLedger]:
    """A ledger holding round 2027 of :func:`small_batch` (C1 paid, C2 held)."""
    with MemoryLedger() as led:
        assert run_round(rules, small_batch(rules), led, publicity_start=START).commit(led)
        yield led


# --- 1. arguments are checked at the call ------------------------------------------------

BAD_ROUND_ARGUMENTS = [
    ({"budget_yuan": 3000000.7}, ["budget_yuan", "whole number of yuan", "float 3000000.7"]),
    ({"budget_yuan": True}, ["budget_yuan", "whole number of yuan", "bool True"]),
    ({"budget_yuan": "300"}, ["budget_yuan", "str '300'"]),
    ({"budget_yuan": -1}, ["budget_yuan cannot be negative: -1 yuan"]),
    ({"budget_yuan": 10**16}, ["budget_yuan 10000000000000000 yuan is too large"]),
    (
        {"publicity_start": "2027-05-06"},
        ["publicity_start must be a datetime.date", "str '2027-05-06'"],
    ),
    (
        {"publicity_start": dt.datetime(2027, 5, 6, 9, 30)},
        ["publicity_start", "not a datetime.datetime (2027-05-06 09:30:00)", ".date()"],
    ),
    ({"evaluator": "native"}, ["evaluator must be a callable", "str 'native'"]),
]


@pytest.mark.parametrize(("kwargs", "fragments"), BAD_ROUND_ARGUMENTS)
def test_run_round_refuses_a_bad_keyword_argument(
    rules: q.RuleSet, ledger: SqliteLedger, kwargs: dict[str, Any], fragments: list[str]
) -> None:
    """A keyword argument of the wrong type or range is a RoundError naming it and its value."""
    with pytest.raises(RoundError) as caught:
        run_round(rules, small_batch(rules), ledger, **kwargs)
    message = str(caught.value)
    assert [f for f in ["run_round: ", *fragments] if f not in message] == []


@pytest.mark.parametrize(
    ("position", "value", "fragment"),
    [
        (0, "rules", "run_round: rules must be a RuleSet (q.load_rules()), not str 'rules'"),
        (
            1,
            {"round": 2027},
            "run_round: batch must be a Batch (load it with rules.load_batch(path) or "
            "rules.batch_from_data(data)), not a dict",
        ),
        (2, "fund.db", "run_round: ledger must be a SqliteLedger or MemoryLedger, not str"),
    ],
)
def test_run_round_refuses_a_bad_positional_argument(
    rules: q.RuleSet, ledger: SqliteLedger, position: int, value: object, fragment: str
) -> None:
    """rules, batch and ledger of another type are a RoundError, not an AttributeError."""
    args: list[Any] = [rules, small_batch(rules), ledger]
    args[position] = value
    with pytest.raises(RoundError, match=re.escape(fragment)):
        run_round(*args)


def test_arguments_are_checked_before_the_ledger_is_read(rules: q.RuleSet) -> None:
    """A float budget is refused before run_round touches the ledger (here, a closed one)."""
    closed = MemoryLedger()
    closed.close()
    with pytest.raises(RoundError, match="budget_yuan"):
        run_round(rules, small_batch(rules), closed, budget_yuan=1e6)  # type: ignore[arg-type]


def test_run_round_refuses_a_batch_built_by_hand(rules: q.RuleSet) -> None:
    """A Batch the loader did not make (here of the loader's very values) is a RoundError
    saying how to load one, before the ledger is read (here, a closed one)."""
    by_hand = q.Batch.model_validate(q.batch_to_data(small_batch(rules)))
    closed = MemoryLedger()
    closed.close()
    with pytest.raises(RoundError) as refused:
        run_round(rules, by_hand, closed)
    assert str(refused.value) == (
        "run_round: the batch was not made by the loader (built with Batch(...) or "
        "model_construct, or changed with model_copy(update=...)): none of its checks ran, "
        "nothing in it was resolved; load it with rules.load_batch(path) or "
        "rules.batch_from_data(data)"
    )


def test_run_round_refuses_a_batch_loaded_under_other_readings(
    rules: q.RuleSet, ledger: SqliteLedger
) -> None:
    """Rules that take late honours (achieved_by_submission any) refuse a batch the shipped
    rules loaded, naming both readings, and run the round of the batch they load."""
    reading = rules.allocation.achieved_by_submission.model_copy(update={"policy": "any"})
    allocation = rules.allocation.model_copy(update={"achieved_by_submission": reading})
    lenient = dataclasses.replace(rules, allocation=allocation)
    with pytest.raises(RoundError, match="achieved_by_submission: the batch's required, these"):
        run_round(lenient, small_batch(rules), ledger)
    assert len(run_round(lenient, small_batch(lenient), ledger).decisions) == 2


def test_a_date_publicity_start_is_still_taken(rules: q.RuleSet, ledger: SqliteLedger) -> None:
    """A plain date and an int budget pass the checks: the round runs as before."""
    result = run_round(
        rules, small_batch(rules), ledger, budget_yuan=200_000, publicity_start=dt.date(2027, 6, 1)
    )
    publicity = result.summary.publicity
    assert (200_000, dt.date(2027, 6, 7)) == (
        result.summary.budget_yuan,
        publicity and publicity.end,
    )


def test_a_bool_budget_is_never_committed(rules: q.RuleSet, ledger: SqliteLedger) -> None:
    """budget_yuan=True is refused, and the ledger stays empty."""
    with pytest.raises(RoundError, match="bool True"):
        run_round(rules, small_batch(rules), ledger, budget_yuan=True).commit(ledger)
    assert ledger.head() == (0, "0" * 64)


def test_commit_refuses_what_is_not_a_ledger(rules: q.RuleSet, ledger: SqliteLedger) -> None:
    """commit("fund.db") is a LedgerError naming the parameter, not an AttributeError."""
    result = run_round(rules, small_batch(rules), ledger)
    with pytest.raises(
        LedgerError,
        match=re.escape(
            "RoundResult.commit: ledger must be a SqliteLedger or MemoryLedger, not str"
        ),
    ):
        result.commit("fund.db")  # type: ignore[arg-type]


BAD_LEDGER_ARGUMENTS = [
    ("claim_id", 1, ["claim_id must be a str, not int 1"]),
    ("found_on", "2028-01-15", ["found_on must be a datetime.date, not str '2028-01-15'"]),
    (
        "found_on",
        dt.datetime(2028, 1, 15),
        ["found_on must be a datetime.date, not a datetime.datetime", ".date()"],
    ),
    ("round_year", True, ["round_year must be a year from 1 to 9999 (an int), not bool True"]),
    ("round_year", 0, ["round_year must be a year from 1 to 9999", "not int 0"]),
    ("round_year", 10_000, ["round_year must be a year from 1 to 9999", "not int 10000"]),
    ("round_year", "2027", ["round_year must be a year", "not str '2027'"]),
]


#: The ledger's writes that name a committed claim, each with arguments it accepts.
LEDGER_WRITES: dict[str, dict[str, Any]] = {
    "fraud": {
        "claim_id": "C1",
        "found_on": dt.date(2028, 1, 15),
        "ban_years": 3,
        "round_year": 2027,
    },
    "release": {
        "claim_id": "C2",
        "found_on": dt.date(2027, 6, 10),
        "outcome": "dismissed",
        "round_year": 2027,
    },
}


@pytest.mark.parametrize("method", LEDGER_WRITES)
@pytest.mark.parametrize(("name", "value", "fragments"), BAD_LEDGER_ARGUMENTS)
def test_a_ledger_write_refuses_a_bad_argument(
    committed: SqliteLedger, method: str, name: str, value: object, fragments: list[str]
) -> None:
    """SqliteLedger.fraud and .release: an argument of the wrong type is a LedgerError
    naming the method; nothing is written."""
    head = committed.head()
    kwargs: dict[str, Any] = {**LEDGER_WRITES[method], name: value}
    with pytest.raises(LedgerError) as caught:
        getattr(committed, method)(**kwargs)
    message = str(caught.value)
    missing = [f for f in [f"SqliteLedger.{method}: ", *fragments] if f not in message]
    assert (missing, committed.head()) == ([], head)


@pytest.mark.parametrize("ban_years", [0, True, 3.0])
def test_fraud_refuses_a_bad_ban_length(committed: SqliteLedger, ban_years: object) -> None:
    """ban_years must be an int of at least 1: not 0, not True, not 3.0."""
    with pytest.raises(LedgerError, match="ban_years must be a whole number of years, at least 1"):
        committed.fraud("C1", dt.date(2028, 1, 15), ban_years)  # type: ignore[arg-type]


@pytest.mark.parametrize("outcome", ["pending", "", None])
def test_release_refuses_an_outcome_it_does_not_know(
    committed: SqliteLedger, outcome: object
) -> None:
    """The outcome of a release is upheld or dismissed: anything else is refused, named
    like the other arguments, and nothing is written."""
    head = committed.head()
    with pytest.raises(LedgerError) as caught:
        committed.release("C2", dt.date(2027, 6, 10), outcome, round_year=2027)  # type: ignore[arg-type]
    assert (str(caught.value), committed.head()) == (
        f"SqliteLedger.release: outcome must be upheld or dismissed, not {outcome!r}",
        head,
    )


# --- 2. only the native engine's rounds are committed ------------------------------------


def cross_checker(rules: q.RuleSet, batch: q.Batch, history: q.History) -> q.Evaluation:
    """An evaluator other than the native engine (it happens to agree with it)."""
    return q.evaluate(rules, batch, history)


def test_a_round_records_whether_the_native_engine_decided(
    rules: q.RuleSet, ledger: SqliteLedger
) -> None:
    """native is True without evaluator or with q.evaluate, False with another evaluator."""
    b = small_batch(rules)
    assert (
        run_round(rules, b, ledger).native,
        run_round(rules, b, ledger, evaluator=q.evaluate).native,
        run_round(rules, b, ledger, evaluator=cross_checker).native,
    ) == (True, True, False)


def test_commit_refuses_a_round_of_another_evaluator(
    rules: q.RuleSet, ledger: SqliteLedger
) -> None:
    """A round decided by another evaluator is a LedgerError saying why; nothing is written."""
    result = run_round(rules, small_batch(rules), ledger, evaluator=cross_checker)
    with pytest.raises(LedgerError) as caught:
        result.commit(ledger)
    assert (str(caught.value), ledger.head()) == (
        "round 2027 was decided by another evaluator than the native engine (run_round's "
        "evaluator=): only the native engine's decisions are recorded in a ledger; run the "
        "round again without evaluator to commit it",
        (0, "0" * 64),
    )


def test_commit_round_refuses_it_too(rules: q.RuleSet, ledger: SqliteLedger) -> None:
    """SqliteLedger.commit_round, which commit calls, refuses it as well: no way around."""
    result = run_round(rules, small_batch(rules), ledger, evaluator=cross_checker)
    with pytest.raises(LedgerError, match="only the native engine's decisions are recorded"):
        ledger.commit_round(result)


def test_the_native_engine_named_explicitly_commits(rules: q.RuleSet, ledger: SqliteLedger) -> None:
    """evaluator=q.evaluate is the native engine: its round is committed."""
    assert run_round(
        rules, small_batch(rules), ledger, evaluator=q.evaluate, publicity_start=START
    ).commit(ledger)


def test_a_recorded_round_read_with_another_evaluator_is_as_recorded(
    rules: q.RuleSet, committed: SqliteLedger
) -> None:
    """A round already recorded is read back (native) whatever the evaluator: commit is False."""
    again = run_round(rules, small_batch(rules), committed, evaluator=cross_checker)
    assert (again.recorded, again.native, again.commit(committed)) == (True, True, False)


@pytest.mark.skipif(
    durable_unavailable_reason() is not None, reason=durable_unavailable_reason() or ""
)
def test_commit_refuses_a_round_of_the_durable_backend(
    rules: q.RuleSet, ledger: SqliteLedger
) -> None:
    """run_round(..., evaluator=evaluate_durable).commit(ledger) is refused; nothing written."""
    result = run_round(rules, small_batch(rules), ledger, evaluator=evaluate_durable)
    with pytest.raises(LedgerError, match="another evaluator than the native engine"):
        result.commit(ledger)
    assert (result.native, ledger.head()) == (False, (0, "0" * 64))


def test_a_round_without_a_native_attribute_still_commits(
    rules: q.RuleSet, ledger: SqliteLedger
) -> None:
    """commit_round reads native when present: rounds written to its protocol before commit."""
    result = run_round(rules, small_batch(rules), ledger)

    class Legacy:
        year, claim_ids, base_head = result.year, result.claim_ids, result.base_head

        def records(self) -> list[tuple[str, dict[str, Any]]]:
            return result.records()

    assert ledger.commit_round(Legacy())


# --- 3. a committed round is not shown as the answer to other rules ----------------------


@pytest.fixture
def other_rules_dir(tmp_path: Path) -> Path:
    """The shipped rule files with a comment added: the same rules, another sha256."""
    folder = tmp_path / "rules2"
    folder.mkdir()
    for name in RULE_FILES:
        shutil.copy(RULES_DIR / name, folder / name)
    allocation = folder / "allocation.yaml"
    allocation.write_text(
        allocation.read_text(encoding="utf-8") + "# reviewed again\n", encoding="utf-8"
    )
    return folder


def refusal(year: int, recorded: q.RuleSet, given: q.RuleSet) -> str:
    """The message refusing a recorded round under other rules."""
    return (
        f"round {year} is already in the ledger under other rules (rules sha256 "
        f"{recorded.sha256[:16]}, these {given.sha256[:16]}): a committed round cannot be changed"
    )


def test_run_round_refuses_a_recorded_round_under_other_rules(
    rules: q.RuleSet, committed: SqliteLedger, other_rules_dir: Path
) -> None:
    """The same batch against a ledger holding its round, under other rules: LedgerError."""
    other = q.load_rules(other_rules_dir)
    with pytest.raises(LedgerError) as caught:
        run_round(other, small_batch(other), committed)
    assert str(caught.value) == refusal(2027, rules, other)


def qfund(*argv: str | Path) -> tuple[int, str, str]:
    """Run ``qfund`` in process; return exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = run([str(a) for a in argv], out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def cli_ledger(tmp_path: Path) -> tuple[Path, Path]:
    """A batch file and a ledger holding its round, committed by ``qfund round --commit``."""
    batch = tmp_path / "claims-2027.json"
    batch.write_text(json.dumps(q.batch_to_data(small_batch(q.load_rules(RULES_DIR)))))
    ledger = tmp_path / "fund.db"
    start = ("--publicity-start", START.isoformat())
    code, _, err = qfund(
        "round", batch, "--ledger", ledger, "--rules", RULES_DIR, *start, "--commit"
    )
    assert code == 0, err
    return batch, ledger


@pytest.mark.parametrize("commit", [["--commit"], []], ids=["commit", "dry run"])
def test_qfund_round_refuses_a_recorded_round_under_other_rules(
    cli_ledger: tuple[Path, Path], other_rules_dir: Path, commit: list[str]
) -> None:
    """round BATCH --rules OTHER on a ledger holding the round: exit 2 naming both rule sets."""
    batch, ledger = cli_ledger
    before = ledger.read_bytes()
    code, out, err = qfund("round", batch, "--ledger", ledger, "--rules", other_rules_dir, *commit)
    expected = refusal(2027, q.load_rules(RULES_DIR), q.load_rules(other_rules_dir))
    assert (code, out, err, ledger.read_bytes() == before) == (2, "", f"qfund: {expected}\n", True)


def test_qfund_round_under_the_same_rules_shows_the_recorded_round(
    cli_ledger: tuple[Path, Path],
) -> None:
    """round BATCH --commit again under the rules it was recorded with: exit 0, nothing added."""
    batch, ledger = cli_ledger
    before = ledger.read_bytes()
    code, _, err = qfund("round", batch, "--ledger", ledger, "--rules", RULES_DIR, "--commit")
    assert (code, "nothing recorded" in err, ledger.read_bytes() == before) == (0, True, True)


def test_a_stale_result_under_other_rules_is_refused(
    rules: q.RuleSet, ledger: SqliteLedger, other_rules_dir: Path
) -> None:
    """A result computed under other rules before the round was recorded: not "already in"."""
    other = q.load_rules(other_rules_dir)
    stale = run_round(other, small_batch(other), ledger, publicity_start=START)
    assert run_round(rules, small_batch(rules), ledger, publicity_start=START).commit(ledger)
    head = ledger.head()
    with pytest.raises(LedgerError) as caught:
        stale.commit(ledger)
    assert (str(caught.value), ledger.head()) == (
        refusal(2027, rules, other).replace(", these ", ", this round's "),
        head,
    )


def test_a_stale_result_with_another_budget_is_refused(
    rules: q.RuleSet, ledger: SqliteLedger
) -> None:
    """A result with another budget, computed before the round was recorded: refused."""
    stale = run_round(rules, small_batch(rules), ledger, budget_yuan=100_000, publicity_start=START)
    assert run_round(rules, small_batch(rules), ledger, publicity_start=START).commit(ledger)
    with pytest.raises(LedgerError, match="already in the ledger with another summary"):
        stale.commit(ledger)


def test_a_stale_result_from_another_batch_is_refused(
    rules: q.RuleSet, ledger: SqliteLedger
) -> None:
    """A result from other facts under the same claim ids, computed before: refused."""
    data = q.batch_to_data(small_batch(rules))
    data["claims"][0]["applicant"] = "A3"
    del data["claims"][0]["subject"]  # the applicant itself: A1's, resolved again for A3
    stale = run_round(rules, rules.batch_from_data(data), ledger, publicity_start=START)
    assert run_round(rules, small_batch(rules), ledger, publicity_start=START).commit(ledger)
    with pytest.raises(LedgerError, match="from another batch with the same claim ids"):
        stale.commit(ledger)


def test_the_committed_result_committed_again_is_false(
    rules: q.RuleSet, ledger: SqliteLedger
) -> None:
    """The very result that was committed, committed again, records nothing: False."""
    result = run_round(rules, small_batch(rules), ledger, publicity_start=START)
    assert (result.commit(ledger), result.commit(ledger)) == (True, False)


# --- 5. a round is committed with its publicity start (第二十条第(三)项) -------------------

#: Why commit refuses round 2027 of small_batch run without a publicity start.
NO_START = (
    "round 2027 has no publicity start, and allocation.yaml publicity.commit.requires_start "
    "is true (第二十条第(三)项: awards are paid only after publicity): run the round again "
    "with the first day of publicity (run_round's publicity_start; --publicity-start DATE), "
    "or set requires_start to false"
)


def rules_without_start_required(tmp_path: Path) -> q.RuleSet:
    """The shipped rule files with publicity.commit.requires_start set to false."""
    folder = tmp_path / "no-start"
    folder.mkdir()
    for name in RULE_FILES:
        shutil.copy(RULES_DIR / name, folder / name)
    allocation = folder / "allocation.yaml"
    text = allocation.read_text(encoding="utf-8")
    assert "requires_start: true" in text
    allocation.write_text(text.replace("requires_start: true", "requires_start: false"), "utf-8")
    return q.load_rules(folder)


def test_commit_without_a_publicity_start_is_refused(
    rules: q.RuleSet, ledger: SqliteLedger
) -> None:
    """Run without publicity_start, the round is decided, but commit is a LedgerError saying
    why, named before by commit_refusal; nothing is written."""
    result = run_round(rules, small_batch(rules), ledger)
    with pytest.raises(LedgerError) as caught:
        result.commit(ledger)
    assert (result.commit_refusal, str(caught.value), ledger.head()) == (
        NO_START,
        NO_START,
        (0, "0" * 64),
    )


def test_commit_round_refuses_a_round_without_a_start_too(
    rules: q.RuleSet, ledger: SqliteLedger
) -> None:
    """SqliteLedger.commit_round, which commit calls, refuses it as well: no way around."""
    result = run_round(rules, small_batch(rules), ledger)
    with pytest.raises(LedgerError, match=r"has no publicity start"):
        ledger.commit_round(result)
    assert ledger.round_years() == ()


def test_a_round_with_a_start_has_no_commit_refusal(rules: q.RuleSet, ledger: SqliteLedger) -> None:
    """With publicity_start, commit_refusal is None and the round is committed."""
    result = run_round(rules, small_batch(rules), ledger, publicity_start=START)
    assert (result.commit_refusal, result.commit(ledger)) == (None, True)


def test_a_recorded_round_committed_again_without_a_start_is_as_recorded(
    rules: q.RuleSet, committed: SqliteLedger
) -> None:
    """A round already recorded, run again without a start, is read back ("as recorded"):
    no refusal, and commit records nothing."""
    head = committed.head()
    again = run_round(rules, small_batch(rules), committed)
    assert (again.recorded, again.commit_refusal, again.commit(committed), committed.head()) == (
        True,
        None,
        False,
        head,
    )


def test_requires_start_false_commits_a_round_without_a_start(
    ledger: SqliteLedger, tmp_path: Path
) -> None:
    """Under requires_start: false the round is committed as before, its publicity null."""
    lenient = rules_without_start_required(tmp_path)
    result = run_round(lenient, small_batch(lenient), ledger)
    assert (result.commit_refusal, result.commit(ledger)) == (None, True)
    recorded = ledger.round_records(2027)[0].body["summary"]
    assert recorded["publicity"] is None


def test_a_round_recorded_without_a_start_is_not_shown_for_one_with_a_start(
    ledger: SqliteLedger, tmp_path: Path
) -> None:
    """Committed under requires_start: false without a start, the round is refused for a
    start given later: a committed round cannot change."""
    lenient = rules_without_start_required(tmp_path)
    assert run_round(lenient, small_batch(lenient), ledger).commit(ledger)
    with pytest.raises(LedgerError) as caught:
        run_round(lenient, small_batch(lenient), ledger, publicity_start=START)
    assert str(caught.value) == (
        "round 2027 is already in the ledger with publicity from no date, not 2027-05-06"
    )
