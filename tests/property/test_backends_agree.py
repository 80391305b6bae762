"""The native engine and the durable-rules backend agree on generated input (issue 5).

The durable backend compiles the rule files itself, so agreement is evidence that neither
misreads them. Scenarios come from the shared strategies: rule sets with changed amounts
and switched policies, batches across all 13 kinds that lean towards claims meeting
(tiers of one honour, duplicates, several applicants on one standard), exclusions,
ineligible applicants, dates outside the period in force, and ledgers of earlier awards
and bans. One worker process serves the whole module, and each example sends several
scenarios in one round trip: starting a worker costs more than deciding a batch.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

import qfund_rules as q
from qfund_rules.decision import JSONValue
from qfund_rules.durable_backend import DurableWorker, durable_unavailable_reason

from .strategies import Scenario, scenarios

_UNAVAILABLE = durable_unavailable_reason()
pytestmark = pytest.mark.skipif(_UNAVAILABLE is not None, reason=_UNAVAILABLE or "")

Key = tuple[str, str, str | None, int, tuple[str, ...], tuple[str, ...]]


@pytest.fixture(scope="module")
def worker() -> Iterator[DurableWorker]:
    """One durable worker for the module (each rule set is compiled in it once)."""
    with DurableWorker() as w:
        yield w


def keys(evaluation: q.Evaluation) -> list[Key]:
    """Per claim: (claim, outcome, item, amount, sorted reasons, sorted citations)."""
    return [
        (
            d.claim_id,
            d.outcome,
            d.item,
            d.amount_yuan,
            tuple(sorted(d.reasons)),
            tuple(sorted(d.citations)),
        )
        for d in evaluation.decisions
    ]


#: The facts both backends' traces show alike: the dates of the listings and bans that
#: apply, and which drafting units are Hami units and why.
SHARED_FACTS = ("listed_on", "listings", "bans", "unit_regions", "hami_units")


def shared_facts(evaluation: q.Evaluation) -> dict[tuple[str, str], dict[str, JSONValue]]:
    """Per (claim, step), the shared facts of its failing listing and ban steps (durable
    writes no passing ones) and of its own authorship step."""
    out: dict[tuple[str, str], dict[str, JSONValue]] = {}
    for d in evaluation.decisions:
        for s in d.trace:
            if s.step in ("exclusion", "ban") and s.result != "fail":
                continue
            if s.rule.endswith(("one_participant", "elsewhere")):  # across claims
                continue
            found = {k: s.facts[k] for k in SHARED_FACTS if k in s.facts}
            if found:
                out[(d.claim_id, s.step)] = found
    return out


@given(st.lists(scenarios(), min_size=1, max_size=6))
def test_backends_agree(worker: DurableWorker, drawn: list[Scenario]) -> None:
    """For every rule set, batch and ledger, both backends make the same decision on each claim:
    outcome, item, amount, reasons and citations; and their traces show the same listings,
    bans and Hami drafting units, with what made each one."""
    by_rules: dict[int, list[Scenario]] = {}
    for s in drawn:
        by_rules.setdefault(id(s.rules), []).append(s)
    for group in by_rules.values():
        rules = group[0].rules
        durable = worker.evaluate_many(rules, [(s.batch, s.ledger.history) for s in group])
        for scenario, got in zip(group, durable, strict=True):
            native = scenario.evaluate()
            for d in native.decisions:
                event(f"{d.outcome}: {', '.join(sorted(d.reasons)) or '-'}")
            assert keys(native) == keys(got)
            assert shared_facts(native) == shared_facts(got)
            assert all(d.trace for d in got.decisions)
            assert got.rules == native.rules
