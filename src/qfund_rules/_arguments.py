"""Checks of the arguments library callers pass to the public functions.

A value of the wrong type is refused at the call, naming the function, the parameter, what
was expected (with how to get one) and the value given. The caller's error class is passed
in: ``RoundError`` for ``run_round`` and ``LedgerError`` for the ledger's writes, which
the docs promise; Python's ``TypeError`` for the loaders, the report and the diff, as
``evaluate`` raises. Left unchecked, a float or a bool budget would be written into the
hash chain for good, and a dict or a date given as text would fail deep inside, far from
its cause, as an ``AttributeError``.
"""

from __future__ import annotations

import datetime as dt

from ._excerpt import echo
from .money import MAX_WAN, YUAN_PER_WAN

__all__ = [
    "A_BATCH",
    "A_HISTORY",
    "A_LIMITS",
    "A_RULESET",
    "MAX_YUAN",
    "check_callable",
    "check_count",
    "check_date",
    "check_lang",
    "check_type",
    "check_year",
    "check_yuan",
    "given",
]

#: Amounts stay below this many yuan (:data:`~qfund_rules.money.MAX_WAN` 万元).
MAX_YUAN = MAX_WAN * YUAN_PER_WAN

# What the public functions take, and how to get one: the ``what`` of check_type.
A_RULESET = "a RuleSet (q.load_rules())"
A_BATCH = "a Batch (rules.load_batch(path) or rules.batch_from_data(data))"
A_HISTORY = "a History (q.NO_HISTORY, a StaticHistory or a ledger)"
A_LIMITS = "a Limits (q.Limits(max_bytes=...); leave it out for the defaults)"


def given(value: object) -> str:
    """The refused value with its type: ``float 3000000.7``, ``str '2027-05-06'``."""
    kind = type(value)
    name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
    return f"{name} {echo(value)}"


def check_type(
    error: type[Exception],
    where: str,
    name: str,
    value: object,
    kind: type | tuple[type, ...],
    what: str,
) -> None:
    """Refuse ``value`` unless it is an instance of ``kind`` (described as ``what``)."""
    if not isinstance(value, kind):
        raise error(f"{where}: {name} must be {what}, not {given(value)}")


def check_lang(where: str, lang: object) -> None:
    """Refuse a language other than the two every message is written in (ValueError)."""
    if lang not in ("zh", "en"):
        raise ValueError(f"{where}: lang must be 'zh' or 'en', not {echo(lang)}")


def check_callable(error: type[Exception], where: str, name: str, value: object) -> None:
    """Refuse ``value`` unless it can be called."""
    if not callable(value):
        raise error(f"{where}: {name} must be a callable, not {given(value)}")


def check_yuan(
    error: type[Exception],
    where: str,
    name: str,
    value: object,
    *,
    range_error: type[Exception] | None = None,
) -> int:
    """An amount of money: integer yuan, never a float or a bool (rulings R1), not negative.

    ``range_error`` (default: ``error``) is raised for an int out of range.
    """
    # True is an int to Python, not an amount to the fund.
    if isinstance(value, bool) or not isinstance(value, int):
        raise error(
            f"{where}: {name} must be a whole number of yuan (an int: 3_000_000 for "
            f"300 万元), not {given(value)}"
        )
    if value < 0:
        raise (range_error or error)(f"{where}: {name} cannot be negative: {echo(value)} yuan")
    if value >= MAX_YUAN:
        raise (range_error or error)(
            f"{where}: {name} {echo(value)} yuan is too large: amounts must be below {MAX_WAN} 万元"
        )
    return value


def check_date(error: type[Exception], where: str, name: str, value: object) -> dt.date:
    """A calendar day: a ``datetime.date``, not its ``datetime`` subclass.

    A ``datetime`` would print and be recorded as ``2027-06-01T00:00:00`` and cannot be
    compared with the batch's dates: the caller says which day it means with ``.date()``.
    """
    if isinstance(value, dt.datetime):
        raise error(
            f"{where}: {name} must be a datetime.date, not a datetime.datetime ({value}); "
            "pass its .date()"
        )
    if not isinstance(value, dt.date):
        raise error(f"{where}: {name} must be a datetime.date, not {given(value)}")
    return value


def check_year(
    error: type[Exception],
    where: str,
    name: str,
    value: object,
    *,
    range_error: type[Exception] | None = None,
) -> int:
    """A round year: an ``int`` from 1 to 9999, the years a date can hold.

    ``range_error`` (default: ``error``) is raised for an int out of range.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        refused = error
    elif dt.MINYEAR <= value <= dt.MAXYEAR:
        return value
    else:
        refused = range_error or error
    raise refused(
        f"{where}: {name} must be a year from {dt.MINYEAR} to {dt.MAXYEAR} (an int), "
        f"not {given(value)}"
    )


def check_count(error: type[Exception], where: str, name: str, value: object, unit: str) -> int:
    """A length such as a ban's years: an ``int`` of at least 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise error(
            f"{where}: {name} must be a whole number of {unit}, at least 1 (an int), "
            f"not {given(value)}"
        )
    return value
