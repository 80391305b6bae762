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
from typing import Protocol, TypeGuard, TypeVar, cast

from ._arguments import MAX_YUAN, check_date, check_type, check_year, check_yuan, given

__all__ = [
    "NO_HISTORY",
    "BanRecord",
    "History",
    "PriorAward",
    "StaticHistory",
    "SubjectAward",
    "applicant_key",
    "canonical_subject",
    "itself_subject",
    "loose_subject",
    "names_itself",
]


@dataclass(frozen=True, slots=True)
class PriorAward:
    """An award granted in an earlier round (not revoked) for one qualification.

    Raises:
        TypeError: ``claim_id`` or ``item`` is not a ``str``, ``amount_yuan`` or ``year``
            not an ``int`` (a ``float``, a ``bool`` or a text is never an amount).
        ValueError: ``claim_id`` or ``item`` is empty, ``amount_yuan`` is negative (or
            not below 10**12 万元), ``year`` is not from 1 to 9999.
    """

    claim_id: str
    item: str
    amount_yuan: int  # what that decision granted (the item amount, or a top-up)
    year: int

    def __post_init__(self) -> None:
        # The ledger builds one per award it finds, on every look-up: one quick test here,
        # the checks that name the field only when it fails. An amount that is not integer
        # yuan would be written into the decisions' JSON (rulings R1); a negative one would
        # raise a top-up above the item's amount.
        a, y, c, i = self.amount_yuan, self.year, self.claim_id, self.item
        if not (
            type(a) is int
            and 0 <= a < MAX_YUAN
            and type(y) is int
            and dt.MINYEAR <= y <= dt.MAXYEAR
            and type(c) is str
            and c
            and type(i) is str
            and i
        ):
            _check_award(self)


@dataclass(frozen=True, slots=True)
class SubjectAward:
    """An award granted in an earlier round (not revoked) for a subject, to any applicant:
    a row of :meth:`History.awards_for` (who holds the lead of a standard, 第十三条).

    Raises:
        TypeError: ``applicant``, ``claim_id`` or ``item`` is not a ``str``,
            ``amount_yuan`` or ``year`` not an ``int``.
        ValueError: ``applicant``, ``claim_id`` or ``item`` is empty, ``amount_yuan`` is
            negative (or not below 10**12 万元), ``year`` is not from 1 to 9999.
    """

    applicant: str  # the applicant key (applicant_key): how the ledger knows it
    claim_id: str
    item: str
    amount_yuan: int
    year: int  # the round it was granted in

    def __post_init__(self) -> None:
        a, y, k, c, i = self.amount_yuan, self.year, self.applicant, self.claim_id, self.item
        if not (
            type(a) is int
            and 0 <= a < MAX_YUAN
            and type(y) is int
            and dt.MINYEAR <= y <= dt.MAXYEAR
            and type(k) is str
            and k
            and type(c) is str
            and c
            and type(i) is str
            and i
        ):
            _check_id("SubjectAward", "applicant", k)
            _check_id("SubjectAward", "claim_id", c)
            _check_id("SubjectAward", "item", i)
            check_yuan(TypeError, "SubjectAward", "amount_yuan", a, range_error=ValueError)
            check_year(TypeError, "SubjectAward", "year", y, range_error=ValueError)


@dataclass(frozen=True, slots=True)
class BanRecord:
    """A ban after a fraud finding (第二十四条): applications in [found_on, until) refused.

    Raises:
        TypeError: ``claim_id`` is not a ``str``, a day not a ``datetime.date`` (a
            ``datetime`` cannot be compared with the batch's days; pass its ``.date()``).
        ValueError: ``claim_id`` is empty, or ``until`` is not after ``found_on`` (the
            ban would cover no day).
    """

    claim_id: str
    found_on: dt.date
    until: dt.date

    def __post_init__(self) -> None:
        # As PriorAward: built on every look-up of the ledger, checked by name on failure.
        f, u = self.found_on, self.until
        c = self.claim_id
        if not (type(f) is dt.date and type(u) is dt.date and f < u and type(c) is str and c):
            _check_ban(self)


