"""第十三条 across rounds: a lead awarded in an earlier round holds its standard number
(allocation.yaml ``lead.across_rounds``), through every History and the ``qfund round``
command."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from stdnum.cn import uscc

import qfund_rules as q
from qfund_rules.cli import run
from qfund_rules.decision import Allocation, Decision, TraceStep
from qfund_rules.history import BanRecord, PriorAward, SubjectAward, applicant_key
from qfund_rules.rules import RULE_FILES

from .conftest import RULES_DIR

NUMBER = "GB/T 902-2026"
NATIONAL_LEAD = {"name": "中国标准化研究院", "region": "110108"}
A1 = {"id": "A1", "name": "哈密某新能源有限公司", "org_type": "enterprise", "region": "650502"}
A2 = {"id": "A2", "name": "哈密某检测有限公司", "org_type": "enterprise", "region": "650521"}
A3 = {"id": "A3", "name": "哈密某材料有限公司", "org_type": "enterprise", "region": "650522"}
KEY_A1 = applicant_key("A1", None)


def lead_claim(cid: str, applicant: str, *, submitted: str = "2028-03-20", **more: Any) -> Any:
    """A claim of ``applicant`` to lead the formulation of NUMBER (a national standard), by
    lead proof."""
    return {
        "id": cid,
        "applicant": applicant,
        "kind": "standard",
        "action": "formulate",
        "standard_no": NUMBER,
        "achieved_on": "2026-11-02",
        "submitted_on": submitted,
        "lead_proof": True,
        **more,
    }


def batch_data(year: int, claims: list[Any], applicants: Sequence[Any] = (A1, A2, A3)) -> Any:
    return {
        "round": year,
        "submitted_on": f"{year}-03-20",
        "applicants": list(applicants),
        "claims": claims,
    }


def decide(rules: q.RuleSet, history: q.History, *claims: Any, **kw: Any) -> dict[str, Decision]:
    batch = rules.batch_from_data(batch_data(2028, list(claims), **kw))
    return {d.claim_id: d for d in q.evaluate(rules, batch, history).decisions}


def held_by(key: str, item: str = "a13.1.national", claim_id: str = "OLD7") -> q.StaticHistory:
    """A history where ``key`` was paid ``item`` for NUMBER in round 2026."""
    return q.StaticHistory(
        {(key, "a13.standard", NUMBER): [PriorAward(claim_id, item, 200_000, 2026)]}
    )


def one_lead(d: Decision) -> list[TraceStep]:
    return [s for s in d.trace if s.rule == "standard.one_lead"]


def rules_with(tmp_path: Path, old: str, new: str) -> q.RuleSet:
    for name in RULE_FILES:
        shutil.copy(RULES_DIR / name, tmp_path / name)
    path = tmp_path / "allocation.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return q.load_rules(tmp_path)


# --- the rules: which items are leads, and the reading ---------------------------------


def test_the_lead_items_are_read_from_the_conditions(rules: q.RuleSet) -> None:
    """The items whose condition requires role == lead: formulation and revision leads of
    第十三条, never the participation items of the same family."""
    assert rules.lead_items == tuple(
        f"a13.{n}.{level}" for n in (1, 3) for level in ("national", "industry", "local", "group")
    )
    assert rules.lead_families == ("a13.standard",)
    assert rules.allocation.lead.across_rounds is True


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("{fact: role, eq: lead}", True),
        ("{fact: role, in: [lead]}", True),
        ("{fact: role, not_in: [participant, none, unproven]}", True),
        ("{not: {fact: role, ne: lead}}", True),
        ("{any: [{fact: role, eq: lead}, {fact: role, eq: lead}]}", True),
        ("{fact: role, in: [lead, participant]}", False),
        ("{fact: role, ne: participant}", False),
        ("{any: [{fact: role, eq: lead}, {fact: level, eq: national}]}", False),
        ("{not: {all: [{fact: role, eq: participant}]}}", False),
    ],
)
def test_a_lead_item_is_one_whose_condition_allows_no_other_role(
    tmp_path: Path, written: str, expected: bool
) -> None:
    for name in RULE_FILES:
        shutil.copy(RULES_DIR / name, tmp_path / name)
    path = tmp_path / "awards.yaml"
    text = path.read_text(encoding="utf-8")
    old = "        - {fact: role, eq: lead}\n        - {fact: level, eq: national}\n"
    assert text.count(old) == 2  # a13.1.national, then a13.3.national
    path.write_text(
        text.replace(old, f"        - {written}\n        - {{fact: level, eq: national}}\n", 1),
        encoding="utf-8",
    )
    rules = q.load_rules(tmp_path)
    assert ("a13.1.national" in rules.lead_items) is expected
    assert "a13.3.national" in rules.lead_items


# --- the engine with a StaticHistory ----------------------------------------------------


def test_another_applicants_earlier_lead_rejects_a_claim_to_lead(rules: q.RuleSet) -> None:
    ds = decide(rules, held_by(KEY_A1), lead_claim("L2", "A2"))
    d = ds["L2"]
    assert (d.outcome, d.amount_yuan, d.reasons) == ("rejected", 0, ("duplicate_claim",))
    assert d.citations == ("第十三条第(一)项", "第十三条", "第十七条第(三)项")
    (step,) = one_lead(d)
    assert (step.step, step.citation, step.result, dict(step.facts)) == (
        "authorship",
        "第十三条",
        "fail",
        {"standard_no": NUMBER, "lead_claim": "OLD7", "lead_round": 2026},
    )
    assert step.message_zh == (
        "标准前言中排序首位的起草单位仅一家,该标准的主导奖励已于2026年度核给申报OLD7"
    )
    assert step.message_en == (
        "the foreword ranks one drafting unit first: the lead of this standard was awarded "
        "in round 2026 to claim OLD7"
    )


def test_the_earlier_lead_holds_whichever_batch_claim_is_earliest(rules: q.RuleSet) -> None:
    """A2's and A3's claims both name the earlier award, not the earliest of the batch;
    the holder's own claim is left to the earlier-awards step (already_awarded)."""
    ds = decide(
        rules,
        held_by(KEY_A1),
        lead_claim("L3", "A3", submitted="2028-03-01"),
        lead_claim("L2", "A2"),
        lead_claim("L1", "A1", submitted="2028-03-25"),
    )
    assert [(ds[c].outcome, ds[c].reasons) for c in ("L1", "L2", "L3")] == [
        ("rejected", ("already_awarded",)),
        ("rejected", ("duplicate_claim",)),
        ("rejected", ("duplicate_claim",)),
    ]
    assert one_lead(ds["L1"]) == []
    assert [s.facts["lead_claim"] for c in ("L2", "L3") for s in one_lead(ds[c])] == ["OLD7"] * 2


