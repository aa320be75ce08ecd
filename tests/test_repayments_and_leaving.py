"""Both variants over three months, buffer repayment from the leefgeld, and leaving the service
(the final settlement, positive and negative), on SQLite and PostgreSQL.

The world of tests/test_payouts.py: Anna (volledig: UWV in, rent by transfer, energy by direct
debit, weekly leefgeld out) and Bram (alleen inkomsten: UWV in, monthly leefgeld out, his rent
is his own business). Each month the payouts are planned, written into a batch and come back on
a statement with the income; the saldo is then what went in minus what went out, to the cent.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.errors import ValidationError
from app.importers.statements import Entry
from app.models import (
    Agreement,
    BankTransaction,
    Participant,
    ParticipantStatus,
    Payout,
    PayoutKind,
    PayoutStatus,
    RepaymentKind,
)
from app.payments.pain001 import read_pain001
from app.payments.planning import withheld
from app.reports.letter import letter_pdf
from app.services import agreements as agr
from app.services import leaving, payouts, repayments
from app.services.letter_settings import load_letter_settings
from app.services.overview import overview_data
from app.services.participants import change_status, create_participant, update_participant
from app.services.saldo import saldo_cents
from tests.helpers import VALID_BSNS, audit_json, audit_rows
from tests.test_letter import flat, page_texts
from tests.test_payouts import ANNA_OWN, ENECO, TODAY, UWV, WOONSTAD, World, build, import_entries

BRAM_UWV = "SVB-77120"
BRAM_INCOME = 450_00
ANNA_INCOME = 2_400_00


@pytest.fixture
def world(db) -> World:
    world = build(db)
    agr.create_agreement(db.unit_of_work("t"), world.bram, valid_from=date(2026, 1, 1),
                         organisation_id=uwv_id(db), direction="inkomst",
                         amount_cents=BRAM_INCOME, frequency="maand", day=23,
                         category="uitkering", search_terms=[BRAM_UWV])
    return world


def uwv_id(db) -> int:
    with db.read() as session:
        return session.scalar(select(Agreement.organisation_id).where(
            Agreement.category.has(name="uitkering")))


def saldo(db, pid: int, on: date) -> int:
    with db.read() as session:
        return saldo_cents(session, pid, on)


def open_transactions(db) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(BankTransaction).where(
            BankTransaction.is_open.is_(True)))


def letter_text(db, pid: int, month: date, today: date) -> tuple[str, object]:
    """The paper overview's words, as printed (from the PDF), and its data."""
    with db.read() as session:
        data = overview_data(session, pid, month, today=today)
        settings = load_letter_settings(session)
    return flat(" ".join(page_texts(letter_pdf(data, settings, today)))), data


def month_end(first: date) -> date:
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def run_month(db, first: date, planned_on: date, *, bram_income: bool = True
              ) -> list[payouts.PayoutRow]:
    """Plan and batch one month, then the bank: every transfer executed on its day, the
    direct debit collected, the income paid. Returns the month's payouts."""
    last = month_end(first)
    payouts.plan(db.unit_of_work("clerk"), first, last, today=planned_on)
    batch = payouts.create_batch(db.unit_of_work("clerk"), first, last, today=planned_on)
    with db.read() as session:
        rows = payouts.payout_rows(session, batch_id=batch.batch_id)
    entries = [Entry(r.execution_date, -r.amount_cents, counterparty_name=r.creditor_name,
                     counterparty_iban=r.creditor_iban, end_to_end_id=r.end_to_end_id,
                     bank_reference=f"OUT-{r.id}", description=r.remittance or "")
               for r in rows]
    entries.append(Entry(first.replace(day=15), -95_00, counterparty_name="Eneco",
                         counterparty_iban=ENECO, bank_reference=f"ENECO-{first:%Y%m}",
                         description="Incasso termijnbedrag energie"))
    entries.append(Entry(first.replace(day=23), ANNA_INCOME, counterparty_name="UWV",
                         counterparty_iban=UWV, bank_reference=f"UWV-A-{first:%Y%m}",
                         description="WW-uitkering uitkeringsnr 2610000123"))
    if bram_income:
        entries.append(Entry(first.replace(day=23), BRAM_INCOME, counterparty_name="UWV",
                             counterparty_iban=UWV, bank_reference=f"UWV-B-{first:%Y%m}",
                             description=f"Uitkering {BRAM_UWV}"))
    import_entries(db, entries, min(e.booking_date for e in entries), last)
    return rows


