"""Clauses and citations checked against the text of the measures: ``check_citations``
and ``qfund validate --measures``.

Each fixture in ``fixtures/rules/measures/`` makes one edit to the valid snapshot and
states the one problem it must cause, exactly as ``qfund validate`` prints it.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

import qfund_rules as q
from qfund_rules.cli import run
from qfund_rules.rules import RULE_FILES

from .conftest import ROOT, RULES_DIR, VALID_RULES_DIR, patched_rules

MEASURES_FILE = ROOT / "docs" / "source" / "measures-2026-draft.txt"
MEASURES = MEASURES_FILE.read_text(encoding="utf-8")
FIXTURES = Path(__file__).parent / "fixtures" / "rules"
VALID = VALID_RULES_DIR
FAULTS = sorted((FIXTURES / "measures").glob("*.yaml"))


def call(*argv: str) -> tuple[int, str, str]:
    """Run qfund in process; return exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def fault(path: Path) -> dict[str, Any]:
    """A fixture: the file to edit, the edit, and the problem expected (without the directory)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("directory", [RULES_DIR, VALID], ids=["shipped", "snapshot"])
def test_rules_agree_with_the_measures(directory: Path) -> None:
    """The shipped rules and the snapshot the faults are cut from have no problem."""
    assert q.check_citations(q.load_rules(directory), MEASURES) == ()


@pytest.mark.parametrize("path", FAULTS, ids=[p.stem for p in FAULTS])
def test_fault_is_located(tmp_path: Path, path: Path) -> None:
    """Each fault gives exactly one problem, with its file, line, column, field and message."""
    fixture = fault(path)
    rules = q.load_rules(patched_rules(tmp_path, fixture))
    problems = q.check_citations(rules, MEASURES)
    assert [str(p) for p in problems] == [f"{tmp_path}/{fixture['expect']}"]


def test_problem_fields(tmp_path: Path) -> None:
    """A problem carries its file, line, column and field path as attributes."""
    rules = q.load_rules(patched_rules(tmp_path, fault(FIXTURES / "measures" / "clause-typo.yaml")))
    (problem,) = q.check_citations(rules, MEASURES)
    assert (problem.file, problem.line, problem.column, problem.path, problem.severity) == (
        str(tmp_path / "awards.yaml"),
        377,
        5,
        ("items", 20, "clause"),
        "error",
    )


def test_a_file_in_a_directory_with_a_line_break_in_its_name_is_named_escaped(
    tmp_path: Path,
) -> None:
    """The measures' problems name a rule file as the loader's do: escaped when its path
    holds a character that is not printable, so that a problem stays on one line."""
    directory = tmp_path / "rules\nold"
    directory.mkdir()
    rules = q.load_rules(
        patched_rules(directory, fault(FIXTURES / "measures" / "clause-typo.yaml"))
    )
    (problem,) = q.check_citations(rules, MEASURES)
    assert problem.file == repr(str(directory / "awards.yaml"))


def test_every_problem_is_listed_in_file_order(tmp_path: Path) -> None:
    """Faults in two files are all reported, ordered by file and line."""
    patched_rules(tmp_path, fault(FIXTURES / "measures" / "clause-typo.yaml"))
    for name in ("citation-wrong-article.yaml", "citation-not-an-article.yaml"):
        fixture = fault(FIXTURES / "measures" / name)
        target = tmp_path / fixture["file"]
        text = target.read_text(encoding="utf-8")
        target.write_text(text.replace(fixture["find"], fixture["replace"]), encoding="utf-8")
    problems = q.check_citations(q.load_rules(tmp_path), MEASURES)
    assert [(Path(p.file).name, p.line) for p in problems] == [
        ("awards.yaml", 98),
        ("awards.yaml", 377),
        ("exclusions.yaml", 11),
    ]


def test_text_without_articles_is_refused(rules: q.RuleSet) -> None:
    """A text in which no line opens an article is not the measures: an error, not problems."""
    with pytest.raises(q.QfundError) as info:
        q.check_citations(rules, "哈密市质量提升发展专项资金管理办法\n")
    assert str(info.value) == "the measures text has no articles: no line starts with 第X条"


def test_changed_files_are_refused(tmp_path: Path) -> None:
    """Rule files edited after loading are not checked as if they were the loaded ones."""
    for name in RULE_FILES:
        shutil.copy(VALID / name, tmp_path / name)
    rules = q.load_rules(tmp_path)
    with (tmp_path / "awards.yaml").open("a", encoding="utf-8") as fh:
        fh.write("# edited\n")
    with pytest.raises(q.QfundError, match="changed since they were loaded"):
        q.check_citations(rules, MEASURES)


# ---- qfund validate --measures FILE


def test_validate_shipped_rules_against_the_measures() -> None:
    """The shipped rules pass: a plain `qfund validate`'s output, then one line saying
    against which text the clauses and citations were checked."""
    code, out, err = call("validate")
    checked = f"every clause and citation agrees with {MEASURES_FILE}\n"
    assert call("validate", "--measures", str(MEASURES_FILE)) == (code, out + checked, err)
    assert code == 0


@pytest.mark.parametrize("path", FAULTS, ids=[p.stem for p in FAULTS])
def test_validate_reports_the_fault(tmp_path: Path, path: Path) -> None:
    """Each fault is printed as FILE:LINE:COL: field: message, and validate exits 1."""
    fixture = fault(path)
    directory = patched_rules(tmp_path, fixture)
    code, out, err = call("validate", str(directory), "--measures", str(MEASURES_FILE))
    expected = f"{tmp_path}/{fixture['expect']}\nqfund: invalid rule files: 1 problem\n"
    assert (code, out, err) == (1, "", expected)


@pytest.mark.parametrize("path", FAULTS, ids=[p.stem for p in FAULTS])
def test_validate_json_lists_the_fault(tmp_path: Path, path: Path) -> None:
    """With --format json the fault is in the usual list of problems."""
    fixture = fault(path)
    directory = patched_rules(tmp_path, fixture)
    argv = ("validate", str(directory), "--measures", str(MEASURES_FILE), "--format", "json")
    code, out, _ = call(*argv)
    assert (code, json.loads(out)) == (
        1,
        {"valid": False, "problems": [f"{tmp_path}/{fixture['expect']}"]},
    )


@pytest.mark.parametrize("path", FAULTS, ids=[p.stem for p in FAULTS])
def test_validate_without_measures_is_unchanged(tmp_path: Path, path: Path) -> None:
    """Without --measures the clauses and citations are not compared with the measures."""
    code, out, _ = call("validate", str(patched_rules(tmp_path, fault(path))))
    assert (code, out.startswith("ok: 42 award items")) == (0, True)


def test_validate_checks_the_measures_once_the_files_load(tmp_path: Path) -> None:
    """A file the loader refuses is reported alone: the measures are compared after."""
    patched_rules(tmp_path, fault(FIXTURES / "measures" / "clause-typo.yaml"))
    awards = tmp_path / "awards.yaml"
    awards.write_text(
        awards.read_text(encoding="utf-8").replace("wan: 50}", "wan: 0}", 1), encoding="utf-8"
    )
    code, _, err = call("validate", str(tmp_path), "--measures", str(MEASURES_FILE))
    assert code == 1
    assert "must be a positive number of 万元" in err
    assert "verbatim" not in err


def test_validate_keeps_warnings_beside_the_problems(tmp_path: Path) -> None:
    """A loader warning is listed with the measures' problems, which it does not count."""
    patched_rules(tmp_path, fault(FIXTURES / "measures" / "clause-typo.yaml"))
    alloc = tmp_path / "allocation.yaml"
    alloc.write_text(
        alloc.read_text(encoding="utf-8").replace("    2027: 300", "    2027: 250", 1),
        encoding="utf-8",
    )
    code, _, err = call("validate", str(tmp_path), "--measures", str(MEASURES_FILE))
    lines = err.splitlines()
    assert code == 1
    assert [line.split(": ", 2)[1] for line in lines[:2]] == [
        "budgets.by_year.2027",
        "items[20].clause",
    ]
    assert "warning: budget 250 万元" in lines[0]
    assert lines[2:] == ["qfund: invalid rule files: 1 problem"]


