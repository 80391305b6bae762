"""Money: amounts are written in 万元 in the rule files and held as integer yuan (rulings R1).

No binary float ever holds an amount: the YAML reader turns decimal literals into
:class:`~decimal.Decimal`, and the conversion below is exact or refused.
"""

from __future__ import annotations

from decimal import Decimal

from ._excerpt import echo, excerpt

__all__ = ["MAX_WAN", "WAN_DECIMALS", "YUAN_PER_WAN", "format_wan", "wan_to_yuan"]

YUAN_PER_WAN = 10_000
_YUAN_EXPONENT = len(str(YUAN_PER_WAN)) - 1  # 10**4
#: An amount in 万元 has at most this many decimals: its smallest step is 0.01 万元, 100 yuan.
WAN_DECIMALS = 2
# Amounts stay below 10**12 万元 (10**16 yuan): far beyond any budget, and at most 14
# digits with two decimals.
_MAX_WAN_DIGITS = 12
MAX_WAN = 10**_MAX_WAN_DIGITS


def wan_to_yuan(wan: int | Decimal) -> int:
    """Convert an amount in 万元 (at most two decimals) to integer yuan, exactly.

    Raises ``ValueError`` for booleans, non-finite values or more than two decimals.
    """
    if isinstance(wan, bool) or not isinstance(wan, int | Decimal):
        raise ValueError(f"expected a number of 万元, got {type(wan).__name__}")
    if isinstance(wan, int):
        if abs(wan) >= MAX_WAN:
            raise ValueError(_out_of_range(wan))
        return wan * YUAN_PER_WAN
    if not wan.is_finite():
        raise ValueError(f"{_written(wan)} is not a finite number of 万元")
    # adjusted() reads the exponent without arithmetic, which 1E+999999999 would overflow.
    if wan.adjusted() >= _MAX_WAN_DIGITS:
        raise ValueError(_out_of_range(wan))
    sign, digits, exponent = _significant(wan)
    if exponent < -WAN_DECIMALS:
        raise ValueError(
            f"{_written(wan)} 万元 has more than two decimals (the smallest step is 0.01 万元 = "
            "100 yuan)"
        )
    # Whole numbers from here: below 10**12 with two decimals, at most 14 digits.
    scale: int = 10 ** (exponent + _YUAN_EXPONENT)  # exponent >= -2: a whole power
    yuan = int("".join(map(str, digits))) * scale
    return -yuan if sign else yuan


def _significant(wan: Decimal) -> tuple[int, tuple[int, ...], int]:
    """``wan`` (finite) as sign, digits and exponent with its trailing zeros dropped, read
    from its digits alone: no Decimal arithmetic, so no context's precision rounds it.

    ``normalize()`` rounds to the context's 28 digits first: it made
    20.00000000000000000000000000001 exactly 20, and ``wan * 10000`` under a caller's
    ``localcontext(prec=5)`` made 99999999.99 万元 a round 10**12 yuan.
    """
    sign, digits, exponent = wan.as_tuple()
    assert isinstance(exponent, int)  # finite, checked by the caller
    if not any(digits):
        return 0, (0,), 0  # zero, however many zeros it is written with
    kept = len(bytes(digits).rstrip(b"\0"))
    return sign, digits[:kept], exponent + len(digits) - kept


def _out_of_range(wan: int | Decimal) -> str:
    return f"{_written(wan)} 万元 is too large: amounts must be below {MAX_WAN} 万元"


def _written(wan: int | Decimal) -> str:
    """The amount as a message quotes it: as written, a long one cut (:mod:`._excerpt`)."""
    return echo(wan) if isinstance(wan, int) else excerpt(str(wan))


def format_wan(yuan: int) -> str:
    """Render integer yuan as 万元 for people: 200000 -> '20', 25000 -> '2.5'."""
    sign = "-" if yuan < 0 else ""
    whole, rest = divmod(abs(yuan), YUAN_PER_WAN)
    if not rest:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{rest:04d}".rstrip("0")
