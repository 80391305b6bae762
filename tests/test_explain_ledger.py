"""`qfund explain --ledger` and `qfund report --round --ledger`: a round's decisions as
committed, and where each award stands now.

The two-year scenario of tests/test_round_cli.py (docs/rounds.md): in 2027 C3 is deferred
and paid in 2028, C2 is paid and then revoked for fraud, C5 is held by an objection,
released and paid in 2028, and A2's D2 of 2028 is banned.
"""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pytest

from qfund_rules.ledger import SinceRound, SqliteLedger

from .test_round_cli import BATCH_2027, Scenario, fraud_after_round_two, qfund, write, year_one


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """The scenario, run once for this module."""
    return Scenario(tmp_path_factory.mktemp("explain"))


def explained(scenario: Scenario, batch: Path, claim: str) -> list[str]:
    code, out, err = qfund(
        "explain", batch, "--claim", claim, "--ledger", scenario.ledger, "--lang", "en"
    )
    assert code == 0, err
    return out.splitlines()


def test_a_deferred_award_shows_its_allocation_and_that_it_was_paid_later(
    scenario: Scenario,
) -> None:
    """C3 was deferred by 2027's budget and paid from 2028's."""
    lines = explained(scenario, scenario.b27, "C3")
    assert "Allocation: deferred: 2027's budget ran out, 20 万元" in lines
    assert "In the ledger now: paid; paid 20 万元, clawed back 0 万元" in lines


def test_a_revoked_award_says_so(scenario: Scenario) -> None:
    """C2 was paid in 2027, then revoked by a fraud finding and clawed back (第二十四条)."""
    lines = explained(scenario, scenario.b27, "C2")
    assert "Allocation: paid from 2027, 60 万元" in lines
    said = "revoked: fraud found on 2028-01-15 (第二十四条); paid 60 万元, clawed back 60 万元"
    assert f"In the ledger now: {said}" in lines


def test_a_recorded_decision_is_the_committed_one(scenario: Scenario) -> None:
    """D1 is the 2028 top-up and D2 the ban, as committed: not what the batch gives alone
    (D1 would be a first-time 60 万元 award, D2 an award)."""
    d1 = explained(scenario, scenario.b28, "D1")
    assert d1[1:3] == ["Outcome: awarded a11.1.winner, 20 万元 (200000 yuan)", "Reasons: top_up"]
    d2 = explained(scenario, scenario.b28, "D2")
    assert d2[1:3] == ["Outcome: rejected a11.3.winner", "Reasons: banned"]
    code, alone, _ = qfund("explain", scenario.b28, "--claim", "D2", "--lang", "en")
    assert code == 0
    assert alone.splitlines()[1] == "Outcome: awarded a11.3.winner, 10 万元 (100000 yuan)"


def test_a_batch_before_the_ledgers_last_round_is_refused(
    scenario: Scenario, tmp_path: Path
) -> None:
    """--ledger decides against earlier rounds: a 2026 batch against rounds 2027 and 2028
    would count later awards as earlier ones (exit 2)."""
    older = dict(BATCH_2027, round=2026, submitted_on="2026-12-20")
    batch = write(tmp_path / "claims-2026.json", older)
    code, out, err = qfund("explain", batch, "--claim", "C1", "--ledger", scenario.ledger)
    assert (code, out) == (2, "")
    assert "later rounds (2027, 2028) than the batch's round 2026" in err


def test_another_batch_for_a_recorded_round_is_refused(scenario: Scenario, tmp_path: Path) -> None:
    """The same claim ids with other facts: the recorded round is not this batch's."""
    other = json.loads(json.dumps(BATCH_2027))
    other["claims"][0]["achieved_on"] = "2026-11-03"
    batch = write(tmp_path / "other.json", other)
    code, out, err = qfund("explain", batch, "--claim", "C1", "--ledger", scenario.ledger)
    assert (code, out) == (2, "")
    assert "from another batch with the same claim ids" in err