def test_a_revision_lead_of_the_number_holds_too(rules: q.RuleSet) -> None:
    d = decide(rules, held_by(KEY_A1, "a13.3.industry"), lead_claim("L2", "A2"))["L2"]
    assert [s.facts["lead_round"] for s in one_lead(d)] == [2026]


def test_an_earlier_participation_award_holds_no_lead(rules: q.RuleSet) -> None:
    """An award of a13.2 (participation, same family and number) is no lead: the claim is
    decided as without it."""
    d = decide(rules, held_by(KEY_A1, "a13.2.national"), lead_claim("L2", "A2"))["L2"]
    alone = decide(rules, q.NO_HISTORY, lead_claim("L2", "A2"))["L2"]
    assert (d.outcome, d.amount_yuan) == ("awarded", 200_000)
    assert d.to_dict() == alone.to_dict() | {"trace": d.to_dict()["trace"]}
    assert one_lead(d) == []


def test_the_earliest_of_several_earlier_leads_names_the_lead(rules: q.RuleSet) -> None:
    key_a3 = applicant_key("A3", None)
    history = q.StaticHistory(
        {
            (key_a3, "a13.standard", NUMBER): [PriorAward("N9", "a13.3.national", 1, 2027)],
            (KEY_A1, "a13.standard", NUMBER): [PriorAward("N1", "a13.1.national", 1, 2026)],
        }
    )
    ds = decide(rules, history, lead_claim("L2", "A2"), lead_claim("L3", "A3"))
    assert [s.facts["lead_claim"] for c in ("L2", "L3") for s in one_lead(ds[c])] == ["N1"] * 2


def test_across_rounds_false_pays_the_other_applicant(tmp_path: Path) -> None:
    rules = rules_with(tmp_path, "across_rounds: true", "across_rounds: false")
    d = decide(rules, held_by(KEY_A1), lead_claim("L2", "A2"))["L2"]
    assert (d.outcome, d.amount_yuan, one_lead(d)) == ("awarded", 200_000, [])


def test_each_claim_never_looks_the_lead_up(tmp_path: Path) -> None:
    rules = rules_with(tmp_path, "policy: one_per_standard", "policy: each_claim")
    counting = CountingHistory(held_by(KEY_A1))
    d = decide(rules, counting, lead_claim("L2", "A2"))["L2"]
    assert (d.outcome, counting.asked) == ("awarded", [])