def test_both_variants_over_three_months_with_a_buffer_repayment(db, world):
    anna_start, bram_start = saldo(db, world.anna, TODAY), saldo(db, world.bram, TODAY)
    assert (anna_start, bram_start) == (ANNA_INCOME, 0)
    repayments.agree_buffer_plan(db.unit_of_work("clerk"), world.bram, 100_00,
                                 date(2026, 12, 1), note="buffergebruik december")
    months = [(date(2026, 12, 1), TODAY), (date(2027, 1, 1), date(2026, 12, 28)),
              (date(2027, 2, 1), date(2027, 1, 27))]
    anna_saldo, bram_saldo = anna_start, bram_start
    bram_paid = []
    for number, (first, planned_on) in enumerate(months):
        # Bram's benefit starts in January: December's leefgeld takes him below zero.
        rows = run_month(db, first, planned_on, bram_income=number > 0)
        assert open_transactions(db) == 0, "every entry of the month is linked"
        anna_rows = [r for r in rows if r.participant_id == world.anna]
        bram_rows = [r for r in rows if r.participant_id == world.bram]
        # Volledig: four Mondays of leefgeld and the rent; the energy is collected, the
        # insurance's method is unknown (not paid). Alleen inkomsten: leefgeld only.
        assert sorted((r.category, r.amount_cents) for r in anna_rows) == sorted(
            [("leefgeld", 60_00)] * 4 + [("huur", 700_00)])
        assert [r.category for r in bram_rows] == ["leefgeld"]
        bram_paid.append(bram_rows[0].amount_cents)
        anna_saldo += ANNA_INCOME - 4 * 60_00 - 700_00 - 95_00
        bram_saldo += (BRAM_INCOME if number else 0) - bram_rows[0].amount_cents
        end = month_end(first)
        assert saldo(db, world.anna, end) == anna_saldo
        assert saldo(db, world.bram, end) == bram_saldo
    # December: saldo 0, nothing kept back. January and February: the saldo was negative at
    # planning (-400, then -250), so 100 of the 400 was kept back each time.
    assert bram_paid == [400_00, 300_00, 300_00]
    assert (anna_saldo, bram_saldo) == (ANNA_INCOME + 3 * (2_400_00 - 1_035_00), -100_00)
    with db.read() as session:
        kept = session.execute(select(Payout.due_date, Payout.withheld_cents, Payout.remittance)
                               .where(Payout.participant_id == world.bram)
                               .order_by(Payout.due_date)).all()
        plan_rows = repayments.repayment_rows(session, world.bram, date(2027, 2, 28))
    assert [k.withheld_cents for k in kept] == [0, 100_00, 100_00]
    assert "aflossing buffer 100,00 ingehouden" in kept[1].remittance
    assert [(p.kind, p.withheld_cents, p.remaining_cents, p.active) for p in plan_rows] == [
        ("buffer", 200_00, 100_00, True)]
    # The paper overview of February says what was kept back, and that it goes on.
    text, data = letter_text(db, world.bram, date(2027, 2, 1), date(2027, 3, 1))
    assert (data.withheld_cents, data.instalment_cents, data.saldo_cents) == (
        100_00, 100_00, -100_00)
    assert "In februari hielden wij € 100,00 van uw leefgeld in." in text
    assert "Zolang uw saldo onder nul is, houden wij € 100,00 van elke betaling" in text
    text, data = letter_text(db, world.bram, date(2026, 12, 1), date(2027, 1, 1))
    assert data.withheld_cents == 0 and "hielden wij" not in text
    # The rent of a volledig participant goes out on the previous TARGET2 day of New Year.
    with db.read() as session:
        assert session.scalar(select(Payout.execution_date).where(
            Payout.agreement_id == world.anna_rent, Payout.due_date == date(2027, 1, 1))
        ) == date(2026, 12, 31)


