"""Tests for the argument checks of the public entry points (``_arguments.py``).

A dict where a loaded batch belongs, a path where the text of the measures belongs, the
report's arguments in another order: each is a ``TypeError`` at the call saying what was
expected, what was given and how to get the right thing, as ``evaluate`` says it, never
an ``AttributeError`` from deep inside.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import qfund_rules as q
from qfund_rules.allocation import UnseenKey
from qfund_rules.diff import diff_rules, measure_impact
from qfund_rules.explain import explain, table
from qfund_rules.report import render_report

from .conftest import EXAMPLES_DIR, RULES_DIR

MEASURES = Path(__file__).resolve().parents[1] / "docs" / "source" / "measures-2026-draft.txt"


@pytest.fixture(scope="module")
def batch(rules: q.RuleSet) -> q.Batch:
    return rules.load_batch(EXAMPLES_DIR / "claims-2027.yaml")


@pytest.fixture(scope="module")
def evaluation(rules: q.RuleSet, batch: q.Batch) -> q.Evaluation:
    return q.evaluate(rules, batch)


class _Given:
    """Stands in a call's arguments for the rules, the batch or the evaluation."""

    def __init__(self, name: str) -> None:
        self.name = name


RULES, BATCH, EVALUATION = _Given("rules"), _Given("batch"), _Given("evaluation")
_LOAD = q.RuleSet.load_batch

#: (id, function, positional arguments, keyword arguments, message)
WRONG_TYPES: list[tuple[str, Callable[..., object], tuple[object, ...], dict[str, Any], str]] = [
    (
        "load_batch-dict",
        _LOAD,
        (RULES, {"round": 2027}),
        {},
        "load_batch: source must be a path (a str or a pathlib.Path) or the file's bytes "
        "(for data already parsed, use rules.batch_from_data(data)), not dict {'round': 2027}",
    ),
    (
        "q.load_batch-list",
        q.load_batch,
        ([],),
        {"industry_codes": frozenset()},
        "(for data already parsed, use rules.batch_from_data(data)), not list []",
    ),
    (
        "load_batch-int",
        _LOAD,
        (RULES, 5),
        {},
        "load_batch: source must be a path (a str or a pathlib.Path) or the file's bytes, "
        "not int 5",
    ),
    (
        "load_batch-limits",
        _LOAD,
        (RULES, b"round: 2027"),
        {"limits": {"max_bytes": 10}},
        "load_batch: limits must be a Limits (q.Limits(max_bytes=...); leave it out for the "
        "defaults), not dict {'max_bytes': 10}",
    ),
    (
        "load_batch-name",
        _LOAD,
        (RULES, b"round: 2027"),
        {"name": 3},
        "load_batch: name must be a str or None, not int 3",
    ),
    (
        "load_rules-limits",
        q.load_rules,
        (),
        {"limits": None},
        "load_rules: limits must be a Limits (q.Limits(max_bytes=...)",
    ),
    (
        "load_rules-directory",
        q.load_rules,
        (123,),
        {},
        "load_rules: directory must be a path (a str or a pathlib.Path) to the rule files' "
        "directory, or None, not int 123",
    ),
    (
        "batch_to_data-dict",
        q.batch_to_data,
        ({},),
        {},
        "batch_to_data: batch must be a Batch (rules.load_batch(path) or "
        "rules.batch_from_data(data)), not dict {}",
    ),
    (
        "batch_sha256-dict",
        q.batch_sha256,
        ({},),
        {},
        "batch_sha256: batch must be a Batch (rules.load_batch(path) or",
    ),
    (
        "check_citations-path",
        q.check_citations,
        (RULES, MEASURES),
        {},
        "check_citations: measures must be the text of the measures (a str: the file's "
        '.read_text(encoding="utf-8")), not pathlib.',
    ),
    (
        "check_citations-bytes",
        q.check_citations,
        (RULES, b"\xe7\xac\xac"),
        {},
        "check_citations: measures must be the text of the measures (a str: the bytes' "
        '.decode("utf-8")), not bytes',
    ),
    (
        "check_citations-no-rules",
        q.check_citations,
        (None, "第一条"),
        {},
        "check_citations: rules must be a RuleSet (q.load_rules()), not NoneType None",
    ),
    (
        "diff_rules-directory",
        diff_rules,
        (RULES, "rules"),
        {},
        "diff_rules: new must be a RuleSet (q.load_rules(directory)), not str 'rules'",
    ),
    (
        "measure_impact-dict",
        measure_impact,
        (RULES, RULES, {}),
        {},
        "measure_impact: batch must be a Batch (rules.load_batch(path) or",
    ),
    (
        "render_report-order",
        render_report,
        (EVALUATION, BATCH, RULES),
        {},
        "render_report: rules must be a RuleSet (q.load_rules()), in the order (result, "
        "rules, batch), not qfund_rules.claims.Batch",
    ),
    (
        "render_report-result",
        render_report,
        ({"decisions": []}, RULES, BATCH),
        {},
        "render_report: result must be an Evaluation (q.evaluate(...)) or a RoundResult",
    ),
    (
        "render_report-now-mapping",
        render_report,
        (EVALUATION, RULES, BATCH),
        {"now": {"C1": "paid"}},
        "render_report: now must be an iterable of AwardState (ledger.awards()), not dict",
    ),
    (
        "render_report-now-row",
        render_report,
        (EVALUATION, RULES, BATCH),
        {"now": [(2027, "C1", "paid")]},
        "render_report: now[0] must be an AwardState, not tuple",
    ),
    (
        "render_report-unseen-text",
        render_report,
        (EVALUATION, RULES, BATCH),
        {"unseen": ["applicant A1 has no USCC"]},
        "render_report: unseen[0] must be an UnseenKey, not str 'applicant A1 has no USCC'",
    ),
    (
        "SqliteLedger-int",
        q.SqliteLedger,
        (123,),
        {},
        "SqliteLedger: path must be a path (a str or a pathlib.Path) to the ledger file, or "
        "':memory:', not int 123",
    ),
    (
        "SqliteLedger-readonly",
        q.SqliteLedger,
        (":memory:",),
        {"readonly": "no"},
        "SqliteLedger: readonly must be True or False, not str 'no'",
    ),
]


