"""The engine on cases built by hand from the measures and rulings.md."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import pickle
import re
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from stdnum.cn import uscc

import qfund_rules as q
from qfund_rules.claims import LeadingEnterpriseClaim
from qfund_rules.decision import (
    REASON_CODES,
    Decision,
    JSONValue,
    TraceStep,
    new_decision,
    new_step,
)
from qfund_rules.history import BanRecord, PriorAward, applicant_key
from qfund_rules.rules import RULE_FILES

from .conftest import RULES_DIR

HAMI = {"id": "A1", "name": "哈密某新能源有限公司", "org_type": "enterprise", "region": "650502"}
OTHER = {"id": "A2", "name": "哈密某检测有限公司", "org_type": "enterprise", "region": "650521"}


def batch(claims: list[dict[str, Any]], applicants: list[dict[str, Any]] | None = None,
          rules: q.RuleSet | None = None) -> q.Batch:  # fmt: skip
    """A batch for round 2027 with the given claims (applicant A1 unless told)."""
    data = {
        "round": 2027,
        "submitted_on": "2027-03-20",
        "applicants": applicants or [HAMI, OTHER],
        "claims": claims,
    }
    codes = (rules or q.load_rules(RULES_DIR)).industry_codes
    return q.batch_from_data(data, industry_codes=codes)


def claim(cid: str, kind: str, **facts: Any) -> dict[str, Any]:
    """A claim of A1 achieved on 2026-11-02, with the given facts."""
    return {"id": cid, "applicant": "A1", "kind": kind, "achieved_on": "2026-11-02", **facts}


def decide(rules: q.RuleSet, *claims: dict[str, Any], history: q.History = q.NO_HISTORY,
           applicants: list[dict[str, Any]] | None = None) -> dict[str, Decision]:  # fmt: skip
    """Decisions by claim id."""
    result = q.evaluate(rules, batch(list(claims), applicants, rules), history)
    return {d.claim_id: d for d in result.decisions}


def std(cid: str, units: list[dict[str, Any]] | None, action: str = "formulate",
        number: str = "GB/T 45678-2026", **more: Any) -> dict[str, Any]:  # fmt: skip
    """A standard claim with the given drafting units in 前言 order."""
    out = claim(cid, "standard", action=action, standard_no=number, **more)
    if units is not None:
        out["drafting_units"] = units
    return out


NATIONAL_LEAD = {"name": "中国标准化研究院", "region": "110108"}


def test_award_pays_the_measures_amount(rules: q.RuleSet) -> None:
    """A county pilot approval pays 20 万元 = 200000 yuan and cites 第九条第(一)项."""
    d = decide(rules, claim("C1", "quality_county", stage="approved"))["C1"]
    assert (d.outcome, d.item, d.amount_yuan) == ("awarded", "a9.1", 200_000)
    assert d.citations == ("第九条第(一)项",)
    assert d.reasons == ()


def test_trace_order(rules: q.RuleSet) -> None:
    """Steps run in the order of the issue: validity, eligibility, matching, exclusions, ban."""
    d = decide(rules, claim("C1", "quality_award", award="china", tier="winner", first_time=True))
    steps = [s.step for s in d["C1"].trace]
    expected = ["validity", "eligibility"] + ["match"] * 6 + ["amount", "first_time"]
    assert steps[: len(expected)] == expected
    assert steps[len(expected) :] == ["exclusion"] * 7 + ["ban"]


def test_every_decision_names_the_rules(rules: q.RuleSet) -> None:
    """Each decision carries the rule-set sha256 and says it was made under a draft."""
    d = decide(rules, claim("C1", "leading_enterprise"))["C1"]
    assert d.rules_sha256 == rules.sha256
    assert d.draft is True


@pytest.mark.parametrize(
    ("achieved_on", "outcome"),
    [
        ("2026-03-13", "rejected"),
        ("2026-03-14", "awarded"),
        ("2029-03-13", "awarded"),
        ("2029-03-14", "rejected"),
    ],
)
def test_validity_period(rules: q.RuleSet, achieved_on: str, outcome: str) -> None:
    """The reference date must fall in 2026-03-14..2029-03-13 (第二十八条, rulings R2)."""
    c = claim("C1", "leading_enterprise")
    c["achieved_on"] = achieved_on
    c["submitted_on"] = max(achieved_on, "2027-03-20")  # not before it is achieved
    d = decide(rules, c)["C1"]
    assert outcome == d.outcome
    if outcome == "rejected":
        assert d.reasons == ("outside_validity",)
        assert "第二十八条" in d.citations


def test_pre_2016_division_code_is_eligible(rules: q.RuleSet) -> None:
    """A unit registered under the old 652201 code may apply (rulings R3)."""
    old = {**HAMI, "region": "652201"}
    d = decide(rules, claim("C1", "leading_enterprise"), applicants=[old])["C1"]
    assert d.outcome == "awarded"


def test_non_hami_applicant_is_not_eligible(rules: q.RuleSet) -> None:
    """A unit registered in Urumqi is not supported (第四条)."""
    urumqi = {**HAMI, "region": "650102"}
    d = decide(rules, claim("C1", "leading_enterprise"), applicants=[urumqi])["C1"]
    assert d.reasons == ("not_eligible_applicant",)
    assert d.amount_yuan == 0
    assert "第四条" in d.citations


@pytest.mark.parametrize(
    ("org_type", "why"),
    [
        ("individual", "organisation type individual is not supported"),
        ("enterprize", "organisation type enterprize is not supported (did you mean enterprise?)"),
    ],
)
def test_an_org_type_the_measures_do_not_name_is_not_eligible(
    rules: q.RuleSet, org_type: str, why: str
) -> None:
    """Rulings R3: a type outside 第四条's five is decided not_eligible_applicant (the batch
    is not refused); a near miss says which type it resembles."""
    other = {**HAMI, "org_type": org_type}
    d = decide(rules, claim("C1", "leading_enterprise"), applicants=[other])["C1"]
    assert (d.outcome, d.reasons, "第四条" in d.citations) == (
        "rejected",
        ("not_eligible_applicant",),
        True,
    )
    (step,) = [s for s in d.trace if s.step == "eligibility"]
    assert (step.result, step.message_en) == ("fail", why)


def test_highest_tier_wins_within_a_round(rules: q.RuleSet) -> None:
    """Winner and nominee of 中国质量奖 in one round: the winner is paid (第二十条第(二)项)."""
    ds = decide(
        rules,
        claim("C1", "quality_award", award="china", tier="nominee", first_time=True),
        claim("C2", "quality_award", award="china", tier="winner", first_time=True),
    )
    assert (ds["C2"].outcome, ds["C2"].amount_yuan) == ("awarded", 600_000)
    assert (ds["C1"].outcome, ds["C1"].amount_yuan) == ("superseded", 0)
    assert ds["C1"].reasons == ("superseded_by_higher",)
    assert ds["C1"].trace[-1].facts["winner"] == "C2"


def test_levels_of_one_platform_are_one_qualification(rules: q.RuleSet) -> None:
    """National and regional recognition of the same platform pay once, the higher."""
    ds = decide(
        rules,
        claim("C1", "testing_platform", level="regional", subject="哈密能源检测平台"),
        claim("C2", "testing_platform", level="national", subject="哈密能源检测平台"),
    )
    assert ds["C2"].amount_yuan == 500_000
    assert ds["C1"].outcome == "superseded"


def test_two_subjects_are_two_qualifications(rules: q.RuleSet) -> None:
    """Two different QC groups of one applicant are both paid."""
    ds = decide(
        rules,
        claim("C1", "qc_group", level="national", subject="一号QC小组"),
        claim("C2", "qc_group", level="national", subject="二号QC小组"),
    )
    assert [ds["C1"].amount_yuan, ds["C2"].amount_yuan] == [50_000, 50_000]


def test_pilot_approval_and_acceptance_both_pay(rules: q.RuleSet) -> None:
    """第九条: approval and acceptance are two milestones, each paid (rulings R5)."""
    ds = decide(
        rules,
        claim("C1", "quality_county", stage="approved"),
        claim("C2", "quality_county", stage="accepted"),
    )
    assert [ds["C1"].amount_yuan, ds["C2"].amount_yuan] == [200_000, 500_000]


def test_duplicate_claim_rejects_the_later(rules: q.RuleSet) -> None:
    """The same item and subject twice: the later submission is rejected (第十七条第(三)项)."""
    first = claim("C1", "cqo_case", subject="首席质量官案例")
    later = {**claim("C0", "cqo_case", subject="首席质量官案例"), "submitted_on": "2027-03-25"}
    ds = decide(rules, first, later)
    assert ds["C1"].outcome == "awarded"
    assert ds["C0"].reasons == ("duplicate_claim",)
    assert "第十七条第(三)项" in ds["C0"].citations


def test_every_exclusion_is_reported(rules: q.RuleSet) -> None:
    """A claim hit by several exclusions lists each with its citation (rulings R8)."""
    review = {"industrial_policy": "violates", "related_to_quality": False,
              "other_violation": "虚报产值"}  # fmt: skip
    c = claim("C1", "leading_enterprise", review=review, other_support=["2026年自治区奖励"])
    d = decide(rules, c)["C1"]
    assert set(d.reasons) == {
        "excluded_industrial_policy",
        "excluded_other_support",
        "excluded_unrelated",
        "excluded_other_violation",
    }
    assert {"第十七条第(一)项", "第十七条第(三)项", "第十七条第(四)项", "第十七条第(五)项"} <= set(
        d.citations
    )


@pytest.mark.parametrize(
    ("listing", "excluded"),
    [
        ({"list": "dishonest", "from": "2026-01-10", "until": None}, True),
        ({"list": "negative", "from": "2027-01-01", "until": "2027-03-20"}, True),
        ({"list": "dishonest", "from": "2025-01-01", "until": "2026-12-31"}, False),
        ({"list": "dishonest", "from": "2027-03-21", "until": None}, False),
    ],
)
def test_credit_listing_on_submission_day(
    rules: q.RuleSet, listing: dict[str, Any], excluded: bool
) -> None:
    """A listing excludes only when it covers the claim's submitted_on (第十七条第(二)项)."""
    listed = {**HAMI, "credit_listings": [listing]}
    d = decide(rules, claim("C1", "leading_enterprise"), applicants=[listed])["C1"]
    assert excluded == ("excluded_credit" in d.reasons)


