"""Tests for the claims batch: its models, resolution, and every input check of the loader."""

from __future__ import annotations

import copy
import datetime as dt
import json
import pickle
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from stdnum.cn import uscc

import qfund_rules as q
from qfund_rules._validation import shown
from qfund_rules._yaml import read_yaml
from qfund_rules.claims import (
    CLAIM_TYPES,
    Batch,
    ClaimBase,
    StandardClaim,
    batch_from_data,
    batch_to_data,
    check_loaded,
    load_batch,
)
from qfund_rules.errors import BatchError, format_path

from .conftest import EXAMPLES_DIR

BATCHES = Path(__file__).parent / "fixtures" / "batches"
INDUSTRY = frozenset({"HG", "JB", "NB"})
KINDS = (
    "quality_county", "quality_chain", "quality_award", "leading_enterprise", "qc_group",
    "cqo_case", "cnas_accreditation", "ccc_lab", "testing_platform", "standard",
    "standardization_pilot", "technical_committee", "xinjiang_brand",
)  # fmt: skip


def with_check(first17: str) -> str:
    """A valid USCC: the 17 characters given and their GB 32100-2015 check character."""
    return first17 + str(uscc.calc_check_digit(first17))


USCC_YIZHOU = with_check("91650502MA78K2Q58")
USCC_HAIDIAN = with_check("91110108MA01ABCD1")


@pytest.fixture(scope="module")
def valid() -> Batch:
    """The batch of tests/fixtures/batches/valid.yaml, one claim of every kind."""
    return load_batch(BATCHES / "valid.yaml", industry_codes=INDUSTRY)


def claim(batch: Batch, claim_id: str) -> ClaimBase:
    return next(c for c in batch.claims if c.id == claim_id)


def problems(source: bytes, name: str = "batch.yaml") -> list[str]:
    with pytest.raises(BatchError) as caught:
        load_batch(source, industry_codes=INDUSTRY, name=name)
    return [str(p) for p in caught.value.problems]


def data_problems(data: object) -> list[str]:
    with pytest.raises(BatchError) as caught:
        batch_from_data(data, industry_codes=INDUSTRY)
    return [str(p) for p in caught.value.problems]


def minimal(**claim_fields: object) -> dict[str, object]:
    """A batch as plain data: one applicant and one claim with the fields given."""
    return {
        "round": 2027,
        "submitted_on": "2027-03-20",
        "applicants": [
            {"id": "A1", "name": "某公司", "org_type": "enterprise", "region": "650502"}
        ],
        "claims": [{"id": "C1", "applicant": "A1", "kind": "leading_enterprise", **claim_fields}],
    }


# --- the models ---------------------------------------------------------------------------


def test_claim_types_are_the_13_kinds_in_table_order() -> None:
    """CLAIM_TYPES maps the 13 kinds of interchange.md, in its order, to their classes."""
    expected = KINDS
    assert expected == tuple(CLAIM_TYPES)
    assert all(cls.model_fields["kind"].default == k for k, cls in CLAIM_TYPES.items())


@pytest.mark.parametrize("kind", KINDS)
def test_facts_declares_every_fact_and_the_dates(kind: str) -> None:
    """Every kind declares achieved_on and submitted_on as date facts."""
    facts = CLAIM_TYPES[kind].FACTS
    assert (dt.date, dt.date) == (facts["achieved_on"], facts["submitted_on"])


def test_facts_of_a_standard_claim() -> None:
    """A standard claim declares action, level, standard_no and lead_proof with their values."""
    expected = {
        "action": ("formulate", "revise"),
        "level": ("national", "industry", "local", "group", "enterprise"),
        "standard_no": str,
        "lead_proof": bool,
        "achieved_on": dt.date,
        "submitted_on": dt.date,
    }
    assert expected == dict(StandardClaim.FACTS)


def test_facts_keys_match_declaration(valid: Batch) -> None:
    """facts() returns exactly the facts its class declares, for every kind."""
    for c in valid.claims:
        assert set(type(c).FACTS) == set(c.facts()), c.kind


def test_facts_values_lie_in_their_declared_values(valid: Batch) -> None:
    """Every fact value of the resolved valid batch is allowed by its declaration."""
    for c in valid.claims:
        for name, value in c.facts().items():
            spec = type(c).FACTS[name]
            assert value in spec if isinstance(spec, tuple) else isinstance(value, spec), name


# --- a valid batch, resolved --------------------------------------------------------------


def test_valid_batch_holds_every_kind(valid: Batch) -> None:
    """The valid fixture loads, with one claim of each of the 13 kinds."""
    assert list(KINDS) == [c.kind for c in valid.claims]


def test_region_is_read_from_the_uscc(valid: Batch) -> None:
    """An applicant without region gets the USCC's digits 3-8 (rulings R3)."""
    expected = "650502"
    assert expected == valid.applicants[0].region


def test_region_given_is_kept(valid: Batch) -> None:
    """An applicant's declared region, agreeing with its USCC or without one, is kept."""
    expected = ["650502", "650521", "650522"]
    assert expected == [a.region for a in valid.applicants]


def test_submitted_on_defaults_to_the_batch(valid: Batch) -> None:
    """A claim without submitted_on takes the batch's submitted_on."""
    assert dt.date(2027, 3, 20) == claim(valid, "C01").submitted_on


def test_submitted_on_given_is_kept(valid: Batch) -> None:
    """A claim's own submitted_on overrides the batch default."""
    assert dt.date(2027, 3, 21) == claim(valid, "C10").submitted_on


def test_subject_defaults_to_the_applicant(valid: Batch) -> None:
    """Kinds whose subject is the applicant get the applicant as the ledger knows it: its
    USCC (A1 and A2 give one), so that one organisation under two ids is one qualification."""
    subjects = {c.id: c.subject for c in valid.claims}
    a1, a2 = "91650502MA78K2Q582", "91650521MA78K3R4XF"
    expected = {"C01": a1, "C03": a1, "C04": a1, "C07": a2, "C08": a2, "C13": a1}
    assert expected == {i: subjects[i] for i in expected}


def test_subject_of_an_applicant_without_uscc_is_its_id() -> None:
    """With no USCC the id is all there is; a subject written as the applicant's id is read
    the same way as one left out."""
    batch = batch_from_data(minimal(achieved_on="2027-01-01"), industry_codes=INDUSTRY)
    assert batch.claims[0].subject == "A1"
    data = minimal(achieved_on="2027-01-01", subject="A1")
    data["applicants"] = [
        {"id": "A1", "name": "某公司", "org_type": "enterprise", "uscc": USCC_YIZHOU}
    ]
    assert batch_from_data(data, industry_codes=INDUSTRY).claims[0].subject == USCC_YIZHOU


def test_subject_given_is_kept(valid: Batch) -> None:
    """A required subject is kept as written."""
    expected = "SAC/TC 123/SC 4"
    assert expected == claim(valid, "C12").subject


def test_standard_number_is_canonical(valid: Batch) -> None:
    """The printed GB／T 45678—2026 becomes GB/T 45678-2026, also as the claim's subject."""
    c = claim(valid, "C10")
    assert isinstance(c, StandardClaim)
    expected = ("GB/T 45678-2026", "GB/T 45678-2026")
    assert expected == (c.standard_no, c.subject)


def test_standard_subject_is_compared_after_normalisation() -> None:
    """A standard's subject written another way but naming the same number is accepted."""
    data = minimal(
        kind="standard",
        achieved_on="2026-11-02",
        subject="gb/t45678 – 2026",
        action="revise",
        standard_no="GB／T 45678—2026",
    )
    [c] = batch_from_data(data, industry_codes=INDUSTRY).claims
    expected = ("GB/T 45678-2026", "GB/T 45678-2026")
    assert isinstance(c, StandardClaim)
    assert expected == (c.subject, c.standard_no)


