"""The ``qfund`` command line, called in process through ``run`` and once as a subprocess."""

from __future__ import annotations

import gc
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import qfund_rules as q
from qfund_rules.cli import main, run
from qfund_rules.rules import RULE_FILES

from .conftest import EXAMPLES_DIR, RULES_DIR

BATCH = """\
round: 2027
submitted_on: 2027-03-20
applicants:
  - {id: A1, name: 哈密某新能源有限公司, org_type: enterprise, region: "650502"}
claims:
  - {id: C1, applicant: A1, kind: quality_county, stage: approved, achieved_on: 2026-11-02}
  - id: C2
    applicant: A1
    kind: standard
    achieved_on: 2026-11-02
    action: formulate
    standard_no: GB/T 45678—2026
    drafting_units: [{name: 哈密某新能源有限公司}]
"""


def call(*argv: str) -> tuple[int, str, str]:
    """Run qfund in process; return exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def batch_file(tmp_path: Path) -> Path:
    """A small valid batch on disk."""
    path = tmp_path / "batch.yaml"
    path.write_text(BATCH, encoding="utf-8")
    return path


def test_validate_shipped_rules() -> None:
    """`qfund validate` passes on the shipped rules and names their sha256."""
    code, out, _ = call("validate")
    assert code == 0
    assert q.load_rules(RULES_DIR).sha256 in out


def test_validate_reports_a_located_fault(tmp_path: Path) -> None:
    """An injected fault is reported with file and line, exit 1."""
    for name in RULE_FILES:
        shutil.copy(RULES_DIR / name, tmp_path / name)
    awards = tmp_path / "awards.yaml"
    lines = awards.read_text(encoding="utf-8").splitlines(keepends=True)
    line_no = next(i for i, line in enumerate(lines, 1) if "wan: 50}" in line)
    lines[line_no - 1] = lines[line_no - 1].replace("wan: 50}", "wan: 50.001}")
    awards.write_text("".join(lines), encoding="utf-8")
    code, _, err = call("validate", str(tmp_path))
    assert code == 1
    assert f"awards.yaml:{line_no}:" in err
    assert "more than two decimals" in err


def test_validate_missing_directory() -> None:
    """A directory that does not exist is unreadable input: exit 2."""
    code, _, err = call("validate", "/nonexistent/rules")
    assert code == 2
    assert "not a directory" in err


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        ({"awards.yaml": "items: [\n"}, 1),  # not YAML: located
        ({"awards.yaml": b"items: \xff\n"}, 1),  # not UTF-8: located
        ({"awards.yaml": None}, 2),  # missing, nothing else wrong: nothing to locate
        ({"awards.yaml": None, "allocation.yaml": "budgets: [\n"}, 1),  # and a located one
    ],
)
def test_validate_exit_code_says_whether_a_problem_was_located(
    tmp_path: Path, broken: dict[str, str | bytes | None], expected: int
) -> None:
    """As docs/policy-staff.md says: 1 when problems were found in the files (a syntax
    error included), 2 when every problem is a file that could not be read."""
    for name in RULE_FILES:
        shutil.copy(RULES_DIR / name, tmp_path / name)
    for name, content in broken.items():
        if content is None:
            (tmp_path / name).unlink()
        elif isinstance(content, bytes):
            (tmp_path / name).write_bytes(content)
        else:
            (tmp_path / name).write_text(content, encoding="utf-8")
    code, _, err = call("validate", str(tmp_path))
    assert code == expected, err
    assert "Traceback" not in err


def test_catalogue_lists_all_items() -> None:
    """`qfund catalogue --format json` lists the 42 items with their amounts in yuan."""
    code, out, _ = call("catalogue", "--format", "json")
    assert code == 0
    items = {i["id"]: i for i in json.loads(out)["items"]}
    assert len(items) == 42
    assert items["a11.1.winner"]["amount_yuan"] == 600_000
    assert items["a16.3"]["amount_yuan"] == 30_000
    assert items["a13.2.local"]["citation"] == "第十三条第(二)项"


@pytest.mark.parametrize(
    ("argv", "title"),
    [
        ((), "主导制定国家标准"),
        (("--lang", "zh"), "主导制定国家标准"),
        (("--lang", "en"), "Lead drafting of a national standard"),
    ],
    ids=["default", "zh", "en"],
)
def test_catalogue_titles_are_in_the_language_asked(argv: tuple[str, ...], title: str) -> None:
    """`qfund catalogue --lang` shows each item's title in that language (Chinese by default)."""
    code, out, _ = call("catalogue", *argv)
    line = next(x for x in out.splitlines() if x.startswith("a13.1.national "))
    assert (code, line.endswith(f"  {title}")) == (0, True)