def credit_step(rules: q.RuleSet, *listings: dict[str, Any]) -> TraceStep:
    """The 第十七条第(二)项 listing step of A1's claim, A1 listed as given."""
    listed = {**HAMI, "credit_listings": list(listings)}
    d = decide(rules, claim("C1", "leading_enterprise"), applicants=[listed, OTHER])["C1"]
    (step,) = [s for s in d.trace if s.rule == "excluded_credit"]
    return step


def test_a_listing_step_shows_the_dates_of_the_listings_that_apply(rules: q.RuleSet) -> None:
    """The listing step shows each listing covering submitted_on with its from and until
    (JSON values, by list and date), and apart from them each that ended before or starts
    after it, with why."""
    step = credit_step(
        rules,
        {"list": "negative", "from": "2027-01-01", "until": "2027-03-20"},
        {"list": "dishonest", "from": "2025-01-01", "until": "2026-12-31"},  # ended before
        {"list": "dishonest", "from": "2026-01-10", "until": None},
        {"list": "negative", "from": "2027-03-21"},  # starts after
    )
    assert dict(step.facts) == {
        "submitted_on": "2027-03-20",
        "listed_on": ["dishonest", "negative"],
        "listings": [
            {"from": "2026-01-10", "list": "dishonest", "until": None},
            {"from": "2027-01-01", "list": "negative", "until": "2027-03-20"},
        ],
        "not_applying": [
            {
                "from": "2025-01-01",
                "list": "dishonest",
                "until": "2026-12-31",
                "why": "ended_before",
            },
            {"from": "2027-03-21", "list": "negative", "until": None, "why": "starts_after"},
        ],
    }
    assert step.result == "fail"
    # The day said once: the listings that do not apply are of "that day".
    assert step.message_en == (
        "excluded under 'On a dishonesty list or a negative list': on the dishonesty list and "
        "the negative list on 2027-03-20; listings on file that do not apply that day: "
        "dishonesty list, 2025-01-01 to 2026-12-31 (ended before that day); negative list, "
        "from 2027-03-21, still listed (starts after that day)"
    )
    assert step.message_zh == (
        "属于“被列入失信名单、负面清单”情形(申报日2027-03-20列入失信名单、负面清单),不予奖励;"
        "在案名单于该日不适用:失信名单(2025-01-01至2026-12-31,申报日前已移出);"
        "负面清单(2027-03-21起,申报日后才列入)"
    )


def test_a_passing_listing_step_shows_the_listings_on_file_and_why_none_applies(
    rules: q.RuleSet,
) -> None:
    """An applicant whose listings all ended before submitted_on, or start after it, passes;
    its step shows each listing on file with why it does not apply, in its facts and both
    messages. An applicant never listed shows none, with the plain messages."""
    passed = credit_step(
        rules,
        {"list": "negative", "from": "2027-04-01"},
        {"list": "dishonest", "from": "2025-01-01", "until": "2026-12-31"},
    )
    assert (passed.result, dict(passed.facts)) == (
        "pass",
        {
            "submitted_on": "2027-03-20",
            "listed_on": [],
            "listings": [],
            "not_applying": [
                {"from": "2025-01-01", "list": "dishonest", "until": "2026-12-31",
                 "why": "ended_before"},
                {"from": "2027-04-01", "list": "negative", "until": None, "why": "starts_after"},
            ],
        },
    )  # fmt: skip
    assert passed.message_zh == (
        "不属于“被列入失信名单、负面清单”情形;在案名单于申报日2027-03-20不适用:"
        "失信名单(2025-01-01至2026-12-31,申报日前已移出);负面清单(2027-04-01起,申报日后才列入)"
    )
    assert passed.message_en == (
        "not excluded under 'On a dishonesty list or a negative list'; listings on file that "
        "do not apply on 2027-03-20: dishonesty list, 2025-01-01 to 2026-12-31 (ended before "
        "that day); negative list, from 2027-04-01, still listed (starts after that day)"
    )
    never = credit_step(rules)
    assert dict(never.facts) == {
        "submitted_on": "2027-03-20",
        "listed_on": [],
        "listings": [],
        "not_applying": [],
    }
    assert never.message_en == "not excluded under 'On a dishonesty list or a negative list'"


def test_a_listing_on_a_list_the_case_does_not_name_is_shown_as_such(tmp_path: Path) -> None:
    """With exclusions.yaml's listing case naming the dishonesty list only, a negative
    listing covering submitted_on does not exclude; the step shows it as other_list."""
    with edited_rules(
        tmp_path, "exclusions.yaml", "lists: [dishonest, negative]", "lists: [dishonest]"
    ) as rules:
        step = credit_step(rules, {"list": "negative", "from": "2027-01-01"})
    assert (step.result, step.facts["not_applying"]) == (
        "pass",
        [{"from": "2027-01-01", "list": "negative", "until": None, "why": "other_list"}],
    )
    assert step.message_en.endswith("negative list, from 2027-01-01, still listed (not a list "
                                    "this case names)")  # fmt: skip
    assert step.message_zh.endswith("负面清单(2027-01-01起,非本项所列名单)")


def test_a_listing_on_a_list_without_a_name_is_shown_by_its_code(tmp_path: Path) -> None:
    """A list the case does not count may go without a name (a warning on load): a listing
    on it is then shown by its code, in both languages."""
    for f in RULE_FILES:
        shutil.copy(RULES_DIR / f, tmp_path / f)
    path = tmp_path / "exclusions.yaml"
    text = path.read_text(encoding="utf-8")
    negative = "      negative:\n        zh: 负面清单\n        en: negative list\n"
    assert negative in text
    text = text.replace("lists: [dishonest, negative]", "lists: [dishonest]")
    path.write_text(text.replace(negative, ""), encoding="utf-8")
    step = credit_step(q.load_rules(tmp_path), {"list": "negative", "from": "2027-01-01"})
    assert step.message_zh.endswith(":negative(2027-01-01起,非本项所列名单)")
    assert step.message_en.endswith(": negative, from 2027-01-01, still listed (not a list "
                                    "this case names)")  # fmt: skip