def test_no_such_ledger_is_bad_input(scenario: Scenario, tmp_path: Path) -> None:
    """A missing ledger file is exit 2, and is not created."""
    missing = tmp_path / "missing.db"
    code, _, err = qfund("explain", scenario.b27, "--claim", "C1", "--ledger", missing)
    assert code == 2
    assert "no such ledger" in err
    assert not missing.exists()


NOW = {"zh": "账本现状", "en": "In the ledger now"}


def explained_now(
    scenario: Scenario, batch: Path, claim: str, lang: str, ledger: Path | None = None
) -> str:
    """What `qfund explain --ledger` says of where the claim's award stands now (in the
    scenario's ledger, or in ``ledger``)."""
    code, out, err = qfund(
        "explain", batch, "--claim", claim, "--ledger", ledger or scenario.ledger, "--lang", lang
    )
    assert code == 0, err
    (line,) = [x for x in out.splitlines() if x.startswith(f"{NOW[lang]}: ")]
    return line.removeprefix(f"{NOW[lang]}: ")


def reported(scenario: Scenario, batch: Path, lang: str, ledger: Path | None = None) -> str:
    """The page of `qfund report BATCH --round --ledger` for the scenario's ledger (or
    ``ledger``)."""
    code, page, err = qfund(
        "report", batch, "--round", "--ledger", ledger or scenario.ledger, "--lang", lang,
        "--out", "-",
    )  # fmt: skip
    assert code == 0, err
    return page


def now_cells(page: str) -> dict[str, str]:
    """Claim id -> the classes of its row's "now" cell in a report page."""
    return dict(re.findall(r'<tr id="row-([^"]+)".*?<td class="(now[^"]*)">', page))


def reported_now(page: str, lang: str) -> dict[str, tuple[str, ...]]:
    """Claim id -> where the report says its award stands now: in the claim's row of the
    decisions (or of the awards carried in) and in its trace."""
    found: dict[str, list[str]] = {}
    for claim, cell in re.findall(
        r'<tr (?:id="row-|data-carried=")([^"]+)".*?<td class="now[^"]*">([^<]*)</td>', page
    ):
        found.setdefault(unescape(claim), []).append(unescape(cell))
    for trace in page.split('<details class="trace" id="trace-')[1:]:
        claim, rest = trace.split('"', 1)
        said = re.search(rf"<dt>{re.escape(NOW[lang])}</dt><dd>([^<]*)</dd>", rest)
        if said is not None:
            found.setdefault(unescape(claim), []).append(unescape(said[1]))
    return {k: tuple(v) for k, v in found.items()}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_round_report_shows_where_each_award_stands_as_explain_does(
    scenario: Scenario, lang: str
) -> None:
    """Every decision of the recorded round 2027 shows in the report, in its row and its
    trace, what `qfund explain --ledger` says of it: C2 revoked since, C5 released and paid."""
    page = reported(scenario, scenario.b27, lang)
    claims = ("C1", "C2", "C3", "C4", "C5")
    explained = {c: explained_now(scenario, scenario.b27, c, lang) for c in claims}
    assert {c: (explained[c], explained[c]) for c in claims} == reported_now(page, lang)
    revoked = {
        "en": "revoked: fraud found on 2028-01-15 (第二十四条); paid 60 万元, clawed back 60 万元",
        "zh": "已撤销:2028-01-15认定弄虚作假(第二十四条); 拨付 60 万元, 收回 60 万元",
    }
    released = {
        "en": "paid; paid 5 万元, clawed back 0 万元",
        "zh": "已拨付; 拨付 5 万元, 收回 0 万元",
    }
    assert (revoked[lang], released[lang]) == (explained["C2"], explained["C5"])