def _not_utf8(tmp_path: Path) -> Path:
    path = tmp_path / "measures-gbk.txt"
    path.write_bytes(MEASURES.encode("gbk"))
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: tmp / "missing.txt", "cannot read: No such file or directory"),
        (lambda tmp: tmp, "cannot read: Is a directory"),
        (_not_utf8, "not UTF-8 text (bad byte at offset "),
        (lambda tmp: Path("/dev/zero"), "more than 16777216 bytes"),
    ],
    ids=["missing", "directory", "gbk", "endless"],
)
def test_unreadable_measures_exit_2(
    tmp_path: Path, make: Callable[[Path], Path], message: str
) -> None:
    """A measures file that cannot be read as UTF-8 text is one line on stderr, exit 2."""
    path = make(tmp_path)
    code, out, err = call("validate", "--measures", str(path))
    assert (code, out, err.count("\n")) == (2, "", 1)
    assert err.startswith(f"qfund: {path}: {message}")


def _no_articles(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("哈密市质量提升发展专项资金管理办法\n", encoding="utf-8")
    return path


#: Measures files that cannot be used, and what is said of each after its name.
UNUSABLE_MEASURES = pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: tmp / "missing.txt", "cannot read: No such file or directory"),
        (_no_articles, "the measures text has no articles: no line starts with 第X条"),
    ],
    ids=["missing", "no articles"],
)


