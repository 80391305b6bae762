"""Loading and validating the rule files: the shipped set, and one fault per fixture."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from pathlib import Path

import pytest
import yaml

import qfund_rules as q
from qfund_rules.claims import CLAIM_TYPES
from qfund_rules.cli import run
from qfund_rules.errors import format_path
from qfund_rules.money import format_wan
from qfund_rules.rules import _CLAUSE_WAN, ITEM_IDS, RULE_FILES, default_rules_dir

from .conftest import RULES_DIR, VALID_RULES_DIR, patched_rules

FIXTURES = Path(__file__).parent / "fixtures" / "rules"
VALID = VALID_RULES_DIR
INVALID = sorted((FIXTURES / "invalid").glob("*.yaml"))


def test_shipped_rules_load(rules: q.RuleSet) -> None:
    """The shipped rule files load with all 42 items and no warnings."""
    assert [i.id for i in rules.items] == list(ITEM_IDS)
    assert rules.warnings == ()


def test_valid_snapshot_loads() -> None:
    """The snapshot the invalid fixtures are cut from is itself valid."""
    assert len(q.load_rules(VALID).items) == 42


def test_rule_set_identity(rules: q.RuleSet) -> None:
    """The rule set carries version, status and the validity period of rulings R2."""
    assert rules.status == "draft"
    assert rules.published_on == dt.date(2026, 2, 12)
    assert rules.effective_from == dt.date(2026, 3, 14)
    assert rules.effective_until == dt.date(2029, 3, 13)
    assert len(rules.sha256) == 64


def test_sha256_follows_the_bytes(tmp_path: Path, rules: q.RuleSet) -> None:
    """A one-byte change in any rule file (even a comment) changes the sha256."""
    for name in RULE_FILES:
        shutil.copy(RULES_DIR / name, tmp_path / name)
    assert q.load_rules(tmp_path).sha256 == rules.sha256
    with (tmp_path / "allocation.yaml").open("a", encoding="utf-8") as fh:
        fh.write("# a comment\n")
    assert q.load_rules(tmp_path).sha256 != rules.sha256


def test_amounts_are_integer_yuan(rules: q.RuleSet) -> None:
    """Every amount is converted from 万元 to integer yuan (rulings R1)."""
    item = rules.by_id["a13.1.national"]
    assert item.amount_on(rules.effective_from) == 200_000
    assert all(type(y) is int for i in rules.items for y in i.amounts_yuan)


def _edited_copy(tmp_path: Path, *edits: tuple[str, str, str]) -> Path:
    """A copy of the valid snapshot in ``tmp_path`` with each (file, old, new) edit made
    once; returns the directory."""
    for name in RULE_FILES:
        shutil.copy(VALID / name, tmp_path / name)
    for name, old, new in edits:
        path = tmp_path / name
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return tmp_path


def test_dated_amount_in_force(tmp_path: Path) -> None:
    """A later dated value applies from its date; the earlier one stays before it."""
    old = "      - {from: 2026-03-14, wan: 20}\n"
    _edited_copy(tmp_path, ("awards.yaml", old, old + "      - {from: 2027-01-01, wan: 25.5}\n"))
    item = q.load_rules(tmp_path).by_id["a9.1"]
    assert item.amount_on(dt.date(2026, 12, 31)) == 200_000
    assert item.amount_on(dt.date(2027, 1, 1)) == 255_000


def test_the_first_amount_is_checked_against_the_amount_its_clause_states(
    tmp_path: Path,
) -> None:
    """The first amount must be the clause's (awards.yaml's header, rulings R1); a clause
    stating no amount leaves it to the people reading it, and a later dated value (an
    amendment, test_dated_amount_in_force) may differ."""
    clause = "clause: 获批国家市场监管总局质量强县(区、镇)培育建设创新试点的,给予20万元奖励"
    assert clause in (VALID / "awards.yaml").read_text(encoding="utf-8")
    first = "      - {from: 2026-03-14, wan: 20}\n"
    other = first.replace("wan: 20", "wan: 21")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with pytest.raises(q.RuleFileError) as info:
        q.load_rules(_edited_copy(tmp_path / "a", ("awards.yaml", first, other)))
    assert "the clause states 20 万元, the first amount is 21" in str(info.value)
    unstated = clause.replace("给予20万元奖励", "给予奖励")
    rules = q.load_rules(
        _edited_copy(
            tmp_path / "b", ("awards.yaml", clause, unstated), ("awards.yaml", first, other)
        )
    )
    assert rules.by_id["a9.1"].amount_on(dt.date(2026, 3, 14)) == 210_000


#: a9.1's clause and first amount in the valid snapshot, for the edits below.
A91_CLAUSE = "获批国家市场监管总局质量强县(区、镇)培育建设创新试点的,给予20万元奖励"
A91_FIRST = "      - {from: 2026-03-14, wan: 20}\n"


@pytest.mark.parametrize(
    ("clause", "wan", "refused"),
    [
        ("年产值超过5000万元的企业获批...试点的,给予20万元奖励", 21, "states 20 万元"),
        ("年产值超过5000万元的企业获批...试点的,给予20万元奖励", 20, None),
        ("年产值超过5000万元的企业获批...试点的,给予奖励", 21, None),
        ("获批...试点的,给予20万元奖励;通过验收的,再给予30万元奖励", 21, None),
        ("获批...试点的,给予一次性奖励20万元", 21, "states 20 万元"),
    ],
    ids=[
        "threshold beside the award, a slip",
        "threshold beside the award",
        "threshold, no award",
        "two awards, not checked",
        "one-off award, a slip",
    ],
)
def test_the_amount_a_clause_states_is_the_one_it_gives(
    tmp_path: Path, clause: str, wan: int, refused: str | None
) -> None:
    """The clause's amount is the one after 给予: a threshold the clause sets (产值超过
    5000万元) is never taken for it, nor hides it; a clause giving several amounts is not
    checked (people read it)."""
    first = A91_FIRST.replace("wan: 20", f"wan: {wan}")
    edited = _edited_copy(
        tmp_path, ("awards.yaml", A91_CLAUSE, clause), ("awards.yaml", A91_FIRST, first)
    )
    if refused is None:
        assert q.load_rules(edited).by_id["a9.1"].amounts_yuan[0] == wan * 10_000
        return
    with pytest.raises(q.RuleFileError) as info:
        q.load_rules(edited)
    assert [str(p) for p in info.value.problems] == [
        f"{edited / 'awards.yaml'}:107:28: items[0].amounts[0].wan: the clause {refused}, the "
        f"first amount is {wan}: the first amount is the clause's; a change of amount is a "
        "new dated value after it"
    ]


@pytest.mark.parametrize("directory", [RULES_DIR, VALID_RULES_DIR], ids=["shipped", "snapshot"])
def test_every_clause_states_its_first_amount_once(directory: Path) -> None:
    """Each of the 42 items' clauses gives exactly one amount, the item's first: none is
    left unchecked (给予一次性奖励10万元 included) nor read as giving another."""
    rules = q.load_rules(directory)
    stated = {c.id: _CLAUSE_WAN.findall(c.item.clause) for c in rules.items}
    first = {c.id: [format_wan(c.amounts_yuan[0])] for c in rules.items}
    assert (len(stated), stated) == (42, first)


def test_budget_below_minimum_warns(tmp_path: Path) -> None:
    """A budget under 300 万元 loads with a located warning (第二条: 原则上)."""
    rules = q.load_rules(
        _edited_copy(tmp_path, ("allocation.yaml", "    2027: 300", "    2027: 250"))
    )
    assert len(rules.warnings) == 1
    assert "allocation.yaml:15:" in str(rules.warnings[0])
    assert "below 300 万元" in str(rules.warnings[0])
    assert rules.budget_yuan(2027) == 2_500_000


def test_org_type_left_out_warns(tmp_path: Path) -> None:
    """An org type of 第四条 left out of eligibility loads, with a located warning."""
    enterprise = "    enterprise:\n      zh: 企业\n      en: enterprise\n"
    rules = q.load_rules(_edited_copy(tmp_path, ("exclusions.yaml", enterprise, "")))
    assert [str(w).split(": ", 1)[1] for w in rules.warnings] == [
        "eligibility.org_types: warning: org type 'enterprise' is not listed, so no claim of "
        "that type is eligible; this loads, but check that it is meant"
    ]
    assert "exclusions.yaml:21:3:" in str(rules.warnings[0])
    assert "enterprise" not in rules.exclusions.eligibility.org_types


def test_a_list_the_credit_case_does_not_count_may_go_unnamed_with_a_warning(
    tmp_path: Path,
) -> None:
    """The credit case counting the dishonesty list only: the negative list's name may be
    left out (a listing on it is then shown by its code), with a located warning; given,
    there is none."""
    counted = ("exclusions.yaml", "lists: [dishonest, negative]", "lists: [dishonest]")
    negative = "      negative:\n        zh: 负面清单\n        en: negative list\n"
    rules = q.load_rules(_edited_copy(tmp_path, counted, ("exclusions.yaml", negative, "")))
    assert [str(w).removeprefix(f"{tmp_path}/") for w in rules.warnings] == [
        "exclusions.yaml:92:5: exclusions[2].list_names: warning: list 'negative' has no "
        "name, so a listing on it (which this case does not count) is shown in the trace by "
        "its code; this loads, but check that it is meant"
    ]
    assert q.load_rules(_edited_copy(tmp_path, counted)).warnings == ()


@pytest.mark.parametrize(
    ("file", "old", "new", "warning"),
    [
        (
            "allocation.yaml", "    2026: 300\n", "    2026: 300\n    27: 300\n",
            "allocation.yaml:15:5: budgets.by_year.27: warning: no round of 27 falls in the "
            "period in force (2026-03-14 .. 2029-03-13), so this budget is never used; this "
            "loads, but check the year",
        ),
        (
            "awards.yaml", "      - {from: 2026-03-14, wan: 20}\n",
            "      - {from: 2026-03-14, wan: 20}\n      - {from: 2030-01-01, wan: 25}\n",
            "awards.yaml:108:10: items[0].amounts[1].from: warning: dated value from 2030-01-01 "
            "is after the measures expire (2029-03-13): it never applies; this loads, but "
            "check the date",
        ),
        (
            "awards.yaml", "    - BB  # 包装\n", "    - AQ\n",
            "awards.yaml:24:7: standard_codes.industry[1]: warning: 'AQ' is listed twice (first "
            "at line 23); this loads, but check whether another code was meant",
        ),
        (
            "exclusions.yaml", '["6505"]', '["6505", "6505"]',
            "exclusions.yaml:65:32: eligibility.hami_unit_prefixes[1]: warning: '6505' is "
            "listed twice (first at line 65); this loads, but check whether another code was "
            "meant",
        ),
    ],
    ids=["budget year out of force", "amount after expiry", "industry code twice",
         "prefix twice"],
)  # fmt: skip
def test_a_slip_that_loads_is_a_located_warning(
    tmp_path: Path, file: str, old: str, new: str, warning: str
) -> None:
    """What loads but cannot be meant (a budget no round uses, an amount that never
    applies, a code listed twice) is named with its place: policy staff see it on validate."""
    rules = q.load_rules(_edited_copy(tmp_path, (file, old, new)))
    assert [str(w).removeprefix(f"{tmp_path}/") for w in rules.warnings] == [warning]


def test_a_key_of_the_wrong_form_is_named_as_a_key(tmp_path: Path) -> None:
    """A division code key of 4 digits: the key is named, and what it must be, in words."""
    _edited_copy(tmp_path, ("exclusions.yaml", '    "650502":', '    "6505":'))
    with pytest.raises(q.RuleFileError) as caught:
        q.load_rules(tmp_path)
    assert [p.message for p in caught.value.problems] == [
        "key '6505': must be a division code of 6 digits, such as 650502"
    ]
    assert caught.value.problems[0].path == ("eligibility", "regions", "6505")


def test_a_quoted_iso_date_is_a_date(tmp_path: Path) -> None:
    """A date quoted as JSON writes it ("2026-03-14") is read as that date, as in a batch."""
    quoted = ("exclusions.yaml", "published_on: 2026-02-12", 'published_on: "2026-02-12"')
    assert q.load_rules(_edited_copy(tmp_path, quoted)).published_on == dt.date(2026, 2, 12)


@pytest.mark.parametrize("fixture_path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_fixture_is_reported(tmp_path: Path, fixture_path: Path) -> None:
    """Each injected fault is refused with its file, line, field and message."""
    fixture = yaml.safe_load(fixture_path.read_text(encoding="utf-8"))
    directory = patched_rules(tmp_path, fixture)
    with pytest.raises(q.RuleFileError) as info:
        q.load_rules(directory)
    report = info.value.render()
    for fragment in fixture["expect"]:
        assert fragment in report
    if "problems" in fixture:  # the fault is reported where it is, and nowhere else
        assert len(info.value.problems) == fixture["problems"], report


def test_all_errors_reported_together(tmp_path: Path) -> None:
    """Faults in two files are reported in one error, in file order."""
    _edited_copy(
        tmp_path,
        ("awards.yaml", "wan: 50}", "wan: 0}"),
        ("allocation.yaml", "policy: top_up", "policy: topup"),
    )
    with pytest.raises(q.RuleFileError) as info:
        q.load_rules(tmp_path)
    files = [Path(p.file).name for p in info.value.problems]
    assert files == ["allocation.yaml", "awards.yaml"]


def test_missing_file_is_reported(tmp_path: Path) -> None:
    """A directory without the rule files names each missing file."""
    with pytest.raises(q.RuleFileError) as info:
        q.load_rules(tmp_path)
    report = info.value.render()
    assert all(name in report for name in RULE_FILES)


@pytest.mark.parametrize(
    ("directory", "shown", "why"),
    [
        ("a\x00b", r"'a\x00b'", "the path holds a NUL character (U+0000), which no file name can"),
        ("a\ud800", r"'a\ud800'", "the path holds U+D800, which no file name can (an unpaired "
         "surrogate)"),
    ],
    ids=["NUL", "surrogate"],
)  # fmt: skip
def test_a_path_no_file_can_have_is_a_rule_file_error(directory: str, shown: str, why: str) -> None:
    """A directory no file can stand in (a NUL in its path) is one problem naming it,
    escaped, and what is wrong: a RuleFileError, not the OS layer's bare ValueError."""
    with pytest.raises(q.RuleFileError) as info:
        q.load_rules(directory)
    assert info.value.render() == f"{shown}: cannot read: {why}"


