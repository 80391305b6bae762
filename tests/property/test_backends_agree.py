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
from qfund_rules.durable_backend import DurableWorker, durable_unavailable_reason

from .strategies import Scenario, scenarios

_UNAVAILABLE = durable_unavailable_reason()
pytestmark = pytest.mark.skipif(_UNAVAILABLE is not None, reason=_UNAVAILABLE or "")


@pytest.fixture(scope="module")
def worker() -> Iterator[DurableWorker]:
    """One durable worker for the module (each rule set is compiled in it once)."""
    with DurableWorker() as w:
        yield w


def first_difference(native: q.Evaluation, durable: q.Evaluation) -> str:
    """Where two evaluations first differ: the claim, and its field or trace step."""
    for n, d in zip(native.decisions, durable.decisions, strict=True):
        nd, dd = n.to_dict(), d.to_dict()
        if nd == dd:
            continue
        for key in nd:
            if key != "trace" and nd[key] != dd.get(key):
                return f"{n.claim_id} {key}: {nd[key]!r} != {dd.get(key)!r}"
        for i, (ns, ds) in enumerate(zip(n.trace, d.trace, strict=False)):
            if ns != ds:
                return f"{n.claim_id} step {i}: {ns.to_dict()!r} != {ds.to_dict()!r}"
        return f"{n.claim_id}: {len(n.trace)} steps != {len(d.trace)}"
    return "the rule-set identities differ"


@given(st.lists(scenarios(), min_size=1, max_size=6))
def test_backends_agree(worker: DurableWorker, drawn: list[Scenario]) -> None:
    """For every rule set, batch and ledger, both backends make the same decisions, whole:
    outcome, item, amount, reasons, citations, and every step of the trace (its step, rule,
    citation, result, facts and messages), in the same order."""
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
                for step in d.trace:
                    event(f"step {step.step}: {step.result}")
            assert native.to_dict() == got.to_dict(), first_difference(native, got)