def test_standard_level_is_read_from_the_number(valid: Batch) -> None:
    """A standard claim without level gets the level its number implies (rulings R7)."""
    c = claim(valid, "C10")
    assert isinstance(c, StandardClaim)
    expected = "national"
    assert expected == c.level


def test_drafting_unit_region_is_read_from_its_uscc(valid: Batch) -> None:
    """A drafting unit with a USCC and no region gets the USCC's division code."""
    c = claim(valid, "C10")
    assert isinstance(c, StandardClaim)
    assert c.drafting_units is not None
    expected = ["110108", "650502"]
    assert expected == [u.region for u in c.drafting_units]


def test_credit_listing_reads_from_and_until(valid: Batch) -> None:
    """A credit listing's YAML keys from/until load as dates."""
    listing = valid.applicants[0].credit_listings[0]
    assert ("negative", dt.date(2026, 1, 10), dt.date(2026, 6, 30)) == (
        listing.list,
        listing.from_,
        listing.until,
    )


def test_defaults_of_review_and_flags(valid: Batch) -> None:
    """Unset review findings, objection and other_support take their no-problem defaults."""
    c = claim(valid, "C01")
    expected = ("ok", True, None, False, ())
    assert expected == (
        c.review.industrial_policy,
        c.review.related_to_quality,
        c.review.other_violation,
        c.objection,
        c.other_support,
    )


def test_models_are_frozen(valid: Batch) -> None:
    """A loaded batch cannot be changed in place."""
    with pytest.raises(ValueError, match="frozen"):
        valid.applicants[0].region = "650521"  # type: ignore[misc]


# --- round trips and other inputs ---------------------------------------------------------


def test_round_trip_through_data(valid: Batch) -> None:
    """batch_from_data(batch_to_data(b)) gives b back."""
    assert valid == batch_from_data(batch_to_data(valid), industry_codes=INDUSTRY)


def test_to_data_is_json_with_iso_dates(valid: Batch) -> None:
    """batch_to_data writes dates as ISO strings and the credit listing key as 'from'."""
    data = json.loads(json.dumps(batch_to_data(valid)))
    listing = data["applicants"][0]["credit_listings"][0]
    expected = ("2027-03-20", "2026-01-10")
    assert expected == (data["submitted_on"], listing["from"])
    # Indexable as integrators index it (mypy --strict checks this line in CI).
    first: str = batch_to_data(valid)["claims"][0]["id"]
    assert first == valid.claims[0].id


def test_json_input_loads(valid: Batch) -> None:
    """The same batch written as JSON loads to the same resolved batch."""
    text = json.dumps(batch_to_data(valid), ensure_ascii=False, indent=2).encode()
    assert valid == load_batch(text, industry_codes=INDUSTRY, name="batch.json")


def test_json_input_is_located() -> None:
    """A problem in a JSON batch is reported at its line."""
    text = json.dumps(minimal(achieved_on="2026-11-02", stage="approved"), indent=2).encode()
    expected = [
        "batch.json:18:7: claims[0].stage: unknown field 'stage'; allowed: achieved_on, "
        "applicant, id, kind, objection, other_support, review, subject, submitted_on"
    ]
    assert expected == problems(text, name="batch.json")


def test_a_json_batch_that_is_not_json_is_refused_at_its_place() -> None:
    """A .json batch YAML would read (a trailing comma here) is refused with the JSON error
    alone, located; no field is checked."""
    text = json.dumps(minimal(achieved_on="2026-11-02"), indent=2).replace(
        '"2026-11-02"\n', '"2026-11-02",\n'
    )
    expected = [
        "batch.json:17:34: not valid JSON: a comma before '}' (JSON has none after the last item)"
    ]
    assert expected == problems(text.encode(), name="batch.json")


def test_a_duplicate_key_in_a_json_batch_is_located() -> None:
    """JSON keeps the last of two equal keys without a word; a .json batch is refused with the
    repeated key at its line, as YAML is."""
    text = json.dumps(minimal(achieved_on="2026-11-02"), indent=2)
    text = text.replace('"round": 2027,', '"round": 2027,\n  "round": 2028,')
    expected = ["batch.json:3:3: round: duplicate key 'round' (first at line 2)"]
    assert expected == problems(text.encode(), name="batch.json")


@pytest.mark.parametrize("field", ["round", "id"])
def test_a_json_number_past_decimals_range_is_a_located_problem(field: str) -> None:
    """A JSON number with a 20-digit exponent (1e99999999999999999999), where a number or a
    text belongs, is a BatchError at its line and column, not a decimal.InvalidOperation."""
    text = json.dumps(minimal(achieved_on="2026-11-02"), indent=2)
    old = '"round": 2027' if field == "round" else '"id": "C1"'
    text = text.replace(old, f'"{field}": 1e99999999999999999999')
    line, column = position(text, text.index("1e9999"))
    where = "round" if field == "round" else "claims[0].id"
    expected = [
        f"batch.json:{line}:{column}: {where}: '1e99999999999999999999' is not a number qfund "
        "can read: its exponent is out of range"
    ]
    assert expected == problems(text.encode(), name="batch.json")


def test_a_c1_control_in_a_json_batchs_name_is_refused_at_its_place() -> None:
    """U+0080 raw in a JSON string is JSON's character (it was a YAML error without a
    column): in a name it is refused at the name's line and column, as its escape is."""
    data = minimal(achieved_on="2026-11-02")
    data["applicants"][0]["name"] = "某\x80公司"  # type: ignore[index]
    text = json.dumps(data, ensure_ascii=False, indent=2)
    expected = [
        "batch.json:7:7: applicants[0].name: contains the control character U+0080; write "
        "one line of printable text"
    ]
    assert expected == problems(text.encode(), name="batch.json")
    escaped = json.dumps(data, indent=2).encode()
    assert expected == problems(escaped, name="batch.json")


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2.027e3", "1:2: round: expected a whole number, got 2.027e3; write 2027"),
        ("2027E0", "1:2: round: expected a whole number, got 2027E0; write 2027"),
        ("1e5", "1:2: round: expected a whole number, got 1e5; write 100000"),
        ("2.0275e3", "1:2: round: expected a whole number, got 2.0275e3"),
        ("1e400", "1:2: round: expected a whole number, got 1e400"),
    ],
)
def test_a_json_number_with_an_exponent_is_no_whole_number(written: str, expected: str) -> None:
    """1e5 is a number in JSON, which YAML 1.1 reads as text: where a whole number is
    required it is refused at its place, saying what to write when it is whole (the text
    '1e5' was refused, quoted as text, and 2.027e3 too, though it is 2027)."""
    text = json.dumps(minimal(achieved_on="2026-11-02"), ensure_ascii=False)
    text = text.replace('"round": 2027,', f'"round": {written},')
    assert [f"batch.json:{expected}"] == problems(text.encode(), name="batch.json")


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2027.0", "batch.yaml:1:1: round: expected a whole number, got 2027.0; write 2027"),
        ("0x7EB", "batch.yaml:1:8: round: YAML reads '0x7EB' as the hexadecimal number 2027; "
         "write 2027 in decimal digits"),
    ],
    ids=["what it holds: at the key", "how it is written: at the value"],
)  # fmt: skip
def test_a_fields_problem_is_at_its_key_and_a_writing_problem_at_its_value(
    written: str, expected: str
) -> None:
    """The convention docs/limits.md states (its examples): a problem with what a field
    holds is located at the field's key, one with how the value is written at the value."""
    text = (BATCHES / "valid.yaml").read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("round:"))
    found = problems(f"round: {written}\n{body}\n".encode())
    assert [expected] == found


def test_a_long_number_is_echoed_as_a_marked_excerpt() -> None:
    """A round written with 100 000 zeros after its point is refused in a message of its
    start, marked as cut (it was echoed whole: a message of 100 KB)."""
    text = json.dumps(minimal(achieved_on="2026-11-02"), ensure_ascii=False)
    text = text.replace('"round": 2027,', f'"round": 2027.{"0" * 100_000},')
    assert [
        f"batch.json:1:2: round: expected a whole number, got 2027.{'0' * 35}... (100005 "
        "characters); write 2027"
    ] == problems(text.encode(), name="batch.json")


