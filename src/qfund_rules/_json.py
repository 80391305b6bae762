"""JSON documents, read by the YAML reader: what JSON writes that YAML reads otherwise."""

from __future__ import annotations

import json
import re

__all__ = ["is_json_with_surrogates", "surrogates_as_yaml"]

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


def surrogates_as_yaml(text: str) -> str:
    """A JSON document's surrogate-pair escapes, as the YAML escapes of their characters.

    Each pair of 12 characters becomes one of 10, so a column after it on its line is off
    by two in a message.
    """

    def combined(m: re.Match[str]) -> str:
        high, low = int(m.group(2), 16), int(m.group(3), 16)
        point = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
        return f"{m.group(1)}\\U{point:08X}"

    return _SURROGATE_PAIR.sub(combined, text)
