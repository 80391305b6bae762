"""A rule set cannot be changed by a caller, and decisions are frozen and hashable; an
argument of the wrong type is a TypeError, told apart from bad input.

One RuleSet is shared by every thread that evaluates with it: a caller that could write
into it would change other callers' results while they still name the same sha256.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
import re
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from pydantic import BaseModel

import qfund_rules as q

from .conftest import EXAMPLES_DIR


@pytest.fixture(scope="module")
def result(rules: q.RuleSet) -> q.Evaluation:
    return q.evaluate(rules, rules.load_batch(EXAMPLES_DIR / "claims-2027.yaml"))


def test_decisions_are_hashable_and_equal_after_a_round_trip(result: q.Evaluation) -> None:
    """Frozen decisions can go in a set; one read back from JSON is equal, with its hash."""
    decisions = set(result.decisions)
    assert len(decisions) == len(result.decisions)
    again = [q.Decision.from_dict(d.to_dict()) for d in result.decisions]
    assert again == list(result.decisions)
    assert decisions == set(again)


def test_an_evaluation_is_immutable_hashable_and_pickles(result: q.Evaluation) -> None:
    """Its rules identity cannot be changed under the JSON it writes; it hashes like an
    equal one, and goes through pickle (to another process) equal and still read-only."""
    with pytest.raises(TypeError):
        result.rules["sha256"] = "0" * 64  # type: ignore[index]
    assert hash(result) == hash(q.Evaluation(dict(result.rules), result.decisions))
    again = pickle.loads(pickle.dumps(result))  # noqa: S301 - our own object
    assert again == result
    with pytest.raises(TypeError):
        again.rules["sha256"] = "0" * 64


def test_results_go_through_asdict_and_deepcopy(result: q.Evaluation) -> None:
    """dataclasses.asdict and copy.deepcopy work on an evaluation, as on any dataclass."""
    data = dataclasses.asdict(result)
    assert data["rules"] == dict(result.rules)
    assert copy.deepcopy(result) == result


def test_a_round_result_is_immutable_hashable_and_pickles(rules: q.RuleSet) -> None:
    """As an evaluation: its rules identity is read-only, and it survives pickle equal."""
    batch = rules.load_batch(EXAMPLES_DIR / "claims-2027.yaml")
    with q.MemoryLedger() as ledger:
        result = q.run_round(rules, batch, ledger)
    with pytest.raises(TypeError):
        result.rules["sha256"] = "0" * 64  # type: ignore[index]
    again = pickle.loads(pickle.dumps(result))  # noqa: S301 - our own object
    assert (again, hash(again)) == (result, hash(result))


def test_a_rule_set_refuses_pickle_saying_what_to_do(rules: q.RuleSet) -> None:
    """pickle says to load the rules in each worker (it said "cannot pickle 'mappingproxy'
    object"); copy and deepcopy give the same immutable rule set back."""
    message = "a RuleSet does not pickle: load the rules in each worker (q.load_rules)"
    with pytest.raises(TypeError, match=re.escape(message)):
        pickle.dumps(rules)
    assert copy.copy(rules) is rules
    assert copy.deepcopy(rules) is rules


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


def _mutable_parts(value: object, at: str, seen: set[int]) -> Iterator[str]:
    """Where a dict, a list, a set or a bytearray sits in ``value``, walking its dataclass
    and model fields, mappings (keys and values) and sequences; a compiled predicate is a
    function, and what its closure holds is private."""
    if id(value) in seen or callable(value):
        return
    seen.add(id(value))
    if isinstance(value, dict | list | set | bytearray):
        yield f"{at}: {type(value).__name__}"
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _mutable_parts(key, f"{at}[{key!r}] (key)", seen)
            yield from _mutable_parts(item, f"{at}[{key!r}]", seen)
    elif isinstance(value, tuple | list | frozenset | set):
        for i, item in enumerate(value):
            yield from _mutable_parts(item, f"{at}[{i}]", seen)
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _mutable_parts(getattr(value, name), f"{at}.{name}", seen)
    elif dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            yield from _mutable_parts(getattr(value, f.name), f"{at}.{f.name}", seen)


def test_nothing_a_rule_set_holds_can_be_changed(rules: q.RuleSet) -> None:
    """No dict, list or set anywhere in a RuleSet: an item's condition as written (its
    ``when``) was a dict that a caller could change under an unchanged sha256."""
    assert list(_mutable_parts(rules, "rules", set())) == []


def test_a_condition_as_written_refuses_change_and_dumps_as_written(rules: q.RuleSet) -> None:
    """``when`` is read-only all the way down, and the diff still reads it as the file
    wrote it (mappings and lists)."""
    item = rules.by_id["a13.1.national"].item
    when: Any = item.when
    with pytest.raises(TypeError):
        when["all"] = ()
    assert isinstance(when["all"], tuple)
    dumped = item.model_dump(mode="json")["when"]
    assert isinstance(dumped, dict)
    assert isinstance(dumped["all"], list)
    assert dumped == json.loads(json.dumps(dumped))


# --- arguments of the wrong type are told apart from bad input ----------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("rules", {}),
            "evaluate(): batch must be a Batch (load it with rules.load_batch(path) or ",
        ),
        (("rules", "claims.yaml"), "not a str"),
        (
            ("batch", "rules"),
            "evaluate(): rules must be a RuleSet (q.load_rules()), not qfund_rules.claims.Batch",
        ),
        (
            ("rules", "batch", None),
            "evaluate(): history must be a History (q.NO_HISTORY, a StaticHistory",
        ),
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
