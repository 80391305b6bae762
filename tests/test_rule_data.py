"""Checks of the rule data itself against the measures, independent of the loader.

The three rule files are read with plain ``yaml.safe_load``: these tests check what the
files say (ids, clauses, amounts, citations), not how qfund_rules reads them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from qfund_rules.rules import ITEM_IDS

ROOT = Path(__file__).parents[1]
RULES = ROOT / "rules"
MEASURES = (ROOT / "docs" / "source" / "measures-2026-draft.txt").read_text(encoding="utf-8")
RULE_FILES = ("awards.yaml", "exclusions.yaml", "allocation.yaml")

# The 42 award item ids of interchange.md, in article order (the contract's constant).
EXPECTED_IDS = list(ITEM_IDS)

NUM = "一二三四五六七八九十"
CITATION_RE = re.compile(rf"^第[{NUM}]+条(第\([{NUM}]+\)项)?$")
ARTICLE_RE = re.compile(rf"^(第[{NUM}]+条)")
ITEM_RE = re.compile(rf"^(\([{NUM}]+\))")
AMOUNT_RE = re.compile(r"(\d+)万元")


def _load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((RULES / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{name} is not a mapping"
    return data


DATA: dict[str, dict[str, Any]] = {name: _load(name) for name in RULE_FILES}
ITEMS: list[dict[str, Any]] = DATA["awards.yaml"]["items"]


def _articles(text: str) -> dict[str, list[str]]:
    """The measures' lines grouped by article: a line starting 第X条 opens one, 第X章 closes it."""
    articles: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        match = ARTICLE_RE.match(line)
        if match:
            current = articles.setdefault(match.group(1), [])
        elif re.match(rf"^第[{NUM}]+章", line):
            current = None
        if current is not None:
            current.append(line)
    return articles


ARTICLES = _articles(MEASURES)


def _walk(node: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every mapping in ``node`` with its path, items named by their ``id`` when they have one."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            label = value.get("id", value.get("code")) if isinstance(value, dict) else None
            yield from _walk(value, f"{path}[{label or index}]")


MAPPINGS = [(p, m) for name in RULE_FILES for p, m in _walk(DATA[name], name)]
CLAUSES = [(p, m["clause"]) for p, m in MAPPINGS if "clause" in m]
CITATIONS = [(p, m["citation"]) for p, m in MAPPINGS if "citation" in m]
CITED_CLAUSES = [
    (p, m["citation"], m["clause"]) for p, m in MAPPINGS if {"citation", "clause"} <= m.keys()
]


def test_item_ids_are_exactly_those_of_interchange() -> None:
    """The award items are the 42 ids of interchange.md, each once, in article order."""
    ids = [item["id"] for item in ITEMS]
    duplicates = sorted(i for i, n in Counter(ids).items() if n > 1)
    assert duplicates == []
    assert set(ids) == set(EXPECTED_IDS)
    assert ids == EXPECTED_IDS


def test_every_file_has_clauses_and_citations() -> None:
    """Each rule file cites the measures, so the parametrized checks below are not vacuous."""
    for name in RULE_FILES:
        assert any(p.startswith(name) for p, _ in CLAUSES), name
        assert any(p.startswith(name) for p, _ in CITATIONS), name


@pytest.mark.parametrize(("path", "clause"), CLAUSES, ids=[p for p, _ in CLAUSES])
def test_clause_is_verbatim(path: str, clause: str) -> None:
    """Every clause is quoted character for character from the measures."""
    assert isinstance(clause, str)
    assert clause
    assert clause in MEASURES, f"{path}: clause not found verbatim in the measures"


@pytest.mark.parametrize("item", ITEMS, ids=[i["id"] for i in ITEMS])
def test_item_amount_matches_clause(item: dict[str, Any]) -> None:
    """The single amount in 万元 stated by an item's clause is its first amount."""
    numbers = AMOUNT_RE.findall(item["clause"])
    assert len(numbers) == 1, f"{item['id']}: clause states {len(numbers)} amounts"
    first = item["amounts"][0]
    assert first["wan"] == int(numbers[0])


@pytest.mark.parametrize("item", ITEMS, ids=[i["id"] for i in ITEMS])
def test_item_first_amount_from_entry_into_force(item: dict[str, Any]) -> None:
    """Each item's first amount is in force from the day the rules come into force."""
    validity = DATA["exclusions.yaml"]["validity"]
    start = validity["published_on"] + dt.timedelta(days=validity["starts_after_days"])
    assert start == dt.date(2026, 3, 14)
    assert item["amounts"][0]["from"] == start


@pytest.mark.parametrize(("path", "citation"), CITATIONS, ids=[p for p, _ in CITATIONS])
def test_citation_form(path: str, citation: str) -> None:
    """Every citation is written 第X条 or 第X条第(Y)项."""
    assert CITATION_RE.match(citation), f"{path}: bad citation {citation!r}"


@pytest.mark.parametrize(
    ("path", "citation", "clause"), CITED_CLAUSES, ids=[p for p, _, _ in CITED_CLAUSES]
)
def test_citation_matches_clause_article(path: str, citation: str, clause: str) -> None:
    """The article (and numbered item, if cited) whose text holds the clause is the one cited."""
    holders = [art for art, lines in ARTICLES.items() if clause in "\n".join(lines)]
    assert len(holders) == 1, f"{path}: clause found in articles {holders}"
    article = ARTICLE_RE.match(citation)
    assert article is not None
    assert holders[0] == article.group(1)
    item = re.search(r"第(\([^)]+\))项$", citation)
    if item is not None:
        numbered = [
            line
            for line in ARTICLES[holders[0]]
            if (m := ITEM_RE.match(line)) and m.group(1) == item.group(1)
        ]
        assert len(numbered) == 1, f"{path}: no single line {item.group(1)} in {holders[0]}"
        assert clause in numbered[0], f"{path}: clause is not in {citation}"


def test_section_numbers_match_clauses() -> None:
    """The numbers in exclusions and allocation sections are those their clauses state."""
    exclusions = DATA["exclusions.yaml"]
    allocation = DATA["allocation.yaml"]
    validity = exclusions["validity"]
    assert f"{validity['starts_after_days']}日后实施" in validity["clause"]
    assert f"有效期{validity['years']}年" in validity["clause"]
    assert f"取消申报资格{exclusions['ban']['years']}年" in exclusions["ban"]["clause"]
    assert f"不低于{allocation['budgets']['minimum_wan']}万元" in allocation["budgets"]["clause"]
    assert f"公示{allocation['publicity']['days']}个自然日" in allocation["publicity"]["clause"]
    assert all(
        v >= allocation["budgets"]["minimum_wan"] for v in allocation["budgets"]["by_year"].values()
    )
