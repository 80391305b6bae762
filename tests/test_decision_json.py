"""Reading a decision back from JSON: what to_dict wrote is read as it was, anything else
is refused with every field named, never converted or truncated."""

from __future__ import annotations

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
