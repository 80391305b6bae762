"""JSON documents, read by the YAML reader: what JSON writes that YAML reads otherwise.

A JSON document is read by the YAML reader like any other (it records where every value
stands, so that a later error on ``claims[2].standard_no`` is located), but YAML takes
much that JSON refuses: ``[1, 2,]``, ``True``, ``None``, single quotes, comments, unquoted
keys. A document whose file name ends in ``.json`` is therefore first checked as strict
JSON (:func:`syntax_problem`); any other is read as YAML, as it always was. The name, not
the first character, says which: a YAML flow mapping starts with ``{`` too.
"""

from __future__ import annotations

import dataclasses
import json
import re
from bisect import bisect_left
from pathlib import Path

from .errors import Problem

__all__ = [
    "Columns",
    "is_json_name",
    "is_json_with_surrogates",
    "json_as_yaml",
    "syntax_problem",
]


def is_json_name(source: str | Path | bytes, name: str | None) -> bool:
    """Whether the document is named as JSON: its path, or the name it is shown under,
    ends in ``.json`` (in any case)."""
    names = [name] if isinstance(source, bytes) else [name, str(source)]
    return any(n is not None and n.lower().endswith(".json") for n in names)


class _ConstantError(ValueError):
    """Internal: NaN, Infinity or -Infinity, which Python's json reads and JSON has not."""


def _refuse_constant(word: str) -> None:
    raise _ConstantError(word)


def _as_text(digits: str) -> str:
    # The number is only looked at here: the YAML reader builds it (and locates one it
    # cannot read, such as more digits than Python converts).
    return digits


