"""The ``--help`` of every ``qfund`` command, read as a new user reads it: every argument
explained, defaults said as they are in force, the same option said the same way."""

from __future__ import annotations

import argparse
import io
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import qfund_rules.cli
import qfund_rules.rules
from qfund_rules._help import DisplayWidthFormatter, display_width
from qfund_rules.cli import run

from .conftest import RULES_DIR


def call(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def said(*argv: str) -> str:
    """The help of ``qfund *argv``, its lines joined as one."""
    code, out, err = call(*argv, "--help")
    assert (code, err) == (0, "")
    return " ".join(out.split())


@pytest.fixture
def other_shipped_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Shipped rules whose publicity lasts 9 days and whose ban lasts 5 years."""
    rules = shutil.copytree(RULES_DIR, tmp_path / "rules")
    for name, old, new in [
        ("allocation.yaml", "\n  days: 7\n", "\n  days: 9\n"),
        (
            "exclusions.yaml",
            "的,取消其已被认定资格,收回已拨付的奖补资金,并取消申报资格3年\n  years: 3\n",
            "的,取消其已被认定资格,收回已拨付的奖补资金,并取消申报资格3年\n  years: 5\n",
        ),
    ]:
        text = (rules / name).read_text(encoding="utf-8")
        assert text.count(old) == 1
        (rules / name).write_text(text.replace(old, new), encoding="utf-8")
    monkeypatch.setattr(qfund_rules.rules, "default_rules_dir", lambda: rules)


@pytest.mark.usefixtures("other_shipped_rules")
@pytest.mark.parametrize(
    ("argv", "quoted"),
    [
        (("round",), "publicity.days (9 in the shipped rules)"),
        (("ledger", "fraud"), "ban.years (5 in the shipped rules)"),
    ],
)
def test_a_value_of_the_rule_files_is_quoted_as_the_shipped_rules_hold_it(
    argv: tuple[str, ...], quoted: str
) -> None:
    """A help text quoting a value of the rule files says what the shipped rules hold, not
    a copy of it."""
    assert quoted in said(*argv)


def test_the_catalogue_says_how_many_items_the_contract_has(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`qfund --help` counts the award items of interchange.md, not a copy of the count."""
    monkeypatch.setattr(qfund_rules.cli, "ITEM_IDS", ("a9.1", "a9.2", "a12"))
    assert "catalogue list the 3 award items" in said()


def _commands() -> dict[str, argparse.ArgumentParser]:
    """Every command of `qfund` that takes arguments, by its name (`ledger fraud`)."""
    found: dict[str, argparse.ArgumentParser] = {}

    def walk(name: str, parser: argparse.ArgumentParser) -> None:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            found[name] = parser
        for action in subs:
            for sub_name, sub in action.choices.items():
                walk(f"{name} {sub_name}".strip(), sub)

    walk("", qfund_rules.cli._parser()[0])
    return found


COMMANDS = _commands()
ACTIONS = [
    (f"{name} {action.option_strings[0] if action.option_strings else action.dest}", action)
    for name, parser in COMMANDS.items()
    for action in parser._actions
    if not isinstance(action, argparse._HelpAction)
]


def arguments(keep: Callable[[argparse.Action], bool] = lambda _: True) -> list[object]:
    """The arguments of every command ``keep`` keeps, as test parameters named by both."""
    return [pytest.param(action, id=name) for name, action in ACTIONS if keep(action)]


@pytest.mark.parametrize("action", arguments())
def test_every_argument_is_explained(action: argparse.Action) -> None:
    """Every argument has a help text, and a metavar of plain capitals (a wide 万元 shifts
    the help column), a word but for N, the usual count (a lone Y says nothing)."""
    metavar = action.metavar if isinstance(action.metavar, str) else None
    assert (
        bool(action.help and action.help.strip()),
        metavar is None or re.fullmatch(r"[A-Z][A-Z_]+|N", metavar) is not None,
    ) == (True, True)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_positional_argument_has_a_metavar_of_its_own(name: str) -> None:
    """A positional argument, named by its metavar alone, shares it with no option of its
    command (`qfund test [--rules DIR] [DIR]` had two DIRs)."""
    actions = COMMANDS[name]._actions
    positional = {a.metavar for a in actions if not a.option_strings and a.metavar}
    shared = {a.metavar for a in actions if a.option_strings and a.metavar in positional}
    assert set() == shared


@pytest.mark.parametrize("action", arguments(lambda a: isinstance(a.default, str)))
def test_every_default_is_shown_as_in_force(action: argparse.Action) -> None:
    """An option with a default says it as the other options do, `(default: X)`, from the
    default it takes."""
    assert f"(default: {action.default})" in _expanded(action)


@pytest.mark.parametrize("action", arguments(lambda a: a.metavar == "DATE"))
def test_every_date_says_its_form(action: argparse.Action) -> None:
    """An argument taking a date says the one form it takes."""
    assert "YYYY-MM-DD" in _expanded(action)


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ("--budget", "in 万元, e.g. 300 or 287.5"),
        ("--format", "output format (default: "),
        ("--rules", "rule-file directory (default: the rules installed with qfund"),
        ("--max-bytes", "refuse a batch file larger than this"),
    ],
)
def test_an_option_is_said_alike_in_every_command(option: str, expected: str) -> None:
    """An option several commands take is explained in the same words by each."""
    helps = {
        name: _expanded(action)
        for name, parser in COMMANDS.items()
        for action in parser._actions
        if option in action.option_strings
    }
    assert (
        len(helps) > 1,
        {name: text for name, text in helps.items() if expected not in text},
    ) == (True, {})


