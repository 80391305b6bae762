"""The ``--help`` of every ``qfund`` command, wrapped by the columns a terminal gives it.

argparse wraps help text with :mod:`textwrap`, which counts characters; a Chinese
character (万元, 第二十二条) takes two columns of a terminal, so a help line holding some
ran past the terminal's width and was broken again by the terminal, mid-word. Here the
wrapping is textwrap's, measured in display columns: a character whose
``unicodedata.east_asian_width`` is ``W`` or ``F`` counts two, any other one. Text without
such a character wraps exactly as argparse wraps it.
"""

from __future__ import annotations

import argparse
import textwrap
import unicodedata

__all__ = ["DisplayWidthFormatter", "display_width"]


def display_width(text: str) -> int:
    """The columns ``text`` takes on a terminal: two for a wide or full-width character
    (``east_asian_width`` ``W`` or ``F``), one for any other."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _fitting(text: str, columns: int) -> int:
    """How many characters of ``text``, from its start, fit in ``columns``."""
    used = 0
    for i, c in enumerate(text):
        used += display_width(c)
        if used > columns:
            return i
    return len(text)


class _Wrapper(textwrap.TextWrapper):
    """textwrap's wrapping (its chunks, its placing of them, its breaking of a word too
    long for any line) with every length measured by :func:`display_width`.

    ``max_lines`` and ``placeholder`` are not supported: argparse uses neither.
    """

    def _wrap_chunks(self, chunks: list[str]) -> list[str]:
        # textwrap.TextWrapper._wrap_chunks (CPython 3.11), len() read as display_width.
        if self.width <= 0:
            raise ValueError(f"invalid width {self.width!r} (must be > 0)")
        lines: list[str] = []
        chunks.reverse()  # a stack: the next chunk is chunks[-1]
        while chunks:
            line: list[str] = []
            used = 0
            indent = self.subsequent_indent if lines else self.initial_indent
            width = self.width - display_width(indent)
            # Whitespace starting a line is dropped, but for the first line's.
            if self.drop_whitespace and chunks[-1].strip() == "" and lines:
                del chunks[-1]
            while chunks and used + display_width(chunks[-1]) <= width:
                used += display_width(chunks[-1])
                line.append(chunks.pop())
            # The line is full, and the next chunk fits on no line: break it.
            if chunks and display_width(chunks[-1]) > width:
                self._handle_long_word(chunks, line, used, width)
                used = sum(map(display_width, line))
            if self.drop_whitespace and line and line[-1].strip() == "":
                used -= display_width(line[-1])
                del line[-1]
            if line:
                lines.append(indent + "".join(line))
        return lines

    def _handle_long_word(
        self, reversed_chunks: list[str], cur_line: list[str], cur_len: int, width: int
    ) -> None:
        # textwrap's, what fits measured in columns: as many characters as fit on the
        # line, or up to its last hyphen that fits; at least one on an empty line, or a
        # wide character would never be placed on a line one column wide.
        space_left = 1 if width < 1 else width - cur_len
        chunk = reversed_chunks[-1]
        if not self.break_long_words:
            if not cur_line:
                cur_line.append(reversed_chunks.pop())
            return
        end = _fitting(chunk, space_left)
        if self.break_on_hyphens and display_width(chunk) > space_left:
            hyphen = chunk.rfind("-", 0, end)
            if hyphen > 0 and any(c != "-" for c in chunk[:hyphen]):
                end = hyphen + 1
        if end == 0 and not cur_line:
            end = 1
        cur_line.append(chunk[:end])
        reversed_chunks[-1] = chunk[end:]


class DisplayWidthFormatter(argparse.RawDescriptionHelpFormatter):
    """The formatter of every ``qfund`` parser: argument help wrapped by display width, as
    argparse wraps it; descriptions and epilogs line for line as written
    (RawDescriptionHelpFormatter), no line joined to the next, but a line wider than the
    terminal wrapped by display width, keeping its indentation. So a paragraph is written
    as one line, and wraps to any terminal as argparse wraps a description.
    """

    def _split_lines(self, text: str, width: int) -> list[str]:
        text = self._whitespace_matcher.sub(" ", text).strip()
        return _Wrapper(width).wrap(text)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        filled: list[str] = []
        for line in text.splitlines(keepends=True):
            body = line.rstrip("\r\n")
            if display_width(indent + body) <= width:
                filled.append(indent + line)
                continue
            lead = indent + body[: len(body) - len(body.lstrip(" "))]
            words = self._whitespace_matcher.sub(" ", body).strip()
            wrapper = _Wrapper(width, initial_indent=lead, subsequent_indent=lead)
            filled.append("\n".join(wrapper.wrap(words)) + line[len(body) :])
        return "".join(filled)
