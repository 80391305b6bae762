"""Tests for a round's allocation: order, 用完即止, carry-over, holds, publicity (R9-R11)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

import qfund_rules as q
from qfund_rules.allocation import Publicity, RoundError, RoundResult, run_round
from qfund_rules.claims import batch_sha256
from qfund_rules.decision import Allocation
from qfund_rules.errors import LedgerError
from qfund_rules.ledger import MemoryLedger, SqliteLedger

from .conftest import last_submitted

# Amounts of the measures (第十一条, 第十二条), in yuan.
CHINA_WINNER, CHINA_NOMINEE = 600_000, 400_000
HAMI_NOMINEE = 50_000
LEADING, CNAS = 200_000, 100_000


def applicants(n: int = 6) -> list[dict[str, Any]]:
    """Hami enterprises A1..An."""
    return [
        {"id": f"A{i}", "name": f"哈密某企业{i}", "org_type": "enterprise", "region": "650502"}
        for i in range(1, n + 1)
    ]


def quality_award(cid: str, app: str, award: str, tier: str, **extra: Any) -> dict[str, Any]:
    """A 第十一条 quality award claim, declared first time."""
    return {
        "id": cid,
        "applicant": app,
        "kind": "quality_award",
        "award": award,
        "tier": tier,
        "first_time": True,
        **extra,
    }


def leading(cid: str, app: str, **extra: Any) -> dict[str, Any]:
    """A 第十一条(四) leading-enterprise claim (20 万元)."""
    return {"id": cid, "applicant": app, "kind": "leading_enterprise", **extra}


def cnas(cid: str, app: str, **extra: Any) -> dict[str, Any]:
    """A 第十二条(一) CNAS claim, declared first time (10 万元)."""
    return {"id": cid, "applicant": app, "kind": "cnas_accreditation", "first_time": True, **extra}


def batch(rules: q.RuleSet, year: int, *claims: dict[str, Any]) -> q.Batch:
    """A batch for round ``year``: achieved the year before, submitted on 20 March."""
    data = {
        "round": year,
        "submitted_on": f"{year}-03-20",
        "applicants": applicants(),
        "claims": [{"achieved_on": f"{min(year - 1, 2028)}-11-01", **c} for c in claims],
    }
    return q.batch_from_data(data, industry_codes=rules.industry_codes)


def changed(rules: q.RuleSet, b: q.Batch, **changes: Any) -> q.Batch:
    """``b`` loaded again with some of its top-level keys changed (``round``, ``claims``)."""
    return rules.batch_from_data({**q.batch_to_data(b), **changes})


def with_policy(rules: q.RuleSet, **policy: Any) -> q.RuleSet:
    """The rule set with allocation.yaml's ``allocation`` section changed."""
    alloc = rules.allocation.model_copy(
        update={"allocation": rules.allocation.allocation.model_copy(update=policy)}
    )
    return dataclasses.replace(rules, allocation=alloc)


def statuses(result: RoundResult) -> dict[str, str | None]:
    """Claim id -> allocation status, this round's decisions then the carried awards."""
    out: dict[str, str | None] = {
        d.claim_id: d.allocation.status if d.allocation else None for d in result.decisions
    }
    out.update({f"{c.claim_id}@{c.round}": c.allocation.status for c in result.carried_in})
    return out


def committed(rules: q.RuleSet, ledger: SqliteLedger, b: q.Batch, budget: int) -> RoundResult:
    """Run and commit one round, its publicity starting the day the last claim came in."""
    result = run_round(rules, b, ledger, budget_yuan=budget, publicity_start=last_submitted(b))
    assert result.commit(ledger)
    return result


def misfit_in_the_middle(rules: q.RuleSet) -> q.Batch:
    """40 万, then 60 万, then 10 万 (in submission order): with 50 万 the second does not
    fit what the first left, and the third does."""
    return batch(
        rules,
        2027,
        quality_award("C1", "A1", "china", "nominee"),
        quality_award("C2", "A2", "china", "winner", submitted_on="2027-03-21"),
        cnas("C3", "A3", submitted_on="2027-03-22"),
    )