def test_catalogue_before_rules_are_in_force() -> None:
    """On a date before any amount is in force, amounts are null."""
    code, out, _ = call("catalogue", "--format", "json", "--on", "2026-01-01")
    assert code == 0
    assert {i["amount_yuan"] for i in json.loads(out)["items"]} == {None}


def test_catalogue_after_the_measures_expire() -> None:
    """After the period in force (第二十八条) no amount applies, and the listing says so."""
    code, out, _ = call("catalogue", "--format", "json", "--on", "2029-03-14")
    data = json.loads(out)
    assert (code, data["in_force"], {i["amount_yuan"] for i in data["items"]}) == (
        0,
        False,
        {None},
    )
    code, out, _ = call("catalogue", "--on", "2029-03-14", "--lang", "en")
    assert (code, out.splitlines()[0]) == (
        0,
        "rules 2026.1-draft (draft), not in force on 2029-03-14 (2026-03-14 .. 2029-03-13): "
        "no amount applies",
    )
    code, out, _ = call("catalogue", "--on", "2029-03-14")
    assert (code, out.splitlines()[0]) == (
        0,
        "规则 2026.1-draft (draft),2029-03-14 不在有效期内(2026-03-14 .. 2029-03-13):"
        "不适用任何金额",
    )


def test_catalogue_heading_is_in_the_language_asked() -> None:
    """The heading follows --lang like the titles (Chinese by default)."""
    heads = [call("catalogue", *lang)[1].splitlines()[0] for lang in ((), ("--lang", "en"))]
    assert heads == [
        "规则 2026.1-draft (draft),2026-03-14 施行的金额",
        "rules 2026.1-draft (draft), amounts in force on 2026-03-14",
    ]


def test_catalogue_on_the_last_day_in_force() -> None:
    """On the last day in force the amounts still apply."""
    code, out, _ = call("catalogue", "--format", "json", "--on", "2029-03-13")
    data = json.loads(out)
    amounts = {i["id"]: i["amount_yuan"] for i in data["items"]}
    assert (code, data["in_force"], amounts["a11.1.winner"]) == (0, True, 600_000)


@pytest.mark.parametrize("text", ["20270101", "2027-W01-1", "2027-1-1", "２０２７-01-01"])
def test_dates_are_yyyy_mm_dd_only(text: str) -> None:
    """A date option takes YYYY-MM-DD only, though Python's parser would take other forms."""
    code, out, err = call("catalogue", "--on", text)
    assert (code, out, err.splitlines()[-1]) == (
        2,
        "",
        f"qfund catalogue: error: argument --on: not a date (YYYY-MM-DD): {text!r}",
    )


def test_evaluate_json(batch_file: Path) -> None:
    """`qfund evaluate` prints the rules' identity and one decision per claim."""
    code, out, err = call("evaluate", str(batch_file))
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["rules"]["status"] == "draft"
    assert [d["item"] for d in data["decisions"]] == ["a9.1", "a13.1.national"]


def test_evaluate_text_table(batch_file: Path) -> None:
    """`--format text --lang en` prints a table with the total."""
    code, out, _ = call("evaluate", str(batch_file), "--format", "text", "--lang", "en")
    assert code == 0
    assert "2 claims, 2 awarded, 400000 yuan" in out


