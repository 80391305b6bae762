"""Structure-aware fuzzing of the batch and rule loaders (issue 6, hostile input).

Valid documents (a drawn batch; the shipped rule files) are mutated where they are
structured (delete a key or an entry, replace a value by a random scalar, list or
mapping of the wrong type, rename a key, insert one) and then where they are text
(truncate, inject tabs, control characters or random unicode, duplicate or drop a line,
insert bytes that are not UTF-8). Whatever comes out, only the project's own errors may
escape, and every problem must say where (the file) and what (a message) on one line.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import io
import json
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

import qfund_rules as q
from qfund_rules.cli import run
from qfund_rules.errors import Problem
from qfund_rules.rules import RULE_FILES

from ..conftest import ROOT
from .strategies import SHIPPED, batch_data, dump_yaml, shipped_documents

VALID_BATCH = ROOT / "tests" / "fixtures" / "batches" / "valid.yaml"
BATCH_NAME = "fuzzed-batch.yaml"

Path_t = tuple[str | int, ...]

# --- mutations ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Edit:
    """A structural mutation at ``path``: delete, replace, rename (to ``value``) or insert."""

    op: str
    path: Path_t
    value: Any = None


@dataclass(frozen=True)
class TextEdit:
    """A mutation of the document's bytes at offset ``at`` (taken modulo the length)."""

    op: str  # truncate | inject | bytes | dup_line | drop_line
    at: int
    text: str = ""


def paths(node: object, prefix: Path_t = ()) -> Iterator[Path_t]:
    """Every path below ``node``, parents before children."""
    if isinstance(node, dict):
        for key, child in node.items():
            yield (*prefix, key)
            yield from paths(child, (*prefix, key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield (*prefix, i)
            yield from paths(child, (*prefix, i))


def apply_edit(doc: Any, edit: Edit) -> Any:
    """``doc`` with ``edit`` applied (in place when possible; the root may be replaced)."""
    if not edit.path:
        return copy.deepcopy(edit.value) if edit.op == "replace" else doc
    parent = doc
    for part in edit.path[:-1]:
        parent = parent[part]
    last = edit.path[-1]
    if edit.op == "delete":
        del parent[last]
    elif edit.op == "replace":
        parent[last] = copy.deepcopy(edit.value)
    elif edit.op == "rename" and isinstance(parent, dict):
        parent[str(edit.value)] = parent.pop(last)
    elif edit.op == "insert":
        target = parent[last]
        value = copy.deepcopy(edit.value)
        if isinstance(target, dict):
            target[f"x-{len(target)}"] = value
        elif isinstance(target, list):
            target.insert(0, value)
        else:
            parent[last] = [target, value]
    return doc


def apply_text_edit(raw: bytes, edit: TextEdit) -> bytes:
    """``raw`` with one byte-level edit applied."""
    if edit.op in ("dup_line", "drop_line"):
        lines = raw.split(b"\n")
        i = edit.at % len(lines)
        lines[i:i + 1] = [lines[i], lines[i]] if edit.op == "dup_line" else []  # fmt: skip
        return b"\n".join(lines)
    at = edit.at % (len(raw) + 1)
    if edit.op == "truncate":
        return raw[:at]
    # "bytes" inserts its text as raw bytes (latin-1): 0x80..0xFF alone are not UTF-8.
    inserted = edit.text.encode("latin-1") if edit.op == "bytes" else edit.text.encode()
    return raw[:at] + inserted + raw[at:]


def render(base: Any, edits: Sequence[Edit], text_edits: Sequence[TextEdit]) -> bytes:
    """The mutated document's bytes."""
    doc = copy.deepcopy(base)
    for edit in edits:
        doc = apply_edit(doc, edit)
    raw = dump_yaml(doc).encode()
    for text_edit in text_edits:
        raw = apply_text_edit(raw, text_edit)
    return raw


_ODD_SCALARS = (
    "", " ", "650502", "6505O2", "2026-02-30", "2026-13-01", "GB/T", "GB/T 45678", "Q/ 1-2026",
    "T/ 1-2026", "DB/T 12", "null", "~", "yes", "no", "on", ".inf", ".nan", "0x1F", "1e3",
    "!!python/object", "*alias", "&anchor", "{", "[", "- ", "# c", "'", '"', "\t", "\x00",
    "哈密", "ＧＢ／Ｔ　４５６７８—２０２６", "achieved_on", "submitted_on", "role", "level",
)  # fmt: skip
# Values at the edge of each type, and of the next type over (a datetime where a date is).
_INT_EDGES = (0, -1, 1, 2**31, 2**63, 999_999_999, 10**20, -(10**20), 10**4299)
_DECIMAL_EDGES = tuple(
    Decimal(text)
    for text in ("1.0E+999999999", "1E+99", "-1.5", "0.001", "1E-999999999", "999999999999.99")
)
_DATE_EDGES = (dt.date.min, dt.date.max, dt.date(1970, 1, 1), dt.date(2029, 3, 14),
               dt.datetime(2026, 6, 1, 10, 0), dt.datetime(9999, 12, 31, 23, 59))  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.dates(),
    st.datetimes(),
    st.text(max_size=12),
    st.sampled_from(_ODD_SCALARS + _INT_EDGES + _DECIMAL_EDGES + _DATE_EDGES),
)
VALUES = st.recursive(
    SCALARS,
    lambda kids: (
        st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=8), kids, max_size=3)
    ),
    max_leaves=5,
)
_KEY_SLIPS = ("id", "kind", "Kind", "kinds", "from", "wan", "when", "fact", "eq", "<<", "items")
_KEYS = st.text(max_size=10) | st.sampled_from(_KEY_SLIPS)


