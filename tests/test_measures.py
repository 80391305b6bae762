"""Clauses and citations checked against the text of the measures (``check_citations``).

Each fixture in ``fixtures/rules/measures/`` makes one edit to the valid snapshot and
states the one problem it must cause, exactly as ``qfund validate`` prints it.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

import qfund_rules as q
from qfund_rules.rules import RULE_FILES

from .conftest import ROOT, RULES_DIR

MEASURES_FILE = ROOT / "docs" / "source" / "measures-2026-draft.txt"
MEASURES = MEASURES_FILE.read_text(encoding="utf-8")
FIXTURES = Path(__file__).parent / "fixtures" / "rules"
VALID = FIXTURES / "valid"
FAULTS = sorted((FIXTURES / "measures").glob("*.yaml"))


def patched(tmp_path: Path, fixture: dict[str, Any]) -> Path:
    """A copy of the valid snapshot with the fixture's one edit applied."""
    for name in RULE_FILES:
        shutil.copy(VALID / name, tmp_path / name)
    target = tmp_path / fixture["file"]
    text = target.read_text(encoding="utf-8")
    assert text.count(fixture["find"]) == 1, "the fixture's text must occur once in the snapshot"
    target.write_text(text.replace(fixture["find"], fixture["replace"]), encoding="utf-8")
    return tmp_path


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
    rules = q.load_rules(patched(tmp_path, fixture))
    problems = q.check_citations(rules, MEASURES)
    assert [str(p) for p in problems] == [f"{tmp_path}/{fixture['expect']}"]


def test_problem_fields(tmp_path: Path) -> None:
    """A problem carries its file, line, column and field path as attributes."""
    rules = q.load_rules(patched(tmp_path, fault(FIXTURES / "measures" / "clause-typo.yaml")))
    (problem,) = q.check_citations(rules, MEASURES)
    assert (problem.file, problem.line, problem.column, problem.path, problem.severity) == (
        str(tmp_path / "awards.yaml"),
        377,
        5,
        ("items", 20, "clause"),
        "error",
    )


def test_every_problem_is_listed_in_file_order(tmp_path: Path) -> None:
    """Faults in two files are all reported, ordered by file and line."""
    patched(tmp_path, fault(FIXTURES / "measures" / "clause-typo.yaml"))
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
    with pytest.raises(q.QfundError, match="no articles"):
        q.check_citations(rules, "哈密市质量提升发展专项资金管理办法\n")


def test_changed_files_are_refused(tmp_path: Path) -> None:
    """Rule files edited after loading are not checked as if they were the loaded ones."""
    for name in RULE_FILES:
        shutil.copy(VALID / name, tmp_path / name)
    rules = q.load_rules(tmp_path)
    with (tmp_path / "awards.yaml").open("a", encoding="utf-8") as fh:
        fh.write("# edited\n")
    with pytest.raises(q.QfundError, match="changed since they were loaded"):
        q.check_citations(rules, MEASURES)
