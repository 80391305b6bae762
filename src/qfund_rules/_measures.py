"""The text of the measures, and the rule files' clauses and citations checked against it.

Every ``clause`` in the rule files quotes the measures verbatim and every ``citation``
names the article (第X条) or numbered item (第X条第(Y)项) that says it; auditors read both
on every decision. The text is split as it is printed: a line starting 第X条 opens an
article, a line starting 第X章 closes it (a chapter heading belongs to no article), and a
line of an article starting (一), (二) ... is that numbered item.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from os import PathLike
from pathlib import Path, PurePath
from typing import Any

from ._arguments import A_RULESET, check_type
from ._yaml import Document, read_bounded, read_yaml, shown_path
from .errors import Problem, QfundError
from .rules import RULE_FILES, RuleSet, rules_digest

__all__ = ["check_citations"]

_NUM = "一二三四五六七八九十"
_ARTICLE = re.compile(rf"第[{_NUM}]+条")
_CHAPTER = re.compile(rf"第[{_NUM}]+章")
_ITEM = re.compile(rf"\([{_NUM}]+\)")
_CITATION = re.compile(rf"(第[{_NUM}]+条)(?:第(\([{_NUM}]+\))项)?")

_Path = tuple[str | int, ...]
_CLOSE_ENOUGH = 0.75  # similarity below which a text is not worth naming as the nearest
_DIFFERENCES_SHOWN = 3


@dataclass(frozen=True, slots=True)
class _Line:
    """One line of the measures and where it stands: 第X条, 第X条第(Y)项, or None."""

    text: str
    place: str | None


class _Measures:
    """The measures' lines, grouped by article."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines: list[_Line] = []
        self.articles: dict[str, list[_Line]] = {}
        current: str | None = None
        for text_line in text.splitlines():
            if article := _ARTICLE.match(text_line):
                current = article.group()
                self.articles.setdefault(current, [])
            elif _CHAPTER.match(text_line):
                current = None
            place = None
            if current is not None:
                item = _ITEM.match(text_line)
                place = f"{current}第{item.group()}项" if item else current
            line = _Line(text_line, place)
            self.lines.append(line)
            if current is not None:
                self.articles[current].append(line)

    def places(self, clause: str) -> list[str]:
        """Where ``clause`` stands: the items or articles whose text holds it."""
        found: list[str] = []
        for article, lines in self.articles.items():
            if clause in "\n".join(line.text for line in lines):
                holders = [line.place for line in lines if line.place and clause in line.text]
                found.extend(dict.fromkeys(holders or [article]))
        return found

    def citation_problem(self, citation: str, clause: str | None) -> str | None:
        """What is wrong with ``citation`` (of ``clause``, when it is verbatim), or None."""
        match = _CITATION.fullmatch(citation)
        if match is None:
            return None  # not written 第X条 or 第X条第(Y)项: the loader says so
        article, item = match.group(1), match.group(2)
        places = self.places(clause) if clause is not None else []
        where = f"; the clause is in {', '.join(places)}" if places else ""
        if article not in self.articles:
            names = list(self.articles)
            span = f"{names[0]} to {names[-1]}"
            return f"{article} is not an article of the measures ({span}){where}"
        lines = self.articles[article]
        if item is not None:
            lines = [line for line in lines if line.place == f"{article}第{item}项"]
            if not lines:
                return f"{article} has no item {item}{where}"
        if places and clause is not None and clause not in "\n".join(x.text for x in lines):
            return f"the clause is not in {citation} but in {', '.join(places)}"
        return None

    def nearest(self, clause: str) -> tuple[str, str | None] | None:
        """The passage of one line closest to ``clause``, with its place, if close enough."""
        best: tuple[float, str, str | None] | None = None
        folded = _fold(clause)
        for line in self.lines:
            matcher = difflib.SequenceMatcher(None, folded, _fold(line.text), autojunk=False)
            blocks = [b for b in matcher.get_matching_blocks() if b.size]
            if not blocks:
                continue
            # From the first matching block to the last, stretched by the clause's
            # unmatched head and tail, so that a typo at either end stays inside.
            head, tail = blocks[0], blocks[-1]
            start = max(0, head.b - head.a)
            passage = line.text[start : tail.b + len(clause) - tail.a]
            ratio = difflib.SequenceMatcher(None, folded, _fold(passage), autojunk=False).ratio()
            if ratio >= _CLOSE_ENOUGH and (best is None or ratio > best[0]):
                best = (ratio, passage, line.place)
        return None if best is None else best[1:]


def _fold(text: str) -> str:
    """``text`` with each full-width character as its ASCII twin (one for one)."""
    return "".join(
        folded if len(folded := unicodedata.normalize("NFKC", ch)) == 1 else ch for ch in text
    )


def _width(text: str) -> str:
    if text.isascii():
        return "ASCII "
    wide = all(unicodedata.east_asian_width(ch) == "F" for ch in text)
    return "full-width " if wide else ""