def test_a_rule_file_whose_path_has_a_line_break_is_named_escaped(tmp_path: Path) -> None:
    """A problem names a file whose path holds a character that is not printable (a line
    break) escaped, so that it stays one line: the loader lists one a line."""
    directory = tmp_path / "rules\nold"
    directory.mkdir()
    with pytest.raises(q.RuleFileError) as info:
        q.load_rules(directory)
    assert [p.file for p in info.value.problems] == [
        repr(str(directory / name)) for name in sorted(RULE_FILES)
    ]
    assert len(info.value.render().splitlines()) == len(RULE_FILES)


def test_default_rules_dir_is_shipped() -> None:
    """The default rules are found without naming a directory."""
    assert (default_rules_dir() / "awards.yaml").is_file()


def test_shipped_rules_declare_their_schema() -> None:
    """Each rule file names its JSON Schema on its first line, for editors."""
    for name in RULE_FILES:
        first = (RULES_DIR / name).read_text(encoding="utf-8").splitlines()[0]
        stem = name.removesuffix(".yaml")
        assert first == f"# yaml-language-server: $schema=../schema/{stem}.schema.json"


@pytest.mark.parametrize("name", ["awards", "exclusions", "allocation", "batch"])
def test_committed_schema_is_current(name: str) -> None:
    """schema/NAME.schema.json equals what the models generate (run `qfund schema NAME`)."""
    from qfund_rules.schema import schemas

    committed = (RULES_DIR.parent / "schema" / f"{name}.schema.json").read_text(encoding="utf-8")
    assert json.loads(committed) == schemas()[name]


