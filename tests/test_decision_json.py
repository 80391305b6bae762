"""Reading a decision or an evaluation back from JSON: what to_dict wrote is read as it
was, anything else is refused with every field named, never converted or truncated."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

import qfund_rules as q
from qfund_rules.decision import TraceStep

from .conftest import EXAMPLES_DIR


@pytest.fixture(scope="module")
def written(rules: q.RuleSet) -> dict[str, Any]:
    """K19's decision as to_dict writes it."""
    result = q.evaluate(rules, rules.load_batch(EXAMPLES_DIR / "claims-2027.yaml"))
    return result.decision("K19").to_dict()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount_yuan", 1.9, "amount_yuan: expected whole yuan (an integer), got 1.9"),
        ("amount_yuan", True, "amount_yuan: expected whole yuan (an integer), got True"),
        ("amount_yuan", -5, "amount_yuan: expected whole yuan (an integer), got -5"),
        ("outcome", "maybe", "outcome: expected one of awarded, rejected, superseded"),
        ("reasons", "abc", "reasons: expected a list of reason codes ("),
        ("reasons", ["made_up"], "reasons: expected a list of reason codes (no_matching_item, "),
        ("draft", "no", "draft: expected true or false, got 'no'"),
        ("item", 7, "item: expected text, got 7"),
        ("trace", {}, "trace: expected a list of steps, got {}"),
    ],
)
def test_a_field_not_as_written_is_refused(
    written: dict[str, Any], field: str, value: object, message: str
) -> None:
    """Each wrong field is named with its value; nothing is built from it."""
    with pytest.raises(ValueError, match="not a decision as to_dict writes it") as refused:
        q.Decision.from_dict({**written, field: value})
    assert message in str(refused.value)


def test_every_wrong_field_is_named_at_once(written: dict[str, Any]) -> None:
    """Two wrong fields and a step without its rule: three problems in one error."""
    trace = [{k: v for k, v in written["trace"][0].items() if k != "rule"}]
    bad = {**written, "amount_yuan": "200000", "citations": [13], "trace": trace}
    with pytest.raises(ValueError, match="not a decision") as refused:
        q.Decision.from_dict(bad)
    assert str(refused.value) == (
        "not a decision as to_dict writes it: "
        "amount_yuan: expected whole yuan (an integer), got '200000'; "
        "citations: expected a list of articles, got [13]; "
        "trace[0].rule: expected text"
    )


def test_a_wrong_allocation_is_refused(written: dict[str, Any]) -> None:
    """An allocation must be status, whole yuan and a year."""
    bad = {**written, "allocation": {"status": "paid", "amount_yuan": 0.5, "year": 2027}}
    with pytest.raises(ValueError, match="allocation: expected status, amount_yuan and year"):
        q.Decision.from_dict(bad)


def test_a_step_not_as_written_is_refused(written: dict[str, Any]) -> None:
    """TraceStep.from_dict checks the same way."""
    step = {**written["trace"][0], "facts": ["achieved_on"]}
    with pytest.raises(ValueError, match="facts: expected a mapping of names to values"):
        TraceStep.from_dict(step)


@pytest.mark.parametrize("value", [0.5, [1, 2.5], {"yuan": 1e3}, b"x"])
def test_a_fact_to_dict_never_writes_is_refused(written: dict[str, Any], value: object) -> None:
    """Facts are text, whole numbers, true/false, null, and lists and mappings of them: a
    fraction (or bytes) is refused, not carried into a decision read back."""
    step = {**written["trace"][0], "facts": {"amount": value}}
    with pytest.raises(ValueError, match="facts: expected values as to_dict writes them"):
        TraceStep.from_dict(step)


def test_what_to_dict_wrote_reads_back_equal(written: dict[str, Any]) -> None:
    """The round trip still holds, allocation included."""
    with_allocation = {
        **written,
        "allocation": {"status": "deferred", "amount_yuan": 200_000, "year": 2028},
    }
    for data in (written, with_allocation):
        assert q.Decision.from_dict(data).to_dict() == data