def edge_values(current: object) -> st.SearchStrategy[object]:
    """Values at the edge of ``current``'s type: huge, negative, far, or the type next door."""
    if isinstance(current, bool):
        return st.sampled_from((not current, None, "true", 1))
    if isinstance(current, int):
        return st.sampled_from(_INT_EDGES) | st.integers()
    if isinstance(current, Decimal | float):
        return st.sampled_from(_DECIMAL_EDGES) | st.decimals(allow_nan=False)
    if isinstance(current, dt.date):
        return st.sampled_from(_DATE_EDGES) | st.dates() | st.datetimes()
    if isinstance(current, str):
        return st.sampled_from(_ODD_SCALARS) | st.text(max_size=12)
    return VALUES


# Conditions of the rule language (docs/rule-files.md), over every fact any kind has.
_FACT_NAMES = ("stage", "recognition", "level", "award", "tier", "first_time", "event", "body",
               "action", "role", "standard_no", "lead_proof", "achieved_on", "submitted_on",
               "nonsense")  # fmt: skip
_CONDITION_OPS = ("eq", "ne", "in", "not_in", "lt", "le", "gt", "ge", "between")
_CONDITION_VALUES = st.sampled_from((*_DATE_EDGES, "approved", "national", "lead", True, 3))
_CONDITION_VALUES |= st.dates()
CONDITIONS = st.recursive(
    st.builds(
        lambda fact, op, values: {"fact": fact, op: values if op in ("in", "not_in", "between")
                                  else values[0]},
        st.sampled_from(_FACT_NAMES),
        st.sampled_from(_CONDITION_OPS),
        st.lists(_CONDITION_VALUES, min_size=1, max_size=2),
    ),
    lambda kids: st.builds(lambda k: {"not": k}, kids)
    | st.builds(lambda ks: {"all": ks}, st.lists(kids, min_size=1, max_size=2))
    | st.builds(lambda ks: {"any": ks}, st.lists(kids, min_size=1, max_size=2)),
    max_leaves=3,
)  # fmt: skip
_INJECTED = st.sampled_from(
    ("\t", "\t\t", "  ", "\r", "\x07", "\x1b", "\ufeff", "\u2028", "\u0085", ": ", "- ", "&a ",
     "*a", "!!python/object/apply:os.system ", "{", "]", "#", "'", '"', "---\n", "...\n",
     "%YAML 1.1\n", "? ", "<<: ")
) | st.text(min_size=1, max_size=5)  # fmt: skip
_RAW_BYTES = st.sampled_from(("\xff", "\xfe\xff", "\xc3", "\xe5\x93", "\x80"))

_OFFSETS = st.integers(0, 10**6)
TEXT_EDITS = st.lists(
    st.one_of(
        st.builds(TextEdit, st.sampled_from(("truncate", "dup_line", "drop_line")), _OFFSETS),
        st.builds(TextEdit, st.just("inject"), _OFFSETS, _INJECTED),
        st.builds(TextEdit, st.just("bytes"), _OFFSETS, _RAW_BYTES),
    ),
    max_size=2,
)


def value_at(doc: Any, path: Path_t) -> Any:
    """The value ``path`` leads to."""
    for part in path:
        doc = doc[part]
    return doc