def test_schema_requires_the_commit_reading_of_publicity() -> None:
    """`qfund schema allocation` makes publicity.commit required, its requires_start a
    boolean: an editor flags a quoted "true" or a missing section, as qfund validate does."""
    out, err = io.StringIO(), io.StringIO()
    assert run(["schema", "allocation"], out, err) == 0
    defs = json.loads(out.getvalue())["$defs"]
    commit = defs["PublicityCommit"]
    assert (
        "commit" in defs["Publicity"]["required"],
        defs["Publicity"]["properties"]["commit"]["$ref"],
        commit["properties"]["requires_start"]["type"],
        commit["required"],
    ) == (True, "#/$defs/PublicityCommit", "boolean", ["citation", "requires_start"])


def test_schema_describes_amounts_as_numbers_only() -> None:
    """An editor using the schema refuses wan: "20" and wan: 2.555, as qfund validate does."""
    from qfund_rules.schema import schemas

    # A positive number of 万元 with at most two decimals, below 10**12 (money.py); a
    # year's budget may be 0 (rulings R10: below the floor, a warning).
    keys = ("type", "minimum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
    number = {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 10**12}
    number["multipleOf"] = 0.01
    budget = {"type": "number", "minimum": 0, "exclusiveMaximum": 10**12, "multipleOf": 0.01}
    awards, allocation = schemas()["awards"]["$defs"], schemas()["allocation"]["$defs"]
    wan = awards["DatedAmount"]["properties"]["wan"]
    budgets = allocation["Budgets"]["properties"]
    amounts = [wan, budgets["minimum_wan"], budgets["by_year"]["additionalProperties"]]
    assert [{k: v for k, v in a.items() if k in keys} for a in amounts] == [
        number,
        number,
        budget,
    ]


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        ("awards.yaml", "wan: 20}", 'wan: "20"}',
         "items[0].amounts[0].wan: must be a number of 万元 (e.g. 20 or 2.5); write it "
         "without quotes: 20 (got '20')"),
        ("awards.yaml", "wan: 20}", 'wan: "twenty"}',
         "items[0].amounts[0].wan: must be a number of 万元 (e.g. 20 or 2.5) (got 'twenty')"),
        ("awards.yaml", "first_time: false", 'first_time: "false"',
         "items[0].first_time: expected true or false; write it without quotes: false "
         "(got 'false')"),
        ("exclusions.yaml", "  years: 3", '  years: "3"',
         "validity.years: expected a whole number; write it without quotes: 3 (got '3')"),
        ("exclusions.yaml", "  years: 3", '  years: "03"',
         "validity.years: expected a whole number (got '03')"),
        ("exclusions.yaml", "  years: 3", "  years: 08",
         "validity.years: expected a whole number (got '08')"),
        ("allocation.yaml", "  days: 7", "  days: 7.0",
         "publicity.days: expected a whole number (got 7.0)"),
        ("allocation.yaml", "carry_over: true", "carry_over: 1",
         "allocation.carry_over: expected true or false (got 1)"),
    ],
)  # fmt: skip
def test_values_the_schema_refuses_are_refused(
    tmp_path: Path, file: str, old: str, new: str, expected: str
) -> None:
    """A number or truth value written as text (or a whole number as a decimal), which the
    JSON Schema refuses, is refused by validation too, at its line; quoted, it is told to
    be written without the quotes (when that reads as the number meant)."""
    with pytest.raises(q.RuleFileError) as info:
        q.load_rules(_edited_copy(tmp_path, (file, old, new)))
    [problem] = info.value.problems
    assert expected in str(problem)


