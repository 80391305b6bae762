"""The JSON text of evaluations and rounds, written a decision at a time: byte for byte the
text of their dicts, each shared step encoded once, never another step's."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import sys
from pathlib import Path
from typing import Any

import pytest

import qfund_rules as q
from qfund_rules._json_writer import step_memo
from qfund_rules.cli import run
from qfund_rules.decision import (
    Allocation,
    JSONValue,
    TraceStep,
    dumps,
    new_step,
    render,
)

from .conftest import EXAMPLES_DIR, ROOT

sys.path.insert(0, str(ROOT / "bench"))
import run as bench  # bench/ is a directory of scripts, not a package

ROUNDS = EXAMPLES_DIR / "rounds"


def written(result: q.Evaluation | q.RoundResult) -> str:
    out = io.StringIO()
    result.write_json(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def example(rules: q.RuleSet) -> q.Evaluation:
    return q.evaluate(rules, rules.load_batch(EXAMPLES_DIR / "claims-2027.yaml"))


@pytest.fixture(scope="module")
def synthetic(rules: q.RuleSet) -> q.Evaluation:
    """2,000 claims of every kind and outcome (bench/run.py's batch), steps shared widely."""
    return q.evaluate(rules, bench.synthetic_batch(2_000, 3, rules))


@pytest.fixture(scope="module")
def carried_round(rules: q.RuleSet) -> q.RoundResult:
    """docs/rounds.md's 2028 round: awards carried in from 2027, held, paid and deferred."""
    with q.MemoryLedger() as ledger:
        for year, budget in ((2027, 1_000_000), (2028, 550_000)):
            batch = rules.load_batch(ROUNDS / f"claims-{year}.yaml")
            start = dt.date(year, 5, 8)
            result = q.run_round(rules, batch, ledger, budget_yuan=budget, publicity_start=start)
            result.commit(ledger)
        return result


def odd_steps() -> tuple[TraceStep, ...]:
    """Steps whose facts hold every kind of value JSON has, and text json must escape."""
    facts: list[dict[str, JSONValue]] = [
        {},
        {"none": None, "yes": True, "no": False, "zero": 0, "big": 10**30, "neg": -7},
        {"empty": [], "nested": [[], {}, [1, [2, {"k": None}]], {"a": {"b": []}}]},
        {"text": 'quote " backslash \\ newline \n tab \t nul \x00 \u2028 哈密 😀 \ud800'},
        {"": "", "键": ["值", "🙂"]},
    ]
    return tuple(
        new_step("odd", f"rule.{i}", "第九条", "pass", f, "消息\n第二行", 'say "so"')
        for i, f in enumerate(facts)
    )


def hand_made(example: q.Evaluation) -> q.Evaluation:
    """Decisions sharing odd steps, one with no trace at all, one with an allocation."""
    steps = odd_steps()
    first = example.decisions[0]
    decisions = (
        dataclasses.replace(first, claim_id="X1", trace=steps),
        dataclasses.replace(first, claim_id="X2", trace=(), reasons=(), citations=()),
        dataclasses.replace(
            first,
            claim_id="X3",
            trace=steps[::-1] + steps,
            allocation=Allocation(status=None, amount_yuan=0, year=2027),
        ),
    )
    return q.Evaluation(example.rules, decisions)


# --- the text, byte for byte ------------------------------------------------------------


@pytest.mark.parametrize("which", ["example", "synthetic"])
def test_an_evaluations_json_is_its_dict_one_decision_a_line(
    which: str, request: pytest.FixtureRequest
) -> None:
    """write_json and to_json write exactly render(to_dict()), as qfund evaluate did."""
    evaluation: q.Evaluation = request.getfixturevalue(which)
    expected = render(evaluation.to_dict(), "decisions")
    assert expected == written(evaluation)
    assert expected == evaluation.to_json()


def test_odd_values_and_empty_traces_are_written_as_json_writes_them(
    example: q.Evaluation,
) -> None:
    """Escapes, nesting, empty lists and mappings, a decision without a trace: as json."""
    evaluation = hand_made(example)
    assert render(evaluation.to_dict(), "decisions") == evaluation.to_json()


def test_an_evaluation_without_decisions_is_written_as_before(example: q.Evaluation) -> None:
    """An empty list of decisions is written [] on the line of its key."""
    empty = q.Evaluation(example.rules, ())
    assert render(empty.to_dict(), "decisions") == empty.to_json()
    assert '  "decisions": []\n}\n' in empty.to_json()


def test_a_rounds_json_is_its_dict_indented(carried_round: q.RoundResult) -> None:
    """write_json and to_json write exactly dumps(to_dict()), as qfund round did."""
    assert carried_round.carried_in, "the 2028 round carries awards in"
    expected = dumps(carried_round.to_dict())
    assert expected == written(carried_round)
    assert expected == carried_round.to_json()


def test_a_rounds_odd_values_are_indented_as_json_indents_them(
    carried_round: q.RoundResult, example: q.Evaluation
) -> None:
    """The same odd steps and empty trace in a round's indented text: as json.dumps."""
    odd = dataclasses.replace(carried_round, decisions=hand_made(example).decisions)
    assert dumps(odd.to_dict()) == odd.to_json()
    none = dataclasses.replace(carried_round, decisions=(), carried_in=())
    assert dumps(none.to_dict()) == none.to_json()


def test_values_outside_the_json_of_decisions_are_written_by_json(
    carried_round: q.RoundResult, example: q.Evaluation
) -> None:
    """A float or a key that is not text (never in the engine's facts) comes out as
    json.dumps writes it, in both forms."""
    facts: Any = {"ratio": 0.5, 7: "seven", "inner": {None: 1.0}}
    step = new_step("odd", "rule.float", "第九条", "pass", facts, "", "")
    decision = dataclasses.replace(example.decisions[0], trace=(step, step))
    evaluation = q.Evaluation(example.rules, (decision,))
    assert render(evaluation.to_dict(), "decisions") == evaluation.to_json()
    odd = dataclasses.replace(carried_round, decisions=(decision,))
    assert dumps(odd.to_dict()) == odd.to_json()


def test_the_commands_write_what_to_json_gives(
    rules: q.RuleSet, example: q.Evaluation, tmp_path: Path
) -> None:
    """qfund evaluate and qfund round write their results' to_json, byte for byte."""
    batch = EXAMPLES_DIR / "claims-2027.yaml"
    out, err = io.StringIO(), io.StringIO()
    assert run(["evaluate", str(batch)], out, err) == 0, err.getvalue()
    assert example.to_json() == out.getvalue()
    out = io.StringIO()
    start = ["--publicity-start", "2027-05-06", "--ledger", str(tmp_path / "none.db")]
    assert run(["round", str(batch), *start], out, err) == 0, err.getvalue()
    with q.MemoryLedger() as ledger:
        result = q.run_round(
            rules, rules.load_batch(batch), ledger, publicity_start=dt.date(2027, 5, 6)
        )
    assert result.to_json() == out.getvalue()


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
