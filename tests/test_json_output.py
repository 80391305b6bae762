"""The JSON of evaluations and rounds: a step that decisions share is made once per
output, into one dict or text, and never into another step's."""

from __future__ import annotations

import sys
from typing import Any

import pytest

import qfund_rules as q
from qfund_rules._json_writer import step_memo
from qfund_rules.decision import new_step

from .conftest import EXAMPLES_DIR, ROOT

sys.path.insert(0, str(ROOT / "bench"))
import run as bench  # bench/ is a directory of scripts, not a package


@pytest.fixture(scope="module")
def example(rules: q.RuleSet) -> q.Evaluation:
    return q.evaluate(rules, rules.load_batch(EXAMPLES_DIR / "claims-2027.yaml"))


@pytest.fixture(scope="module")
def synthetic(rules: q.RuleSet) -> q.Evaluation:
    """2,000 claims of every kind and outcome (bench/run.py's batch), steps shared widely."""
    return q.evaluate(rules, bench.synthetic_batch(2_000, 3, rules))


# --- shared steps: one dict, one text, never another step's -----------------------------


def test_to_dict_takes_no_memo(example: q.Evaluation) -> None:
    """A decision's to_dict has no memo of steps to share across evaluations: one kept by
    a caller gave a freed step's dict to the step that took its id."""
    with pytest.raises(TypeError):
        example.decisions[0].to_dict({})  # type: ignore[call-arg]


def test_a_shared_step_is_one_dict_in_an_evaluations_dict(synthetic: q.Evaluation) -> None:
    """A step in many traces is one dict in the evaluation's dict (from its second use
    on), not a dict per decision."""
    uses = 0
    dicts: dict[int, set[int]] = {}
    listed: Any = synthetic.to_dict()["decisions"]
    for d, data in zip(synthetic.decisions, listed, strict=True):
        for step, step_data in zip(d.trace, data["trace"], strict=True):
            assert step.to_dict() == step_data
            dicts.setdefault(id(step), set()).add(id(step_data))
            uses += 1
    assert max(len(made) for made in dicts.values()) <= 2
    assert uses > 10 * len(dicts)


def test_a_step_memo_never_gives_a_freed_steps_value() -> None:
    """Steps made and freed one after another (their ids taken again at once) each get
    their own value: the memo holds every step it keys."""
    memo = step_memo(lambda s: s.rule)
    for i in range(200):
        step = new_step("x", f"rule.{i}", "第九条", "pass", {}, "", "")
        assert [f"rule.{i}"] * 3 == memo([step, step, step])
        del step


def test_evaluations_freed_in_turn_give_their_own_traces(
    rules: q.RuleSet, example: q.Evaluation
) -> None:
    """The integrator's case: evaluate, write, free, again; every text is the first's."""
    batch = rules.load_batch(EXAMPLES_DIR / "claims-2027.yaml")
    expected = example.to_json()
    for _ in range(5):
        evaluation = q.evaluate(rules, batch)
        assert expected == evaluation.to_json()
        assert example.to_dict() == evaluation.to_dict()
        del evaluation