def _edited(tmp_path: Path, *edits: tuple[str, str, str]) -> list[str]:
    """The problems of the valid snapshot with each (file, old, new) edit made once."""
    with pytest.raises(q.RuleFileError) as info:
        q.load_rules(_edited_copy(tmp_path, *edits))
    return [
        f"{Path(p.file).name}:{p.line}: {format_path(p.path)}: {p.message}"
        for p in info.value.problems
    ]


def test_a_type_error_in_one_file_hides_no_cross_check_in_another(tmp_path: Path) -> None:
    """years: three in exclusions.yaml and two unknown kinds in awards.yaml: all three."""
    assert _edited(
        tmp_path,
        ("exclusions.yaml", "  years: 3", "  years: three"),
        ("awards.yaml", "    kind: quality_county\n", "    kind: quality_countyy\n"),
        ("awards.yaml", "    kind: quality_county\n", "    kind: quality_countyy\n"),
    ) == [
        "awards.yaml:102: items[0].kind: unknown claim kind 'quality_countyy'; did you mean "
        f"'quality_county'?; kinds: {', '.join(CLAIM_TYPES)}",
        "awards.yaml:114: items[1].kind: unknown claim kind 'quality_countyy'; did you mean "
        f"'quality_county'?; kinds: {', '.join(CLAIM_TYPES)}",
        "exclusions.yaml:15: validity.years: expected a whole number (got 'three')",
    ]