def test_the_round_report_shows_where_awards_carried_in_stand(scenario: Scenario) -> None:
    """Round 2028 carried in C3, C4 and C5 of 2027; its report says where each stands now,
    and that the banned D2 was granted nothing."""
    page = reported(scenario, scenario.b28, "en")
    expected = {
        "D1": ("paid; paid 20 万元, clawed back 0 万元", "paid; paid 20 万元, clawed back 0 万元"),
        "D2": ("-",),
        "C3": ("paid; paid 20 万元, clawed back 0 万元",),
        "C4": ("paid; paid 10 万元, clawed back 0 万元",),
        "C5": ("paid; paid 5 万元, clawed back 0 万元",),
    }
    assert expected == reported_now(page, "en")


def test_a_dry_run_report_shows_where_only_the_awards_carried_in_stand(
    scenario: Scenario, tmp_path: Path
) -> None:
    """Round 2028 not yet committed: its decisions are in no ledger (no column for them);
    the awards it carries in are, still owed."""
    ledger = year_one(scenario, tmp_path)
    code, page, err = qfund(
        "report", scenario.b28, "--round", "--budget", "55", "--ledger", ledger,
        "--lang", "en", "--out", "-",
    )  # fmt: skip
    owed = ("owed (deferred); paid 0 万元, clawed back 0 万元",)
    assert (0, {"C3": owed, "C4": owed}) == (code, reported_now(page, "en")), err


def test_a_report_without_a_ledger_has_no_column_for_it(scenario: Scenario) -> None:
    """--round alone decides against an empty ledger: no award has a later state to show."""
    code, page, err = qfund(
        "report", scenario.b27, "--round", "--publicity-start", "2027-06-01",
        "--lang", "en", "--out", "-",
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert ("<th>Allocation</th>" in page, NOW["en"] in page) == (True, False)


#: What a trace says of the ledger when it read one, and when it read none.
READ = {"en": "in the ledger", "zh": "账本中"}
UNREAD = {"en": "(no ledger read)", "zh": "(未提供账本)"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_trace_speaks_of_a_ledger_only_when_one_was_read(scenario: Scenario, lang: str) -> None:
    """C1 is a first-time award: explain and report without --ledger say no ledger was
    read (the report's --round allocates against an empty stand-in); with it, what the
    ledger holds."""
    argv = ("--lang", lang)
    alone = qfund("explain", scenario.b27, "--claim", "C1", *argv)[1]
    page = qfund("report", scenario.b27, "--round", *argv, "--out", "-")[1]
    read = qfund("explain", scenario.b27, "--claim", "C1", "--ledger", scenario.ledger, *argv)[1]
    said = [(READ[lang] in text, UNREAD[lang] in text) for text in (alone, page, read)]
    assert said == [(False, True), (False, True), (True, False)]


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "revoked: objection upheld (第二十二条第(五)项); paid 0 万元, clawed back 0 万元"),
        ("zh", "已撤销:公示异议成立(第二十二条第(五)项); 拨付 0 万元, 收回 0 万元"),
    ],
)
def test_an_award_revoked_by_an_upheld_objection_is_not_shown_as_fraud(
    scenario: Scenario, tmp_path: Path, lang: str, said: str
) -> None:
    """C5's objection upheld (第二十二条第(五)项: paid only when publicity draws none): explain
    and the report say so, not 第二十四条, and the report's cell is not styled as fraud."""
    ledger = year_one(scenario, tmp_path)
    code, _, err = qfund("ledger", "release", "--ledger", ledger, "--claim", "C5",
                         "--found-on", "2027-06-10", "--outcome", "upheld")  # fmt: skip
    assert code == 0, err
    assert explained_now(scenario, scenario.b27, "C5", lang, ledger) == said
    page = reported(scenario, scenario.b27, lang, ledger)
    assert reported_now(page, lang)["C5"] == (said, said)
    cells = now_cells(page)
    assert (cells["C5"], cells["C2"]) == ("now now-upheld", "now now-revoked")


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        (
            "en",
            "revoked: objection upheld (第二十二条第(五)项); fraud found on 2028-01-15 "
            "(第二十四条); paid 0 万元, clawed back 0 万元",
        ),
        (
            "zh",
            "已撤销:公示异议成立(第二十二条第(五)项);2028-01-15认定弄虚作假(第二十四条); "
            "拨付 0 万元, 收回 0 万元",
        ),
    ],
)
def test_a_fraud_finding_after_an_upheld_objection_is_shown_beside_it(
    scenario: Scenario, tmp_path: Path, lang: str, said: str
) -> None:
    """C5's objection upheld, then fraud found on C5: explain and the report say both
    causes (nothing was paid, nothing is clawed back), and the report's cell is red."""
    ledger = year_one(scenario, tmp_path)
    for action in (
        ("release", "--outcome", "upheld", "--found-on", "2027-06-10"),
        ("fraud", "--found-on", "2028-01-15"),
    ):
        code, _, err = qfund("ledger", *action, "--ledger", ledger, "--claim", "C5")
        assert code == 0, err
    assert explained_now(scenario, scenario.b27, "C5", lang, ledger) == said
    page = reported(scenario, scenario.b27, lang, ledger)
    assert reported_now(page, lang)["C5"] == (said, said)
    assert now_cells(page)["C5"] == "now now-revoked"


