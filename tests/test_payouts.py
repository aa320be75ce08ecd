"""Paying out on SQLite and PostgreSQL: plan from the agreements (never twice), review (hold,
approve, strike), the pain.001 batch (valid, adding up, no BSN), cancel and re-make, and the
payments coming back on the statement (by end-to-end id, by account and amount, returned)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

import pytest
from lxml import etree
from sqlalchemy import func, select

from app.demo import nl_iban
from app.errors import UserError, ValidationError
from app.importers.statements import Entry, ReadResult, StatementData
from app.models import Booking, Payout, PayoutBatch, PayoutStatus, Signal, SignalKind
from app.payments.pain001 import read_pain001
from app.services import agreements as agr
from app.services import payouts
from app.services.accounts import add_municipal_account
from app.services.organisations import create_organisation
from app.services.participants import add_participant_account, change_status, create_participant
from app.services.statement_import import store_statements
from tests.helpers import VALID_BSNS, audit_json, audit_rows

OURS = nl_iban("BNGH", "0285093174")
WOONSTAD = nl_iban("RABO", "0300065264")
ENECO = nl_iban("INGB", "0000000777")
UNIVE = nl_iban("ABNA", "0417164300")
UWV = nl_iban("INGB", "0000000001")
NEW_WOONSTAD = nl_iban("RABO", "0111111111")
ANNA_OWN = nl_iban("INGB", "0001234567")
BRAM_OWN = nl_iban("ASNB", "0707070707")
TODAY = date(2026, 11, 25)
DECEMBER = (date(2026, 12, 1), date(2026, 12, 31))
XSD = etree.XMLSchema(etree.parse("resources/xsd/pain.001.001.03.xsd"))
_files = iter(range(1, 1000))


@dataclass
class World:
    anna: int
    bram: int
    anna_leefgeld: int
    anna_rent: int
    anna_insurance: int
    bram_leefgeld: int
    bram_rent: int


def active(db, pid: int) -> None:
    for step in ("intake", "actief"):
        change_status(db.unit_of_work("t"), pid, step, date(2026, 1, 5))


def import_entries(db, entries: list[Entry], first: date, last: date) -> None:
    number = next(_files)
    statement = StatementData(account=OURS, period_from=first, period_through=last,
                              opening_balance_cents=None, opening_date=None,
                              closing_balance_cents=None, closing_date=None,
                              entries=list(entries))
    store_statements(db.unit_of_work("clerk"), ReadResult("csv-ing", [statement]),
                     file_name=f"afschrift-{number}.csv",
                     sha256=hashlib.sha256(f"payouts-{number}".encode()).hexdigest())


def build(db, *, anna_income: int = 2_400_00) -> World:
    add_municipal_account(db.unit_of_work("beheer"), OURS, "Gemeente Utrecht")
    woonstad = create_organisation(db.unit_of_work("beheer"), name="Woonstad Rotterdam",
                                   kind="vaste_last", ibans=[WOONSTAD])
    eneco = create_organisation(db.unit_of_work("beheer"), name="Eneco", kind="vaste_last",
                                ibans=[ENECO])
    unive = create_organisation(db.unit_of_work("beheer"), name="Univé", kind="vaste_last",
                                ibans=[UNIVE])
    uwv = create_organisation(db.unit_of_work("beheer"), name="UWV", kind="inkomen",
                              ibans=[UWV])
    anna = create_participant(db.unit_of_work("t"), registered_on=date(2026, 1, 2),
                              bsn=VALID_BSNS[0], first_name="Anna",
                              initials="A.", last_name="Jansen", city="Utrecht",
                              iban=ANNA_OWN, buffer_limit_cents=500_00)
    bram = create_participant(db.unit_of_work("t"), registered_on=date(2026, 1, 2),
                              bsn=VALID_BSNS[1], first_name="Bram",
                              infix="de", last_name="Vries", city="Rotterdam",
                              variant="alleen_inkomsten", buffer_limit_cents=2_500_00)
    add_participant_account(db.unit_of_work("t"), bram, BRAM_OWN)
    for pid in (anna, bram):
        active(db, pid)
    common = {"valid_from": date(2026, 1, 1)}

    def agreement(pid, **values) -> int:
        return agr.create_agreement(db.unit_of_work("t"), pid, **common, **values)

    world = World(
        anna, bram,
        anna_leefgeld=agreement(anna, direction="uitgave", amount_cents=60_00, frequency="week",
                                day=1, category="leefgeld", payment_method="overschrijving"),
        anna_rent=agreement(anna, organisation_id=woonstad, direction="uitgave",
                            amount_cents=700_00, frequency="maand", day=1, category="huur",
                            payment_method="overschrijving", search_terms=["contract 88-12"],
                            description="Huur"),
        anna_insurance=agreement(anna, organisation_id=unive, direction="uitgave",
                                 amount_cents=12_50, frequency="maand", day=20,
                                 category="inboedelverzekering"),
        bram_leefgeld=agreement(bram, direction="uitgave", amount_cents=400_00,
                                frequency="maand", day=26, category="leefgeld"),
        bram_rent=agreement(bram, organisation_id=woonstad, direction="uitgave",
                            amount_cents=650_00, frequency="maand", day=1, category="huur",
                            payment_method="overschrijving"),
    )
    agreement(anna, organisation_id=eneco, direction="uitgave", amount_cents=95_00,
              frequency="maand", day=15, category="energie", payment_method="incasso")
    agreement(anna, organisation_id=uwv, direction="inkomst", amount_cents=anna_income,
              frequency="maand", day=23, category="uitkering", search_terms=["2610000123"])
    import_entries(db, [Entry(date(2026, 11, 23), anna_income, counterparty_name="UWV",
                              counterparty_iban=UWV, bank_reference="UWV-11",
                              description="WW-uitkering uitkeringsnr 2610000123")],
                   date(2026, 11, 1), date(2026, 11, 24))
    return world


@pytest.fixture
def world(db) -> World:
    return build(db)


def plan_december(db, today: date = TODAY) -> payouts.PlanOutcome:
    return payouts.plan(db.unit_of_work("clerk"), *DECEMBER, today=today)


def rows(db, **filters) -> list[payouts.PayoutRow]:
    with db.read() as session:
        return payouts.payout_rows(session, **filters)


def test_plan_pays_leefgeld_and_transfers_on_target2_days_and_says_what_it_leaves(db, world):
    outcome = plan_december(db)
    planned = rows(db)
    by_agreement: dict[str, list] = {}
    for row in planned:
        by_agreement.setdefault(f"{row.participant} {row.category}", []).append(row)
    anna_leefgeld = by_agreement["A. Jansen leefgeld"]
    assert [r.due_date for r in anna_leefgeld] == [date(2026, 12, d) for d in (7, 14, 21, 28)]
    assert {r.creditor_iban for r in anna_leefgeld} == {ANNA_OWN}
    rent = by_agreement["A. Jansen huur"]
    assert [(r.execution_date, r.creditor_name, r.creditor_iban) for r in rent] == [
        (date(2026, 12, 1), "Woonstad Rotterdam", WOONSTAD)]
    assert "contract 88-12" in rent[0].remittance and "december 2026" in rent[0].remittance
    # Bram's leefgeld is due on Saturday 26 December: 25 and 26 are TARGET2 holidays.
    bram = by_agreement["Bram de Vries leefgeld"]
    assert [(r.due_date, r.execution_date, r.creditor_iban) for r in bram] == [
        (date(2026, 12, 26), date(2026, 12, 24), BRAM_OWN)]
    # No energy (a direct debit), no insurance (method unknown), no rent for Bram (his
    # variant pays only income): only the last two are worth a line.
    assert set(by_agreement) == {"A. Jansen leefgeld", "A. Jansen huur",
                                 "Bram de Vries leefgeld"}
    assert any("inboedelverzekering: betaalwijze onbekend" in n for n in outcome.notes)
    assert any("huur: variant alleen inkomsten" in n for n in outcome.notes)
    assert (outcome.planned, outcome.held) == (6, 0)
    entry = audit_rows(db, "betalingen gepland")[-1]
    assert audit_json(entry, "after")["gepland"] == 6


def test_planning_again_plans_nothing_twice(db, world):
    plan_december(db)
    again = plan_december(db)
    assert (again.planned, again.already) == (0, 6)
    # An overlapping range plans only the new days.
    wider = payouts.plan(db.unit_of_work("clerk"), date(2026, 12, 15), date(2027, 1, 10),
                         today=TODAY)
    assert (wider.already, wider.planned) == (3, 2)  # 21, 28 and 26 Dec; 1 and 4 Jan
    with db.read() as session:
        keys = session.scalars(select(Payout.period_key)).all()
    assert len(keys) == len(set(keys))


def test_the_batch_validates_adds_up_and_holds_no_bsn(db, world):
    plan_december(db)
    batch = payouts.create_batch(db.unit_of_work("clerk"), *DECEMBER, file_name="dec.xml",
                                 today=TODAY)
    document = etree.fromstring(batch.xml)
    XSD.assertValid(document)
    ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
    assert document.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=ns) == "6"
    amounts = [a.text for a in document.iterfind(".//p:InstdAmt", ns)]
    assert document.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=ns) == "1340.00"
    assert sum(int(a.replace(".", "")) for a in amounts) == batch.total_cents == 1_340_00
    for info in document.iterfind(".//p:PmtInf", ns):
        inside = [a.text for a in info.iterfind(".//p:InstdAmt", ns)]
        assert info.findtext("p:NbOfTxs", namespaces=ns) == str(len(inside))
    dates = [d.text for d in document.iterfind(".//p:ReqdExctnDt", ns)]
    assert dates == sorted(set(dates))  # one PmtInf per execution date
    text = batch.xml.decode()
    for bsn in VALID_BSNS:
        assert bsn not in text
    read = read_pain001(batch.xml)
    assert read.debtor_iban == OURS
    e2e = [t.end_to_end_id for t in read.transfers]
    assert len(set(e2e)) == 6 and "NOTPROVIDED" not in e2e
    assert batch.sha256 == hashlib.sha256(batch.xml).hexdigest()
    with db.read() as session:
        stored = session.get(PayoutBatch, batch.batch_id)
        assert (stored.sha256, stored.count, stored.file_name) == (batch.sha256, 6, "dec.xml")
        assert {p.status for p in session.scalars(select(Payout))} == {PayoutStatus.IN_FILE}
    assert audit_json(audit_rows(db, "betaalopdracht gemaakt")[-1], "after")["betalingen"] == 6


def test_a_cancelled_batch_gives_its_payments_back_and_a_new_one_keeps_their_ids(db, world):
    plan_december(db)
    first = payouts.create_batch(db.unit_of_work("clerk"), *DECEMBER, today=TODAY)
    with pytest.raises(UserError, match="Geen betalingen om te maken"):
        payouts.create_batch(db.unit_of_work("clerk"), *DECEMBER, today=TODAY)
    assert payouts.cancel_batch(db.unit_of_work("clerk"), first.batch_id, "verkeerde datum") == 6
    assert {r.status for r in rows(db)} == {"gepland"}
    assert plan_december(db).planned == 0  # the periods are still taken
    second = payouts.create_batch(db.unit_of_work("clerk"), *DECEMBER, today=TODAY)
    ids = lambda xml: sorted(t.end_to_end_id for t in read_pain001(xml).transfers)  # noqa: E731
    assert ids(first.xml) == ids(second.xml) and first.message_id != second.message_id
    with pytest.raises(ValidationError, match="al geannuleerd"):
        payouts.cancel_batch(db.unit_of_work("clerk"), first.batch_id, "nog eens")


def test_a_payment_past_the_buffer_waits_for_approval(db):
    world = build(db, anna_income=300_00)  # saldo 300: rent 700 takes it to -400, buffer 500
    plan_december(db)
    anna = {r.due_date: r for r in rows(db) if r.participant_id == world.anna}
    rent, first_leefgeld, second = (anna[date(2026, 12, 1)], anna[date(2026, 12, 7)],
                                    anna[date(2026, 12, 14)])
    assert rent.status == "gepland" and first_leefgeld.status == "gepland"  # -400, -460
    assert second.status == "aangehouden" and second.needs_approval  # -520 < -500
    assert any("voorbij de buffer van € 500,00" in w for w in second.warnings)
    with pytest.raises(ValidationError, match="keur haar goed"):
        payouts.release(db.unit_of_work("clerk"), second.id)
    batch = payouts.create_batch(db.unit_of_work("clerk"), *DECEMBER, today=TODAY)
    assert batch.count == 3  # rent, one leefgeld, Bram's; the held ones wait
    assert next(r for r in rows(db) if r.id == second.id).status == "aangehouden"
    payouts.approve(db.unit_of_work("teamleider"), second.id)
    approved = next(r for r in rows(db) if r.id == second.id)
    assert (approved.status, approved.approved_by) == ("gepland", "teamleider")
    assert audit_rows(db, "betaling goedgekeurd")[-1].actor == "teamleider"
    # A changed amount is judged again: still past the buffer, so it waits for approval again
    # (the next batch does not take it on the old approval).
    payouts.change(db.unit_of_work("clerk"), second.id, amount_cents=55_00, today=TODAY)
    changed = next(r for r in rows(db) if r.id == second.id)
    assert (changed.status, changed.approved_by, changed.needs_approval) == (
        "aangehouden", None, True)
    assert [w for w in changed.warnings if "voorbij de buffer" in w] == [
        "saldo na betaling € -635,00: voorbij de buffer van € 500,00"]


def test_hold_change_strike_and_a_one_off(db, world):
    plan_december(db)
    leefgeld = [r for r in rows(db) if r.participant_id == world.anna and r.kind == "leefgeld"]
    payouts.hold(db.unit_of_work("clerk"), leefgeld[0].id, "deelnemer belt eerst")
    payouts.change(db.unit_of_work("clerk"), leefgeld[1].id, amount_cents=80_00, today=TODAY)
    payouts.strike(db.unit_of_work("clerk"), leefgeld[2].id, "vakantie, vooraf betaald")
    one_off = payouts.add_one_off(db.unit_of_work("clerk"), world.anna, 150_00, ANNA_OWN,
                                  "A. Jansen", "Voorschot wasmachine", date(2026, 12, 3),
                                  today=TODAY)
    with pytest.raises(ValidationError, match="IBAN"):
        payouts.add_one_off(db.unit_of_work("clerk"), world.anna, 150_00, "NL00INGB000",
                            "A. Jansen", "x", date(2026, 12, 3), today=TODAY)
    batch = payouts.create_batch(db.unit_of_work("clerk"), *DECEMBER, today=TODAY)
    in_file = {t.end_to_end_id: t for t in read_pain001(batch.xml).transfers}
    statuses = {r.id: r.status for r in rows(db)}
    assert statuses[leefgeld[0].id] == "aangehouden"
    assert statuses[leefgeld[2].id] == "geschrapt"
    assert statuses[one_off] == "in bestand"
    assert sorted(t.amount_cents for t in in_file.values()) == sorted(
        [80_00, 60_00, 700_00, 400_00, 150_00])
    assert plan_december(db).planned == 0  # the struck week does not come back
    assert audit_rows(db, "betaling geschrapt") and audit_rows(db, "betaling gewijzigd")


def test_a_bsn_in_a_remittance_stops_the_file_and_nothing_changes(db, world):
    agr.update_agreement(db.unit_of_work("t"), world.anna_rent,
                         description=f"Huur BSN {VALID_BSNS[0]}")
    plan_december(db)
    with pytest.raises(UserError, match="BSN") as refused:
        payouts.create_batch(db.unit_of_work("clerk"), *DECEMBER, today=TODAY)
    assert VALID_BSNS[0] not in str(refused.value)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(PayoutBatch)) == 0
        assert {p.status for p in session.scalars(select(Payout))} == {PayoutStatus.PLANNED}


def test_no_municipal_account_is_one_clear_line(db):
    with pytest.raises(UserError, match="geen gemeentelijke rekening"), \
            db.unit_of_work("x") as uow:
        payouts._debtor(uow.session)


def bookings_of(db, payout_id: int) -> list[Booking]:
    with db.read() as session:
        return list(session.scalars(select(Booking).where(Booking.payout_id == payout_id)))


def test_payments_come_back_by_id_by_account_and_amount_and_as_a_return(db, world):
    plan_december(db)
    batch = payouts.create_batch(db.unit_of_work("clerk"), date(2026, 12, 1),
                                 date(2026, 12, 8), today=TODAY)
    planned = {(r.category, r.due_date): r for r in rows(db, batch_id=batch.batch_id)}
    rent, leefgeld = planned[("huur", date(2026, 12, 1))], planned[("leefgeld", date(2026, 12, 7))]
    import_entries(db, [
        Entry(date(2026, 12, 1), -700_00, counterparty_name="Woonstad Rotterdam",
              counterparty_iban=WOONSTAD, end_to_end_id=rent.end_to_end_id,
              bank_reference="OUT-1", description="Huur december"),
        # This bank drops our id and books two days late.
        Entry(date(2026, 12, 9), -60_00, counterparty_name="A. Jansen",
              counterparty_iban=ANNA_OWN, bank_reference="OUT-2", description="Leefgeld"),
        Entry(date(2026, 12, 2), -33_00, counterparty_name="Onbekend",
              counterparty_iban=UNIVE, bank_reference="OUT-3", description="?"),
    ], date(2026, 11, 25), date(2026, 12, 9))
    assert [(b.agreement_id, b.amount_cents) for b in bookings_of(db, rent.id)] == [
        (world.anna_rent, -700_00)]
    assert [(b.agreement_id, b.amount_cents) for b in bookings_of(db, leefgeld.id)] == [
        (world.anna_leefgeld, -60_00)]
    with db.read() as session:
        assert session.get(Payout, rent.id).status == PayoutStatus.PAID
        assert session.scalar(select(func.count()).select_from(Booking).where(
            Booking.amount_cents == -33_00)) == 0  # the unknown one waits in the queue
    with pytest.raises(ValidationError, match="al op een afschrift gezien"):
        payouts.cancel_batch(db.unit_of_work("clerk"), batch.batch_id, "te laat")

    # The rent comes back: account closed. The payout reopens with a signal.
    import_entries(db, [Entry(date(2026, 12, 4), 700_00, counterparty_name="Woonstad",
                              counterparty_iban=WOONSTAD, end_to_end_id=rent.end_to_end_id,
                              return_reason="AC04", bank_reference="RET-1",
                              description="Retour")], date(2026, 12, 10), date(2026, 12, 10))
    assert sorted(b.amount_cents for b in bookings_of(db, rent.id)) == [-700_00, 700_00]
    with db.read() as session:
        payout = session.get(Payout, rent.id)
        assert (payout.status, payout.attempt, payout.end_to_end_id) == (
            PayoutStatus.RETURNED, 2, None)
        signal = session.scalar(select(Signal).where(
            Signal.kind == SignalKind.PAYOUT_RETURNED, Signal.active.is_(True)))
        assert signal is not None and "AC04" in signal.message
    payouts.change(db.unit_of_work("clerk"), rent.id, creditor_iban=NEW_WOONSTAD, today=TODAY)
    payouts.release(db.unit_of_work("clerk"), rent.id)
    again = payouts.create_batch(db.unit_of_work("clerk"), date(2026, 12, 1),
                                 date(2026, 12, 8), today=date(2026, 12, 10))
    retry = read_pain001(again.xml).transfers
    assert [t.end_to_end_id for t in retry] == [f"HHB-{rent.id:010d}-2"]
    assert retry[0].execution_date >= date(2026, 12, 10)
    with db.read() as session:
        assert session.scalar(select(Signal.active).where(
            Signal.kind == SignalKind.PAYOUT_RETURNED)) is False


def test_the_planning_range_is_checked(db, world):
    with pytest.raises(ValidationError, match="vóór de begindatum"):
        payouts.plan(db.unit_of_work("c"), date(2026, 12, 31), date(2026, 12, 1), today=TODAY)
    with pytest.raises(ValidationError, match="kwartaal"):
        payouts.plan(db.unit_of_work("c"), date(2026, 1, 1), date(2026, 12, 31), today=TODAY)


def test_a_payment_planned_late_goes_out_on_the_next_working_day(db, world):
    payouts.plan(db.unit_of_work("c"), *DECEMBER, today=date(2026, 12, 5))  # a Saturday
    rent = next(r for r in rows(db) if r.category == "huur")
    assert (rent.due_date, rent.execution_date) == (date(2026, 12, 1), date(2026, 12, 7))
    assert all(r.execution_date >= date(2026, 12, 7) for r in rows(db))
    assert all(r.execution_date.weekday() < 5 for r in rows(db))
