"""The strict YAML reader: which number forms are read as numbers, and which are refused."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from qfund_rules import _yaml
from qfund_rules._yaml import Limits, read_bounded, read_yaml


@pytest.mark.parametrize(
    ("text", "expected"),
    [("20", 20), ("-3", -3), ("+5", 5), ("0", 0), ("22.55", Decimal("22.55")), ("2.", Decimal(2))],
)
def test_plain_numbers_are_read(text: str, expected: object) -> None:
    """Decimal digits, with an optional sign and point, are read as the number they show."""
    doc, problems = read_yaml(f"n: {text}\n".encode())
    assert doc is not None
    assert (problems, doc.data) == ([], {"n": expected})
    assert type(doc.data["n"]) is type(expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("010", "YAML reads '010', with its leading zero, as the octal number 8; write 10 "
         "without the leading zero"),
        ("-010", "YAML reads '-010', with its leading zero, as the octal number -8; write -10 "
         "without the leading zero"),
        ("00", "'00' is not a plain whole number; write 0"),
        ("1:20", "YAML reads '1:20' as the base-60 number 80; write the number in decimal "
         "digits (quote it if it is text)"),
        ("0x14", "YAML reads '0x14' as the hexadecimal number 20; write 20 in decimal digits"),
        ("0b101", "YAML reads '0b101' as the binary number 5; write 5 in decimal digits"),
        ("1_000", "'1_000' is not a plain whole number; write 1000"),
        ("1_000.5", "'1_000.5' is not a plain decimal number; write 1000.5"),
        ("1:20.5", "YAML reads '1:20.5' as the base-60 number 80.5; write the number in "
         "decimal digits (quote it if it is text)"),
    ],
)  # fmt: skip
def test_other_yaml_1_1_number_forms_are_located_problems(text: str, message: str) -> None:
    """Octal, base-60, hex, binary and digit-separated numbers are refused where they stand,
    and the text is kept so that the rest of the file is still checked."""
    doc, problems = read_yaml(f"a: 1\nn: {text}\n".encode(), name="f.yaml")
    assert doc is not None
    assert doc.data == {"a": 1, "n": text}
    assert [str(p) for p in problems] == [f"f.yaml:2:4: n: {message}"]


def test_a_key_is_text_as_written() -> None:
    """A mapping key that YAML 1.1 would read as a number keeps the text it was written as."""
    doc, problems = read_yaml(b"010: a\n0x1: b\n2027: c\n")
    assert doc is not None
    assert (problems, doc.data) == ([], {"010": "a", "0x1": "b", "2027": "c"})


def test_a_merge_key_is_refused_in_words() -> None:
    """`<<:` (YAML 1.1 merge) would copy keys from elsewhere: refused, saying what to do."""
    doc, problems = read_yaml(b"a: {x: 1}\nb:\n  <<: {x: 2}\n", name="f.yaml")
    assert doc is None
    assert [p.message for p in problems] == [
        "YAML merge keys (<<) are not read: write each key out in full"
    ]


@pytest.mark.parametrize(
    ("text", "shown"),
    [("0x_", "'0x_'"), ("0b_", "'0b_'"), ("1" * 5000, f"'{'1' * 40}...' (5000 characters)")],
    ids=["hex without digits", "binary without digits", "5000 digits"],
)
def test_a_number_python_cannot_convert_is_a_located_problem(text: str, shown: str) -> None:
    """YAML 1.1 takes 0x_ for a number, and Python converts no more than 4300 digits: a
    located problem each, never a ValueError out of the reader."""
    doc, problems = read_yaml(f"n: {text}\n".encode(), name="f.yaml")
    assert doc is not None
    assert [str(p) for p in problems] == [
        f"f.yaml:1:4: n: {shown} is not a whole number qfund can read"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1" + ":00" * 300_000, f"'{'1' + ':00' * 13}...' (900001 characters) is not a whole "
         "number qfund can read"),
        ("1" + ":00" * 10_000 + ".5", f"YAML reads '{'1' + ':00' * 13}...' (30003 characters) as "
         "a base-60 number; write the number in decimal digits (quote it if it is text)"),
    ],
    ids=["whole", "with a fraction"],
)  # fmt: skip
def test_a_long_base_60_number_is_refused_without_working_it_out(text: str, message: str) -> None:
    """Working out a base-60 number takes time quadratic in its length and more (30 KB took
    15 s, 900 KB 25 s): a long one is refused without its reading (the message says so;
    how long a read takes is the benchmark's business, not a test's)."""
    doc, problems = read_yaml(f"n: {text}\n".encode(), name="f.yaml")
    assert doc is not None
    assert [str(p) for p in problems] == [f"f.yaml:1:4: n: {message}"]


def test_a_long_number_with_digit_separators_is_echoed_as_a_marked_excerpt() -> None:
    """A decimal number of 100 000 digits written with a separator is refused, it and what
    to write each cut to a marked excerpt (both were echoed whole: 200 KB)."""
    doc, problems = read_yaml(f"n: 2_{'0' * 100_000}.5\n".encode(), name="f.yaml")
    assert doc is not None
    assert [str(p) for p in problems] == [
        f"f.yaml:1:4: n: '2_{'0' * 38}...' (100004 characters) is not a plain decimal number; "
        f"write 2{'0' * 39}... (100003 characters)"
    ]


_OUT_OF_RANGE = "is not a number qfund can read: its exponent is out of range"


@pytest.mark.parametrize(
    ("text", "name", "message"),
    [
        (b'{"a": 1,\n "n": 1e99999999999999999999}', "f.json",
         f"f.json:2:7: n: '1e99999999999999999999' {_OUT_OF_RANGE}"),
        (b'{"a": 1,\n "n": -2E-99999999999999999999}', "f.json",
         f"f.json:2:7: n: '-2E-99999999999999999999' {_OUT_OF_RANGE}"),
        (b"a: 1\nn: 1.5e+99999999999999999999\n", "f.yaml",
         f"f.yaml:2:4: n: '1.5e+99999999999999999999' {_OUT_OF_RANGE}"),
    ],
    ids=["json exponent", "json negative exponent", "yaml float"],
)  # fmt: skip
def test_an_exponent_past_decimals_range_is_a_located_problem(
    text: bytes, name: str, message: str
) -> None:
    """A number whose exponent a Decimal cannot hold is one located problem among others,
    its text kept, never a decimal.InvalidOperation out of the reader."""
    doc, problems = read_yaml(text, name=name)
    assert doc is not None
    assert doc.data["a"] == 1
    assert [str(p) for p in problems] == [message]


@pytest.mark.parametrize(
    "text",
    [b"{a: 'x\\ud840\\udc00'}\n", b"{a: x\\ud840\\udc00}\n", b'{"a": "x"} # \\ud840\\udc00\n'],
    ids=["single-quoted", "plain", "comment"],
)
def test_escape_letters_outside_json_strings_stay_text(text: bytes) -> None:
    """Only a JSON document's surrogate-pair escapes are characters: in YAML's single-quoted
    or plain text the same letters are text, and are read as written."""
    doc, problems = read_yaml(text, name="f.yaml")
    assert (doc is not None, problems) == (True, [])
    assert doc is not None
    written = "x\\ud840\\udc00" if b"x\\u" in text else "x"
    assert doc.data == {"a": written}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b'{"a": [1, 2,]}', "1:12: not valid JSON: a comma before ']' (JSON has none after the "
         "last item)"),
        (b'{\n  "a": 1,\n}\n', "2:9: not valid JSON: a comma before '}' (JSON has none after "
         "the last item)"),
        (b'{"a": True}', "1:7: not valid JSON: expecting value; JSON writes true, false and "
         "null"),
        (b'{"a": None}', "1:7: not valid JSON: expecting value; JSON writes true, false and "
         "null"),
        (b'{\n  "a": 1, // the first\n  "b": 2\n}', "2:11: not valid JSON: expecting property "
         "name enclosed in double quotes; JSON has no comments"),
        (b"# a batch\n{}", "1:1: not valid JSON: expecting value; JSON has no comments"),
        (b"{'a': 1}", "1:2: not valid JSON: expecting property name enclosed in double quotes; "
         "JSON quotes strings and keys with double quotes"),
        (b'{"a": \'x\'}', "1:7: not valid JSON: expecting value; JSON quotes strings and keys "
         "with double quotes"),
        (b"{a: 1}", "1:2: not valid JSON: expecting property name enclosed in double quotes"),
        (b'{"NaN": "NaN", "a": NaN}', "1:21: not valid JSON: NaN is not a JSON value (numbers "
         "are finite)"),
        (b'{"a": [1, -Infinity]}', "1:11: not valid JSON: -Infinity is not a JSON value "
         "(numbers are finite)"),
        (b'{"a": "x\ty"}', "1:9: not valid JSON: invalid control character U+0009 in a "
         "string; write it as an escape (\\t, \\n, \\u001b)"),
        (b'{"a": 1} {}', "1:10: not valid JSON: extra data"),
        ('{"a":\u20281}'.encode(), "1:6: not valid JSON: expecting value; U+2028 is not JSON "
         "whitespace (only space, tab, LF and CR are)"),
        ('{\n "a": 1\x85}'.encode(), "2:8: not valid JSON: expecting ',' delimiter; U+0085 is "
         "not JSON whitespace (only space, tab, LF and CR are)"),
        ('{"a": 1}\u2029'.encode(), "1:9: not valid JSON: extra data; U+2029 is not JSON "
         "whitespace (only space, tab, LF and CR are)"),
        (b'{"a": 1,\r "b": 2,\r\n "c": 3,}', "3:8: not valid JSON: a comma before '}' (JSON "
         "has none after the last item)"),
        (b'{"a": 1,\r "b": True}', "2:7: not valid JSON: expecting value; JSON writes true, "
         "false and null"),
        (b'{"a": 1,\r "b": NaN}', "2:7: not valid JSON: NaN is not a JSON value (numbers are "
         "finite)"),
    ],
    ids=["trailing comma in a list", "trailing comma in an object", "True", "None",
         "// comment", "# comment", "single-quoted key", "single-quoted value", "unquoted key",
         "NaN", "-Infinity", "raw tab", "two documents", "U+2028 before a value",
         "U+0085 after a value", "U+2029 at the end", "lone CR, CRLF: comma", "lone CR: True",
         "lone CR: NaN"],
)  # fmt: skip
def test_a_json_file_must_be_strict_json(text: bytes, message: str) -> None:
    """A document named *.json is refused at its first departure from JSON, which the YAML
    reader alone would have taken (or read as text), with its line and column."""
    doc, problems = read_yaml(text, name="batch.json")
    assert (doc, [str(p) for p in problems]) == (None, [f"batch.json:{message}"])


def test_json_is_told_by_the_path_or_the_name(tmp_path: Path) -> None:
    """The path or the name shown ending in .json, in any case, makes the document JSON."""
    path = tmp_path / "BATCH.JSON"
    path.write_bytes(b"[1,]")
    other = tmp_path / "upload"
    other.write_bytes(b"[1,]")
    refused = [
        read_yaml(path)[1],
        read_yaml(path, name="upload #3")[1],
        read_yaml(other, name="batch.json")[1],
        read_yaml(b"[1,]", name="Batch.Json")[1],
    ]
    assert [len(found) for found in refused] == [1, 1, 1, 1]
    assert all("not valid JSON" in found[0].message for found in refused)


@pytest.mark.parametrize("name", [None, "batch.yaml", "batch.json.yaml", "batch"])
def test_any_other_name_is_read_as_yaml(name: str | None) -> None:
    """A document not named *.json is YAML, as before: a flow mapping starts with { too."""
    doc, problems = read_yaml(b"{a: [1, 2,], b: True, 'c': x}  # note\n", name=name)
    assert doc is not None
    assert (problems, doc.data) == ([], {"a": [1, 2], "b": True, "c": "x"})


def test_a_json_file_is_read_and_located_as_before() -> None:
    """Strict JSON is read by the YAML reader: values, positions and the reader's own
    problems (a duplicate key, a number too long to convert) are those of any document."""
    text = b'{\n  "a": {"x": 1.5, "y": [true, null]},\n  "n": ' + b"1" * 5000 + b',\n  "a": 2\n}'
    doc, problems = read_yaml(text, name="f.json")
    assert doc is not None
    assert doc.data["a"] == {"x": Decimal("1.5"), "y": [True, None]}
    assert doc.locate(("a", "y", 1)) == (2, 31)
    assert [str(p) for p in problems] == [
        f"f.json:3:8: n: '{'1' * 40}...' (5000 characters) is not a whole number qfund can read",
        "f.json:4:3: a: duplicate key 'a' (first at line 2)",
    ]


def test_json_nested_past_pythons_recursion_is_a_located_problem() -> None:
    """A .json document deeper than Python's json reads is refused by the reader's depth
    caps, located, never a RecursionError."""
    doc, problems = read_yaml(b"[" * 100_000 + b"]" * 100_000, name="f.json")
    assert doc is None
    assert [(p.file, p.line) for p in problems] == [("f.json", 1)]


@pytest.mark.parametrize("name", ["f.json", "f.yaml"])
def test_columns_after_a_surrogate_pair_escape_are_the_files(name: str) -> None:
    """Each escape of a character beyond U+FFFF is read as one shorter YAML escape; a
    position after it on its line is still the file's column (a JSON object of any name)."""
    text = (
        '{"a": "\\ud840\\udc00", "b": "\\ud840\\udc00\\uD840\\uDC01", "a": 0,\n'
        ' "c": "\\ud840\\udc00", "c": 1}'
    )
    doc, problems = read_yaml(text.encode(), name=name)
    assert doc is not None
    assert (doc.data["b"], doc.locate(("b",)), doc.locate(("c",))) == ("𠀀𠀁", (1, 23), (2, 2))
    assert [str(p) for p in problems] == [
        f"{name}:1:56: a: duplicate key 'a' (first at line 1)",
        f"{name}:2:23: c: duplicate key 'c' (first at line 2)",
    ]


@pytest.mark.parametrize(
    ("name", "text", "column"),
    [
        ("f.json", '{"x": 1,\r "a": "\\ud840\\udc00", "a": 2}', 23),
        ("f.yaml", '{"x": "\u2028", "a": "\\ud840\\udc00", "a": 2}', 25),
    ],
    ids=["lone CR", "U+2028 in YAML"],
)
def test_a_surrogate_pair_escape_is_placed_on_the_line_yaml_counts(
    name: str, text: str, column: int
) -> None:
    """A line begun by a lone CR, or in a document read as YAML by U+2028, is a line of its
    own to YAML: a column after an escape on it is still the file's."""
    doc, problems = read_yaml(text.encode(), name=name)
    assert doc is not None
    assert [str(p) for p in problems] == [
        f"{name}:2:{column}: a: duplicate key 'a' (first at line 2)"
    ]


class _PythonLoader(yaml.SafeLoader):
    """PyYAML's own parser, which the reader uses when PyYAML was built without libyaml."""


@pytest.fixture(params=["libyaml", "python"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each parser the reader may read with: libyaml's, when PyYAML has it, and PyYAML's."""
    if request.param == "python":
        monkeypatch.setattr(_yaml, "StrictLoader", _PythonLoader)
    elif not issubclass(_yaml.StrictLoader, yaml.CSafeLoader):  # pragma: no cover
        pytest.skip("PyYAML was built without libyaml")
    return str(request.param)


LINE_BREAKS = pytest.mark.parametrize(
    "char", ["\x85", "\u2028", "\u2029"], ids=["U+0085", "U+2028", "U+2029"]
)


@LINE_BREAKS
def test_a_line_break_character_in_a_json_string_is_read_as_json_reads_it(
    char: str, parser: str
) -> None:
    """U+0085, U+2028 and U+2029 are characters in a JSON string, not YAML's line breaks:
    the value is json's, and a later value stands at the file's line and column."""
    text = f'{{"name": "哈密  {char}  公司", "b": 1,\n "{char}": [2]}}'
    assert _read_as_json(text, char) == ((1, 23), (2, 2), (2, 8))


def _read_as_json(text: str, key: str) -> tuple[tuple[int | None, int | None], ...]:
    """Where ``b``, ``key`` and ``key``'s first item stand in ``text`` read under a JSON name,
    once its values are checked to be json's, with no problem."""
    doc, problems = read_yaml(text.encode(), name="f.json")
    assert doc is not None
    assert (json.loads(text), []) == (doc.data, problems)
    return doc.locate(("b",)), doc.locate((key,)), doc.locate((key, 0))


#: What JSON takes raw in a string and a YAML file may not hold.
NOT_YAML = pytest.mark.parametrize(
    "char",
    ["\x7f", "\x80", "\x84", "\x86", "\x9f", "\ufffe", "\uffff"],
    ids=["U+007F", "U+0080", "U+0084", "U+0086", "U+009F", "U+FFFE", "U+FFFF"],
)


@NOT_YAML
def test_a_control_character_in_a_json_string_is_read_as_json_reads_it(
    char: str, parser: str
) -> None:
    """DEL, a C1 control, U+FFFE or U+FFFF raw in a JSON string is the character json reads
    (it was a YAML error without a column): the value is json's, and the values after it
    stand at the file's columns."""
    text = f'{{"name": "哈密{char}公司{char}", "b": 1,\n "{char}": [2]}}'
    assert _read_as_json(text, char) == ((1, 20), (2, 2), (2, 8))


@NOT_YAML
def test_a_control_character_in_yaml_is_refused(char: str, parser: str) -> None:
    """Read as YAML, which may not hold it, the same text is refused."""
    doc, problems = read_yaml(f'{{"name": "哈密{char}公司"}}'.encode(), name="f.yaml")
    assert doc is None
    assert [p.message for p in problems] == [
        f"not valid YAML: character U+{ord(char):04X} is not allowed (control characters are "
        "not allowed)"
        if parser == "libyaml"
        else f"not valid YAML: character U+{ord(char):04X} is not allowed (special characters "
        "are not allowed)"
    ]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("a: 1\nb: x\x07\n", "2:5"),
        ("名称: 哈密\n键: 哈密\x1b公司\n", "2:6"),
        ("a: 1\r\nb: 1\r\nc: \x01\r\n", "3:4"),
        ("a: 1\rb: 1\rc: \x01\r", "3:4"),
        ('a: "x\u2028 哈\x7f"\n', "2:3"),
    ],
    ids=["LF", "after CJK", "CRLF", "lone CR", "after U+2028"],
)
def test_a_character_yaml_refuses_is_located_by_line_and_column(
    text: str, where: str, parser: str
) -> None:
    """A control character is located at its line and column, counted as every other
    problem's are (YAML's line breaks; characters, not libyaml's bytes)."""
    doc, problems = read_yaml(text.encode(), name="f.yaml")
    assert doc is None
    assert [str(p).split(": not valid YAML")[0] for p in problems] == [f"f.yaml:{where}"]


def test_columns_after_line_breaks_and_surrogate_pairs_on_a_line_are_the_files(
    parser: str,
) -> None:
    """Escapes longer (a line break) and shorter (a surrogate pair) on one line, and lines
    ended by CRLF or a lone CR: each position, and each problem, is still the file's."""
    text = (
        '{"a": "\u2028\\ud840\\udc00\x85\\\\\u2029", "b": 1, "a": 2,\r\n'
        ' "c": "\\ud840\\udc00\u2029", "d": 3,\r "d": 4}'
    )
    doc, problems = read_yaml(text.encode(), name="f.json")
    assert doc is not None
    assert doc.data == {"a": "\u2028𠀀\x85\\\u2029", "b": 1, "c": "𠀀\u2029", "d": 3}
    assert (
        doc.locate(("b",)),
        doc.locate(("c",)),
        doc.locate(("d",)),
    ) == ((1, 28), (2, 2), (2, 24))
    assert [str(p) for p in problems] == [
        "f.json:1:36: a: duplicate key 'a' (first at line 1)",
        "f.json:3:2: d: duplicate key 'd' (first at line 2)",
    ]


@LINE_BREAKS
def test_a_line_break_character_in_yaml_is_a_line_break(char: str, parser: str) -> None:
    """Read as YAML (1.1, as PyYAML and libyaml read it), U+0085, U+2028 and U+2029 end a
    line, in a JSON object too: a string is folded across one as across LF (U+0085
    becomes a space, the blanks around U+2028 and U+2029 go), and lines count it."""
    folded = "哈密 公司" if char == "\x85" else f"哈密{char}公司"
    text = f'{{"a": "哈密  {char}  公司", "b": \'哈密  {char}  公司\',\n "c": 1}}'
    for name in ("f.yaml", None):
        doc, problems = read_yaml(text.encode(), name=name)
        assert doc is not None
        assert ({"a": folded, "b": folded, "c": 1}, []) == (doc.data, problems)
        assert (doc.locate(("b",)), doc.locate(("c",))) == ((2, 8), (4, 2))


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("a:\n\tb: 1\n", "2:1"),
        ("a:\n  b: 1\n\tc: 2\n", "3:1"),
        ("a:\n  - 1\n  \t- 2\n", "3:3"),
        ("名称: 值\n名称2:\n  键: 1\n \t键2: 2\n", "4:2"),
        ("a: 1\r\nb:\r\n\tc: 2\r\n", "3:1"),
    ],
    ids=["first", "under a key", "after spaces", "after CJK lines", "CRLF"],
)
def test_a_tab_in_the_indentation_is_named(text: str, where: str, parser: str) -> None:
    """A tab indenting a line (which an editor shows as spaces) is named as the fault, with
    what to write, whichever parser stopped at it and in whatever words."""
    doc, problems = read_yaml(text.encode(), name="f.yaml")
    assert doc is None
    assert [str(p) for p in problems] == [
        f"f.yaml:{where}: not valid YAML: a tab in the indentation: YAML indents with "
        "spaces, not tabs; replace it with spaces"
    ]