@pytest.mark.parametrize(
    ("function", "args", "kwargs", "message"),
    [w[1:] for w in WRONG_TYPES],
    ids=[w[0] for w in WRONG_TYPES],
)
def test_a_wrong_type_is_a_type_error_saying_what_to_pass(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    rules: q.RuleSet,
    batch: q.Batch,
    evaluation: q.Evaluation,
    function: Callable[..., object],
    args: tuple[object, ...],
    kwargs: dict[str, Any],
    message: str,
) -> None:
    """The message names the function, the parameter, what it takes and what it was given;
    nothing is written (SqliteLedger(123) made a ledger file named 123)."""
    given = {RULES: rules, BATCH: batch, EVALUATION: evaluation}
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TypeError, match=re.escape(message)):
        function(*[given.get(a, a) if isinstance(a, _Given) else a for a in args], **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_a_text_in_another_language_is_a_value_error(
    rules: q.RuleSet, batch: q.Batch, evaluation: q.Evaluation
) -> None:
    """lang="fr" names the two languages, wherever text is rendered (the report and explain
    raised a KeyError from their labels; table and a rule diff wrote English)."""
    french: Any = "fr"  # what a caller without a type checker may pass
    renders: dict[str, Callable[[], object]] = {
        "render_report": lambda: render_report(evaluation, rules, batch, lang=french),
        "explain": lambda: explain(evaluation.decisions[0], rules, lang=french),
        "table": lambda: table(evaluation, lang=french),
        "RuleDiff.to_text": lambda: diff_rules(rules, rules).to_text(lang=french),
        "UnseenKey.to_text": lambda: UnseenKey("A1", None, ("9165",)).to_text(lang=french),
    }
    for where, render in renders.items():
        message = f"{where}: lang must be 'zh' or 'en', not 'fr'"
        with pytest.raises(ValueError, match=re.escape(message)):
            render()


def test_the_types_the_docs_name_are_taken(tmp_path: Path, rules: q.RuleSet) -> None:
    """A str or a Path, a batch's bytes, a ledger's path as text: the checks let them by."""
    path = EXAMPLES_DIR / "claims-2027.yaml"
    assert rules.load_batch(str(path)) == rules.load_batch(path.read_bytes(), name=path.name)
    assert q.load_rules(str(RULES_DIR)).sha256 == rules.sha256
    with q.SqliteLedger(str(tmp_path / "fund.db"), create=True, readonly=False) as ledger:
        assert ledger.verify() is None
