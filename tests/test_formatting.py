"""Money and dates as a Dutch clerk reads them."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency
from hypothesis import given
from hypothesis import strategies as st

from app.formatting import decimal_text, euro


@given(st.integers(min_value=-10**13, max_value=10**13))
def test_euro_reads_as_babel_writes_dutch_euros(cents):
    expected = format_currency(Decimal(cents).scaleb(-2), "EUR", locale="nl_NL")
    assert euro(cents) == expected.replace("\xa0", " ")


def test_euro_examples():
    assert euro(123456) == "€ 1.234,56"
    assert euro(-4241) == "€ -42,41"
    assert euro(0) == "€ 0,00"
    assert decimal_text(-4241) == "-42.41"
    assert decimal_text(123456, plus=True) == "+1234.56"