def test_clean_claims_of_a_day_share_one_listing_step(rules: q.RuleSet) -> None:
    """The passing listing step of applicants never listed is one object, shared by every
    claim submitted the same day; a listed applicant's step is its own."""
    listed = {**OTHER, "credit_listings": [{"list": "dishonest", "from": "2027-04-01"}]}
    other = {**OTHER, "id": "A3", "name": "哈密某第三公司"}
    ds = decide(
        rules,
        claim("C1", "leading_enterprise"),
        {**claim("C2", "qc_group", level="national", subject="G"), "applicant": "A3"},
        {**claim("C3", "leading_enterprise"), "applicant": "A2"},
        applicants=[HAMI, listed, other],
    )
    steps = [
        next(s for s in ds[c].trace if s.rule == "excluded_credit") for c in ("C1", "C2", "C3")
    ]
    assert steps[0] is steps[1]
    assert steps[2] is not steps[0]
    assert steps[2].facts["not_applying"] != steps[0].facts["not_applying"]


def test_unlicensed_is_excluded(rules: q.RuleSet) -> None:
    """An applicant without its legal licence is excluded (第十七条第(二)项)."""
    unlicensed = {**HAMI, "licensed": False}
    d = decide(rules, claim("C1", "leading_enterprise"), applicants=[unlicensed])["C1"]
    assert d.reasons == ("excluded_unlicensed",)


def test_an_exclusion_step_names_its_case_by_its_titles(rules: q.RuleSet) -> None:
    """An exclusion step says which case of 第十七条 in words (its titles), not its code;
    a failing listing step names the list that applies too, by its name, not its code."""
    listed = {**HAMI, "credit_listings": [{"list": "dishonest", "from": "2026-01-10"}]}
    d = decide(rules, claim("C1", "leading_enterprise"), applicants=[listed])["C1"]
    steps = {s.rule: s for s in d.trace if s.step == "exclusion"}
    listed_step, duplicate_step = steps["excluded_credit"], steps["duplicate_claim"]
    assert (listed_step.message_zh, listed_step.message_en) == (
        "属于“被列入失信名单、负面清单”情形(申报日2027-03-20列入失信名单),不予奖励",
        "excluded under 'On a dishonesty list or a negative list': on the dishonesty list on "
        "2027-03-20",
    )
    assert (duplicate_step.message_zh, duplicate_step.message_en) == (
        "不属于“重复申报同一奖励事项”情形",
        "not excluded under 'The same award item claimed twice'",
    )


def test_an_eligibility_step_names_the_type_and_region_in_each_language(
    rules: q.RuleSet,
) -> None:
    """The eligibility step names the org type and region in words, in English too."""
    step = decide(rules, claim("C1", "leading_enterprise"))["C1"].trace[1]
    assert (step.message_zh, step.message_en) == (
        "企业,注册地伊州区(650502),属支持对象",
        "enterprise registered in Yizhou District (650502): within Hami, may apply",
    )


def test_first_time_declared_false(rules: q.RuleSet) -> None:
    """An item worded 首次 does not pay a claim that is not a first time (rulings R4)."""
    d = decide(rules, claim("C1", "cnas_accreditation", first_time=False))["C1"]
    assert (d.outcome, d.reasons) == ("rejected", ("not_first_time",))
    assert "第十二条第(一)项" in d.citations


# --- 第十三条: standards ------------------------------------------------------------


def test_first_drafting_unit_leads(rules: q.RuleSet) -> None:
    """The unit ranked first in the 前言 is the lead (主导制定国家标准: 20 万元)."""
    d = decide(rules, std("C1", [{"name": HAMI["name"]}, NATIONAL_LEAD]))["C1"]
    assert (d.item, d.amount_yuan) == ("a13.1.national", 200_000)


def test_name_matching_is_nfkc_and_whitespace_blind(rules: q.RuleSet) -> None:
    """Full-width letters, brackets and spaces do not hide the applicant (rulings R7)."""
    applicant = {**HAMI, "name": "哈密某新能源(集团)有限公司 ABC"}
    units = [{"name": "哈密某新能源（集团）有限公司ＡＢＣ"}]
    d = decide(rules, std("C1", units), applicants=[applicant])["C1"]
    assert d.item == "a13.1.national"


def test_foremost_hami_participant_is_paid(rules: q.RuleSet) -> None:
    """Participation pays the first Hami unit after the lead (参与制定国家标准: 5 万元)."""
    units = [NATIONAL_LEAD, {"name": HAMI["name"], "region": "650502"}]
    d = decide(rules, std("C1", units))["C1"]
    assert (d.item, d.amount_yuan) == ("a13.2.national", 50_000)


def test_later_hami_participant_is_not_paid(rules: q.RuleSet) -> None:
    """A Hami participant ranked behind another Hami unit is not paid (第十三条)."""
    units = [NATIONAL_LEAD, {"name": "哈密另一公司", "region": "650522"}, {"name": HAMI["name"]}]
    d = decide(rules, std("C1", units))["C1"]
    assert d.reasons == ("not_foremost_hami_participant",)
    assert d.outcome == "rejected"


def test_applicant_not_among_units(rules: q.RuleSet) -> None:
    """An applicant missing from the 前言 is not a drafting unit."""
    d = decide(rules, std("C1", [NATIONAL_LEAD]))["C1"]
    assert d.reasons == ("not_drafting_unit",)
    assert d.item is None


def test_no_units_needs_lead_proof(rules: q.RuleSet) -> None:
    """With no drafting unit named, only a lead proof makes the applicant the lead."""
    assert decide(rules, std("C1", None))["C1"].reasons == ("lead_proof_missing",)
    d = decide(rules, std("C1", [], lead_proof=True))["C1"]
    assert (d.item, d.amount_yuan) == ("a13.1.national", 200_000)


def test_participation_in_revision_pays_nothing(rules: q.RuleSet) -> None:
    """第十三条 sets no award for taking part in a revision."""
    units = [NATIONAL_LEAD, {"name": HAMI["name"]}]
    d = decide(rules, std("C1", units, action="revise"))["C1"]
    assert d.reasons == ("no_matching_item",)


def test_enterprise_standard_matches_no_item(rules: q.RuleSet) -> None:
    """An enterprise standard (Q/) is not covered by 第十三条."""
    d = decide(rules, std("C1", [{"name": HAMI["name"]}], number="Q/HMXNY 001-2026"))["C1"]
    assert d.reasons == ("no_matching_item",)


@pytest.mark.parametrize(
    ("number", "item", "amount"),
    [
        ("NB/T 12345-2026", "a13.3.industry", 50_000),
        ("DB65/T 4567-2026", "a13.3.local", 10_000),
        ("T/XJAS 12-2026", "a13.3.group", 10_000),
    ],
)
def test_lead_revision_by_level(rules: q.RuleSet, number: str, item: str, amount: int) -> None:
    """Lead revision pays by the level the number implies (第十三条第(三)项)."""
    d = decide(rules, std("C1", [{"name": HAMI["name"]}], action="revise", number=number))["C1"]
    assert (item, amount) == (d.item, d.amount_yuan)


def test_lead_and_participation_on_one_standard(rules: q.RuleSet) -> None:
    """One applicant, one standard: one qualification, the higher claim is paid."""
    lead = std("C1", [{"name": HAMI["name"]}])
    part = std("C2", [NATIONAL_LEAD, {"name": HAMI["name"]}])
    ds = decide(rules, lead, part)
    assert ds["C1"].outcome == "awarded"
    assert ds["C2"].outcome == "superseded"