def test_a_claim_of_nested_lists_is_echoed_in_a_few_items() -> None:
    """A claim that is lists of lists, 280 000 values, is echoed two levels and six items
    deep (it was echoed whole: a message of 1.5 MB)."""

    def nest(depth: int) -> object:
        return "x" if depth == 0 else [nest(depth - 1)] * 6

    data = {**minimal(achieved_on="2026-11-02"), "claims": [nest(7)]}
    row = f"[{', '.join(['[...]'] * 6)}]"
    got = f"[{', '.join([row] * 6)}]"
    assert [f"<data>: claims[0]: a claim must be a mapping, got {got}"] == data_problems(data)


def test_a_json_number_with_an_exponent_is_no_text() -> None:
    """Where a text is required, a JSON number is refused, with an exponent as without
    (an id written 1e5 was read as the text '1e5')."""
    data = minimal(achieved_on="2026-11-02")
    text = json.dumps(data, ensure_ascii=False).replace('"C1"', "1e5").replace('"A1",', "1E+1,")
    expected = [
        "batch.json:1:63: applicants[0].id: expected a text, got 1E+1",
        "batch.json:1:150: claims[0].id: expected a text, got 1e5",
        "batch.json:1:161: claims[0].applicant: expected a text, got 1E+1",
    ]
    assert expected == problems(text.encode(), name="batch.json")


def test_an_exponent_in_a_yaml_batch_is_text_as_yaml_reads_it(valid: Batch) -> None:
    """YAML 1.1 reads 1e5 as text (a float needs a point and a signed exponent): a YAML
    batch's id written so is the text, as it always was."""
    data = batch_to_data(valid)
    text = json.dumps(data, ensure_ascii=False).replace(f'"{data["claims"][0]["id"]}"', "1e5")
    batch = load_batch(text.encode(), industry_codes=INDUSTRY, name="batch.yaml")
    assert batch.claims[0].id == "1e5"


def test_a_json_batch_decides_as_its_yaml_twin(rules: q.RuleSet, tmp_path: Path) -> None:
    """The example batch written out as JSON (every CJK character an escape, as json.dumps
    writes it) loads to the same batch and gets the same decisions, byte for byte."""
    yaml_path = EXAMPLES_DIR / "claims-2027.yaml"
    doc, found = read_yaml(yaml_path)
    assert doc is not None
    assert found == []
    json_path = tmp_path / "claims-2027.json"
    json_path.write_text(json.dumps(doc.data, default=str, indent=2), encoding="ascii")
    from_yaml, from_json = rules.load_batch(yaml_path), rules.load_batch(json_path)
    assert from_yaml == from_json
    assert q.evaluate(rules, from_yaml).to_json() == q.evaluate(rules, from_json).to_json()


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ('{"round": 2027, "claims": []}', "claims.json"),
        ("  [1, 2]", "claims.json"),
        ("round: 2027\nclaims: []\n", "claims.yaml"),
        ("{" + "x" * 5000 + "}", "claims.json"),  # too long for a file name
    ],
)
def test_a_batchs_text_given_as_a_path_says_to_give_bytes(text: str, name: str) -> None:
    """A str is a path; one that names no file and reads as a batch's text is refused saying
    how to load the text (it said only that the file was missing; a long one, that the file
    name was too long)."""
    why = "runs over lines" if name == "claims.yaml" else f"starts with {text.strip()[0]!r}"
    with pytest.raises(BatchError) as refused:
        load_batch(text, industry_codes=INDUSTRY)
    assert str(refused.value) == (
        f"{shown(text)}: no such file: a str is read as a batch file's path, and this one "
        f"{why}, as a batch's text does; give the text as bytes, rules.load_batch("
        f'text.encode(), name="{name}"), or data already parsed to rules.batch_from_data(data)'
    )