def _differences(clause: str, passage: str) -> str:
    """How ``clause`` differs from ``passage``: ``'历' instead of '励'; extra ' '``."""
    found: list[str] = []
    matcher = difflib.SequenceMatcher(None, clause, passage, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        ours, theirs = clause[i1:i2], passage[j1:j2]
        if op == "replace":
            if _fold(ours) == _fold(theirs):  # ，for , or （ for (: the widths differ
                found.append(f"{_width(ours)}{ours!r} instead of {_width(theirs)}{theirs!r}")
            else:
                found.append(f"{ours!r} instead of {theirs!r}")
        elif op == "delete":
            found.append(f"extra {ours!r}")
        elif op == "insert":
            found.append(f"missing {theirs!r}")
    more = len(found) - _DIFFERENCES_SHOWN
    shown = found[:_DIFFERENCES_SHOWN] + ([f"{more} more"] if more > 0 else [])
    return "; ".join(shown)


def _clause_problem(clause: str, measures: _Measures) -> str | None:
    """What is wrong with ``clause`` as a quotation of the measures, or None."""
    if clause in measures.text:
        if not measures.places(clause):
            return "found in the measures, but outside every article"
        return None
    near = measures.nearest(clause)
    if near is None:
        return "not found verbatim in the measures, nor anything close to it"
    passage, place = near
    where = f" in {place}" if place else ""
    differs = _differences(clause, passage)
    return f"not found verbatim in the measures; nearest{where}: {passage!r} ({differs})"


def _mappings(node: Any, path: _Path = ()) -> Iterator[tuple[_Path, dict[Any, Any]]]:
    """Every mapping in a document with its field path."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _mappings(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _mappings(value, (*path, index))


def _check_document(doc: Document, measures: _Measures) -> Iterator[Problem]:
    for path, mapping in _mappings(doc.data):
        clause = mapping.get("clause")
        verbatim: str | None = None
        if isinstance(clause, str) and clause:
            message = _clause_problem(clause, measures)
            if message is None:
                verbatim = clause
            else:
                yield doc.problem((*path, "clause"), message)
        citation = mapping.get("citation")
        if isinstance(citation, str):
            message = measures.citation_problem(citation, verbatim)
            if message is not None:
                yield doc.problem((*path, "citation"), message)


def require_articles(measures: str, path: str | PathLike[str] | None = None) -> None:
    """Refuse ``measures`` unless a line of it opens an article (starts with 第X条).

    A text without one is not the measures (a wrong file, notes, a title page): nothing in
    it could hold a clause or answer a citation. ``path``, the file the text was read
    from, when there is one, opens the message.

    Raises:
        QfundError: no line of ``measures`` starts with 第X条.
    """
    if not any(_ARTICLE.match(line) for line in measures.splitlines()):
        where = "" if path is None else f"{shown_path(path)}: "
        raise QfundError(f"{where}the measures text has no articles: no line starts with 第X条")


def check_citations(rules: RuleSet, measures: str) -> tuple[Problem, ...]:
    """Every clause and citation of ``rules`` checked against ``measures``, the text.

    A ``clause`` must be found verbatim in an article of the measures (when it is not, the
    nearest passage is named with what differs); a ``citation`` must name an article, and
    numbered item if it cites one, that exists and whose text holds the clause. Returns
    the problems, located by file, line and field as :func:`load_rules` locates its own;
    an empty tuple means every clause and citation agrees with the measures.

    Raises:
        QfundError: ``measures`` has no article (no line starts 第X条), or the rule files
            cannot be read again or have changed since ``rules`` was loaded from them.
        TypeError: ``rules`` is not a RuleSet, or ``measures`` not a str (a path's text is
            its ``read_text(encoding="utf-8")``).
    """
    check_type(TypeError, "check_citations", "rules", rules, RuleSet, A_RULESET)
    what = "the text of the measures (a str)"
    if isinstance(measures, PurePath):
        what = 'the text of the measures (a str: the file\'s .read_text(encoding="utf-8"))'
    elif isinstance(measures, bytes):
        what = 'the text of the measures (a str: the bytes\' .decode("utf-8"))'
    check_type(TypeError, "check_citations", "measures", measures, str, what)
    require_articles(measures)
    text = _Measures(measures)
    # The rule set keeps no positions: the files are read again, and must be the same.
    root = Path(rules.directory)
    try:
        raw = {name: read_bounded(root / name) for name in RULE_FILES}
    except OSError as exc:
        raise QfundError(f"{exc.filename}: cannot read: {exc.strerror}") from None
    if rules_digest(raw) != rules.sha256:
        raise QfundError(f"the rule files in {root} changed since they were loaded")
    problems: list[Problem] = []
    for name in RULE_FILES:
        doc, _ = read_yaml(raw[name], name=shown_path(root / name))
        if doc is not None:  # it was read when the rules were loaded, from the same bytes
            problems.extend(_check_document(doc, text))
    return tuple(sorted(problems, key=Problem.sort_key))
