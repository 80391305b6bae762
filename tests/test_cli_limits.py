"""The batch caps on the command line: ``--max-bytes`` and ``--max-nodes`` (docs/limits.md).

The defaults refuse a batch of about 27,000 claims in indented JSON (39,000 in compact JSON
or YAML); a caller who trusts a larger batch raises them per run, and a refusal says which
option does so.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

import qfund_rules as q
from qfund_rules import _cli_args
from qfund_rules._cli_args import byte_size, limit_notes, node_count, shown_size
from qfund_rules._yaml import Limits, exceeded_limit
from qfund_rules.cli import run
from qfund_rules.errors import Problem
from qfund_rules.rules import RULE_FILES

from .conftest import EXAMPLES_DIR, ROOT, RULES_DIR

sys.path.insert(0, str(ROOT / "bench"))
import run as bench  # bench/ is a directory of scripts, not a package

EXAMPLE = EXAMPLES_DIR / "claims-2027.yaml"
#: Every command that reads a claims batch (diff's with --claims).
BATCH_COMMANDS = ["evaluate", "explain", "report", "round", "diff"]


def call(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1000", 1000),
        ("0", 0),
        ("64MiB", 64 << 20),
        ("64 mib", 64 << 20),
        ("512KiB", 512 << 10),
        ("2GiB", 2 << 30),
        ("100B", 100),
        ("1024GiB", 1 << 40),
    ],
)
def test_a_size_reads_bytes_and_binary_units(text: str, size: int) -> None:
    assert byte_size(text) == size


@pytest.mark.parametrize("text", ["1025GiB", "1099511627777", "999999999999999GiB"])
def test_a_size_past_a_tebibyte_is_refused(text: str) -> None:
    """A SIZE past 1 TiB is a slip, not a batch: refused as an argument (999999999999999GiB
    ended in an OverflowError from the read)."""
    with pytest.raises(
        argparse.ArgumentTypeError, match=r"too large a size: .* \(at most 1024GiB\)"
    ):
        byte_size(text)


def test_a_size_past_a_tebibyte_is_a_usage_error() -> None:
    """`--max-bytes 999999999999999GiB` exits 2 with argparse's usage message, no traceback."""
    code, out, err = call("evaluate", str(EXAMPLE), "--max-bytes", "999999999999999GiB")
    assert (code, out) == (2, "")
    assert "argument --max-bytes: too large a size: '999999999999999GiB'" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("size", ["200GiB", "1024GiB"])
def test_a_large_max_bytes_reads_a_small_batch(size: str) -> None:
    """A cap far above the file is no allocation of the cap: `--max-bytes 200GiB` decides
    the example (it ended in a MemoryError: the read allocated the cap first)."""
    code, out, err = call("evaluate", str(EXAMPLE), "--max-bytes", size)
    assert (code, err) == (0, "")
    assert '"decisions"' in out


@pytest.mark.parametrize("text", ["", "64x", "64MB", "1.5MiB", "-1", "MiB", "1e6"])
def test_a_size_refuses_what_it_cannot_read_exactly(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="not a size"):
        byte_size(text)


@pytest.mark.parametrize(("text", "n"), [("5000000", 5_000_000), ("5_000_000", 5_000_000)])
def test_a_node_count_reads_whole_numbers(text: str, n: int) -> None:
    assert node_count(text) == n


def test_a_long_argument_is_quoted_as_a_marked_excerpt() -> None:
    """A SIZE of 100 000 characters is quoted by its start, marked as cut."""
    with pytest.raises(argparse.ArgumentTypeError) as refused:
        byte_size("x" * 100_000)
    assert str(refused.value) == (
        f"not a size: '{'x' * 40}...' (100000 characters) (bytes, or a whole number of KiB, "
        "MiB or GiB: 64MiB)"
    )


@pytest.mark.parametrize("text", ["0", "-5", "1e6", "5,000", "five", "5__000"])
def test_a_node_count_refuses_others(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="whole number"):
        node_count(text)


@pytest.mark.parametrize("command", BATCH_COMMANDS)
def test_the_help_of_max_bytes_says_the_bound_its_refusal_says(command: str) -> None:
    """`--help` says the largest SIZE taken, in the words a larger one is refused with."""
    code, out, _ = call(command, "--help")
    with pytest.raises(argparse.ArgumentTypeError) as refused:
        byte_size("1025GiB")
    bound = str(refused.value).rpartition("(")[2].rstrip(")")
    assert (code, bound) == (0, "at most 1024GiB")
    assert f"{bound};" in " ".join(out.split())