def test_an_instalment_is_never_more_than_the_negative_saldo_nor_half_the_leefgeld():
    assert withheld(400_00, running_cents=0, instalment_cents=100_00) == 0
    assert withheld(400_00, running_cents=1_00, instalment_cents=100_00) == 0
    assert withheld(400_00, running_cents=-30_00, instalment_cents=100_00) == 30_00
    assert withheld(400_00, running_cents=-900_00, instalment_cents=100_00) == 100_00
    assert withheld(150_00, running_cents=-900_00, instalment_cents=100_00) == 75_00
    assert withheld(400_00, running_cents=-900_00, instalment_cents=0) == 0


def test_a_buffer_plan_is_checked_ended_and_then_keeps_nothing_back(db, world):
    with pytest.raises(ValidationError, match="hoogstens de helft"):
        repayments.agree_buffer_plan(db.unit_of_work("c"), world.bram, 200_01,
                                     date(2026, 12, 1))
    plan_id = repayments.agree_buffer_plan(db.unit_of_work("c"), world.bram, 50_00,
                                           date(2026, 12, 1))
    with pytest.raises(ValidationError, match="loopt al een regeling"):
        repayments.agree_buffer_plan(db.unit_of_work("c"), world.bram, 60_00, date(2026, 12, 1))
    # A later plan replaces it from its start; the old one ends the day before.
    newer = repayments.agree_buffer_plan(db.unit_of_work("c"), world.bram, 60_00,
                                         date(2027, 1, 1))
    with db.read() as session:
        rows = {r.id: r for r in repayments.repayment_rows(session, world.bram, TODAY)}
    assert rows[plan_id].end_date == date(2026, 12, 31) and rows[newer].start_date == date(
        2027, 1, 1)
    repayments.end_plan(db.unit_of_work("c"), newer, date(2027, 1, 1))
    assert [a.action for a in audit_rows(db) if "aflossingsregeling" in a.action] == [
        "aflossingsregeling afgesproken", "aflossingsregeling beëindigd",
        "aflossingsregeling afgesproken", "aflossingsregeling beëindigd"]
    # The saldo is negative (December's leefgeld, no income yet), but no plan is in force in
    # February: the full leefgeld goes.
    run_month(db, date(2026, 12, 1), TODAY, bram_income=False)
    assert saldo(db, world.bram, date(2026, 12, 31)) == -400_00
    payouts.plan(db.unit_of_work("c"), date(2027, 2, 1), date(2027, 2, 28),
                 today=date(2027, 1, 27))
    with db.read() as session:
        february = session.scalar(select(Payout).where(
            Payout.participant_id == world.bram, Payout.due_date == date(2027, 2, 26)))
    assert (february.amount_cents, february.withheld_cents) == (400_00, 0)
    with pytest.raises(ValidationError, match="geen leefgeld"):
        repayments.agree_buffer_plan(db.unit_of_work("c"), create_late_starter(db), 10_00,
                                     date(2026, 12, 1))


