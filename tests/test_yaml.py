"""The strict YAML reader: which number forms are read as numbers, and which are refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qfund_rules._yaml import read_yaml


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
    [("0x_", "'0x_'"), ("0b_", "'0b_'"), ("1" * 5000, "'" + "1" * 20 + "...'")],
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