def test_one_participation_award_per_standard(rules: q.RuleSet) -> None:
    """Two applicants each claiming to be the foremost Hami participant: only one is paid."""
    a2_units = [NATIONAL_LEAD, {"name": OTHER["name"]}]
    a1_units = [NATIONAL_LEAD, {"name": HAMI["name"]}]
    c2 = {**std("C2", a2_units), "applicant": "A2", "submitted_on": "2027-03-19"}
    ds = decide(rules, std("C1", a1_units), c2)
    assert ds["C2"].outcome == "awarded"
    assert ds["C1"].reasons == ("not_foremost_hami_participant",)


# Two applicant ids of one name (no USCC) are one unit of the 前言 printed without a code:
# a Hami unit to each of their claims, not to A2's; A2's own unit is Hami by its region.
TWIN = {**HAMI, "id": "A1b"}
TWIN_UNITS = [NATIONAL_LEAD, {"name": HAMI["name"]}, {"name": OTHER["name"], "region": "650521"}]


def test_a_participant_behind_another_claims_hami_unit_is_told_which_claim(
    rules: q.RuleSet,
) -> None:
    """The failing standard.one_participant step names the claim showing the Hami unit ranked
    before the applicant: of several, the earliest by submitted_on, then claim id (R5)."""
    c1 = std("C1", TWIN_UNITS, submitted_on="2027-03-20")
    c2 = {**std("C2", TWIN_UNITS, submitted_on="2027-03-19"), "applicant": "A1b"}
    c3 = {**std("C3", TWIN_UNITS), "applicant": "A2"}
    ds = decide(rules, c1, c2, c3, applicants=[HAMI, TWIN, OTHER])
    (step,) = [s for s in ds["C3"].trace if s.rule == "standard.one_participant"]
    assert (step.result, dict(step.facts)) == (
        "fail",
        {
            "standard_no": "GB/T 45678-2026",
            "foremost_hami_position": 2,
            "foremost_hami_claim": "C2",
        },
    )
    assert step.message_zh == "申报C2中排序第2位的哈密市起草单位排序更靠前"
    assert step.message_en == "claim C2 shows a Hami unit ranked 2, before this applicant"
    assert [ds[c].outcome for c in ("C1", "C2", "C3")] == ["rejected", "awarded", "rejected"]


@contextmanager
def edited_rules(tmp_path: Path, name: str, old: str, new: str) -> Iterator[q.RuleSet]:
    """The shipped rules with one edit in one file."""
    for f in RULE_FILES:
        shutil.copy(RULES_DIR / f, tmp_path / f)
    path = tmp_path / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    yield q.load_rules(tmp_path)


def test_participation_policy_foremost_overall(tmp_path: Path) -> None:
    """With foremost_overall, a Hami lead leaves no participation award (rulings R7)."""
    units = [{"name": OTHER["name"], "region": "650521"}, {"name": HAMI["name"]}]
    with edited_rules(
        tmp_path, "allocation.yaml", "policy: foremost_after_lead", "policy: foremost_overall"
    ) as rules:
        d = decide(rules, std("C1", units))["C1"]
    assert d.reasons == ("not_foremost_hami_participant",)


# --- 第十三条: one lead per standard (allocation.yaml lead.policy) ----------------------

A1_FIRST = [{"name": HAMI["name"]}, NATIONAL_LEAD]
A2_FIRST = [{"name": OTHER["name"]}, NATIONAL_LEAD]
THIRD = {"id": "A3", "name": "哈密某材料有限公司", "org_type": "enterprise", "region": "650522"}


def one_lead_steps(d: Decision) -> list[TraceStep]:
    """The decision's standard.one_lead steps."""
    return [s for s in d.trace if s.rule == "standard.one_lead"]


def test_a_lead_proof_does_not_make_a_second_lead(rules: q.RuleSet) -> None:
    """A claim naming its applicant first and another applicant's claim with no units and a
    lead proof: the 前言 ranks one unit first, so only the earlier claim is paid as lead."""
    l1 = std("L1", A1_FIRST, number="GB/T 902-2026")
    l2 = {**std("L2", [], number="GB/T 902—2026", lead_proof=True), "applicant": "A2"}
    ds = decide(rules, l1, l2)
    assert (ds["L1"].outcome, ds["L1"].item, ds["L1"].amount_yuan) == (
        "awarded", "a13.1.national", 200_000)  # fmt: skip
    assert (ds["L2"].outcome, ds["L2"].amount_yuan, ds["L2"].reasons) == (
        "rejected", 0, ("duplicate_claim",))  # fmt: skip
    (step,) = one_lead_steps(ds["L2"])
    assert (step.step, step.citation, step.result, dict(step.facts)) == (
        "authorship",
        "第十三条",
        "fail",
        {"standard_no": "GB/T 902-2026", "lead_claim": "L1"},
    )
    assert step.message_zh == "标准前言中排序首位的起草单位仅一家,该标准的主导单位已由申报L1申报"
    assert step.message_en == (
        "the foreword ranks one drafting unit first: the lead of this standard is claimed by L1"
    )
    assert ds["L2"].citations == ("第十三条第(一)项", "第十三条", "第十七条第(三)项")
    assert one_lead_steps(ds["L1"]) == []
    # Each lead's own authorship step says which reading of the lead applies.
    assert [authorship_facts(ds[c])["lead_policy"] for c in ("L1", "L2")] == [
        "one_per_standard"
    ] * 2


def test_two_lists_each_putting_their_own_applicant_first_pay_one_lead(
    rules: q.RuleSet,
) -> None:
    """Two applicants' claims whose 前言 lists each rank their own applicant first: the
    earlier submitted is the lead paid, the other a duplicate of it."""
    l1 = std("L1", A1_FIRST, submitted_on="2027-03-21")
    l2 = {**std("L2", A2_FIRST, submitted_on="2027-03-20"), "applicant": "A2"}
    ds = decide(rules, l1, l2)
    assert [(ds[c].outcome, ds[c].reasons) for c in ("L1", "L2")] == [
        ("rejected", ("duplicate_claim",)),
        ("awarded", ()),
    ]
    (step,) = one_lead_steps(ds["L1"])
    assert step.facts["lead_claim"] == "L2"


@pytest.mark.parametrize(("first", "second"), [("L1", "L2"), ("L2", "L1")])
def test_leads_submitted_the_same_day_go_by_claim_id(
    rules: q.RuleSet, first: str, second: str
) -> None:
    """Submitted the same day, the lead goes to the smaller claim id (rulings R5's order),
    whichever order the batch lists them in."""
    by_id = {"L1": std("L1", A1_FIRST), "L2": {**std("L2", A2_FIRST), "applicant": "A2"}}
    ds = decide(rules, by_id[first], by_id[second])
    assert (ds["L1"].outcome, ds["L2"].outcome) == ("awarded", "rejected")
    assert [s.facts["lead_claim"] for s in one_lead_steps(ds["L2"])] == ["L1"]


def test_three_leads_name_the_one_paid(rules: q.RuleSet) -> None:
    """Of three claims to lead one standard, the earliest is paid and both others name it."""
    l3 = {**std("L3", [{"name": THIRD["name"]}], submitted_on="2027-03-19"), "applicant": "A3"}
    l1 = std("L1", A1_FIRST)
    l2 = {**std("L2", A2_FIRST), "applicant": "A2"}
    ds = decide(rules, l1, l2, l3, applicants=[HAMI, OTHER, THIRD])
    assert [ds[c].outcome for c in ("L1", "L2", "L3")] == ["rejected", "rejected", "awarded"]
    assert [s.facts["lead_claim"] for c in ("L1", "L2") for s in one_lead_steps(ds[c])] == [
        "L3",
        "L3",
    ]


def test_one_number_has_one_lead_whether_formulated_or_revised(rules: q.RuleSet) -> None:
    """One standard number is one published text, whose 前言 ranks one unit first: a claim
    to lead its formulation and other applicants' claims to lead its revision have one
    lead, the earliest claim's applicant."""
    f1 = std("F1", A1_FIRST)
    r2 = {**std("R2", A2_FIRST, action="revise"), "applicant": "A2"}
    r3 = {**std("R3", [{"name": THIRD["name"]}], action="revise", submitted_on="2027-03-21"),
          "applicant": "A3"}  # fmt: skip
    ds = decide(rules, f1, r2, r3, applicants=[HAMI, OTHER, THIRD])
    assert [ds[c].outcome for c in ("F1", "R2", "R3")] == ["awarded", "rejected", "rejected"]
    assert [s.facts["lead_claim"] for c in ("R2", "R3") for s in one_lead_steps(ds[c])] == [
        "F1",
        "F1",
    ]