def test_leaving_with_a_positive_saldo_pays_it_out_in_the_next_batch(db, world):
    payouts.plan(db.unit_of_work("clerk"), date(2026, 12, 1), date(2026, 12, 31), today=TODAY)
    first = payouts.create_batch(db.unit_of_work("clerk"), date(2026, 12, 1),
                                 date(2026, 12, 8), today=TODAY)
    change_status(db.unit_of_work("t"), world.anna, "opgezegd", date(2026, 11, 1),
                  "gaat het zelf doen")
    end = date(2026, 12, 1)
    # The leefgeld of 7 December is already in a file: that batch must go first.
    with pytest.raises(ValidationError, match="annuleer die opdracht eerst"):
        leaving.settle_exit(db.unit_of_work("clerk"), world.anna, end, "zelfstandig",
                            today=end)
    # A bare status step would leave the saldo behind.
    with pytest.raises(ValidationError, match="eindafrekening"):
        change_status(db.unit_of_work("t"), world.anna, "beëindigd", end, "zelfstandig")
    payouts.cancel_batch(db.unit_of_work("clerk"), first.batch_id, "deelname eindigt")
    outcome = leaving.settle_exit(db.unit_of_work("clerk"), world.anna, end, "zelfstandig",
                                  today=end)
    # The rent of 1 December is still on its way: the participant gets the rest.
    assert (outcome.saldo_cents, outcome.on_its_way_cents, outcome.final_cents) == (
        ANNA_INCOME, 700_00, 1_700_00)
    assert outcome.direct_debits == ("Eneco",)
    assert outcome.struck_payouts == 4  # the leefgeld of 7, 14, 21 and 28 December
    assert outcome.repayment_plan_id is None and outcome.payout_id is not None
    with db.read() as session:
        anna = session.get(Participant, world.anna)
        assert (anna.status, anna.end_date) == (ParticipantStatus.ENDED, end)
        assert set(session.scalars(select(Agreement.valid_through).where(
            Agreement.participant_id == world.anna))) == {end}
    entry = audit_rows(db, "eindafrekening")[-1]
    assert audit_json(entry, "after")["eindsaldo"] == 1_700_00
    # Planning again brings nothing back; the next batch holds the rent and the settlement.
    again = payouts.plan(db.unit_of_work("clerk"), date(2026, 12, 1), date(2026, 12, 31),
                         today=end)
    assert again.planned == 0
    batch = payouts.create_batch(db.unit_of_work("clerk"), date(2026, 12, 2),
                                 date(2026, 12, 31), today=end)
    transfers = {t.creditor_iban: t for t in read_pain001(batch.xml).transfers
                 if t.creditor_iban in (ANNA_OWN, WOONSTAD)}
    assert transfers[ANNA_OWN].amount_cents == 1_700_00
    assert transfers[ANNA_OWN].remittance.startswith("Eindafrekening Huishoudboekje HHB-")
    assert transfers[WOONSTAD].amount_cents == 700_00
    assert any("stond nog open: meegenomen" in w for w in batch.warnings)
    assert VALID_BSNS[0].encode() not in batch.xml
    with db.read() as session:
        settlement = session.get(Payout, outcome.payout_id)
        assert (settlement.kind, settlement.status) == (PayoutKind.SETTLEMENT,
                                                        PayoutStatus.IN_FILE)
    with pytest.raises(ValidationError, match="lopende deelname"):
        leaving.settle_exit(db.unit_of_work("clerk"), world.anna, end, "nog eens", today=end)
    text, _data = letter_text(db, world.anna, date(2026, 12, 1), end)
    assert text.index("Eindafrekening per 1 december 2026") < text.index("Uw saldo op")
    assert ("Uw deelname is gestopt op 1 december 2026. Er blijft € 1.700,00 over. Dat geld "
            "maken wij over naar uw eigen rekening.") in text


def test_leaving_with_a_negative_saldo_owes_it_with_a_monthly_instalment(db, world):
    run_month(db, date(2026, 12, 1), TODAY, bram_income=False)
    assert saldo(db, world.bram, date(2026, 12, 31)) == -400_00
    change_status(db.unit_of_work("t"), world.bram, "opgezegd", date(2026, 12, 1), "verhuist")
    end, today = date(2027, 1, 1), date(2027, 1, 4)
    with pytest.raises(ValidationError, match=r"€ -400,00: spreek een aflossing"):
        leaving.settle_exit(db.unit_of_work("clerk"), world.bram, end, "verhuist", today=today)
    with db.read() as session:  # refused: nothing changed
        assert session.get(Participant, world.bram).status == ParticipantStatus.CANCELLED
    outcome = leaving.settle_exit(db.unit_of_work("clerk"), world.bram, end, "verhuist",
                                  instalment_cents=50_00, instalment_day=5, today=today)
    assert outcome.final_cents == -400_00 and outcome.payout_id is None
    with db.read() as session:
        rows = repayments.repayment_rows(session, world.bram, today)
        assert session.get(Participant, world.bram).status == ParticipantStatus.ENDED
    assert [(r.kind, r.owed_cents, r.instalment_cents, r.start_date, r.remaining_cents)
            for r in rows] == [(RepaymentKind.FINAL.value, 400_00, 50_00, date(2027, 2, 1),
                                400_00)]
    assert "€ 400,00 schuld bij de eindafrekening, € 50,00 per maand" in rows[0].description
    text, _data = letter_text(db, world.bram, date(2027, 1, 1), today)
    assert ("U moet nog € 400,00 terugbetalen aan de gemeente. U betaalt € 50,00 per maand. "
            "De eerste keer is op 5 februari 2027.") in text