def test_stop_defers_the_first_misfit_and_everything_after(
    rules: q.RuleSet, ledger: MemoryLedger
) -> None:
    """用完即止: once an award does not fit, it and all later awards are deferred."""
    b = misfit_in_the_middle(rules)
    result = run_round(rules, b, ledger, budget_yuan=500_000)
    assert statuses(result) == {"C1": "paid", "C2": "deferred", "C3": "deferred"}


def test_skip_pays_later_awards_that_still_fit(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """on_shortfall: skip keeps paying later awards that fit the remaining budget."""
    b = misfit_in_the_middle(rules)
    skip = with_policy(rules, on_shortfall="skip")
    result = run_round(skip, b, ledger, budget_yuan=500_000)
    assert statuses(result) == {"C1": "paid", "C2": "deferred", "C3": "paid"}


def test_order_is_submitted_on_then_claim_id(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """This round's awards are paid by submitted_on, then claim id, whatever the batch order."""
    b = batch(
        rules,
        2027,
        leading("C1", "A1", submitted_on="2027-03-25"),
        leading("C3", "A3", submitted_on="2027-03-21"),
        leading("C2", "A2", submitted_on="2027-03-21"),
    )
    result = run_round(rules, b, ledger, budget_yuan=LEADING)
    assert statuses(result) == {"C1": "deferred", "C2": "paid", "C3": "deferred"}


def test_whole_awards_only(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """An award larger than what is left is never paid in part (一次性拨付)."""
    b = batch(rules, 2027, quality_award("C1", "A1", "china", "winner"))
    result = run_round(rules, b, ledger, budget_yuan=599_900)
    assert (Allocation("deferred", CHINA_WINNER, 2027), 0) == (
        result.decision("C1").allocation,
        result.summary.paid_yuan,
    )


def test_objection_holds_the_award_without_using_budget(
    rules: q.RuleSet, ledger: MemoryLedger
) -> None:
    """第二十二条: a claim with an objection is held, and the budget goes to the next award."""
    b = batch(
        rules,
        2027,
        leading("C1", "A1", objection=True),
        leading("C2", "A2", submitted_on="2027-03-21"),
    )
    result = run_round(rules, b, ledger, budget_yuan=LEADING)
    assert statuses(result) == {"C1": "held", "C2": "paid"}


def allocation_step(result: RoundResult, claim_id: str) -> tuple[str, str, str, dict[str, Any]]:
    """The last step of a decision's trace: (rule, citation, result, facts)."""
    step = result.decision(claim_id).trace[-1]
    assert step.step == "allocation"
    return step.rule, step.citation, step.result, dict(step.facts)


@pytest.mark.parametrize("on_shortfall", ["stop", "skip"])
def test_the_trace_says_how_the_budget_placed_each_award(
    rules: q.RuleSet, ledger: MemoryLedger, on_shortfall: str
) -> None:
    """Rulings R10 is configurable, so each allocated decision's trace names the reading
    applied, its place in the order and the budget left when it came up; the decision
    cites 第二十条第(一)项. C3 fits what C2 left: paid under skip, deferred under stop."""
    b = misfit_in_the_middle(rules)
    result = run_round(
        with_policy(rules, on_shortfall=on_shortfall), b, ledger, budget_yuan=500_000
    )
    cite = "第二十条第(一)项"
    facts = {"on_shortfall": on_shortfall}
    c3_after = on_shortfall == "stop"
    assert [allocation_step(result, c) for c in ("C1", "C2", "C3")] == [
        ("allocation.budget", cite, "paid", {"position": 1, "amount_yuan": 400_000,
         "budget_left_yuan": 500_000, **facts, "after_shortfall": False}),
        ("allocation.budget", cite, "deferred", {"position": 2, "amount_yuan": 600_000,
         "budget_left_yuan": 100_000, **facts, "after_shortfall": False}),
        ("allocation.budget", cite, "deferred" if c3_after else "paid", {"position": 3,
         "amount_yuan": CNAS, "budget_left_yuan": 100_000, **facts,
         "after_shortfall": c3_after}),
    ]  # fmt: skip
    assert all(cite in result.decision(c).citations for c in ("C1", "C2", "C3"))
    message = result.decision("C3").trace[-1].message_en
    assert ("an earlier award did not fit" in message) is c3_after


def test_a_held_award_says_so_in_its_trace(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """An objection holds the award (R11): the step cites the publicity article and uses no
    budget."""
    b = batch(rules, 2027, leading("C1", "A1", objection=True))
    result = run_round(rules, b, ledger, budget_yuan=LEADING)
    assert allocation_step(result, "C1") == (
        "allocation.objection",
        rules.allocation.publicity.citation,
        "held",
        {"position": 1, "amount_yuan": LEADING, "objection": True},
    )


def test_a_decision_granting_nothing_has_no_allocation_step(
    rules: q.RuleSet, ledger: MemoryLedger
) -> None:
    """Only what a round places gets a step: a rejection's trace is the engine's."""
    b = batch(rules, 2027, {**cnas("C1", "A1"), "first_time": False})
    result = run_round(rules, b, ledger, budget_yuan=LEADING)
    assert result.decision("C1").trace == q.evaluate(rules, b, ledger).decision("C1").trace


def test_decision_granting_nothing_has_a_null_status(
    rules: q.RuleSet, ledger: MemoryLedger
) -> None:
    """A rejected claim gains an allocation with status null and 0 yuan."""
    b = batch(rules, 2027, {**cnas("C1", "A1"), "first_time": False})
    result = run_round(rules, b, ledger, budget_yuan=1_000_000)
    assert Allocation(None, 0, 2027) == result.decision("C1").allocation


def test_summary_adds_up(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """The summary gives budget, awarded, paid, deferred and held in yuan."""
    b = batch(
        rules,
        2027,
        quality_award("C1", "A1", "china", "nominee"),
        quality_award("C2", "A2", "china", "winner", submitted_on="2027-03-21"),
        cnas("C3", "A3", submitted_on="2027-03-22"),
        quality_award("C4", "A4", "hami", "nominee", objection=True),
    )
    s = run_round(rules, b, ledger, budget_yuan=1_000_000).summary
    assert (
        s.budget_yuan,
        s.carried_in_yuan,
        s.awarded_yuan,
        s.paid_yuan,
        s.deferred_yuan,
        s.held_yuan,
    ) == (1_000_000, 0, 1_150_000, 1_000_000, CNAS, HAMI_NOMINEE)


def test_publicity_lasts_seven_days_counting_the_first(
    rules: q.RuleSet, ledger: MemoryLedger
) -> None:
    """Rulings R11: start .. start + 6 days, disbursement from start + 7 days."""
    b = batch(rules, 2027, leading("C1", "A1"))
    result = run_round(rules, b, ledger, publicity_start=dt.date(2027, 6, 1))
    expected = Publicity(dt.date(2027, 6, 1), dt.date(2027, 6, 7), dt.date(2027, 6, 8))
    assert expected == result.summary.publicity


def test_publicity_is_null_without_a_start(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """Without a publicity start the summary's publicity is null."""
    result = run_round(rules, batch(rules, 2027, leading("C1", "A1")), ledger)
    assert result.to_dict()["summary"]["publicity"] is None  # type: ignore[index,call-overload]


def test_budget_defaults_to_the_rule_files(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """Without a budget the round uses allocation.yaml's budget for its year (300 万元)."""
    result = run_round(rules, batch(rules, 2027, leading("C1", "A1")), ledger)
    assert result.summary.budget_yuan == 3_000_000


def test_year_without_budget_is_an_error(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """A round year the rule files set no budget for, and none given, is refused."""
    b = batch(rules, 2031, leading("C1", "A1"))
    with pytest.raises(RoundError, match="no budget for round 2031"):
        run_round(rules, b, ledger)


def test_negative_budget_is_an_error(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """A negative budget is refused."""
    with pytest.raises(RoundError, match="negative"):
        run_round(rules, batch(rules, 2027, leading("C1", "A1")), ledger, budget_yuan=-1)


def test_a_round_takes_the_claims_of_its_year(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """round_year submitted_year (第二十一条): a round of 2072 for claims of 2027 is refused."""
    late = batch(rules, 2027, leading("C1", "A1"), leading("C2", "A2", submitted_on="2028-01-05"))
    typo = changed(rules, late, round=2072)
    empty = changed(rules, late, round=2072, claims=[])
    why = "allocation.yaml round_year.policy is submitted_year (第二十一条): correct the round"
    for b, found in (
        (late, "round 2027 holds 1 claim submitted in another year: C2 (2028-01-05); "),
        (typo, "round 2072 holds 2 claims submitted in another year: C1 (2027-03-20), C2 "
         "(2028-01-05); "),
        (empty, "round 2072: the batch's submitted_on 2027-03-20 is in another year; "),
    ):  # fmt: skip
        with pytest.raises(RoundError) as refused:
            run_round(rules, b, ledger)
        assert str(refused.value).startswith(found + why)


def test_a_round_year_refusal_names_ten_claims_and_counts_the_rest(
    rules: q.RuleSet, ledger: MemoryLedger
) -> None:
    """Many claims of another year: the first ten are named, the others counted."""
    b = batch(rules, 2027, *(leading(f"C{i:02}", "A1") for i in range(12)))
    with pytest.raises(RoundError) as refused:
        run_round(rules, changed(rules, b, round=2028), ledger)
    assert str(refused.value).startswith(
        "round 2028 holds 12 claims submitted in another year: C00 (2027-03-20), "
        "C01 (2027-03-20), C02 (2027-03-20), C03 (2027-03-20), C04 (2027-03-20), "
        "C05 (2027-03-20), C06 (2027-03-20), C07 (2027-03-20), C08 (2027-03-20), "
        "C09 (2027-03-20) and 2 more; allocation.yaml"
    )


def test_round_year_any_lifts_the_check(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """round_year any: a guide whose period runs into the next year, such claims are taken."""
    late = batch(rules, 2027, leading("C1", "A1", submitted_on="2028-01-05"))
    reading = rules.allocation.round_year.model_copy(update={"policy": "any"})
    alloc = rules.allocation.model_copy(update={"round_year": reading})
    result = run_round(dataclasses.replace(rules, allocation=alloc), late, ledger)
    assert [(d.claim_id, d.outcome) for d in result.decisions] == [("C1", "awarded")]


def test_publicity_before_the_last_submission_is_an_error(
    rules: q.RuleSet, ledger: MemoryLedger
) -> None:
    """第二十二条: results are made public after the claims are in, not before the last one."""
    b = batch(rules, 2027, leading("C1", "A1"), leading("C2", "A2", submitted_on="2027-04-02"))
    with pytest.raises(RoundError) as refused:
        run_round(rules, b, ledger, publicity_start=dt.date(2027, 4, 1))
    on_the_day = run_round(rules, b, ledger, publicity_start=dt.date(2027, 4, 2))
    assert (str(refused.value), on_the_day.summary.publicity is not None) == (
        "publicity cannot start on 2027-04-01, before the round's claims were all submitted "
        "(the last on 2027-04-02)",
        True,
    )


def test_publicity_before_an_earlier_rounds_is_an_error(
    rules: q.RuleSet, ledger: MemoryLedger
) -> None:
    """第二十二条: a round made public after the next round's would have its deferred awards
    paid in the next round before their own publicity: refused; the same day is not."""
    b27 = batch(rules, 2027, leading("C1", "A1"), leading("C2", "A2"))
    late = dt.date(2028, 5, 1)
    assert run_round(rules, b27, ledger, budget_yuan=LEADING, publicity_start=late).commit(ledger)
    b28 = batch(rules, 2028, cnas("D1", "A3", submitted_on="2028-01-02"))
    with pytest.raises(LedgerError) as refused:
        run_round(rules, b28, ledger, budget_yuan=10 * LEADING, publicity_start=dt.date(2028, 4, 1))
    same_day = run_round(rules, b28, ledger, budget_yuan=10 * LEADING, publicity_start=late)
    assert str(refused.value) == (
        "publicity of round 2028 cannot start on 2028-04-01, before round 2027's did "
        "(2028-05-01): its deferred awards, paid in this round, would be paid before they were "
        "made public; a round's publicity starts no earlier than an earlier round's"
    )
    assert statuses(same_day) == {"D1": "paid", "C2@2027": "paid"}


def test_an_earlier_round_without_publicity_sets_no_bound(
    rules: q.RuleSet, ledger: MemoryLedger
) -> None:
    """A round committed without a publicity start (requires_start false) bounds no later
    round's start, and a round run without one is not checked."""
    loose = rules.allocation.publicity.commit.model_copy(update={"requires_start": False})
    publicity = rules.allocation.publicity.model_copy(update={"commit": loose})
    alloc = rules.allocation.model_copy(update={"publicity": publicity})
    lenient = dataclasses.replace(rules, allocation=alloc)
    assert run_round(lenient, batch(lenient, 2027, leading("C1", "A1")), ledger).commit(ledger)
    b28 = batch(lenient, 2028, cnas("D1", "A3", submitted_on="2028-01-02"))
    start = dt.date(2028, 1, 2)
    assert run_round(lenient, b28, ledger, publicity_start=start).summary.publicity is not None


def test_publicity_past_the_last_date_is_an_error(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """A publicity period that would end after 9999-12-31 is refused, not an OverflowError."""
    b = batch(rules, 2027, leading("C1", "A1"))
    late = dt.date(9999, 12, 26)  # 7 days: 12-26 .. 12-31 fits, disbursement would not
    with pytest.raises(RoundError, match="publicity starting 9999-12-26 would end after"):
        run_round(rules, b, ledger, publicity_start=late)


def test_deferred_awards_are_paid_first_next_year(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """Awards deferred last year are paid before this year's, with their amount unchanged."""
    b27 = batch(rules, 2027, leading("C1", "A1"), leading("C2", "A2", submitted_on="2027-03-21"))
    committed(rules, ledger, b27, LEADING)
    b28 = batch(rules, 2028, cnas("D1", "A3", submitted_on="2028-01-02"))
    result = run_round(rules, b28, ledger, budget_yuan=LEADING)
    carried = result.carried_in[0]
    assert (
        statuses(result),
        carried.amount_yuan,
    ) == ({"D1": "deferred", "C2@2027": "paid"}, LEADING)
    # The carried award took place 1 and the whole budget: D1 comes up second, with none.
    facts = allocation_step(result, "D1")[3]
    assert (facts["position"], facts["budget_left_yuan"]) == (2, 0)


def test_deferred_awards_keep_their_place(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """Deferred awards come oldest round first, then in their original order."""
    b27 = batch(rules, 2027, leading("C2", "A2"), cnas("C1", "A1", submitted_on="2027-03-21"))
    committed(rules, ledger, b27, 0)
    committed(rules, ledger, batch(rules, 2028, leading("D1", "A3")), 0)
    result = run_round(rules, batch(rules, 2029, cnas("E1", "A4")), ledger, budget_yuan=0)
    assert [(c.claim_id, c.round) for c in result.carried_in] == [
        ("C2", 2027),
        ("C1", 2027),
        ("D1", 2028),
    ]


def test_carried_in_counts_in_the_summary(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """carried in + awarded = paid + deferred + held, carried awards included."""
    committed(rules, ledger, batch(rules, 2027, leading("C1", "A1")), 0)
    s = run_round(rules, batch(rules, 2028, cnas("D1", "A2")), ledger, budget_yuan=LEADING).summary
    assert (
        s.carried_in_yuan,
        s.awarded_yuan,
        s.paid_yuan,
        s.deferred_yuan,
    ) == (LEADING, CNAS, LEADING, CNAS)


def test_carry_over_off_leaves_deferred_awards_out(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """carry_over: false takes no earlier deferred award into the round."""
    committed(rules, ledger, batch(rules, 2027, leading("C1", "A1")), 0)
    no_carry = with_policy(rules, carry_over=False)
    result = run_round(no_carry, batch(rules, 2028, cnas("D1", "A2")), ledger)
    assert (result.carried_in, ledger.awards()[0].status) == ((), "deferred")


def test_higher_tier_next_year_tops_up(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """Rulings R5: a winner after a nominee is awarded the difference, reason top_up."""
    committed(rules, ledger, batch(rules, 2027, quality_award("C1", "A1", "china", "nominee")), 0)
    d = run_round(
        rules, batch(rules, 2028, quality_award("D1", "A1", "china", "winner")), ledger
    ).decision("D1")
    assert (
        d.outcome,
        d.amount_yuan,
        d.reasons,
    ) == ("awarded", CHINA_WINNER - CHINA_NOMINEE, ("top_up",))


def test_same_tier_next_year_is_already_awarded(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """Rulings R5: the same amount again for one qualification is already_awarded."""
    committed(rules, ledger, batch(rules, 2027, leading("C1", "A1")), LEADING)
    d = run_round(rules, batch(rules, 2028, leading("D1", "A1")), ledger).decision("D1")
    assert (d.outcome, d.reasons) == ("rejected", ("already_awarded",))


def test_first_time_item_already_in_the_ledger(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """Rulings R4: a 首次 item already awarded to the applicant is not_first_time."""
    committed(rules, ledger, batch(rules, 2027, cnas("C1", "A1")), CNAS)
    d = run_round(rules, batch(rules, 2028, cnas("D1", "A1")), ledger).decision("D1")
    assert "not_first_time" in d.reasons


def test_ban_rejects_claims_within_three_years(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """Rulings R9: a claim submitted within 3 years of a fraud finding is rejected, banned."""
    committed(rules, ledger, batch(rules, 2027, leading("C1", "A1")), LEADING)
    ledger.fraud("C1", dt.date(2027, 12, 1), rules.exclusions.ban.years)
    b = batch(rules, 2030, cnas("E1", "A1", submitted_on="2030-11-30"))
    d = run_round(rules, b, ledger, budget_yuan=CNAS).decision("E1")
    assert (d.outcome, d.reasons, d.citations[-1]) == ("rejected", ("banned",), "第二十四条")


def test_ban_ends_after_three_years(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """Rulings R9: the ban ends on found_on + 3 years (that day may apply again)."""
    committed(rules, ledger, batch(rules, 2027, leading("C1", "A1")), LEADING)
    ledger.fraud("C1", dt.date(2027, 12, 1), rules.exclusions.ban.years)
    b = batch(rules, 2030, cnas("E1", "A1", submitted_on="2030-12-01"))
    d = run_round(rules, b, ledger, budget_yuan=CNAS).decision("E1")
    assert "banned" not in d.reasons


def test_fraud_on_a_deferred_award_takes_it_off_the_queue(
    rules: q.RuleSet, ledger: MemoryLedger
) -> None:
    """A revoked award is never carried into a later round."""
    committed(rules, ledger, batch(rules, 2027, leading("C1", "A1")), 0)
    ledger.fraud("C1", dt.date(2027, 12, 1), 3)
    result = run_round(rules, batch(rules, 2028, cnas("D1", "A2")), ledger)
    assert result.carried_in == ()


def test_dismissed_objection_joins_the_next_allocation(
    rules: q.RuleSet, ledger: MemoryLedger
) -> None:
    """A held award whose objection is dismissed is carried into the next round."""
    committed(rules, ledger, batch(rules, 2027, leading("C1", "A1", objection=True)), LEADING)
    ledger.release("C1", dt.date(2027, 7, 1), "dismissed")
    result = run_round(rules, batch(rules, 2028, cnas("D1", "A2")), ledger)
    assert [(c.claim_id, c.allocation.status, c.amount_yuan) for c in result.carried_in] == [
        ("C1", "paid", LEADING)
    ]


def test_upheld_objection_revokes_the_award(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """A held award whose objection is upheld is revoked and never carried."""
    committed(rules, ledger, batch(rules, 2027, leading("C1", "A1", objection=True)), LEADING)
    ledger.release("C1", dt.date(2027, 7, 1), "upheld")
    result = run_round(rules, batch(rules, 2028, cnas("D1", "A2")), ledger)
    assert (result.carried_in, ledger.awards()[0].status) == ((), "revoked")


def test_round_json_has_rules_decisions_carried_and_summary(
    rules: q.RuleSet, ledger: MemoryLedger
) -> None:
    """The JSON is evaluate's, each decision with an allocation, plus carried_in and summary."""
    b = batch(rules, 2027, leading("C1", "A1"))
    data = run_round(rules, b, ledger).to_dict()
    decision = data["decisions"][0]  # type: ignore[index]
    assert (
        ["rules", "decisions", "carried_in", "summary"],
        rules.identity(),
        {"status": "paid", "amount_yuan": LEADING, "year": 2027},
    ) == (list(data), data["rules"], decision["allocation"])  # type: ignore[call-overload,index]


def test_a_committed_round_reads_back_as_recorded(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """Running a committed round again shows what was recorded, byte for byte."""
    b = batch(rules, 2027, leading("C1", "A1"), cnas("C2", "A2"))
    first = committed(rules, ledger, b, LEADING)
    again = run_round(rules, b, ledger, budget_yuan=LEADING)
    assert (True, first.to_json()) == (again.recorded, again.to_json())


def test_a_recorded_trace_keeps_its_mappings_as_written(
    rules: q.RuleSet, ledger: MemoryLedger
) -> None:
    """A committed round whose trace holds mappings inside facts (a credit listing with its
    dates) reads back byte for byte, though a record's body is written with sorted keys."""
    data = q.batch_to_data(batch(rules, 2027, leading("C1", "A1"), cnas("C2", "A2")))
    listing = {"list": "dishonest", "from": "2027-01-01", "until": "2027-12-31"}
    data["applicants"][0]["credit_listings"] = [listing]
    listed = rules.batch_from_data(data)
    first = committed(rules, ledger, listed, LEADING)
    again = run_round(rules, listed, ledger, budget_yuan=LEADING)
    (step,) = [s for s in first.decisions[0].trace if s.rule == "excluded_credit"]
    assert step.facts["listings"] == [
        {"from": "2027-01-01", "list": "dishonest", "until": "2027-12-31"}
    ]
    assert (True, first.to_json()) == (again.recorded, again.to_json())


def test_a_year_holds_one_round(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """A second, different round for a committed year is refused."""
    committed(rules, ledger, batch(rules, 2027, leading("C1", "A1")), LEADING)
    with pytest.raises(LedgerError, match="already in the ledger with other claims"):
        run_round(rules, batch(rules, 2027, leading("C9", "A2")), ledger)


def test_rounds_go_in_year_order(rules: q.RuleSet, ledger: MemoryLedger) -> None:
    """A round earlier than one already committed is refused."""
    committed(rules, ledger, batch(rules, 2028, leading("D1", "A1")), LEADING)
    with pytest.raises(LedgerError, match="year order"):
        run_round(rules, batch(rules, 2027, leading("C1", "A2")), ledger)


def test_a_round_records_the_batch_it_was_computed_from(rules: q.RuleSet) -> None:
    """The round record names the batch by its sha256, and reading it back keeps it."""
    b = batch(rules, 2027, leading("C1", "A1"))
    with MemoryLedger() as ledger:
        result = run_round(rules, b, ledger, budget_yuan=LEADING, publicity_start=last_submitted(b))
        assert result.commit(ledger)
        head = ledger.round_records(2027)[0].body
        again = run_round(rules, b, ledger, budget_yuan=LEADING)
    assert (head["batch_sha256"], again.recorded, again.batch_sha256) == (
        batch_sha256(b),
        True,
        batch_sha256(b),
    )


def test_a_recorded_round_is_not_shown_for_a_different_one(rules: q.RuleSet) -> None:
    """Same year and claim ids, but other facts or options: refused, not the old round."""
    b = batch(rules, 2027, leading("C1", "A1"), leading("C2", "A2"))
    other_facts = batch(rules, 2027, leading("C1", "A3"), leading("C2", "A2"))
    with MemoryLedger() as ledger:
        recorded = dt.date(2027, 5, 6)
        assert run_round(rules, b, ledger, budget_yuan=3_000_000, publicity_start=recorded).commit(
            ledger
        )
        refused = []
        for again, budget, start in (
            (other_facts, None, None),
            (b, 2_000_000, None),
            (b, None, dt.date(2027, 6, 1)),
        ):
            with pytest.raises(LedgerError) as caught:
                run_round(rules, again, ledger, budget_yuan=budget, publicity_start=start)
            refused.append(str(caught.value).split(" (batch sha256")[0])
        same = run_round(rules, b, ledger, budget_yuan=3_000_000)
    assert (refused, same.recorded) == (
        [
            "round 2027 is already in the ledger from another batch with the same claim ids",
            "round 2027 is already in the ledger with a budget of 300 万元, not 200",
            "round 2027 is already in the ledger with publicity from 2027-05-06, not 2027-06-01",
        ],
        True,
    )