def test_ledger_fraud_says_the_award_was_already_revoked(
    scenario: Scenario, tmp_path: Path
) -> None:
    """`ledger fraud` on C5, revoked by its upheld objection: the text and `ledger show`
    say the award was already revoked, and the JSON names the cause; the ban is recorded."""
    ledger = year_one(scenario, tmp_path)
    qfund("ledger", "release", "--ledger", ledger, "--claim", "C5", "--outcome", "upheld",
          "--found-on", "2027-06-10")  # fmt: skip
    argv = ("ledger", "fraud", "--ledger", ledger, "--claim", "C5", "--found-on", "2028-01-15")
    text = qfund(*argv)[1]
    data = json.loads(qfund(*argv, "--format", "json")[1])  # the same finding: nothing recorded
    shown = qfund("ledger", "show", "--ledger", ledger)[1].splitlines()
    assert text == (
        "claim C5 (A5): award already revoked (objection upheld, 第二十二条第(五)项); "
        "clawback 0 万元 (0 yuan); banned until 2031-01-15 (exclusive)\n"
    )
    assert (data["already_revoked"], data["clawback_yuan"]) == ("objection", 0)
    assert [line.split(None, 1)[1] for line in shown[-3:]] == [
        "fraud      C5 (round 2027) fraud found on 2028-01-15: award already revoked "
        "(objection upheld, 第二十二条第(五)项)",
        "clawback   C5 (round 2027) clawback 0 万元",
        "ban        applicant A5 banned 2028-01-15 .. 2031-01-15 (exclusive)",
    ]


def test_ledger_fraud_on_an_award_a_ban_revoked_names_that_finding(
    scenario: Scenario, tmp_path: Path
) -> None:
    """`ledger fraud` on D2, revoked under the ban of the finding on C2 (rulings R9): the
    text and `ledger show` name that finding by its claim and round, as explain does, and
    the JSON gives it (banned_by), recorded or recorded again."""
    ledger = fraud_after_round_two(scenario, tmp_path, "65")
    code, _, err = qfund("ledger", "fraud", "--ledger", ledger, "--claim", "C2",
                         "--found-on", "2028-01-15")  # fmt: skip
    assert code == 0, err
    argv = ("ledger", "fraud", "--ledger", ledger, "--claim", "D2", "--found-on", "2028-06-10")
    code, text, err = qfund(*argv)
    data = json.loads(qfund(*argv, "--format", "json")[1])  # the same finding: nothing recorded
    shown = qfund("ledger", "show", "--ledger", ledger)[1].splitlines()
    assert (code, text) == (
        0,
        "claim D2 (A2): award already revoked (under the ban of the fraud found on claim C2 "
        "of round 2027, 第二十四条); clawback 0 万元 (0 yuan); banned until 2031-06-10 "
        "(exclusive)\n",
    ), err
    assert (data["already_revoked"], data["banned_by"]) == (
        "ban",
        {"round": 2027, "claim_id": "C2"},
    )
    assert shown[-3].split(None, 1)[1] == (
        "fraud      D2 (round 2028) fraud found on 2028-06-10: award already revoked (under "
        "the ban of the fraud found on claim C2 of round 2027, 第二十四条)"
    )


