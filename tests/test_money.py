"""Amounts in 万元 to integer yuan (money.py): what a refusal quotes of the amount."""

from __future__ import annotations

from decimal import Context, Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qfund_rules.money import wan_to_yuan


@pytest.mark.parametrize(
    ("wan", "quoted"),
    [
        (Decimal("9" * 5000), f"{'9' * 40}... (5000 characters)"),
        (10**5000, "a whole number of more than 4300 digits"),
    ],
    ids=["long decimal", "int past str"],
)
def test_a_long_amount_is_quoted_as_a_marked_excerpt(wan: int | Decimal, quoted: str) -> None:
    """An amount of thousands of digits is quoted by its start, marked as cut (it was
    quoted whole, or, past Python's digit limit, raised int's own error)."""
    with pytest.raises(ValueError, match="万元 is too large") as refused:
        wan_to_yuan(wan)
    assert str(refused.value) == (
        f"{quoted} 万元 is too large: amounts must be below 1000000000000 万元"
    )


@pytest.mark.parametrize(
    "written",
    ["20.00000000000000000000000000001", "0.000000000000000000000000000000001", "1.255"],
)
def test_a_third_decimal_is_refused_however_far_out(written: str) -> None:
    """A nonzero digit past the second decimal is refused, even past Decimal's 28 digits
    (normalize() rounded 20.00000000000000000000000000001 to 20, paid as 200,000 yuan)."""
    with pytest.raises(ValueError, match="has more than two decimals"):
        wan_to_yuan(Decimal(written))


@given(
    cents=st.integers(-(10**14) + 1, 10**14 - 1),
    zeros=st.integers(0, 60),
    extra=st.one_of(st.none(), st.integers(3, 60)),
)
def test_yuan_are_exact_or_refused(cents: int, zeros: int, extra: int | None) -> None:
    """Invariant: an amount of whole cents of 万元, written with any number of trailing zeros,
    is exactly cents x 100 yuan; the same amount plus one unit in any later decimal place is
    refused."""
    wan = Decimal(cents).scaleb(-2) if not zeros else Decimal(f"{cents * 10**zeros}E-{2 + zeros}")
    if extra is None:
        assert wan_to_yuan(wan) == cents * 100
    else:
        nudged = Decimal(f"{cents * 10 ** (extra - 2) + 1}E-{extra}")
        with pytest.raises(ValueError, match="has more than two decimals"):
            wan_to_yuan(nudged)


@pytest.mark.parametrize(
    "written", ["0", "0.00", "0E-40", "-0.000", "20.000000000000000000000000000000"]
)
def test_zeros_written_long_are_exact(written: str) -> None:
    assert wan_to_yuan(Decimal(written)) == int(Decimal(written)) * 10_000


def test_a_callers_decimal_context_does_not_round_an_amount() -> None:
    """The conversion does no Decimal arithmetic: under a caller's 5-digit context,
    99999999.99 万元 is still 999,999,999,900 yuan (it became a round 10**12)."""
    with localcontext(Context(prec=5)):
        assert wan_to_yuan(Decimal("99999999.99")) == 999_999_999_900
        assert wan_to_yuan(Decimal("-0.05")) == -500
