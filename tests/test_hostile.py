"""Hostile input: claims batches and rule files from untrusted hands (issue 6).

Each hostile class (alias bombs, python tags, deep nesting, a file of tens of MB, binary
junk, bytes that are not UTF-8, an empty file, a list where a mapping belongs, and a few
cousins found on the way) is refused

* by the library API, with the project's own error (``BatchError``, ``RuleFileError``)
  whose every problem names the file on one line;
* by ``qfund evaluate`` (exit 2) and ``qfund validate DIR`` (exit 1 for invalid rules, 2
  when nothing in them could be read), in process and in a real subprocess whose address
  space is capped: one line naming the file and the reason, the count of problems, no
  traceback, nothing on stdout.

Every refusal must come within seconds: the clock here is a generous guard against a
hang or a blow-up, not a benchmark.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import qfund_rules as q
from qfund_rules.cli import run
from qfund_rules.rules import RULE_FILES

from .conftest import RULES_DIR

#: Generous: a refusal takes well under a second; a blow-up takes minutes or never ends.
SECONDS = 20.0
#: The address-space cap of the subprocess runs: 1.5 GB, far above what a refusal needs.
MEMORY_CAP = 1_536 * 1024 * 1024

VALID_HEAD = (
    b"round: 2027\nsubmitted_on: 2027-03-20\n"
    b'applicants:\n  - {id: A1, name: x, org_type: enterprise, region: "650502"}\n'
)


def _billion_laughs(tmp: Path) -> bytes:
    # Nine levels of nine aliases each: 9**9 (387 million) values once expanded.
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    return VALID_HEAD + ("\n".join(lines) + "\nclaims: *a9\n").encode()


def _many_aliases(tmp: Path) -> bytes:
    return VALID_HEAD + b"x: &x 1\nclaims: [" + b", ".join([b"*x"] * 5_000) + b"]\n"


def _alias_chain(levels: int, open_: str, close: str, base: str, count: int = 40) -> list[str]:
    # Each anchor nests `levels` deep around the one before: the text stays shallow, the
    # document it stands for is levels * count deep.
    chain = [f"&a0 {base}"]
    chain += [f"&a{i} {open_ * levels}*a{i - 1}{close * levels}" for i in range(1, count)]
    return chain


def _deep_through_aliases(tmp: Path) -> bytes:
    chain = _alias_chain(50, "[", "]", "[1]")
    defs = "".join(f"  x{i}: {c}\n" for i, c in enumerate(chain))
    return b"defs:\n" + defs.encode() + VALID_HEAD + f"claims: [*a{len(chain) - 1}]\n".encode()


def _deep_condition_through_aliases(tmp: Path) -> bytes:
    # The same in a rule file, where conditions are walked recursively.
    chain = _alias_chain(25, "{not: {not: ", "}}", "{fact: stage, eq: approved}")
    awards = (RULES_DIR / "awards.yaml").read_text(encoding="utf-8")
    first = "when: {fact: stage, eq: approved}"
    assert first in awards
    return awards.replace(first, "when: {all: [" + ", ".join(chain) + "]}", 1).encode()


def _python_tag(tmp: Path) -> bytes:
    marker = tmp / "pwned"
    return VALID_HEAD + f'claims: !!python/object/apply:os.system ["touch {marker}"]\n'.encode()


def _deep_nesting(tmp: Path) -> bytes:
    return b"[" * 100_000 + b"]" * 100_000


def _huge_file(tmp: Path) -> bytes:
    claim = b"  - {id: C1, applicant: A1, kind: leading_enterprise, achieved_on: 2026-11-02}\n"
    return VALID_HEAD + b"claims:\n" + claim * (30 * 1024 * 1024 // len(claim))


def _binary_junk(tmp: Path) -> bytes:
    return hashlib.shake_256(b"junk").digest(64 * 1024)


def _control_characters(tmp: Path) -> bytes:
    # Valid UTF-8, but YAML forbids C0 control characters in a document.
    return VALID_HEAD.replace(b"2027\n", b"2027\x07\n", 1) + b"claims: []\n"


def _gbk_text(tmp: Path) -> bytes:
    return (VALID_HEAD.decode() + "claims: []\n# 哈密市质量提升\n").encode("gbk")


def _empty(tmp: Path) -> bytes:
    return b""


def _blank(tmp: Path) -> bytes:
    return b" \n\t\n\n"


def _list_not_mapping(tmp: Path) -> bytes:
    return b"- round: 2027\n- claims: []\n"


@dataclass(frozen=True)
class Hostile:
    """One hostile document, as a batch and as the rules' awards.yaml."""

    name: str
    batch: Callable[[Path], bytes]
    awards: Callable[[Path], bytes] | None = None  # None: the same bytes as the batch
    validate_exit: int = 1  # 2 when nothing in the file could be read (no line known)

    def write_batch(self, tmp: Path) -> Path:
        """The batch file."""
        path = tmp / f"{self.name}.yaml"
        path.write_bytes(self.batch(tmp))
        return path

    def write_rules(self, tmp: Path) -> Path:
        """A rule directory whose awards.yaml is hostile (the other files as shipped)."""
        directory = tmp / "rules"
        directory.mkdir()
        for name in RULE_FILES:
            shutil.copyfile(RULES_DIR / name, directory / name)
        (directory / "awards.yaml").write_bytes((self.awards or self.batch)(tmp))
        return directory