def test_bad_batch_exit_2_nothing_on_stdout(tmp_path: Path) -> None:
    """A bad batch lists every problem located, prints nothing on stdout, exits 2."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(BATCH.replace("stage: approved", "stag: approved"), encoding="utf-8")
    code, out, err = call("evaluate", str(bad))
    assert (code, out) == (2, "")
    assert "bad.yaml:6:" in err
    assert "did you mean 'stage'" in err
    assert "Traceback" not in err


def test_a_json_batch_that_is_not_json_exits_2_located(tmp_path: Path) -> None:
    """`qfund evaluate bad.json` on a JSON batch with a Python True: exit 2, the located
    JSON error and the count on stderr, no traceback, nothing decided."""
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "round": 2027,\n  "applicants": [],\n  "flag": True\n}\n')
    code, out, err = call("evaluate", str(bad))
    assert (code, out) == (2, "")
    assert err == (
        f"{bad}:4:11: not valid JSON: expecting value; JSON writes true, false and null\n"
        "qfund: 1 problem; nothing was decided\n"
    )


def test_a_claim_achieved_after_it_was_submitted_exits_2(tmp_path: Path) -> None:
    """The shipped rules require an honour granted by its submission (第二十二条第(一)项)."""
    late = tmp_path / "late.yaml"
    late.write_text(BATCH.replace("achieved_on: 2026-11-02", "achieved_on: 2027-04-02", 1))
    code, out, err = call("evaluate", str(late))
    assert (code, out) == (2, "")
    assert (
        "late.yaml:6:68: claims[0].achieved_on: achieved_on 2027-04-02 is after the batch's "
        "default submitted_on 2027-03-20" in err
    )


def test_achieved_by_submission_any_lets_such_a_claim_be_decided(tmp_path: Path) -> None:
    """Policy staff may lift the check: allocation.yaml achieved_by_submission.policy any."""
    rules = Path(shutil.copytree(RULES_DIR, tmp_path / "rules"))
    allocation = rules / "allocation.yaml"
    text = allocation.read_text(encoding="utf-8")
    allocation.write_text(text.replace("policy: required", "policy: any"), encoding="utf-8")
    late = tmp_path / "late.yaml"
    late.write_text(BATCH.replace("achieved_on: 2026-11-02", "achieved_on: 2027-04-02", 1))
    code, out, err = call("evaluate", str(late), "--rules", str(rules))
    assert (code, err) == (0, "")
    assert [d["outcome"] for d in json.loads(out)["decisions"]] == ["awarded", "awarded"]
    assert q.load_rules(rules).achieved_by_submission is False
    assert q.load_rules(RULES_DIR).achieved_by_submission is True


def test_unreadable_batch(tmp_path: Path) -> None:
    """A missing batch file is refused with exit 2 and one line."""
    code, out, err = call("evaluate", str(tmp_path / "missing.yaml"))
    assert (code, out) == (2, "")
    assert "cannot read file" in err


@pytest.mark.parametrize(
    ("argv", "argument"),
    [
        (("validate", "r\x00"), "RULES_DIR"),
        (("validate", "--measures", "r\x00"), "--measures"),
        (("evaluate", "b.yaml", "--rules", "r\x00"), "--rules"),
        (("evaluate", "r\x00"), "BATCH"),
        (("round", "b.yaml", "--budget", "300", "--ledger", "r\x00"), "--ledger"),
        (("report", "b.yaml", "--out", "r\x00"), "--out"),
        (("diff", "rules", "r\x00"), "NEW_RULES"),
    ],
)
def test_a_path_no_file_can_have_exits_2_naming_it(argv: tuple[str, ...], argument: str) -> None:
    """A path argument holding a NUL is a usage error naming it escaped (exit 2), not the
    OS layer's ValueError as a traceback."""
    code, out, err = call(*argv)
    assert (code, out) == (2, "")
    assert err.endswith(
        f"error: argument {argument}: 'r\\x00': the path holds a NUL character (U+0000), "
        "which no file name can\n"
    )