def test_an_item_that_does_not_validate_still_has_its_id_kind_and_condition_checked(
    tmp_path: Path,
) -> None:
    """first_time: maybe refuses the item; its unknown id and condition fact are still
    reported beside it."""
    assert _edited(
        tmp_path,
        ("awards.yaml", "  - id: a9.1\n", "  - id: a9.x\n"),
        ("awards.yaml", "    first_time: false\n", "    first_time: maybe\n"),
        ("awards.yaml", "{fact: stage, eq: approved}", "{fact: stagee, eq: approved}"),
    ) == [
        "awards.yaml:94: items: item a9.1 of the measures has no entry: add one with id: a9.1, "
        "or correct the id written for it",
        "awards.yaml:97: items[0].id: 'a9.x' is not an item of the measures; did you mean 'a9.2'?",
        "awards.yaml:104: items[0].first_time: expected true or false (got 'maybe')",
        "awards.yaml:105: items[0].when.fact: unknown fact 'stagee'; did you mean 'stage'?; "
        "this kind has: achieved_on, stage, submitted_on",
    ]


def test_an_item_that_does_not_validate_still_has_its_family_checked(tmp_path: Path) -> None:
    """first_time: maybe refuses a13.1.national; its citation astray from its family's
    article is still reported beside it, at the citation."""
    a13 = "citation: 第十三条第(一)项\n    clause: 主导制定国家标准的"
    when = "\n    when:\n      all:\n        - {fact: action, eq: formulate}"
    assert _edited(
        tmp_path,
        ("awards.yaml", a13, a13.replace("第十三条", "第三十三条", 1)),
        ("awards.yaml", f"    first_time: false{when}", f"    first_time: maybe{when}"),
    ) == [
        "awards.yaml:376: items[20].citation: 第三十三条第(一)项 is under 第三十三条, but "
        "the other items of family 'a13.standard' are under 第十三条 (as a13.1.industry: "
        "第十三条第(一)项); write 第十三条第(一)项",
        "awards.yaml:382: items[20].first_time: expected true or false (got 'maybe')",
    ]