CASES = [
    Hostile("alias_bomb", _billion_laughs),
    Hostile("many_aliases", _many_aliases),
    Hostile("deep_through_aliases", _deep_through_aliases, _deep_condition_through_aliases),
    Hostile("python_tag", _python_tag),
    Hostile("deep_nesting", _deep_nesting),
    Hostile("huge_file", _huge_file, validate_exit=2),
    Hostile("binary_junk", _binary_junk),
    Hostile("control_characters", _control_characters),
    Hostile("not_utf8", _gbk_text),
    Hostile("empty", _empty),
    Hostile("blank", _blank),
    Hostile("list_not_mapping", _list_not_mapping),
]
IDS = [c.name for c in CASES]


def assert_one_located_line(problems: tuple[q.Problem, ...], file: Path) -> None:
    """One problem, naming ``file``, rendered on one line."""
    assert len(problems) == 1, problems
    assert problems[0].file == str(file)
    assert "\n" not in str(problems[0]), str(problems[0])


def assert_refused(stdout: str, stderr: str, file: Path, *, batch: bool = True) -> None:
    """Nothing on stdout; on stderr a one-line reason naming ``file``, then the count.

    A batch over the size cap also gets the note naming ``--max-bytes``; a bomb, none;
    a rule file, none (``qfund validate`` has no such option).
    """
    assert stdout == ""
    assert "Traceback" not in stderr
    reason, *note, summary = stderr.splitlines()
    oversized = batch and "bytes; the limit is" in reason
    assert note == (
        ["qfund: note: --max-bytes raises that limit, for a batch you trust (docs/limits.md)"]
        if oversized
        else []
    ), note
    assert reason.startswith(f"{file}:"), reason
    assert summary.startswith("qfund: "), summary


# --- the library API ----------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_load_batch_refuses(case: Hostile, tmp_path: Path) -> None:
    """load_batch raises BatchError with one located one-line problem, within seconds."""
    path = case.write_batch(tmp_path)
    start = time.monotonic()
    with pytest.raises(q.BatchError) as caught:
        q.load_batch(path, industry_codes=frozenset({"NB"}))
    assert time.monotonic() - start < SECONDS
    assert_one_located_line(caught.value.problems, path)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_load_rules_refuses(case: Hostile, tmp_path: Path) -> None:
    """load_rules raises RuleFileError with one located one-line problem, within seconds."""
    directory = case.write_rules(tmp_path)
    start = time.monotonic()
    with pytest.raises(q.RuleFileError) as caught:
        q.load_rules(directory)
    assert time.monotonic() - start < SECONDS
    assert_one_located_line(caught.value.problems, directory / "awards.yaml")


def test_python_tag_runs_nothing(tmp_path: Path) -> None:
    """A !!python/object/apply tag is refused before anything could run it."""
    path = Hostile("python_tag", _python_tag).write_batch(tmp_path)
    with pytest.raises(q.BatchError):
        q.load_batch(path, industry_codes=frozenset())
    assert not (tmp_path / "pwned").exists()