@st.composite
def edits_of(draw: st.DrawFn, base: Any, min_size: int) -> tuple[Edit, ...]:
    """Structural edits of ``base``, each on a path of the document as the ones before left
    it: delete, replace by any value, replace by an edge value of the same type, rename a
    key, insert an entry, or (in rule files) replace a condition by another one."""
    doc = copy.deepcopy(base)
    out: list[Edit] = []
    for _ in range(draw(st.integers(min_size, 3))):
        where = list(paths(doc))
        if not where:
            break
        path = where[draw(st.integers(0, len(where) - 1))]
        conditions = [p for p in where if p[-1] == "when"]
        ops = ("delete", "replace", "edge", "edge", "rename", "insert", "condition")
        op = draw(st.sampled_from(ops if conditions else ops[:-1]))
        value: Any = None
        if op == "condition":
            op, path = "replace", conditions[draw(st.integers(0, len(conditions) - 1))]
            value = draw(CONDITIONS)
        elif op == "edge":
            op, value = "replace", draw(edge_values(value_at(doc, path)))
        elif op == "rename":
            value = draw(_KEYS)
        elif op != "delete":
            value = draw(VALUES)
        edit = Edit(op, path, value)
        doc = apply_edit(doc, edit)
        out.append(edit)
    return tuple(out)


# --- batches ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchFuzz:
    """A valid batch (as data) and the edits that mutate it."""

    base: dict[str, Any]
    edits: tuple[Edit, ...]
    text_edits: tuple[TextEdit, ...]

    def raw(self) -> bytes:
        """The mutated batch file's bytes."""
        return render(self.base, self.edits, self.text_edits)


@st.composite
def fuzzed_batches(draw: st.DrawFn) -> BatchFuzz:
    """A drawn valid batch, mutated where it is structured and where it is text."""
    base = draw(batch_data(max_claims=3))
    text_edits = tuple(draw(TEXT_EDITS))
    return BatchFuzz(base, draw(edits_of(base, 0 if text_edits else 1)), text_edits)


SMALL_BATCH: dict[str, Any] = {
    "round": 2027,
    "submitted_on": dt.date(2027, 3, 20),
    "applicants": [{"id": "A1", "name": "哈密某公司", "org_type": "enterprise",
                    "region": "650502"}],
    "claims": [{"id": "C1", "applicant": "A1", "kind": "leading_enterprise",
                "achieved_on": dt.date(2026, 11, 2)}],
}  # fmt: skip
# A control character in otherwise valid text: PyYAML's reader error spans two lines.
CONTROL_CHARACTER = BatchFuzz(SMALL_BATCH, (), (TextEdit("inject", 7, "\x07"),))


def load_fuzzed_batch(case: BatchFuzz) -> q.Batch:
    """Load the mutated batch with the shipped rules' industry codes."""
    return q.load_batch(case.raw(), industry_codes=SHIPPED.industry_codes, name=BATCH_NAME)


def batch_problems(case: BatchFuzz) -> tuple[Problem, ...] | None:
    """The problems a refused batch reports, or ``None`` when it loads."""
    try:
        load_fuzzed_batch(case)
    except q.BatchError as exc:
        return exc.problems
    return None


@given(fuzzed_batches())
def test_batch_loader_raises_only_batch_error(case: BatchFuzz) -> None:
    """Loading a mutated batch either succeeds or raises BatchError; nothing else escapes."""
    with contextlib.suppress(q.BatchError):
        load_fuzzed_batch(case)


@given(fuzzed_batches())
def test_batch_problems_name_the_file_and_say_what(case: BatchFuzz) -> None:
    """A refused batch reports at least one problem, each with its file and a message."""
    problems = batch_problems(case)
    assert problems != ()
    for p in problems or ():
        assert p.file == BATCH_NAME
        assert p.message.strip(), p


@example(CONTROL_CHARACTER)
@given(fuzzed_batches())
def test_batch_problems_fit_on_one_line(case: BatchFuzz) -> None:
    """Each problem of a refused batch renders as one line (FILE:LINE: path: message)."""
    for p in batch_problems(case) or ():
        assert "\n" not in str(p), str(p)


@given(fuzzed_batches())
def test_a_mutated_batch_that_loads_evaluates(case: BatchFuzz) -> None:
    """A mutated batch that loads is decided under the shipped rules without an error."""
    try:
        batch = load_fuzzed_batch(case)
    except q.BatchError:
        return  # refused: the other tests look at that
    json.loads(q.evaluate(SHIPPED, batch).to_json())


