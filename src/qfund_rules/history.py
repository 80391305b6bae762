"""What the engine needs to know about earlier rounds: the read side of the ledger.

Rules that need history (首次 / 新承担, rulings R4; top-ups across years, R5; bans after
fraud, R9) ask a :class:`History`. The engine never writes to it. :data:`NO_HISTORY`
is the empty history of a first round, or of a plain ``qfund evaluate``.

An applicant is known across rounds by its unified social credit code when it has one,
else by its id in the batch (:func:`applicant_key`).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "NO_HISTORY",
    "BanRecord",
    "History",
    "PriorAward",
    "StaticHistory",
    "applicant_key",
    "canonical_subject",
]


@dataclass(frozen=True, slots=True)
class PriorAward:
    """An award granted in an earlier round (not revoked) for one qualification."""

    claim_id: str
    item: str
    amount_yuan: int  # what that decision granted (the item amount, or a top-up)
    year: int


@dataclass(frozen=True, slots=True)
class BanRecord:
    """A ban after a fraud finding (第二十四条): applications in [found_on, until) refused."""

    claim_id: str
    found_on: dt.date
    until: dt.date


class History(Protocol):
    """Earlier rounds as the engine reads them; implementations must be thread-safe to read."""

    def prior_awards(self, applicant: str, family: str, subject: str) -> Sequence[PriorAward]:
        """Awards granted earlier to ``applicant`` for the qualification (family, subject)."""
        ...

    def bans(self, applicant: str) -> Sequence[BanRecord]:
        """Bans recorded against ``applicant``."""
        ...


class _NoHistory:
    """The history of a fund that has paid nothing yet."""

    def prior_awards(self, applicant: str, family: str, subject: str) -> Sequence[PriorAward]:
        return ()

    def bans(self, applicant: str) -> Sequence[BanRecord]:
        return ()


NO_HISTORY: History = _NoHistory()


def applicant_key(applicant_id: str, uscc: str | None) -> str:
    """How the ledger knows an applicant: by USCC when given, else by batch id."""
    return uscc if uscc else f"id:{applicant_id}"


def canonical_subject(text: str) -> str:
    """A claim's subject as the qualification is known by (rulings R5; project choice).

    One committee, product or group written twice must be one qualification, and the same
    text typed twice is not always the same characters: NFKC folds full-width letters,
    digits and brackets into their plain forms, invisible format characters (zero-width
    space, soft hyphen, BOM) are dropped, and runs of spaces become one, none at the ends.
    Case and the spaces inside are kept: ``SAC/TC 123`` and ``sac/tc123`` stay two
    subjects (docs/interpretation.md).
    """
    folded = unicodedata.normalize("NFKC", text)
    visible = "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")
    return " ".join(visible.split())


class StaticHistory:
    """A fixed history held in memory: for domain tests, what-if runs and library users."""

    def __init__(
        self,
        awards: Mapping[tuple[str, str, str], Sequence[PriorAward]] | None = None,
        bans: Mapping[str, Sequence[BanRecord]] | None = None,
    ) -> None:
        # Keyed by the subject as a batch's claims are read (canonical_subject), so that a
        # subject written otherwise here still meets its claims.
        found: dict[tuple[str, str, str], list[PriorAward]] = {}
        for (applicant, family, subject), held in (awards or {}).items():
            found.setdefault((applicant, family, canonical_subject(subject)), []).extend(held)
        self._awards = {k: tuple(v) for k, v in found.items()}
        self._bans = {k: tuple(v) for k, v in (bans or {}).items()}

    def prior_awards(self, applicant: str, family: str, subject: str) -> Sequence[PriorAward]:
        """Awards held for the qualification (applicant key, family, subject)."""
        return self._awards.get((applicant, family, subject), ())

    def bans(self, applicant: str) -> Sequence[BanRecord]:
        """Bans held for the applicant key."""
        return self._bans.get(applicant, ())