def test_a_file_named_like_a_batchs_text_is_read(
    valid: Batch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A str naming a file is its path, whatever it starts with."""
    (tmp_path / "{batch}.json").write_text(json.dumps(batch_to_data(valid)), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert valid == load_batch("{batch}.json", industry_codes=INDUSTRY)


def test_a_path_no_file_can_have_is_a_batch_error(rules: q.RuleSet) -> None:
    """A batch path holding a NUL is a BatchError naming it escaped, not a ValueError."""
    with pytest.raises(BatchError) as info:
        rules.load_batch("claims\x00.yaml")
    assert info.value.render() == (
        r"'claims\x00.yaml': cannot read file: the path holds a NUL character (U+0000), which "
        "no file name can"
    )


def test_a_missing_path_that_is_no_text_is_still_a_missing_file() -> None:
    """A plain path that names no file says so, as it did."""
    with pytest.raises(BatchError, match=re.escape("nowhere.yaml: cannot read file: No such")):
        load_batch("nowhere.yaml", industry_codes=INDUSTRY)


def test_data_accepts_date_objects() -> None:
    """Plain data may hold datetime.date objects where JSON holds ISO strings."""
    batch = batch_from_data(minimal(achieved_on=dt.date(2026, 11, 2)), industry_codes=INDUSTRY)
    assert dt.date(2026, 11, 2) == batch.claims[0].achieved_on


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        pytest.param(dt.datetime(2026, 11, 2, 9, 0), "not a date and time", id="datetime"),
        pytest.param(20261102, "expected a date (YYYY-MM-DD), got 20261102", id="int"),
        pytest.param("2026-W44-1", "got '2026-W44-1'", id="iso-week"),
        pytest.param("2026-02-30", "impossible date '2026-02-30'", id="impossible"),
    ],
)
def test_data_refuses_non_dates(value: object, fragment: str) -> None:
    """Only dates and YYYY-MM-DD strings of real dates are dates."""
    [message] = data_problems(minimal(achieved_on=value))
    assert message.startswith("<data>: claims[0].achieved_on: ")
    assert fragment in message


def test_data_refuses_a_non_mapping() -> None:
    """Data that is not a mapping is refused as a whole."""
    expected = [
        "<data>: a claims batch must be a mapping with the keys round, submitted_on, "
        "applicants, claims"
    ]
    assert expected == data_problems([1, 2])


def test_uscc_is_compacted() -> None:
    """A USCC written in lower case with spaces is stored in its compact form."""
    data = minimal(achieved_on="2026-11-02")
    data["applicants"] = [
        {"id": "A1", "name": "某公司", "org_type": "enterprise", "uscc": " 9165 0502ma78k2q582"}
    ]
    batch = batch_from_data(data, industry_codes=INDUSTRY)
    expected = (USCC_YIZHOU, "650502")
    assert expected == (batch.applicants[0].uscc, batch.applicants[0].region)


def test_unreadable_yaml_is_a_batch_error() -> None:
    """A file that is not YAML is refused with a BatchError, not a parser exception."""
    [message] = problems(b"round: [2027\n")
    assert message.startswith("batch.yaml:2:")
    assert "not valid YAML" in message


# --- every input check, one tiny file each ------------------------------------------------

INVALID = [
    ("unknown_kind", "9:5: claims[0].kind: unknown kind 'standrad'; did you mean 'standard'? "
     "kinds: quality_county, quality_chain,"),
    ("missing_kind", "7:5: claims[0].kind: missing required field 'kind'; kinds: "
     "quality_county,"),
    ("unknown_field", "13:5: claims[0].lead_prof: unknown field 'lead_prof'; did you mean "
     "'lead_proof'? allowed: achieved_on, action, applicant, drafting_units,"),
    ("unknown_review_field", "12:7: claims[0].review.industrial_polcy: unknown field "
     "'industrial_polcy'; did you mean 'industrial_policy'? allowed: industrial_policy, "
     "other_violation, related_to_quality"),
    ("unknown_top_field", "4:1: applicant: unknown field 'applicant'; did you mean "
     "'applicants'? allowed: applicants, claims, round, submitted_on"),
    ("missing_first_time", "7:5: claims[0].first_time: missing required field 'first_time'"),
    ("bad_enum", "12:5: claims[0].tier: invalid value 'silver'; allowed: winner, nominee"),
    ("misspelt_enum", "11:5: claims[0].stage: invalid value 'aproved'; did you mean "
     "'approved'? allowed: approved, accepted"),
    ("credit_listing_enum", "10:10: applicants[0].credit_listings[0].list: invalid value "
     "'blacklist'; allowed: dishonest, negative"),
    ("impossible_date", "10:18: claims[0].achieved_on: impossible date '2026-02-30'"),
    ("datetime", "10:5: claims[0].achieved_on: expected a date (YYYY-MM-DD), not a date and time"),
    ("bool_string", "11:5: claims[0].first_time: expected true or false, got 'yes'"),
    ("round_string", "2:1: round: expected a whole number, got '2027'"),
    ("round_decimal", "2:1: round: expected a whole number, got 2027.0"),
    ("round_octal", "2:8: round: YAML reads '03747', with its leading zero, as the octal "
     "number 2023; write 3747 without the leading zero"),
    ("uscc_check", "8:5: applicants[0].uscc: invalid USCC '91650502MA78K2Q583': bad check "
     "character"),
    ("uscc_format", "8:5: applicants[0].uscc: invalid USCC '91650502MA78K2QO82': characters "
     "1-8 must be digits, 9-18 digits or capital letters other than I O S V Z"),
    ("uscc_length", "8:5: applicants[0].uscc: invalid USCC '91650502MA78K2Q58': it has 17 "
     "characters, not 18"),
    ("region_disagrees", "8:5: applicants[0].region: region '650521' disagrees with the USCC's "
     "division code '650502'"),
    ("region_missing", "5:5: applicants[0].region: region is required when no uscc is given"),
    ("region_format", "8:5: applicants[0].region: '65050' is not a 6-digit division code"),
    ("region_unquoted", "8:5: applicants[0].region: write the division code as a quoted "
     'string: "650502"'),
    ("duplicate_applicant", "6:6: applicants[1].id: duplicate applicant id 'A1' (first at "
     "applicants[0], line 5)"),
    ("standard_no_year", "12:5: claims[0].standard_no: 'GB/T 45678': the year is missing"),
    ("standard_no_code", "12:5: claims[0].standard_no: 'XX/T 123-2020': unknown industry "
     "code 'XX'"),
    ("level_disagrees", "13:5: claims[0].level: level 'national' disagrees with the standard "
     "number 'DB65/T 1234-2025', which is a local standard"),
    ("standard_subject", "11:5: claims[0].subject: subject 'GB/T 45678-2025' is not the "
     "standard number 'GB/T 45678-2026'"),
    ("drafting_unit_uscc", "14:26: claims[0].drafting_units[0].uscc: invalid USCC "
     "'91110108MA01ABCD1F': bad check character"),
    ("drafting_unit_region", "14:26: claims[0].drafting_units[0].region: region '650502' "
     "disagrees with the USCC's division code '110108'"),
    ("unknown_applicant", "8:5: claims[0].applicant: no applicant has the id 'A11'; did you "
     "mean 'A1'?"),
    ("duplicate_claim", "8:6: claims[1].id: duplicate claim id 'C1' (first at claims[0], "
     "line 7)"),
    ("subject_missing", "7:5: claims[0].subject: subject is required for kind 'qc_group': the "
     "group name"),
    ("brand_subject_missing", "7:5: claims[0].subject: subject is required for kind "
     "'xinjiang_brand'"),
    ("empty_name", "11:5: claims[0].subject: must not be empty"),
    ("claim_not_mapping", "7:5: claims[0]: a claim must be a mapping, got 'C1'"),
    ("not_mapping", "2:1: a claims batch must be a mapping with the keys round, submitted_on,"),
    ("claims_not_list", "5:1: claims: expected a list"),
    ("applicants_not_list", "4:1: applicants: expected a list, got 'A1'"),
]  # fmt: skip


@pytest.mark.parametrize(("stem", "expected"), INVALID, ids=[stem for stem, _ in INVALID])
def test_invalid_batch_reports_one_located_problem(stem: str, expected: str) -> None:
    """Each invalid fixture yields exactly one problem, at its line, saying what is wrong."""
    path = BATCHES / "invalid" / f"{stem}.yaml"
    with pytest.raises(BatchError) as caught:
        load_batch(path, industry_codes=INDUSTRY, name=path.name)
    [message] = [str(p) for p in caught.value.problems]
    assert message.startswith(f"{stem}.yaml:{expected}")


def test_every_invalid_fixture_is_checked() -> None:
    """No invalid fixture file is left without its expected message."""
    on_disk = sorted(p.stem for p in (BATCHES / "invalid").glob("*.yaml"))
    assert on_disk == sorted(stem for stem, _ in INVALID)


def test_every_problem_in_a_file_is_reported_in_line_order() -> None:
    """One BatchError lists every problem of the file, sorted by line."""
    source = f"""round: 2027
submitted_on: 2027-03-20
applicants:
  - {{id: A1, name: 某公司, org_type: enterprise, region: "650521", uscc: {USCC_YIZHOU}}}
claims:
  - id: C1
    applicant: A2
    kind: standard
    achieved_on: 2026-11-32
    action: formulate
    standrad_no: GB/T 45678-2026
  - {{id: C1, applicant: A1, kind: qc_grop, achieved_on: 2026-11-02}}
""".encode()
    expected = [
        "batch.yaml:4:47: applicants[0].region: region '650521' disagrees",
        "batch.yaml:6:5: claims[0].standard_no: missing required field 'standard_no'",
        "batch.yaml:7:5: claims[0].applicant: no applicant has the id 'A2'",
        "batch.yaml:9:18: claims[0].achieved_on: impossible date '2026-11-32'",
        "batch.yaml:11:5: claims[0].standrad_no: unknown field 'standrad_no'; did you mean "
        "'standard_no'?",
        "batch.yaml:12:6: claims[1].id: duplicate claim id 'C1'",
        "batch.yaml:12:29: claims[1].kind: unknown kind 'qc_grop'; did you mean 'qc_group'?",
    ]
    found = problems(source)
    assert expected == [m[: len(e)] for e, m in zip(expected, found, strict=True)]


# --- the round's year and a credit listing's end ------------------------------------------

LISTED = """round: {round}
submitted_on: 2027-03-20
applicants:
  - id: A1
    name: 某公司
    org_type: enterprise
    region: "650502"
    credit_listings:
      - {{list: dishonest, from: {start}, until: {end}}}
claims:
  - {{id: C1, applicant: A1, kind: leading_enterprise, achieved_on: 2026-11-02}}
"""


def listed(round_: object = 2027, start: str = "2026-11-15", end: str = "null") -> bytes:
    """A batch of one claim whose applicant has one dishonest listing from ``start``."""
    return LISTED.format(round=round_, start=start, end=end).encode()


@pytest.mark.parametrize("value", [2**63, -1, 0, 10_000])
def test_round_outside_the_years_a_date_holds_is_located(value: int) -> None:
    """A round that is not a year from 1 to 9999 is one problem located at round."""
    expected = [
        f"batch.yaml:1:1: round: must be an application year (申报年度) from 1 to 9999, got {value}"
    ]
    assert expected == problems(listed(round_=value))


@pytest.mark.parametrize("value", [1, 9999])
def test_round_may_be_any_year_a_date_holds(value: int) -> None:
    """The first and the last year a datetime.date holds are rounds."""
    assert value == load_batch(listed(round_=value), industry_codes=INDUSTRY).round


def test_round_out_of_range_in_data_is_refused() -> None:
    """batch_from_data refuses a round beyond a 64-bit integer, located by field path."""
    data = minimal(achieved_on="2026-11-02")
    data["round"] = 2**64
    expected = [
        "<data>: round: must be an application year (申报年度) from 1 to 9999, "
        "got 18446744073709551616"
    ]
    assert expected == data_problems(data)


def test_batch_model_refuses_a_round_out_of_range() -> None:
    """A Batch built without the loader cannot hold a round that is not a year either."""
    with pytest.raises(ValueError, match="from 1 to 9999, got 0"):
        Batch(round=0, submitted_on=dt.date(2027, 3, 20), applicants=(), claims=())


def test_listing_ending_before_it_starts_is_located_at_until() -> None:
    """A credit listing whose until is before its from is a problem located at until."""
    expected = [
        "batch.yaml:9:45: applicants[0].credit_listings[0].until: until 2026-01-01 is before "
        "from 2026-11-15: a listing cannot end before it starts"
    ]
    assert expected == problems(listed(end="2026-01-01"))


def test_listing_ending_before_it_starts_in_data_is_refused() -> None:
    """batch_from_data refuses the same listing, located by field path."""
    data = minimal(achieved_on="2026-11-02")
    data["applicants"] = [
        {
            "id": "A1",
            "name": "某公司",
            "org_type": "enterprise",
            "region": "650502",
            "credit_listings": [{"list": "negative", "from": "2027-01-02", "until": "2027-01-01"}],
        }
    ]
    expected = [
        "<data>: applicants[0].credit_listings[0].until: until 2027-01-01 is before from "
        "2027-01-02: a listing cannot end before it starts"
    ]
    assert expected == data_problems(data)


@pytest.mark.parametrize("end", ["2026-11-15", "2026-11-16", "null"])
def test_listing_of_one_day_or_more_loads(end: str) -> None:
    """A listing ending on the day it starts, later, or not yet is kept as written."""
    batch = load_batch(listed(end=end), industry_codes=INDUSTRY)
    expected = (dt.date(2026, 11, 15), None if end == "null" else dt.date.fromisoformat(end))
    [listing] = batch.applicants[0].credit_listings
    assert expected == (listing.from_, listing.until)


def test_listing_with_a_refused_from_reports_from_only() -> None:
    """When from is not a date, until is not compared with it: the one problem is at from."""
    expected = [
        "batch.yaml:9:27: applicants[0].credit_listings[0].from: expected a date (YYYY-MM-DD), "
        "got 'soon'"
    ]
    assert expected == problems(listed(start="soon", end="2026-01-01"))


def test_round_and_listing_problems_are_reported_together() -> None:
    """A bad round, a listing ending before it starts and an unknown applicant: all three."""
    source = listed(round_=0, end="2026-01-01").replace(b"applicant: A1,", b"applicant: A2,")
    expected = [
        "batch.yaml:1:1: round: must be an application year",
        "batch.yaml:9:45: applicants[0].credit_listings[0].until: until 2026-01-01 is before",
        "batch.yaml:11:14: claims[0].applicant: no applicant has the id 'A2'",
    ]
    found = problems(source)
    assert expected == [m[: len(e)] for e, m in zip(expected, found, strict=True)]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "true"),
        (None, "null"),
        (Decimal("2027.0"), "2027.0"),
        (dt.date(2026, 1, 1), "2026-01-01"),
        (dt.datetime(2026, 1, 1, 8, 0), "2026-01-01T08:00:00"),
        ([dt.date(2027, 3, 20), False], "[2027-03-20, false]"),
        ("2027", "'2027'"),
    ],
)
def test_a_refused_value_is_quoted_as_the_file_writes_it(value: object, text: str) -> None:
    """Messages quote YAML (true, null, 2026-01-01), not Python (True, None, datetime.date)."""
    assert shown(value) == text


def test_a_wrong_type_message_quotes_the_file() -> None:
    """`submitted_on: [2027-03-20]` is reported with the value as written."""
    source = "round: 2027\nsubmitted_on: [2027-03-20]\napplicants: []\nclaims: []\n"
    with pytest.raises(BatchError) as caught:
        load_batch(source.encode(), industry_codes=INDUSTRY, name="b.yaml")
    assert [str(p) for p in caught.value.problems] == [
        "b.yaml:2:1: submitted_on: expected a date (YYYY-MM-DD), got [2027-03-20]"
    ]


def test_a_duplicate_key_does_not_hide_the_other_problems() -> None:
    """A repeated key is one located problem; the rest of the file is still checked."""
    source = """round: 2027
submitted_on: 2027-03-20
applicants:
  - {id: A1, name: 哈密某公司, org_type: enterprise, region: "650502"}
claims:
  - {id: C1, applicant: A1, kind: leading_enterprise, achieved_on: 2027-02-30}
  - id: C2
    applicant: A1
    applicant: A9
    kind: leading_enterpris
    achieved_on: 2026-12-01
"""
    with pytest.raises(BatchError) as caught:
        load_batch(source.encode(), industry_codes=INDUSTRY, name="b.yaml")
    assert [str(p).split(": ", 2)[:2] for p in caught.value.problems] == [
        ["b.yaml:6:68", "claims[0].achieved_on"],
        ["b.yaml:9:5", "claims[1].applicant"],
        ["b.yaml:10:5", "claims[1].kind"],
    ]
    assert str(caught.value.problems[1]).endswith("duplicate key 'applicant' (first at line 8)")


# --- an honour is claimed once granted (allocation.yaml achieved_by_submission) -----------

LATE_HONOUR = b"""round: 2027
submitted_on: 2027-03-20
applicants:
  - {id: A1, name: \xe6\x9f\x90\xe5\x85\xac\xe5\x8f\xb8, org_type: enterprise, region: "650502"}
claims:
  - {id: C1, applicant: A1, kind: leading_enterprise, achieved_on: 2027-03-20}
  - {id: C2, applicant: A1, kind: leading_enterprise, achieved_on: 2027-03-21}
  - {id: C3, applicant: A1, kind: leading_enterprise, achieved_on: 2027-05-01,
     submitted_on: 2027-04-30}
  - {id: C4, applicant: A1, kind: leading_enterprise, achieved_on: 2027-05-01,
     submitted_on: 2027-05-01}
"""


def test_a_claim_achieved_after_it_was_submitted_is_located_at_achieved_on() -> None:
    """Achieved after the batch's default or its own submitted_on: one problem each;
    achieved on the day it is submitted is fine."""
    assert problems(LATE_HONOUR) == [
        "batch.yaml:7:55: claims[1].achieved_on: achieved_on 2027-03-21 is after the batch's "
        "default submitted_on 2027-03-20: an honour is claimed once granted "
        "(allocation.yaml achieved_by_submission)",
        "batch.yaml:8:55: claims[2].achieved_on: achieved_on 2027-05-01 is after its "
        "submitted_on 2027-04-30: an honour is claimed once granted "
        "(allocation.yaml achieved_by_submission)",
    ]


def test_a_claim_achieved_after_it_was_submitted_in_data_is_refused() -> None:
    """batch_from_data makes the same check, located by field path."""
    data = minimal(achieved_on="2027-04-01")
    assert data_problems(data) == [
        "<data>: claims[0].achieved_on: achieved_on 2027-04-01 is after the batch's default "
        "submitted_on 2027-03-20: an honour is claimed once granted "
        "(allocation.yaml achieved_by_submission)"
    ]


def test_achieved_by_submission_off_accepts_a_later_honour() -> None:
    """With the check off (policy any), the claims load with the dates as written."""
    batch = load_batch(LATE_HONOUR, industry_codes=INDUSTRY, achieved_by_submission=False)
    assert [(c.achieved_on.isoformat(), str(c.submitted_on)) for c in batch.claims] == [
        ("2027-03-20", "2027-03-20"),
        ("2027-03-21", "2027-03-20"),
        ("2027-05-01", "2027-04-30"),
        ("2027-05-01", "2027-05-01"),
    ]


def test_problems_in_data_are_listed_claim_by_claim() -> None:
    """Without lines to order them, problems follow the field path: claims[2] before
    claims[10] (not the order of their messages), one claim's problems together."""
    data = minimal(achieved_on="2026-11-02")
    claims = [{**data["claims"][0], "id": f"C{n}"} for n in range(11)]  # type: ignore[index]
    del claims[2]["kind"]  # "missing required field ..." sorts after "achieved_on ..."
    claims[10] = {**claims[10], "achieved_on": "2027-04-01"}
    data["claims"] = claims
    assert [p.split(": ")[1] for p in data_problems(data)] == [
        "claims[2].kind",
        "claims[10].achieved_on",
    ]


@pytest.mark.parametrize("container", [tuple, iter], ids=["tuple", "iterator"])
def test_batch_data_lists_may_be_tuples_or_iterables(container: Any) -> None:
    """Applicants and claims given as a tuple or an iterator are read whole: the batch has
    every claim (they were silently read as empty, a batch of no claims)."""
    data = minimal(achieved_on="2026-11-02")
    claims = [{**data["claims"][0], "id": f"C{n}"} for n in range(3)]  # type: ignore[index]
    data["claims"] = container(claims)
    data["applicants"] = container(data["applicants"])
    batch = batch_from_data(data, industry_codes=INDUSTRY)
    assert [c.id for c in batch.claims] == ["C0", "C1", "C2"]
    assert [a.id for a in batch.applicants] == ["A1"]


def test_batch_data_claims_that_are_not_a_list_are_refused() -> None:
    """A mapping or a text where the claims belong is an error, never a batch of none."""
    data = minimal(achieved_on="2026-11-02")
    data["claims"] = {"C1": data["claims"]}
    assert [p.split(": ")[1] for p in data_problems(data)] == ["claims"]


@pytest.mark.parametrize(
    ("where", "value", "code"),
    [
        (("applicants", 0, "name"), "哈密\x1b[2J某公司", "001B"),
        (("claims", 0, "id"), "C1\r", "000D"),
        (("claims", 0, "subject"), "质量\u202e标准", "202E"),
        (("claims", 0, "review", "other_violation"), "见附件\x07", "0007"),
    ],
    ids=["escape in a name", "carriage return in an id", "bidi override", "bell in prose"],
)
def test_control_characters_are_refused_where_they_would_reach_a_terminal(
    where: tuple[str | int, ...], value: str, code: str
) -> None:
    """An id, a name or a subject with a control character (ESC, CR, a bidi override)
    could print over another decision: refused at its place; a finding may span lines."""
    data: dict[str, Any] = minimal(achieved_on="2026-11-02")
    data["claims"][0].update(kind="qc_group", level="national", subject="一号QC小组")
    data["claims"][0]["review"] = {"other_violation": "第一行\n第二行\t附表"}
    assert len(batch_from_data(data, industry_codes=INDUSTRY).claims) == 1
    target: Any = data
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    (problem,) = data_problems(data)
    assert problem.startswith(f"<data>: {format_path(where)}: contains the control character "
                              f"U+{code}")  # fmt: skip


_VISIBLE = "write the id in visible characters"
_ONE_LINE = "write one line of printable text"
_PLAIN = "which looks like a plain space; write the id with plain spaces (U+0020)"


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        (("claims", 0, "id"), "C\u20281", f"the line separator U+2028; {_ONE_LINE}"),
        (("applicants", 0, "name"), "哈密\u2029", f"the paragraph separator U+2029; {_ONE_LINE}"),
        (("claims", 0, "subject"), "一号\u2028QC小组", f"the line separator U+2028; {_ONE_LINE}"),
        (
            ("claims", 0, "id"),
            "C\u200b1",
            f"the invisible format character U+200B (ZERO WIDTH SPACE); {_VISIBLE}",
        ),
        (
            ("applicants", 0, "id"),
            "\ufeffA1",
            f"the invisible format character U+FEFF (ZERO WIDTH NO-BREAK SPACE); {_VISIBLE}",
        ),
        (
            ("claims", 0, "applicant"),
            "A1\u00ad",
            f"the invisible format character U+00AD (SOFT HYPHEN); {_VISIBLE}",
        ),
        (
            ("claims", 0, "id"),
            "C1\u200e",
            f"the invisible format character U+200E (LEFT-TO-RIGHT MARK); {_VISIBLE}",
        ),
        (("claims", 0, "id"), "C1\uffff", f"the noncharacter U+FFFF; {_ONE_LINE}"),
        (("applicants", 0, "name"), "哈密\ufffe公司", f"the noncharacter U+FFFE; {_ONE_LINE}"),
        (("claims", 0, "subject"), "QC\ufdd0小组", f"the noncharacter U+FDD0; {_ONE_LINE}"),
        (("claims", 0, "id"), "C1\U0010ffff", f"the noncharacter U+10FFFF; {_ONE_LINE}"),
        (("claims", 0, "id"), "C1\u2009", f"the space U+2009 (THIN SPACE), {_PLAIN}"),
        (("applicants", 0, "id"), "A\u00a01", f"the space U+00A0 (NO-BREAK SPACE), {_PLAIN}"),
        (("claims", 0, "applicant"), "A1\u3000", f"the space U+3000 (IDEOGRAPHIC SPACE), {_PLAIN}"),
    ],
    ids=["U+2028 in an id", "U+2029 in a name", "U+2028 in a subject", "ZWSP in an id",
         "BOM in an applicant id", "soft hyphen in a reference", "LRM in an id",
         "U+FFFF in an id", "U+FFFE in a name", "U+FDD0 in a subject", "U+10FFFF in an id",
         "thin space in an id", "NBSP in an applicant id", "ideographic space in a reference"],
)  # fmt: skip
def test_ids_are_visible_and_one_line_names_one_line(
    where: tuple[str | int, ...], value: str, message: str
) -> None:
    """A line or paragraph separator breaks the one line an id, a name or a subject is (and
    every line-based tool); a noncharacter is no text; an invisible format character or a
    space other than U+0020 makes two ids that print alike differ: each is refused at its
    place (all were taken)."""
    data: dict[str, Any] = minimal(achieved_on="2026-11-02")
    data["claims"][0].update(kind="qc_group", level="national", subject="一号QC小组")
    target: Any = data
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    # A reference refused is also an id no applicant has: that is said too.
    assert f"<data>: {format_path(where)}: contains {message}" in data_problems(data)