# --- rule files ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleFuzz:
    """The shipped rule files with one of them mutated."""

    file: str
    edits: tuple[Edit, ...]
    text_edits: tuple[TextEdit, ...] = ()

    def write(self, directory: Path) -> Path:
        """Write the three files (the mutated one and the other two as shipped)."""
        for name in RULE_FILES:
            raw = (ROOT / "rules" / name).read_bytes()
            if name == self.file:
                raw = render(shipped_documents()[name], self.edits, self.text_edits)
            (directory / name).write_bytes(raw)
        return directory


@st.composite
def fuzzed_rules(draw: st.DrawFn) -> RuleFuzz:
    """One shipped rule file, mutated where it is structured and where it is text."""
    name = draw(st.sampled_from(RULE_FILES))
    text_edits = tuple(draw(TEXT_EDITS))
    edits = draw(edits_of(shipped_documents()[name], 0 if text_edits else 1))
    return RuleFuzz(name, edits, text_edits)


# Found by hand while writing these tests; each escaped as a non-qfund error.
DAYS_OVERFLOW = RuleFuzz("exclusions.yaml", (Edit("replace", ("validity", "starts_after_days"),
                                                  999_999_999),))  # fmt: skip
YEARS_OVERFLOW = RuleFuzz("exclusions.yaml", (Edit("replace", ("validity", "years"), 100_000),))
WAN_OVERFLOW = RuleFuzz("awards.yaml", (Edit("replace", ("items", 0, "amounts", 0, "wan"),
                                             Decimal("1.0E+999999999")),))  # fmt: skip
_MORNING = dt.datetime(2026, 6, 1, 10, 0)
DATETIME_BETWEEN = RuleFuzz("awards.yaml", (Edit("replace", ("items", 0, "when"), {
    "fact": "achieved_on", "between": [dt.date(2026, 1, 1), _MORNING]}),))  # fmt: skip
DATETIME_BEFORE = RuleFuzz("awards.yaml", (Edit("replace", ("items", 0, "when"), {
    "fact": "achieved_on", "lt": _MORNING}),))  # fmt: skip


@contextlib.contextmanager
def rules_dir(case: RuleFuzz) -> Iterator[Path]:
    """A temporary directory holding the case's rule files."""
    with tempfile.TemporaryDirectory(prefix="qfund-fuzz-") as tmp:
        yield case.write(Path(tmp))


def rule_problems(case: RuleFuzz) -> tuple[tuple[Problem, ...] | None, Path]:
    """The problems refused rule files report (``None`` when they load), and their directory."""
    with rules_dir(case) as directory:
        try:
            q.load_rules(directory)
        except q.RuleFileError as exc:
            return exc.problems, directory
    return None, directory


@example(DAYS_OVERFLOW)
@example(YEARS_OVERFLOW)
@example(WAN_OVERFLOW)
@example(DATETIME_BETWEEN)
@given(fuzzed_rules())
def test_rule_loader_raises_only_rule_file_error(case: RuleFuzz) -> None:
    """Loading mutated rule files either succeeds or raises RuleFileError; nothing else."""
    with rules_dir(case) as directory, contextlib.suppress(q.RuleFileError):
        q.load_rules(directory)


@given(fuzzed_rules())
def test_rule_problems_name_the_file_and_say_what(case: RuleFuzz) -> None:
    """Refused rule files report at least one problem, each naming one of the rule files
    and carrying a message."""
    problems, directory = rule_problems(case)
    assert problems != ()
    for p in problems or ():
        assert p.file in {str(directory / name) for name in RULE_FILES}, p
        assert p.message.strip(), p


@example(RuleFuzz("awards.yaml", (), (TextEdit("inject", 0, "\x1f"),)))
@given(fuzzed_rules())
def test_rule_problems_fit_on_one_line(case: RuleFuzz) -> None:
    """Each problem of refused rule files renders as one line (FILE:LINE: path: message)."""
    problems, _ = rule_problems(case)
    for p in problems or ():
        assert "\n" not in str(p), str(p)


@example(DATETIME_BEFORE)
@example(YEARS_OVERFLOW)
@given(fuzzed_rules())
def test_mutated_rules_that_load_serve_the_cli(case: RuleFuzz) -> None:
    """Rule files that load can be validated and used to evaluate a batch through the CLI:
    `qfund validate` and `qfund evaluate` return an exit code, never raise."""
    with rules_dir(case) as directory:
        try:
            q.load_rules(directory)
        except q.RuleFileError:
            return  # refused: the other tests look at that
        out, err = io.StringIO(), io.StringIO()
        assert run(["validate", str(directory)], out, err) in (0, 1, 2)
        code = run(["evaluate", str(VALID_BATCH), "--rules", str(directory)], out, err)
        assert code in (0, 2), err.getvalue()
