"""Every code example in README.md and docs/*.md runs as written.

```python blocks are executed from the top of the repository, each in a fresh namespace.
In ```sh blocks, every line starting with `qfund ` is run through ``qfund_rules.cli.run``
and must exit 0, unless the line ends with a comment like `# exit 1`. The lines of one
block run in order, in a scratch directory that mirrors the top of the repository (its
entries linked), so examples that write files (`--out report.html`, `--ledger fund.db`)
leave the checkout untouched.
"""

from __future__ import annotations

import io
import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

from qfund_rules.cli import run

from .conftest import ROOT

_FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
_EXIT = re.compile(r"\s+#\s*exit\s+(\d+)\s*$")
_COMMENT = re.compile(r"\s+#.*$")
_SHELL = frozenset({"|", "||", "&&", ";", ">", ">>", "<", "2>", "&"})


@dataclass(frozen=True)
class Block:
    """One fenced code block of a Markdown file."""

    file: str  # relative to the repository
    line: int  # of the opening fence
    lang: str
    code: str

    @property
    def id(self) -> str:
        """A readable test id: `docs/auditors.md:42:python`."""
        return f"{self.file}:{self.line}:{self.lang}"


def blocks(*langs: str) -> list[Block]:
    """The fenced blocks in README.md and docs/*.md whose language is one of ``langs``."""
    found: list[Block] = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        for m in _FENCE.finditer(text):
            if m.group(1) in langs:
                line = text.count("\n", 0, m.start()) + 1
                found.append(Block(path.relative_to(ROOT).as_posix(), line, m.group(1), m.group(2)))
    return found


def commands(code: str) -> list[tuple[list[str], int]]:
    """The `qfund` lines of a shell block: arguments and expected exit code."""
    out: list[tuple[list[str], int]] = []
    for line in code.replace("\\\n", " ").splitlines():
        if not line.startswith("qfund "):
            continue
        m = _EXIT.search(line)
        expected = int(m.group(1)) if m else 0
        argv = shlex.split(_COMMENT.sub("", line))[1:]
        assert not _SHELL.intersection(argv), f"a shell operator in a qfund example: {line}"
        out.append((argv, expected))
    return out


def scratch(tmp_path: Path) -> Path:
    """A directory that looks like the top of the repository (its entries linked)."""
    for entry in ROOT.iterdir():
        if not entry.name.startswith("."):
            (tmp_path / entry.name).symlink_to(entry, entry.is_dir())
    return tmp_path


PYTHON = blocks("python")
SHELL = [b for b in blocks("sh", "bash", "shell") if commands(b.code)]


def test_the_docs_have_examples() -> None:
    """The collectors find Python and shell examples (a broken fence would hide them)."""
    assert len(PYTHON) >= 5
    assert len(SHELL) >= 3


@pytest.mark.parametrize("block", PYTHON, ids=[b.id for b in PYTHON])
def test_python_example_runs(block: Block, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Python example runs from the top of the repository without an error."""
    monkeypatch.chdir(ROOT)
    code = compile(block.code, f"{block.file}:{block.line}", "exec")
    exec(code, {"__name__": "__docs__"})  # noqa: S102 - the docs' own examples


@pytest.mark.parametrize("block", SHELL, ids=[b.id for b in SHELL])
def test_shell_example_runs(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each `qfund` line of the shell example exits as the example says (0 by default)."""
    monkeypatch.chdir(scratch(tmp_path))
    for argv, expected in commands(block.code):
        out, err = io.StringIO(), io.StringIO()
        code = run(argv, out, err)
        shown = " ".join(argv)
        assert code == expected, f"qfund {shown} exited {code}:\n{err.getvalue()}"


def test_scratch_directory_mirrors_the_repository(tmp_path: Path) -> None:
    """The scratch directory holds the repository's examples and rules, linked."""
    root = scratch(tmp_path)
    assert (root / "examples").samefile(ROOT / "examples")
    assert (root / "rules" / "awards.yaml").is_file()


def test_json_examples_show_what_the_engine_gives() -> None:
    """Each decision a ```json block of the docs shows for the example batch is the engine's
    own, field by field: placeholders (``<64 hex>``, ``...``) stand for any value, and a
    trace shown shortened must be the start of the real one."""
    import qfund_rules as q

    rules = q.load_rules()
    real = q.evaluate(rules, rules.load_batch(ROOT / "examples" / "claims-2027.yaml"))
    by_id = {d.claim_id: d.to_dict() for d in real.decisions}
    # docs/rounds.md shows the two-year scenario of tests/test_round_cli.py instead.
    example = [b for b in blocks("json") if b.file != "docs/rounds.md"]
    shown = [d for b in example for d in json.loads(b.code).get("decisions", [])]
    assert shown, "no decision shown in a json block of the docs"
    for decision in shown:
        assert _agrees(decision, by_id[decision["claim_id"]]), decision["claim_id"]


def _agrees(shown: object, real: object) -> bool:
    """``shown`` is ``real`` but where it holds a placeholder or a shortened list."""
    if isinstance(shown, str) and (shown.startswith("<") or shown == "..."):
        return True
    if isinstance(shown, dict) and isinstance(real, dict):
        return all(k in real and _agrees(v, real[k]) for k, v in shown.items())
    if isinstance(shown, list) and isinstance(real, list):
        return len(shown) <= len(real) and all(map(_agrees, shown, real))
    return shown == real