def test_explain_quotes_the_clause(batch_file: Path) -> None:
    """`qfund explain` shows each step and quotes the applied clause."""
    code, out, _ = call("explain", str(batch_file), "--claim", "C1")
    assert code == 0
    assert "获批国家市场监管总局质量强县(区、镇)培育建设创新试点的,给予20万元奖励" in out
    assert "[validity]" in out


def test_explain_shows_facts_as_json() -> None:
    """Facts print as the JSON values they are (true, null, ["dishonest"]), not as reprs."""
    example = str(EXAMPLES_DIR / "claims-2027.yaml")
    code, out, _ = call("explain", example, "--claim", "K36", "--lang", "en")
    assert code == 0
    facts = [line.strip() for line in out.splitlines() if line.startswith("    facts: ")]
    assert facts[6:12] == [
        "facts: licensed=true",
        'facts: submitted_on=2027-03-20, listed_on=["dishonest"], '
        'listings=[{"from": "2026-11-15", "list": "dishonest", "until": null}], '
        "not_applying=[]",
        "facts: duplicate_of=null, subject=加气块质量攻关QC小组",
        "facts: other_support=[]",
        "facts: review.related_to_quality=true",
        "facts: review.other_violation=null",
    ]


def test_explain_unknown_claim(batch_file: Path) -> None:
    """Asking for a claim the batch does not hold is exit 2 with the known ids."""
    code, _, err = call("explain", str(batch_file), "--claim", "C9")
    assert code == 2
    assert "claims: C1, C2" in err


def test_usage_error_exit_2() -> None:
    """An unknown option is a usage error: exit 2, usage on stderr."""
    code, _, err = call("evaluate")
    assert code == 2
    assert "usage:" in err


def test_usage_error_shows_the_commands_own_usage() -> None:
    """A subcommand's usage error shows that subcommand's usage, not qfund's."""
    code, _, err = call("explain", "batch.yaml")
    assert (code, err.splitlines()[:2]) == (
        2,
        [
            "usage: qfund explain [-h] --claim ID [--rules DIR] [--ledger FILE]",
            "                     [--lang {zh,en}] [--max-bytes SIZE] [--max-nodes N]",
        ],
    )


class _ClosedPipe(io.StringIO):
    """A stdout whose reader went away (`qfund test | head -1`): every write fails."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self.fd = fd

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def fileno(self) -> int:
        return self.fd


def test_a_closed_stdout_stops_quietly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The console command stops as SIGPIPE would: exit 141, no traceback on stderr.

    Its stdout is then pointed at /dev/null, so that Python's own flush at exit does not
    complain either.
    """
    fd = os.open(tmp_path / "stdout", os.O_WRONLY | os.O_CREAT)
    monkeypatch.setattr(sys, "stdout", _ClosedPipe(fd))
    monkeypatch.setattr(sys, "argv", ["qfund", "test"])
    collecting = gc.isenabled()
    try:
        with pytest.raises(SystemExit) as stopped:
            main()
    finally:
        os.close(fd)
        if collecting:
            gc.enable()  # main() turns the collector off for the process
    assert (stopped.value.code, capsys.readouterr().err) == (141, "")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
