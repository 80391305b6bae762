"""A rule set and the decisions made with it cannot be changed by a caller; an argument of
the wrong type is a TypeError, told apart from bad input.

Both are shared: one RuleSet by every thread that evaluates with it, one trace step by
every decision it belongs to. A caller that could write into either would change other
callers' results while they still name the same rule-file sha256.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

import qfund_rules as q
from qfund_rules.decision import TraceStep

from .conftest import EXAMPLES_DIR


@pytest.fixture(scope="module")
def result(rules: q.RuleSet) -> q.Evaluation:
    return q.evaluate(rules, rules.load_batch(EXAMPLES_DIR / "claims-2027.yaml"))


def test_a_step_shared_by_decisions_cannot_be_written_through_one(
    result: q.Evaluation,
) -> None:
    """The same step object in several traces: its facts refuse assignment."""
    uses = Counter(id(step) for d in result.decisions for step in d.trace)
    shared = next(s for d in result.decisions for s in d.trace if uses[id(s)] > 1 and s.facts)
    key = next(iter(shared.facts))
    facts: Any = shared.facts  # the type says Mapping; try to write anyway
    with pytest.raises(TypeError):
        facts[key] = "changed"
    with pytest.raises(TypeError):
        del facts[key]


def test_a_step_keeps_the_facts_it_was_built_with() -> None:
    """TraceStep(...) copies the facts given: changing that dict later changes nothing."""
    given: dict[str, Any] = {"licensed": True}
    step = TraceStep("exclusion", "r", "第十七条", "pass", given, "zh", "en")
    given["licensed"] = False
    assert dict(step.facts) == {"licensed": True}


def test_decisions_are_hashable_and_equal_after_a_round_trip(result: q.Evaluation) -> None:
    """Frozen decisions can go in a set; one read back from JSON is equal, with its hash."""
    decisions = set(result.decisions)
    assert len(decisions) == len(result.decisions)
    again = [q.Decision.from_dict(d.to_dict()) for d in result.decisions]
    assert again == list(result.decisions)
    assert decisions == set(again)


@pytest.mark.parametrize(
    "mapping",
    [
        "by_kind",
        "by_id",
        "exclusions.eligibility.org_types",
        "exclusions.eligibility.regions",
        "allocation.budgets.by_year",
    ],
)
def test_a_rule_sets_mappings_refuse_assignment(rules: q.RuleSet, mapping: str) -> None:
    """Every mapping a RuleSet holds is read-only: an evaluation cannot be changed under
    the sha256 it names."""
    target: Any = rules
    for name in mapping.split("."):
        target = getattr(target, name)
    key = next(iter(target))
    with pytest.raises(TypeError):
        target[key] = target[key]


# --- arguments of the wrong type are told apart from bad input ----------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("rules", {}), "evaluate() needs a Batch (rules.load_batch(path) or "),
        (("rules", "claims.yaml"), "got a str"),
        (("batch", "rules"), "evaluate() needs a RuleSet (q.load_rules()), got a Batch"),
        (("rules", "batch", None), "evaluate() needs a History (q.NO_HISTORY, a StaticHistory"),
    ],
)
def test_evaluate_names_an_argument_of_the_wrong_type(
    rules: q.RuleSet, args: tuple[object, ...], message: str
) -> None:
    """A dict or a path where a loaded batch belongs is a TypeError saying what to pass."""
    batch = rules.load_batch(EXAMPLES_DIR / "claims-2027.yaml")
    given: Any = [{"rules": rules, "batch": batch}.get(a, a) if isinstance(a, str) else a
                  for a in args]  # fmt: skip
    with pytest.raises(TypeError, match=re.escape(message)):
        q.evaluate(*given)


@pytest.mark.parametrize("value", [-1, True, 1.5, "64"])
def test_limits_refuse_what_is_not_a_whole_number(value: object) -> None:
    """Limits(max_bytes=-1) would blame every input for a limit the caller mistyped."""
    message = f"Limits.max_bytes must be a whole number >= 0, got {value!r}"
    with pytest.raises(ValueError, match=re.escape(message)):
        q.Limits(max_bytes=value)  # type: ignore[arg-type]