def test_the_same_applicant_under_another_id_holds_the_lead(rules: q.RuleSet) -> None:
    """A USCC is the applicant across ids: the lead it was paid in 2026 as A1 is its own
    under the id B1, so its claim meets the earlier award (already_awarded), not a
    second lead."""
    code = "91650502MA78K2Q58" + str(uscc.calc_check_digit("91650502MA78K2Q58"))
    b1 = {**A1, "id": "B1", "uscc": code}
    history = held_by(applicant_key("A1", code))
    ds = decide(rules, history, lead_claim("L1", "B1"), lead_claim("L2", "A2"), applicants=[b1, A2])
    assert (ds["L1"].outcome, ds["L1"].reasons, one_lead(ds["L1"])) == (
        "rejected",
        ("already_awarded",),
        [],
    )
    assert [s.facts["lead_claim"] for s in one_lead(ds["L2"])] == ["OLD7"]


class CountingHistory:
    """A History that counts the look-ups of awards_for."""

    def __init__(self, inner: q.History) -> None:
        self.inner = inner
        self.asked: list[tuple[str, str]] = []

    def prior_awards(self, applicant: str, family: str, subject: str) -> Sequence[PriorAward]:
        return self.inner.prior_awards(applicant, family, subject)

    def awards_for(self, family: str, subject: str) -> Sequence[SubjectAward]:
        self.asked.append((family, subject))
        return self.inner.awards_for(family, subject)

    def bans(self, applicant: str) -> Sequence[BanRecord]:
        return self.inner.bans(applicant)


def test_the_lead_is_looked_up_once_per_number(rules: q.RuleSet) -> None:
    """Five claims to lead two numbers (a formulation and a revision of one): two look-ups,
    one per number; a participation claim and other kinds ask nothing."""
    other = "GB/T 903-2026"
    counting = CountingHistory(held_by(KEY_A1))
    claims = [
        lead_claim("L1", "A1"),
        lead_claim("L2", "A2"),
        lead_claim("L3", "A3", action="revise"),
        lead_claim("M1", "A1", standard_no=other),
        lead_claim("M2", "A2", standard_no=other),
        {
            **lead_claim("P1", "A3", standard_no="GB/T 904-2026"),
            "lead_proof": False,
            "drafting_units": [NATIONAL_LEAD, {"name": A3["name"]}],
        },
        {
            "id": "E1",
            "applicant": "A1",
            "kind": "leading_enterprise",
            "achieved_on": "2026-11-02",
            "submitted_on": "2028-03-20",
        },
    ]
    ds = decide(rules, counting, *claims)
    assert sorted(counting.asked) == [("a13.standard", NUMBER), ("a13.standard", other)]
    assert [ds[c].outcome for c in ("L2", "L3", "M1", "M2")] == [
        "rejected", "rejected", "awarded", "rejected"]  # fmt: skip


def test_evaluate_requires_awards_for(rules: q.RuleSet) -> None:
    """BREAKING for custom histories: one without awards_for is refused up front."""

    class Old:
        def prior_awards(self, applicant: str, family: str, subject: str) -> Sequence[PriorAward]:
            return ()

        def bans(self, applicant: str) -> Sequence[BanRecord]:
            return ()

    batch = rules.batch_from_data(batch_data(2028, [lead_claim("L2", "A2")]))
    with pytest.raises(TypeError, match="history must be a History"):
        q.evaluate(rules, batch, Old())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("history", "applicants"),
    [
        (q.NO_HISTORY, ("A1", "A2")),
        (held_by(KEY_A1), ("A1",)),  # the holder's own claim alone
        (held_by(KEY_A1, "a13.2.national"), ("A1", "A2")),  # a participation award
        (q.StaticHistory({("id:A9", "a13.standard", "GB/T 1-2026"): [
            PriorAward("X", "a13.1.local", 1, 2026)]}), ("A1", "A2")),  # another number
    ],
)  # fmt: skip
def test_no_other_holder_leaves_every_decision_as_it_was(
    rules: q.RuleSet, tmp_path: Path, history: q.History, applicants: tuple[str, ...]
) -> None:
    """Where no other applicant holds an earlier lead of the number, every decision is the
    one of the same batch under across_rounds: false (but for the rules' sha256)."""
    off = rules_with(tmp_path, "across_rounds: true", "across_rounds: false")
    claims = [lead_claim(f"L{i}", a, submitted=f"2028-03-2{i}") for i, a in enumerate(applicants)]
    on_ds, off_ds = decide(rules, history, *claims), decide(off, history, *claims)
    assert [{**d.to_dict(), "rules_sha256": ""} for d in on_ds.values()] == [
        {**d.to_dict(), "rules_sha256": ""} for d in off_ds.values()
    ]


