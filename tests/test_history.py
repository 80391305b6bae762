"""Tests for the history records a caller builds: what is refused, and in what words.

A ``PriorAward`` or ``BanRecord`` reaches the decisions' amounts and their JSON: a float
or a negative amount, a text or a ``datetime`` for a day, is refused when the record is
made, naming the field and the value, and never found later as a wrong top-up or a
``TypeError`` from deep inside the engine.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import re
from typing import Any

import pytest

import qfund_rules as q
from qfund_rules.history import BanRecord, PriorAward, applicant_key

from .conftest import EXAMPLES_DIR, last_submitted

DAY, LATER = dt.date(2026, 1, 1), dt.date(2029, 1, 1)

#: PriorAward("K2026-7", "a11.2.nominee", 150_000, 2026) with one field changed.
BAD_AWARDS = [
    ("amount_yuan", 150_000.0, TypeError, "amount_yuan must be a whole number of yuan"),
    ("amount_yuan", 150_000.5, TypeError, "not float 150000.5"),
    ("amount_yuan", "150000", TypeError, "not str '150000'"),
    ("amount_yuan", decimal.Decimal(150_000), TypeError, "not decimal.Decimal"),
    ("amount_yuan", True, TypeError, "not bool True"),
    ("amount_yuan", -100, ValueError, "amount_yuan cannot be negative: -100 yuan"),
    ("amount_yuan", 10**16, ValueError, "amount_yuan 10000000000000000 yuan is too large"),
    ("year", 0, ValueError, "year must be a year from 1 to 9999 (an int), not int 0"),
    ("year", "2026", TypeError, "year must be a year from 1 to 9999 (an int), not str '2026'"),
    ("year", 2026.0, TypeError, "not float 2026.0"),
    ("claim_id", "", ValueError, "claim_id must not be empty"),
    ("claim_id", 7, TypeError, "claim_id must be a str, not int 7"),
    ("item", None, TypeError, "item must be a str, not NoneType None"),
]


@pytest.mark.parametrize(("field", "value", "error", "message"), BAD_AWARDS)
def test_a_prior_award_refuses_a_wrong_field(
    field: str, value: object, error: type[Exception], message: str
) -> None:
    """A wrong type is a TypeError and a wrong value a ValueError, naming field and value."""
    fields: dict[str, Any] = {
        "claim_id": "K2026-7",
        "item": "a11.2.nominee",
        "amount_yuan": 150_000,
        "year": 2026,
        field: value,
    }
    with pytest.raises(error, match=re.escape(message)) as info:
        PriorAward(**fields)
    assert str(info.value).startswith(f"PriorAward: {field} ")


BAD_BANS = [
    ("found_on", dt.datetime(2026, 1, 1, 12), TypeError, "found_on must be a datetime.date, not"),
    ("until", "2029-01-01", TypeError, "until must be a datetime.date, not str '2029-01-01'"),
    ("until", DAY, ValueError, "until (2026-01-01) must be after found_on (2026-01-01)"),
    ("until", dt.date(2025, 1, 1), ValueError, "until (2025-01-01) must be after found_on"),
    ("claim_id", None, TypeError, "claim_id must be a str, not NoneType None"),
    ("claim_id", "", ValueError, "claim_id must not be empty"),
]


@pytest.mark.parametrize(("field", "value", "error", "message"), BAD_BANS)
def test_a_ban_record_refuses_a_wrong_field(
    field: str, value: object, error: type[Exception], message: str
) -> None:
    """A datetime or a text for a day is a TypeError; a ban covering no day a ValueError."""
    fields: dict[str, Any] = {"claim_id": "X", "found_on": DAY, "until": LATER, field: value}
    with pytest.raises(error, match=re.escape(message)) as info:
        BanRecord(**fields)
    assert str(info.value).startswith(f"BanRecord: {field} ")


def test_records_as_the_ledger_builds_them_are_taken() -> None:
    """Plain ints, strs and dates pass, an award of 0 yuan and a one-day ban included."""
    assert PriorAward("K", "a9.1", 0, 1).amount_yuan == 0
    assert BanRecord("X", DAY, DAY + dt.timedelta(days=1)).until == dt.date(2026, 1, 2)


def test_the_ledgers_own_records_pass_the_checks(rules: q.RuleSet) -> None:
    """The records the ledger builds from its rows are taken: a committed round's awards
    are read back (the batch again is refused as already awarded, but for the revoked
    claim), and a fraud finding's ban with its dates."""
    batch = rules.load_batch(EXAMPLES_DIR / "claims-2027.yaml")
    awarded = [d for d in q.evaluate(rules, batch).decisions if d.outcome == "awarded"]
    fraud = awarded[0]
    with q.SqliteLedger(":memory:") as ledger:
        start = last_submitted(batch)
        assert q.run_round(rules, batch, ledger, publicity_start=start).commit(ledger)
        ledger.fraud(fraud.claim_id, dt.date(2027, 9, 1), 3)
        a = next(a for a in batch.applicants if a.id == fraud.applicant_id)
        bans = ledger.bans(applicant_key(a.id, a.uscc))
        again = q.evaluate(rules, batch, ledger)
    assert [BanRecord(fraud.claim_id, dt.date(2027, 9, 1), dt.date(2030, 9, 1))] == list(bans)
    refused = [
        d.claim_id for d in awarded if "already_awarded" in again.decision(d.claim_id).reasons
    ]
    assert [d.claim_id for d in awarded[1:]] == refused


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            {"awards": [1, 2]},
            "StaticHistory: awards must be a mapping {(applicant key, family, subject): "
            "[PriorAward, ...]} or None, not list [1, 2]",
        ),
        ({"bans": []}, "StaticHistory: bans must be a mapping {applicant key: [BanRecord, ...]}"),
        (
            {"awards": {("K", "a11.2", ""): PriorAward("K", "a11.2.nominee", 1, 2026)}},
            "StaticHistory: awards[('K', 'a11.2', '')] must be a list of PriorAward, not a "
            "single one: write [PriorAward(...)]",
        ),
        (
            {"awards": {("K", "a11.2", ""): [("K", "a11.2.nominee", 1, 2026)]}},
            "StaticHistory: awards[('K', 'a11.2', '')][0] must be a PriorAward, not tuple",
        ),
        (
            {"awards": {("K", "a11.2", None): []}},
            "each key of awards must be a tuple (applicant key, family, subject) of three str",
        ),
        ({"bans": {"K": [1]}}, "StaticHistory: bans['K'][0] must be a BanRecord, not int 1"),
        ({"bans": {1: []}}, "each key of bans must be an applicant key (a str, "),
    ],
)
def test_a_static_history_of_the_wrong_shape_is_a_type_error(
    arguments: dict[str, Any], message: str
) -> None:
    """A list for a mapping, one record for a list of them, a key of other parts: each is a
    TypeError naming the argument, not an AttributeError at the first look-up."""
    with pytest.raises(TypeError, match=re.escape(message)):
        q.StaticHistory(**arguments)


def test_a_negative_prior_award_never_tops_up_past_the_item(rules: q.RuleSet) -> None:
    """The review's case: -100 yuan paid before topped the 300 000 winner prize up to
    300 100; it is refused where it is written, and the JSON keeps integer yuan."""
    with pytest.raises(ValueError, match="amount_yuan cannot be negative"):
        PriorAward("K2026-7", "a11.2.nominee", -100, 2026)
    batch = rules.load_batch(EXAMPLES_DIR / "claims-2027.yaml")
    k05 = next(c for c in batch.claims if c.id == "K05")
    a01 = next(a for a in batch.applicants if a.id == k05.applicant)
    family = rules.by_id["a11.2.winner"].item.family
    key = (applicant_key(a01.id, a01.uscc), family, k05.subject or "")
    history = q.StaticHistory({key: [PriorAward("K2026-7", "a11.2.nominee", 150_000, 2026)]})
    decision = json.loads(q.evaluate(rules, batch, history).to_json())["decisions"]
    assert [d["amount_yuan"] for d in decision if d["claim_id"] == "K05"] == [150_000]