def test_no_follow_on_problem_from_an_entry_that_did_not_validate(tmp_path: Path) -> None:
    """An item with an unreadable id and an exclusion with a misspelt check are reported
    once each: neither "items missing" nor "check missing" follows from them."""
    assert _edited(
        tmp_path,
        ("awards.yaml", "  - id: a9.1\n", "  - id: [a9.1]\n"),
        ("exclusions.yaml", "    check: unlicensed\n", "    check: unlicenced\n"),
    ) == [
        "awards.yaml:97: items[0].id: expected a text",
        "exclusions.yaml:78: exclusions[1].check: invalid value 'unlicenced'; did you mean "
        "'unlicensed'? allowed: industrial_policy, unlicensed, credit_listing, "
        "duplicate_claim, other_support, unrelated, other_violation",
    ]


def test_a_value_the_reader_refused_in_a_condition_is_reported_once(tmp_path: Path) -> None:
    """An impossible date and a hex number in a condition: the reader's problems only."""
    when = (
        "{all: [{fact: stage, eq: approved}, {fact: achieved_on, ge: 2026-02-30}, "
        "{fact: achieved_on, le: 0x10}]}"
    )
    found = _edited(tmp_path, ("awards.yaml", "{fact: stage, eq: approved}", when))
    assert [p.split(": ")[1] for p in found] == [
        "items[0].when.all[1].ge",
        "items[0].when.all[2].le",
    ]


