"""The exceptions qfund_rules raises, and the located problems they carry.

Every error a caller can see derives from :class:`QfundError`. Bad input (rule files or
claim batches) is never reported one problem at a time: the loaders collect every
:class:`Problem` they find and raise them together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BatchError",
    "InputError",
    "LedgerError",
    "Problem",
    "QfundError",
    "RuleFileError",
    "StandardNumberError",
    "format_path",
]


def format_path(path: Sequence[str | int]) -> str:
    """Render a field path the way messages show it: ``claims[2].standard_no``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not part or any(not ch.isprintable() or ch.isspace() for ch in part):
            out += f"[{part!r}]"  # a key of spaces or control characters, shown escaped
        else:
            out += f".{part}" if out else part
    return out


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input file, located by file, line, column and field path."""

    file: str
    line: int | None
    column: int | None
    path: tuple[str | int, ...]
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        field = format_path(self.path)
        prefix = "warning: " if self.severity == "warning" else ""
        if field:
            return f"{where}: {field}: {prefix}{self.message}"
        return f"{where}: {prefix}{self.message}"

    def sort_key(self) -> tuple[str, int, int, tuple[tuple[int, int, str], ...], str]:
        """Order problems by file, then position, then field path, then message.

        Data without lines (``batch_from_data``) is so listed item by item: ``claims[2]``
        before ``claims[10]``, a claim's problems together.
        """
        path = tuple((0, p, "") if isinstance(p, int) else (1, 0, p) for p in self.path)
        return (self.file, self.line or 0, self.column or 0, path, self.message)


class QfundError(Exception):
    """Root of every error raised by qfund_rules."""


class InputError(QfundError):
    """Raised when an input file cannot be used; carries every problem found in it.

    The common base of :class:`RuleFileError` and :class:`BatchError` (catch it for either):
    ``.problems`` lists the problems in file and line order.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(sorted(problems, key=Problem.sort_key))
        super().__init__(self.render())

    def __reduce__(self) -> tuple[type[InputError], tuple[tuple[Problem, ...]], dict[str, Any]]:
        # Rebuilt from its problems: the default calls the class with the rendered message,
        # which is not a list of problems, so the error would not survive pickle (how a
        # ProcessPoolExecutor's worker hands it to the caller), copy or deepcopy. Its
        # attributes (add_note's notes) go along.
        return type(self), (self.problems,), dict(self.__dict__)

    def render(self) -> str:
        """All problems, one per line, in file and line order."""
        return "\n".join(str(p) for p in self.problems)


class RuleFileError(InputError):
    """Raised when the rule files are unreadable or invalid (``qfund validate`` exits 1, or 2
    when nothing could be read to locate a problem in)."""


class BatchError(InputError):
    """Raised when a claims batch is unreadable or invalid; no decision is made."""


class StandardNumberError(QfundError, ValueError):
    """Raised when a standard number cannot be parsed (rulings R7)."""


class LedgerError(QfundError):
    """Raised when the ledger file is unusable or an operation on it is refused."""
