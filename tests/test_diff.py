"""`qfund diff`: what changed between two rule directories, and what it costs a batch."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

import qfund_rules as q
from qfund_rules.cli import run
from qfund_rules.diff import diff_rules, measure_impact

from .conftest import ROOT, RULES_DIR

# A lead of a national standard published after the amendment (C1) and one before it (C2).
BATCH = """\
round: 2027
submitted_on: 2027-03-20
applicants:
  - {id: A1, name: 哈密天山风电装备制造有限公司, org_type: enterprise, region: "650502"}
claims:
  - id: C1
    applicant: A1
    kind: standard
    action: formulate
    standard_no: GB/T 46001-2027
    achieved_on: 2027-02-01
    drafting_units: [{name: 哈密天山风电装备制造有限公司, region: "650502"}]
  - id: C2
    applicant: A1
    kind: standard
    action: formulate
    standard_no: GB/T 45678-2026
    achieved_on: 2026-11-02
    drafting_units: [{name: 哈密天山风电装备制造有限公司, region: "650502"}]
  - {id: C3, applicant: A1, kind: leading_enterprise, achieved_on: 2026-12-01}
"""

AMOUNT_LINE = "      - {from: 2026-03-14, wan: 20}"


def copy_rules(target: Path) -> Path:
    """A copy of the shipped rule files in ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for name in ("awards.yaml", "exclusions.yaml", "allocation.yaml"):
        shutil.copy(RULES_DIR / name, target / name)
    return target


def edit(path: Path, old: str, new: str, after: str | None = None) -> None:
    """Replace the first ``old`` in ``path`` (the first after ``after``, when given)."""
    text = path.read_text(encoding="utf-8")
    start = text.index(after) if after else 0
    at = text.index(old, start)
    path.write_text(text[:at] + new + text[at + len(old) :], encoding="utf-8")


def amend(directory: Path, day: str = "2027-01-01") -> Path:
    """主导制定国家标准 20 -> 25 万元 from ``day``, added as a dated value."""
    edit(
        directory / "awards.yaml",
        AMOUNT_LINE,
        AMOUNT_LINE + f"\n      - {{from: {day}, wan: 25}}",
        after="id: a13.1.national",
    )
    return directory


@pytest.fixture
def old(tmp_path: Path) -> Path:
    """An unchanged copy of the shipped rules."""
    return copy_rules(tmp_path / "old")


@pytest.fixture
def new(tmp_path: Path) -> Path:
    """A copy of the shipped rules, ready to be amended."""
    return copy_rules(tmp_path / "new")


@pytest.fixture
def batch_file(tmp_path: Path) -> Path:
    """The batch above, on disk."""
    path = tmp_path / "batch.yaml"
    path.write_text(BATCH, encoding="utf-8")
    return path


