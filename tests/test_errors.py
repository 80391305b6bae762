"""Tests for the exceptions: each survives pickle, copy and deepcopy whole.

A worker of a ``ProcessPoolExecutor`` hands an exception to its caller through pickle; one
that cannot be rebuilt there breaks the whole pool (``BrokenProcessPool``), every pending
batch with it.
"""

from __future__ import annotations

import copy
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

import qfund_rules as q
from qfund_rules.durable_backend import DurableBackendError, DurableUnavailableError
from qfund_rules.errors import StandardNumberError

from .conftest import RULES_DIR

PROBLEMS = (
    q.Problem("claims.yaml", 3, 7, ("claims", 0, "applicant"), "no applicant has the id 'A9'"),
    q.Problem("claims.yaml", 1, 1, ("round",), "must be an application year"),
)

#: One of every exception class the library raises to its callers.
ERRORS: list[Exception] = [
    q.QfundError("the measures text has no articles"),
    q.InputError(PROBLEMS),
    q.RuleFileError(PROBLEMS),
    q.BatchError(PROBLEMS),
    q.BatchError([]),
    StandardNumberError("'GB/T': not a standard number"),
    q.LedgerError("fund.db: no such ledger file"),
    q.RoundError("run_round: budget_yuan cannot be negative: -1 yuan"),
    DurableUnavailableError("durable-rules is not installed"),
    DurableBackendError("the durable worker timed out"),
]


def _same(a: Exception, b: Exception) -> bool:
    return (type(a), str(a), a.args, getattr(a, "problems", None)) == (
        type(b),
        str(b),
        b.args,
        getattr(b, "problems", None),
    )


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
def test_an_error_survives_pickle_copy_and_deepcopy(error: Exception) -> None:
    """The class, the message, the args and the problems come back as they were."""
    error.add_note("while evaluating batch 7")
    for again in (
        pickle.loads(pickle.dumps(error)),  # noqa: S301 - our own object
        copy.copy(error),
        copy.deepcopy(error),
    ):
        assert _same(error, again)
        assert again.__notes__ == ["while evaluating batch 7"]


def test_input_error_is_the_exported_base_of_the_errors_with_problems() -> None:
    """q.InputError catches a RuleFileError and a BatchError alike, with their problems."""
    assert "InputError" in q.__all__
    for error in (q.RuleFileError(PROBLEMS), q.BatchError(PROBLEMS)):
        with pytest.raises(q.InputError) as info:
            raise error
        assert len(info.value.problems) == 2


def test_an_input_errors_problems_stay_in_order_and_located() -> None:
    """The problems come back sorted as raised, each with its file, line, column and path."""
    error = q.BatchError(PROBLEMS)
    again = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object
    assert [p.path for p in again.problems] == [("round",), ("claims", 0, "applicant")]
    assert error.render() == again.render()


_RULES: list[q.RuleSet] = []  # one rule set per worker process, loaded on first use


def _decide(data: dict[str, Any]) -> q.Evaluation:
    """A pool worker: the batch's evaluation, or its BatchError raised to the caller."""
    if not _RULES:
        _RULES.append(q.load_rules(RULES_DIR))
    rules = _RULES[0]
    return q.evaluate(rules, rules.batch_from_data(data))


GOOD = {
    "round": 2027,
    "submitted_on": "2027-03-20",
    "applicants": [{"id": "A1", "name": "X", "org_type": "enterprise", "region": "650502"}],
    "claims": [
        {"id": "C1", "applicant": "A1", "kind": "leading_enterprise", "achieved_on": "2026-05-01"}
    ],
}
BAD = {"round": 0, "submitted_on": "2027-03-20", "applicants": [], "claims": []}


def test_a_bad_batch_in_a_process_pool_is_its_callers_batch_error() -> None:
    """The caller gets the worker's BatchError with its problems, and the pool goes on
    deciding the next batch (it was a BrokenProcessPool, and every later batch lost)."""
    spawn = multiprocessing.get_context("spawn")  # no fork of a process running threads
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        bad = pool.submit(_decide, BAD)
        with pytest.raises(q.BatchError) as info:
            bad.result(timeout=120)
        good = pool.submit(_decide, GOOD).result(timeout=120)
    assert [p.path for p in info.value.problems] == [("round",)]
    assert good.decision("C1").outcome == "awarded"
