"""How a message echoes a value it refuses: whole when short, else a bounded, marked
excerpt (``_excerpt.py``), whatever the value and however long."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from qfund_rules._excerpt import LONGEST, echo, excerpt
from qfund_rules._validation import shown


@pytest.mark.parametrize("text", ["", "2027", "x" * LONGEST])
def test_a_short_text_is_echoed_whole(text: str) -> None:
    """Up to LONGEST characters, the text is echoed as it is."""
    assert (text, repr(text)) == (excerpt(text), excerpt(text, quoted=True))


def test_a_long_text_is_cut_saying_so_and_how_long_it_was() -> None:
    """Past LONGEST, the start is echoed, marked as cut, with the whole length."""
    text = "2027" + "0" * 100_000
    assert (
        f"2027{'0' * 36}... (100004 characters)",
        f"'2027{'0' * 36}...' (100004 characters)",
    ) == (excerpt(text), excerpt(text, quoted=True))


def test_escapes_count_towards_the_bound() -> None:
    """A text of control characters, which repr writes four times as long, stays bounded."""
    cut = excerpt("\x00" * 1000, quoted=True)
    assert cut == "'" + "\\x00" * 10 + "...' (1000 characters)"
    assert len(cut) <= LONGEST


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2027", "'2027'"),
        (1.5, "1.5"),
        (["banned"], "['banned']"),
        (10**5000, "a whole number of more than 4300 digits"),
        (list(range(10)), "[0, 1, 2, 3, 4, 5, ...]"),
        ([[[1]]], "[[[...]]]"),
        ({"k": "v" * 100}, f"{{'k': '{'v' * 40}...' (100 characters)}}"),
    ],
    ids=["text", "float", "list", "int past str", "long list", "deep list", "long in a dict"],
)
def test_echo_writes_a_value_as_python_does_bounded(value: object, expected: str) -> None:
    """echo: Python's repr, a few items a few levels deep, each text cut as excerpt cuts."""
    assert expected == echo(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, "true"),
        (None, "null"),
        (Decimal("2027.0"), "2027.0"),
        (dt.date(2026, 1, 1), "2026-01-01"),
        (("a", None), "['a', null]"),
        (Decimal("1." + "0" * 1000), f"1.{'0' * 38}... (1002 characters)"),
    ],
    ids=["true", "null", "decimal", "date", "tuple", "long decimal"],
)
def test_shown_writes_a_value_as_a_file_does_bounded(value: object, expected: str) -> None:
    """shown: as a YAML file writes the value, bounded as echo is."""
    assert expected == shown(value)


def test_a_nest_of_lists_is_echoed_in_a_few_hundred_characters() -> None:
    """Six lists of six, seven levels deep (280 000 values), echo in a few hundred
    characters: the walk stops at two levels and six items."""

    def nest(depth: int) -> object:
        return "x" if depth == 0 else [nest(depth - 1)] * 6

    assert len(shown(nest(7))) < 400
    assert len(echo(nest(7))) < 400