def call(*argv: str | Path) -> tuple[int, str, str]:
    """Run qfund in process; return exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = run([str(a) for a in argv], out, err)
    return code, out.getvalue(), err.getvalue()


def test_identical_rules_exit_0(old: Path, new: Path) -> None:
    """Two copies of the same rule files are identical: exit 0, no change listed."""
    code, out, _ = call("diff", old, new)
    assert code == 0
    assert "两套规则文件完全相同" in out


def test_identical_rules_have_no_changes(rules: q.RuleSet) -> None:
    """diff_rules of a rule set with itself lists nothing and says identical."""
    diff = diff_rules(rules, rules)
    assert (diff.identical, diff.changes) == (True, ())


def test_amendment_shows_old_and_new_amounts(old: Path, new: Path) -> None:
    """A dated value added to an item shows both schedules, in 万元 and yuan."""
    amend(new)
    code, out, _ = call("diff", old, new)
    assert code == 1
    assert "[amount] items[a13.1.national].amounts 主导制定国家标准 (修改)" in out
    assert "旧: 2026-03-14 起 20 万元 (200,000 元)\n" in out
    assert "新: 2026-03-14 起 20 万元 (200,000 元); 2027-01-01 起 25 万元 (250,000 元)" in out


def test_amendment_costs_50000_yuan_on_a_later_claim(old: Path, new: Path) -> None:
    """A claim achieved after 2027-01-01 gains 50000 yuan; earlier claims do not change."""
    old_rules, new_rules = q.load_rules(old), q.load_rules(amend(new))
    batch = q.load_batch(BATCH.encode(), industry_codes=old_rules.industry_codes)
    impact = measure_impact(old_rules, new_rules, batch)
    assert [(c.old.claim_id, c.difference_yuan) for c in impact.changed] == [("C1", 50_000)]
    assert impact.difference_yuan == 50_000


def test_cli_impact_shows_totals_under_both(old: Path, new: Path, batch_file: Path) -> None:
    """`--claims` prints each changed decision and the totals under each rule set."""
    amend(new)
    code, out, _ = call("diff", old, new, "--claims", batch_file)
    assert code == 1
    assert (
        "C1 (A1): awarded a13.1.national 200,000 -> awarded a13.1.national 250,000"
        "   +5 万元 (+50,000 元)"
    ) in out
    assert (
        "奖励合计: 旧 60 万元 (600,000 元), 新 65 万元 (650,000 元), 差额 +5 万元 (+50,000 元)"
        in out
    )


def test_changed_policy_shows(old: Path, new: Path) -> None:
    """A switched reading in allocation.yaml shows as a policy change, old and new."""
    edit(new / "allocation.yaml", "policy: top_up", "policy: reject")
    diff = diff_rules(q.load_rules(old), q.load_rules(new))
    assert [c.to_dict() for c in diff.changes] == [
        {
            "file": "allocation.yaml",
            "kind": "policy",
            "path": "same_qualification.policy",
            "title": None,
            "title_en": None,
            "change": "changed",
            "old": "top_up",
            "new": "reject",
        }
    ]


def test_changed_commit_reading_shows_as_a_policy_change(old: Path, new: Path) -> None:
    """publicity.commit.requires_start switched off shows as a policy change, and the text
    names it with old and new (true, false)."""
    edit(new / "allocation.yaml", "requires_start: true", "requires_start: false")
    diff = diff_rules(q.load_rules(old), q.load_rules(new))
    assert [c.to_dict() for c in diff.changes] == [
        {
            "file": "allocation.yaml",
            "kind": "policy",
            "path": "publicity.commit.requires_start",
            "title": None,
            "title_en": None,
            "change": "changed",
            "old": True,
            "new": False,
        }
    ]
    code, out, _ = call("diff", old, new, "--lang", "en")
    assert (code, out.split("\n\n")[-1]) == (
        1,
        "allocation.yaml\n"
        "  [policy] publicity.commit.requires_start (changed)\n"
        "    old: true\n"
        "    new: false\n",
    )


def test_changed_condition_shows(old: Path, new: Path) -> None:
    """An edited `when` shows as a condition change of that item."""
    edit(new / "awards.yaml", "eq: national", "eq: local", after="id: a13.1.national")
    diff = diff_rules(q.load_rules(old), q.load_rules(new))
    assert [(c.kind, c.path) for c in diff.changes] == [("condition", "items[a13.1.national].when")]


def test_changed_clause_and_citation_show(old: Path, new: Path) -> None:
    """An edited clause and citation show as such, each with old and new text."""
    edit(new / "exclusions.yaml", "有效期3年。", "有效期5年。")
    edit(new / "exclusions.yaml", "citation: 第二十四条", "citation: 第二十五条")
    diff = diff_rules(q.load_rules(old), q.load_rules(new))
    assert [(c.kind, c.path) for c in diff.changes] == [
        ("clause", "validity.clause"),
        ("citation", "ban.citation"),
    ]
    assert diff.changes[0].new == "本办法自发布之日起30日后实施,有效期5年。"


def test_changed_budget_shows_in_wan_and_yuan(old: Path, new: Path) -> None:
    """A year's budget change shows as a budget change in 万元 and yuan."""
    edit(new / "allocation.yaml", "2028: 300", "2028: 350")
    diff = diff_rules(q.load_rules(old), q.load_rules(new))
    assert [c.to_dict() for c in diff.changes] == [
        {
            "file": "allocation.yaml",
            "kind": "budget",
            "path": "budgets.by_year.2028",
            "title": None,
            "title_en": None,
            "change": "changed",
            "old": {"wan": "300", "yuan": 3_000_000},
            "new": {"wan": "350", "yuan": 3_500_000},
        }
    ]


def test_added_list_entry_shows(old: Path, new: Path) -> None:
    """A region added to the 第四条 list shows as an added list entry."""
    edit(
        new / "exclusions.yaml",
        "  regions:\n",
        '  regions:\n    "650599":\n      zh: 测试区\n      en: Test District\n',
    )
    diff = diff_rules(q.load_rules(old), q.load_rules(new))
    assert [(c.kind, c.path, c.change, c.new) for c in diff.changes] == [
        ("list", "eligibility.regions.650599", "added", {"zh": "测试区", "en": "Test District"})
    ]


def test_same_amount_written_differently_is_no_change(old: Path, new: Path) -> None:
    """20 and 20.00 万元 are the same amount: no change, only another sha256."""
    edit(new / "awards.yaml", AMOUNT_LINE, "      - {from: 2026-03-14, wan: 20.00}")
    diff = diff_rules(q.load_rules(old), q.load_rules(new))
    assert (diff.identical, diff.changes) == (False, ())


def test_comment_only_change_exits_1_and_says_so(old: Path, new: Path) -> None:
    """Files that differ in comments only: no rule changed, but the sha256 did (exit 1)."""
    with (new / "allocation.yaml").open("a", encoding="utf-8") as fh:
        fh.write("# reviewed 2026-12\n")
    code, out, _ = call("diff", old, new)
    assert code == 1
    assert "规则内容无变化" in out


def test_json_shape(old: Path, new: Path, batch_file: Path) -> None:
    """The JSON holds both identities, the changes and the impact, in a fixed shape."""
    amend(new)
    code, out, _ = call("diff", old, new, "--claims", batch_file, "--format", "json")
    data = json.loads(out)
    assert code == 1
    assert list(data) == ["old", "new", "identical", "changes", "warnings", "impact"]
    assert set(data["old"]) == {"version", "status", "sha256"}
    assert data["identical"] is False
    assert data["changes"][0]["new"][1] == {"from": "2027-01-01", "wan": "25", "yuan": 250_000}
    assert data["impact"] == {
        "claims": 3,
        "changed": [
            {
                "claim_id": "C1",
                "applicant_id": "A1",
                "old": {
                    "outcome": "awarded",
                    "item": "a13.1.national",
                    "amount_yuan": 200_000,
                    "reasons": [],
                },
                "new": {
                    "outcome": "awarded",
                    "item": "a13.1.national",
                    "amount_yuan": 250_000,
                    "reasons": [],
                },
                "difference_yuan": 50_000,
            }
        ],
        "old_total_yuan": 600_000,
        "new_total_yuan": 650_000,
        "difference_yuan": 50_000,
        "old_total_wan": "60",
        "new_total_wan": "65",
        "difference_wan": "5",
        "unreached_amounts": [],
    }


def test_json_is_deterministic(old: Path, new: Path, batch_file: Path) -> None:
    """Two runs give byte-identical JSON."""
    amend(new)
    first = call("diff", old, new, "--claims", batch_file, "--format", "json")
    assert first == call("diff", old, new, "--claims", batch_file, "--format", "json")


def test_text_in_english(old: Path, new: Path) -> None:
    """`--lang en` labels the text in English."""
    amend(new)
    _, out, _ = call("diff", old, new, "--lang", "en")
    assert "new: from 2026-03-14: 20 万元 (200,000 yuan); from 2027-01-01: 25 万元" in out
    # The changed item is named by its English title, as the Chinese text names it.
    assert "items[a13.1.national].amounts Lead drafting of a national standard (changed)" in out
    _, out, _ = call("diff", old, new)
    assert "items[a13.1.national].amounts 主导制定国家标准 (" in out


def test_missing_directory_exits_2(old: Path, tmp_path: Path) -> None:
    """A rule directory that does not exist is bad input (exit 2)."""
    code, _, err = call("diff", old, tmp_path / "nowhere")
    assert code == 2
    assert "not a directory of rule files" in err


def test_invalid_rules_exit_2(old: Path, new: Path) -> None:
    """Invalid new rules are bad input: every problem listed, exit 2."""
    edit(new / "awards.yaml", AMOUNT_LINE, "      - {from: 2026-03-14, wan: 0}")
    code, _, err = call("diff", old, new)
    assert code == 2
    assert "awards.yaml:" in err


def test_bad_batch_exits_2(old: Path, new: Path, tmp_path: Path) -> None:
    """An invalid --claims batch is bad input (exit 2), located."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(BATCH.replace("kind: leading_enterprise", "kind: leading"), encoding="utf-8")
    code, _, err = call("diff", old, new, "--claims", bad)
    assert code == 2
    assert "bad.yaml:" in err


def test_invalid_rules_on_both_sides_are_all_listed(old: Path, new: Path) -> None:
    """Both directories broken: the problems of each are listed, not only the old one's."""
    edit(old / "awards.yaml", AMOUNT_LINE, "      - {from: 2026-03-14, wan: 0}")
    edit(new / "exclusions.yaml", "years: 3", "years: three")
    code, _, err = call("diff", old, new)
    assert code == 2
    assert f"{old / 'awards.yaml'}:" in err
    assert f"{new / 'exclusions.yaml'}:" in err


@pytest.mark.parametrize("refused_by", ["new", "old"])
def test_a_batch_refused_under_one_side_says_which_and_shows_the_changes(
    old: Path, new: Path, tmp_path: Path, refused_by: str
) -> None:
    """A claim achieved after it was submitted loads under `any` and not under `required`:
    the rule changes are shown (they say why), the side that refuses the batch is named,
    its problems listed, and nothing is priced (exit 2)."""
    late = tmp_path / "late.yaml"
    late.write_text(BATCH.replace("achieved_on: 2026-12-01", "achieved_on: 2027-04-01"), "utf-8")
    lenient = old if refused_by == "new" else new
    edit(lenient / "allocation.yaml", "policy: required", "policy: any")
    code, out, err = call("diff", old, new, "--claims", late, "--format", "json")
    assert code == 2
    assert [c["path"] for c in json.loads(out)["changes"]] == ["achieved_by_submission.policy"]
    assert "late.yaml:" in err
    assert "achieved_by_submission" in err
    other = "old" if refused_by == "new" else "new"
    assert f"valid under the {other} rules but refused under the {refused_by}" in err


def test_policy_staff_transcript_is_what_diff_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/policy-staff.md's `qfund diff` example, redone as the doc describes the edit,
    prints exactly what the doc shows (hashes included) and exits 1."""
    doc = (ROOT / "docs" / "policy-staff.md").read_text(encoding="utf-8")
    command = "$ qfund diff rules-before rules --claims examples/claims-2027.yaml\n"
    shown = doc.split(command, 1)[1].split("```", 1)[0]
    copy_rules(tmp_path / "rules-before")
    amend(copy_rules(tmp_path / "rules"))
    (tmp_path / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    argv = command.removeprefix("$ qfund ").split()
    assert call(*argv) == (1, shown, "")


def test_policy_staff_unreached_amount_is_what_diff_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/policy-staff.md's impact of the 25 万元 from 2027-06-01 is the end of what
    `qfund diff` prints for that edit."""
    doc = (ROOT / "docs" / "policy-staff.md").read_text(encoding="utf-8")
    intro = "The same 25 万元 from 2027-06-01 instead of 2027-01-01:\n\n```text\n"
    shown = doc.split(intro, 1)[1].split("```", 1)[0]
    copy_rules(tmp_path / "rules-before")
    amend(copy_rules(tmp_path / "rules"), "2027-06-01")
    (tmp_path / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    code, out, err = call("diff", "rules-before", "rules", "--claims", "examples/claims-2027.yaml")
    assert (code, err) == (1, "")
    assert out.endswith("\n" + shown)


def test_policy_staff_failing_case_is_what_qfund_test_prints(tmp_path: Path) -> None:
    """docs/policy-staff.md's FAIL lines are those `qfund test` prints after its 25 万元
    change: the case it names exists, and fails as shown."""
    doc = (ROOT / "docs" / "policy-staff.md").read_text(encoding="utf-8")
    intro = "One line per case, `PASS` or `FAIL` with what differed:\n\n```text\n"
    shown = doc.split(intro, 1)[1].split("```", 1)[0]
    rules = amend(copy_rules(tmp_path / "rules"))
    code, out, _ = call("test", str(RULES_DIR / "tests"), "--rules", rules)
    failing = [line for line in out.splitlines(keepends=True) if not line.startswith("PASS")]
    assert (code, "".join(failing[:-1])) == (1, shown)


def test_policy_staff_problems_are_what_validate_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/policy-staff.md's first listing of problems is what `qfund validate rules`
    prints after the two slips it shows (the first item's `amounts` misspelt, the second
    item's amount 0), and it exits 1."""
    doc = (ROOT / "docs" / "policy-staff.md").read_text(encoding="utf-8")
    shown = doc.split("and a hint:\n\n```text\n", 1)[1].split("```", 1)[0]
    awards = copy_rules(tmp_path / "rules") / "awards.yaml"
    edit(awards, "    amounts:\n", "    amonts:\n", after="- id: a9.1\n")
    edit(awards, "wan: 50}", "wan: 0}", after="- id: a9.2\n")
    monkeypatch.chdir(tmp_path)
    assert call("validate", "rules") == (1, "", shown)


def test_policy_staff_measures_check_is_what_validate_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/policy-staff.md's `qfund validate --measures` run, redone after the three slips
    it describes (a9.1 cited as 第九十九条, a10.1.national as 第十条第(二)项, a full-width
    comma in the clause of a13.1.national), prints what the doc shows and exits 1."""
    doc = (ROOT / "docs" / "policy-staff.md").read_text(encoding="utf-8")
    command = "$ qfund validate rules --measures docs/source/measures-2026-draft.txt\n"
    shown = doc.split("```text\n" + command, 1)[1].split("```", 1)[0]
    awards = copy_rules(tmp_path / "rules") / "awards.yaml"
    edit(awards, "citation: 第九条第(一)项", "citation: 第九十九条", after="- id: a9.1\n")
    a10 = "- id: a10.1.national\n"
    edit(awards, "citation: 第十条第(一)项", "citation: 第十条第(二)项", after=a10)
    edit(awards, "主导制定国家标准的,给予20万元奖励", "主导制定国家标准的，给予20万元奖励")
    (tmp_path / "docs").symlink_to(ROOT / "docs", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    assert call(*command.removeprefix("$ qfund ").split()) == (1, "", shown)


def test_policy_staff_case_file_problems_are_what_qfund_test_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/policy-staff.md's case file that cannot run (an impossible date in the first
    case's claim, a misspelt item id in its first expectation) is listed as `qfund test`
    lists it, at the lines the case file has now, and exits 2."""
    doc = (ROOT / "docs" / "policy-staff.md").read_text(encoding="utf-8")
    intro = "lists problems in the rule files:\n\n```text\n"
    shown = doc.split(intro, 1)[1].split("```", 1)[0]
    shutil.copytree(RULES_DIR, tmp_path / "rules")
    cases = tmp_path / "rules" / "tests" / "a13-standards.yaml"
    edit(cases, "achieved_on: 2026-11-02", "achieved_on: 2026-11-31")
    edit(cases, "item: a13.1.national,", "item: a13.1.nationl,")
    monkeypatch.chdir(tmp_path)
    assert call("test", "--rules", "rules") == (2, "", shown)


@pytest.mark.parametrize(
    ("file", "old_text", "new_text", "path"),
    [
        ("awards.yaml", "title_zh: 主导制定国家标准\n", "title_zh: 牵头制定国家标准\n",
         "items[a13.1.national].title_zh"),
        ("awards.yaml", "title_en: Lead drafting of a national standard\n",
         "title_en: Led the drafting of a national standard\n", "items[a13.1.national].title_en"),
        ("exclusions.yaml", "title_zh: 不符合产业政策和发展规划",
         "title_zh: 不符合产业政策或发展规划", "exclusions[excluded_industrial_policy].title_zh"),
        ("exclusions.yaml", "en: Yizhou District", "en: Yizhou", "eligibility.regions.650502.en"),
        ("exclusions.yaml", "zh: 企业", "zh: 企业法人", "eligibility.org_types.enterprise.zh"),
        ("exclusions.yaml", "en: dishonesty list", "en: list of dishonest entities",
         "exclusions[excluded_credit].list_names.dishonest.en"),
    ],
)  # fmt: skip
def test_a_title_or_name_edit_is_wording(
    old: Path, new: Path, file: str, old_text: str, new_text: str, path: str
) -> None:
    """An edited title or name is tagged wording, in the text and in JSON's kind, and the
    text says no decision changes by it."""
    edit(new / file, old_text, new_text)
    code, out, _ = call("diff", old, new, "--format", "json")
    assert (code, [(c["kind"], c["path"]) for c in json.loads(out)["changes"]]) == (
        1,
        [("wording", path)],
    )
    _, text, _ = call("diff", old, new, "--lang", "en")
    assert f"  [wording] {path}" in text
    assert "wording only: no decision's outcome, item or amount changes by it\n" in text


def test_a_credit_list_name_added_is_wording(old: Path, new: Path) -> None:
    """A name given to a list the credit case does not count (which may go without one) is
    wording, as an edited name is: no decision reads it."""
    for directory in (old, new):
        edit(directory / "exclusions.yaml", "lists: [dishonest, negative]", "lists: [dishonest]")
    edit(
        old / "exclusions.yaml",
        "      negative:\n        zh: 负面清单\n        en: negative list\n",
        "",
    )
    diff = diff_rules(q.load_rules(old), q.load_rules(new))
    assert [(c.kind, c.path, c.change) for c in diff.changes] == [
        ("wording", "exclusions[excluded_credit].list_names.negative", "added")
    ]
    assert "wording only" in diff.to_text("en")


def _edit_condition(directory: Path) -> None:
    edit(directory / "awards.yaml", "eq: national", "eq: local", after="id: a13.1.national")


def _edit_date(directory: Path) -> None:
    edit(directory / "exclusions.yaml", "published_on: 2026-02-12", "published_on: 2026-02-14")


def _add_region(directory: Path) -> None:
    edit(
        directory / "exclusions.yaml",
        "  regions:\n",
        '  regions:\n    "650599":\n      zh: 测试区\n      en: Test District\n',
    )


def _add_industry_code(directory: Path) -> None:
    edit(directory / "awards.yaml", "    - AQ  # 安全生产\n", "    - AA\n    - AQ  # 安全生产\n")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (amend, ("amount", "items[a13.1.national].amounts")),
        (_edit_condition, ("condition", "items[a13.1.national].when")),
        (_edit_date, ("policy", "validity.published_on")),
        (_add_region, ("list", "eligibility.regions.650599")),
        (_add_industry_code, ("list", "standard_codes.industry")),
    ],
)
def test_amount_condition_date_and_list_changes_are_not_wording(
    old: Path, new: Path, change: Callable[[Path], object], expected: tuple[str, str]
) -> None:
    """An amount, a condition, a date and a list keep their policy tags beside a title
    edit, and the text does not call the change wording only."""
    change(new)
    edit(new / "awards.yaml", "title_zh: 主导制定国家标准\n", "title_zh: 牵头制定国家标准\n")
    diff = diff_rules(q.load_rules(old), q.load_rules(new))
    assert sorted((c.kind, c.path) for c in diff.changes) == sorted(
        [expected, ("wording", "items[a13.1.national].title_zh")]
    )
    assert "wording only" not in diff.to_text("en")


def _validate_json(directory: Path) -> dict[str, object]:
    code, out, _ = call("validate", directory, "--format", "json")
    assert code == 0
    data: dict[str, object] = json.loads(out)
    return data


def test_the_new_rules_warnings_are_shown_as_validate_lists_them(old: Path, new: Path) -> None:
    """A budget under 300 万元 in the new rules: the diff shows validate's warning, word
    for word, in the text and in JSON."""
    edit(new / "allocation.yaml", "2028: 300", "2028: 250")
    warnings = _validate_json(new)["warnings"]
    assert isinstance(warnings, list)
    assert len(warnings) == 1
    assert "budget 250 万元 for 2028 is below 300 万元" in warnings[0]
    code, out, _ = call("diff", old, new, "--format", "json")
    assert (code, json.loads(out)["warnings"]) == (1, warnings)
    _, text, _ = call("diff", old, new)
    assert f"新规则的警告(qfund validate 同样列出)\n  {warnings[0]}\n" in text


def test_the_old_rules_warnings_are_not_shown(old: Path, new: Path) -> None:
    """A warning of the old rules that the new ones fixed is not the new rules'."""
    edit(old / "allocation.yaml", "2028: 300", "2028: 250")
    diff = diff_rules(q.load_rules(old), q.load_rules(new))
    assert (diff.warnings, diff.to_dict()["warnings"]) == ((), [])
    assert "qfund validate" not in diff.to_text()


def test_a_new_amount_from_after_expiry_is_warned_of(old: Path, new: Path) -> None:
    """A dated value from after the measures expire (2029-03-13) changes no decision: the
    diff says so, at its line, in the text and in JSON."""
    amend(new, "2030-01-01")
    code, out, _ = call("diff", old, new, "--format", "json")
    [warning] = json.loads(out)["warnings"]
    assert code == 1
    assert warning.startswith(f"{new / 'awards.yaml'}:")
    assert "items[20].amounts[1].from: warning: dated value from 2030-01-01 is after the " in (
        warning
    )
    assert "measures expire (2029-03-13): it never applies" in warning
    _, text, _ = call("diff", old, new, "--lang", "en")
    assert f"Warnings of the new rules (as qfund validate lists them)\n  {warning}\n" in text


def test_a_new_amount_no_claim_reaches_is_named(old: Path, new: Path, batch_file: Path) -> None:
    """A dated value from 2027-06-01, after the batch's last standard (2027-02-01): no
    decision changes, and the diff names the amount and why, in the text and in JSON."""
    amend(new, "2027-06-01")
    code, out, _ = call("diff", old, new, "--claims", batch_file, "--format", "json")
    impact = json.loads(out)["impact"]
    assert (code, impact["changed"]) == (1, [])
    assert impact["unreached_amounts"] == [
        {
            "item": "a13.1.national",
            "title": "主导制定国家标准",
            "title_en": "Lead drafting of a national standard",
            "kind": "standard",
            "from": "2027-06-01",
            "wan": "25",
            "yuan": 250_000,
            "latest_achieved_on": "2027-02-01",
        }
    ]
    _, text, _ = call("diff", old, new, "--claims", batch_file)
    assert (
        "  批次中没有申报用到的新金额\n"
        "    items[a13.1.national] 主导制定国家标准: 2027-06-01 起 25 万元 (250,000 元); "
        "批次中 standard 类申报的取得日期最晚为 2027-02-01,早于 2027-06-01\n"
    ) in text


def test_a_new_amount_for_a_kind_the_batch_lacks_is_named(
    old: Path, new: Path, batch_file: Path
) -> None:
    """A new amount for a kind no claim of the batch has reaches none of its claims,
    whatever their dates."""
    edit(new / "awards.yaml", "      - {from: 2026-03-14, wan: 20}",
         "      - {from: 2026-03-14, wan: 20}\n      - {from: 2026-06-01, wan: 30}",
         after="id: a9.1")  # fmt: skip
    old_rules, new_rules = q.load_rules(old), q.load_rules(new)
    batch = old_rules.load_batch(batch_file)
    [unreached] = measure_impact(old_rules, new_rules, batch).unreached
    assert (unreached.item, unreached.kind, unreached.latest_achieved_on) == (
        "a9.1",
        "quality_county",
        None,
    )
    _, text, _ = call("diff", old, new, "--claims", batch_file, "--lang", "en")
    assert "from 2026-06-01: 30 万元 (300,000 yuan); the batch has no quality_county claim" in text


def test_a_new_amount_a_claim_reaches_is_not_named(old: Path, new: Path, batch_file: Path) -> None:
    """The 2027-01-01 amendment reaches C1 (2027-02-01): nothing is listed as unreached."""
    old_rules, new_rules = q.load_rules(old), q.load_rules(amend(new))
    impact = measure_impact(old_rules, new_rules, old_rules.load_batch(batch_file))
    assert (len(impact.changed), impact.unreached) == (1, ())


def test_diff_names_the_paths_given_escaped(old: Path, new: Path, tmp_path: Path) -> None:
    """A directory or batch whose name holds a line break is named escaped (shown_path),
    each message on one line: a rule directory that is not one, and a batch one side refuses."""
    weird = tmp_path / "a\nb"
    weird.mkdir()
    late = weird / "late.yaml"
    late.write_text(BATCH.replace("achieved_on: 2026-12-01", "achieved_on: 2027-04-01"), "utf-8")
    edit(old / "allocation.yaml", "policy: required", "policy: any")
    missing = weird / "none"
    refused = call("diff", old, new, "--claims", late)[2].splitlines()[-1]
    assert (call("diff", old, missing)[2], refused) == (
        f"qfund: {str(missing)!r}: not a directory of rule files\n",
        f"qfund diff: {str(late)!r} is valid under the old rules but refused under the new (1 "
        "problem): the rule changes above say why; no decision was priced",
    )


NOTED = """\
round: 2027
submitted_on: 2027-03-20
applicants:
  - {id: A1, name: 哈密某公司, org_type: enterprse, region: "650502"}
  - {id: A2, name: 哈密某所, org_type: research_institue, region: "650502"}
  - {id: A3, name: 哈密某协会, org_type: social_organization, region: "650502"}
claims:
  - {id: C1, applicant: A1, kind: leading_enterprise, achieved_on: 2026-11-01}
  - {id: C2, applicant: A2, kind: leading_enterprise, achieved_on: 2026-11-01}
  - {id: C3, applicant: A3, kind: technical_committee, level: national, body: tc,
     subject: SAC/TC 123, achieved_on: 2027-01-02}
  - {id: C4, applicant: A3, kind: technical_committee, level: national, body: tc,
     subject: sac/tc123, achieved_on: 2027-01-02}
"""


def test_diff_claims_gives_the_batch_notes_of_every_other_command(
    old: Path, new: Path, tmp_path: Path
) -> None:
    """`diff --claims` notes the batch as `evaluate` does (load_batch_noting's notes: a near
    miss of an org_type, subjects differing only in case, a batch with no claims), each once;
    a near miss of a type one side lists only is noted as under that side's rules."""
    batch = tmp_path / "noted.yaml"
    batch.write_text(NOTED, encoding="utf-8")
    empty = tmp_path / "empty.yaml"
    empty.write_text("round: 2027\nsubmitted_on: 2027-03-20\napplicants: []\nclaims: []\n", "utf-8")
    same = [call("diff", old, old, "--claims", b)[2] for b in (batch, empty)]
    evaluated = [call("evaluate", b)[2] for b in (batch, empty)]
    # research_institute no longer listed by the new rules (a warning): no near miss there.
    unlisted = "    research_institute:\n      zh: 科研机构\n      en: research institute\n"
    edit(new / "exclusions.yaml", unlisted, "")
    edit(new / "allocation.yaml", "policy: required", "policy: any")  # the batch loaded twice
    one_side = call("diff", old, new, "--claims", batch)[2]
    near_miss = evaluated[0].splitlines(keepends=True)[1]
    under_old = near_miss.replace("note: ", "note: under the old rules: ")
    assert (same, one_side) == (evaluated, evaluated[0].replace(near_miss, under_old))
    assert (len(evaluated[0].splitlines()), "research_institue" in near_miss) == (3, True)