def test_an_enum_compared_with_null_says_it_is_never_null(tmp_path: Path) -> None:
    """`eq: null` on an enum fact: said as such, with the values it can take."""
    _edited_copy(tmp_path, ("awards.yaml", "eq: approved}", "eq: null}"))
    with pytest.raises(q.RuleFileError) as caught:
        q.load_rules(tmp_path)
    assert [p.message for p in caught.value.problems] == [
        "'stage' is never null; allowed: approved, accepted"
    ]


def test_a_bare_key_after_a_text_in_braces_is_told_the_comma_ended_the_text(
    tmp_path: Path,
) -> None:
    """{zh: 哈密市, districts, en: ...}: the comma after the Chinese name ended it there."""
    assert _edited(
        tmp_path,
        ("exclusions.yaml", "\n      zh: 哈密市\n", " {zh: 哈密市, districts, en: Hami City}\n"),
        ("exclusions.yaml", "      en: Hami City\n", ""),
    ) == [
        "exclusions.yaml:40: eligibility.regions.650500.districts: unknown key 'districts' "
        "(allowed: zh, en); inside {...} a comma ends a value: to write '哈密市, districts', "
        'quote it (zh: "哈密市, districts") or put the names on lines of their own'
    ]


@pytest.mark.parametrize(
    "name",
    [
        " {zh: 哈密市, en: Hami City, fr: Hami}",  # a key with a value: not a comma's slip
        "\n      zh: 哈密市\n      en: Hami City\n      districts:",  # not in {...}
        " {zh: 哈密市, en: 1, districts}",  # after a number: not a name cut short
    ],
    ids=["with a value", "block", "after a number"],
)
def test_no_comma_hint_for_another_unknown_key(tmp_path: Path, name: str) -> None:
    """An unknown key with a value, outside {...}, or after a number is not a comma's slip:
    no hint."""
    found = _edited(
        tmp_path, ("exclusions.yaml", "\n      zh: 哈密市\n      en: Hami City\n", f"{name}\n")
    )
    assert [p for p in found if "unknown key" in p]
    assert [p for p in found if "comma" in p] == []


@pytest.mark.parametrize(("written", "said"), [("0", "0"), ("-0.0", "0.0")])
def test_a_budget_of_0_loads_with_the_floors_warning(
    tmp_path: Path, written: str, said: str
) -> None:
    """Rulings R10: a budget below the 300 万元 floor loads with a warning; 0 too (no money
    that year: every award of the round is deferred), as `run_round(budget_yuan=0)` and
    `qfund round --budget 0` take it; -0.0 is 0. Only a negative budget is refused."""
    none = ("allocation.yaml", "    2027: 300", f"    2027: {written}")
    rules = q.load_rules(_edited_copy(tmp_path, none))
    (warning,) = [str(w) for w in rules.warnings]
    assert rules.budget_yuan(2027) == 0
    assert warning.endswith(
        f"budgets.by_year.2027: warning: budget {said} 万元 for 2027 is below 300 万元; 第二条 "
        "sets that floor 原则上 (as a rule), so this loads; with 0, every award of the round "
        "is deferred"
    )


def test_a_negative_budget_is_refused(tmp_path: Path) -> None:
    """A budget below 0 is no budget: refused where it is written."""
    with pytest.raises(q.RuleFileError) as refused:
        q.load_rules(_edited_copy(tmp_path, ("allocation.yaml", "    2027: 300", "    2027: -1")))
    (problem,) = refused.value.problems
    assert (problem.path, problem.message) == (
        ("budgets", "by_year", "2027"),
        "must be 0 or a positive number of 万元 (got -1)",
    )