def test_a_name_may_hold_a_joiner() -> None:
    """A format character in a name (a zero-width non-joiner, which some scripts are written
    with) is kept: only ids must be visible throughout."""
    data: dict[str, Any] = minimal(achieved_on="2026-11-02")
    data["applicants"][0]["name"] = "哈密\u200c某公司"
    batch = batch_from_data(data, industry_codes=INDUSTRY)
    assert batch.applicants[0].name == "哈密\u200c某公司"


def test_a_name_may_hold_a_no_break_space() -> None:
    """A space other than U+0020 in a name (a no-break space) is kept: only ids must use
    the plain one, and a plain space in an id is taken as before."""
    data: dict[str, Any] = minimal(achieved_on="2026-11-02")
    data["applicants"][0]["name"] = "哈密\u00a0某公司"
    data["claims"][0]["id"] = "C 1"
    batch = batch_from_data(data, industry_codes=INDUSTRY)
    expected = ("哈密\u00a0某公司", "C 1")
    assert expected == (batch.applicants[0].name, batch.claims[0].id)


@pytest.mark.parametrize("ensure_ascii", [False, True], ids=["raw", "escaped"])
def test_a_noncharacter_in_a_json_batch_is_refused_at_its_place(ensure_ascii: bool) -> None:
    """U+FFFE and U+FFFF, raw or escaped in a JSON string, are characters JSON reads (raw,
    they were refused as a YAML error): in an id or a name, each is refused at its line
    and column."""
    data = minimal(achieved_on="2026-11-02")
    data["applicants"][0]["name"] = "哈密\ufffe公司"  # type: ignore[index]
    data["claims"][0]["id"] = "C1\uffff"  # type: ignore[index]
    text = json.dumps(data, ensure_ascii=ensure_ascii, indent=2)
    name = position(text, text.index('"name"'))
    claim_id = position(text, text.index('"id"', text.index('"claims"')))
    expected = [
        f"batch.json:{name[0]}:{name[1]}: applicants[0].name: contains the noncharacter "
        f"U+FFFE; {_ONE_LINE}",
        f"batch.json:{claim_id[0]}:{claim_id[1]}: claims[0].id: contains the noncharacter "
        f"U+FFFF; {_ONE_LINE}",
    ]
    assert expected == problems(text.encode(), name="batch.json")


