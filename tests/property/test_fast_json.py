"""The quick read of plain JSON (``_fast_json.py``) reads what the YAML reader reads.

Invariant: for any document under a ``.json`` name, ``read_yaml`` gives the same values,
the same problems, and (asked for) the same positions as the YAML reader alone, whether
the quick read took the document or left it to the YAML reader. The documents mix what
the quick read takes (strings of any printable text, whole numbers, true, false, null)
with everything it must leave alone: fractions and exponents, keys written twice,
control characters and line separators raw or escaped, surrogate escapes, nesting and
sizes at the caps, and text that is not JSON.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from qfund_rules._fast_json import plain_json
from qfund_rules._yaml import Document, Limits, _read_json, read_yaml
from qfund_rules.errors import Problem

Path_t = tuple[str | int, ...]

_AWKWARD = ["\x85", "\u2028", "\u2029", "\ufeff", "\x7f", "\x9f", "\x08", "\t", "\ud800"]
_TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["哈密市", "GB/T 45678—2026", "2027-03-01", "1e5", "", " ", "\\u00e9"]),
    st.lists(st.sampled_from([*_AWKWARD, "a", "哈"]), max_size=4).map("".join),
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    _TEXT,
)


def _values(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(_TEXT, inner, max_size=4)
        ),
        max_leaves=20,
    )


def _number_text(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(["1.5", "1e5", "-0", "0.0", "2E-3", "1" * 5000, "-12", "0"]))


@st.composite
def documents(draw: st.DrawFn) -> str:
    """JSON text, now and then edited into what only the YAML reader takes or refuses."""
    text = json.dumps(draw(_values(_SCALARS)), ensure_ascii=draw(st.booleans()))
    edit = draw(st.sampled_from(["none", "number", "twice", "raw", "junk"]))
    if edit == "number" and text.startswith("{"):
        text = '{"n": ' + _number_text(draw) + ("," + text[1:] if text != "{}" else "}")
    elif edit == "twice" and text.startswith("{"):
        text = '{"k": 1, "k": 2' + ("," + text[1:] if text != "{}" else "}")
    elif edit == "raw":
        text = json.dumps([draw(st.sampled_from(_AWKWARD))], ensure_ascii=False)
    elif edit == "junk":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from([",", "]", "'", "True", "/*", " "])) + text[at:]
    return text


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[,:\[\]{}]|[^\s,:\[\]{}"]+')
_BLANKS = ["", " ", "\n", "\r\n", "\r", "  \n  ", "\t", " \t\n"]


@st.composite
def laid_out(draw: st.DrawFn) -> str:
    """A plain document with JSON's whitespace (space, tab, CR, LF) drawn between its
    tokens: YAML refuses some layouts JSON allows (a tab in the indentation, a key whose
    colon is on a later line), and so must the quick read, by leaving them to it."""
    value = draw(_values(st.one_of(st.none(), st.booleans(), st.integers(), _TEXT)))
    if draw(st.booleans()):
        value = {draw(st.sampled_from(["k" * 200, "键" * 170, "k"])): value}
    text = json.dumps(value, ensure_ascii=draw(st.booleans()))
    pieces = [draw(st.sampled_from(_BLANKS))]
    for token in _TOKEN.findall(text):
        pieces += [token, draw(st.sampled_from(_BLANKS))]
    return "".join(pieces)


def _slow(text: str, limits: Limits) -> tuple[Document | None, list[Problem]]:
    """What the YAML reader alone makes of ``text`` under a JSON name."""
    from qfund_rules._json import syntax_problem

    refused = syntax_problem("d.json", text)
    if refused is not None:
        return None, [refused]
    return _read_json("d.json", text, limits)


def _paths(data: Any, path: Path_t = ()) -> list[Path_t]:
    out = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            out += _paths(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out += _paths(value, (*path, i))
    return out


def _same(text: str, limits: Limits) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate drawn raw: no UTF-8 file holds one
        return
    doc, problems = read_yaml(text.encode(), name="d.json", limits=limits)
    slow, slow_problems = _slow(text, limits)
    assert problems == slow_problems
    assert (doc is None) == (slow is None)
    if doc is None or slow is None:
        return
    assert repr(doc.data) == repr(slow.data)  # the same types too: 1 is not True
    for path in _paths(doc.data):
        assert doc.locate(path) == slow.locate(path), path


@given(documents())
@example('{"a": [1, "x", true, null, {"b": "\\u00e9"}]}')
@example('{"k": 1, "k": 2}')
@example('{"n": 1e5}')
@example('["\u2028"]')
def test_the_quick_read_reads_what_the_yaml_reader_reads(text: str) -> None:
    _same(text, Limits())


@given(laid_out())
@example('\t{"a": 1}')
@example('{"a"\n: 1}')
@example('{"' + "k" * 1100 + '": 1}')
def test_the_quick_read_takes_only_layouts_the_yaml_reader_reads(text: str) -> None:
    _same(text, Limits())


@given(st.integers(1, 6), st.integers(1, 60))
def test_near_the_caps_the_yaml_reader_decides(depth: int, nodes: int) -> None:
    """At or near a cap the document is the YAML reader's, which refuses it located."""
    text = json.dumps({"a": [[["x", 1, None]] * 3], "b": {"c": {"d": [True]}}})
    _same(text, Limits(max_depth=depth, max_nodes=nodes))


@pytest.mark.parametrize(
    "text",
    [
        '{"n": 1.5}',
        '{"n": 1e5}',
        '{"k": 1, "k": 2}',
        '["\\ud840\\udc00"]',
        '["\\u0085"]',
        '["\x85"]',
        '["a\\u2028b"]',
        '["\ufeff"]',
        '\t{"a": 1}',
        '{"a"\r\n: 1}',
        '{"' + "k" * 151 + '": 1}',
        "[1,]",
        "null",
        '{"n": ' + "1" * 5000 + "}",
    ],
)
def test_what_the_quick_read_leaves_to_the_yaml_reader(text: str) -> None:
    assert plain_json(text, max_depth=64, max_nodes=1000) is None


def test_a_plain_batch_is_read_quickly_and_located_on_demand() -> None:
    text = '{\n  "round": 2027,\n  "claims": [\n    {"id": "C1", "name": "哈密"}\n  ]\n}'
    assert plain_json(text, max_depth=64, max_nodes=1000) is not None
    doc, problems = read_yaml(text.encode(), name="b.json")
    assert problems == []
    assert doc is not None
    assert doc.positions == {}  # nothing located until a problem needs it
    assert doc.locate(("claims", 0, "name")) == (4, 18)  # where its key stands
    assert doc.problem(("round",), "x") == Problem("b.json", 2, 3, ("round",), "x")