def _expanded(action: argparse.Action) -> str:
    """The help of ``action`` as printed, on one line."""
    text = argparse.HelpFormatter("qfund")._expand_help(action)
    return " ".join(text.split())


def _parsers() -> dict[str, argparse.ArgumentParser]:
    """Every parser of `qfund`, those with sub-commands included, by its command."""
    found: dict[str, argparse.ArgumentParser] = {}

    def walk(name: str, parser: argparse.ArgumentParser) -> None:
        found[name] = parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub_name, sub in action.choices.items():
                    walk(f"{name} {sub_name}".strip(), sub)

    walk("", qfund_rules.cli._parser()[0])
    return found


PARSERS = _parsers()


@pytest.mark.parametrize("name", list(PARSERS))
def test_every_parser_wraps_its_help_by_display_width(name: str) -> None:
    """Every parser and sub-parser formats its help with the one display-width formatter."""
    assert PARSERS[name].formatter_class is DisplayWidthFormatter


@pytest.mark.parametrize("columns", [60, 80, 100, 132])
@pytest.mark.parametrize("name", list(PARSERS))
def test_no_help_line_is_wider_than_the_terminal(
    name: str, columns: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With COLUMNS set, no line of a command's --help takes more display columns (a Chinese
    character two) than argparse wraps to: the terminal's, less the 2 it keeps free."""
    monkeypatch.setenv("COLUMNS", str(columns))
    code, out, err = call(*name.split(), "--help")
    assert (code, err) == (0, "")
    wide = [line for line in out.splitlines() if display_width(line) > columns - 2]
    assert wide == []


@pytest.mark.parametrize("columns", [60, 80, 132])
@pytest.mark.parametrize(
    "name", [name for name, parser in PARSERS.items() if parser.format_help().isascii()]
)
def test_an_ascii_help_is_formatted_as_argparse_formats_it(
    name: str, columns: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command whose help is ASCII only prints it exactly as argparse's own formatter does."""
    monkeypatch.setenv("COLUMNS", str(columns))
    parser = _parsers()[name]
    ours = parser.format_help()
    parser.formatter_class = argparse.HelpFormatter
    assert parser.format_help() == ours


_WORD = st.text(st.sampled_from("abcdefghij-.,"), min_size=1, max_size=30)


@given(words=st.lists(_WORD, min_size=1, max_size=40), width=st.integers(1, 120))
def test_ascii_text_wraps_as_argparse_wraps_it(words: list[str], width: int) -> None:
    """Text without a wide character wraps as argparse wraps it: the argument help, and a
    description line (one written as one line: RawDescription keeps a line that fits)."""
    text = " ".join(words)
    ours, stock = DisplayWidthFormatter("qfund"), argparse.HelpFormatter("qfund")
    assert (ours._split_lines(text, width), ours._fill_text(text, width, "  ")) == (
        stock._split_lines(text, width),
        stock._fill_text(text, width, "  "),
    )


@pytest.mark.parametrize(
    ("text", "width", "lines"),
    [
        ("万元 " * 6, 20, ["万元 万元 万元 万元", "万元 万元"]),
        ("质量提升发展专项资金" * 2, 15, ["质量提升发展专", "项资金质量提升", "发展专项资金"]),
        ("in 万元, e.g. 300", 9, ["in 万元,", "e.g. 300"]),
    ],
    ids=["words", "a word longer than a line", "mixed"],
)
def test_chinese_text_fills_each_line_by_its_columns(
    text: str, width: int, lines: list[str]
) -> None:
    """A wide character takes two of a line's columns: each line holds as much as fits in
    them, a word longer than a line broken where its columns run out."""
    assert DisplayWidthFormatter("qfund")._split_lines(text, width) == lines


def test_a_description_keeps_its_lines_and_wraps_one_too_wide() -> None:
    """A description or epilog keeps its line breaks (RawDescription); a line wider than
    the terminal is wrapped by display width, its indentation kept."""
    text = "第一行 fits\n  二 " + "万元 " * 6 + "\nlast"
    assert DisplayWidthFormatter("qfund")._fill_text(text, 20, "") == (
        "第一行 fits\n  二 万元 万元 万元\n  万元 万元 万元\nlast"
    )