def test_the_minimum_duration_and_the_notice_period_are_checked(db, world):
    late = create_late_starter(db)
    with pytest.raises(ValidationError, match="niet opgezegd") as refused:
        leaving.settle_exit(db.unit_of_work("c"), world.bram, date(2026, 12, 1), "weg",
                            today=date(2026, 12, 1))
    assert "minstens" not in str(refused.value)
    change_status(db.unit_of_work("t"), late, "opgezegd", date(2026, 11, 20), "verhuist")
    with pytest.raises(ValidationError) as refused:
        leaving.settle_exit(db.unit_of_work("c"), late, date(2026, 12, 1), "verhuist",
                            today=date(2026, 12, 1))
    message = str(refused.value)
    assert "minstens 6 maanden: gestart op 01-09-2026, dus einde op zijn vroegst op 01-03-2027" \
        in message
    assert "opgezegd op 20-11-2026, dus einde op zijn vroegst op 20-12-2026" in message
    outcome = leaving.settle_exit(db.unit_of_work("c"), late, date(2026, 12, 1), "verhuist",
                                  override="verhuisd naar Zweden", today=date(2026, 12, 1))
    assert outcome.overridden == "verhuisd naar Zweden"
    after = audit_json(audit_rows(db, "eindafrekening")[-1], "after")
    assert after["reden afwijking"] == "verhuisd naar Zweden" and len(after["afgeweken"]) == 2
    # An active participation that was never cancelled can end with an override too.
    leaving.settle_exit(db.unit_of_work("c"), world.bram, date(2026, 12, 1), "overleden",
                        override="overleden", today=date(2026, 12, 1))
    with pytest.raises(ValidationError, match="na de einddatum"):
        leaving.settle_exit(db.unit_of_work("c"), world.anna, date(2026, 12, 2), "x",
                            today=date(2026, 12, 1))


def create_late_starter(db) -> int:
    pid = create_participant(db.unit_of_work("t"), registered_on=date(2026, 8, 1),
                             bsn=VALID_BSNS[2], first_name="Cor", last_name="Laat")
    change_status(db.unit_of_work("t"), pid, "intake", date(2026, 8, 15))
    change_status(db.unit_of_work("t"), pid, "actief", date(2026, 9, 1))
    return pid


def test_leefgeld_set_in_the_dossier_is_paid_instead_of_the_leefgeld_agreement(db, world):
    # Anna's dossier says 75 every Friday: that replaces her weekly agreement of 60 on
    # Mondays (the overview reads the same), never both.
    update_participant(db.unit_of_work("t"), world.anna, allowance_cents=75_00,
                       allowance_frequency="week", allowance_day=5)
    payouts.plan(db.unit_of_work("clerk"), date(2026, 12, 1), date(2026, 12, 31), today=TODAY)
    with db.read() as session:
        leefgeld = [r for r in payouts.payout_rows(session) if r.participant_id == world.anna
                    and r.category == "leefgeld"]
    assert [(r.due_date, r.amount_cents, r.creditor_iban) for r in leefgeld] == [
        (date(2026, 12, day), 75_00, ANNA_OWN) for day in (4, 11, 18, 25)]
    # Christmas Day is no TARGET2 day: that one goes out the day before.
    assert leefgeld[-1].execution_date == date(2026, 12, 24)
    again = payouts.plan(db.unit_of_work("clerk"), date(2026, 12, 1), date(2026, 12, 31),
                         today=TODAY)
    # Anna's four Fridays and her rent, Bram's leefgeld: all taken already.
    assert (again.planned, again.already) == (0, 6)