def test_a_tab_between_tokens_is_named() -> None:
    """A tab after a list's dash, where libyaml takes only spaces, is named as the fault."""
    doc, problems = read_yaml(b"a:\n  - 1\n  -\t2\n", name="f.yaml")
    assert doc is None
    assert [str(p) for p in problems] == [
        "f.yaml:3:4: not valid YAML: a tab where YAML takes a space: replace it with a space"
    ]


# --- reading a file within max_bytes ------------------------------------------------------


@pytest.mark.parametrize("cap", [10**12, 2**63], ids=["10**12", "2**63"])
def test_a_cap_far_above_the_file_reads_the_file(cap: int, tmp_path: Path) -> None:
    """A cap is not what is read: Limits(max_bytes=10**12) allocated a terabyte first (a
    MemoryError), 2**63 ended in an OverflowError; the file is read as under any cap."""
    path = tmp_path / "f.yaml"
    path.write_bytes(b"a: 1\n")
    doc, problems = read_yaml(path, limits=Limits(max_bytes=cap))
    assert doc is not None
    assert (problems, doc.data) == ([], {"a": 1})


def fed(path: Path, data: bytes) -> threading.Thread:
    """A thread writing ``data`` into the fifo at ``path`` (until the reader closes it)."""

    def feed() -> None:
        with path.open("wb") as fh, contextlib.suppress(BrokenPipeError):
            fh.write(data)

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    return thread