def since_totals(page: str) -> dict[str, tuple[str, int]]:
    """The summary's totals of what the ledger recorded since the round: row id -> (label,
    yuan)."""
    rows = re.findall(
        r'<tr id="sum-(since_[a-z_]+)"><th scope="row">([^<]*)</th>'
        r'<td class="num" data-yuan="(\d+)">([^<]*)</td>',
        page,
    )
    for _, _, yuan, shown in rows:
        assert shown.startswith(f"{int(yuan):,} ")  # the integer yuan, as the page says it
    return {key: (unescape(label), int(yuan)) for key, label, yuan, _ in rows}


#: The summary's labels of the totals since the round.
SINCE_LABELS = {
    "en": (
        "Revoked since the round",
        "of which objection upheld (第二十二条第(五)项)",
        "Clawed back since the round (第二十四条)",
        "Released since the round: objection dismissed (第二十二条)",
    ),
    "zh": (
        "本轮后撤销",
        "其中公示异议成立(第二十二条第(五)项)",
        "本轮后收回(第二十四条)",
        "本轮后异议不成立,解除暂缓(第二十二条)",
    ),
}
SINCE_KEYS = ("since_revoked", "since_revoked_objection", "since_clawed_back", "since_released")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_round_report_totals_what_the_ledger_recorded_since(
    scenario: Scenario, lang: str
) -> None:
    """Round 2027's summary: C2 revoked for fraud and its 60 万 clawed back, C5's objection
    dismissed (5 万 released), none upheld."""
    totals = since_totals(reported(scenario, scenario.b27, lang))
    yuan = (600_000, 0, 600_000, 50_000)
    assert dict(zip(SINCE_KEYS, zip(SINCE_LABELS[lang], yuan, strict=True), strict=True)) == (
        totals
    )


def test_a_later_rounds_totals_leave_out_what_came_before_it(scenario: Scenario) -> None:
    """Round 2028 carried in C5, released (2027-06-10) before the round: not counted; nothing
    of 2028's awards or of those it carried in was revoked since."""
    totals = since_totals(reported(scenario, scenario.b28, "en"))
    assert {k: y for k, (_, y) in totals.items()} == dict.fromkeys(SINCE_KEYS, 0)


def test_the_totals_count_an_upheld_objection_and_a_later_finding_once(
    scenario: Scenario, tmp_path: Path
) -> None:
    """C5 revoked by its upheld objection, then found fraudulent; C2 revoked for fraud: 65 万
    revoked, 5 万 of it by the objection, 60 万 clawed back, nothing released; the totals
    are those of the ledger's awards of the round (SinceRound.tally)."""
    ledger = year_one(scenario, tmp_path)
    for action in (
        ("release", "--outcome", "upheld", "--found-on", "2027-06-10"),
        ("fraud", "--found-on", "2028-01-15"),
    ):
        assert qfund("ledger", *action, "--ledger", ledger, "--claim", "C5")[0] == 0
    code, page, err = qfund(
        "report", scenario.b27, "--round", "--ledger", ledger, "--lang", "en", "--out", "-"
    )
    with SqliteLedger(ledger, readonly=True) as opened:
        tallied = SinceRound.tally(a for a in opened.awards() if a.round == 2027)
    totals = {k: y for k, (_, y) in since_totals(page).items()}
    expected = dict(zip(SINCE_KEYS, (650_000, 50_000, 600_000, 0), strict=True))
    assert (code, totals) == (0, expected), err
    assert tuple(totals.values()) == tuple(tallied.to_dict().values())