@UNUSABLE_MEASURES
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_unusable_measures_do_not_hide_the_rule_files_problems(
    tmp_path: Path, fmt: str, make: Callable[[Path], Path], message: str
) -> None:
    """Rule files with a problem, and a measures file that cannot be used (unreadable, or
    no article in it): both are named, exit 2. The measures' line is on stderr in either
    format; the JSON on stdout lists the rule files' problems only."""
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    (rules / "allocation.yaml").unlink()
    measures = make(tmp_path)
    code, out, err = call("validate", str(rules), "--measures", str(measures), "--format", fmt)
    allocation = f"{rules / 'allocation.yaml'}: cannot read: No such file or directory"
    unusable = f"qfund: {measures}: {message}"
    if fmt == "json":
        assert (code, err.splitlines(), json.loads(out)) == (
            2,
            [unusable],
            {"valid": False, "problems": [allocation]},
        )
    else:
        assert (code, out, err.splitlines()) == (
            2,
            "",
            [allocation, unusable, "qfund: invalid rule files: 1 problem"],
        )


@UNUSABLE_MEASURES
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_unusable_measures_beside_valid_rules_exit_2(
    tmp_path: Path, fmt: str, make: Callable[[Path], Path], message: str
) -> None:
    """Valid rules, and a measures file that cannot be used: the measures' one line on
    stderr, nothing on stdout (the rules are not said valid: the check did not run), exit 2,
    in either format."""
    measures = make(tmp_path)
    code, out, err = call("validate", "--measures", str(measures), "--format", fmt)
    assert (code, out, err) == (2, "", f"qfund: {measures}: {message}\n")


@UNUSABLE_MEASURES
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_unusable_measures_do_not_hide_the_rule_files_warnings(
    tmp_path: Path, fmt: str, make: Callable[[Path], Path], message: str
) -> None:
    """Valid rules with a warning, and a measures file that cannot be used: the warning,
    then the measures' line, both on stderr; nothing on stdout; exit 2, in either format."""
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    alloc = rules / "allocation.yaml"
    alloc.write_text(
        alloc.read_text(encoding="utf-8").replace("    2027: 300", "    2027: 250", 1),
        encoding="utf-8",
    )
    measures = make(tmp_path)
    code, out, err = call("validate", str(rules), "--measures", str(measures), "--format", fmt)
    warning, unusable = err.splitlines()
    assert (code, out, unusable) == (2, "", f"qfund: {measures}: {message}")
    assert warning.startswith(f"{alloc}:")
    assert "budgets.by_year.2027: warning: budget 250 万元" in warning


def test_measures_with_bom_and_crlf(tmp_path: Path) -> None:
    """The measures saved with a byte-order mark and CRLF line ends check the same."""
    path = tmp_path / "measures.txt"
    path.write_bytes(b"\xef\xbb\xbf" + MEASURES.replace("\n", "\r\n").encode())
    code, _, _ = call("validate", "--measures", str(path))
    assert code == 0


def test_no_traceback_from_the_console_script(tmp_path: Path) -> None:
    """Run as a program, a non-UTF-8 measures file prints its one line and no traceback."""
    path = _not_utf8(tmp_path)
    cmd = [sys.executable, "-m", "qfund_rules", "validate", "--measures", str(path)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout) == (2, "")
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"qfund: {path}: not UTF-8 text (bad byte at offset ")


def test_validate_help_explains_measures() -> None:
    """`qfund validate --help` says what --measures checks."""
    code, out, _ = call("validate", "--help")
    assert code == 0
    assert "--measures FILE" in out
    assert "verbatim" in " ".join(out.split())