def test_a_json_batch_with_escaped_rare_characters_loads() -> None:
    """json.dumps writes 𠀀 (beyond U+FFFF, in real names) as a surrogate-pair escape by
    default; such a batch loads with the character, and an escaped backslash stays text."""
    data = minimal(achieved_on="2026-11-02")
    data["applicants"][0]["name"] = "哈密𠀀科技有限公司"  # type: ignore[index]
    data["claims"][0]["id"] = "C1\\ud840\\udc00"  # type: ignore[index]
    data["claims"][0]["applicant"] = "A1"  # type: ignore[index]
    text = json.dumps(data)
    assert "\\ud840\\udc00" in text
    batch = load_batch(text.encode(), industry_codes=INDUSTRY, name="batch.json")
    assert batch.applicants[0].name == "哈密𠀀科技有限公司"
    assert batch.claims[0].id == "C1\\ud840\\udc00"


def separated(char: str) -> dict[str, Any]:
    """A batch with ``char`` raw in its applicant's name and its claim's subject."""
    data: dict[str, Any] = minimal(achieved_on="2026-11-02")
    data["applicants"][0]["name"] = f"哈密  {char}  科技有限公司"
    data["claims"][0].update(kind="qc_group", level="national", subject=f"QC  {char}  小组")
    return data