# --- through the ledger and `qfund round` ---------------------------------------------------


def commit(rules: q.RuleSet, ledger: q.SqliteLedger, year: int, claims: list[Any]) -> q.RoundResult:
    batch = rules.batch_from_data(batch_data(year, claims))
    result = q.run_round(rules, batch, ledger, publicity_start=dt.date(year, 6, 1))
    assert result.commit(ledger)
    return result


def test_a_ledger_holds_the_lead_paid_in_an_earlier_round(
    rules: q.RuleSet, ledger: q.MemoryLedger
) -> None:
    first = commit(rules, ledger, 2027, [lead_claim("L1", "A1", submitted="2027-03-20")])
    assert first.decisions[0].outcome == "awarded"
    assert ledger.awards_for("a13.standard", NUMBER) == (
        SubjectAward(KEY_A1, "L1", "a13.1.national", 200_000, 2027),
    )
    second = q.run_round(
        rules, rules.batch_from_data(batch_data(2028, [lead_claim("L2", "A2")])), ledger
    )
    (d,) = second.decisions
    assert (d.outcome, d.reasons) == ("rejected", ("duplicate_claim",))
    assert [dict(s.facts) for s in one_lead(d)] == [
        {"standard_no": NUMBER, "lead_claim": "L1", "lead_round": 2027}
    ]


def test_a_revoked_earlier_lead_does_not_hold(rules: q.RuleSet, ledger: q.MemoryLedger) -> None:
    commit(rules, ledger, 2027, [lead_claim("L1", "A1", submitted="2027-03-20")])
    ledger.fraud("L1", dt.date(2027, 9, 1), 3, round_year=2027)
    assert ledger.awards_for("a13.standard", NUMBER) == ()
    second = q.run_round(
        rules, rules.batch_from_data(batch_data(2028, [lead_claim("L2", "A2")])), ledger
    )
    (d,) = second.decisions
    assert (d.outcome, one_lead(d)) == ("awarded", [])


def qfund(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run([str(a) for a in argv], out, err)
    return code, out.getvalue(), err.getvalue()


def test_qfund_round_over_two_rounds_rejects_the_second_lead(tmp_path: Path) -> None:
    """`qfund round`: A1 is paid the lead of the number in round 2027 (committed); in round
    2028 A2's claim to lead it is rejected, naming A1's claim and its round, and A3's claim
    to lead another number is paid."""
    ledger = tmp_path / "fund.db"
    b27, b28 = tmp_path / "claims-2027.json", tmp_path / "claims-2028.json"
    b27.write_text(json.dumps(batch_data(2027, [lead_claim("L1", "A1", submitted="2027-03-20")])))
    other = lead_claim("M3", "A3", standard_no="GB/T 903-2026")
    b28.write_text(json.dumps(batch_data(2028, [lead_claim("L2", "A2"), other])))
    common = ("--ledger", ledger, "--format", "json")
    code, out, err = qfund("round", b27, *common, "--publicity-start", "2027-06-01", "--commit")
    assert code == 0, err
    assert [d["outcome"] for d in json.loads(out)["decisions"]] == ["awarded"]
    code, out, err = qfund("round", b28, *common)
    assert code == 0, err
    decisions = {d["claim_id"]: d for d in json.loads(out)["decisions"]}
    l2 = decisions["L2"]
    assert (l2["outcome"], l2["reasons"]) == ("rejected", ["duplicate_claim"])
    steps = [s for s in l2["trace"] if s["rule"] == "standard.one_lead"]
    assert [s["facts"] for s in steps] == [
        {"standard_no": NUMBER, "lead_claim": "L1", "lead_round": 2027}
    ]
    assert decisions["M3"]["outcome"] == "awarded"
    # `qfund explain` quotes the lead clause on the step, as on the in-batch one.
    code, out, err = qfund("explain", b28, "--claim", "L2", "--ledger", ledger, "--lang", "en")
    assert code == 0, err
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if "standard.one_lead" in line)
    assert lines[at].endswith("[authorship] standard.one_lead 第十三条: FAIL")
    lead = "主导制修订认定标准:正式发布的标准文本“前言”中排序首位的起草单位"
    assert f"    clause: 第十三条 “{lead}”" in lines[at : at + 5]
    assert (
        "    the foreword ranks one drafting unit first: the lead of this standard was "
        "awarded in round 2027 to claim L1"
    ) in lines[at : at + 5]


