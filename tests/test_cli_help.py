"""The ``--help`` of every ``qfund`` command, read as a new user reads it: every argument
explained, defaults said as they are in force, the same option said the same way."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

import qfund_rules.cli
import qfund_rules.rules
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