def test_leads_of_two_standards_are_both_paid(rules: q.RuleSet) -> None:
    """The lead is one per standard: two applicants leading two standards are both paid."""
    l1 = std("L1", A1_FIRST)
    l2 = {**std("L2", A2_FIRST, number="GB/T 902-2026"), "applicant": "A2"}
    ds = decide(rules, l1, l2)
    assert (ds["L1"].outcome, ds["L2"].outcome) == ("awarded", "awarded")


def test_each_claim_policy_pays_every_lead_as_before(tmp_path: Path) -> None:
    """lead.policy each_claim judges each claim on its own 前言 list: both leads are paid,
    no claim has a standard.one_lead step, and each lead's authorship step says so."""
    l1 = std("L1", A1_FIRST)
    l2 = {**std("L2", [], lead_proof=True), "applicant": "A2"}
    with edited_rules(
        tmp_path, "allocation.yaml", "policy: one_per_standard", "policy: each_claim"
    ) as rules:
        assert rules.allocation.lead.policy == "each_claim"
        ds = decide(rules, l1, l2)
    assert [(d.outcome, d.amount_yuan) for d in ds.values()] == [("awarded", 200_000)] * 2
    assert [s for d in ds.values() for s in one_lead_steps(d)] == []
    assert [authorship_facts(d)["lead_policy"] for d in ds.values()] == ["each_claim"] * 2


def test_the_earliest_claim_names_the_lead_even_when_it_is_refused(rules: q.RuleSet) -> None:
    """Who the 前言 ranks first is not who is paid: the earliest claim to lead, refused for
    its own reason (other policy support, 第十七条第(三)项), still names its applicant the
    lead, and another applicant's later claim is a second claim to it."""
    l1 = std("L1", A1_FIRST, submitted_on="2027-03-19", other_support=["自治区标准化资助"])
    l2 = {**std("L2", [], lead_proof=True), "applicant": "A2"}
    ds = decide(rules, l1, l2)
    assert (ds["L1"].outcome, ds["L1"].reasons) == ("rejected", ("excluded_other_support",))
    assert (ds["L2"].outcome, ds["L2"].reasons) == ("rejected", ("duplicate_claim",))
    assert [s.facts["lead_claim"] for s in one_lead_steps(ds["L2"])] == ["L1"]


def test_a_lead_paid_in_an_earlier_round_holds_against_another_applicant(
    rules: q.RuleSet,
) -> None:
    """A1 was paid the lead of the standard in 2026 (its claim now already_awarded): that
    award (allocation.yaml lead.across_rounds) names A1 the lead, and A2's claim by lead
    proof is not paid, told the earlier claim and its round."""
    l1 = std("L1", A1_FIRST, submitted_on="2027-03-19")
    l2 = {**std("L2", [], lead_proof=True), "applicant": "A2"}
    earlier = history("a13.1.national", "a13.standard", "GB/T 45678-2026", 200_000)
    ds = decide(rules, l1, l2, history=earlier)
    assert (ds["L1"].outcome, ds["L1"].reasons) == ("rejected", ("already_awarded",))
    assert (ds["L2"].outcome, ds["L2"].reasons) == ("rejected", ("duplicate_claim",))
    assert [(s.facts["lead_claim"], s.facts["lead_round"]) for s in one_lead_steps(ds["L2"])] == [
        ("OLD1", 2026)
    ]


def test_a_claim_refused_as_a_second_lead_supersedes_nothing(rules: q.RuleSet) -> None:
    """The lead is settled before 就高不就低: A1's claim to lead, a second claim to a lead A2
    holds, is refused, so it does not supersede A1's own claim to take part in the
    standard, which is then judged as a participation claim."""
    units = [NATIONAL_LEAD, {"name": HAMI["name"]}]
    l2 = {**std("L2", [], lead_proof=True, submitted_on="2027-03-19"), "applicant": "A2"}
    l1 = std("L1", A1_FIRST)
    p1 = std("P1", units)
    ds = decide(rules, l2, l1, p1)
    assert (ds["L1"].outcome, ds["L1"].reasons) == ("rejected", ("duplicate_claim",))
    assert (ds["P1"].outcome, ds["P1"].item, ds["P1"].amount_yuan) == (
        "awarded", "a13.2.national", 50_000)  # fmt: skip
    assert [s for s in ds["P1"].trace if s.step == "same_qualification"] == []


def test_an_applicants_own_second_lead_claim_is_one_duplicate(rules: q.RuleSet) -> None:
    """One applicant claiming the lead twice is a duplicate of its own claim (第十七条第(三)项),
    reported once, by the exclusion step, not again as a second lead; another applicant's
    later claim names the first as the lead."""
    l1 = std("L1", A1_FIRST)
    l1b = std("L1b", [], lead_proof=True, submitted_on="2027-03-21")
    l2 = {**std("L2", A2_FIRST, submitted_on="2027-03-22"), "applicant": "A2"}
    ds = decide(rules, l1, l1b, l2)
    d = ds["L1b"]
    assert (d.outcome, d.reasons) == ("rejected", ("duplicate_claim",))
    assert one_lead_steps(d) == []
    failing = [s for s in d.trace if s.result == "fail"]
    assert [(s.rule, s.facts.get("duplicate_of")) for s in failing] == [("duplicate_claim", "L1")]
    assert [s.facts["lead_claim"] for s in one_lead_steps(ds["L2"])] == ["L1"]
    assert ds["L1"].outcome == "awarded"


def test_an_applicants_two_lead_claims_hold_the_lead_and_go_by_the_highest(
    rules: q.RuleSet,
) -> None:
    """A1's earliest claim (to lead a revision) names A1 the lead; A1's two claims then go
    by 就高不就低 (the formulation paid, the revision superseded), and A2's claim is a second
    claim to A1's lead."""
    f1 = std("F1", A1_FIRST)
    r1 = std("R1", A1_FIRST, action="revise", submitted_on="2027-03-19")
    r2 = {**std("R2", A2_FIRST, action="revise"), "applicant": "A2"}
    ds = decide(rules, f1, r1, r2)
    assert [ds[c].outcome for c in ("F1", "R1", "R2")] == ["awarded", "superseded", "rejected"]
    assert [s.facts["lead_claim"] for d in ds.values() for s in one_lead_steps(d)] == ["R1"]


def authorship_facts(d: Decision) -> dict[str, JSONValue]:
    """The facts of a decision's standard.authorship step."""
    (step,) = [s for s in d.trace if s.rule == "standard.authorship"]
    return dict(step.facts)


def test_an_authorship_step_shows_which_units_are_hami_units_and_why(rules: q.RuleSet) -> None:
    """A participant's step shows each unit's division code and each Hami unit with what
    made it one: its code read from its USCC or given, hami: true, or, for the applicant's
    own entry printed without a code, the applicant's region (rulings R7)."""
    hami_uscc = "12650500458001234T"  # 哈密市: 650500
    units: list[dict[str, Any]] = [
        NATIONAL_LEAD,  # 110108: not Hami
        {"name": "哈密市产品质量检验检测中心", "uscc": hami_uscc},
        {"name": "外地某研究院", "region": "650102", "hami": True},
        {"name": "哈密某检测站", "region": "650522"},
        {"name": "某协会"},  # no code, not the applicant's entry: not Hami
        {"name": HAMI["name"]},  # the applicant's own entry, printed without a code
    ]
    facts = authorship_facts(decide(rules, std("C1", units))["C1"])
    assert {k: facts[k] for k in ("position", "unit_regions", "hami_units")} == {
        "position": 6,
        "unit_regions": ["110108", "650500", "650102", "650522", None, None],
        "hami_units": [
            {"by": "uscc", "position": 2},
            {"by": "hami", "position": 3},
            {"by": "region", "position": 4},
            {"by": "applicant", "position": 6, "region": "650502"},
        ],
    }
    assert (facts["foremost_hami_position"], facts["role"]) == (2, "participant")


