"""Every field rule gives a clear Dutch message (pure tests, no database)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.errors import ValidationError
from app.models import Variant
from app.services import validation


@pytest.mark.parametrize(
    ("value", "expected"),
    [("NL91ABNA0417164300", "NL91ABNA0417164300"),
     ("nl91 abna 0417 1643 00", "NL91ABNA0417164300")],
)
def test_valid_iban_is_normalised(value, expected):
    assert validation.iban(value) == expected


@pytest.mark.parametrize("value", ["NL91ABNA0417164301", "NL91", "hallo", ""])
def test_invalid_iban_is_refused(value):
    with pytest.raises(ValidationError, match="Ongeldig IBAN"):
        validation.iban(value)


def test_bsn_passes_the_eleven_test_and_keeps_leading_zeros():
    assert validation.bsn("111222333") == "111222333"
    assert validation.bsn("010000008") == "010000008"
    assert validation.bsn(10000008) == "010000008"  # a spreadsheet number without its zero
    assert validation.bsn("1112.22.333") == "111222333"


@pytest.mark.parametrize("value", ["123456789", "111222334", "12345", "abcdefghi"])
def test_bsn_failing_the_eleven_test_is_refused_without_showing_it_whole(value):
    with pytest.raises(ValidationError, match="11-proef") as caught:
        validation.bsn(value)
    assert value not in str(caught.value)


@pytest.mark.parametrize(("value", "expected"), [("1234ab", "1234 AB"), ("3511 AX", "3511 AX")])
def test_postcode_is_normalised(value, expected):
    assert validation.postcode(value) == expected


@pytest.mark.parametrize("value", ["0123 AB", "1234 SA", "12345", "ABCD 12"])
def test_invalid_postcode_is_refused(value):
    with pytest.raises(ValidationError, match="postcode"):
        validation.postcode(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("12", (12, None)), ("12A", (12, "A")), ("12-2", (12, "2")), ("101 bis", (101, "BIS")),
     (7.0, (7, None))],
)
def test_house_number_and_suffix(value, expected):
    assert validation.house_number(value) == expected


@pytest.mark.parametrize("value", ["", "A12", "0", "twaalf"])
def test_invalid_house_number(value):
    with pytest.raises(ValidationError, match="huisnummer"):
        validation.house_number(value)


@pytest.mark.parametrize(
    ("value", "cents"),
    [("1.234,56", 123456), ("1234.56", 123456), ("812,40", 81240), (1500, 150000),
     (1500.0, 150000), (457.34, 45734), (Decimal("0.01"), 1), ("€ 12,50", 1250),
     ("1,234.56", 123456)],
)
def test_amounts_become_exact_cents(value, cents):
    assert validation.cents(value) == cents


@pytest.mark.parametrize("value", ["12,345", "abc", -5, "0", 1.005, True])
def test_bad_amounts_are_refused(value):
    with pytest.raises(ValidationError, match="bedrag"):
        validation.cents(value)


def test_dates_in_iso_and_dutch_notation():
    assert validation.day_of("2026-01-31", "datum") == date(2026, 1, 31)
    assert validation.day_of("31-01-2026", "datum") == date(2026, 1, 31)
    with pytest.raises(ValidationError, match="dd-mm-jjjj"):
        validation.day_of("31-02-2026", "startdatum")


def test_agreement_ending_before_it_starts_is_refused():
    validation.period(date(2026, 1, 1), date(2026, 1, 1))
    with pytest.raises(ValidationError, match="vóór de startdatum"):
        validation.period(date(2026, 2, 1), date(2026, 1, 31))


def test_choice_is_lenient_about_case_and_underscores_but_names_the_options():
    assert validation.choice("Alleen inkomsten", Variant, "variant") is Variant.INCOME_ONLY
    with pytest.raises(ValidationError, match="volledig | alleen_inkomsten"):
        validation.choice("half", Variant, "variant")


@pytest.mark.parametrize("value", ["jan@example", "geen", "a b@c.nl"])
def test_invalid_email(value):
    with pytest.raises(ValidationError, match="e-mailadres"):
        validation.email(value)


def test_kvk_has_eight_digits():
    assert validation.kvk("3318 2365") == "33182365"
    with pytest.raises(ValidationError, match="KvK"):
        validation.kvk("123456789")