def syntax_problem(file: str, text: str) -> Problem | None:
    """The first place where ``text`` is not strict JSON (RFC 8259), or ``None``.

    Python's json module reads NaN and Infinity, which JSON has not; they are refused
    here. A duplicate key is not a syntax error: the YAML reader locates each one.
    """
    try:
        json.loads(text, parse_int=_as_text, parse_float=_as_text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        return _decode_problem(file, exc)
    except _ConstantError as exc:
        line, column = _line_column(text, _constant_at(text))
        message = f"not valid JSON: {exc} is not a JSON value (numbers are finite)"
        return Problem(file, line, column, (), message)
    except RecursionError:  # deeper than Python's json goes: the reader's depth cap says where
        return None
    return None


_BLANKS = " \t\n\r"  # JSON's whitespace
_CLOSER = re.compile(r"[ \t\n\r]*([\]}])")
_EXPECTED_ITEM = ("Expecting value", "Expecting property name enclosed in double quotes")
_PYTHON_WORD = re.compile(r"(?:True|False|None)\b")
_STRING_OR_CONSTANT = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|(-?Infinity|NaN)')


def _decode_problem(file: str, exc: json.JSONDecodeError) -> Problem:
    text, pos = exc.doc, exc.pos
    comma = _trailing_comma(exc)
    if comma is not None:
        at, closer = comma
        line, column = _line_column(text, at)
        message = f"not valid JSON: a comma before {closer!r} (JSON has none after the last item)"
        return Problem(file, line, column, (), message)
    rest = text[pos : pos + 8]
    line, column = _line_column(text, pos)
    # json's own words, without the " at" its position follows in str(exc).
    message = exc.msg[:1].lower() + exc.msg[1:].removesuffix(" at").removesuffix(" starting")
    if _PYTHON_WORD.match(rest):
        message += "; JSON writes true, false and null"
    elif rest.startswith("'"):
        message += "; JSON quotes strings and keys with double quotes"
    elif rest.startswith(("//", "/*", "#")):
        message += "; JSON has no comments"
    elif message == "invalid control character":
        message += f" U+{ord(rest[0]):04X} in a string; write it as an escape (\\t, \\n, \\u001b)"
    elif rest[:1].isspace() and rest[0] not in _BLANKS:  # pasted from a document: U+2028
        message += f"; U+{ord(rest[0]):04X} is not JSON whitespace (only space, tab, LF and CR are)"
    return Problem(file, line, column, (), f"not valid JSON: {message}")


def _trailing_comma(exc: json.JSONDecodeError) -> tuple[int, str] | None:
    """Where a comma stands right before the ``]`` or ``}`` closing its list or object,
    and that bracket, when that is the error: Python 3.13 says so at the comma, earlier
    versions expect a value or a key at the bracket."""
    text, pos = exc.doc, exc.pos
    if exc.msg.startswith("Illegal trailing comma"):
        closing = _CLOSER.match(text, pos + 1)
        return None if closing is None else (pos, closing.group(1))
    if exc.msg in _EXPECTED_ITEM and text[pos : pos + 1] in ("]", "}"):
        before = text[:pos].rstrip(_BLANKS)
        if before.endswith(","):
            return len(before) - 1, text[pos]
    return None


def _constant_at(text: str) -> int:
    """Where the first NaN or Infinity outside a string stands (the text before it is JSON,
    so each string there is matched whole)."""
    for m in _STRING_OR_CONSTANT.finditer(text):
        if m.group(1):
            return m.start(1)
    return 0  # pragma: no cover - called only when json met one


def _line_column(text: str, pos: int) -> tuple[int, int]:
    """Line and column (1-based, in characters) of ``pos`` as an editor shows them, and as
    YAML numbers a JSON document's: a line ends at LF, CRLF or a lone CR (json's own count
    ends one at LF only), not at U+2028 or the like, which JSON holds in strings only."""
    breaks = text.count("\n", 0, pos) + text.count("\r", 0, pos) - text.count("\r\n", 0, pos)
    start = max(text.rfind("\n", 0, pos), text.rfind("\r", 0, pos)) + 1
    return breaks + 1, pos - start + 1


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


# Where YAML (1.1, as PyYAML and libyaml read it) ends a line: at LF, CRLF or a lone CR, and
# at U+0085, U+2028 and U+2029 too. Its marks number lines so, and a rewritten escape shifts
# the columns after it on its line only.
_YAML_BREAK = re.compile("\r\n?|[\n\x85\u2028\u2029]")


def _lines_end_at_lf(text: str, *, line_breaks: bool) -> bool:
    """Whether YAML ends each line of ``text`` at an LF (a CRLF's included), so that counting
    LFs counts lines, at ``str.count``'s speed: no lone CR, and no U+0085, U+2028 or U+2029
    unless each is rewritten (``line_breaks``)."""
    if not line_breaks and any(brk in text for brk in "\x85\u2028\u2029"):
        return False
    return text.count("\r") == text.count("\r\n")


class Columns:
    """Columns in the file of positions in its text as rewritten by :func:`json_as_yaml`.

    A position after a rewritten escape on its line is as many columns further right in
    the file as the escape is shorter there (two for a surrogate pair, ``\\ud840\\udc00``
    read as ``\\U00020000``), or further left as it is longer (five for U+2028 written
    ``\\u2028``, three for U+0085 written ``\\x85``).
    """

    __slots__ = ("_lines",)

    def __init__(self, lines: dict[int, tuple[list[int], list[int]]]) -> None:
        # By line: the rewritten columns where an escape starts, and the shift (file column
        # less rewritten column) after each.
        self._lines = lines

    def __bool__(self) -> bool:
        return bool(self._lines)

    def column(self, line: int, column: int) -> int:
        """The file's column of ``line``, ``column`` (1-based) in the rewritten text."""
        on_line = self._lines.get(line)
        if on_line is None:
            return column
        starts, shifts = on_line
        before = bisect_left(starts, column)
        return column + shifts[before - 1] if before else column

    def problem(self, problem: Problem) -> Problem:
        """``problem`` at its column in the file."""
        if problem.line is None or problem.column is None:
            return problem
        return dataclasses.replace(problem, column=self.column(problem.line, problem.column))


# JSON takes raw in a string every character but '"', '\\' and U+0000..U+001F (RFC 8259,
# section 7; json.dumps(ensure_ascii=False) writes them so, and text pasted from Word or
# a PDF holds them). YAML reads some of them otherwise: U+0085, U+2028 and U+2029 end a
# line there (it would fold the string, "哈密\x85公司" read as "哈密 公司", and number every
# line after one a line too far), and DEL, the other C1 controls (U+0080..U+009F) and
# U+FFFE and U+FFFF are characters a YAML file may not hold (a problem in the file,
# in YAML's words). YAML's double-quoted escape of each is read as the character: the
# value is json's, and the field it is in refuses it at its line and column where a
# control character is not allowed (an id, a name). Outside a string none is JSON: the
# strict check refused it.
_RAW_IN_JSON_STRINGS = "\x7f-\x9f\u2028\u2029\ufffe\uffff"
_RAW_IN_JSON = re.compile(f"[{_RAW_IN_JSON_STRINGS}]")
_SURROGATE_PAIR_OR_RAW = re.compile(
    rf"{_SURROGATE_PAIR.pattern}|[{_RAW_IN_JSON_STRINGS}]", re.IGNORECASE
)


def _escape(char: str) -> str:
    """YAML's double-quoted escape of ``char``: ``\\x85``, ``\\u2028``."""
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def json_as_yaml(text: str, *, raw_characters: bool) -> tuple[str, Columns]:
    """A JSON document's surrogate-pair escapes as the YAML escapes of their characters,
    and with ``raw_characters`` the raw characters of its strings that YAML reads otherwise
    (U+0085, U+2028 and U+2029) or refuses (DEL, the C1 controls, U+FFFE and U+FFFF) as
    escapes too: YAML reads the result to the values json reads, and numbers its lines as
    an editor does the file's (at LF, CRLF and CR only). The :class:`Columns` place a
    position in the result back in ``text``."""
    pattern = _SURROGATE_PAIR
    if raw_characters and _RAW_IN_JSON.search(text) is not None:
        pattern = _SURROGATE_PAIR_OR_RAW  # a slower search: only when one is there
    pieces: list[str] = []
    lines: dict[int, tuple[list[int], list[int]]] = {}
    done = line_start = 0
    line = 1
    by_lf: bool | None = None  # looked at on the first match: no cost to a document without
    for m in pattern.finditer(text):
        if m.group(2) is None:  # a raw character, in a string
            at = m.start()
            escape = _escape(m.group())
        else:
            at = m.start(2) - 2  # the backslash of the first escape
            high, low = int(m.group(2), 16), int(m.group(3), 16)
            escape = f"\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08X}"
        # Lines as YAML numbers them, counted from the last match on: one pass in all. A
        # line break rewritten is no longer one, and never in the text between matches.
        if by_lf is None:
            by_lf = _lines_end_at_lf(text, line_breaks=raw_characters)
        if by_lf:
            breaks = text.count("\n", done, at)
            if breaks:
                line += breaks
                line_start = text.rfind("\n", done, at) + 1
        else:
            for brk in _YAML_BREAK.finditer(text, done, at):
                line += 1
                line_start = brk.end()
        starts, shifts = lines.setdefault(line, ([], []))
        shift = shifts[-1] if shifts else 0
        starts.append(at - line_start + 1 - shift)
        shifts.append(shift + (m.end() - at) - len(escape))
        pieces.append(text[done:at])
        pieces.append(escape)
        done = m.end()
    if not pieces:
        return text, Columns({})
    pieces.append(text[done:])
    return "".join(pieces), Columns(lines)