def position(text: str, at: int) -> tuple[int, int]:
    """Line and column of ``text[at]`` as an editor shows them (lines end at LF here)."""
    return text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)


@pytest.mark.parametrize("indent", [None, 1], ids=["one line", "indented"])
@pytest.mark.parametrize(
    ("char", "what"),
    [
        ("\x85", "control character U+0085"),
        ("\u2028", "line separator U+2028"),
        ("\u2029", "paragraph separator U+2029"),
    ],
    ids=["U+0085", "U+2028", "U+2029"],
)
def test_a_line_break_character_in_a_json_batch_is_refused_at_its_place(
    indent: int | None, char: str, what: str
) -> None:
    """U+0085 (NEL), U+2028 or U+2029, raw in a JSON string, is the character json.loads
    reads, not a line break (U+2028 and U+2029 were taken into a name or a subject): a name
    and a subject are one line, and each is refused at its line and column."""
    text = json.dumps(separated(char), ensure_ascii=False, indent=indent)
    with pytest.raises(BatchError) as caught:
        load_batch(text.encode(), industry_codes=INDUSTRY, name="batch.json")
    name, subject = text.index('"name"'), text.index('"subject"')
    assert [
        ("name", *position(text, name)),
        ("subject", *position(text, subject)),
    ] == [(p.path[-1], p.line, p.column) for p in caught.value.problems]
    assert all(
        p.message == f"contains the {what}; write one line of printable text"
        for p in caught.value.problems
    )


@pytest.mark.parametrize("indent", [None, 1], ids=["one line", "indented"])
@pytest.mark.parametrize("char", ["\x85", "\u2028", "\u2029"], ids=["U+0085", "U+2028", "U+2029"])
def test_a_field_error_after_a_line_break_character_in_a_json_batch_is_where_the_file_has_it(
    char: str, indent: int | None
) -> None:
    """A line break character in a JSON string is not a line: a later field error stands at
    the line and column an editor shows, on the same line or one below."""
    data = separated(char)  # each in the name and the subject is a problem of its own
    data["claims"].append({"id": "C2", "applicant": "A1", "kind": "nope"})
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    with pytest.raises(BatchError) as caught:
        load_batch(text.encode(), industry_codes=INDUSTRY, name="batch.json")
    kind = ("claims", 1, "kind"), *position(text, text.index('"kind": "nope"'))
    assert kind == [(p.path, p.line, p.column) for p in caught.value.problems][-1]


@pytest.mark.parametrize("char", ["\x85", "\u2028", "\u2029"], ids=["U+0085", "U+2028", "U+2029"])
def test_a_yaml_batch_reads_a_line_break_character_as_yaml_does(char: str) -> None:
    """Not named *.json, the same text is YAML (1.1), where U+0085, U+2028 and U+2029 end a
    line, as before: a string folds across one (U+0085 becomes a space, the blanks around
    the others go) and the lines after it count it."""
    data = separated(char)
    text = json.dumps(data, ensure_ascii=False)
    doc, found = read_yaml(text.encode(), name="batch.yaml")
    assert doc is not None
    assert found == []
    folded = "哈密 科技有限公司" if char == "\x85" else f"哈密{char}科技有限公司"
    assert folded == doc.data["applicants"][0]["name"]
    data["claims"].append({"id": "C2", "applicant": "A1", "kind": "nope"})
    text = json.dumps(data, ensure_ascii=False, indent=1)
    with pytest.raises(BatchError) as caught:
        load_batch(text.encode(), industry_codes=INDUSTRY, name="batch.yaml")
    line, column = position(text, text.index('"kind": "nope"'))
    # Two lines more than an editor shows: one in the name, one in the subject (where
    # U+2028 and U+2029 stay, and are refused as in any one-line text).
    kind = [(p.line, p.column) for p in caught.value.problems if p.path == ("claims", 1, "kind")]
    assert [(line + 2, column)] == kind


# --- one run lists every problem: a refused field does not hide the checks that follow ----

SLIPS = b"""round: 2027
submitted_on: 2027-03-20
applicants:
  - {id: A1, name: \xe6\x9f\x90\xe5\x85\xac\xe5\x8f\xb8, org_type: enterprise, region: "650502"}
claims:
  - {id: C1, applicant: A1, kind: leading_enterprise, achieved_on: 2027-05-01, reviw: {}}
  - {id: C2, applicant: A1, kind: qc_group, level: national, achieved_on: 2027-01-01,
     objection: maybe}
  - {id: C3, applicant: A1, kind: standard, action: formulate, standard_no: GB/T 1-202,
     achieved_on: 2027-01-01, lead_proof: 1}
  - {id: C4, applicant: A1, kind: qc_group, level: national, achieved_on: 2027-01-01,
     subject: "\\x01", colour: red}
  - {id: C5, applicant: A1, kind: qc_group, level: county, achieved_on: 2027-05-01}
"""


def test_a_refused_field_does_not_hide_the_checks_of_the_other_fields() -> None:
    """A misspelt field or a bad optional value is reported with what the rest of the claim
    shows (an honour after submission, a missing subject, a bad standard number), not one
    run later; a check of the refused field itself is not made twice, and a refused
    required field (C5's level) leaves nothing to check."""
    found = problems(SLIPS)
    assert [p.split(": ", 2)[1] for p in found] == [
        "claims[0].achieved_on",
        "claims[0].reviw",
        "claims[1].subject",  # located at the claim, which has none: line 7
        "claims[1].objection",
        "claims[2].standard_no",
        "claims[2].lead_proof",
        "claims[3].subject",
        "claims[3].colour",
        "claims[4].level",
    ]
    assert "is after the batch's default submitted_on" in found[0]
    assert "subject is required for kind 'qc_group'" in found[2]
    assert "GB/T 1-202" in found[4]
    assert "control character" in found[6]


