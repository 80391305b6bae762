"""JSON documents, read by the YAML reader: what JSON writes that YAML reads otherwise."""

from __future__ import annotations

import dataclasses
import json
import re
from bisect import bisect_left

from .errors import Problem

__all__ = ["Columns", "is_json_with_surrogates", "surrogates_as_yaml"]


# A JSON escape of a character beyond U+FFFF is a UTF-16 surrogate pair, "\\ud840\\udc00"
# for 𠀀 (Python's json.dumps writes rare CJK characters so by default). YAML has no such
# escapes and refuses them; it writes the character as "\\U00020000". Only an escape whose
# backslash is not itself escaped is one.
_SURROGATE_PAIR = re.compile(
    r"(?<!\\)((?:\\\\)*)\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})", re.IGNORECASE
)


def is_json_with_surrogates(text: str) -> bool:
    """Whether ``text`` is a JSON object holding a surrogate-pair escape.

    Only then is every backslash inside a double-quoted string, where the escape means the
    character; in YAML's single-quoted or plain text the same letters are just text.
    """
    if not text.lstrip().startswith("{") or _SURROGATE_PAIR.search(text) is None:
        return False
    try:
        json.loads(text)
    except (ValueError, RecursionError):  # not JSON, digits past Python's limit, too deep
        return False
    return True


class Columns:
    """Columns in the file of positions in its text as rewritten by :func:`surrogates_as_yaml`.

    Each escape rewritten is two characters shorter: a position after it on its line is
    two columns further right in the file.
    """

    __slots__ = ("_starts",)

    def __init__(self, starts: dict[int, list[int]]) -> None:
        self._starts = starts  # by line, the rewritten columns where a shortened escape starts

    def __bool__(self) -> bool:
        return bool(self._starts)

    def column(self, line: int, column: int) -> int:
        """The file's column of ``line``, ``column`` (1-based) in the rewritten text."""
        starts = self._starts.get(line)
        return column if starts is None else column + 2 * bisect_left(starts, column)

    def problem(self, problem: Problem) -> Problem:
        """``problem`` at its column in the file."""
        if problem.line is None or problem.column is None:
            return problem
        return dataclasses.replace(problem, column=self.column(problem.line, problem.column))


def surrogates_as_yaml(text: str) -> tuple[str, Columns]:
    """A JSON document's surrogate-pair escapes, as the YAML escapes of their characters,
    and the :class:`Columns` that place a position in the result back in ``text``."""
    pieces: list[str] = []
    starts: dict[int, list[int]] = {}
    done = line_start = 0
    line = 1
    for m in _SURROGATE_PAIR.finditer(text):
        at = m.start(2) - 2  # the backslash of the first escape
        breaks = text.count("\n", done, at)
        if breaks:  # counted from the last match on: one pass, however long the line
            line += breaks
            line_start = text.rfind("\n", done, at) + 1
        on_line = starts.setdefault(line, [])
        on_line.append(at - line_start + 1 - 2 * len(on_line))
        high, low = int(m.group(2), 16), int(m.group(3), 16)
        point = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
        pieces.append(text[done:at])
        pieces.append(f"\\U{point:08X}")
        done = m.end()
    if not pieces:
        return text, Columns({})
    pieces.append(text[done:])
    return "".join(pieces), Columns(starts)
