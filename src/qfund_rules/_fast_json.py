"""The quick read of a plain JSON document: json's C parser instead of YAML's events.

The YAML reader (``_yaml.py``) builds a document from the parser's events in Python,
recording where each value stands: about 35 µs a value, 15 times what evaluating the claim
then takes. A JSON batch is mostly plain: strings, whole numbers, true, false and null in
objects and arrays, no key twice. Such a document is read here by :func:`json.loads` to the
very values the YAML reader builds from it, and where each value stands is looked up only
when a problem has to be located (``Document.locate``, by the YAML reader then).

Anything else makes :func:`plain_json` return ``None``, and the YAML reader reads the
document as before, so that every refusal and every value it reads stays its own: a
number with a fraction or an exponent, a whole number past Python's digit limit, a key
written twice, a character YAML does not read as json does (controls, U+0085, U+2028,
U+2029, U+FEFF, a surrogate escape), a layout YAML refuses (a tab, a key whose colon is on
a later line, a key longer than YAML's 1024 characters), a document at or near the caps on
nesting and size, or not JSON at all. ``tests/property/test_fast_json.py`` checks that
both readers give the same values on documents that mix every one of these.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["plain_json"]

# What the quick read leaves to the YAML reader:
# - a character, raw or escaped, outside YAML's printable set or one of its line breaks
#   (raw), a control, U+0085 or a surrogate (escaped; json.loads reads "\b" and "\u00e9"
#   alike, YAML too, but only the common ones are taken here), U+FEFF (a byte-order mark
#   inside the text), U+2028 and U+2029;
# - JSON's layouts that YAML reads otherwise or refuses: a tab (JSON whitespace, but YAML
#   refuses one in the indentation), a key whose colon stands on a later line, or far
#   after it (YAML's keys end on their line, within 1024 characters: see _object too).
_LEFT_TO_YAML = re.compile(
    "[^\x0a\x0d\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"
    "\U00010000-\U0010ffff]"
    r"|\\u(?:00[01][0-9a-fA-F]|007[fF]|008[0-9a-fA-F]|009[0-9a-fA-F]|[dD][89a-fA-F]"
    r"|[fF][eE][fF][fF]|202[89])"
    r'|"[ \r\n]*[\r\n][ \r\n]*:|" {64,}:'
)
#: The longest key taken: six characters of the file each (a \uXXXX escape) stay within
#: YAML's 1024.
_LONGEST_KEY = 150


class _NotPlainError(Exception):
    """Internal: the document holds something the YAML reader must read itself."""


def _not_plain(text: str) -> Any:
    raise _NotPlainError(text)


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        raise _NotPlainError("a key written twice")
    if any(len(key) > _LONGEST_KEY for key in mapping):
        raise _NotPlainError("a key YAML may not read as one")
    return mapping


def plain_json(text: str, *, max_depth: int, max_nodes: int) -> Any | None:
    """The values of ``text`` when it is plain JSON well within the caps, else ``None``.

    The values are those the YAML reader builds from the same text: dicts, lists, str,
    int, bool and None. The caps are those of ``Limits``: a document that nests
    ``max_depth`` levels or holds ``max_nodes`` values (keys and containers counted, as the
    YAML reader counts them) is left to the YAML reader, which locates the refusal.
    """
    if _LEFT_TO_YAML.search(text):
        return None
    try:
        data = json.loads(
            text, object_pairs_hook=_object, parse_float=_not_plain, parse_constant=_not_plain
        )
    except (_NotPlainError, ValueError, RecursionError):  # ValueError: not JSON, or too many digits
        return None
    return data if _within(data, max_depth, max_nodes) else None


def _within(data: Any, max_depth: int, max_nodes: int) -> bool:
    """Whether ``data`` nests fewer than ``max_depth`` levels and holds fewer than
    ``max_nodes`` values."""
    nodes = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            nodes += 1 + len(value)
            children: Any = value.values()
        elif isinstance(value, list):
            nodes += 1
            children = value
        else:
            nodes += 1
            continue
        if depth >= max_depth:
            return False
        for child in children:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
            else:
                nodes += 1
        if nodes >= max_nodes:
            return False
    return nodes < max_nodes
