"""The signal rules on plain facts (app.signal_rules, no database): each rule with its
boundaries — a payment one day inside and one day outside the margin, a saldo exactly at minus
the buffer, the first period after the first statement, nothing before it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from app.signal_rules import (
    AMOUNT_OFF,
    BUFFER_EXCEEDED,
    DUPLICATE,
    EMPLOYER_NOT_PAYING,
    PAYMENT_MISSING,
    PROGRESS_TALK_DUE,
    SALDO_FORECAST,
    SALDO_NEGATIVE,
    SHORTFALL,
    AgreementFacts,
    BookedPayment,
    Coverage,
    ParticipantFacts,
    QueuedPayment,
    Thresholds,
    evaluate,
)

RENT = AgreementFacts(1, "huur – Woonstad", income=False, category="huur",
                      category_kind="vaste_last", frequency="maand", day=1,
                      valid_from=date(2026, 1, 1), valid_through=None, amount_cents=800_00)
BENEFIT = AgreementFacts(2, "uitkering – UWV", income=True, category="uitkering",
                         category_kind="inkomen", frequency="maand", day=23,
                         valid_from=date(2026, 1, 1), valid_through=None, amount_cents=1_200_00)
SALARY = replace(BENEFIT, id=3, label="salaris – Randstad", category="salaris")
WEEKLY = AgreementFacts(4, "leefgeld", income=False, category="leefgeld",
                        category_kind="leefgeld", frequency="week", day=1,
                        valid_from=date(2026, 1, 5), valid_through=None, amount_cents=60_00)
# Coverage of January and February; judged the day after.
JAN_FEB = Coverage(date(2026, 1, 1), date(2026, 2, 28))
MARCH_1 = date(2026, 3, 1)
# So that the benefit of 23 February (margin to 2 March) is judged too.
TO_MID_MARCH = Coverage(date(2026, 1, 1), date(2026, 3, 15))
MID_MARCH = date(2026, 3, 16)


def person(*agreements: AgreementFacts, payments=(), moves=(), status="actief",
           buffer=10_000_00, talk=None, queued=()) -> ParticipantFacts:
    """A participant; without ``moves`` the saldo is zero (and the default buffer wide), so
    the payment rules can be looked at on their own."""
    return ParticipantFacts(1, status, buffer, talk, tuple(agreements), tuple(payments),
                            tuple(moves), tuple(queued))


def paid(agreement: AgreementFacts, day: date, cents: int | None = None) -> BookedPayment:
    return BookedPayment(agreement.id, day, agreement.signed_cents if cents is None else cents)


def kinds(findings) -> list[tuple[str, date | None]]:
    return sorted((f.kind, f.expected_date) for f in findings)


DEFAULTS = Thresholds()


def run(facts, coverage=JAN_FEB, on=MARCH_1, thresholds=DEFAULTS):
    return evaluate(facts, coverage, on, thresholds)


# -- betaling ontbreekt: the margin, the coverage ------------------------------------------------


def test_a_payment_on_the_last_day_of_the_margin_counts_and_one_day_later_does_not():
    january = paid(RENT, date(2026, 1, 2))
    # Rent due 1 February, margin 7 days; the statements reach 8 February, today is the 9th.
    through_8th, on_9th = Coverage(date(2026, 1, 1), date(2026, 2, 8)), date(2026, 2, 9)
    inside = person(RENT, payments=[january, paid(RENT, date(2026, 2, 8))])
    assert run(inside, through_8th, on_9th) == []
    # Paid on the 9th, one day outside the margin: not there on the 9th, so missing ...
    (missing,) = run(person(RENT, payments=[january]), through_8th, on_9th)
    assert (missing.kind, missing.expected_date, missing.expected_cents) == \
        (PAYMENT_MISSING, date(2026, 2, 1), 800_00)
    assert missing.agreement_id == RENT.id and "01-02-2026" in missing.message
    # ... until the late payment is booked: then it is February's, not an early March one.
    late = person(RENT, payments=[january, paid(RENT, date(2026, 2, 9)),
                                  paid(RENT, date(2026, 3, 2))])
    assert run(late, TO_MID_MARCH, MID_MARCH) == []


def test_a_period_is_judged_only_once_its_margin_is_over_and_imported():
    january = paid(RENT, date(2026, 1, 2))
    # 8 February is the last day that counts for 1 February: not missing yet on that day.
    assert run(person(RENT, payments=[january]), on=date(2026, 2, 8),
               coverage=Coverage(date(2026, 1, 1), date(2026, 2, 7))) == []
    # The statements reach 8 February: judged the day after.
    assert kinds(run(person(RENT, payments=[january]), on=date(2026, 2, 9),
                     coverage=Coverage(date(2026, 1, 1), date(2026, 2, 8)))) == \
        [(PAYMENT_MISSING, date(2026, 2, 1))]
    # Today is later, but nothing of February imported after the 5th: not judged.
    assert run(person(RENT, payments=[january]), on=date(2026, 3, 20),
               coverage=Coverage(date(2026, 1, 1), date(2026, 2, 5))) == []


def test_no_missing_payment_before_the_first_statement_and_the_first_period_after_it_counts():
    from_february = Coverage(date(2026, 2, 1), date(2026, 2, 28))
    # Nothing booked at all: January was never imported, so only February is missing.
    assert kinds(run(person(RENT), coverage=from_february)) == \
        [(PAYMENT_MISSING, date(2026, 2, 1))]
    # A first statement from the 2nd: the rent of the 1st may have gone before it.
    assert run(person(RENT), coverage=Coverage(date(2026, 2, 2), date(2026, 2, 28))) == []
    # No statements at all: no payment signals.
    assert run(person(RENT), coverage=None) == []


def test_an_agreement_may_have_its_own_margin_and_the_settings_change_the_default():
    # Rent paid on 12 February; looked at on the 10th (statements through the 9th).
    facts = person(RENT, payments=[paid(RENT, date(2026, 1, 2))])
    through_9th, on_10th = Coverage(date(2026, 1, 1), date(2026, 2, 9)), date(2026, 2, 10)
    assert kinds(run(facts, through_9th, on_10th)) == [(PAYMENT_MISSING, date(2026, 2, 1))]
    own = replace(facts, agreements=(replace(RENT, margin_days=14),))
    assert run(own, through_9th, on_10th) == []
    wide = Thresholds(margin_days={"maand": 14})
    assert run(facts, through_9th, on_10th, thresholds=wide) == []
    assert kinds(run(facts, through_9th, on_10th, thresholds=Thresholds(
        margin_days={"week": 14}))) == [(PAYMENT_MISSING, date(2026, 2, 1))]


def test_a_payment_waiting_in_the_queue_with_this_agreement_is_not_missing():
    waiting = QueuedPayment(77, date(2026, 2, 3), -800_00, frozenset({RENT.id, 9}))
    facts = person(RENT, payments=[paid(RENT, date(2026, 1, 2))], queued=[waiting])
    (finding,) = run(facts)
    assert finding.kind == PAYMENT_MISSING and finding.transaction_id == 77
    assert "wacht in de wachtrij" in finding.message
    # A queued payment for another agreement, or in the other direction, does not count.
    other = QueuedPayment(78, date(2026, 2, 3), -800_00, frozenset({9}))
    refund = QueuedPayment(79, date(2026, 2, 3), 800_00, frozenset({RENT.id}))
    (finding,) = run(replace(facts, queued=(other, refund)))
    assert finding.transaction_id is None and "niet binnengekomen" in finding.message
    # Missing since January: the payment in the queue is March's, not January's.
    march = QueuedPayment(80, date(2026, 3, 2), -800_00, frozenset({RENT.id}))
    found = run(person(RENT, queued=[march]), TO_MID_MARCH, MID_MARCH)
    assert sorted((f.expected_date, f.transaction_id) for f in found) == [
        (date(2026, 1, 1), None), (date(2026, 2, 1), None), (date(2026, 3, 1), 80)]


def test_an_ended_agreement_and_an_ended_participant_are_not_expected_to_pay():
    ended = replace(RENT, valid_through=date(2026, 1, 31))
    assert run(person(ended, payments=[paid(RENT, date(2026, 1, 2))])) == []
    assert run(person(RENT, status="beëindigd")) == []


# -- afwijkend bedrag, dubbele betaling -----------------------------------------------------------


def test_an_amount_exactly_at_the_tolerance_is_fine_and_one_cent_more_is_not():
    january = paid(BENEFIT, date(2026, 1, 23))
    ok = person(BENEFIT, payments=[january, paid(BENEFIT, date(2026, 2, 23), 1_320_00)])
    assert run(ok, TO_MID_MARCH, MID_MARCH) == []
    off = person(BENEFIT, payments=[january, paid(BENEFIT, date(2026, 2, 23), 1_320_01)])
    (finding,) = run(off, TO_MID_MARCH, MID_MARCH)
    assert (finding.kind, finding.expected_date, finding.expected_cents, finding.found_cents) \
        == (AMOUNT_OFF, date(2026, 2, 23), 1_200_00, 1_320_01)
    assert "meer" in finding.message
    low = person(BENEFIT, payments=[january, paid(BENEFIT, date(2026, 2, 23), 1_000_00)])
    assert kinds(run(low, TO_MID_MARCH, MID_MARCH)) == [(AMOUNT_OFF, date(2026, 2, 23))]
    # Flex wages: a wide tolerance on the agreement itself.
    flexible = replace(low, agreements=(replace(BENEFIT, tolerance_percent=Decimal(35)),))
    assert run(flexible, TO_MID_MARCH, MID_MARCH) == []
    wider = Thresholds(tolerance_percent=Decimal(20))
    assert run(low, TO_MID_MARCH, MID_MARCH, thresholds=wider) == []


def test_a_reversed_payment_is_a_deviating_amount_that_says_it_was_reversed():
    facts = person(RENT, payments=[paid(RENT, date(2026, 1, 2)), paid(RENT, date(2026, 2, 2)),
                                   paid(RENT, date(2026, 2, 4), 800_00)])
    (finding,) = run(facts)
    assert finding.kind == AMOUNT_OFF and finding.found_cents == 0
    assert "teruggeboekt" in finding.message


def test_two_payments_in_one_period_are_a_double_payment_and_a_split_one_is_not():
    double = person(RENT, payments=[paid(RENT, date(2026, 1, 2)), paid(RENT, date(2026, 2, 2)),
                                    paid(RENT, date(2026, 2, 5))])
    (finding,) = run(double)
    assert (finding.kind, finding.expected_date, finding.found_cents) == \
        (DUPLICATE, date(2026, 2, 1), 1_600_00)
    split = person(RENT, payments=[paid(RENT, date(2026, 1, 2)),
                                   paid(RENT, date(2026, 2, 2), -400_00),
                                   paid(RENT, date(2026, 2, 5), -400_00)])
    assert run(split) == []


def test_a_weekly_agreement_has_weekly_periods():
    mondays = [date(2026, 1, 5) + timedelta(weeks=n) for n in range(8)]  # to 23 February
    every_week = [paid(WEEKLY, day) for day in mondays]
    assert run(person(WEEKLY, payments=every_week)) == []
    # Two in the week of 2 February, none in the week of 9 February (margin 5 days):
    shifted = [*every_week[:5], paid(WEEKLY, date(2026, 2, 3)), *every_week[6:]]
    found = kinds(run(person(WEEKLY, payments=shifted)))
    assert found == [(PAYMENT_MISSING, date(2026, 2, 9)), (DUPLICATE, date(2026, 2, 2))]


# -- werkgever betaalt niet via ons ---------------------------------------------------------------


def test_a_salary_missing_two_periods_in_a_row_says_what_to_check():
    coverage = Coverage(date(2026, 1, 1), date(2026, 3, 31))
    on = date(2026, 4, 1)
    one_missing = person(SALARY, payments=[paid(SALARY, date(2026, 1, 23)),
                                           paid(SALARY, date(2026, 2, 23))])
    assert kinds(run(one_missing, coverage, on)) == [(PAYMENT_MISSING, date(2026, 3, 23))]
    two_missing = person(SALARY, payments=[paid(SALARY, date(2026, 1, 23))])
    (finding,) = run(two_missing, coverage, on)
    assert (finding.kind, finding.expected_date) == (EMPLOYER_NOT_PAYING, date(2026, 3, 23))
    assert "2 perioden op rij" in finding.message and "werkgever" in finding.message
    # A benefit missing twice is two missing payments, not an employer problem.
    assert kinds(run(person(BENEFIT, payments=[paid(BENEFIT, date(2026, 1, 23))]),
                     coverage, on)) == [(PAYMENT_MISSING, date(2026, 2, 23)),
                                        (PAYMENT_MISSING, date(2026, 3, 23))]


# -- the saldo: negatief, tekort, buffer, verwachting --------------------------------------------


def test_a_saldo_negative_for_more_than_three_months_in_a_row():
    moves = [(date(2026, 1, 15), -10_00)]
    facts = person(moves=moves, buffer=100_00)
    assert run(facts, on=date(2026, 4, 15)) == []  # exactly three months
    (finding,) = run(facts, on=date(2026, 4, 16))
    assert (finding.kind, finding.expected_date, finding.found_cents) == \
        (SALDO_NEGATIVE, date(2026, 1, 15), -10_00)
    assert "uitstapcriterium" in finding.message
    # Positive for a day in between: the run starts again.
    back = person(moves=[*moves, (date(2026, 2, 1), 20_00), (date(2026, 2, 2), -20_00)],
                  buffer=100_00)
    assert run(back, on=date(2026, 4, 16)) == []
    assert run(replace(facts, status="aangemeld"), on=date(2026, 4, 16)) == []


def test_a_shortfall_of_two_months_of_fixed_costs():
    at = person(RENT, moves=[(date(2026, 1, 2), -1_600_00)], buffer=5_000_00)
    found = run(at, coverage=None, on=date(2026, 1, 10))
    assert [f.kind for f in found] == [SHORTFALL]
    assert found[0].found_cents == -1_600_00 and found[0].expected_cents == 1_600_00
    below = person(RENT, moves=[(date(2026, 1, 2), -1_599_99)], buffer=5_000_00)
    assert run(below, coverage=None, on=date(2026, 1, 10)) == []


def test_a_saldo_exactly_at_minus_the_buffer_is_within_it_and_a_cent_below_is_not():
    at = person(moves=[(date(2026, 2, 2), -250_00)], buffer=250_00)
    assert run(at, coverage=None, on=date(2026, 2, 10)) == []
    below = person(moves=[(date(2026, 2, 2), -250_01)], buffer=250_00)
    (finding,) = run(below, coverage=None, on=date(2026, 2, 10))
    assert (finding.kind, finding.found_cents, finding.expected_cents) == \
        (BUFFER_EXCEEDED, -250_01, -250_00)
    assert "uitstapcriterium" in finding.message


def test_the_expected_saldo_names_the_day_and_the_payment_that_passes_the_buffer():
    # The benefit came on 23 February; €100 left. Rent of €800 on 20 March, the next benefit
    # only on the 23rd: on the 20th the saldo is €-700, past the buffer of €500.
    rent = replace(RENT, day=20)
    on = date(2026, 2, 24)
    facts = person(rent, BENEFIT, payments=[paid(BENEFIT, date(2026, 2, 23))],
                   moves=[(date(2026, 2, 23), 100_00)], buffer=500_00)
    (finding,) = run(facts, coverage=None, on=on)
    assert (finding.kind, finding.expected_date, finding.expected_cents, finding.agreement_id) \
        == (SALDO_FORECAST, date(2026, 3, 20), -700_00, RENT.id)
    assert "20-03-2026" in finding.message and "huur" in finding.message
    # Within the buffer: nothing to foresee.
    assert run(replace(facts, buffer_cents=700_00), coverage=None, on=on) == []
    # Further away than the forecast's weeks (the 20th is 3½ weeks away): not yet.
    assert run(facts, coverage=None, on=on, thresholds=Thresholds(forecast_weeks=3)) == []


def test_the_forecast_puts_costs_before_income_on_the_same_day_and_skips_paid_periods():
    same_day = replace(BENEFIT, day=1)
    facts = person(RENT, same_day, moves=[(date(2026, 2, 2), 100_00)], buffer=500_00)
    (finding,) = run(facts, coverage=None, on=date(2026, 2, 20))
    assert (finding.expected_date, finding.agreement_id) == (date(2026, 3, 1), RENT.id)
    # March's rent already paid early, on 20 February: not counted again.
    early = person(RENT, same_day, payments=[paid(RENT, date(2026, 2, 20))],
                   moves=[(date(2026, 2, 2), 900_00), (date(2026, 2, 20), -800_00)],
                   buffer=500_00)
    assert run(early, coverage=None, on=date(2026, 2, 20)) == []


# -- voortgangsgesprek ---------------------------------------------------------------------------


def test_a_progress_talk_date_that_has_passed():
    on = date(2026, 3, 10)
    assert run(person(talk=on), coverage=None, on=on) == []
    (finding,) = run(person(talk=on - timedelta(days=1)), coverage=None, on=on)
    assert (finding.kind, finding.expected_date) == (PROGRESS_TALK_DUE, date(2026, 3, 9))
    assert run(person(talk=date(2026, 1, 1), status="intake"), coverage=None, on=on) == []


def test_every_problem_has_its_own_key():
    facts = person(RENT, payments=[paid(RENT, date(2026, 1, 2)), paid(RENT, date(2026, 2, 2)),
                                   paid(RENT, date(2026, 2, 3))],
                   moves=[(date(2025, 10, 1), -2_000_00)], buffer=1_000_00,
                   talk=date(2026, 2, 1))
    found = run(facts)
    assert {f.kind for f in found} == {DUPLICATE, SALDO_NEGATIVE, SHORTFALL, BUFFER_EXCEEDED,
                                       PROGRESS_TALK_DUE}
    assert len({f.key for f in found}) == len(found)
    assert run(facts) == found  # the same facts, the same findings
