"""The policy staff's domain tests (rules/tests/*.yaml), one pytest case each, and their reach."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
import yaml

import qfund_rules as q
from qfund_rules.casebook import CaseResult, run_cases
from qfund_rules.cli import run
from qfund_rules.decision import REASON_CODES
from qfund_rules.rules import ITEM_IDS

from .conftest import ROOT, RULES_DIR

CASES_DIR = RULES_DIR / "tests"
RESULTS: list[CaseResult] = list(run_cases(q.load_rules(RULES_DIR), CASES_DIR))


def _expectations() -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
            out.extend(case["expect"])
    return out


@pytest.mark.parametrize("result", RESULTS, ids=[f"{Path(r.file).stem}: {r.name}" for r in RESULTS])
def test_case(result: CaseResult) -> None:
    """The engine makes exactly the decisions the case expects."""
    assert result.differences == ()


def test_every_item_is_awarded_somewhere() -> None:
    """Each of the 42 items is expected as an award in at least one case."""
    awarded = {e["item"] for e in _expectations() if e["outcome"] == "awarded"}
    assert sorted(set(ITEM_IDS) - awarded) == []


def test_every_reason_code_is_exercised() -> None:
    """Each reason code of the contract is expected in at least one case."""
    seen = {r for e in _expectations() for r in e.get("reasons", [])}  # type: ignore[attr-defined]
    assert sorted(set(REASON_CODES) - seen) == []


def test_a_wrong_expectation_fails(tmp_path: Path) -> None:
    """A case whose expectation is wrong reports the difference (the runner can fail)."""
    source = (CASES_DIR / "a09-quality-county.yaml").read_text(encoding="utf-8")
    (tmp_path / "wrong.yaml").write_text(
        source.replace("amount_yuan: 200000", "amount_yuan: 250000", 1), encoding="utf-8"
    )
    results = list(run_cases(q.load_rules(RULES_DIR), tmp_path))
    failing = [r for r in results if not r.passed]
    assert len(failing) == 1
    assert "amount_yuan: expected 250000, got 200000" in failing[0].differences[0]


def test_a_difference_shows_the_values_as_the_case_file_writes_them(tmp_path: Path) -> None:
    """A failing case shows expected and actual values as JSON (null, ["..."]), not reprs."""
    source = (CASES_DIR / "a09-quality-county.yaml").read_text(encoding="utf-8")
    wrong = "{claim: C1, outcome: rejected, item: null, amount_yuan: 200000, reasons: [banned]}"
    (tmp_path / "wrong.yaml").write_text(
        source.replace(
            "{claim: C1, outcome: awarded, item: a9.1, amount_yuan: 200000, reasons: []}", wrong, 1
        ),
        encoding="utf-8",
    )
    results = list(run_cases(q.load_rules(RULES_DIR), tmp_path))
    assert [line for r in results for line in r.differences] == [
        'C1.outcome: expected "rejected", got "awarded"',
        'C1.item: expected null, got "a9.1"',
        'C1.reasons: expected ["banned"], got []',
    ]


@pytest.mark.parametrize(
    "subject",
    [
        "subject: TS, ",
        "subject: 91650502MA78K2Q582, ",
        "",
        "subject: ts, ",
        "subject: 91650502ma78k2q582, ",
        "subject: 9165 0502 MA78 K2Q582, ",
    ],
)
def test_a_history_award_of_the_applicant_itself_meets_its_claim(
    tmp_path: Path, subject: str
) -> None:
    """An applicant with a USCC: its earlier prize, recorded with the id as subject (as the
    shipped cases write it), with its USCC, either in any case or spacing, or with no
    subject, is its claim's qualification (claims of the applicant itself have the USCC as
    subject)."""
    (tmp_path / "case.yaml").write_text(
        "cases:\n"
        "  - name: a prize already paid\n"
        "    batch:\n"
        "      round: 2027\n"
        "      submitted_on: 2027-03-20\n"
        "      applicants:\n"
        "        - {id: TS, name: 哈密某公司, org_type: enterprise, uscc: 91650502MA78K2Q582}\n"
        "      claims:\n"
        "        - {id: C1, applicant: TS, kind: quality_award, award: china, tier: winner,\n"
        "           first_time: true, achieved_on: 2027-01-08}\n"
        "    history:\n"
        "      awards:\n"
        f"        - {{applicant: TS, family: a11.china_quality_award, {subject}claim_id: R1,\n"
        "           item: a11.1.winner, amount_yuan: 600000, year: 2026}\n"
        "    expect:\n"
        "      - {claim: C1, outcome: rejected, item: a11.1.winner, amount_yuan: 0,\n"
        "         reasons: [not_first_time, already_awarded]}\n",
        encoding="utf-8",
    )
    results = list(run_cases(q.load_rules(RULES_DIR), tmp_path))
    assert [(r.passed, r.differences) for r in results] == [(True, ())]


def test_malformed_case_file_is_located(tmp_path: Path) -> None:
    """A case file with a misspelt key is refused with its line, before any case runs."""
    (tmp_path / "bad.yaml").write_text(
        "cases:\n  - name: x\n    batch: {}\n    expected: []\n", encoding="utf-8"
    )
    with pytest.raises(q.RuleFileError) as info:
        list(run_cases(q.load_rules(RULES_DIR), tmp_path))
    assert "bad.yaml:4:" in info.value.render()
    assert "did you mean 'expect'" in info.value.render()


# One small case, valid as written; each test below breaks one thing in it.
CASE = """\
cases:
  - name: a pilot approved pays 20 万元
    batch:
      round: 2027
      submitted_on: 2027-03-20
      applicants:
        - {id: YZ, name: 哈密市伊州区人民政府, org_type: government_agency, region: "650502"}
      claims:
        - {id: C1, applicant: YZ, kind: quality_county, stage: approved, achieved_on: 2026-09-15}
    history:
      awards: [{applicant: YZ, family: a9.pilot_acceptance, subject: YZ, claim_id: OLD1,
                item: a9.2, amount_yuan: 200000, year: 2026}]
      bans: [{applicant: YZ, claim_id: OLD2, found_on: 2023-05-01, until: 2026-05-01}]
    expect:
      - {claim: C1, outcome: awarded, item: a9.1, amount_yuan: 200000, reasons: []}
