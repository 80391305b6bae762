"""A result's decision on a claim, by an index of the claim ids made on the first look-up:
each claim found as a scan found it, in time linear in the batch, from any thread."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import pickle
import threading
from typing import Any

import pytest

import qfund_rules as q
from qfund_rules.decision import Decision

from .conftest import EXAMPLES_DIR


@pytest.fixture(scope="module")
def example(rules: q.RuleSet) -> q.Evaluation:
    return q.evaluate(rules, rules.load_batch(EXAMPLES_DIR / "claims-2027.yaml"))


@pytest.fixture(scope="module")
def example_round(rules: q.RuleSet) -> q.RoundResult:
    with q.MemoryLedger() as ledger:
        batch = rules.load_batch(EXAMPLES_DIR / "claims-2027.yaml")
        return q.run_round(rules, batch, ledger, publicity_start=dt.date(2027, 5, 6))


class _CountedId(str):
    """A claim id that counts how often ids are compared or hashed."""

    __slots__ = ()
    uses = 0

    def __eq__(self, other: object) -> bool:
        type(self).uses += 1
        return str.__eq__(self, other)

    def __hash__(self) -> int:
        type(self).uses += 1
        return str.__hash__(self)


def counted(result: Any, n: int) -> Any:
    """``result`` with ``n`` decisions whose ids count their comparisons."""
    first: Decision = result.decisions[0]
    decisions = tuple(
        dataclasses.replace(first, claim_id=_CountedId(f"C{i:05d}")) for i in range(n)
    )
    return dataclasses.replace(result, decisions=decisions)


@pytest.mark.parametrize("which", ["example", "example_round"])
def test_looking_up_every_claim_compares_ids_linearly(
    which: str, request: pytest.FixtureRequest
) -> None:
    """decision() for each of n claims reads each id about once, not n/2 times per look-up
    (a scan: 1.1 ms a look-up in 100,000 decisions, quadratic for a caller taking each)."""
    n = 2_000
    result = counted(request.getfixturevalue(which), n)
    _CountedId.uses = 0
    for d in result.decisions:
        assert result.decision(d.claim_id) is d
    assert _CountedId.uses <= 3 * n  # a scan: about n * n / 2 = 2,000,000


@pytest.mark.parametrize("which", ["example", "example_round"])
def test_decision_finds_each_claim_and_refuses_others(
    which: str, request: pytest.FixtureRequest
) -> None:
    """Every claim's decision is found; an id the batch does not hold is a KeyError."""
    result = request.getfixturevalue(which)
    for d in result.decisions:
        assert result.decision(d.claim_id) is d
    with pytest.raises(KeyError, match="K999"):
        result.decision("K999")


def test_of_two_decisions_on_one_claim_the_first_is_found(example: q.Evaluation) -> None:
    """An evaluation made by hand with one claim id twice gives the first, as a scan did."""
    one, two = example.decisions[:2]
    doubled = q.Evaluation(example.rules, (one, dataclasses.replace(two, claim_id=one.claim_id)))
    assert doubled.decision(one.claim_id) is one


def test_the_index_is_not_part_of_the_result(rules: q.RuleSet) -> None:
    """After a look-up, equality, hash, asdict, copies and pickle see the fields alone,
    and a copy looks up as the original."""
    evaluation = q.evaluate(rules, rules.load_batch(EXAMPLES_DIR / "claims-2027.yaml"))
    fresh = q.Evaluation(evaluation.rules, evaluation.decisions)
    claim = evaluation.decisions[-1].claim_id
    evaluation.decision(claim)
    assert (fresh, hash(fresh)) == (evaluation, hash(evaluation))
    assert set(dataclasses.asdict(evaluation)) == {"rules", "decisions"}
    again = pickle.loads(pickle.dumps(evaluation))  # noqa: S301 - our own object
    for other in (again, copy.copy(evaluation), copy.deepcopy(evaluation)):
        assert other == evaluation
        assert other.decision(claim) == evaluation.decision(claim)
    assert len(pickle.dumps(evaluation)) == len(pickle.dumps(fresh))


def test_threads_making_the_index_at_once_all_find_their_claims(example: q.Evaluation) -> None:
    """Eight threads looking up in a new evaluation at the same moment each get every
    decision right, whichever index is kept."""
    evaluation = q.Evaluation(example.rules, example.decisions)
    start = threading.Barrier(8)
    wrong: list[str] = []

    def look_up() -> None:
        start.wait()
        wrong.extend(
            d.claim_id for d in evaluation.decisions if evaluation.decision(d.claim_id) is not d
        )

    threads = [threading.Thread(target=look_up) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []
