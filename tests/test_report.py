"""The HTML report: every claim with its trace, escaped, deterministic, in both languages."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
from pathlib import Path

import pytest

import qfund_rules as q
from qfund_rules.allocation import run_round
from qfund_rules.cli import run
from qfund_rules.explain import Lang
from qfund_rules.ledger import MemoryLedger, SqliteLedger
from qfund_rules.money import format_wan
from qfund_rules.report import render_report

from .conftest import RULES_DIR, last_submitted

BATCH = """\
round: 2027
submitted_on: 2027-03-20
applicants:
  - {id: A1, name: 哈密天山风电装备制造有限公司, org_type: enterprise, region: "650502"}
  - {id: A2, name: 新疆天山智造科技有限公司, org_type: enterprise, region: "650102"}
claims:
  - id: C1
    applicant: A1
    kind: standard
    action: formulate
    standard_no: GB/T 45678-2026
    achieved_on: 2026-11-02
    drafting_units: [{name: 哈密天山风电装备制造有限公司, region: "650502"}]
  - {id: C2, applicant: A1, kind: quality_award, award: xinjiang, tier: winner,
     first_time: true, achieved_on: 2026-12-22}
  - {id: C3, applicant: A1, kind: quality_award, award: xinjiang, tier: nominee,
     first_time: true, achieved_on: 2026-04-20}
  - {id: C4, applicant: A2, kind: leading_enterprise, achieved_on: 2026-12-01}
  - {id: C5, applicant: A1, kind: cnas_accreditation, first_time: true, achieved_on: 2026-07-01,
     objection: true}
"""

#: What `--round` without `--publicity-start` notes on stderr: the round the page shows
#: cannot be committed so (allocation.yaml publicity.commit.requires_start).
NOTE_2027 = (
    "qfund: note: round 2027 has no publicity start, and allocation.yaml "
    "publicity.commit.requires_start is true (第二十条第(三)项: awards are paid only after "
    "publicity), so a commit will need --publicity-start DATE\n"
)

HOSTILE_NAME = "<script>alert('名')</script> & \"Co\""
HOSTILE_ID = 'C"><img src=x onerror=alert(1)>'
HOSTILE_SUBJECT = "</details><script>alert(2)</script>"
HOSTILE = f"""\
round: 2027
submitted_on: 2027-03-20
applicants:
  - id: "A<1>"
    name: {json.dumps(HOSTILE_NAME, ensure_ascii=False)}
    org_type: enterprise
    region: "650502"
claims:
  - id: {json.dumps(HOSTILE_ID)}
    applicant: "A<1>"
    kind: qc_group
    level: national
    subject: {json.dumps(HOSTILE_SUBJECT)}
    achieved_on: 2026-11-02
"""


def _batch(rules: q.RuleSet, text: str = BATCH) -> q.Batch:
    return q.load_batch(text.encode(), industry_codes=rules.industry_codes, name="batch.yaml")


def _page(rules: q.RuleSet, text: str = BATCH, lang: Lang = "zh") -> str:
    batch = _batch(rules, text)
    return render_report(q.evaluate(rules, batch), rules, batch, lang=lang)


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr id="row-[^"]*" data-claim="([^"]*)"', page)


def call(*argv: str) -> tuple[int, str, str]:
    """Run qfund in process; return exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_every_claim_has_a_row(rules: q.RuleSet) -> None:
    """The decisions table has one row per claim, in batch order."""
    assert _rows(_page(rules)) == ["C1", "C2", "C3", "C4", "C5"]


def test_every_claim_has_a_trace(rules: q.RuleSet) -> None:
    """Each claim has a <details> trace holding every step of its decision."""
    batch = _batch(rules)
    evaluation = q.evaluate(rules, batch)
    page = render_report(evaluation, rules, batch)
    for d in evaluation.decisions:
        body = page.split(f'<details class="trace" id="trace-{d.claim_id}"', 1)[1]
        body = body.split("</details>", 1)[0]
        assert body.count('<li class="step') == len(d.trace)


def test_trace_quotes_the_clause_from_the_rule_files(rules: q.RuleSet) -> None:
    """An awarded item's clause is quoted verbatim from awards.yaml."""
    clause = rules.by_id["a13.1.national"].item.clause
    assert f"第十三条第(一)项:“{clause}”" in _page(rules)


def test_trace_quotes_the_article_a_supersession_cites(rules: q.RuleSet) -> None:
    """A 就高不就低 step quotes 第二十条第(二)项, not the superseded item's clause."""
    clause = rules.allocation.same_qualification.clause
    assert clause is not None
    assert f"第二十条第(二)项:“{clause}”" in _page(rules)


def test_trace_says_why_other_candidates_were_not_paid(rules: q.RuleSet) -> None:
    """The trace of the nominee claim lists the other 第十一条 items and why they failed."""
    page = _page(rules)
    c3 = page.split('id="trace-C3"', 1)[1].split("</details>", 1)[0]
    others = c3.split('<section class="others">', 1)[1]
    assert '<li data-item="a11.1.winner">' in others
    assert "不符合“首次获得中国质量奖”" in others


def test_report_escapes_hostile_text(rules: q.RuleSet) -> None:
    """Names, ids and subjects that look like markup are escaped, never emitted as tags."""
    page = _page(rules, HOSTILE)
    for raw in (HOSTILE_NAME, HOSTILE_ID, HOSTILE_SUBJECT, "<img", "alert(2)</script>"):
        assert raw not in page
    assert "&lt;script&gt;alert(&#x27;名&#x27;)&lt;/script&gt; &amp; &quot;Co&quot;" in page
    assert page.count("<script>") == 1


def test_report_is_deterministic(rules: q.RuleSet) -> None:
    """The same batch and rules give the same page, character for character."""
    assert _page(rules) == _page(rules)


def test_report_is_chinese_by_default(rules: q.RuleSet) -> None:
    """Without a language the page is Chinese, with the engine's Chinese messages."""
    page = _page(rules)
    assert '<html lang="zh-CN">' in page
    assert "<h2>决定过程</h2>" in page
    assert "取得日期2026-11-02在本办法有效期内" in page


def test_report_in_english(rules: q.RuleSet) -> None:
    """lang="en" gives English labels and the engine's English messages."""
    page = _page(rules, lang="en")
    assert '<html lang="en">' in page
    assert "<h2>Traces</h2>" in page
    assert "achieved on 2026-11-02, while the measures are in force" in page
    assert "取得日期2026-11-02在本办法有效期内" not in page


def test_report_states_the_rule_set(rules: q.RuleSet) -> None:
    """The page names the rule set's version, status and sha256."""
    page = _page(rules)
    assert f'<code id="rules-sha256">{rules.sha256}</code>' in page
    assert f"<dd>{rules.version}</dd>" in page
    assert '<span id="rules-status">draft' in page


def test_draft_rules_show_a_banner(rules: q.RuleSet) -> None:
    """Decisions made under draft rules carry a visible DRAFT banner."""
    assert '<div class="draft" id="draft-banner"' in _page(rules)


def test_final_rules_show_no_banner(tmp_path: Path) -> None:
    """Final rules carry no DRAFT banner."""
    for f in RULES_DIR.glob("*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    awards = tmp_path / "awards.yaml"
    awards.write_text(
        awards.read_text(encoding="utf-8").replace("status: draft", "status: final", 1),
        encoding="utf-8",
    )
    final = q.load_rules(tmp_path)
    assert 'id="draft-banner"' not in _page(final)


def test_summary_counts_and_totals(rules: q.RuleSet) -> None:
    """The summary counts outcomes and totals the amounts in yuan and 万元."""
    batch = _batch(rules)
    evaluation = q.evaluate(rules, batch)
    total = sum(d.amount_yuan for d in evaluation.decisions)
    page = render_report(evaluation, rules, batch)
    assert '<tr id="sum-claims"><th scope="row">申报</th><td class="num">5</td></tr>' in page
    assert '<tr id="sum-superseded">' in page
    assert f"{total:,} 元 ({format_wan(total)} 万元)" in page


def test_report_fetches_nothing(rules: q.RuleSet) -> None:
    """The page refers to no external resource and forbids fetching any."""
    page = _page(rules)
    assert "default-src &#x27;none&#x27;" in page
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)
    assert "<link" not in page


def test_report_refuses_decisions_of_other_rules(rules: q.RuleSet, tmp_path: Path) -> None:
    """Rendering with another rule set than the one that decided is refused."""
    for f in RULES_DIR.glob("*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    with (tmp_path / "awards.yaml").open("a", encoding="utf-8") as fh:
        fh.write("# another rule set\n")
    other = q.load_rules(tmp_path)
    batch = _batch(rules)
    with pytest.raises(q.QfundError, match="wrong clauses"):
        render_report(q.evaluate(rules, batch), other, batch)


def test_round_report_shows_the_allocation(rules: q.RuleSet) -> None:
    """With a round, the summary gives budget, paid, deferred, held and the publicity window."""
    batch = _batch(rules)
    with MemoryLedger() as ledger:
        result = run_round(
            rules, batch, ledger, budget_yuan=300_000, publicity_start=dt.date(2027, 5, 6)
        )
    page = render_report(result, rules, batch)
    s = result.summary
    assert '<tr id="sum-budget"><th scope="row">年度预算</th>' in page
    assert f"{s.paid_yuan:,} 元" in page
    assert '<tr id="sum-deferred">' in page
    assert '<tr id="sum-held">' in page
    assert "2027-05-06 至 2027-05-12; 拨付日起 2027-05-13" in page


def test_round_report_has_an_allocation_column(rules: q.RuleSet) -> None:
    """With a round, each row says whether the award was paid, deferred or held."""
    batch = _batch(rules)
    with MemoryLedger() as ledger:
        result = run_round(rules, batch, ledger, budget_yuan=300_000)
    page = render_report(result, rules, batch)
    c5 = page.split('<tr id="row-C5"', 1)[1].split("</tr>", 1)[0]
    assert "异议暂缓" in c5


def test_cli_report_writes_the_page(tmp_path: Path) -> None:
    """`qfund report BATCH --out FILE` writes the page and says where."""
    batch = tmp_path / "batch.yaml"
    batch.write_text(BATCH, encoding="utf-8")
    out = tmp_path / "report.html"
    code, stdout, _ = call("report", str(batch), "--out", str(out))
    assert code == 0
    assert f"wrote {out}: 5 decisions" in stdout
    assert _rows(out.read_text(encoding="utf-8")) == ["C1", "C2", "C3", "C4", "C5"]


def test_cli_report_is_byte_identical_across_runs(tmp_path: Path) -> None:
    """Two runs of `qfund report` write the same bytes."""
    batch = tmp_path / "batch.yaml"
    batch.write_text(BATCH, encoding="utf-8")
    first, second = tmp_path / "1.html", tmp_path / "2.html"
    assert call("report", str(batch), "--out", str(first))[0] == 0
    assert call("report", str(batch), "--out", str(second))[0] == 0
    assert first.read_bytes() == second.read_bytes()


def test_cli_report_in_english_to_stdout(tmp_path: Path) -> None:
    """`--out -` writes the page to standard output; `--lang en` makes it English."""
    batch = tmp_path / "batch.yaml"
    batch.write_text(BATCH, encoding="utf-8")
    code, stdout, _ = call("report", str(batch), "--out", "-", "--lang", "en")
    assert code == 0
    assert stdout.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in stdout


def test_cli_report_round_without_ledger(tmp_path: Path) -> None:
    """`--round` without `--ledger` allocates as a first round against an empty ledger."""
    batch = tmp_path / "batch.yaml"
    batch.write_text(BATCH, encoding="utf-8")
    out = tmp_path / "r.html"
    code, _, err = call("report", str(batch), "--round", "--budget", "30", "--out", str(out))
    assert (code, err) == (0, NOTE_2027)
    assert '<tr id="sum-budget"><th scope="row">年度预算</th><td class="num">300,000 元' in (
        out.read_text(encoding="utf-8")
    )


def test_cli_report_budget_needs_round(tmp_path: Path) -> None:
    """`--budget` without `--round` is a usage error (exit 2)."""
    batch = tmp_path / "batch.yaml"
    batch.write_text(BATCH, encoding="utf-8")
    code, _, err = call("report", str(batch), "--budget", "300", "--out", str(tmp_path / "x"))
    assert code == 2
    assert "--round" in err


@pytest.mark.parametrize(
    "target", ["batch.yaml", "sub/../batch.yaml", "fund.db", "rules/awards.yaml"]
)
def test_cli_report_never_overwrites_its_input(tmp_path: Path, target: str) -> None:
    """`--out` naming the batch, the ledger or a rule file (however spelt) is refused."""
    batch = tmp_path / "batch.yaml"
    batch.write_text(BATCH, encoding="utf-8")
    ledger = tmp_path / "fund.db"
    with SqliteLedger(ledger):
        pass
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    (tmp_path / "sub").mkdir()
    inputs = (batch, ledger, rules / "awards.yaml")
    before = [p.read_bytes() for p in inputs]
    out = tmp_path / target
    code, stdout, err = call(
        "report", str(batch), "--ledger", str(ledger), "--rules", str(rules), "--out", str(out)
    )
    assert (code, stdout, err, [p.read_bytes() for p in inputs] == before) == (
        2,
        "",
        f"qfund report: --out {out} is an input of the report; not overwriting it\n",
        True,
    )


def test_cli_report_never_creates_a_ledger(tmp_path: Path) -> None:
    """A missing --ledger file is bad input (exit 2), and is not created."""
    batch = tmp_path / "batch.yaml"
    batch.write_text(BATCH, encoding="utf-8")
    ledger = tmp_path / "missing.db"
    code, _, err = call("report", str(batch), "--ledger", str(ledger), "--out", "-")
    assert code == 2
    assert "no such ledger" in err
    assert not ledger.exists()


def test_cli_report_bad_batch_exits_2(tmp_path: Path) -> None:
    """A batch with an unknown kind is refused with its location, and nothing is written."""
    batch = tmp_path / "batch.yaml"
    batch.write_text(BATCH.replace("kind: leading_enterprise", "kind: leading"), encoding="utf-8")
    out = tmp_path / "r.html"
    code, _, err = call("report", str(batch), "--out", str(out))
    assert code == 2
    assert "batch.yaml:" in err
    assert not out.exists()


def test_round_report_says_where_a_deferred_award_goes(rules: q.RuleSet) -> None:
    """An award the budget could not pay shows as deferred to the next year (用完即止)."""
    batch = _batch(rules)
    with MemoryLedger() as ledger:
        result = run_round(rules, batch, ledger, budget_yuan=300_000)
    assert result.decision("C2").allocation is not None
    page = render_report(result, rules, batch)
    c2 = page.split('<tr id="row-C2"', 1)[1].split("</tr>", 1)[0]
    assert "列入2028年度" in c2


def test_round_report_lists_awards_carried_in(rules: q.RuleSet) -> None:
    """Awards deferred by an earlier round appear in their own table with this round's fate."""
    earlier = _batch(
        rules,
        BATCH.replace(
            "round: 2027\nsubmitted_on: 2027-03-20", "round: 2026\nsubmitted_on: 2026-12-28"
        ),
    )
    later = _batch(
        rules,
        BATCH.split("claims:", 1)[0]
        + "claims:\n"
        + ("  - {id: D1, applicant: A1, kind: leading_enterprise, achieved_on: 2026-12-01}\n"),
    )
    with MemoryLedger() as ledger:
        start = last_submitted(earlier)
        assert run_round(rules, earlier, ledger, budget_yuan=0, publicity_start=start).commit(
            ledger
        )
        result = run_round(rules, later, ledger, budget_yuan=3_000_000)
    page = render_report(result, rules, later)
    carried = page.split('<section id="carried">', 1)[1].split("</section>", 1)[0]
    assert [c.claim_id for c in result.carried_in] == ["C1", "C2"]  # C5 is held
    assert '<tr data-carried="C1">' in carried
    assert "2027年度拨付" in carried


@pytest.mark.parametrize(
    ("recorded", "message"),
    [
        ("round: 2027\nsubmitted_on: 2027-03-20", "the ledger already records round 2027"),
        ("round: 2028\nsubmitted_on: 2028-03-20", "later rounds (2028) than the batch"),
    ],
)
def test_cli_report_refuses_a_ledger_holding_the_round_or_a_later_one(
    tmp_path: Path, rules: q.RuleSet, recorded: str, message: str
) -> None:
    """--ledger decides against earlier rounds only: against a ledger that holds the batch's
    own round, its awards would count as earlier ones (C2 already awarded, not first time)."""
    batch = tmp_path / "batch.yaml"
    batch.write_text(BATCH, encoding="utf-8")
    ledger = tmp_path / "fund.db"
    committed = _batch(rules, BATCH.replace("round: 2027\nsubmitted_on: 2027-03-20", recorded))
    with SqliteLedger(ledger) as fund:
        assert run_round(rules, committed, fund, publicity_start=last_submitted(committed)).commit(
            fund
        )
    code, stdout, err = call("report", str(batch), "--ledger", str(ledger), "--out", "-")
    assert (code, stdout) == (2, "")
    assert message in err
    if "2027" in recorded:  # --round shows the recorded round as it was committed
        code, page, _ = call("report", str(batch), "--ledger", str(ledger), "--round", "--out", "-")
        assert code == 0
        assert 'data-outcome="awarded"' in page