def test_a_lead_shows_hami_units_only_where_a_hami_lead_counts(tmp_path: Path) -> None:
    """A lead's step shows no Hami units under foremost_after_lead, where the lead's place
    is never counted, and shows them under foremost_overall, where a Hami lead takes the
    participation award's place."""
    units = [{"name": HAMI["name"]}, {"name": OTHER["name"], "region": "650521"}]
    with edited_rules(tmp_path, "allocation.yaml", "policy: foremost_after_lead",
                      "policy: foremost_overall") as overall:  # fmt: skip
        shown = authorship_facts(decide(overall, std("C1", units))["C1"])
    default = authorship_facts(decide(q.load_rules(RULES_DIR), std("C1", units))["C1"])
    assert "hami_units" not in default
    assert "unit_regions" not in default
    assert (shown["role"], shown["unit_regions"], shown["hami_units"]) == (
        "lead",
        [None, "650521"],
        [{"by": "applicant", "position": 1, "region": "650502"}, {"by": "region", "position": 2}],
    )


# --- history: 首次, top-ups, bans ---------------------------------------------------


def history(item: str, family: str, subject: str, amount: int) -> q.StaticHistory:
    """A ledger holding one earlier award to A1."""
    key = (applicant_key("A1", None), family, subject)
    return q.StaticHistory({key: [PriorAward("OLD1", item, amount, 2026)]})


def test_earlier_award_of_same_item_is_not_first_time(rules: q.RuleSet) -> None:
    """An earlier CNAS award in the ledger makes a new claim not a first time (rulings R4)."""
    h = history("a12.1", "a12.cnas", "A1", 100_000)
    d = decide(rules, claim("C1", "cnas_accreditation", first_time=True), history=h)["C1"]
    assert "not_first_time" in d.reasons


def test_higher_tier_later_is_topped_up(rules: q.RuleSet) -> None:
    """Nominee (40 万) earlier, winner (60 万) now: the difference is paid (rulings R5)."""
    h = history("a11.1.nominee", "a11.china_quality_award", "A1", 400_000)
    c = claim("C1", "quality_award", award="china", tier="winner", first_time=True)
    d = decide(rules, c, history=h)["C1"]
    assert (d.outcome, d.amount_yuan, d.reasons) == ("awarded", 200_000, ("top_up",))
    # Awarded, not necessarily paid: the earlier award may have been deferred (R10).
    (said,) = [s.message_en for s in d.trace if "top-up" in s.message_en]
    assert said == "already awarded 400000 yuan for this qualification: top-up of 200000 yuan"


def test_lower_tier_later_is_already_awarded(rules: q.RuleSet) -> None:
    """A regional QC group after a national one for the same group pays nothing."""
    h = history("a11.5.national", "a11.qc_group", "一号QC小组", 50_000)
    c = claim("C1", "qc_group", level="regional", subject="一号QC小组")
    d = decide(rules, c, history=h)["C1"]
    assert d.reasons == ("already_awarded",)


def first_time_message(d: q.Decision) -> str:
    (step,) = [s for s in d.trace if s.step == "first_time"]
    return f"{step.result}: {step.message_en} / {step.message_zh}"


def test_first_time_step_says_what_the_scope_looked_for(tmp_path: Path, rules: q.RuleSet) -> None:
    """With scope item (shipped), an earlier nominee award does not stop a first-time winner
    award, and the step says no earlier award *of this item*: the same trace shows the
    earlier award of the qualification (the top-up). With scope qualification it fails."""
    h = history("a11.1.nominee", "a11.china_quality_award", "A1", 400_000)
    c = claim("C1", "quality_award", award="china", tier="winner", first_time=True)
    assert first_time_message(decide(rules, c, history=h)["C1"]) == (
        "pass: first time: declared, and no earlier award of this item in the ledger"
        " / 首次获得(新承担),账本中无该奖励事项的既往奖励"
    )
    with edited_rules(tmp_path, "allocation.yaml", "scope: item", "scope: qualification") as wide:
        assert first_time_message(decide(wide, c, history=h)["C1"]) == (
            "fail: the ledger already holds an award for the same qualification (OLD1)"
            " / 账本中已有同一资格的奖励(OLD1)"
        )


def ban_message(d: q.Decision) -> str:
    (step,) = [s for s in d.trace if s.step == "ban"]
    return f"{step.result}: {step.message_en} / {step.message_zh}"


@pytest.mark.parametrize(
    ("history", "first_time", "ban"),
    [
        (
            q.NO_HISTORY,
            "pass: first time: declared, and no earlier award of this item given (no ledger read)"
            " / 首次获得(新承担),无该奖励事项的既往奖励记录(未提供账本)",
            "pass: no ban of the applicant given (no ledger read) / 无取消申报资格记录(未提供账本)",
        ),
        (
            q.StaticHistory(),
            "pass: first time: declared, and no earlier award of this item in the ledger"
            " / 首次获得(新承担),账本中无该奖励事项的既往奖励",
            "pass: the applicant is not banned / 申报单位不在取消申报资格期内",
        ),
    ],
    ids=["no-history", "empty-history"],
)
def test_steps_that_read_the_history_say_whether_one_was_given(
    rules: q.RuleSet, history: q.History, first_time: str, ban: str
) -> None:
    """Without a history (`qfund explain` alone) the 首次 and ban steps say no ledger was
    read; given one, even empty, they say what it holds."""
    c = claim("C1", "cnas_accreditation", first_time=True)
    d = decide(rules, c, history=history)["C1"]
    assert (first_time, ban) == (first_time_message(d), ban_message(d))


def test_reject_policy_never_pays_twice(tmp_path: Path) -> None:
    """With same_qualification: reject, a higher tier later is not topped up."""
    h = history("a11.1.nominee", "a11.china_quality_award", "A1", 400_000)
    c = claim("C1", "quality_award", award="china", tier="winner", first_time=True)
    with edited_rules(tmp_path, "allocation.yaml", "policy: top_up", "policy: reject") as rules:
        d = decide(rules, c, history=h)["C1"]
    assert d.reasons == ("already_awarded",)


def test_banned_applicant(rules: q.RuleSet) -> None:
    """A claim submitted within 3 years of a fraud finding is refused (第二十四条)."""
    ban = BanRecord("OLD9", dt.date(2026, 6, 1), dt.date(2029, 6, 1))
    h = q.StaticHistory(bans={applicant_key("A1", None): [ban]})
    d = decide(rules, claim("C1", "leading_enterprise"), history=h)["C1"]
    assert d.reasons == ("banned",)
    assert "第二十四条" in d.citations


def test_a_ban_step_shows_each_ban_the_claim_falls_in_as_dates(rules: q.RuleSet) -> None:
    """The ban step shows every ban covering submitted_on as {claim_id, found_on, until}
    (the claim the fraud was found on; until the first day the applicant may apply again),
    in the ledger's order; an ended one is not; its message names the latest until of them
    (rulings R9)."""
    bans = [
        BanRecord("OLD7", dt.date(2023, 1, 1), dt.date(2026, 1, 1)),  # ended
        BanRecord("OLD9", dt.date(2026, 6, 1), dt.date(2029, 6, 1)),
        BanRecord("OLD8", dt.date(2027, 3, 20), dt.date(2030, 3, 20)),  # from the day itself
    ]
    h = q.StaticHistory(bans={applicant_key("A1", None): bans})
    d = decide(rules, claim("C1", "leading_enterprise"), history=h)["C1"]
    (step,) = [s for s in d.trace if s.step == "ban"]
    assert dict(step.facts) == {
        "submitted_on": "2027-03-20",
        "bans": [
            {"claim_id": "OLD9", "found_on": "2026-06-01", "until": "2029-06-01"},
            {"claim_id": "OLD8", "found_on": "2027-03-20", "until": "2030-03-20"},
        ],
    }
    assert (step.result, step.message_en) == (
        "fail",
        "banned until 2030-03-20 for fraud found on claim OLD8",
    )
    assert step.message_zh == "因申报OLD8弄虚作假被取消申报资格至2030-03-20"


