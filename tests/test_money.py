"""Amounts in 万元 to integer yuan (money.py): what a refusal quotes of the amount."""

from __future__ import annotations

from decimal import Decimal

import pytest

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