# --- the CLI, in process ------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_qfund_evaluate_refuses(case: Hostile, tmp_path: Path) -> None:
    """`qfund evaluate` exits 2 with a one-line reason naming the file, within seconds."""
    path = case.write_batch(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    start = time.monotonic()
    code = run(["evaluate", str(path)], out, err)
    assert time.monotonic() - start < SECONDS
    assert code == 2
    assert_refused(out.getvalue(), err.getvalue(), path)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_qfund_validate_refuses(case: Hostile, tmp_path: Path) -> None:
    """`qfund validate DIR` exits 1 (2 when nothing could be read) with a one-line reason
    naming the file, within seconds."""
    directory = case.write_rules(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    start = time.monotonic()
    code = run(["validate", str(directory)], out, err)
    assert time.monotonic() - start < SECONDS
    assert code == case.validate_exit
    assert_refused(out.getvalue(), err.getvalue(), directory / "awards.yaml", batch=False)


# --- the CLI, in a subprocess with its memory capped --------------------------------------

# Caps the address space, then runs `qfund` with the remaining arguments.
_CAPPED = """\
import resource, sys
cap = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
sys.argv = ["qfund", *sys.argv[2:]]
from qfund_rules.cli import main
main()
"""
# The same for a library call: exit 2 on the expected error, as the CLI would.
_CAPPED_API = """\
import resource, sys
cap = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
import qfund_rules as q
try:
    if sys.argv[2] == "batch":
        q.load_batch(sys.argv[3], industry_codes=frozenset())
    else:
        q.load_rules(sys.argv[3])
except (q.BatchError, q.RuleFileError) as exc:
    print(exc, file=sys.stderr)
    raise SystemExit(2) from None
"""

needs_rlimit = pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_AS is POSIX")


def run_capped(script: str, *argv: str) -> tuple[int, str, str, float]:
    """Run ``script`` in a fresh interpreter with the address space capped."""
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", script, str(MEMORY_CAP), *argv],
        capture_output=True,
        timeout=120,
        check=False,
    )
    elapsed = time.monotonic() - start
    return done.returncode, done.stdout.decode(), done.stderr.decode(errors="replace"), elapsed


@needs_rlimit
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_qfund_evaluate_refuses_in_bounded_memory(case: Hostile, tmp_path: Path) -> None:
    """A real `qfund evaluate` process capped at 1.5 GB exits 2 (not killed, no
    MemoryError) with a one-line reason naming the file, within seconds."""
    path = case.write_batch(tmp_path)
    code, out, err, elapsed = run_capped(_CAPPED, "evaluate", str(path))
    assert (code, elapsed < SECONDS) == (2, True), err[-2000:]
    assert_refused(out, err, path)


@needs_rlimit
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_qfund_validate_refuses_in_bounded_memory(case: Hostile, tmp_path: Path) -> None:
    """A real `qfund validate DIR` process capped at 1.5 GB exits 1 (2 when nothing could
    be read) with a one-line reason naming the file, within seconds."""
    directory = case.write_rules(tmp_path)
    code, out, err, elapsed = run_capped(_CAPPED, "validate", str(directory))
    assert (code, elapsed < SECONDS) == (case.validate_exit, True), err[-2000:]
    assert_refused(out, err, directory / "awards.yaml", batch=False)


# --- a file that never ends ---------------------------------------------------------------
# /dev/zero says it is 0 bytes long and never ends: a size check by stat() passes it, and
# reading it whole exhausts memory. Only ever run capped, in a subprocess.

needs_dev_zero = pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")


@needs_rlimit
@needs_dev_zero
def test_endless_batch_is_refused_by_qfund_evaluate() -> None:
    """`qfund evaluate /dev/zero` exits 2 naming it, in bounded memory and time."""
    code, out, err, elapsed = run_capped(_CAPPED, "evaluate", "/dev/zero")
    assert (code, elapsed < SECONDS) == (2, True), err[-2000:]
    assert_refused(out, err, Path("/dev/zero"))


@needs_rlimit
@needs_dev_zero
def test_endless_batch_is_refused_by_load_batch() -> None:
    """load_batch("/dev/zero") raises BatchError, in bounded memory and time."""
    code, _, err, elapsed = run_capped(_CAPPED_API, "batch", "/dev/zero")
    assert (code, elapsed < SECONDS) == (2, True), err[-2000:]
    assert err.startswith("/dev/zero: "), err[-2000:]


@needs_rlimit
@needs_dev_zero
def test_endless_rule_file_is_refused_by_load_rules(tmp_path: Path) -> None:
    """load_rules on a directory whose awards.yaml is /dev/zero raises RuleFileError, in
    bounded memory and time."""
    directory = tmp_path / "rules"
    directory.mkdir()
    for name in RULE_FILES:
        shutil.copyfile(RULES_DIR / name, directory / name)
    (directory / "awards.yaml").unlink()
    (directory / "awards.yaml").symlink_to("/dev/zero")
    code, _, err, elapsed = run_capped(_CAPPED_API, "rules", str(directory))
    assert (code, elapsed < SECONDS) == (2, True), err[-2000:]
    assert err.startswith(f"{directory / 'awards.yaml'}: "), err[-2000:]


# --- values the batch check must bound ----------------------------------------------------
# Each of these once passed the batch check: a round past a 64-bit integer crashed `qfund
# round` with an OverflowError when the ledger was read, and a credit listing ending before
# it started cleared a listed applicant. Both are now one located problem.

_CLAIM = (
    b"claims:\n  - {id: C1, applicant: A1, kind: leading_enterprise, achieved_on: 2026-11-02}\n"
)
OUT_OF_RANGE = {
    "round_past_int64": (
        VALID_HEAD.replace(b"round: 2027", b"round: 9223372036854775808", 1) + _CLAIM,
        ":1:1: round: must be an application year (申报年度) from 1 to 9999, "
        "got 9223372036854775808",
    ),
    "listing_ends_before_it_starts": (
        VALID_HEAD.replace(
            b'region: "650502"}',
            b'region: "650502",\n     credit_listings: [{list: dishonest, from: 2026-11-15, '
            b"until: 2026-01-01}]}",
            1,
        )
        + _CLAIM,
        ":5:60: applicants[0].credit_listings[0].until: until 2026-01-01 is before from "
        "2026-11-15: a listing cannot end before it starts",
    ),
}


def _write_out_of_range(tmp: Path, name: str) -> tuple[Path, str]:
    """The batch file of ``OUT_OF_RANGE[name]`` and the located problem it must yield."""
    source, problem = OUT_OF_RANGE[name]
    path = tmp / f"{name}.yaml"
    path.write_bytes(source)
    return path, f"{path}{problem}"


@pytest.mark.parametrize("name", sorted(OUT_OF_RANGE))
def test_qfund_evaluate_refuses_a_value_out_of_range(name: str, tmp_path: Path) -> None:
    """`qfund evaluate` exits 2 with the one located problem, and decides nothing."""
    path, expected = _write_out_of_range(tmp_path, name)
    out, err = io.StringIO(), io.StringIO()
    code = run(["evaluate", str(path)], out, err)
    assert code == 2
    assert_refused(out.getvalue(), err.getvalue(), path)
    assert expected == err.getvalue().splitlines()[0]


@pytest.mark.parametrize("name", sorted(OUT_OF_RANGE))
def test_qfund_round_refuses_a_value_out_of_range(name: str, tmp_path: Path) -> None:
    """`qfund round --commit` exits 2 with the located problem, no traceback, and leaves
    the ledger as it was."""
    good = tmp_path / "good.yaml"
    good.write_bytes(VALID_HEAD + _CLAIM)
    ledger = tmp_path / "fund.db"
    common = [
        *("--ledger", str(ledger), "--budget", "300"),
        *("--publicity-start", "2027-06-01", "--commit"),
    ]
    assert run(["round", str(good), *common], io.StringIO(), io.StringIO()) == 0
    before = ledger.read_bytes()
    path, expected = _write_out_of_range(tmp_path, name)
    out, err = io.StringIO(), io.StringIO()
    code = run(["round", str(path), *common], out, err)
    assert code == 2
    assert_refused(out.getvalue(), err.getvalue(), path)
    assert expected == err.getvalue().splitlines()[0]
    assert before == ledger.read_bytes()