def test_a_ban_step_names_every_claim_whose_ban_ends_last(rules: q.RuleSet) -> None:
    """Two frauds found the same day end their bans together: the message names both
    claims, in the ledger's order, once each."""
    bans = [
        BanRecord("OLD9", dt.date(2026, 6, 1), dt.date(2029, 6, 1)),
        BanRecord("OLD8", dt.date(2027, 3, 20), dt.date(2030, 3, 20)),
        BanRecord("OLD6", dt.date(2027, 3, 20), dt.date(2030, 3, 20)),
    ]
    h = q.StaticHistory(bans={applicant_key("A1", None): bans})
    d = decide(rules, claim("C1", "leading_enterprise"), history=h)["C1"]
    (step,) = [s for s in d.trace if s.step == "ban"]
    assert (step.message_zh, step.message_en) == (
        "因申报OLD8、OLD6弄虚作假被取消申报资格至2030-03-20",
        "banned until 2030-03-20 for fraud found on claims OLD8, OLD6",
    )


def test_unbanned_claims_of_a_day_share_one_ban_step(rules: q.RuleSet) -> None:
    """The passing ban step is one object, shared by every unbanned claim submitted the same
    day, whether or not another applicant of the batch is banned."""
    ban = BanRecord("OLD9", dt.date(2026, 6, 1), dt.date(2029, 6, 1))
    h = q.StaticHistory(bans={applicant_key("A1", None): [ban]})
    ds = decide(
        rules,
        claim("C1", "leading_enterprise"),
        {**claim("C2", "leading_enterprise"), "applicant": "A2"},
        {**claim("C3", "qc_group", level="national", subject="G"), "applicant": "A2"},
        history=h,
    )
    steps = [next(s for s in ds[c].trace if s.step == "ban") for c in ("C2", "C3")]
    assert steps[0] is steps[1]
    assert dict(steps[0].facts) == {"submitted_on": "2027-03-20", "bans": []}


# --- contract properties ----------------------------------------------------------


def test_reasons_come_from_the_contract(rules: q.RuleSet) -> None:
    """Every reason the engine gives is one of the contract's codes."""
    units = [NATIONAL_LEAD, {"name": "哈密另一公司", "region": "650522"}, {"name": HAMI["name"]}]
    ds = decide(rules, std("C1", units), claim("C2", "cnas_accreditation", first_time=False))
    assert all(r in REASON_CODES for d in ds.values() for r in d.reasons)


def test_json_round_trip(rules: q.RuleSet) -> None:
    """A decision's JSON loads back into an equal decision."""
    d = decide(rules, std("C1", [{"name": HAMI["name"]}]))["C1"]
    again = Decision.from_dict(json.loads(json.dumps(d.to_dict(), ensure_ascii=False)))
    assert again == d


def test_same_input_same_bytes(rules: q.RuleSet) -> None:
    """Evaluating the same batch twice gives byte-identical JSON."""
    b = batch([claim("C1", "leading_enterprise"), std("C2", [{"name": HAMI["name"]}])])
    assert q.evaluate(rules, b).to_json() == q.evaluate(rules, b).to_json()


def test_threads_share_one_rule_set(rules: q.RuleSet) -> None:
    """Eight threads evaluating with one RuleSet get the same result as one thread."""
    b = batch([claim(f"C{i}", "qc_group", level="national", subject=f"G{i}") for i in range(50)])
    expected = q.evaluate(rules, b).to_json()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: q.evaluate(rules, b).to_json(), range(32)))
    assert results == [expected] * 32


def test_fast_constructors_build_the_same_frozen_objects() -> None:
    # The engine builds steps and decisions through new_step / new_decision: they must be
    # the very objects the dataclasses' own constructors make, just as immutable.
    facts: dict[str, JSONValue] = {"achieved_on": "2027-03-01"}
    fast = new_step("validity", "measures.in_force", "第二十八条", "pass", facts, "中", "en")
    slow = TraceStep("validity", "measures.in_force", "第二十八条", "pass", facts, "中", "en")
    assert fast == slow
    assert type(fast) is TraceStep
    decision = new_decision("C1", "A1", "awarded", "a9.1", 5, (), ("第九条",), (fast,), "s", True)
    expected = Decision("C1", "A1", "awarded", "a9.1", 5, (), ("第九条",), (slow,), "s", True)
    assert decision == expected
    assert decision.allocation is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.amount_yuan = 6  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.result = "fail"  # type: ignore[misc]


def test_one_uscc_under_two_applicant_ids_is_one_applicant(rules: q.RuleSet) -> None:
    # Applicants are known by USCC (history.applicant_key): the same unit entered twice in
    # a batch claims one qualification twice, and 就高不就低 and the duplicate check see it.
    code = "91650502MA78K2Q58" + str(uscc.calc_check_digit("91650502MA78K2Q58"))
    unit = {k: v for k, v in HAMI.items() if k != "region"}
    twins = [{**unit, "uscc": code}, {**unit, "id": "A9", "uscc": code}]
    result = decide(
        rules,
        claim("C1", "testing_platform", level="national", subject="哈密检测平台"),
        {
            **claim("C2", "testing_platform", level="regional", subject="哈密检测平台"),
            "applicant": "A9",
        },
        {
            **claim("C3", "testing_platform", level="national", subject="哈密检测平台"),
            "applicant": "A9",
        },
        applicants=twins,
    )
    assert result["C1"].outcome == "awarded"
    assert "superseded_by_higher" in result["C2"].reasons
    assert result["C3"].reasons == ("duplicate_claim",)


def test_an_award_of_the_applicant_itself_under_two_ids_is_one_qualification(
    rules: q.RuleSet,
) -> None:
    """Kinds whose subject is the applicant (a quality award, a leading enterprise): the
    same unit (one USCC) under two ids in one batch is paid once, 就高不就低 and the duplicate
    check applying, and under a new id in a later round it meets its earlier award."""
    code = "91650502MA78K2Q58" + str(uscc.calc_check_digit("91650502MA78K2Q58"))
    unit = {k: v for k, v in HAMI.items() if k != "region"}
    twins = [{**unit, "uscc": code}, {**unit, "id": "A9", "uscc": code}]
    award = {"award": "xinjiang", "first_time": True}
    result = decide(
        rules,
        claim("C1", "quality_award", tier="winner", **award),
        {**claim("C2", "quality_award", tier="nominee", **award), "applicant": "A9"},
        claim("C3", "leading_enterprise"),
        {**claim("C4", "leading_enterprise"), "applicant": "A9"},
        applicants=twins,
    )
    outcomes = {cid: (d.outcome, d.reasons) for cid, d in result.items()}
    assert outcomes == {
        "C1": ("awarded", ()),
        "C2": ("superseded", ("superseded_by_higher",)),
        "C3": ("awarded", ()),
        "C4": ("rejected", ("duplicate_claim",)),
    }
    held = [PriorAward("K1", "a11.4", 200_000, 2026)]
    earlier = q.StaticHistory({(code, "a11.leading_enterprise", code): held})
    again = decide(
        rules, {**claim("C5", "leading_enterprise"), "applicant": "A9"}, history=earlier,
        applicants=twins,
    )  # fmt: skip
    assert (again["C5"].outcome, again["C5"].reasons) == ("rejected", ("already_awarded",))


