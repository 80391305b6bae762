"""How a message echoes a value it refuses: whole when short, else a marked excerpt.

A refused value may be as long as the file it is in: a number of 100 000 digits, a key of
a megabyte, a list nesting every claim. A message names the field and says what is wrong;
it echoes at most the start of such a value, marked as cut and with the value's length,
``'20270000000000000000000000000000000000...' (100005 characters)``, and of a list or a
mapping a few items, a few levels deep (reprlib's walk), each cut so. Every message that
echoes a value a caller or a file gave goes through :func:`excerpt` (a text),
:func:`echo` (any value, as Python writes it) or ``_validation.shown`` (any value, as a
YAML file writes it; built on :class:`BoundedRepr`).
"""

from __future__ import annotations

import builtins
import reprlib
import sys
from typing import Any

__all__ = ["LONGEST", "BoundedRepr", "echo", "excerpt"]

#: The longest text echoed whole; a longer one is cut to its first :data:`_HEAD` characters.
LONGEST = 80
_HEAD = 40


def excerpt(text: str, *, quoted: bool = False) -> str:
    """``text`` as a message echoes it (``quoted``: as ``repr`` writes it): whole when it
    is written in at most :data:`LONGEST` characters (an escape counts as written), else
    its start, marked as cut, and its length: ``'11111111...' (5000 characters)``."""
    shown = repr(text) if quoted else text
    if len(shown) <= LONGEST + (2 if quoted else 0):  # the quotes are not the text's
        return shown
    head = text[:_HEAD]
    if quoted:  # escapes (\x00, \u2028) count as written
        while len(repr(head)) > _HEAD + 2:
            head = head[:-1]
        return f"{head + '...'!r} ({len(text)} characters)"
    return f"{head}... ({len(text)} characters)"


class BoundedRepr(reprlib.Repr):
    """reprlib's bounded walk of a value (six items of a list or a mapping, two levels),
    each text and number in it cut by :func:`excerpt`, and an ``int`` too long for ``str``
    named by its size."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = 2
        self.maxtuple = self.maxlist = self.maxarray = self.maxdict = 6
        self.maxset = self.maxfrozenset = self.maxdeque = 6

    def repr_str(self, x: str, level: int) -> str:
        return excerpt(x, quoted=True)

    def repr_int(self, x: int, level: int) -> str:
        try:
            return excerpt(builtins.repr(x))
        except ValueError:  # past sys.get_int_max_str_digits(): no text to cut
            return f"a whole number of more than {sys.get_int_max_str_digits()} digits"

    def repr_instance(self, x: Any, level: int) -> str:
        if isinstance(x, str):  # a subclass of str
            return excerpt(x, quoted=True)
        if isinstance(x, int) and not isinstance(x, bool):
            return self.repr_int(x, level)
        try:
            return excerpt(builtins.repr(x))
        except Exception:  # a caller's object whose repr fails is still named
            return f"<{type(x).__name__} object>"


_PYTHON = BoundedRepr()


def echo(value: object) -> str:
    """``value`` as Python writes it (``'2027'``, ``1.5``, ``['banned']``), bounded."""
    return _PYTHON.repr(value)