@pytest.mark.parametrize("written", ["A1", "a1", USCC_YIZHOU, USCC_YIZHOU.lower(), " A1 "])
def test_the_applicant_itself_may_be_written_as_its_id_or_uscc(written: str) -> None:
    """A subject written for a kind whose subject is the applicant is read as the applicant
    (its USCC), in any case and spacing."""
    data = minimal(achieved_on="2027-01-01", subject=written)
    data["applicants"] = [
        {"id": "A1", "name": "某公司", "org_type": "enterprise", "uscc": USCC_YIZHOU}
    ]
    assert batch_from_data(data, industry_codes=INDUSTRY).claims[0].subject == USCC_YIZHOU


def test_another_subject_for_the_applicant_itself_is_refused() -> None:
    """Its name or anything else would make one organisation a second qualification: the
    three claims of a leading enterprise would be paid three times (第二十条)."""
    assert data_problems(minimal(achieved_on="2027-01-01", subject="某公司")) == [
        "<data>: claims[0].subject: the subject of a 'leading_enterprise' claim is the "
        "applicant itself; leave it out, or write the applicant's id or USCC (got '某公司': "
        "any other would make one organisation a second qualification)"
    ]


@pytest.mark.parametrize(
    ("written", "uscc", "refused"),
    [
        ("A1", USCC_YIZHOU, []),
        (USCC_YIZHOU.lower(), USCC_YIZHOU, []),
        ("91650502MA78K2Q580", "91650502MA78K2Q580", []),  # its USCC as written, refused too
        (USCC_YIZHOU, "91650502-MA78K2Q58" + USCC_YIZHOU[-1], []),  # written with a hyphen
        ("某公司", USCC_YIZHOU, ["claims[0].subject"]),
    ],
)
def test_an_applicant_refused_for_its_own_problem_is_still_its_claims_subject(
    written: str, uscc: str, refused: list[str]
) -> None:
    """An applicant refused for a problem of its own (a control character in its name) is
    still the one its claims name: a subject that is its id or its USCC as written is not
    refused as well; any other subject is."""
    data = minimal(achieved_on="2027-01-01", subject=written)
    data["applicants"] = [
        {"id": "A1", "name": "某公司\x07", "org_type": "enterprise", "uscc": uscc}
    ]
    found = [p.split(": ", 2)[1] for p in data_problems(data)]
    assert [f for f in found if not f.startswith("applicants[0].")] == refused
    assert "applicants[0].name" in found


def test_a_claim_of_an_unknown_applicant_is_refused_for_that_not_its_subject() -> None:
    """A claim naming no applicant of the batch: that is its problem; what its subject
    should be is not known, so it is not judged."""
    data = minimal(achieved_on="2027-01-01", subject=USCC_YIZHOU, applicant="A2")
    assert [p.split(": ", 2)[1] for p in data_problems(data)] == ["claims[0].applicant"]


def test_a_refused_submitted_on_is_not_replaced_by_the_batch_default() -> None:
    """A claim's own submitted_on refused: the honour is not compared with the batch's
    default date, which is not when the claim was submitted."""
    found = data_problems(minimal(achieved_on="2027-05-01", submitted_on="2027-13-01"))
    assert [p.split(": ", 2)[1] for p in found] == ["claims[0].submitted_on"]


def test_a_refused_field_does_not_hide_the_checks_in_data_either() -> None:
    """batch_from_data makes the same checks, by field path."""
    data = minimal(achieved_on="2027-04-01", colour="red")
    assert [p.split(": ", 2)[1] for p in data_problems(data)] == [
        "claims[0].achieved_on",
        "claims[0].colour",
    ]


# --- the loader's mark: what evaluate, run_round and the durable backend take -------------

NOT_LOADED = "the batch was not made by the loader"
LOAD = "load it with rules.load_batch(path) or rules.batch_from_data(data)"


def check(batch: object, codes: frozenset[str] = INDUSTRY, required: bool = True) -> None:
    check_loaded(batch, codes, required, "evaluate()")


def test_a_loaded_batch_passes_under_the_readings_it_was_loaded_with(valid: Batch) -> None:
    """load_batch and batch_from_data mark what they return with their readings."""
    check(valid)
    lenient = batch_from_data(minimal(achieved_on="2027-04-01"), industry_codes=INDUSTRY,
                              achieved_by_submission=False)  # fmt: skip
    check(lenient, required=False)


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda b: Batch.model_validate(batch_to_data(b)), id="model_validate"),
        pytest.param(lambda b: Batch(**dict(b)), id="constructor"),
        pytest.param(lambda b: Batch.model_construct(**dict(b)), id="model_construct"),
    ],
)
def test_a_batch_built_by_hand_is_refused_saying_how_to_load_it(valid: Batch, build: Any) -> None:
    """A Batch made with the model's own constructors, even of the loader's very values,
    skipped the loader's checks: a TypeError names the loader's two methods."""
    with pytest.raises(TypeError) as refused:
        check(build(valid))
    assert str(refused.value).startswith(f"evaluate(): {NOT_LOADED} (built with Batch(...)")
    assert str(refused.value).endswith(LOAD)


@pytest.mark.parametrize(
    "update",
    [
        {"round": 2028},
        {"round": "oops"},
        {"submitted_on": dt.date(2027, 3, 21)},
        {"claims": ()},
        {"applicants": ()},
    ],
    ids=["round", "round-text", "submitted_on", "claims", "applicants"],
)
@pytest.mark.parametrize("deep", [False, True])
def test_model_copy_with_an_update_loses_the_mark(
    valid: Batch, update: dict[str, Any], deep: bool
) -> None:
    """``model_copy(update=...)`` copies private attributes, but the mark is bound to the
    values it was made for: a copy with another field is refused as built by hand."""
    with pytest.raises(TypeError, match=NOT_LOADED):
        check(valid.model_copy(update=update, deep=deep))


def test_copies_of_the_same_values_keep_the_mark(valid: Batch) -> None:
    """Pickle (a process pool's hand-over), deepcopy, copy and a plain model_copy hold the
    values the loader checked: they stay marked."""
    twins = [
        pickle.loads(pickle.dumps(valid)),  # noqa: S301 - our own object
        copy.deepcopy(valid),
        copy.copy(valid),
        valid.model_copy(),
        valid.model_copy(deep=True),
    ]
    for twin in twins:
        assert twin == valid
        check(twin)


def test_a_batch_loaded_under_other_readings_is_refused_naming_both(valid: Batch) -> None:
    """A ValueError says which reading differs, the batch's and the rule set's."""
    with pytest.raises(ValueError, match="other readings") as refused:
        check(valid, required=False)
    assert str(refused.value) == (
        "evaluate(): the batch was checked under other readings than these rules "
        "(achieved_by_submission: the batch's required, these rules' any); load it again "
        "with these rules: rules.load_batch(path) or rules.batch_from_data(data)"
    )
    differ = "(industry codes: NB only in the batch's, QB only in these rules')"
    with pytest.raises(ValueError, match=re.escape(differ)):
        check(valid, codes=frozenset({"HG", "JB", "QB"}))


def test_what_is_not_a_batch_is_refused_saying_how_to_load_one() -> None:
    """A dict where a batch belongs is a TypeError too."""
    with pytest.raises(TypeError, match=re.escape(f"evaluate(): batch must be a Batch ({LOAD})")):
        check({"round": 2027})


def test_loaded_batches_equal_each_other_not_a_hand_built_twin(valid: Batch) -> None:
    """Equality holds between batches of the same values checked under the same readings;
    a hand-built twin holds the values but not the mark, and hashes alike all the same."""
    again = batch_from_data(batch_to_data(valid), industry_codes=INDUSTRY)
    by_hand = Batch.model_validate(batch_to_data(valid))
    assert (again == valid, by_hand == valid) == (True, False)
    assert hash(by_hand) == hash(valid)