def test_a_report_without_a_ledger_totals_nothing_since(scenario: Scenario) -> None:
    """--round without --ledger: no award has a later state, so no totals either."""
    code, page, _ = qfund(
        "report", scenario.b27, "--round", "--publicity-start", "2027-06-01", "--out", "-"
    )
    assert (code, since_totals(page), "sum-since" in page) == (0, {}, False)


def test_ledger_fraud_on_a_claim_never_awarded_says_there_was_no_award(
    scenario: Scenario, tmp_path: Path
) -> None:
    """`ledger fraud` on D2, rejected in 2028 (banned): the text and `ledger show` say there
    was no award to revoke and that the finding and its ban are recorded, not "award
    revoked"; the JSON says so in keys of its own."""
    ledger = scenario.copy(tmp_path)
    argv = ("ledger", "fraud", "--ledger", ledger, "--claim", "D2", "--found-on", "2028-06-10")
    code, text, err = qfund(*argv)
    data = json.loads(qfund(*argv, "--format", "json")[1])  # the same finding: nothing recorded
    shown = qfund("ledger", "show", "--ledger", ledger)[1].splitlines()
    assert (code, text) == (
        0,
        "claim D2 (A2): no award to revoke (rejected); the finding and its ban are recorded; "
        "clawback 0 万元 (0 yuan); banned until 2031-06-10 (exclusive)\n",
    ), err
    assert (data["outcome"], data["award_revoked"], data["already_revoked"]) == (
        "rejected",
        False,
        None,
    )
    assert shown[-3].split(None, 1)[1] == (
        "fraud      D2 (round 2028) fraud found on 2028-06-10: no award to revoke (rejected); "
        "the finding and its ban are recorded"
    )


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        (
            "en",
            "no award to revoke (rejected); fraud found on 2028-06-10 (第二十四条), banned "
            "until 2031-06-10 (exclusive)",
        ),
        (
            "zh",
            "无奖励可撤销(不予奖励);2028-06-10认定弄虚作假(第二十四条),取消申报资格至2031-06-10",
        ),
    ],
    ids=["en", "zh"],
)
def test_a_finding_on_a_claim_never_awarded_is_shown_by_explain_and_the_report(
    scenario: Scenario, tmp_path: Path, lang: str, said: str
) -> None:
    """Fraud found on D2, rejected in 2028 (banned): nothing was granted, so there is no
    award to revoke, but `explain --ledger` and the report's row and trace show the finding
    and the ban it started, as `ledger fraud` and `ledger show` record them, in red."""
    ledger = scenario.copy(tmp_path)
    code, _, err = qfund("ledger", "fraud", "--ledger", ledger, "--claim", "D2",
                         "--found-on", "2028-06-10")  # fmt: skip
    assert code == 0, err
    explained = explained_now(scenario, scenario.b28, "D2", lang, ledger)
    page = reported(scenario, scenario.b28, lang, ledger)
    assert (explained, reported_now(page, lang)["D2"], now_cells(page)["D2"]) == (
        said,
        (said, said),
        "now now-revoked",
    )


@pytest.mark.parametrize(
    ("steps", "refused"),
    [
        (
            (("fraud", "--found-on", "2028-01-15"),),
            "claim 'C5' is not held for an objection: revoked: fraud found on 2028-01-15 "
            "(第二十四条)",
        ),
        (
            (("release", "--found-on", "2027-06-10", "--outcome", "upheld"),),
            "claim 'C5': objection already upheld on 2027-06-10; revoked: objection upheld "
            "(第二十二条第(五)项)",
        ),
    ],
    ids=["fraud", "objection"],
)
def test_ledger_release_of_a_revoked_award_names_what_revoked_it(
    scenario: Scenario, tmp_path: Path, steps: tuple[tuple[str, ...], ...], refused: str
) -> None:
    """`ledger release` on C5, held and then revoked: refused (exit 2), naming the cause and
    its article as explain does, not only "status: revoked"."""
    ledger = year_one(scenario, tmp_path)
    for step in steps:
        code, _, err = qfund("ledger", *step, "--ledger", ledger, "--claim", "C5")
        assert code == 0, err
    code, out, err = qfund("ledger", "release", "--ledger", ledger, "--claim", "C5",
                           "--found-on", "2027-06-11", "--outcome", "dismissed")  # fmt: skip
    assert (code, out, err) == (2, "", f"qfund: {refused}\n")