def _check_id(where: str, name: str, value: object) -> None:
    check_type(TypeError, where, name, value, str, "a str")
    if not value:
        raise ValueError(f"{where}: {name} must not be empty")


def _check_award(award: PriorAward) -> None:
    _check_id("PriorAward", "claim_id", award.claim_id)
    _check_id("PriorAward", "item", award.item)
    check_yuan(TypeError, "PriorAward", "amount_yuan", award.amount_yuan, range_error=ValueError)
    check_year(TypeError, "PriorAward", "year", award.year, range_error=ValueError)


def _check_ban(ban: BanRecord) -> None:
    _check_id("BanRecord", "claim_id", ban.claim_id)
    check_date(TypeError, "BanRecord", "found_on", ban.found_on)
    check_date(TypeError, "BanRecord", "until", ban.until)
    if not ban.found_on < ban.until:
        # The ledger's bans end found_on + ban_years (at least 1): never on found_on.
        raise ValueError(
            f"BanRecord: until ({ban.until}) must be after found_on ({ban.found_on}): "
            "a ban covers the days [found_on, until)"
        )


class History(Protocol):
    """Earlier rounds as the engine reads them; implementations must be thread-safe to read."""

    def prior_awards(self, applicant: str, family: str, subject: str) -> Sequence[PriorAward]:
        """Awards granted earlier to ``applicant`` for the qualification (family, subject)."""
        ...

    def awards_for(self, family: str, subject: str) -> Sequence[SubjectAward]:
        """Awards granted earlier to *any* applicant for (family, subject), not revoked (as
        :meth:`prior_awards` counts them), oldest round first: who holds the lead of a
        standard number (第十三条, allocation.yaml ``lead.across_rounds``)."""
        ...

    def bans(self, applicant: str) -> Sequence[BanRecord]:
        """Bans recorded against ``applicant``."""
        ...


class _NoHistory:
    """The history of a fund that has paid nothing yet."""

    def prior_awards(self, applicant: str, family: str, subject: str) -> Sequence[PriorAward]:
        return ()

    def awards_for(self, family: str, subject: str) -> Sequence[SubjectAward]:
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


def loose_subject(text: str) -> str:
    """A subject with its case and every space dropped: two subjects that differ only so
    (``SAC/TC 123``, ``sac/tc123``) are noted for a reviewer, or, for the applicant itself,
    its id or USCC recognised however written. Never a qualification's key: case and inner
    spaces can tell two names apart (:func:`canonical_subject`)."""
    return "".join(canonical_subject(text).split()).casefold()


def itself_subject(applicant_id: str, uscc: str | None) -> str:
    """The subject of a claim of the applicant itself: the applicant as it is known across
    ids and rounds, by its USCC when it has one (else its id), so that one organisation
    under two ids holds one qualification (第二十条)."""
    return uscc or applicant_id


def names_itself(text: str, applicant_id: str, uscc: str | None) -> bool:
    """Whether ``text``, written as such a claim's subject, is the applicant's id or USCC
    (in any case or spacing)."""
    return loose_subject(text) in {loose_subject(n) for n in (applicant_id, uscc) if n}


