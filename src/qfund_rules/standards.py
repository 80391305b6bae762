"""Standard numbers (标准编号) and the level each one implies (rulings R7, 第十三条).

A standard number such as ``GB/T 45678-2026`` names its publisher by its code, and the
code decides the level: national, industry, local, group or enterprise. Numbers arrive
typed by hand or pasted from a PDF, so they are normalised first (full-width forms, the
printed em dash, division and full-width slashes, stray spaces, lower case) and then
matched by one regular expression.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

from qfund_rules._excerpt import echo, excerpt
from qfund_rules.errors import StandardNumberError

__all__ = ["Level", "StandardNumber", "parse_standard_number"]

Level = Literal["national", "industry", "local", "group", "enterprise"]

# Applied after NFKC, which already folds the full-width `／` and `－` and turns the
# non-breaking hyphen U+2011 into U+2010. R7: "the printed em dash and other dashes
# equal `-`; `∕` and `／` equal `/`".
_DASHES: Final = (
    "\u2010"  # ‐ hyphen
    "\u2011"  # ‑ non-breaking hyphen
    "\u2012"  # ‒ figure dash
    "\u2013"  # – en dash
    "\u2014"  # — em dash, as printed on the standards themselves
    "\u2015"  # ― horizontal bar
    "\u2212"  # − minus sign
    "\u2e3a"  # ⸺ two-em dash
    "\u2e3b"  # ⸻ three-em dash
    "\ufe58"  # ﹘ small em dash
    "\ufe63"  # ﹣ small hyphen-minus
    "\uff0d"  # － full-width hyphen-minus (NFKC folds it too)
    "\u30fc"  # ー katakana prolonged sound mark, which Japanese IMEs produce for `-`
)
_SLASHES: Final = (
    "\u2044"  # ⁄ fraction slash
    "\u2215"  # ∕ division slash
    "\uff0f"  # ／ full-width solidus (NFKC folds it too)
)
_FOLD: Final = MappingProxyType(
    {ord(c): "-" for c in _DASHES} | {ord(c): "/" for c in _SLASHES},
)

# Matched against normalised text: ASCII, upper case, single spaces, no space at either
# end, so ` ?` is the whole of "spaces around the parts are ignored".
_STANDARD_NUMBER: Final = re.compile(
    r"""
    (?:
        GB(?:\ ?/\ ?(?P<national>[TZ]))?
      | DB\ ?(?P<division>[0-9]{2}|[0-9]{4})(?P<local_t>\ ?/\ ?T)?
      | (?P<earthquake>DB\ ?/\ ?T)
      | T\ ?/\ ?(?P<group>[A-Z][A-Z0-9]*?)
      | Q\ ?/\ ?(?P<enterprise>[A-Z0-9]+?)
      | (?!GB|DB)(?P<industry>[A-Z]{2})(?:\ ?/\ ?(?P<industry_suffix>[TZ]))?
    )
    \ ?(?P<number>[0-9]+(?:\.[0-9]+)*)
    (?:\ ?-+\ ?(?P<year>[0-9]*))?
    """,
    re.VERBOSE,
)
# Lazy body codes: `T/CAS123-2024` splits at the first digit, while `T/AB2 123-2024`
# backtracks to the code `AB2` because the space marks where the number starts. For
# `DB6505 123-2020` the 2-digit province reading fails and the 4-digit city one holds.

_EXAMPLE: Final = "e.g. 'GB/T 45678-2026'"


@dataclass(frozen=True, slots=True)
class StandardNumber:
    """A parsed standard number; ``str()`` gives its canonical form ``GB/T 45678-2026``."""

    prefix: str
    level: Level
    number: str
    year: int

    def __str__(self) -> str:
        return f"{self.prefix} {self.number}-{self.year:04d}"


def _normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).translate(_FOLD).upper()
    return " ".join(folded.split())


def parse_standard_number(text: str, industry_codes: frozenset[str]) -> StandardNumber:
    """Parse ``text`` into a :class:`StandardNumber`, deciding its level by R7.

    ``industry_codes`` holds the two-letter industry codes in upper case (``JB``, ``HG``
    ...); ``DB/T`` is the earthquake industry's code whether or not it is listed.

    Raises:
        StandardNumberError: when the text is empty, is not a standard number, uses an
            unknown industry code, or has no 4-digit year.
    """
    normal = _normalise(text)
    if not normal:
        raise StandardNumberError(f"{echo(text)}: the standard number is empty ({_EXAMPLE})")
    match = _STANDARD_NUMBER.fullmatch(normal)
    if match is None:
        raise StandardNumberError(f"{echo(text)}: not a standard number ({_EXAMPLE})")

    level: Level
    if (code := match["industry"]) is not None:
        if code not in industry_codes:
            known = ", ".join(sorted(industry_codes)) or "none"
            raise StandardNumberError(
                f"{echo(text)}: unknown industry code {code!r} (known: {known})",
            )
        suffix = match["industry_suffix"]
        prefix, level = (f"{code}/{suffix}" if suffix else code), "industry"
    elif (division := match["division"]) is not None:
        prefix, level = f"DB{division}{'/T' if match['local_t'] else ''}", "local"
    elif match["earthquake"] is not None:
        prefix, level = "DB/T", "industry"
    elif (body := match["group"]) is not None:
        prefix, level = f"T/{body}", "group"
    elif (body := match["enterprise"]) is not None:
        prefix, level = f"Q/{body}", "enterprise"
    else:
        national = match["national"]
        prefix, level = (f"GB/{national}" if national else "GB"), "national"

    number, year = match["number"], match["year"]
    if not year:
        raise StandardNumberError(
            f"{echo(text)}: the year is missing (write it after a dash: "
            f"{excerpt(f'{prefix} {number}-2026', quoted=True)})",
        )
    if len(year) == 2:
        raise StandardNumberError(
            f"{echo(text)}: 2-digit year {year!r}; write the year with 4 digits (19{year} or "
            f"20{year})",
        )
    if len(year) != 4:
        raise StandardNumberError(f"{echo(text)}: the year {echo(year)} must have 4 digits")
    return StandardNumber(prefix=prefix, level=level, number=number, year=int(year))