"""


def _write(directory: Path, name: str, *cases: tuple[tuple[str, str], ...]) -> Path:
    """Write ``directory/name`` holding CASE's case once per entry of ``cases``, each with
    that entry's (old, new) edits applied (14 lines per case, the first on line 2)."""
    text = "cases:\n"
    for edits in cases:
        body = CASE.removeprefix("cases:\n")
        for old, new in edits:
            assert old in body
            body = body.replace(old, new, 1)
        text += body
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def _problems(directory: Path) -> list[str]:
    """The problems ``run_cases`` raises for ``directory``, as the CLI prints them."""
    with pytest.raises(q.RuleFileError) as info:
        run_cases(q.load_rules(RULES_DIR), directory)
    return [str(p) for p in info.value.problems]


def test_the_small_case_passes(tmp_path: Path) -> None:
    """The case the tests below break runs and passes as written."""
    _write(tmp_path, "case.yaml", ())
    results = list(run_cases(q.load_rules(RULES_DIR), tmp_path))
    assert [(r.name, r.differences) for r in results] == [("a pilot approved pays 20 万元", ())]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "stage: approved,",
            'stage: approved, objection: "yes",',
            "9:74: cases[0].batch.claims[0].objection: expected true or false, got 'yes'",
            id="batch-wrong-type",
        ),
        pytest.param(
            "stage: approved",
            "stage: aproved",
            "9:57: cases[0].batch.claims[0].stage: invalid value 'aproved'; "
            "did you mean 'approved'? allowed: approved, accepted",
            id="batch-bad-value",
        ),
        pytest.param(
            "applicant: YZ,",
            "applicant: YX,",
            "9:20: cases[0].batch.claims[0].applicant: no applicant has the id 'YX'",
            id="batch-unknown-applicant",
        ),
        pytest.param(
            "item: a9.1, amount_yuan: 200000, reasons",
            "item: a99.9, amount_yuan: 200000, reasons",
            "15:39: cases[0].expect[0].item: unknown item id 'a99.9'; did you mean 'a9.2'?",
            id="expect-unknown-item",
        ),
        pytest.param(
            "reasons: []",
            "reasons: [top_up, bannedd]",
            "15:90: cases[0].expect[0].reasons[1]: unknown reason code 'bannedd'; did you mean "
            f"'banned'? (reason codes: {', '.join(REASON_CODES)})",
            id="expect-unknown-reason",
        ),
        pytest.param(
            "claim: C1",
            "claim: C2",
            "15:10: cases[0].expect[0].claim: no claim in the case's batch has the id 'C2'",
            id="expect-unknown-claim",
        ),
        pytest.param(
            "outcome: awarded",
            "outcome: awardd",
            "15:21: cases[0].expect[0].outcome: invalid value 'awardd'; did you mean "
            "'awarded'? allowed: awarded, rejected, superseded",
            id="expect-bad-outcome",
        ),
        pytest.param(
            "item: a9.2, amount_yuan: 200000, year",
            "item: a9.7, amount_yuan: 200000, year",
            "12:17: cases[0].history.awards[0].item: unknown item id 'a9.7'; did you mean 'a9.2'?",
            id="history-unknown-item",
        ),
        pytest.param(
            "family: a9.pilot_acceptance",
            "family: a9.pilot_aceptance",
            "11:32: cases[0].history.awards[0].family: 'a9.pilot_aceptance' is not the family "
            "of item 'a9.2', which is 'a9.pilot_acceptance': an award is held under its item's "
            "family (rulings R5)",
            id="history-unknown-family",
        ),
        pytest.param(
            "family: a9.pilot_acceptance",
            "family: a9.pilot_approval",
            "11:32: cases[0].history.awards[0].family: 'a9.pilot_approval' is not the family "
            "of item 'a9.2', which is 'a9.pilot_acceptance': an award is held under its item's "
            "family (rulings R5)",
            id="history-family-not-the-items",
        ),
        pytest.param(
            "subject: YZ",
            "subject: 哈密市伊州区人民政府",
            "11:61: cases[0].history.awards[0].subject: the subject of an award of item 'a9.2' "
            "is the applicant itself: leave it out, or write the applicant's id or USCC (got "
            "'哈密市伊州区人民政府', which no claim has: the applicant's own have 'YZ')",
            id="history-subject-the-applicants-name",
        ),
        pytest.param(
            "subject: YZ",
            "subject: ZZ",
            "11:61: cases[0].history.awards[0].subject: the subject of an award of item 'a9.2' "
            "is the applicant itself: leave it out, or write the applicant's id or USCC (got "
            "'ZZ', which no claim has: the applicant's own have 'YZ')",
            id="history-subject-another-id",
        ),
        pytest.param(
            "year: 2026}",
            "year: 2027}",
            "12:50: cases[0].history.awards[0].year: must be before the case's round (2027): "
            "the history holds the awards of earlier rounds, rulings R4 and R5 (got 2027)",
            id="history-year-of-the-round",
        ),
        pytest.param(
            "year: 2026}",
            "year: 2028}",
            "12:50: cases[0].history.awards[0].year: must be before the case's round (2027): "
            "the history holds the awards of earlier rounds, rulings R4 and R5 (got 2028)",
            id="history-year-after-the-round",
        ),
        pytest.param(
            "found_on: 2023-05-01",
            "found_on: 2026-02-30",
            "13:56: cases[0].history.bans[0].found_on: impossible date '2026-02-30': "
            "day is out of range for month",
            id="history-impossible-date",
        ),
        pytest.param(
            "found_on: 2023-05-01",
            "found_on: soon",
            "13:46: cases[0].history.bans[0].found_on: expected a date (YYYY-MM-DD) (got 'soon')",
            id="history-not-a-date",
        ),
        pytest.param(
            "applicant: YZ, family",
            "applicant: YZZ, family",
            "11:17: cases[0].history.awards[0].applicant: no applicant in the case's batch has "
            "the id 'YZZ'; did you mean 'YZ'?",
            id="history-award-unknown-applicant",
        ),
        pytest.param(
            "applicant: YZ, claim_id: OLD2",
            "applicant: ZZ, claim_id: OLD2",
            "13:15: cases[0].history.bans[0].applicant: no applicant in the case's batch has "
            "the id 'ZZ'",
            id="history-ban-unknown-applicant",
        ),
        pytest.param(
            "until: 2026-05-01",
            "until: 2022-05-01",
            "13:68: cases[0].history.bans[0].until: must be after found_on (2023-05-01): a ban "
            "covers [found_on, until), so this one covers no day (got 2022-05-01)",
            id="history-ban-backwards",
        ),
        pytest.param(
            "until: 2026-05-01",
            "until: 2023-05-01",
            "13:68: cases[0].history.bans[0].until: must be after found_on (2023-05-01): a ban "
            "covers [found_on, until), so this one covers no day (got 2023-05-01)",
            id="history-ban-empty",
        ),
        pytest.param(
            "amount_yuan: 200000, year",
            'amount_yuan: "200000", year',
            "12:29: cases[0].history.awards[0].amount_yuan: expected a whole number (got '200000')",
            id="history-amount-text",
        ),
        pytest.param(
            "amount_yuan: 200000, year",
            "amount_yuan: 50000.0, year",
            "12:29: cases[0].history.awards[0].amount_yuan: expected a whole number (got 50000.0)",
            id="history-amount-decimal",
        ),
        pytest.param(
            "amount_yuan: 200000, year",
            "amount_yuan: 0, year",
            "12:29: cases[0].history.awards[0].amount_yuan: must be a positive number of yuan: "
            "an earlier award paid its item's amount or a top-up (got 0)",
            id="history-amount-zero",
        ),
        pytest.param(
            "amount_yuan: 200000, year",
            "amount_yuan: -200000, year",
            "12:29: cases[0].history.awards[0].amount_yuan: must be a positive number of yuan: "
            "an earlier award paid its item's amount or a top-up (got -200000)",
            id="history-amount-negative",
        ),
        pytest.param(
            "year: 2026}",
            'year: "2026"}',
            "12:50: cases[0].history.awards[0].year: expected a whole number (got '2026')",
            id="history-year-text",
        ),
        pytest.param(
            "year: 2026}",
            "year: 2026.0}",
            "12:50: cases[0].history.awards[0].year: expected a whole number (got 2026.0)",
            id="history-year-decimal",
        ),
        pytest.param(
            "year: 2026}",
            "year: 20260}",
            "12:50: cases[0].history.awards[0].year: must be the year of a round, from 1 to 9999 "
            "(got 20260)",
            id="history-year-too-late",
        ),
        pytest.param(
            "year: 2026}",
            "year: 0}",
            "12:50: cases[0].history.awards[0].year: must be the year of a round, from 1 to 9999 "
            "(got 0)",
            id="history-year-zero",
        ),
        pytest.param(
            "amount_yuan: 200000, reasons",
            'amount_yuan: "200000", reasons',
            "15:51: cases[0].expect[0].amount_yuan: expected a whole number (got '200000')",
            id="expect-amount-text",
        ),
        pytest.param(
            "amount_yuan: 200000, reasons",
            "amount_yuan: 200000.0, reasons",
            "15:51: cases[0].expect[0].amount_yuan: expected a whole number (got 200000.0)",
            id="expect-amount-decimal",
        ),
        pytest.param(
            "amount_yuan: 200000, reasons",
            "amount_yuan: 0200000, reasons",
            "15:64: cases[0].expect[0].amount_yuan: YAML reads '0200000', with its leading "
            "zero, as the octal number 65536; write 200000 without the leading zero",
            id="expect-amount-octal",
        ),
        pytest.param(
            "amount_yuan: 200000, year: 2026",
            "amount_yuan: 200000, year: 2_026",
            "12:56: cases[0].history.awards[0].year: '2_026' is not a plain whole number; "
            "write 2026",
            id="history-year-digit-separator",
        ),
        pytest.param(
            "until: 2026-05-01",
            "until: 2026-05-01 08:00:00",
            "13:68: cases[0].history.bans[0].until: expected a date (YYYY-MM-DD), not a date "
            "and time (got 2026-05-01T08:00:00)",
            id="history-datetime",
        ),
        pytest.param(
            "claim_id: OLD1",
            'claim_id: ""',
            "11:74: cases[0].history.awards[0].claim_id: String should have at least 1 "
            "character (got '')",
            id="history-award-empty-claim-id",
        ),
        pytest.param(
            "claim_id: OLD2",
            'claim_id: ""',
            "13:30: cases[0].history.bans[0].claim_id: String should have at least 1 "
            "character (got '')",
            id="history-ban-empty-claim-id",
        ),
    ],
)
def test_a_case_that_cannot_run_is_bad_input(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    """A case wrong as written is one located problem, never a failing case."""
    path = _write(tmp_path, "case.yaml", ((old, new),))
    assert _problems(tmp_path) == [f"{path}:{expected}"]


def test_a_history_record_naming_an_applicant_by_its_uscc_is_told_to_use_the_id(
    tmp_path: Path,
) -> None:
    """The history is keyed by the batch's applicant ids; a USCC written there is pointed at."""
    path = _write(
        tmp_path,
        "case.yaml",
        (
            ('region: "650502"}', 'region: "650502", uscc: 91650502MA78K2Q582}'),
            ("applicant: YZ, family", "applicant: 91650502MA78K2Q582, family"),
        ),
    )
    assert _problems(tmp_path) == [
        f"{path}:11:17: cases[0].history.awards[0].applicant: no applicant in the case's batch "
        "has the id '91650502MA78K2Q582'; 91650502MA78K2Q582 is the USCC of applicant 'YZ': "
        "name it by its id"
    ]


def test_every_wrong_history_record_is_listed(tmp_path: Path) -> None:
    """Wrong applicants, a decimal amount and a backwards ban in one case: all reported, in
    file order (the model's problems and the checker's together)."""
    path = _write(
        tmp_path,
        "case.yaml",
        (
            ("applicant: YZ, family", "applicant: XX, family"),
            ("amount_yuan: 200000, year", "amount_yuan: 200000.0, year"),
            ("applicant: YZ, claim_id", "applicant: XX, claim_id"),
            ("until: 2026-05-01", "until: 2023-04-30"),
        ),
    )
    assert _problems(tmp_path) == [
        f"{path}:11:17: cases[0].history.awards[0].applicant: no applicant in the case's batch "
        "has the id 'XX'",
        f"{path}:12:29: cases[0].history.awards[0].amount_yuan: expected a whole number "
        "(got 200000.0)",
        f"{path}:13:15: cases[0].history.bans[0].applicant: no applicant in the case's batch "
        "has the id 'XX'",
        f"{path}:13:68: cases[0].history.bans[0].until: must be after found_on (2023-05-01): "
        "a ban covers [found_on, until), so this one covers no day (got 2023-04-30)",
    ]


def test_an_unknown_item_leaves_its_family_checked_by_name(tmp_path: Path) -> None:
    """With no item to take it from, a misspelt family is told the closest one."""
    path = _write(
        tmp_path,
        "case.yaml",
        (
            ("family: a9.pilot_acceptance", "family: a9.pilot_aceptance"),
            ("item: a9.2, amount_yuan: 200000, year", "item: a9.9, amount_yuan: 200000, year"),
        ),
    )
    assert _problems(tmp_path) == [
        f"{path}:11:32: cases[0].history.awards[0].family: unknown family 'a9.pilot_aceptance'; "
        "did you mean 'a9.pilot_acceptance'?",
        f"{path}:12:17: cases[0].history.awards[0].item: unknown item id 'a9.9'; did you mean "
        "'a9.2'?",
    ]


# A 新疆品质 enterprise with one claim, and one earlier award whose fields each test sets.
BRAND_CASE = """cases:
  - name: a brand award in the history
    batch:
      round: 2027
      submitted_on: 2027-03-20
      applicants:
        - {id: HG, name: 哈密瓜业有限公司, org_type: enterprise, uscc: 91650502MA78K2Q582}
      claims:
        - {id: C1, applicant: HG, kind: xinjiang_brand, event: recertification,
           subject: XJPZ-2027-0001, achieved_on: 2027-01-08}
    history:
      awards:
        - {applicant: HG, AWARD, claim_id: R1, amount_yuan: 50000, year: 2026}
    expect:
      - {claim: C1, outcome: awarded, item: a16.3, amount_yuan: 30000, reasons: []}
"""


@pytest.mark.parametrize(
    ("award", "expected"),
    [
        pytest.param(
            "family: a16.enterprise, item: a16.1, subject: 哈密瓜",
            "cases[0].history.awards[0].subject: the subject of an award of item 'a16.1' is the "
            "applicant itself: leave it out, or write the applicant's id or USCC (got '哈密瓜', "
            "which no claim has: the applicant's own have '91650502MA78K2Q582')",
            id="first-certification-of-a-product",
        ),
        pytest.param(
            "family: a16.product, item: a16.2",
            "cases[0].history.awards[0]: subject is required for an award of item 'a16.2' "
            "(xinjiang_brand): the product or certificate number",
            id="new-product-without-subject",
        ),
        pytest.param(
            "family: a16.certificate, item: a16.3, subject: null",
            "cases[0].history.awards[0].subject: subject is required for an award of item "
            "'a16.3' (xinjiang_brand): the product or certificate number",
            id="recertification-subject-null",
        ),
        pytest.param(
            "family: a13.standard, item: a13.1.national",
            "cases[0].history.awards[0]: subject is required for an award of item "
            "'a13.1.national' (standard): the standard number",
            id="standard-without-subject",
        ),
        pytest.param(
            "family: a13.standard, item: a13.1.national, subject: GB/T 45678",
            "cases[0].history.awards[0].subject: the subject of an award of item "
            "'a13.1.national' is its standard number: 'GB/T 45678': the year is missing (write "
            "it after a dash: 'GB/T 45678-2026')",
            id="standard-number-without-year",
        ),
    ],
)
def test_a_history_award_has_the_subject_its_items_claims_have(
    tmp_path: Path, award: str, expected: str
) -> None:
    """An award's subject is checked as its item's claims have it: the applicant itself for
    16(一), a product or certificate for 16(二)(三), a standard number for 第十三条."""
    (tmp_path / "case.yaml").write_text(BRAND_CASE.replace("AWARD", award), encoding="utf-8")
    assert [p.split(": ", 1)[1] for p in _problems(tmp_path)] == [expected]


@pytest.mark.parametrize(
    "award",
    [
        "family: a16.enterprise, item: a16.1",
        "family: a16.enterprise, item: a16.1, subject: hg",
        "family: a16.product, item: a16.2, subject: 哈密瓜",
        "family: a16.certificate, item: a16.3, subject: XJPZ-2026-0315",
    ],
)
def test_a_history_award_with_its_items_subject_runs(tmp_path: Path, award: str) -> None:
    """The enterprise's own award names itself or nothing; a product's names the product."""
    (tmp_path / "case.yaml").write_text(BRAND_CASE.replace("AWARD", award), encoding="utf-8")
    results = list(run_cases(q.load_rules(RULES_DIR), tmp_path))
    assert [(r.passed, r.differences) for r in results] == [(True, ())]


@pytest.mark.parametrize("subject", ["", ", subject: hg", ", subject: 91650502ma78k2q582"])
def test_an_enterprise_brand_award_meets_its_first_certification(
    tmp_path: Path, subject: str
) -> None:
    """A 16(一) award, its subject left out or the id or USCC in any case, is the
    enterprise's own: a second first certification is not paid (rulings R4)."""
    case = (
        BRAND_CASE.replace("AWARD", f"family: a16.enterprise, item: a16.1{subject}")
        .replace(
            "event: recertification,\n           subject: XJPZ-2027-0001,",
            "event: first_certification,",
        )
        .replace(
            "outcome: awarded, item: a16.3, amount_yuan: 30000, reasons: []",
            "outcome: rejected, item: a16.1, amount_yuan: 0, reasons: [not_first_time]",
        )
    )
    (tmp_path / "case.yaml").write_text(case, encoding="utf-8")
    results = list(run_cases(q.load_rules(RULES_DIR), tmp_path))
    assert [(r.passed, r.differences) for r in results] == [(True, ())]


@pytest.mark.parametrize(
    "number",
    ["GB/T 45678-2026", "GB/T 45678—2026", "gb／t45678-2026"],
    ids=["plain", "em-dash", "full-width-slash-lower-case"],
)
def test_a_standard_award_meets_its_claim_however_its_number_is_printed(
    tmp_path: Path, number: str
) -> None:
    """An earlier award's standard number is read as a claim's (rulings R7): printed with an
    em dash, a full-width slash or in lower case, it is the claim's standard."""
    (tmp_path / "case.yaml").write_text(
        "cases:\n"
        "  - name: a standard already paid\n"
        "    batch:\n"
        "      round: 2027\n"
        "      submitted_on: 2027-03-20\n"
        "      applicants:\n"
        "        - {id: TS, name: 哈密某公司, org_type: enterprise, region: '650502'}\n"
        "      claims:\n"
        "        - {id: C1, applicant: TS, kind: standard, action: formulate,\n"
        "           standard_no: GB/T 45678-2026, drafting_units: [{name: 哈密某公司,\n"
        "           region: '650502'}], achieved_on: 2026-11-08}\n"
        "    history:\n"
        "      awards:\n"
        f"        - {{applicant: TS, family: a13.standard, subject: {number}, claim_id: R1,\n"
        "           item: a13.1.national, amount_yuan: 200000, year: 2026}\n"
        "    expect:\n"
        "      - {claim: C1, outcome: rejected, item: a13.1.national, amount_yuan: 0,\n"
        "         reasons: [already_awarded]}\n",
        encoding="utf-8",
    )
    results = list(run_cases(q.load_rules(RULES_DIR), tmp_path))
    assert [(r.passed, r.differences) for r in results] == [(True, ())]


def test_a_ban_found_after_the_claims_were_submitted_is_a_case(tmp_path: Path) -> None:
    """A ban found after the round's claims were submitted is valid history that bans none of
    them (rulings R9: claims submitted in [found_on, until)), not bad input."""
    _write(
        tmp_path,
        "case.yaml",
        (("found_on: 2023-05-01, until: 2026-05-01", "found_on: 2027-04-01, until: 2030-04-01"),),
    )
    results = list(run_cases(q.load_rules(RULES_DIR), tmp_path))
    assert [(r.passed, r.differences) for r in results] == [(True, ())]


def test_every_history_record_that_would_never_match_is_listed(tmp_path: Path) -> None:
    """A wrong subject, a family not the item's and a year not before the round, in two files,
    are all raised together before any case runs."""
    a = _write(
        tmp_path,
        "a.yaml",
        (("subject: YZ", "subject: 伊州区"),),
        (("family: a9.pilot_acceptance", "family: a9.pilot_approval"),),
    )
    b = _write(tmp_path, "b.yaml", (("year: 2026}", "year: 2028}"),))
    located = [": ".join(p.split(": ")[:2]) for p in _problems(tmp_path)]
    assert located == [
        f"{a}:11:61: cases[0].history.awards[0].subject",
        f"{a}:25:32: cases[1].history.awards[0].family",
        f"{b}:12:50: cases[0].history.awards[0].year",
    ]


def test_every_problem_of_every_case_file_is_listed(tmp_path: Path) -> None:
    """Problems in several cases of several files are raised together, in file order."""
    a = _write(
        tmp_path,
        "a.yaml",
        (("stage: approved,", 'stage: approved, objection: "yes",'),),
        (
            ("reasons: []", "reasons: [bannedd]"),
            ("item: a9.1, amount_yuan: 200000, r", "item: x, amount_yuan: 200000, r"),
        ),
    )
    b = _write(tmp_path, "b.yaml", (), (("found_on: 2023-05-01", "found_on: 2026-02-30"),))
    _write(tmp_path, "c.yaml", ())
    located = [": ".join(p.split(": ")[:2]) for p in _problems(tmp_path)]
    assert located == [
        f"{a}:9:74: cases[0].batch.claims[0].objection",
        f"{a}:29:39: cases[1].expect[0].item",
        f"{a}:29:79: cases[1].expect[0].reasons[0]",
        f"{b}:27:56: cases[1].history.bans[0].found_on",
    ]


def test_an_impossible_date_in_a_batch_is_reported_once(tmp_path: Path) -> None:
    """The reader's report of an impossible claim date is not repeated by the batch check."""
    path = _write(tmp_path, "case.yaml", (("achieved_on: 2026-09-15", "achieved_on: 2026-09-31"),))
    assert _problems(tmp_path) == [
        f"{path}:9:87: cases[0].batch.claims[0].achieved_on: "
        "impossible date '2026-09-31': day is out of range for month"
    ]


def test_bad_input_is_raised_before_any_case_runs(tmp_path: Path) -> None:
    """run_cases raises at the call, so no result of a valid file can be shown before it."""
    _write(tmp_path, "a.yaml", ())
    _write(tmp_path, "b.yaml", (("claim: C1", "claim: C2"),))
    with pytest.raises(q.RuleFileError):
        run_cases(q.load_rules(RULES_DIR), tmp_path)


def _qfund(*argv: str) -> tuple[int, str, str]:
    """Run the qfund CLI in process; return exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_cli_bad_case_exits_2_with_every_problem_and_no_results(tmp_path: Path) -> None:
    """`qfund test` on a wrong case lists every problem, located, exits 2 and prints no PASS."""
    _write(tmp_path, "a.yaml", ())
    b = _write(
        tmp_path,
        "b.yaml",
        (("stage: approved,", 'stage: approved, objection: "yes",'),),
        (("reasons: []", "reasons: [bannedd]"),),
    )
    code, out, err = _qfund("test", str(tmp_path), "--rules", str(RULES_DIR))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"{b}:9:74: cases[0].batch.claims[0].objection: expected true or false, got 'yes'",
        f"{b}:29:82: cases[1].expect[0].reasons[0]: unknown reason code 'bannedd'; did you mean "
        f"'banned'? (reason codes: {', '.join(REASON_CODES)})",
        "qfund: 2 problems; nothing was decided",
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "item: a9.1, amount_yuan: 200000, reasons",
            "item: a99.9, amount_yuan: 200000, reasons",
            "15:39: cases[0].expect[0].item: unknown item id 'a99.9'",
            id="unknown-item",
        ),
        pytest.param(
            "amount_yuan: 200000, reasons",
            "amount_yuan: -1, reasons",
            "15:51: cases[0].expect[0].amount_yuan: must be at least 0 (got -1)",
            id="negative-amount",
        ),
        pytest.param(
            "found_on: 2023-05-01",
            "found_on: 2026-02-30",
            "13:56: cases[0].history.bans[0].found_on: impossible date '2026-02-30'",
            id="impossible-history-date",
        ),
        pytest.param(
            "applicant: YZ, claim_id",
            "applicant: ZZ, claim_id",
            "13:15: cases[0].history.bans[0].applicant: no applicant in the case's batch has "
            "the id 'ZZ'\n",
            id="history-unknown-applicant",
        ),
        pytest.param(
            "until: 2026-05-01",
            "until: 2023-05-01",
            "13:68: cases[0].history.bans[0].until: must be after found_on (2023-05-01)",
            id="history-empty-ban",
        ),
        pytest.param(
            "subject: YZ",
            "subject: 伊州区",
            "11:61: cases[0].history.awards[0].subject: the subject of an award of item 'a9.2' "
            "is the applicant itself",
            id="history-subject-not-the-applicant",
        ),
        pytest.param(
            "family: a9.pilot_acceptance",
            "family: a9.pilot_approval",
            "11:32: cases[0].history.awards[0].family: 'a9.pilot_approval' is not the family "
            "of item 'a9.2'",
            id="history-family-not-the-items",
        ),
        pytest.param(
            "year: 2026}",
            "year: 2028}",
            "12:50: cases[0].history.awards[0].year: must be before the case's round (2027)",
            id="history-year-after-the-round",
        ),
        pytest.param(
            "amount_yuan: 200000, year",
            'amount_yuan: "200000", year',
            "12:29: cases[0].history.awards[0].amount_yuan: expected a whole number "
            "(got '200000')\n",
            id="history-amount-text",
        ),
    ],
)
def test_cli_wrong_expectation_or_history_exits_2_located(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    """`qfund test` reports a wrong expect: or history: field at its line:col, exit 2."""
    path = _write(tmp_path, "case.yaml", ((old, new),))
    code, out, err = _qfund("test", str(tmp_path), "--rules", str(RULES_DIR))
    assert (code, out) == (2, "")
    assert err.startswith(f"{path}:{expected}")
    assert err.endswith("qfund: 1 problem; nothing was decided\n")


def test_cli_failing_case_still_exits_1(tmp_path: Path) -> None:
    """A valid case whose expectation the engine does not meet is a FAIL, exit 1."""
    _write(
        tmp_path, "case.yaml", (("amount_yuan: 200000, reasons", "amount_yuan: 250000, reasons"),)
    )
    code, out, err = _qfund("test", str(tmp_path), "--rules", str(RULES_DIR))
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        "FAIL case.yaml: a pilot approved pays 20 万元",
        "     C1.amount_yuan: expected 250000, got 200000",
        "0 passed, 1 failed",
    ]


@pytest.mark.parametrize(
    ("make", "message"),
    [(False, "no such directory"), (True, "no case files (*.yaml or *.yml) in this directory")],
)
def test_cli_a_directory_without_cases_is_named_for_what_it_is(
    tmp_path: Path, make: bool, message: str
) -> None:
    """A missing directory and an empty one are told apart; both are bad input (exit 2)."""
    directory = tmp_path / "cases"
    if make:
        directory.mkdir()
    code, out, err = _qfund("test", str(directory))
    assert (code, out) == (2, "")
    assert f"{directory}: {message}\n" in err


def test_the_case_file_example_of_the_docs_passes(tmp_path: Path) -> None:
    """docs/rule-files.md's example case file runs and passes as shown."""
    text = (ROOT / "docs" / "rule-files.md").read_text(encoding="utf-8")
    section = text[text.index("## Case files") :]
    example = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert example is not None
    (tmp_path / "example.yaml").write_text(example.group(1), encoding="utf-8")
    results = list(run_cases(q.load_rules(RULES_DIR), tmp_path))
    assert [(r.passed, r.differences) for r in results] == [(True, ())]


# CASE without its history: the claim is paid AMOUNT, as the test writing it says.
ONE_CASE = re.sub(r"    history:\n.*?(?=    expect:)", "", CASE, flags=re.DOTALL).replace(
    "amount_yuan: 200000, reasons: []", "amount_yuan: AMOUNT"
)


def test_a_case_result_holds_the_path_as_found(tmp_path: Path) -> None:
    """CaseResult.file is the case file's path as found, not escaped for a message: a name
    holding a line break or a quote is the file's own."""
    folder = tmp_path / "a\nb"
    folder.mkdir()
    names = ["it's.yaml", 'say "x".yaml', "c\nd.yaml", "e\x1bf.yaml"]
    for name in names:
        (folder / name).write_text(ONE_CASE.replace("AMOUNT", "200000"), encoding="utf-8")
    results = list(run_cases(q.load_rules(RULES_DIR), folder))
    assert sorted(str(folder / n) for n in names) == [r.file for r in results]


def test_qfund_test_names_a_case_file_escaped_once(tmp_path: Path) -> None:
    """`qfund test` names a case file on its PASS and FAIL lines as every message names a
    path (shown_path): as it is when printable (a quote included), escaped once when not,
    and never with a quote of the escaped directory left on it."""
    folder = tmp_path / "a\nb"
    folder.mkdir()
    files = {"it's.yaml": "200000", "c\nd.yaml": "200000", "e'\nf.yaml": "1", "g\x1bh.yaml": "1"}
    for name, amount in files.items():
        (folder / name).write_text(ONE_CASE.replace("AMOUNT", amount), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = run(["test", str(folder), "--rules", str(RULES_DIR)], out, err)
    case = "a pilot approved pays 20 万元"
    assert (code, err.getvalue()) == (1, "")
    assert [
        f"PASS 'c\\nd.yaml': {case}",
        f'FAIL "e\'\\nf.yaml": {case}',
        "     C1.amount_yuan: expected 1, got 200000",
        f"FAIL 'g\\x1bh.yaml': {case}",
        "     C1.amount_yuan: expected 1, got 200000",
        f"PASS it's.yaml: {case}",
        "2 passed, 2 failed",
    ] == out.getvalue().splitlines()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "two\nlines",
            "contains the control character U+000A; write one line of printable text "
            "(got 'two\\nlines')",
        ),
        (
            "a\x1bb",
            "contains the control character U+001B; write one line of printable text "
            "(got 'a\\x1bb')",
        ),
        ("   ", "must not be empty (got '   ')"),
    ],
    ids=["line break", "escape", "blank"],
)
def test_a_case_name_is_one_line_of_printable_text(tmp_path: Path, name: str, message: str) -> None:
    """A case's name is printed on its PASS or FAIL line: one that would split the line or
    print a control character is refused, located, before any case runs (exit 2)."""
    text = ONE_CASE.replace("AMOUNT", "200000")
    case = "a pilot approved pays 20 万元"
    assert case in text
    path = tmp_path / "a.yaml"
    path.write_text(text.replace(case, json.dumps(name)), encoding="utf-8")
    code, out, err = _qfund("test", str(tmp_path), "--rules", str(RULES_DIR))
    assert (code, out, err.splitlines()) == (
        2,
        "",
        [f"{path}:2:5: cases[0].name: {message}", "qfund: 1 problem; nothing was decided"],
    )
