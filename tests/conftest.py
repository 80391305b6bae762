"""Shared test configuration: hypothesis profiles and the paths of the shipped files."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

import qfund_rules as q
from qfund_rules.ledger import MemoryLedger
from qfund_rules.rules import RULE_FILES

ROOT = Path(__file__).resolve().parents[1]
RULES_DIR = ROOT / "rules"
EXAMPLES_DIR = ROOT / "examples"
#: A line-stable snapshot of the rule files that the fault fixtures edit.
VALID_RULES_DIR = Path(__file__).parent / "fixtures" / "rules" / "valid"

# A small default profile keeps the suite quick and explores new examples on every run;
# CI (.ci/run sets HYPOTHESIS_PROFILE=ci) runs many more, derandomized so that a
# submission's verdict does not depend on the luck of the draw.
settings.register_profile("default", max_examples=40, deadline=None)
settings.register_profile(
    "ci",
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def rules() -> q.RuleSet:
    """The shipped rule set, loaded once (it is immutable)."""
    return q.load_rules(RULES_DIR)


@pytest.fixture
def ledger() -> Iterator[MemoryLedger]:
    """An empty ledger in memory, closed after the test: Python 3.13 warns of an unclosed one."""
    with MemoryLedger() as fresh:
        yield fresh


def last_submitted(batch: q.Batch) -> dt.date:
    """The day the last claim of ``batch`` was submitted: the first publicity start it
    allows, for a round committed under publicity.commit.requires_start (第二十条第(三)项)."""
    days = (c.submitted_on or batch.submitted_on for c in batch.claims)
    return max(days, default=batch.submitted_on)


def patched_rules(tmp_path: Path, fixture: dict[str, Any]) -> Path:
    """A copy of the valid snapshot in ``tmp_path`` with the fixture's one edit applied:
    the first ``find`` in ``file`` replaced by ``replace``."""
    for name in RULE_FILES:
        shutil.copy(VALID_RULES_DIR / name, tmp_path / name)
    target = tmp_path / fixture["file"]
    text = target.read_text(encoding="utf-8")
    assert fixture["find"] in text, "the fixture's text must occur in the valid snapshot"
    target.write_text(text.replace(fixture["find"], fixture["replace"], 1), encoding="utf-8")
    return tmp_path