def test_a_held_earlier_lead_holds_and_its_upheld_release_names_the_claim_refused(
    rules: q.RuleSet,
    ledger: q.MemoryLedger,
) -> None:
    """A lead held for an objection still holds its number (held awards count, as for
    prior_awards): A2's claim to lead it is rejected. When the objection is upheld, the
    release names A2's claim, refused the lead because of the award now revoked."""
    held = lead_claim("L1", "A1", submitted="2027-03-20", objection=True)
    (first,) = commit(rules, ledger, 2027, [held]).decisions
    assert first.allocation == Allocation("held", 200_000, 2027)
    (d,) = commit(rules, ledger, 2028, [lead_claim("L2", "A2")]).decisions
    assert (d.outcome, d.reasons) == ("rejected", ("duplicate_claim",))
    upheld = ledger.release("L1", dt.date(2028, 7, 1), "upheld", round_year=2027)
    assert [c.to_dict() for c in upheld.counted_by] == [
        {
            "round": 2028,
            "claim_id": "L2",
            "item": "a13.1.national",
            "amount_yuan": 0,
            "outcome": "rejected",
            "reason": "duplicate_claim",
        }
    ]


def test_a_release_recorded_again_names_no_claim_of_a_later_round(
    rules: q.RuleSet, ledger: q.MemoryLedger
) -> None:
    """The same release asked again after more rounds: A1's lead paid in full in 2028,
    after the 2027 award was revoked, did not count it, and is not named."""
    commit(rules, ledger, 2027, [lead_claim("L1", "A1", submitted="2027-03-20", objection=True)])
    first = ledger.release("L1", dt.date(2027, 7, 1), "upheld", round_year=2027)
    (d,) = commit(rules, ledger, 2028, [lead_claim("L2", "A1")]).decisions
    assert (d.outcome, d.amount_yuan, first.counted_by) == ("awarded", 200_000, ())
    assert ledger.release("L1", dt.date(2027, 7, 1), "upheld", round_year=2027) == first


def test_the_ledger_lists_one_rounds_earlier_leads_in_allocation_order(
    rules: q.RuleSet,
    ledger: q.MemoryLedger,
) -> None:
    """Two applicants paid the lead of one number in one round (each_claim then): the
    ledger lists them in the round's allocation order, and the first of them holds it."""
    each = dict(rules.allocation.lead.model_dump(), policy="each_claim")
    lead = rules.allocation.lead.model_validate(each)
    lenient = dataclasses.replace(
        rules, allocation=rules.allocation.model_copy(update={"lead": lead})
    )
    claims = [
        lead_claim("L9", "A2", submitted="2027-03-20"),
        lead_claim("L1", "A1", submitted="2027-03-21"),
    ]
    commit(lenient, ledger, 2027, claims)
    assert [a.claim_id for a in ledger.awards_for("a13.standard", NUMBER)] == ["L9", "L1"]
    (d,) = q.run_round(
        rules, rules.batch_from_data(batch_data(2028, [lead_claim("L3", "A3")])), ledger
    ).decisions
    assert [dict(s.facts)["lead_claim"] for s in one_lead(d)] == ["L9"]


def past_participant_claims_the_lead(rules: q.RuleSet) -> tuple[q.Batch, q.StaticHistory]:
    """A1, paid 5 万 in 2026 as a participant in drafting NUMBER, claims its lead in 2028,
    while A3 holds the lead awarded in 2026: a top-up over the participation (R5) of a
    claim the lead rule then refuses."""
    history = q.StaticHistory(
        {
            (KEY_A1, "a13.standard", NUMBER): [PriorAward("P0", "a13.2.national", 50_000, 2026)],
            (applicant_key("A3", None), "a13.standard", NUMBER): [
                PriorAward("OLD7", "a13.1.national", 200_000, 2026)
            ],
        }
    )
    return rules.batch_from_data(batch_data(2028, [lead_claim("L1", "A1")])), history


def test_a_claim_refused_after_its_top_up_step_carries_no_top_up(rules: q.RuleSet) -> None:
    """A top-up is a way of paying (rulings R5): the claim refused by the lead rule after
    its top-up step gets none. Its same_qualification step is a skip, as for a claim
    refused before it; neither top_up nor 第二十条第(二)项 stays on the decision."""
    batch, history = past_participant_claims_the_lead(rules)
    (d,) = q.evaluate(rules, batch, history).decisions
    cite = rules.allocation.same_qualification.citation
    (same,) = [s for s in d.trace if s.step == "same_qualification"]
    assert (d.outcome, d.amount_yuan, d.reasons) == ("rejected", 0, ("duplicate_claim",))
    assert (same.result, cite in d.citations) == ("skip", False)
    assert same.message_en.startswith("already awarded 50000 yuan for this qualification; the")