def test_a_decision_without_its_item_is_refused_by_name(written: dict[str, Any]) -> None:
    """A missing key is named missing (a missing item was a KeyError, not a ValueError)."""
    bad = {k: v for k, v in written.items() if k != "item"}
    with pytest.raises(ValueError, match="not a decision") as refused:
        q.Decision.from_dict(bad)
    assert str(refused.value) == "not a decision as to_dict writes it: item: missing"


# --- an evaluation --------------------------------------------------------------------


@pytest.fixture(scope="module")
def evaluation(rules: q.RuleSet) -> q.Evaluation:
    """The shipped example batch, evaluated."""
    return q.evaluate(rules, rules.load_batch(EXAMPLES_DIR / "claims-2027.yaml"))


def test_an_evaluation_reads_back_to_the_same_json(evaluation: q.Evaluation) -> None:
    """From to_dict or from to_json's text, the evaluation read back is equal and writes
    the same bytes; a decision's allocation comes back too."""
    text = evaluation.to_json()
    for data in (evaluation.to_dict(), json.loads(text)):
        again = q.Evaluation.from_dict(data)
        assert (again, again.to_json().encode()) == (evaluation, text.encode())
    with_allocation = q.Evaluation(
        evaluation.rules,
        tuple(
            q.Decision.from_dict({**d.to_dict(), "allocation": {"status": "paid",
                                  "amount_yuan": d.amount_yuan, "year": 2027}})
            for d in evaluation.decisions
        ),
    )  # fmt: skip
    text = with_allocation.to_json()
    assert q.Evaluation.from_dict(json.loads(text)).to_json() == text


def _decision0(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda data: change(data["decisions"][0])


_OTHER_SHA = "0" * 64


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(summary={}), "summary: unknown key; a round's JSON (qfund round"),
        (lambda d: d.pop("decisions"), "decisions: missing"),
        (lambda d: d.update(decisions={}), "decisions: expected a list of decisions, got {}"),
        (lambda d: d["rules"].pop("status"), "rules.status: missing"),
        (lambda d: d["rules"].update(status="beta"), "rules.status: expected draft or final"),
        (lambda d: d["rules"].update(sha256="abc"), "rules.sha256: expected 64 lowercase hex"),
        (lambda d: d["rules"].update(by="me"), "rules.by: unknown key"),
        (lambda d: d.update(rules=["2026.1"]), "rules: expected a mapping of version, status"),
        (
            _decision0(lambda d: d.update(amount_yuan=1.5)),
            "decisions[0].amount_yuan: expected whole yuan (an integer), got 1.5",
        ),
        (_decision0(lambda d: d.pop("item")), "decisions[0].item: missing"),
        (_decision0(lambda d: d.update(note="x")), "decisions[0].note: unknown key"),
        (
            _decision0(lambda d: d["trace"][0].update(note="x")),
            "decisions[0].trace[0].note: unknown key",
        ),
        (
            _decision0(lambda d: d.update(rules_sha256=_OTHER_SHA)),
            f"decisions[0].rules_sha256: '{_OTHER_SHA}' is not the rules' sha256",
        ),
        (
            _decision0(lambda d: d.update(draft=False)),
            "decisions[0].draft: false disagrees with the rules' status",
        ),
        (lambda d: d["decisions"].append(7), "decisions[40]: expected a mapping, got int"),
    ],
)
def test_an_evaluation_not_as_written_is_refused(
    evaluation: q.Evaluation, change: Callable[[dict[str, Any]], None], message: str
) -> None:
    """Each way the JSON is not what to_dict writes is named, at its place."""
    data = json.loads(evaluation.to_json())
    change(data)
    with pytest.raises(ValueError, match="not an evaluation as to_dict writes it: ") as refused:
        q.Evaluation.from_dict(data)
    assert message in str(refused.value)


def test_an_evaluation_broken_throughout_names_the_first_twenty(
    evaluation: q.Evaluation,
) -> None:
    """Every decision's amount wrong: twenty are named, and how many more there are."""
    data = json.loads(evaluation.to_json())
    for d in data["decisions"]:
        d["amount_yuan"] = "0"
    with pytest.raises(ValueError, match="not an evaluation") as refused:
        q.Evaluation.from_dict(data)
    text = str(refused.value)
    assert text.count("amount_yuan: expected whole yuan") == 20
    assert text.endswith("; and 20 more")