@pytest.mark.skipif(sys.platform == "win32", reason="no mkfifo")
@pytest.mark.parametrize(
    ("cap", "expected"),
    [(10**12, None), (300_000, None), (299_999, "file holds more than 299999 bytes")],
    ids=["far above", "at the size", "one below"],
)
def test_a_pipe_is_read_in_chunks_up_to_the_cap(
    cap: int, expected: str | None, tmp_path: Path
) -> None:
    """A pipe reports no size: it is read in chunks, whole when it ends within the cap, and
    refused as soon as it holds more."""
    data = b"a: 1\n" + b"#" * (300_000 - 6) + b"\n"
    path = tmp_path / "f.yaml"
    os.mkfifo(path)
    thread = fed(path, data)
    doc, problems = read_yaml(path, limits=Limits(max_bytes=cap))
    thread.join(timeout=10)
    if expected is None:
        assert doc is not None
        assert (problems, doc.data) == ([], {"a": 1})
    else:
        assert doc is None
        assert [p.message for p in problems] == [f"{expected}; the limit is {cap} bytes"]


def test_a_path_no_file_can_have_is_an_os_error_from_read_bounded() -> None:
    """read_bounded refuses a path holding a NUL with an OSError naming it escaped, as it
    refuses a missing file, not with the OS layer's bare ValueError."""
    with pytest.raises(OSError, match="NUL character") as refused:
        read_bounded(Path("a\x00b"))
    assert refused.value.filename == r"'a\x00b'"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("fund.db", "`qfund ledger verify --ledger fund.db`"),
        ("-fund.db", "`qfund ledger verify --ledger ./-fund.db`"),
        (Path("-my fund.db"), "`qfund ledger verify --ledger './-my fund.db'`"),
        ("--ledger", "`qfund ledger verify --ledger ./--ledger`"),
        ("a\nb.db", "qfund ledger verify on that file"),
    ],
    ids=["plain", "leading dash", "leading dash, quoted", "an option's name", "unprintable"],
)
def test_a_suggested_command_takes_the_path_as_a_file(
    path: str | os.PathLike[str], expected: str
) -> None:
    """A path starting with - is suggested as ./-x, which no option parser takes for an
    option; the rest of the path is shell-quoted as one word."""
    assert _yaml.suggested_command("qfund ledger verify", "--ledger", path) == expected