@pytest.mark.parametrize(
    ("claim", "fraud", "refused"),
    [
        ("D2", False, "claim 'D2' is not held for an objection: round 2028 granted it no award "
                      "(rejected)"),
        ("D2", True, "claim 'D2' is not held for an objection: no award to revoke (rejected); "
                     "fraud found on 2028-06-10 (第二十四条), banned until 2031-06-10 (exclusive)"),
        ("C1", False, "claim 'C1' is not held for an objection: its award was paid"),
    ],
    ids=["never awarded", "never awarded, fraud found", "paid"],
)  # fmt: skip
def test_ledger_release_of_a_claim_not_held_says_where_it_stands(
    scenario: Scenario, tmp_path: Path, claim: str, fraud: bool, refused: str
) -> None:
    """`ledger release` on D2, rejected in 2028, says so in plain words (not "status:
    None"), and with a fraud finding on it, the finding and its ban; on C1, paid in 2027,
    that it was paid. Refused, exit 2, nothing written."""
    ledger = scenario.copy(tmp_path)
    if fraud:
        code, _, err = qfund("ledger", "fraud", "--ledger", ledger, "--claim", claim,
                             "--found-on", "2028-06-10")  # fmt: skip
        assert code == 0, err
    before = ledger.read_bytes()
    code, out, err = qfund("ledger", "release", "--ledger", ledger, "--claim", claim,
                           "--found-on", "2028-06-11", "--outcome", "dismissed")  # fmt: skip
    assert (code, out, err, ledger.read_bytes() == before) == (2, "", f"qfund: {refused}\n", True)


@pytest.mark.parametrize(
    ("lang", "fraud", "ban"),
    [
        (
            "en",
            "revoked: fraud found on 2028-01-15 (第二十四条); paid 60 万元, clawed back 60 万元",
            "revoked: submitted under the ban of the fraud found on claim C2 of round 2027 "
            "(第二十四条); paid 10 万元, clawed back 10 万元",
        ),
        (
            "zh",
            "已撤销:2028-01-15认定弄虚作假(第二十四条); 拨付 60 万元, 收回 60 万元",
            "已撤销:2027年度申报C2认定弄虚作假,申报于取消申报资格期间(第二十四条); "
            "拨付 10 万元, 收回 10 万元",
        ),
    ],
    ids=["en", "zh"],
)
def test_an_award_revoked_under_a_ban_is_told_apart_from_one_found_fraudulent(
    scenario: Scenario, tmp_path: Path, lang: str, fraud: str, ban: str
) -> None:
    """Fraud found on C2 after round 2028 revokes C2 (its own claim) and D2 (submitted
    inside the ban, rulings R9): explain and the report say which, naming C2 for D2."""
    ledger = fraud_after_round_two(scenario, tmp_path, "65")
    code, _, err = qfund("ledger", "fraud", "--ledger", ledger, "--claim", "C2",
                         "--found-on", "2028-01-15")  # fmt: skip
    assert code == 0, err
    argv = ("--ledger", ledger, "--lang", lang)
    said = {}
    for batch, claim in ((scenario.b27, "C2"), (scenario.b28, "D2")):
        code, out, err = qfund("explain", batch, "--claim", claim, *argv)
        assert code == 0, err
        (line,) = [x for x in out.splitlines() if x.startswith(f"{NOW[lang]}: ")]
        code, page, err = qfund("report", batch, "--round", *argv, "--out", "-")
        assert code == 0, err
        said[claim] = (line.removeprefix(f"{NOW[lang]}: "), *reported_now(page, lang)[claim])
    assert said == {"C2": (fraud, fraud, fraud), "D2": (ban, ban, ban)}
