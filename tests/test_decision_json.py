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


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount_yuan", "1" * 100_000,
         f"amount_yuan: expected whole yuan (an integer), got '{'1' * 40}...' (100000 "
         "characters)"),
        ("item", "a" * 100_000,
         f"item: '{'a' * 40}...' (100000 characters) is not an award item id"),
        ("claim_id", ["K" * 1000], "claim_id: expected text, got ['KKK"),
    ],
    ids=["long text amount", "long item", "list"],
)  # fmt: skip
def test_a_long_value_is_echoed_as_a_marked_excerpt(
    written: dict[str, Any], field: str, value: object, message: str
) -> None:
    """A long value is echoed as its start, marked as cut (whole, or cut at 80 characters
    without a word, before): the message stays short."""
    with pytest.raises(ValueError, match="not a decision as to_dict writes it") as refused:
        q.Decision.from_dict({**written, field: value})
    assert message in str(refused.value)
    assert len(str(refused.value)) < 300


def test_an_amount_too_long_for_text_is_named_by_its_size(
    decisions: dict[str, dict[str, Any]],
) -> None:
    """An amount of more digits than Python writes out is named by its size (it raised
    Python's own ValueError about int conversion, naming no field)."""
    with pytest.raises(ValueError, match="not a decision as to_dict writes it") as refused:
        q.Decision.from_dict({**decisions["K10"], "amount_yuan": 10**5000})
    assert (
        "amount_yuan: a whole number of more than 4300 digits for a decision rejected: expected 0"
    ) in str(refused.value)


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


@pytest.fixture(scope="module")
def decisions(rules: q.RuleSet) -> dict[str, dict[str, Any]]:
    """The example batch's decisions as to_dict writes them, by claim id: K19 awarded,
    K06 superseded, K10 rejected (its item a11.4), K25 rejected (no item)."""
    result = q.evaluate(rules, rules.load_batch(EXAMPLES_DIR / "claims-2027.yaml"))
    return {d.claim_id: d.to_dict() for d in result.decisions}


@pytest.mark.parametrize(
    ("claim", "change", "message"),
    [
        ("K10", {"amount_yuan": 99}, "amount_yuan: 99 for a decision rejected: expected 0"),
        ("K06", {"amount_yuan": 5}, "amount_yuan: 5 for a decision superseded: expected 0"),
        ("K19", {"amount_yuan": 0}, "amount_yuan: 0 for an award: expected the amount"),
        ("K19", {"item": None}, "item: null for an award: expected the item awarded"),
        ("K19", {"reasons": ["banned"]}, "reasons: ['banned'] for an award: expected none"),
        ("K10", {"reasons": []}, "reasons: [] for a rejection: expected a reason code that"),
        ("K10", {"reasons": ["top_up"]}, "reasons: ['top_up'] for a rejection: expected"),
        ("K06", {"item": None}, "item: null for a superseded claim"),
        ("K06", {"reasons": []}, "reasons: [] for a superseded claim: expected superseded_by"),
        ("K19", {"item": "a99"}, "item: 'a99' is not an award item id of interchange.md"),
        (
            "K19",
            {"allocation": {"status": "paid", "amount_yuan": 150_000, "year": 2027}},
            "allocation.amount_yuan: 150000 is not the decision's amount_yuan 200000",
        ),
        (
            "K19",
            {"allocation": {"status": None, "amount_yuan": 200_000, "year": 2027}},
            "allocation.status: null for an award: expected paid, deferred or held",
        ),
        (
            "K25",
            {"allocation": {"status": "held", "amount_yuan": 0, "year": 2027}},
            "allocation.status: 'held' for a decision that grants nothing: expected null",
        ),
        (
            "K19",
            {"allocation": {"status": "paid", "amount_yuan": 200_000, "year": 0}},
            "allocation: expected status, amount_yuan and year",
        ),
    ],
)
def test_a_decision_whose_fields_disagree_is_refused(
    decisions: dict[str, dict[str, Any]], claim: str, change: dict[str, Any], message: str
) -> None:
    """Each field well formed, but not together as to_dict writes them (interchange.md: the
    amount is 0 unless awarded, an award names its item, a rejection carries a reason code
    that refuses, an allocation places the decision's whole amount, or nothing)."""
    with pytest.raises(ValueError, match="not a decision as to_dict writes it") as refused:
        q.Decision.from_dict({**decisions[claim], **change})
    assert message in str(refused.value)


def test_a_step_result_the_engine_never_writes_is_refused(written: dict[str, Any]) -> None:
    """A step's result is one the engine writes (pass, fail, match, ...): not "maybe"."""
    trace = [{**written["trace"][0], "result": "maybe"}, *written["trace"][1:]]
    with pytest.raises(ValueError, match=r"trace\[0\]\.result: expected one of ") as refused:
        q.Decision.from_dict({**written, "trace": trace})
    assert "got 'maybe'" in str(refused.value)


@pytest.mark.parametrize("depth", [40, 600, 100_000])
def test_facts_nested_deep_are_refused_not_a_recursion_error(
    written: dict[str, Any], depth: int
) -> None:
    """Facts nested deeper than to_dict writes them (json.loads reads 600 levels; a mapping
    built in Python may hold far more) are a ValueError naming them, not a RecursionError."""
    nested: object = "x"
    for _ in range(depth):
        nested = [nested]
    if depth < 1000:
        nested = json.loads("[" * depth + '"x"' + "]" * depth)
    trace = [{**written["trace"][0], "facts": {"deep": nested}}]
    with pytest.raises(ValueError, match=r"trace\[0\]\.facts: lists and mappings nested more"):
        q.Decision.from_dict({**written, "trace": trace})


def test_facts_holding_themselves_are_refused(written: dict[str, Any]) -> None:
    """A fact list that holds itself (only Python can build one) is refused, not walked
    forever or until the recursion limit."""
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="facts: lists and mappings nested more"):
        TraceStep.from_dict({**written["trace"][0], "facts": {"loop": loop}})


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
    # As run_round places them: each award paid whole, null for a decision granting nothing.
    with_allocation = q.Evaluation(
        evaluation.rules,
        tuple(
            q.Decision.from_dict({**d.to_dict(), "allocation": {
                "status": "paid" if d.outcome == "awarded" else None,
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
        (
            lambda d: d["decisions"].append(dict(d["decisions"][3])),
            "decisions[40].claim_id: 'K04' is decisions[3]'s too",
        ),
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


def test_a_long_unknown_key_is_echoed_as_a_marked_excerpt(evaluation: q.Evaluation) -> None:
    """A key of 100 000 characters is named by its start, marked as cut."""
    data = json.loads(evaluation.to_json())
    data["rules"]["x" * 100_000] = 1
    with pytest.raises(ValueError, match="not an evaluation as to_dict writes it: ") as refused:
        q.Evaluation.from_dict(data)
    assert f"rules.{'x' * 40}... (100000 characters): unknown key" in str(refused.value)
    assert len(str(refused.value)) < 300


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
