"""The ledger: committed rounds, fraud findings and bans, in one append-only SQLite file.

Everything the fund has decided is a *record*: a row with ``seq``, ``kind``, a canonical
JSON ``body`` (sorted keys, UTF-8 as is, integers for money, never a float),
``prev_hash`` and ``hash = sha256(prev_hash + body)``. The bodies hold ``kind`` and
``seq`` too, so a record moved to another place no longer matches its row. Kinds:

- ``round``: a committed round: year, rule-set identity, claim ids, summary;
- ``decision``: one decision as ``qfund round`` prints it (rule-set sha256 included),
  with the qualification it counts for (applicant key, family, subject) and its place in
  the round's allocation order;
- ``allocation``: an award paid, deferred or held by a round (``year`` is the budget
  year, ``round`` the year of the claim);
- ``release``: an objection resolved (第二十二条): ``dismissed`` sends the held award to
  the next allocation as a deferred award, ``upheld`` revokes it;
- ``fraud``, ``clawback``, ``ban``: a fraud finding revokes the award, claws back what
  was paid for it and bans the applicant (第二十四条, rulings R9). Awards already
  committed for the applicant's claims submitted inside the ban are revoked by the same
  finding (its ``banned_awards``; a clawback record each, ``reason: banned``).

The tables ``rounds``, ``claims`` and ``bans`` are an index *derived* from the records
(:func:`_apply` replays one record into them); the engine's look-ups go through them, keyed
by (applicant key, family, subject) and by applicant key. :meth:`SqliteLedger.verify`
walks the hash chain, checks the head kept in ``meta`` (a deleted last record) and
rebuilds the index to compare. Every write is one ``BEGIN IMMEDIATE`` transaction, so a
round is recorded whole or not at all, and two writers never interleave. Dates are always
arguments: nothing here reads a clock. A ledger opened ``readonly=True`` never writes its
file (``ledger verify``, ``ledger show``, ``qfund report --ledger``, a round not committed).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, Literal, Protocol, Self

from dateutil.relativedelta import relativedelta

from ._arguments import check_count, check_date, check_type, check_year
from ._yaml import shown_path, suggested_command, unusable_path
from .decision import JSONValue
from .errors import LedgerError
from .explain import revocation
from .history import BanRecord, PriorAward, SubjectAward

__all__ = [
    "GENESIS",
    "SCHEMA_VERSION",
    "AwardState",
    "BannedAward",
    "CountedAward",
    "FraudFinding",
    "LedgerFault",
    "MemoryLedger",
    "PendingAward",
    "Record",
    "Release",
    "RevokedBy",
    "SinceRound",
    "SqliteLedger",
    "canonical_json",
    "migrate",
]

#: The schema this code writes; older files are migrated when opened to write (:data:`_MIGRATIONS`).
SCHEMA_VERSION = 1
#: ``PRAGMA application_id`` of a qfund ledger ("qfun"), to refuse other SQLite files.
_APPLICATION_ID = 0x7166756E
#: ``prev_hash`` of the first record.
GENESIS = "0" * 64

Outcome = Literal["upheld", "dismissed"]
#: What revoked an award: an upheld objection (第二十二条第(五)项), a fraud finding on its
#: claim (第二十四条), or the ban of a finding on another claim of the applicant (rulings R9).
RevokedBy = Literal["objection", "fraud", "ban"]


def _revoked_by(
    status: str | None, release_outcome: str | None, fraud: bool, *, banned: bool = False
) -> RevokedBy | None:
    """What revoked an award of ``status``; ``None`` unless it is ``revoked``.

    The first cause is the one that revoked it: an objection is resolved while the award is
    held, and a fraud finding recorded later (第二十四条: the ban starts all the same) finds
    nothing left to revoke; an award revoked first (for fraud or under a ban) is no longer
    held, so no objection to it can be upheld after (:meth:`SqliteLedger.release`). An
    award a ban revoked (``banned``: a finding's ``banned_awards`` names it) was standing
    until then, so a finding on its own claim recorded later comes second.
    """
    if status != "revoked":
        return None
    if release_outcome == "upheld":
        return "objection"
    if banned:
        return "ban"
    return "fraud" if fraud else "ban"


def canonical_json(body: Mapping[str, JSONValue]) -> str:
    """The one text a record body hashes as: sorted keys, no spaces, UTF-8, no floats."""
    _no_floats(body)
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _no_floats(value: object) -> None:
    # Rulings R1: no float ever holds money, and a float's text is not canonical anyway.
    if isinstance(value, float):
        raise LedgerError(f"a ledger record may not hold a float ({value!r})")
    if isinstance(value, Mapping):
        for v in value.values():
            _no_floats(v)
    elif isinstance(value, list | tuple):
        for v in value:
            _no_floats(v)


def _digest(prev_hash: str, body: str) -> str:
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Record:
    """One record of the chain, as stored."""

    seq: int
    kind: str
    body: Mapping[str, Any]
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, JSONValue]:
        """``{"seq", "kind", "body", "prev_hash", "hash"}`` for ``qfund ledger show``."""
        return {
            "seq": self.seq,
            "kind": self.kind,
            "body": dict(self.body),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class LedgerFault:
    """The first record that fails verification, and how."""

    seq: int | None  # None: not a record: the derived index (kind "index") or the head ("head")
    kind: str | None
    problem: str

    def __str__(self) -> str:
        if self.seq is None:
            return f"{self.kind}: {self.problem}"
        kind = f" ({self.kind})" if self.kind else ""
        return f"record {self.seq}{kind}: {self.problem}"

    def to_dict(self) -> dict[str, JSONValue]:
        """``{"seq", "kind", "problem"}``."""
        return {"seq": self.seq, "kind": self.kind, "problem": self.problem}


@dataclass(frozen=True, slots=True)
class PendingAward:
    """An award deferred by an earlier round (or released after an objection), still unpaid."""

    claim_id: str
    applicant_id: str
    item: str | None
    round: int  # the year of the round that granted it
    position: int  # its place in that round's allocation order (rulings R10)
    amount_yuan: int


@dataclass(frozen=True, slots=True)
class AwardState:
    """Where one committed decision stands now (the derived index, one row)."""

    round: int
    claim_id: str
    applicant_id: str
    applicant_key: str
    family: str | None
    subject: str
    item: str | None
    outcome: str
    amount_yuan: int
    status: str | None  # paid | deferred | held | revoked | None (nothing granted)
    paid_yuan: int
    clawed_back_yuan: int
    # How an objection to it was resolved (第二十二条): upheld | dismissed | None (none was
    # raised, or it is unresolved). Revoked and upheld: the objection revoked it, not fraud.
    release_outcome: str | None = None
    # The day fraud was found on this claim (第二十四条), or None: a finding on an award an
    # upheld objection or a ban had already revoked is kept beside that cause, not in its place.
    fraud_found_on: dt.date | None = None
    # (round, claim id) of the fraud finding whose ban revoked this award (rulings R9: its
    # claim was submitted inside the ban of a finding on another claim), or None.
    banned_by: tuple[int, str] | None = None
    # The end of the ban the fraud finding on this claim started (第二十四条: the first day
    # the applicant may apply again, exclusive), or None when no fraud was found on it.
    banned_until: dt.date | None = None

    @property
    def revoked_by(self) -> RevokedBy | None:
        """What revoked the award (:func:`_revoked_by`); ``None`` while it stands."""
        return _revoked_by(
            self.status,
            self.release_outcome,
            self.fraud_found_on is not None,
            banned=self.banned_by is not None,
        )


@dataclass(frozen=True, slots=True)
class SinceRound:
    """What the ledger recorded since a round about the awards it decided and carried in.

    Totals in yuan, from the same :class:`AwardState` rows that say where each award stands
    (``qfund report --round --ledger`` shows them in its summary).
    """

    revoked_yuan: int  # awards revoked since: for fraud, under a ban, or by an objection
    revoked_by_objection_yuan: int  # of which by an upheld objection (第二十二条第(五)项)
    clawed_back_yuan: int  # clawed back since (第二十四条)
    released_yuan: int  # held awards whose objection was dismissed: owed, or paid since

    @classmethod
    def tally(cls, own: Iterable[AwardState], carried: Iterable[AwardState] = ()) -> SinceRound:
        """The totals for a round's own awards and the awards it carried in.

        A carried award was deferred (its objection, if any, resolved) before the round, so
        only the round's own held awards count as released; revocations and clawbacks of
        both came after it.
        """
        own, carried = tuple(own), tuple(carried)
        both = own + carried
        return cls(
            revoked_yuan=sum(a.amount_yuan for a in both if a.revoked_by is not None),
            revoked_by_objection_yuan=sum(
                a.amount_yuan for a in both if a.revoked_by == "objection"
            ),
            clawed_back_yuan=sum(a.clawed_back_yuan for a in both),
            released_yuan=sum(a.amount_yuan for a in own if a.release_outcome == "dismissed"),
        )

    def to_dict(self) -> dict[str, JSONValue]:
        """``{"revoked_yuan", "revoked_by_objection_yuan", "clawed_back_yuan",
        "released_yuan"}``."""
        return {
            "revoked_yuan": self.revoked_yuan,
            "revoked_by_objection_yuan": self.revoked_by_objection_yuan,
            "clawed_back_yuan": self.clawed_back_yuan,
            "released_yuan": self.released_yuan,
        }


@dataclass(frozen=True, slots=True)
class BannedAward:
    """An award already committed that a fraud finding's ban revokes (rulings R9).

    Its claim, of the same applicant key, was submitted inside [found_on, until): under
    R9 it is ``banned`` and could not have been awarded, so the finding revokes it as it
    revokes the award it was made for: what was paid is clawed back, what was deferred or
    held is cancelled.
    """

    round: int
    claim_id: str
    applicant_id: str
    submitted_on: dt.date
    status: str  # where it stood before the finding: paid | deferred | held
    amount_yuan: int
    clawback_yuan: int  # what was paid for it and is clawed back (0 when deferred or held)

    def to_dict(self) -> dict[str, JSONValue]:
        """``{"round", "claim_id", "applicant_id", "submitted_on", "status", "amount_yuan",
        "clawback_yuan"}``, as the fraud record holds it."""
        return {
            "round": self.round,
            "claim_id": self.claim_id,
            "applicant_id": self.applicant_id,
            "submitted_on": self.submitted_on.isoformat(),
            "status": self.status,
            "amount_yuan": self.amount_yuan,
            "clawback_yuan": self.clawback_yuan,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BannedAward:
        """The entry of a fraud record's ``banned_awards``."""
        return cls(
            int(data["round"]),
            str(data["claim_id"]),
            str(data["applicant_id"]),
            dt.date.fromisoformat(str(data["submitted_on"])),
            str(data["status"]),
            int(data["amount_yuan"]),
            int(data["clawback_yuan"]),
        )


@dataclass(frozen=True, slots=True)
class FraudFinding:
    """What ``qfund ledger fraud`` did (第二十四条): award revoked, clawback, ban.

    ``banned_awards`` are the awards already committed for claims of the same applicant
    key submitted inside the ban, revoked by the same finding (rulings R9). A claim its
    round did not grant an award (``granted`` false: ``rejected``, ``superseded``, or
    nothing allocated) had no award to revoke: the finding and its ban are recorded all
    the same.
    """

    claim_id: str
    applicant_id: str
    clawback_yuan: int
    banned_until: dt.date  # first day the applicant may apply again (exclusive end)
    banned_awards: tuple[BannedAward, ...] = ()
    # What had revoked the award before the finding (it revoked nothing, clawed back what
    # was paid and not yet clawed back, and started the ban), or None.
    already_revoked: RevokedBy | None = None
    # The claim's outcome in its round, and whether the round granted it an award (an
    # ``awarded`` decision the round allocated: paid, deferred or held).
    outcome: str = "awarded"
    granted: bool = True
    # (round, claim id) of the earlier finding whose ban had revoked the award (rulings R9),
    # when ``already_revoked`` is ``ban``; else None.
    banned_by: tuple[int, str] | None = None

    @property
    def award_revoked(self) -> bool:
        """Whether this finding revoked the claim's own award: granted, not already revoked."""
        return self.granted and self.already_revoked is None

    def to_dict(self) -> dict[str, JSONValue]:
        """``{"claim_id", "applicant_id", "clawback_yuan", "banned_until", "banned_awards",
        "already_revoked", "banned_by", "outcome", "award_revoked"}``; ``banned_by`` is
        ``{"round", "claim_id"}`` or ``null``."""
        banned_by: JSONValue = (
            None
            if self.banned_by is None
            else {"round": self.banned_by[0], "claim_id": self.banned_by[1]}
        )
        return {
            "claim_id": self.claim_id,
            "applicant_id": self.applicant_id,
            "clawback_yuan": self.clawback_yuan,
            "banned_until": self.banned_until.isoformat(),
            "banned_awards": [b.to_dict() for b in self.banned_awards],
            "already_revoked": self.already_revoked,
            "banned_by": banned_by,
            "outcome": self.outcome,
            "award_revoked": self.award_revoked,
        }


@dataclass(frozen=True, slots=True)
class CountedAward:
    """A later claim of the same qualification, decided with an earlier award counted (R5).

    A top-up pays the difference over what the ledger held for the qualification, held
    awards included, and a claim of no higher tier is rejected ``already_awarded``: when
    such an earlier award is revoked afterwards, the later claim stays as it was decided,
    and the qualification is paid less than its tier (docs/rounds.md). ``outcome`` is the
    later claim's: ``awarded`` (a top-up still standing) or ``rejected`` (amount 0).
    """

    round: int
    claim_id: str
    item: str | None
    amount_yuan: int
    outcome: Literal["awarded", "rejected"] = "awarded"
    #: Why a rejected one was: ``already_awarded`` (the same applicant), or
    #: ``duplicate_claim`` (another applicant's claim to lead a standard whose lead the
    #: revoked award held); ``None`` for an award.
    reason: str | None = None

    def to_dict(self) -> dict[str, JSONValue]:
        """``{"round", "claim_id", "item", "amount_yuan", "outcome", "reason"}``."""
        return {
            "round": self.round,
            "claim_id": self.claim_id,
            "item": self.item,
            "amount_yuan": self.amount_yuan,
            "outcome": self.outcome,
            "reason": self.reason,
        }


def _names_the_lead(decision: Mapping[str, Any], year: int, claim_id: str) -> bool:
    """Whether a recorded decision was refused the lead of its standard because the award
    of ``claim_id`` (round ``year``) held it (the engine's ``standard.one_lead`` step)."""
    return any(
        step["rule"] == "standard.one_lead"
        and step["result"] == "fail"
        and step["facts"].get("lead_claim") == claim_id
        and step["facts"].get("lead_round") == year
        for step in decision["trace"]
    )


@dataclass(frozen=True, slots=True)
class Release:
    """An objection resolved (第二十二条): the held award deferred, or revoked.

    ``counted_by`` lists, for an award revoked, the later claims of its qualification that
    were decided counting it: top-ups now short of the tier, and claims rejected
    ``already_awarded`` (nothing pays the difference, nor decides them again).
    """

    claim_id: str
    applicant_id: str
    outcome: Outcome
    status: Literal["deferred", "revoked"]
    amount_yuan: int
    counted_by: tuple[CountedAward, ...] = ()

    def to_dict(self) -> dict[str, JSONValue]:
        """``{"claim_id", "applicant_id", "outcome", "status", "amount_yuan",
        "counted_by"}``."""
        return {
            "claim_id": self.claim_id,
            "applicant_id": self.applicant_id,
            "outcome": self.outcome,
            "status": self.status,
            "amount_yuan": self.amount_yuan,
            "counted_by": [c.to_dict() for c in self.counted_by],
        }


class CommittableRound(Protocol):
    """What :meth:`SqliteLedger.commit_round` needs of a round (``allocation.RoundResult``)."""

    @property
    def year(self) -> int: ...  # pragma: no cover - protocol

    @property
    def claim_ids(self) -> tuple[str, ...]: ...  # pragma: no cover - protocol

    @property
    def base_head(self) -> str: ...  # pragma: no cover - protocol

    # Not members: ``native`` (False when another evaluator than the native engine
    # decided) and ``commit_refusal`` (why the rules refuse the round, or None: a round
    # without the publicity start they require) are read when present, so that rounds
    # written to this protocol before them still commit.

    def records(self) -> list[tuple[str, dict[str, JSONValue]]]: ...  # pragma: no cover


# --- schema and migrations ------------------------------------------------------------

_SCHEMA_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE records (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
-- Append-only: editing the chain through SQL takes dropping these first (verify sees it).
CREATE TRIGGER records_no_update BEFORE UPDATE ON records
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER records_no_delete BEFORE DELETE ON records
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TABLE rounds (
    year INTEGER PRIMARY KEY,
    claim_ids TEXT NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL
);
CREATE TABLE claims (
    round INTEGER NOT NULL,
    claim_id TEXT NOT NULL,
    applicant_id TEXT NOT NULL,
    applicant_key TEXT NOT NULL,
    family TEXT,
    subject TEXT NOT NULL,
    item TEXT,
    outcome TEXT NOT NULL,
    amount_yuan INTEGER NOT NULL,
    position INTEGER,
    status TEXT,
    paid_yuan INTEGER NOT NULL DEFAULT 0,
    clawed_back_yuan INTEGER NOT NULL DEFAULT 0,
    fraud_found_on TEXT,
    release_outcome TEXT,
    PRIMARY KEY (round, claim_id)
);
CREATE INDEX claims_qualification ON claims (applicant_key, family, subject);
CREATE INDEX claims_pending ON claims (status, round, position);
CREATE INDEX claims_by_id ON claims (claim_id);
CREATE TABLE bans (
    seq INTEGER PRIMARY KEY,
    applicant_key TEXT NOT NULL,
    claim_id TEXT NOT NULL,
    round INTEGER NOT NULL,
    found_on TEXT NOT NULL,
    until TEXT NOT NULL
);
CREATE INDEX bans_by_applicant ON bans (applicant_key);
"""

_INDEX_TABLES = {
    "rounds": "year",
    "claims": "round, claim_id",
    "bans": "seq",
}


def _v0_to_v1(conn: sqlite3.Connection) -> None:
    """An empty file becomes a version-1 ledger with an empty chain."""
    for statement in _SCHEMA_V1.split(";\n"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("INSERT INTO meta VALUES ('head_seq', '0'), ('head_hash', ?)", (GENESIS,))


#: Look-up indexes added after schema version 1 was first shipped. An index is a way to
#: find rows, not data: it changes no table's rows, so neither the hash chain nor
#: :meth:`SqliteLedger.verify` (which compares rows) sees it, and it takes no schema
#: version. Bumping the version would make ``ledger verify``, ``ledger show`` and a round
#: not committed (read-only opens, which never migrate) refuse every existing file, and an
#: older qfund refuse every file this one wrote. Instead each is created ``IF NOT EXISTS``
#: whenever a ledger is migrated or opened to write (:func:`_add_indexes`): a file written
#: by an older qfund gets it the first time this one opens it to write, and until then a
#: read-only open answers the same query by scanning ``claims`` (slower, never different).
_LATER_INDEXES: Mapping[str, str] = {
    # awards_for(family, subject): every applicant's awards of one standard number.
    "claims_subject": "CREATE INDEX IF NOT EXISTS claims_subject ON claims (family, subject)",
}


def _missing_indexes(conn: sqlite3.Connection) -> list[str]:
    """The names of :data:`_LATER_INDEXES` the file does not hold yet."""
    held = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    return [name for name in _LATER_INDEXES if name not in held]


def _add_indexes(conn: sqlite3.Connection) -> None:
    """Create the look-up indexes a file lacks; the caller holds the write transaction."""
    for name in _missing_indexes(conn):
        conn.execute(_LATER_INDEXES[name])


def _empty_ledger() -> sqlite3.Connection:
    """An empty ledger in memory: what an empty file reads as, without writing it."""
    conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    migrate(conn, 0)
    return conn


#: version -> the step that migrates a file at that version to the next one.
_MIGRATIONS: Mapping[int, Callable[[sqlite3.Connection], None]] = {0: _v0_to_v1}


def migrate(conn: sqlite3.Connection, version: int) -> int:
    """Run every migration from ``version`` up to :data:`SCHEMA_VERSION`; return the new one.

    The caller holds the write transaction; ``PRAGMA user_version`` is part of it.
    """
    while version < SCHEMA_VERSION:
        _MIGRATIONS[version](conn)
        version += 1
        conn.execute(f"PRAGMA user_version = {version}")
    conn.execute(f"PRAGMA application_id = {_APPLICATION_ID}")
    _add_indexes(conn)
    return version


# --- the index: each record replayed -----------------------------------------------------


def _apply(conn: sqlite3.Connection, seq: int, kind: str, body: Mapping[str, Any]) -> None:
    """Replay one record into the derived tables (on commit, and when verifying)."""
    if kind == "round":
        ids = json.dumps(body["claim_ids"], ensure_ascii=False)
        conn.execute("INSERT INTO rounds VALUES (?, ?, ?, ?)", (body["year"], ids, seq, seq))
    elif kind == "decision":
        d = body["decision"]
        conn.execute(
            "INSERT INTO claims (round, claim_id, applicant_id, applicant_key, family, subject,"
            " item, outcome, amount_yuan, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                body["round"],
                d["claim_id"],
                d["applicant_id"],
                body["applicant_key"],
                body["family"],
                body["subject"],
                d["item"],
                d["outcome"],
                d["amount_yuan"],
                body["position"],
            ),
        )
        conn.execute("UPDATE rounds SET last_seq = ? WHERE year = ?", (seq, body["round"]))
    elif kind == "allocation":
        paid = body["amount_yuan"] if body["status"] == "paid" else 0
        conn.execute(
            "UPDATE claims SET status = ?, paid_yuan = paid_yuan + ?"
            " WHERE round = ? AND claim_id = ?",
            (body["status"], paid, body["round"], body["claim_id"]),
        )
        conn.execute("UPDATE rounds SET last_seq = ? WHERE year = ?", (seq, body["year"]))
    elif kind == "release":
        status = "deferred" if body["outcome"] == "dismissed" else "revoked"
        conn.execute(
            "UPDATE claims SET status = ?, release_outcome = ? WHERE round = ? AND claim_id = ?",
            (status, body["outcome"], body["round"], body["claim_id"]),
        )
    elif kind == "fraud":
        conn.execute(
            "UPDATE claims SET fraud_found_on = ?,"
            " status = CASE WHEN status IS NULL THEN NULL ELSE 'revoked' END"
            " WHERE round = ? AND claim_id = ?",
            (body["found_on"], body["round"], body["claim_id"]),
        )
        # R9: awards already committed for claims submitted inside the ban are revoked too
        # (absent from findings that revoke nothing else, and from older ledgers).
        for banned in body.get("banned_awards", ()):
            conn.execute(
                "UPDATE claims SET status = 'revoked' WHERE round = ? AND claim_id = ?",
                (banned["round"], banned["claim_id"]),
            )
    elif kind == "clawback":
        conn.execute(
            "UPDATE claims SET clawed_back_yuan = clawed_back_yuan + ?"
            " WHERE round = ? AND claim_id = ?",
            (body["amount_yuan"], body["round"], body["claim_id"]),
        )
    elif kind == "ban":
        conn.execute(
            "INSERT INTO bans VALUES (?, ?, ?, ?, ?, ?)",
            (
                seq,
                body["applicant_key"],
                body["claim_id"],
                body["round"],
                body["found_on"],
                body["until"],
            ),
        )
    else:
        raise LedgerError(f"unknown record kind {kind!r}")


def _index_rows(conn: sqlite3.Connection) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table: conn.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()  # noqa: S608
        for table, order in _INDEX_TABLES.items()
    }


# --- the ledger -----------------------------------------------------------------------

#: The columns of :class:`AwardState`, in its order (``fraud_found_on`` as text; ``banned_by``
#: is not a column: :meth:`SqliteLedger._banned_by`).
_AWARD_COLUMNS = (
    "round, claim_id, applicant_id, applicant_key, family, subject, item, outcome, amount_yuan,"
    " status, paid_yuan, clawed_back_yuan, release_outcome, fraud_found_on"
)


def _not_by_a_ban(clawback: Mapping[str, Any]) -> bool:
    """A clawback record of a claim's own fraud finding, not of a ban on its applicant."""
    return clawback.get("reason") != "banned"


class SqliteLedger:
    """The fund's ledger in one SQLite file; implements :class:`~qfund_rules.history.History`.

    ``create=False`` refuses a missing file instead of creating an empty one. An empty file
    opened to write (0 bytes, or just created) reads as an empty ledger and gets its schema
    in the transaction of its first record: a write refused, or a transaction that records
    nothing, leaves it 0 bytes. ``readonly=True`` opens the file read-only and never writes
    it: a missing file is refused, an empty file reads as an empty ledger (it is not turned
    into one), a file left with a hot journal by an interrupted commit reads as it will be
    once rolled back, and every write (:meth:`commit_round`, :meth:`fraud`, :meth:`release`)
    raises :class:`LedgerError`. One instance may be shared by threads; separate processes
    coordinate through SQLite's locks (every write is ``BEGIN IMMEDIATE``). A ``path`` that
    is not a str or a path, or a flag that is not a bool, is a ``TypeError`` before any
    file is touched; one no file can have (a NUL in it), a :class:`LedgerError`.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        create: bool = True,
        readonly: bool = False,
        timeout: float = 30.0,
    ) -> None:
        # Checked first: str(123) would be a ledger file named 123 in the working directory.
        what = "a path (a str or a pathlib.Path) to the ledger file, or ':memory:'"
        check_type(TypeError, "SqliteLedger", "path", path, (str, PathLike), what)
        check_type(TypeError, "SqliteLedger", "create", create, bool, "True or False")
        check_type(TypeError, "SqliteLedger", "readonly", readonly, bool, "True or False")
        self.path = str(path)
        # The path as every message names it: escaped when it holds a character that is not
        # printable (a line break would split the message), as _check_path names it.
        self._shown = shown_path(self.path)
        self.readonly = readonly
        memory = self.path == ":memory:"
        if not memory:
            _check_path(Path(self.path), must_exist=readonly or not create)
        self._lock = threading.RLock()
        self._depth = 0
        self._verified = False  # verified in the current write transaction (require_intact)
        # An empty file opened to write: its connection, kept aside while an empty ledger in
        # memory answers the reads, until the first record is written (transaction()).
        self._file: sqlite3.Connection | None = None
        # mode=ro: SQLite itself refuses to write, so no path through qfund can.
        target, uri = (
            (Path(self.path).absolute().as_uri() + "?mode=ro", True)
            if readonly and not memory
            else (self.path, False)
        )
        try:
            self._conn = sqlite3.connect(
                target, timeout=timeout, isolation_level=None, check_same_thread=False, uri=uri
            )
        except sqlite3.Error as exc:
            raise LedgerError(f"{self._shown}: cannot open the ledger: {exc}") from None
        try:
            self._open()
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise LedgerError(f"{self._shown}: not a usable qfund ledger: {exc}") from None
        except BaseException:
            self._conn.close()
            raise

    def _open(self) -> None:
        try:
            version = self._pragma("user_version")
        except sqlite3.OperationalError as exc:
            if not (self.readonly and exc.sqlite_errorcode == sqlite3.SQLITE_READONLY_ROLLBACK):
                raise
            # A commit was interrupted: rolling its journal back is a write, so read a
            # private copy rolled back instead and leave the file to the next writer.
            self._conn.close()
            self._conn = _rolled_back_copy(Path(self.path))
            version = self._pragma("user_version")
        if not self.readonly:
            # The default rollback journal: a process killed mid-commit leaves a hot
            # journal that the next writer rolls back, and the ledger stays one file.
            self._conn.execute("PRAGMA synchronous = FULL")
        if not self._check_schema(version):
            if not self.readonly and _missing_indexes(self._conn):
                # A file an older qfund wrote: its later look-up indexes (_LATER_INDEXES).
                with self.transaction():
                    _add_indexes(self._conn)
            return
        if self.readonly:
            self._open_unmigrated(version)
            return
        if version == 0 and self.path != ":memory:":
            # An empty file (or one just created): its schema is written in the transaction
            # of its first record, so a write refused leaves it empty (_adopt_file).
            self._file, self._conn = self._conn, _empty_ledger()
            return
        with self.transaction():
            version = self._pragma("user_version")  # another process may have migrated
            if self._check_schema(version):
                migrate(self._conn, version)

    def _check_schema(self, version: int) -> bool:
        """Whether the file, at ``version``, needs migrating; refuse a file that is not a
        ledger this qfund can open (another database, a newer schema)."""
        app = self._pragma("application_id")
        if version == SCHEMA_VERSION and app == _APPLICATION_ID:
            return False
        if app not in (0, _APPLICATION_ID):
            raise LedgerError(f"{self._shown}: not a qfund ledger (application_id {app})")
        if version > SCHEMA_VERSION:
            raise LedgerError(
                f"{self._shown}: ledger schema version {version} is newer than this qfund "
                f"({SCHEMA_VERSION}); upgrade qfund"
            )
        if version == 0 and self._has_tables():
            raise LedgerError(f"{self._shown}: not a qfund ledger (it holds other tables)")
        return True

    def _open_unmigrated(self, version: int) -> None:
        """Read-only, a file at an older schema: an empty file is an empty ledger."""
        if version:
            raise LedgerError(
                f"{self._shown}: ledger schema version {version} needs migrating to "
                f"{SCHEMA_VERSION}, which only a command that writes to the ledger does"
            )
        # Migrating the file would write it: read an empty ledger in memory instead.
        self._conn.close()
        self._conn = _empty_ledger()

    def _adopt_file(self) -> None:
        """In the first write transaction of an empty file: migrate it, or, when another
        process wrote it meanwhile, check what it wrote; read and write the file from now."""
        assert self._file is not None  # only called while the file is kept aside
        self._conn = self._file
        version = self._pragma("user_version")
        if self._check_schema(version):
            migrate(self._conn, version)

    def _settle(self) -> None:
        """Outside a read or write block: an empty file kept aside that another process has
        written since is read from now on (its first record committed there, not here)."""
        if self._file is None or self._depth or self._conn.in_transaction:
            return
        if not self._file.execute("PRAGMA user_version").fetchone()[0]:
            return
        empty, self._conn = self._conn, self._file
        try:
            self._check_schema(self._pragma("user_version"))
        except BaseException:
            self._conn = empty
            raise
        self._file = None
        empty.close()

    def _has_tables(self) -> bool:
        return bool(self._conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0])

    def _pragma(self, name: str) -> int:
        return int(self._conn.execute(f"PRAGMA {name}").fetchone()[0])

    def close(self) -> None:
        """Close the file."""
        self._conn.close()
        if self._file is not None:
            self._file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the write lock (``BEGIN IMMEDIATE``) for the block; roll back on error.

        Nested use joins the outer transaction. Reading and committing a round inside one
        transaction makes the round see exactly the ledger it is written to.
        """
        if self.readonly:
            raise LedgerError(f"{self._shown}: the ledger is open read-only; nothing was written")
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            empty = None  # the empty ledger read until now, when the file is kept aside
            try:
                (self._file or self._conn).execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise LedgerError(f"{self._shown}: cannot take the write lock: {exc}") from exc
            self._depth = 1
            self._verified = False
            try:
                if self._file is not None:
                    empty = self._conn
                    self._adopt_file()
                yield
                if empty is not None and self.head()[0] == 0:
                    # Nothing recorded (a write refused, a round refused): the schema is
                    # not written alone, and the empty file stays as it was found.
                    self._conn.execute("ROLLBACK")
                else:
                    self._conn.execute("COMMIT")
                    if empty is not None:
                        self._file = None
                        empty.close()
            except sqlite3.Error as exc:
                self._rollback()
                raise LedgerError(f"{self._shown}: {exc}; nothing was written") from exc
            except BaseException:
                self._rollback()
                raise
            finally:
                self._depth = 0
                self._verified = False
                if empty is not None and self._file is not None:
                    self._conn = empty

    def _rollback(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Read in one read transaction for the block: one state of the ledger throughout.

        A round committed by another process meanwhile is either wholly seen or not at all
        (it waits to commit until the block ends). Inside :meth:`transaction` it adds nothing.
        """
        with self._lock:
            if self._conn.in_transaction:  # inside transaction(): already one view
                yield
                return
            self._settle()
            # An empty file kept aside is read-locked too: no other process writes its
            # first record while the block reads it as empty.
            conns = [self._conn] if self._file is None else [self._conn, self._file]
            for conn in conns:
                conn.execute("BEGIN")
            try:
                if self._file is not None:
                    self._file.execute("SELECT count(*) FROM sqlite_master").fetchone()
                yield
            finally:
                for conn in conns:
                    conn.execute("COMMIT")

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[Any]:
        with self._lock:
            self._settle()
            return self._conn.execute(sql, params).fetchall()

    # --- History (rulings R4, R5, R9) ---------------------------------------------------

    def prior_awards(self, applicant: str, family: str, subject: str) -> tuple[PriorAward, ...]:
        """Awards granted earlier for the qualification and not revoked (paid, deferred, held)."""
        rows = self._query(
            "SELECT claim_id, item, amount_yuan, round FROM claims"
            " WHERE applicant_key = ? AND family = ? AND subject = ?"
            " AND outcome = 'awarded' AND status IN ('paid', 'deferred', 'held')"
            " ORDER BY round, position",
            (applicant, family, subject),
        )
        return tuple(PriorAward(c, i, a, y) for c, i, a, y in rows)

    def awards_for(self, family: str, subject: str) -> tuple[SubjectAward, ...]:
        """Every applicant's awards granted earlier for (family, subject) and not revoked
        (paid, deferred, held), in round and allocation order; served by the index
        ``claims_subject`` (:data:`_LATER_INDEXES`)."""
        rows = self._query(
            "SELECT applicant_key, claim_id, item, amount_yuan, round FROM claims"
            " WHERE family = ? AND subject = ?"
            " AND outcome = 'awarded' AND status IN ('paid', 'deferred', 'held')"
            " ORDER BY round, position",
            (family, subject),
        )
        return tuple(SubjectAward(k, c, i, a, y) for k, c, i, a, y in rows)

    def bans(self, applicant: str) -> tuple[BanRecord, ...]:
        """Bans recorded against the applicant key, oldest finding first."""
        rows = self._query(
            "SELECT claim_id, found_on, until FROM bans WHERE applicant_key = ? ORDER BY seq",
            (applicant,),
        )
        return tuple(
            BanRecord(c, dt.date.fromisoformat(f), dt.date.fromisoformat(u)) for c, f, u in rows
        )

    def keys_of(self, applicant_id: str, *, before: int | None = None) -> frozenset[str]:
        """The applicant keys under which the ledger holds standing awards (paid, deferred,
        held) or bans of an applicant with batch id ``applicant_id``, in any round; with
        ``before``, in the rounds before that year only (awards of those rounds, bans
        following a finding on a claim of those rounds).

        Batch ids are batch-local, so this only hints: an id given with a USCC one year and
        without it another is known by two keys, and neither sees the other's awards or bans
        (``qfund round`` notes it, and refuses to commit it).

        Raises :class:`LedgerError` for ``before`` not ``None`` or an ``int`` from 1 to 9999.
        """
        if before is not None:
            check_year(LedgerError, "SqliteLedger.keys_of", "before", before)
        last = dt.MAXYEAR + 1 if before is None else before
        rows = self._query(
            "SELECT applicant_key FROM claims WHERE applicant_id = ? AND outcome = 'awarded'"
            " AND status IN ('paid', 'deferred', 'held') AND round < ?"
            " UNION SELECT bans.applicant_key FROM bans JOIN claims"
            " ON claims.round = bans.round AND claims.claim_id = bans.claim_id"
            " WHERE claims.applicant_id = ? AND claims.round < ?",
            (applicant_id, last, applicant_id, last),
        )
        return frozenset(key for (key,) in rows)

    # --- reading ------------------------------------------------------------------------

    def head(self) -> tuple[int, str]:
        """``(seq, hash)`` of the last record; ``(0, GENESIS)`` for an empty ledger."""
        rows = dict(self._query("SELECT key, value FROM meta"))
        return int(rows["head_seq"]), str(rows["head_hash"])

    def round_years(self) -> tuple[int, ...]:
        """The years of the committed rounds, in order."""
        return tuple(y for (y,) in self._query("SELECT year FROM rounds ORDER BY year"))

    def round_claim_ids(self, year: int) -> tuple[str, ...] | None:
        """The claim ids of the round committed for ``year`` (sorted), or ``None``."""
        rows = self._query("SELECT claim_ids FROM rounds WHERE year = ?", (year,))
        return tuple(json.loads(rows[0][0])) if rows else None

    def round_records(self, year: int) -> tuple[Record, ...]:
        """The records written by the round of ``year`` (empty when none was committed)."""
        span = self._query("SELECT first_seq, last_seq FROM rounds WHERE year = ?", (year,))
        if not span:
            return ()
        return self._records("WHERE seq BETWEEN ? AND ?", span[0])

    def publicity_start(self, year: int) -> dt.date | None:
        """The first day of publicity the round of ``year`` was committed with; ``None``
        when no round of that year was committed, or it was committed without one."""
        span = self._query("SELECT first_seq FROM rounds WHERE year = ?", (year,))
        if not span:
            return None
        (first,) = self._records("WHERE seq = ?", span[0])
        publicity = first.body["summary"].get("publicity")
        return None if publicity is None else dt.date.fromisoformat(str(publicity["start"]))

    def pending(self) -> tuple[PendingAward, ...]:
        """Deferred awards still unpaid: oldest round first, then original order (R10)."""
        rows = self._query(
            "SELECT claim_id, applicant_id, item, round, position, amount_yuan FROM claims"
            " WHERE status = 'deferred' ORDER BY round, position"
        )
        return tuple(PendingAward(*row) for row in rows)

    def awards(self) -> tuple[AwardState, ...]:
        """Every committed decision and where it stands now, by round and claim id."""
        with self.snapshot():
            return self._award_states("", ())

    def _award_states(self, where: str, params: Sequence[object]) -> tuple[AwardState, ...]:
        sql = f"SELECT {_AWARD_COLUMNS} FROM claims {where} ORDER BY round, claim_id"  # noqa: S608
        rows = self._query(sql, params)
        # Only an award revoked otherwise than by an objection can have been banned.
        banned = (
            self._banned_by() if any(r[9] == "revoked" and r[12] != "upheld" for r in rows) else {}
        )
        # Only a claim fraud was found on started a ban (findings are rare).
        until = self._bans_until() if any(r[13] is not None for r in rows) else {}
        return tuple(
            AwardState(
                *(
                    *row[:-1],
                    _date_or_none(row[-1]),
                    banned.get((row[0], row[1])),
                    until.get((row[0], row[1])),
                )
            )
            for row in rows
        )

    def _bans_until(self) -> dict[tuple[int, str], dt.date]:
        """The (round, claim id) of each fraud finding -> the end of the ban it started."""
        rows = self._query("SELECT round, claim_id, until FROM bans ORDER BY seq")
        return {(r, c): dt.date.fromisoformat(u) for r, c, u in rows}

    def _banned_by(self) -> dict[tuple[int, str], tuple[int, str]]:
        """Each award a ban revoked (rulings R9) -> the finding's (round, claim id), from
        the fraud records' ``banned_awards`` (findings are rare: their records are scanned)."""
        out: dict[tuple[int, str], tuple[int, str]] = {}
        for (text,) in self._query("SELECT body FROM records WHERE kind = 'fraud' ORDER BY seq"):
            body = json.loads(text)
            finding = (int(body["round"]), str(body["claim_id"]))
            for b in body.get("banned_awards", ()):
                out.setdefault((int(b["round"]), str(b["claim_id"])), finding)
        return out

    def records(self, *, year: int | None = None) -> tuple[Record, ...]:
        """All records in chain order; with ``year``, those of that round or budget year."""
        records = self._records("", ())
        if year is None:
            return records
        return tuple(r for r in records if year in (r.body.get("year"), r.body.get("round")))

    def _records(self, where: str, params: Sequence[object]) -> tuple[Record, ...]:
        rows = self._query(
            f"SELECT seq, kind, body, prev_hash, hash FROM records {where} ORDER BY seq",  # noqa: S608
            params,
        )
        return tuple(Record(s, k, json.loads(b), p, h) for s, k, b, p, h in rows)

    # --- writing ------------------------------------------------------------------------

    def _append(self, kind: str, body: Mapping[str, JSONValue]) -> None:
        """Chain one record and replay it into the index; the caller holds the transaction."""
        seq, prev = self.head()
        last = self._conn.execute("SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1")
        row = last.fetchone()
        if ((row[0], row[1]) if row else (0, GENESIS)) != (seq, prev):
            raise LedgerError(
                f"{self._shown}: the last record does not match the ledger head; "
                f"run {self._verify_command()}"
            )
        full: dict[str, JSONValue] = {**body, "kind": kind, "seq": seq + 1}
        text = canonical_json(full)
        digest = _digest(prev, text)
        self._conn.execute(
            "INSERT INTO records VALUES (?, ?, ?, ?, ?)", (seq + 1, kind, text, prev, digest)
        )
        self._conn.execute("UPDATE meta SET value = ? WHERE key = 'head_seq'", (str(seq + 1),))
        self._conn.execute("UPDATE meta SET value = ? WHERE key = 'head_hash'", (digest,))
        _apply(self._conn, seq + 1, kind, full)

    def commit_round(self, result: CommittableRound) -> bool:
        """Record a round whole, in one transaction; ``False`` when it was already recorded.

        Raises :class:`LedgerError` when ``result`` was not decided by the native engine
        (its ``native`` attribute is ``False``; a round without one counts as native), its
        ``commit_refusal`` attribute gives a reason (its rules require the publicity start
        it lacks, 第二十条第(三)项; ``None`` or no such attribute: none), the year already
        holds a round with other claims, or the same claims recorded from another batch,
        under other rules or with another summary (budget, publicity, amounts), a later
        round is already committed, the ledger changed since ``result`` was computed (it
        would pay against a stale state: run the round again), or the ledger fails
        :meth:`verify` (:meth:`require_intact`).
        """
        if not getattr(result, "native", True):
            # The ledger is what later rounds are decided against (R4, R5, R9): another
            # evaluator's decisions and traces may cross-check the engine, never stand in for it.
            raise LedgerError(
                f"round {result.year} was decided by another evaluator than the native engine "
                "(run_round's evaluator=): only the native engine's decisions are recorded in "
                "a ledger; run the round again without evaluator to commit it"
            )
        refusal = getattr(result, "commit_refusal", None)
        if refusal is not None:
            # 第二十条第(三)项: its awards would be recorded paid before any publicity.
            raise LedgerError(str(refusal))
        with self.transaction():
            self.require_intact()
            recorded = self.round_claim_ids(result.year)
            if recorded is not None:
                if recorded == tuple(sorted(result.claim_ids)):
                    stored = self.round_records(result.year)[0].body
                    _as_recorded(result.year, stored, result.records()[0][1])
                    return False
                raise LedgerError(f"round {result.year} is already in the ledger with other claims")
            later = [y for y in self.round_years() if y > result.year]
            if later:
                raise LedgerError(
                    f"round {later[-1]} is already committed: rounds are committed in year order"
                )
            if self.head()[1] != result.base_head:
                raise LedgerError(
                    "the ledger changed since this round was computed; run the round again"
                )
            for kind, body in result.records():
                self._append(kind, body)
        return True

    @staticmethod
    def _check_claim(where: str, claim_id: object, round_year: object) -> None:
        """The arguments naming a committed claim, checked before the ledger is read."""
        check_type(LedgerError, where, "claim_id", claim_id, str, "a str")
        if round_year is not None:
            check_year(LedgerError, where, "round_year", round_year)

    def _claim(self, claim_id: str, round_year: int | None) -> tuple[Any, ...]:
        sql = (
            "SELECT round, claim_id, applicant_id, applicant_key, outcome, amount_yuan, status,"
            " paid_yuan, clawed_back_yuan, fraud_found_on, release_outcome FROM claims"
            " WHERE claim_id = ?"
        )
        params: list[object] = [claim_id]
        if round_year is not None:
            sql += " AND round = ?"
            params.append(round_year)
        rows = self._conn.execute(sql, params).fetchall()
        if not rows:
            where = f" in round {round_year}" if round_year is not None else ""
            raise LedgerError(f"no committed claim {claim_id!r}{where} in {self._shown}")
        if len(rows) > 1:
            years = ", ".join(str(r[0]) for r in rows)
            raise LedgerError(f"claim id {claim_id!r} is in rounds {years}: name the round")
        return tuple(rows[0])

    def fraud(
        self, claim_id: str, found_on: dt.date, ban_years: int, *, round_year: int | None = None
    ) -> FraudFinding:
        """第二十四条: revoke the award, claw back what was paid for it, ban the applicant.

        The ban covers claims submitted in [found_on, found_on + ban_years). Awards already
        committed for claims of the same applicant key submitted inside it (in a round
        recorded before the finding) are revoked by the same finding, rulings R9: they
        could not have been awarded. The fraud record names them (``banned_awards``), each
        gets a clawback record (``reason: banned``) of what was paid for it, and what was
        deferred or held is cancelled; :attr:`FraudFinding.banned_awards` lists them.

        A finding on an award already revoked (an objection upheld, 第二十二条第(五)项, or
        the ban of an earlier finding) is recorded all the same: it revokes nothing more,
        claws back only what was paid and not yet clawed back (nothing, for an award never
        paid), and starts its ban. The fraud record and :attr:`FraudFinding.already_revoked`
        name what had revoked it, and :meth:`awards` keeps both causes.

        Recording the same finding again records nothing; a different date for it is
        refused, and so are a finding dated before the claim was submitted, a ban that
        would end after year 9999, and a ledger that fails :meth:`verify`
        (:meth:`require_intact`).

        Raises :class:`LedgerError` for all of these, and for an argument of the wrong
        type: ``claim_id`` a ``str``, ``found_on`` a ``datetime.date`` (not a
        ``datetime.datetime``), ``ban_years`` an ``int`` of at least 1, ``round_year``
        ``None`` or an ``int`` from 1 to 9999 (never a ``bool``).
        """
        where = "SqliteLedger.fraud"
        self._check_claim(where, claim_id, round_year)
        check_date(LedgerError, where, "found_on", found_on)
        check_count(LedgerError, where, "ban_years", ban_years, "years")
        with self.transaction():
            self.require_intact()
            row = self._claim(claim_id, round_year)
            year, _, applicant_id, key, outcome, _, status, paid, clawed, found, resolved = row
            # No allocation, no award: the finding has nothing to revoke (its ban still starts).
            granted = status is not None
            if found is not None:
                if found != found_on.isoformat():
                    raise LedgerError(f"claim {claim_id!r}: fraud already recorded on {found}")
                until = self._conn.execute(
                    "SELECT until FROM bans WHERE round = ? AND claim_id = ?", (year, claim_id)
                ).fetchone()[0]
                recorded = self._recorded_body("fraud", year, claim_id)
                banned = tuple(BannedAward.from_dict(b) for b in recorded.get("banned_awards", ()))
                before = recorded.get("already_revoked")
                return FraudFinding(
                    claim_id,
                    applicant_id,
                    self._finding_clawback(year, claim_id),
                    dt.date.fromisoformat(until),
                    banned,
                    before,
                    outcome,
                    granted,
                    self._banned_by().get((year, claim_id)) if before == "ban" else None,
                )
            submitted = self._submitted_on(year, claim_id)
            if found_on < submitted:
                raise LedgerError(
                    f"claim {claim_id!r}: a fraud finding on {found_on} is before the claim was "
                    f"submitted ({submitted}); check the date of the finding"
                )
            try:
                until_day = found_on + relativedelta(years=ban_years)
            except (ValueError, OverflowError):
                raise LedgerError(
                    f"claim {claim_id!r}: a {ban_years}-year ban from {found_on} would end "
                    f"after year {dt.MAXYEAR}; check the date of the finding"
                ) from None
            banned = self._banned_awards(key, (year, claim_id), found_on, until_day)
            base: dict[str, JSONValue] = {
                "round": year,
                "claim_id": claim_id,
                "applicant_id": applicant_id,
                "found_on": found_on.isoformat(),
            }
            fraud: dict[str, JSONValue] = {**base, "applicant_key": key}
            if banned:
                fraud["banned_awards"] = [b.to_dict() for b in banned]
            # 第二十四条 on an award already revoked (an objection upheld, 第二十二条第(五)项,
            # or an earlier finding's ban): nothing is left to revoke, the ban starts all the
            # same, and only what was paid and not yet clawed back is clawed back (nothing,
            # for a held award: it was never paid). The record says so; the index keeps the
            # cause that revoked it beside the finding.
            already = _revoked_by(status, resolved, fraud=False)
            if already is not None:
                fraud["already_revoked"] = already
            # The earlier finding whose ban revoked it, named as explain names it (banned_by).
            by = self._banned_by().get((year, claim_id)) if already == "ban" else None
            self._append("fraud", fraud)
            clawback = paid - clawed
            self._append("clawback", {**base, "amount_yuan": clawback, "reason": "fraud"})
            for b in banned:
                self._append(
                    "clawback",
                    {
                        "round": b.round,
                        "claim_id": b.claim_id,
                        "applicant_id": b.applicant_id,
                        "found_on": found_on.isoformat(),
                        "amount_yuan": b.clawback_yuan,
                        "reason": "banned",
                        "fraud": {"round": year, "claim_id": claim_id},
                    },
                )
            self._append(
                "ban",
                {
                    **base,
                    "applicant_key": key,
                    "years": ban_years,
                    "until": until_day.isoformat(),
                },
            )
        return FraudFinding(
            claim_id, applicant_id, clawback, until_day, banned, already, outcome, granted, by
        )

    def _banned_awards(
        self, key: str, finding: tuple[int, str], found_on: dt.date, until: dt.date
    ) -> tuple[BannedAward, ...]:
        """Awards standing for the key's claims submitted in [found_on, until), but ``finding``.

        Rulings R9: such a claim is ``banned``. A round committed before the finding was
        recorded could not know it, so its award is revoked with the finding.
        """
        rows = self._conn.execute(
            "SELECT round, claim_id, applicant_id, status, amount_yuan, paid_yuan,"
            " clawed_back_yuan FROM claims WHERE applicant_key = ? AND outcome = 'awarded'"
            " AND status IN ('paid', 'deferred', 'held') ORDER BY round, position, claim_id",
            (key,),
        ).fetchall()
        submitted: dict[int, dict[str, dt.date]] = {}
        out = []
        for year, claim_id, applicant_id, status, amount, paid, clawed in rows:
            if (year, claim_id) == finding:
                continue
            if year not in submitted:
                submitted[year] = self._submitted_dates(year)
            on = submitted[year][claim_id]
            if found_on <= on < until:
                out.append(
                    BannedAward(year, claim_id, applicant_id, on, status, amount, paid - clawed)
                )
        return tuple(out)

    def _finding_clawback(self, year: int, claim_id: str) -> int:
        """What the fraud finding on a claim clawed back itself: its own clawback record,
        not the claim's total (a ban may have clawed the award back before the finding)."""
        body = self._recorded_body(
            "clawback", year, claim_id, _not_by_a_ban, "a fraud finding whose clawback"
        )
        return int(body["amount_yuan"])

    def _recorded_body(
        self,
        kind: str,
        year: int,
        claim_id: str,
        also: Callable[[Mapping[str, Any]], bool] = lambda body: True,
        recorded: str | None = None,
    ) -> Mapping[str, Any]:
        """The body of the ``fraud``, ``release`` or ``clawback`` record for a claim that
        ``also`` accepts (:meth:`_recorded`)."""
        return self._recorded(kind, year, claim_id, also, recorded)[1]

    def _recorded(
        self,
        kind: str,
        year: int,
        claim_id: str,
        also: Callable[[Mapping[str, Any]], bool] = lambda body: True,
        recorded: str | None = None,
    ) -> tuple[int, Mapping[str, Any]]:
        """The seq and body of the ``fraud``, ``release`` or ``clawback`` record for a claim
        that ``also`` accepts (all are rare: the records of that kind are scanned);
        ``recorded`` names it in the error when the chain does not hold it."""
        for seq, text in self._conn.execute(
            "SELECT seq, body FROM records WHERE kind = ? ORDER BY seq", (kind,)
        ):
            body = json.loads(text)
            if (body.get("round"), body.get("claim_id")) == (year, claim_id) and also(body):
                return int(seq), body
        raise LedgerError(
            f"{self._shown}: claim {claim_id!r}: the index records {recorded or f'a {kind}'} "
            f"the chain does not hold; run {self._verify_command()}"
        )

    def release(
        self,
        claim_id: str,
        found_on: dt.date,
        outcome: Outcome,
        *,
        round_year: int | None = None,
    ) -> Release:
        """第二十二条: resolve the objection to a held award (dismissed: deferred; upheld: revoked).

        Recording the same resolution again records nothing; another outcome or another
        date for it is refused (:class:`LedgerError`), and so is a resolution dated before
        the claim was submitted or before the round's publicity started (when the round
        was committed with a publicity start: objections are raised during publicity,
        第二十二条), a ledger that fails :meth:`verify` (:meth:`require_intact`), and an
        argument of the wrong type: ``claim_id`` a ``str``, ``found_on`` a ``datetime.date`` (not a
        ``datetime.datetime``), ``round_year`` ``None`` or an ``int`` from 1 to 9999.
        """
        where = "SqliteLedger.release"
        self._check_claim(where, claim_id, round_year)
        check_date(LedgerError, where, "found_on", found_on)
        if outcome not in ("upheld", "dismissed"):
            raise LedgerError(f"{where}: outcome must be upheld or dismissed, not {outcome!r}")
        status: Literal["deferred", "revoked"] = "deferred" if outcome == "dismissed" else "revoked"
        with self.transaction():
            self.require_intact()
            row = self._claim(claim_id, round_year)
            year, _, applicant_id, _, outcome_then, amount, current, _, _, _, resolved = row
            if resolved is not None:
                seq, body = self._recorded("release", year, claim_id)
                on = str(body["found_on"])
                if (resolved, on) != (outcome, found_on.isoformat()):
                    raise LedgerError(
                        f"claim {claim_id!r}: objection already {resolved} on {on}"
                        + self._revocation(year, claim_id, "; ")
                    )
                # As it was recorded: the rounds committed after it did not count the award.
                counted = self._counted_by(year, claim_id, seq) if status == "revoked" else ()
                return Release(claim_id, applicant_id, outcome, status, amount, counted)
            counted = self._counted_by(year, claim_id) if status == "revoked" else ()
            if current != "held":
                # A revoked award names its cause and article, as explain and the report do,
                # and so does a claim never awarded that fraud was found on; the others say
                # where the claim stands in plain words.
                why = self._revocation(year, claim_id, ": ") or ": " + _not_held(
                    year, outcome_then, current
                )
                raise LedgerError(f"claim {claim_id!r} is not held for an objection{why}")
            self._check_release_date(where, year, claim_id, found_on)
            self._append(
                "release",
                {
                    "round": year,
                    "claim_id": claim_id,
                    "applicant_id": applicant_id,
                    "found_on": found_on.isoformat(),
                    "outcome": outcome,
                    "amount_yuan": amount,
                },
            )
        return Release(claim_id, applicant_id, outcome, status, amount, counted)

    def _revocation(self, year: int, claim_id: str, lead: str) -> str:
        """``lead`` and what revoked the claim's award with its article
        (:func:`~qfund_rules.explain.revocation`, in English); empty while it stands."""
        (state,) = self._award_states("WHERE round = ? AND claim_id = ?", (year, claim_id))
        said = revocation(state, "en")
        return "" if said is None else lead + said

    def _counted_by(
        self, year: int, claim_id: str, before: int | None = None
    ) -> tuple[CountedAward, ...]:
        """The claims of later rounds decided counting the claim's award: the same
        applicant's standing awards of the qualification (top-ups, rulings R5) and its claims
        rejected ``already_awarded``, then other applicants' claims to lead the same
        standard rejected ``duplicate_claim`` because this award held its lead (第十三条,
        allocation.yaml ``lead.across_rounds``). With ``before`` (the seq of the release
        record, when it is recorded again), only the rounds committed before it."""
        later = (
            " FROM claims AS this JOIN claims AS later"
            " ON later.family = this.family AND later.subject = this.subject"
            " AND later.round > this.round"
            " WHERE this.round = ? AND this.claim_id = ?"
        )
        params: tuple[object, ...] = (year, claim_id)
        if before is not None:
            later += " AND later.round IN (SELECT year FROM rounds WHERE first_seq < ?)"
            params = (year, claim_id, before)
        rows = self._conn.execute(
            "SELECT later.round, later.claim_id, later.item, later.amount_yuan"
            + later
            + " AND later.applicant_key = this.applicant_key AND later.outcome = 'awarded'"
            " AND later.status IN ('paid', 'deferred', 'held')"
            " ORDER BY later.round, later.position",
            params,
        ).fetchall()
        counted = [CountedAward(*row) for row in rows]
        rejected = self._conn.execute(
            "SELECT later.round, later.claim_id, later.item,"
            " later.applicant_key = this.applicant_key"
            + later
            + " AND later.outcome = 'rejected' ORDER BY later.round, later.claim_id",
            params,
        ).fetchall()
        # Releases are rare: the rounds' decisions are read for the reasons of these only.
        decisions: dict[int, dict[str, Mapping[str, Any]]] = {}
        for r, cid, item, same in rejected:
            if r not in decisions:
                decisions[r] = self._round_decisions(r)
            decision = decisions[r][cid]
            if same and "already_awarded" in decision["reasons"]:
                counted.append(CountedAward(r, cid, item, 0, "rejected", "already_awarded"))
            elif not same and _names_the_lead(decision, year, claim_id):
                counted.append(CountedAward(r, cid, item, 0, "rejected", "duplicate_claim"))
        return tuple(counted)

    def _check_release_date(self, where: str, year: int, claim_id: str, on: dt.date) -> None:
        """第二十二条: an objection is raised during publicity, so resolved no earlier."""
        submitted = self._submitted_on(year, claim_id)
        if on < submitted:
            raise LedgerError(
                f"{where}: claim {claim_id!r}: an objection resolved on {on} is before the "
                f"claim was submitted ({submitted}); check the date of the resolution"
            )
        start = self.publicity_start(year)
        if start is not None and on < start:
            raise LedgerError(
                f"{where}: claim {claim_id!r}: an objection resolved on {on} is before the "
                f"publicity of round {year} started ({start}); check the date of the resolution"
            )

    def _round_decisions(self, year: int) -> dict[str, Mapping[str, Any]]:
        """Claim id -> the decision its round recorded, for one round."""
        return {
            str(r.body["decision"]["claim_id"]): r.body["decision"]
            for r in self.round_records(year)
            if r.kind == "decision"
        }

    def _submitted_dates(self, year: int) -> dict[str, dt.date]:
        """Claim id -> the ``submitted_on`` its round recorded, for one round."""
        return {
            str(r.body["decision"]["claim_id"]): dt.date.fromisoformat(str(r.body["submitted_on"]))
            for r in self.round_records(year)
            if r.kind == "decision"
        }

    def _submitted_on(self, year: int, claim_id: str) -> dt.date:
        """The ``submitted_on`` its round recorded for a claim (fraud findings are rare)."""
        found = self._submitted_dates(year).get(claim_id)
        if found is not None:
            return found
        raise LedgerError(
            f"{self._shown}: claim {claim_id!r}: the index records a claim the chain does not "
            f"hold; run {self._verify_command()}"
        )

    # --- verification -------------------------------------------------------------------

    def require_intact(self) -> None:
        """Raise :class:`LedgerError` naming the fault when :meth:`verify` finds one.

        Every write (:meth:`commit_round`, :meth:`fraud`, :meth:`release`) calls it first,
        and ``qfund round`` before it decides anything: a round decided from an edited
        chain or index (a ban deleted, an owed award marked paid) would be recorded as if
        it were sound. It costs a full :meth:`verify`, O(size of the ledger); inside one
        write transaction it runs once (nothing else can write meanwhile, and what this
        ledger writes is replayed into the index as it is written).
        """
        with self._lock:
            if self._depth and self._verified:
                return
            fault = self.verify()
            if fault is not None:
                raise LedgerError(
                    f"{self._shown} fails verification ({fault}): nothing is decided from it or "
                    f"written to it; check it with {self._verify_command()}"
                )
            if self._depth:
                self._verified = True

    def _verify_command(self) -> str:
        """The command a message tells the user to check this ledger with.

        A ledger in memory (``":memory:"``, a :class:`MemoryLedger` or not) is reached by no
        command: ``qfund ledger verify --ledger :memory:`` would open a new, empty one. Its
        caller checks it with its own :meth:`verify`.
        """
        if self.path == ":memory:":
            return "its `verify()`"
        return suggested_command("qfund ledger verify", "--ledger", self.path)

    def verify(self) -> LedgerFault | None:
        """The first record edited, deleted or reordered, else ``None``.

        Walks the chain in ``seq`` order; then checks the head kept in ``meta`` (records
        deleted from the end, or the head itself edited: a fault of kind ``"head"``) and
        that the index tables equal a replay of the chain. All of
        it is read in one read transaction, so a round committed meanwhile by another
        process is either wholly seen or not at all.
        """
        with self.snapshot():
            rows = self._conn.execute(
                "SELECT seq, kind, body, prev_hash, hash FROM records ORDER BY seq"
            ).fetchall()
            prev, expected = GENESIS, 1
            replica = sqlite3.connect(":memory:", isolation_level=None)
            try:
                migrate(replica, 0)
                for seq, kind, text, prev_hash, digest in rows:
                    fault = _check(seq, kind, text, prev_hash, digest, prev, expected)
                    if fault is not None:
                        return fault
                    try:
                        _apply(replica, seq, kind, json.loads(text))
                    except (KeyError, TypeError, sqlite3.Error, LedgerError) as exc:
                        why = f"{type(exc).__name__}: {exc}"
                        return LedgerFault(
                            seq, kind, f"edited: its body cannot be replayed ({why})"
                        )
                    prev, expected = digest, expected + 1
                head_seq, head_hash = self.head()
                last = expected - 1
                if head_seq > last and head_hash != prev:
                    return LedgerFault(
                        expected,
                        None,
                        f"missing: the ledger head is record {head_seq} but the chain ends at "
                        f"record {last} (records deleted from the end)",
                    )
                if (head_seq, head_hash) != (last, prev):
                    # Nothing missing: the head kept in meta was edited (or records were
                    # added behind qfund's back); either way it no longer names the last record.
                    return LedgerFault(
                        None,
                        "head",
                        f"edited: the stored head (meta: record {head_seq}, hash "
                        f"{head_hash[:16]}) does not match the last record (record {last}, "
                        f"hash {prev[:16]})",
                    )
                return _compare_index(_index_rows(replica), _index_rows(self._conn))
            finally:
                replica.close()


#: Where an award not held for an objection stands, for `release` (revoked: revocation()).
_NOT_HELD = {"paid": "its award was paid", "deferred": "its award is owed (deferred)"}


def _not_held(year: int, outcome: str, status: str | None) -> str:
    """Why a claim, neither held nor revoked, has no objection to resolve, in plain words:
    its round granted it no award (its outcome), or its award was paid or is owed."""
    if status is None:
        why = outcome if outcome != "awarded" else "nothing allocated"
        return f"round {year} granted it no award ({why})"
    return _NOT_HELD.get(status, f"its award is {status}")


def _date_or_none(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


def _as_recorded(year: int, stored: Mapping[str, Any], ours: Mapping[str, JSONValue]) -> None:
    """Refuse to answer "already recorded" for a round the ledger records otherwise.

    ``stored`` is the body of the round's record, ``ours`` the one the round would write:
    a round computed before another process recorded its year differently is not in the
    ledger, and must not be reported as if it were.
    """
    theirs_batch, our_batch = (
        str(stored.get("batch_sha256") or ""),
        str(ours.get("batch_sha256") or ""),
    )
    if theirs_batch and our_batch and theirs_batch != our_batch:
        raise LedgerError(
            f"round {year} is already in the ledger from another batch with the same claim ids "
            f"(batch sha256 {theirs_batch[:16]}, this round's {our_batch[:16]}): a committed "
            "round cannot be changed"
        )
    rules = ours["rules"]
    theirs_rules = str(stored["rules"].get("sha256", ""))
    our_rules = str(rules.get("sha256", "")) if isinstance(rules, Mapping) else ""
    if theirs_rules != our_rules:
        raise LedgerError(
            f"round {year} is already in the ledger under other rules (rules sha256 "
            f"{theirs_rules[:16]}, this round's {our_rules[:16]}): a committed round cannot be "
            "changed"
        )
    if stored["summary"] != ours["summary"]:
        raise LedgerError(
            f"round {year} is already in the ledger with another summary (budget, publicity "
            "or amounts) than this round, computed before it was recorded: a committed round "
            "cannot be changed; run the round again to see it as recorded"
        )


def _check_path(path: Path, *, must_exist: bool) -> None:
    """Refuse a path no file can have, a directory, and a missing file when the ledger may
    not create it. Each is named escaped (``'a\\x00b'``) when it holds a character that is
    not printable."""
    shown = shown_path(path)
    # Before the file system is asked: a NUL would be the OS layer's bare ValueError (and
    # "no such ledger file" from exists()), an unpaired surrogate sqlite3's UnicodeError.
    unusable = unusable_path(path)
    if unusable is not None:
        raise LedgerError(f"{shown}: cannot open the ledger: {unusable}")
    if path.is_dir():
        raise LedgerError(f"{shown}: is a directory, not a ledger file")
    if must_exist and not path.exists():
        raise LedgerError(f"{shown}: no such ledger file")
    if must_exist and not path.is_file():
        raise LedgerError(f"{shown}: not a regular file, so not a ledger file")


def _rolled_back_copy(path: Path) -> sqlite3.Connection:
    """The file as it is once its hot journal is rolled back, in memory; ``path`` untouched."""
    path = path.resolve()  # SQLite keeps the journal beside the file a symlink points to
    journal = path.with_name(path.name + "-journal")

    def stamp() -> tuple[tuple[int, int], ...]:
        return tuple((s.st_size, s.st_mtime_ns) for s in (path.stat(), journal.stat()))

    with tempfile.TemporaryDirectory(prefix="qfund-ledger-") as tmp:
        copy = Path(tmp) / "ledger.db"
        try:
            before = stamp()
            shutil.copyfile(path, copy)
            shutil.copyfile(journal, copy.with_name("ledger.db-journal"))
            torn = stamp() != before
        except OSError:
            torn = True
        if torn:  # a writer was rolling it back meanwhile: the file is readable again
            raise LedgerError(
                f"{shown_path(path)}: the ledger changed while it was read; run again"
            )
        source = sqlite3.connect(copy, isolation_level=None)
        memory = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        try:
            source.backup(memory)  # SQLite rolls the copy's journal back on this first read
        except BaseException:
            memory.close()
            raise
        finally:
            source.close()
    return memory


def _compare_index(
    replayed: Mapping[str, list[tuple[Any, ...]]], stored: Mapping[str, list[tuple[Any, ...]]]
) -> LedgerFault | None:
    """The first index row that is not what replaying the chain gives (edited outside)."""
    for table, rows in replayed.items():
        theirs = stored[table]
        for i in range(max(len(rows), len(theirs))):
            want = rows[i] if i < len(rows) else None
            got = theirs[i] if i < len(theirs) else None
            if want != got:
                key = (want or got or ())[:2]
                return LedgerFault(
                    None,
                    "index",
                    f"edited: index table {table}, row {key}, disagrees with the chain "
                    f"(chain gives {want}, file holds {got})",
                )
    return None


def _check(
    seq: int, kind: str, text: str, prev_hash: str, digest: str, prev: str, expected: int
) -> LedgerFault | None:
    """One record against the chain so far."""
    if seq != expected:
        return LedgerFault(expected, None, f"missing: record {expected} was deleted")
    try:
        body = json.loads(text)
    except ValueError:
        return LedgerFault(seq, kind, "edited: its body is not JSON")
    if not isinstance(body, dict):
        return LedgerFault(seq, kind, "edited: its body is not a JSON object")
    if _digest(prev_hash, text) != digest:
        return LedgerFault(seq, kind, "edited: its content does not match its hash")
    if body.get("seq") != seq:
        return LedgerFault(seq, kind, f"reordered: position {seq} holds record {body.get('seq')}")
    if body.get("kind") != kind:
        return LedgerFault(seq, kind, f"edited: its kind column says {kind!r}, its body not")
    if prev_hash != prev:
        return LedgerFault(
            seq - 1,
            None,
            f"edited: record {seq} no longer links to record {seq - 1} "
            "(record rewritten with a new hash, or the chain reordered)",
        )
    return None


class MemoryLedger(SqliteLedger):
    """A ledger held in memory, same interface: for library users, what-if runs and tests."""

    def __init__(self) -> None:
        super().__init__(":memory:")