def test_an_output_that_cannot_be_written_is_one_line_and_exit_2() -> None:
    """`qfund evaluate ... > /dev/full`: the error in one line, no traceback, exit 2."""
    example = str(EXAMPLES_DIR / "claims-2027.yaml")
    with open("/dev/full", "w") as full:  # noqa: PTH123 - a device, not a path to build
        done = subprocess.run(
            [sys.executable, "-m", "qfund_rules", "evaluate", example],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert (done.returncode, done.stderr) == (
        2,
        "qfund: cannot write the output: No space left on device\n",
    )


def test_help_exit_0() -> None:
    """`--help` helps and exits 0."""
    code, out, _ = call("--help")
    assert code == 0
    assert "evaluate" in out


COMMANDS = [
    ("validate",), ("catalogue",), ("schema",), ("evaluate",), ("explain",), ("test",),
    ("round",), ("ledger",), ("ledger", "verify"), ("ledger", "show"), ("ledger", "fraud"),
    ("ledger", "release"), ("report",), ("diff",),
]  # fmt: skip


def _arguments(help_text: str) -> dict[str, bool]:
    """The arguments a --help lists (under "positional arguments" and "options"), each with
    whether a help line follows it."""
    found: dict[str, bool] = {}
    lines = help_text.splitlines()
    listing = False  # inside one of those two sections, which a blank line ends
    for n, line in enumerate(lines):
        indent = len(line) - len(line.lstrip())
        if not line.strip() or indent == 0:
            listing = line in ("positional arguments:", "options:")
            continue
        if listing and indent in (2, 4):
            parts = re.split(r"\s{2,}", line.strip(), maxsplit=1)
            below = lines[n + 1] if n + 1 < len(lines) else ""
            found[parts[0]] = len(parts) == 2 or len(below) - len(below.lstrip()) > 4
    return found


def test_the_help_lists_every_command() -> None:
    """The commands whose --help is checked are all those `qfund --help` lists."""
    listed = [name for name in _arguments(call("--help")[1]) if name[0].islower()]
    ledger = [name for name in _arguments(call("ledger", "--help")[1]) if name[0].islower()]
    assert sorted([c for c in COMMANDS if len(c) == 1]) == sorted((c,) for c in listed)
    assert sorted([c[1:] for c in COMMANDS if len(c) == 2]) == sorted((c,) for c in ledger)


@pytest.mark.parametrize("command", [(), *COMMANDS], ids=["qfund", *map(" ".join, COMMANDS)])
def test_every_argument_has_a_help_line(command: tuple[str, ...]) -> None:
    """Each positional and option that `qfund ... --help` lists says what it is for."""
    code, out, _ = call(*command, "--help")
    arguments = _arguments(out)
    assert code == 0
    assert "-h, --help" in arguments
    assert [name for name, helped in arguments.items() if not helped] == []


def test_domain_cases_pass() -> None:
    """`qfund test` runs the shipped rules/tests cases, all passing."""
    code, out, _ = call("test")
    assert code == 0, out
    assert out.rstrip().endswith(" 0 failed")


@pytest.mark.parametrize("seed", ["0", "1", "12345"])
def test_output_independent_of_hash_seed(seed: str) -> None:
    """The example's JSON is byte-identical whatever PYTHONHASHSEED is."""
    example = EXAMPLES_DIR / "claims-2027.yaml"
    env = {**os.environ, "PYTHONHASHSEED": seed}
    cmd = [sys.executable, "-m", "qfund_rules", "evaluate", str(example)]
    got = subprocess.run(cmd, env=env, capture_output=True, check=True).stdout
    env["PYTHONHASHSEED"] = "999"
    assert got == subprocess.run(cmd, env=env, capture_output=True, check=True).stdout


def test_explain_quotes_the_cited_article_on_supersession() -> None:
    """A 就高不就低 step cites 第二十条第(二)项 and quotes that article, not the item's clause."""
    example = str(EXAMPLES_DIR / "claims-2027.yaml")
    code, out, _ = call("explain", example, "--claim", "K06")
    assert code == 0
    last = out.rstrip().splitlines()[-1]
    assert "第二十条第(二)项" in last
    assert "就高不就低" in last


TWO_LEADS = """\
round: 2027
submitted_on: 2027-03-20
applicants:
  - {id: A1, name: 哈密某新能源有限公司, org_type: enterprise, region: "650502"}
  - {id: A2, name: 哈密某检测有限公司, org_type: enterprise, region: "650521"}
claims:
  - {id: L1, applicant: A1, kind: standard, action: formulate, standard_no: GB/T 902-2026,
     achieved_on: 2026-11-02, drafting_units: [{name: 哈密某新能源有限公司}]}
  - {id: L2, applicant: A2, kind: standard, action: formulate, standard_no: GB/T 902-2026,
     achieved_on: 2026-11-02, lead_proof: true}
"""


def test_explain_quotes_the_lead_clause_on_a_second_lead(tmp_path: Path) -> None:
    """The standard.one_lead step (第十三条) quotes allocation.yaml's lead clause, not the
    participation clause that shares its citation."""
    path = tmp_path / "leads.yaml"
    path.write_text(TWO_LEADS, encoding="utf-8")
    code, out, _ = call("explain", str(path), "--claim", "L2", "--lang", "en")
    assert code == 0
    lines = out.rstrip().splitlines()
    at = next(i for i, line in enumerate(lines) if "standard.one_lead" in line)
    assert lines[at : at + 4] == [
        "25. [authorship] standard.one_lead 第十三条: FAIL",
        "    the foreword ranks one drafting unit first: the lead of this standard is claimed "
        "by L1",
        "    facts: standard_no=GB/T 902-2026, lead_claim=L1",
        "    clause: 第十三条 “主导制修订认定标准:正式发布的标准文本“前言”中排序首位的起草单位”",
    ]


def test_explain_quotes_the_lead_clause_on_a_leads_authorship_step(tmp_path: Path) -> None:
    """A lead's own standard.authorship step quotes the lead clause too; with no lead
    clause in allocation.yaml, neither step quotes anything (never the participation
    clause, which shares the citation 第十三条)."""
    path = tmp_path / "leads.yaml"
    path.write_text(TWO_LEADS, encoding="utf-8")
    lead = "主导制修订认定标准:正式发布的标准文本“前言”中排序首位的起草单位"
    participation = "参与制修订标准的"

    def quoted(rules_dir: Path) -> list[str]:
        code, out, _ = call(
            "explain", str(path), "--claim", "L2", "--lang", "en", "--rules", str(rules_dir)
        )
        assert code == 0
        return [line for line in out.splitlines() if line.startswith("    clause: 第十三条 “")]

    assert quoted(RULES_DIR) == [f"    clause: 第十三条 “{lead}”"] * 2
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    allocation = rules / "allocation.yaml"
    text = allocation.read_text(encoding="utf-8")
    assert f"  clause: {lead}\n" in text
    allocation.write_text(text.replace(f"  clause: {lead}\n", ""), encoding="utf-8")
    assert not [line for line in quoted(rules) if participation in line]
    assert quoted(rules) == []


def test_schema_without_an_argument_names_what_is_missing() -> None:
    """The usage error names the argument as --help shows it, not an internal name."""
    code, _, err = call("schema")
    assert code == 2
    assert "required: SCHEMA" in err


def test_a_reader_gone_mid_output_is_exit_141_not_success() -> None:
    """`qfund evaluate ... | head -1` on an output larger than a pipe holds: the reader goes
    away after the pipe took part of one large write. Exit 141, as for a short output,
    never 0 with the output cut (CPython's stdout alone reported success)."""
    example = str(EXAMPLES_DIR / "claims-2027.yaml")
    with subprocess.Popen(
        [sys.executable, "-m", "qfund_rules", "evaluate", example],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdout is not None
        assert proc.stderr is not None
        assert proc.stdout.read(10) == b'{\n  "rules'
        proc.stdout.close()
        err = proc.stderr.read()
        code = proc.wait(timeout=60)
    assert (code, err) == (141, b"")


def test_an_ascii_only_output_is_one_line_and_exit_2() -> None:
    """PYTHONIOENCODING=ascii: the decisions cannot be written; said in one ASCII line,
    no traceback, exit 2."""
    example = str(EXAMPLES_DIR / "claims-2027.yaml")
    done = subprocess.run(
        [sys.executable, "-m", "qfund_rules", "evaluate", example],
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "ascii"},
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        2,
        b"",
        b"qfund: the output is Chinese text, which the ascii encoding of this terminal or "
        b"pipe cannot carry: set PYTHONIOENCODING=utf-8 (or a UTF-8 locale)\n",
    )


def test_validate_names_the_directory_it_read(tmp_path: Path) -> None:
    """Its last line names the rule directory read: after `pip install .`, a command given
    no directory reads the installed rules, not the checkout's edited ones."""
    for name in RULE_FILES:
        shutil.copy(RULES_DIR / name, tmp_path / name)
    code, out, _ = call("validate", str(tmp_path))
    assert (code, out.splitlines()[-1]) == (0, f"read from {tmp_path}")


def test_version_names_the_package_and_its_rules() -> None:
    """--version: the package's version and the shipped rule set's, on stdout, exit 0."""
    rules = q.load_rules()
    assert call("--version") == (
        0,
        f"qfund {q.__version__}; shipped rules {rules.version} ({rules.status}) "
        f"sha256 {rules.sha256}\n",
        "",
    )


def test_qfund_alone_lists_the_commands() -> None:
    """`qfund` with no command prints the whole help (every command) and exits 2."""
    code, out, err = call()
    assert (code, out) == (2, "")
    assert err.startswith("usage: qfund")
    assert all(command in err for command in ("validate", "evaluate", "round", "ledger"))


def test_an_org_type_near_miss_is_noted_on_stderr(tmp_path: Path) -> None:
    """R3 decides an unnamed org_type not eligible; a near miss of a named one (enterprse)
    is also noted on stderr, so that a typo does not pass unseen. `individual` is not."""
    batch = tmp_path / "batch.yaml"
    batch.write_text(
        "round: 2027\nsubmitted_on: 2027-03-20\napplicants:\n"
        "  - {id: A1, name: 哈密某公司, org_type: enterprse, region: '650502'}\n"
        "  - {id: A2, name: 哈密某人, org_type: individual, region: '650502'}\n"
        "claims:\n"
        "  - {id: C1, applicant: A1, kind: leading_enterprise, achieved_on: 2026-11-01}\n"
        "  - {id: C2, applicant: A2, kind: leading_enterprise, achieved_on: 2026-11-01}\n",
        encoding="utf-8",
    )
    code, out, err = call("evaluate", str(batch))
    reasons = {d["claim_id"]: d["reasons"] for d in json.loads(out)["decisions"]}
    assert (code, reasons) == (
        0,
        {"C1": ["not_eligible_applicant"], "C2": ["not_eligible_applicant"]},
    )
    assert err == (
        "qfund: note: applicant A1's org_type 'enterprse' is not one 第四条 names; did you "
        "mean 'enterprise'? Its claims are decided not_eligible_applicant\n"
    )


def test_subjects_differing_only_in_case_or_spacing_are_noted(tmp_path: Path) -> None:
    """Two spellings of one committee by one applicant are two qualifications (subjects
    are compared as written, after NFKC and collapsing runs of spaces): both are paid, and
    stderr names them so that a reviewer can look. Another subject, another kind or
    another applicant is not noted."""
    batch = tmp_path / "batch.yaml"
    tc = "kind: technical_committee, level: national, body: tc, achieved_on: 2027-01-02"
    batch.write_text(
        "round: 2027\nsubmitted_on: 2027-03-20\napplicants:\n"
        "  - {id: A1, name: 哈密某公司, org_type: enterprise, region: '650502'}\n"
        "  - {id: A2, name: 哈密某协会, org_type: social_organization, region: '650502'}\n"
        "claims:\n"
        f"  - {{id: C1, applicant: A1, subject: SAC/TC 123, {tc}}}\n"
        f"  - {{id: C2, applicant: A1, subject: sac/tc123, {tc}}}\n"
        f"  - {{id: C3, applicant: A1, subject: SAC/TC 124, {tc}}}\n"
        f"  - {{id: C4, applicant: A2, subject: sac/tc 123, {tc}}}\n"
        "  - {id: C5, applicant: A1, kind: qc_group, level: national, subject: sac/tc 123,\n"
        "     achieved_on: 2027-01-02}\n",
        encoding="utf-8",
    )
    code, out, err = call("evaluate", str(batch))
    outcomes = [d["outcome"] for d in json.loads(out)["decisions"]]
    assert (code, outcomes) == (0, ["awarded"] * 5)
    assert err == (
        "qfund: note: applicant A1's technical_committee claims name subjects that differ "
        "only in case or spacing (C1 'SAC/TC 123'; C2 'sac/tc123'): each is decided as a "
        "qualification of its own\n"
    )


def test_a_batch_with_no_claims_is_noted(tmp_path: Path) -> None:
    """No claims is a valid batch (exit 0, no decisions), and stderr says so."""
    batch = tmp_path / "empty.yaml"
    batch.write_text(
        "round: 2027\nsubmitted_on: 2027-03-20\napplicants: []\nclaims: []\n", encoding="utf-8"
    )
    code, out, err = call("evaluate", str(batch))
    assert (code, json.loads(out)["decisions"]) == (0, [])
    assert err == f"qfund: note: {batch} holds no claims\n"
    code, out, err = call("explain", str(batch), "--claim", "C1")
    assert (code, out, err.splitlines()[-1]) == (
        2,
        "",
        f"qfund: no claim 'C1' in {batch}: it holds no claims",
    )


def test_a_claim_not_in_a_large_batch_is_answered_with_the_closest(tmp_path: Path) -> None:
    """Up to 40 claims, explain lists the ids; beyond, the count and the closest id."""
    claims = "".join(
        f"  - {{id: C{i:03}, applicant: A1, kind: leading_enterprise, achieved_on: 2026-11-01}}\n"
        for i in range(41)
    )
    batch = tmp_path / "batch.yaml"
    batch.write_text(
        "round: 2027\nsubmitted_on: 2027-03-20\napplicants:\n"
        "  - {id: A1, name: 哈密某公司, org_type: enterprise, region: '650502'}\n"
        f"claims:\n{claims}",
        encoding="utf-8",
    )
    code, _, err = call("explain", str(batch), "--claim", "C0400")
    assert (code, err) == (
        2,
        f"qfund: no claim 'C0400' in {batch} (41 claims); did you mean 'C040'?\n",
    )


def test_every_message_naming_a_path_given_names_it_escaped(tmp_path: Path) -> None:
    """A path whose name holds a line break is named escaped (shown_path, as the ledger
    commands name the ledger) in every message of `explain`, the batch notes, `validate`,
    `report` and `test`, so that each message stays on one line."""
    weird = tmp_path / "a\nb"
    weird.mkdir()
    rules = weird / "rules"
    rules.mkdir()
    for name in RULE_FILES:
        shutil.copy(RULES_DIR / name, rules / name)
    measures = weird / "measures.txt"
    shutil.copy(Path(__file__).parents[1] / "docs" / "source" / "measures-2026-draft.txt", measures)
    batch = weird / "batch.yaml"
    batch.write_text(BATCH, encoding="utf-8")
    empty = weird / "empty.yaml"
    empty.write_text("round: 2027\nsubmitted_on: 2027-03-20\napplicants: []\nclaims: []\n", "utf-8")
    page = weird / "page.html"

    def shown(path: Path) -> str:
        return repr(str(path))

    said = [
        call("explain", str(batch), "--claim", "C9")[2],
        call("explain", str(empty), "--claim", "C9")[2],
        call("validate", str(weird / "none"))[2],
        call("validate", str(rules), "--measures", str(measures))[1],
        call("report", str(batch), "--out", str(page))[1],
        call("report", str(batch), "--out", str(batch))[2],
        call("report", str(batch), "--out", str(weird / "none" / "page.html"))[2],
        call("test", str(weird / "none"))[2],
    ]
    expected = [
        f"qfund: no claim 'C9' in {shown(batch)}; claims: C1, C2\n",
        f"qfund: note: {shown(empty)} holds no claims\n"
        f"qfund: no claim 'C9' in {shown(empty)}: it holds no claims\n",
        f"qfund: {shown(weird / 'none')}: not a directory of rule files\n",
        f"read from {shown(rules)}\nevery clause and citation agrees with {shown(measures)}\n",
        f"wrote {shown(page)}: 2 decisions, rules ",
        f"qfund report: --out {shown(batch)} is an input of the report; not overwriting it\n",
        f"qfund: {shown(weird / 'none' / 'page.html')}: cannot write: No such file or directory\n",
        f"{shown(weird / 'none')}: no such directory\n",
    ]
    assert [e in s for e, s in zip(expected, said, strict=True)] == [True] * len(expected), said