@pytest.mark.parametrize("command", BATCH_COMMANDS)
def test_the_help_of_the_caps_says_the_defaults_in_force(
    command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--help` says the default caps the options take, whatever they are set to, not a
    copy of them."""
    monkeypatch.setattr(_cli_args, "DEFAULT_LIMITS", Limits(max_bytes=3 << 20, max_nodes=12_345))
    code, out, _ = call(command, "--help")
    said = " ".join(out.split())
    assert (
        code,
        "default 3MiB:" in said,
        "(default 12,345:" in said,
        "16MiB" in said,
    ) == (0, True, True, False)


@pytest.mark.parametrize(
    ("size", "shown"),
    [(16 << 20, "16MiB"), (1 << 40, "1024GiB"), (1536, "1536"), (3 << 10, "3KiB"), (0, "0")],
)
def test_a_size_is_shown_as_a_size_argument_writes_it(size: int, shown: str) -> None:
    """A size is shown in the largest unit it is whole in, and reads back as itself."""
    assert (shown, size) == (shown_size(size), byte_size(shown_size(size)))


@pytest.mark.parametrize("command", BATCH_COMMANDS)
def test_every_batch_command_takes_the_caps(command: str) -> None:
    code, out, _ = call(command, "--help")
    assert code == 0
    assert "--max-bytes SIZE" in out
    assert "--max-nodes N" in out


def test_a_batch_over_max_bytes_is_refused_with_the_option_named() -> None:
    size = EXAMPLE.stat().st_size
    code, out, err = call("evaluate", str(EXAMPLE), "--max-bytes", str(size - 100))
    assert code == 2
    assert out == ""
    assert f"file is {size} bytes; the limit is {size - 100} bytes" in err
    assert "--max-bytes raises that limit" in err
    assert "--max-nodes" not in err


def test_a_batch_at_max_bytes_is_read() -> None:
    size = EXAMPLE.stat().st_size
    code, out, _ = call("evaluate", str(EXAMPLE), "--max-bytes", str(size))
    assert code == 0
    assert '"decisions"' in out


def test_a_batch_over_max_nodes_is_refused_with_the_option_named() -> None:
    code, out, err = call("evaluate", str(EXAMPLE), "--max-nodes", "50")
    assert code == 2
    assert out == ""
    assert "document holds more than 50 values" in err
    assert "--max-nodes raises that limit" in err


@pytest.mark.parametrize("command", ["explain", "report", "round"])
def test_the_other_batch_commands_apply_the_caps(command: str, tmp_path: Path) -> None:
    """Each command reads its batch under the caps given, not the defaults."""
    extra = {
        "explain": ["--claim", "K19"],
        "report": ["--out", str(tmp_path / "r.html")],
        "round": ["--ledger", str(tmp_path / "l.db")],
    }[command]
    code, _, err = call(command, str(EXAMPLE), *extra, "--max-nodes", "50")
    assert code == 2
    assert "--max-nodes raises that limit" in err
    code, _, err = call(command, str(EXAMPLE), *extra, "--max-nodes", "100_000")
    assert code == 0, err


@pytest.mark.parametrize(
    ("option", "below", "above", "refusal"),
    [
        ("--max-nodes", "50", "100_000", "document holds more than 50 values"),
        ("--max-bytes", "1KiB", "64KiB", "the limit is 1024 bytes"),
    ],
)
def test_diff_reads_its_claims_under_the_caps(
    option: str, below: str, above: str, refusal: str
) -> None:
    """`qfund diff --claims` reads the batch under the caps given, and a refusal names the
    option that raises the cap, as the other batch commands do."""
    rules = str(RULES_DIR)
    code, out, err = call("diff", rules, rules, "--claims", str(EXAMPLE), option, below)
    assert (code, out) == (2, "")
    assert refusal in err
    assert f"qfund: note: {option} raises that limit" in err
    code, out, err = call("diff", rules, rules, "--claims", str(EXAMPLE), option, above)
    assert (code, err) == (0, "")
    assert "没有决定改变" in out


@pytest.mark.parametrize(
    ("caps", "refusal"),
    [
        (["--max-nodes", "50"], "--max-nodes needs --claims BATCH, the batch it caps"),
        (
            ["--max-nodes", "5000000", "--max-bytes", "64MiB"],
            "--max-bytes and --max-nodes need --claims BATCH, the batch they cap",
        ),
    ],
)
def test_diff_refuses_the_caps_without_a_batch(caps: list[str], refusal: str) -> None:
    """A cap given to `qfund diff` without --claims caps nothing: a usage slip, exit 2."""
    rules = str(RULES_DIR)
    code, out, err = call("diff", rules, rules, *caps)
    assert (code, out, err) == (2, "", f"qfund diff: {refusal}\n")


def test_the_note_is_only_for_the_caps() -> None:
    other = Problem("b.yaml", 1, 1, (), "not valid YAML: found character")
    capped = Problem("b.yaml", None, None, (), "file is 20 bytes; the limit is 10 bytes")
    assert exceeded_limit(other) is None
    assert exceeded_limit(capped) == "max_bytes"
    assert limit_notes([other]) == []
    assert len(limit_notes([capped, capped])) == 1


def test_a_rule_file_over_the_caps_gets_no_note_on_the_batch_options(tmp_path: Path) -> None:
    """--max-bytes and --max-nodes cap the batch, not the rule files: an awards.yaml over
    16 MiB is refused without a note naming an option that would not let it in."""
    for name in RULE_FILES:
        shutil.copyfile(RULES_DIR / name, tmp_path / name)
    with (tmp_path / "awards.yaml").open("a", encoding="utf-8") as fh:
        fh.write(("#" * 1023 + "\n") * (16 * 1024 + 1))
    code, out, err = call("evaluate", str(EXAMPLE), "--rules", str(tmp_path))
    assert (code, out) == (2, "")
    assert "awards.yaml: file holds more than 16777216 bytes; the limit is 16777216" in err
    assert "qfund: note:" not in err


#: How docs/limits.md's table of sizes writes a batch out, by the row's first words.
_WRITTEN: dict[str, Callable[[dict[str, Any]], str]] = {
    "JSON indented by two": lambda data: json.dumps(data, ensure_ascii=False, indent=2),
    "compact JSON": lambda data: json.dumps(data, ensure_ascii=False, separators=(",", ":")),
    "YAML in block style": lambda data: yaml.safe_dump(data, allow_unicode=True),
}


def _quoted_range(text: str, row: str) -> tuple[int, int, int, int]:
    """A row of docs/limits.md's table: bytes a claim and values a claim, each low-high."""
    found = re.search(
        rf"^\| {re.escape(row)} [^|]*\| (\d+)-(\d+) \| [^|]* \| (\d+)-(\d+) \|", text, re.M
    )
    assert found is not None, row
    low, high, fewest, most = map(int, found.groups())
    return low, high, fewest, most


@pytest.fixture(scope="module")
def measured_batches() -> list[q.Batch]:
    """The batches docs/limits.md measured: the example, and a synthetic batch of the
    benchmark's."""
    rules = q.load_rules(RULES_DIR)
    return [rules.load_batch(EXAMPLE), bench.synthetic_batch(2_000, 2027, rules)]


@pytest.mark.parametrize("row", list(_WRITTEN))
def test_the_sizes_docs_limits_quotes_are_measured(
    row: str, measured_batches: list[q.Batch], tmp_path: Path
) -> None:
    """Each batch, written out in full as a row of docs/limits.md's table says, takes bytes
    and values a claim within the row's ranges (rounded to whole numbers)."""
    low, high, fewest, most = _quoted_range((ROOT / "docs" / "limits.md").read_text(), row)
    rules = q.load_rules(RULES_DIR)
    for batch in measured_batches:
        n = len(batch.claims)
        path = tmp_path / ("b.yaml" if row.startswith("YAML") else "b.json")
        path.write_text(_WRITTEN[row](q.batch_to_data(batch)), encoding="utf-8")
        assert low <= round(path.stat().st_size / n) <= high, (row, n, path.stat().st_size)
        roomy = 1 << 30
        rules.load_batch(path, limits=Limits(max_bytes=roomy, max_nodes=int((most + 0.5) * n)))
        with pytest.raises(q.BatchError, match="document holds more than"):
            rules.load_batch(
                path, limits=Limits(max_bytes=roomy, max_nodes=int((fewest - 0.5) * n))
            )


def test_the_help_quotes_the_measured_sizes() -> None:
    """`--help` quotes bytes and values a claim within docs/limits.md's ranges."""
    text = (ROOT / "docs" / "limits.md").read_text()
    _, out, _ = call("evaluate", "--help")
    said = " ".join(out.split())
    found = re.search(
        r"some (\d+) bytes a claim in JSON indented by two, (\d+) in compact JSON or YAML;", said
    )
    values = re.search(r"some (\d+) values a claim;", said)
    assert found is not None
    assert values is not None
    indented, compact = int(found[1]), int(found[2])
    low, high, fewest, most = _quoted_range(text, "JSON indented by two")
    assert low <= indented <= high
    assert fewest <= int(values[1]) <= most
    for row in ("compact JSON", "YAML in block style"):
        low, high, _, _ = _quoted_range(text, row)
        assert low <= compact <= high, row