def test_a_subject_typed_in_other_characters_is_one_qualification(rules: q.RuleSet) -> None:
    """The same committee code typed again with a trailing space, a zero-width space or
    full-width letters is the same qualification: a duplicate (第十七条第(三)项), not a
    second award. Case and inner spaces still count (docs/interpretation.md)."""
    written = {
        "T1": "SAC/TC 123",
        "T2": "SAC/TC 123",
        "T3": "SAC/TC 123 ",
        "T4": "SAC/\u200bTC 123",
        "T5": "ＳＡＣ/ＴＣ １２３",
        "T6": "SAC/TC123",
        "T7": "sac/tc 123",
    }
    claims = [
        claim(cid, "technical_committee", level="national", body="tc", subject=subject)
        for cid, subject in written.items()
    ]
    decisions = decide(rules, *claims)
    outcomes = {cid: (d.outcome, d.reasons) for cid, d in decisions.items()}
    duplicate = ("rejected", ("duplicate_claim",))
    assert outcomes == {
        "T1": ("awarded", ()),
        "T2": duplicate,
        "T3": duplicate,
        "T4": duplicate,
        "T5": duplicate,
        "T6": ("awarded", ()),
        "T7": ("awarded", ()),
    }


def test_a_history_subject_written_otherwise_still_meets_its_claim(rules: q.RuleSet) -> None:
    """A StaticHistory (a case file's history, an integrator's own) keyed by a subject with
    a trailing space or full-width letters meets the claim on that subject: the earlier
    national QC award makes the regional one already_awarded."""
    for written in ("一号QC小组 ", "一号ＱＣ小组"):
        h = history("a11.5.national", "a11.qc_group", written, 50_000)
        c = claim("C1", "qc_group", level="regional", subject="一号QC小组")
        assert decide(rules, c, history=h)["C1"].reasons == ("already_awarded",), written


def test_an_amount_step_before_the_first_amount_says_none_applies(rules: q.RuleSet) -> None:
    """Achieved before the item's first dated amount (and the measures): the amount step
    says no amount is in force, rather than quote the clause's amount beside 0 yuan."""
    c = claim("C1", "cnas_accreditation", first_time=True, achieved_on="2026-02-01")
    d = decide(rules, c)["C1"]
    (step,) = [s for s in d.trace if s.step == "amount"]
    assert (d.reasons, dict(step.facts), step.message_zh) == (
        ("outside_validity",),
        {"item": "a12.1", "amount_yuan": 0, "in_force_from": None},
        "取得日早于本事项首个金额的生效日(2026-03-14),无适用金额",
    )


# --- the batch evaluate takes: the loader's, under these rules' readings ------------------

LOAD = "load it with rules.load_batch(path) or rules.batch_from_data(data)"
BY_USCC = {"id": "A1", "name": HAMI["name"], "org_type": "enterprise", "uscc": "91650502MA78K2Q582"}
DAY = dt.date(2027, 3, 20)


def leading(**facts: Any) -> LeadingEnterpriseClaim:
    """C1, a leading-enterprise claim of A1 (20 万元), built with the model's constructor."""
    fields: dict[str, Any] = {"id": "C1", "applicant": "A1", "achieved_on": dt.date(2026, 5, 1),
                              "submitted_on": DAY, "subject": "A1", **facts}  # fmt: skip
    return LeadingEnterpriseClaim(**fields)


def by_hand(applicant: dict[str, Any], *claims: LeadingEnterpriseClaim) -> q.Batch:
    return q.Batch(round=2027, submitted_on=DAY, applicants=(q.Applicant(**applicant),),
                   claims=claims)  # fmt: skip


HAND_BUILT = {
    # Each skips a check or a resolution of the loader that the engine relies on.
    "region left to the USCC": lambda: by_hand(BY_USCC, leading()),
    "achieved after submitted": lambda: by_hand(HAMI, leading(achieved_on=dt.date(2027, 9, 1))),
    "one claim id twice": lambda: by_hand(HAMI, leading(), leading()),
    "no submitted_on": lambda: by_hand(HAMI, leading(submitted_on=None)),
    "subject not the USCC": lambda: by_hand({**HAMI, "uscc": BY_USCC["uscc"]}, leading()),
}


@pytest.mark.parametrize("build", HAND_BUILT.values(), ids=HAND_BUILT.keys())
def test_a_batch_built_by_hand_is_refused(rules: q.RuleSet, build: Any) -> None:
    """A Batch of the claim models' own constructors skipped every check and resolution
    of the loader: evaluate refuses it with a TypeError saying how to load one, rather
    than decide it wrongly or fail deep inside."""
    with pytest.raises(TypeError) as refused:
        q.evaluate(rules, build())
    assert str(refused.value) == (
        "evaluate(): the batch was not made by the loader (built with Batch(...) or "
        "model_construct, or changed with model_copy(update=...)): none of its checks ran, "
        f"nothing in it was resolved; {LOAD}"
    )


def test_a_loaded_batch_changed_with_model_copy_is_refused(rules: q.RuleSet) -> None:
    """``model_copy(update=...)`` is not validated: a round of "oops" would be decided."""
    loaded = rules.batch_from_data(q.batch_to_data(by_hand(BY_USCC, leading())))
    with pytest.raises(TypeError, match=re.escape(LOAD)):
        q.evaluate(rules, loaded.model_copy(update={"round": "oops"}))


def test_the_loaded_batch_of_a_refused_one_is_decided(rules: q.RuleSet) -> None:
    """The same applicant and claim, loaded: the region is read from the USCC and the
    leading enterprise is paid 20 万元 (the hand-built batch was not_eligible_applicant)."""
    data = {"round": 2027, "submitted_on": "2027-03-20", "applicants": [BY_USCC],
            "claims": [{"id": "C1", "applicant": "A1", "kind": "leading_enterprise",
                        "achieved_on": "2026-05-01"}]}  # fmt: skip
    (d,) = q.evaluate(rules, rules.batch_from_data(data)).decisions
    assert (d.outcome, d.amount_yuan, d.rules_sha256) == ("awarded", 200_000, rules.sha256)


def test_a_pickled_batch_is_still_decided(rules: q.RuleSet) -> None:
    """A batch handed to a worker process (pickled) keeps the loader's mark."""
    batch = rules.batch_from_data(q.batch_to_data(by_hand(HAMI, leading())))
    again = pickle.loads(pickle.dumps(batch))  # noqa: S301 - our own object
    assert q.evaluate(rules, again) == q.evaluate(rules, batch)


ANY = ("policy: required  # required | any", "policy: any  # required | any")
LATE = {"round": 2027, "submitted_on": "2027-03-20", "applicants": [HAMI],
        "claims": [claim("C1", "leading_enterprise", achieved_on="2027-06-01")]}  # fmt: skip


def test_a_batch_loaded_under_other_rules_is_refused_by_these(
    rules: q.RuleSet, tmp_path: Path
) -> None:
    """Rules that take late honours (achieved_by_submission any) load a batch the shipped
    rules refuse: the shipped rules refuse it at evaluate too, naming both readings, and
    the rules that loaded it decide it."""
    with edited_rules(tmp_path, "allocation.yaml", *ANY) as lenient:
        late = lenient.batch_from_data(LATE)
        with pytest.raises(q.BatchError):
            rules.batch_from_data(LATE)
        with pytest.raises(ValueError, match="other readings") as refused:
            q.evaluate(rules, late)
        assert str(refused.value) == (
            "evaluate(): the batch was checked under other readings than these rules "
            "(achieved_by_submission: the batch's any, these rules' required); load it "
            "again with these rules: rules.load_batch(path) or rules.batch_from_data(data)"
        )
        (d,) = q.evaluate(lenient, late).decisions
        assert d.rules_sha256 == lenient.sha256 != rules.sha256


def test_a_batch_loaded_under_other_industry_codes_is_refused(
    rules: q.RuleSet, tmp_path: Path
) -> None:
    """A standard's level depends on the industry codes: a batch the shipped rules loaded
    is refused by rules without AQ, and the difference is named."""
    loaded = rules.batch_from_data({**LATE, "claims": [claim("C1", "leading_enterprise")]})
    with edited_rules(tmp_path, "awards.yaml", "    - AQ  # 安全生产\n", "") as fewer:
        with pytest.raises(ValueError, match=re.escape("(industry codes: AQ only in the batch's)")):
            q.evaluate(fewer, loaded)
        assert len(q.evaluate(fewer, fewer.batch_from_data(q.batch_to_data(loaded))).decisions) == 1