class StaticHistory:
    """A fixed history held in memory: for domain tests, what-if runs and library users.

    ``awards`` maps ``(applicant key, family, subject)`` to a list of :class:`PriorAward`,
    ``bans`` an applicant key to a list of :class:`BanRecord`. The records are taken as
    given: the history does not know the round it will be read in, nor the rules, so an
    award of a later year than the batch's round, or of an item the rules do not have,
    counts as an earlier award all the same.

    Raises:
        TypeError: an argument is not a mapping (or ``None``), a key not of the shape
            above, a value not a list (or tuple) of records of the right class.
    """

    def __init__(
        self,
        awards: Mapping[tuple[str, str, str], Sequence[PriorAward]] | None = None,
        bans: Mapping[str, Sequence[BanRecord]] | None = None,
    ) -> None:
        # Keyed by the subject as a batch's claims are read (canonical_subject), so that a
        # subject written otherwise here still meets its claims.
        found: dict[tuple[str, str, str], list[PriorAward]] = {}
        for key, held in _entries("awards", awards, _AWARDS):
            if not _is_award_key(key):
                raise TypeError(
                    "StaticHistory: each key of awards must be a tuple (applicant key, "
                    f"family, subject) of three str, not {given(key)}"
                )
            applicant, family, subject = key
            records = _records("awards", key, held, PriorAward)
            found.setdefault((applicant, family, canonical_subject(subject)), []).extend(records)
        self._awards = {k: tuple(v) for k, v in found.items()}
        # Every applicant's awards by (family, subject), for awards_for: in round order, and
        # within a round in the order given (a history in memory has no allocation order).
        by_subject: dict[tuple[str, str], list[SubjectAward]] = {}
        for (applicant, family, subject), records in self._awards.items():
            by_subject.setdefault((family, subject), []).extend(
                SubjectAward(applicant, p.claim_id, p.item, p.amount_yuan, p.year) for p in records
            )
        self._by_subject = {
            k: tuple(sorted(v, key=lambda a: a.year)) for k, v in by_subject.items()
        }
        self._bans: dict[str, tuple[BanRecord, ...]] = {}
        for key, held in _entries("bans", bans, _BANS):
            if not isinstance(key, str):
                raise TypeError(
                    f"StaticHistory: each key of bans must be an applicant key (a str, "
                    f"applicant_key(id, uscc)), not {given(key)}"
                )
            self._bans[key] = tuple(_records("bans", key, held, BanRecord))

    def prior_awards(self, applicant: str, family: str, subject: str) -> Sequence[PriorAward]:
        """Awards held for the qualification (applicant key, family, subject)."""
        return self._awards.get((applicant, family, subject), ())

    def awards_for(self, family: str, subject: str) -> Sequence[SubjectAward]:
        """Every applicant's awards held for (family, subject), oldest round first."""
        return self._by_subject.get((family, subject), ())

    def bans(self, applicant: str) -> Sequence[BanRecord]:
        """Bans held for the applicant key."""
        return self._bans.get(applicant, ())


R = TypeVar("R", PriorAward, BanRecord)

_AWARDS = "a mapping {(applicant key, family, subject): [PriorAward, ...]} or None"
_BANS = "a mapping {applicant key: [BanRecord, ...]} or None"


def _entries(name: str, value: object, what: str) -> list[tuple[object, object]]:
    """The items of a StaticHistory argument, refused unless it is a mapping or ``None``."""
    if value is None:
        return []
    check_type(TypeError, "StaticHistory", name, value, Mapping, what)
    return list(cast("Mapping[object, object]", value).items())


def _is_award_key(key: object) -> TypeGuard[tuple[str, str, str]]:
    return isinstance(key, tuple) and len(key) == 3 and all(isinstance(k, str) for k in key)


def _records(name: str, key: object, held: object, kind: type[R]) -> Sequence[R]:
    """One value of a StaticHistory argument: a list (or tuple) of records of ``kind``."""
    shown = f"StaticHistory: {name}[{key!r}]"
    if isinstance(held, kind):
        one = kind.__name__
        raise TypeError(f"{shown} must be a list of {one}, not a single one: write [{one}(...)]")
    if not isinstance(held, list | tuple):
        raise TypeError(f"{shown} must be a list of {kind.__name__}, not {given(held)}")
    for i, record in enumerate(held):
        if not isinstance(record, kind):
            raise TypeError(f"{shown}[{i}] must be a {kind.__name__}, not {given(record)}")
    return held
