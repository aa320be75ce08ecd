"""The teamleader's caseload review on SQLite and PostgreSQL: each number counted right at its
boundaries (a saldo exactly at minus the buffer is not past it; a queue item five days old is
not late, six is; a talk planned yesterday is overdue, today is not; an end date 30 days away is
leaving, 31 is not), the participants behind every number, the chart data, the Voortgang
counts, and the Excel workbook of ``huishoudboekje caseload`` (no BSN in it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.cli import main
from app.models import (
    Agreement,
    BankAccount,
    BankTransaction,
    Booking,
    BookingMethod,
    Category,
    DebtSituation,
    Direction,
    Employee,
    Frequency,
    Participant,
    ParticipantStatus,
    Referral,
    ReferralKind,
    ReferralOutcome,
    Role,
    SelfReliance,
    Signal,
    SignalKind,
    SignalStatus,
    Statement,
    Suggestion,
)
from app.services.caseload import NO_CONTACT, caseload

ON = date(2026, 11, 30)
BSNS = ("111222333", "123456782", "100000009", "100000010", "100000022", "100000046",
        "100000034")


@dataclass
class World:
    anna: int  # employee
    bert: int
    p: dict[str, int]  # participant ids by short name


def build(db) -> World:
    with db.write_sessions() as session:
        anna = Employee(username="anna", name="Anna Bakker", role=Role.FRONTOFFICE)
        bert = Employee(username="bert", name="Bert de Wit", role=Role.FRONTOFFICE)
        session.add_all([anna, bert])
        session.flush()
        rent = session.scalar(select(Category.id).where(Category.name == "huur"))

        def person(short, number, contact, status=ParticipantStatus.ACTIVE, **extra):
            p = Participant(number=number, bsn=BSNS[len(people)], last_name=short.title(),
                            first_name="Test", status=status, contact_employee_id=contact,
                            buffer_limit_cents=100_00, **extra)
            session.add(p)
            session.flush()
            people[short] = p.id
            return p

        people: dict[str, int] = {}
        person("at_buffer", "HHB-00001", anna.id, next_progress_talk=ON,
               intake_debt_situation=DebtSituation.PROBLEMATIC,
               debt_situation=DebtSituation.SMALL_DEBTS,
               intake_self_reliance=SelfReliance.NOT, self_reliance=SelfReliance.SOMEWHAT)
        person("past_buffer", "HHB-00002", anna.id, next_progress_talk=ON - timedelta(1),
               intake_debt_situation=DebtSituation.NONE, debt_situation=DebtSituation.ARREARS)
        person("intake", "HHB-00003", bert.id, status=ParticipantStatus.INTAKE,
               next_progress_talk=ON - timedelta(30))  # not active: no talk is due yet
        person("leaving", "HHB-00004", None, status=ParticipantStatus.CANCELLED)
        person("ends_in_30", "HHB-00005", bert.id, end_date=ON + timedelta(30))
        person("ends_in_31", "HHB-00006", bert.id, end_date=ON + timedelta(31))
        session.add(Participant(number="HHB-00007", bsn="100000034", last_name="Weg",
                                status=ParticipantStatus.ENDED, contact_employee_id=anna.id))

        account = BankAccount(iban="NL86INGB0002445588", holder_name="Gemeente",
                              is_municipal=True)
        session.add(account)
        session.flush()
        statement = Statement(account_id=account.id, period_from=date(2026, 1, 1),
                              period_through=ON)
        session.add(statement)
        session.flush()
        agreement = Agreement(participant_id=people["at_buffer"], category_id=rent,
                              direction=Direction.EXPENSE, amount_cents=500_00,
                              frequency=Frequency.MONTH, day=1, valid_from=date(2026, 1, 1))
        session.add(agreement)
        session.flush()

        def transaction(n, day, cents, is_open=False):
            tx = BankTransaction(statement_id=statement.id, account_id=account.id,
                                 dedup_key=f"t{n}", booking_date=day, amount_cents=cents,
                                 booked_cents=0 if is_open else cents, is_open=is_open)
            session.add(tx)
            session.flush()
            return tx

        for n, (short, cents) in enumerate((("at_buffer", -100_00), ("past_buffer", -100_01),
                                            ("ends_in_30", 2500_00))):
            tx = transaction(n, ON - timedelta(10), cents)
            session.add(Booking(transaction_id=tx.id, participant_id=people[short],
                                category_id=rent, amount_cents=cents, booking_date=tx.booking_date,
                                method=BookingMethod.MANUAL, created_by="test"))
        # After the day of the review: not in its saldo.
        tx = transaction(10, ON + timedelta(1), -50_00)
        session.add(Booking(transaction_id=tx.id, participant_id=people["ends_in_30"],
                            category_id=rent, amount_cents=-50_00, booking_date=tx.booking_date,
                            method=BookingMethod.MANUAL, created_by="test"))
        for n, days in ((20, 5), (21, 6)):  # in the queue, suggested to Anna's participant
            tx = transaction(n, ON - timedelta(days), -500_00, is_open=True)
            session.add(Suggestion(transaction_id=tx.id, agreement_id=agreement.id, rank=1,
                                   score=60, reason="test"))
        transaction(22, ON - timedelta(40), 12_34, is_open=True)  # nobody's: no contact

        def signal(short, key, age, status=SignalStatus.OPEN, closed_days_ago=None):
            created = datetime.combine(ON - timedelta(age), datetime.min.time()) \
                + timedelta(hours=9)
            session.add(Signal(
                participant_id=people[short], kind=SignalKind.PAYMENT_MISSING, key=key,
                status=status, active=status != SignalStatus.RESOLVED, message="test",
                created_at=created, updated_at=created,
                status_at=(datetime.combine(ON - timedelta(closed_days_ago),
                                            datetime.min.time())
                           if closed_days_ago is not None else None)))

        signal("at_buffer", "a", 3)
        signal("at_buffer", "b", 10, SignalStatus.IN_PROGRESS)
        signal("past_buffer", "c", 40)
        signal("intake", "d", 30)
        signal("intake", "e", 50, SignalStatus.RESOLVED, closed_days_ago=20)
        session.add_all([
            Referral(participant_id=people["at_buffer"], kind=ReferralKind.DEBT_HELP,
                     referred_on=date(2026, 6, 1), outcome=ReferralOutcome.STARTED,
                     created_by="test"),
            Referral(participant_id=people["past_buffer"], kind=ReferralKind.DEBT_HELP,
                     referred_on=date(2026, 9, 1), outcome=ReferralOutcome.PENDING,
                     created_by="test")])
        session.commit()
        return World(anna.id, bert.id, people)


@pytest.fixture
def world(db) -> World:
    return build(db)


def rows_by_name(load):
    return {row.name: row for row in load.employees}


def test_each_number_is_counted_at_its_boundaries(db, world):
    with db.read() as session:
        load = caseload(session, ON)
    rows = rows_by_name(load)
    assert list(rows) == ["Anna Bakker", "Bert de Wit", NO_CONTACT]  # ended: not counted
    anna, bert, nobody = rows["Anna Bakker"], rows["Bert de Wit"], rows[NO_CONTACT]
    p = world.p
    assert anna.participants_behind("participants") == sorted([p["at_buffer"], p["past_buffer"]])
    assert anna.participants_behind("negative") == sorted([p["at_buffer"], p["past_buffer"]])
    assert anna.participants_behind("past_buffer") == [p["past_buffer"]]  # -100.00 is not past
    assert anna.participants_behind("talk_overdue") == [p["past_buffer"]]  # yesterday; not today
    assert bert.count("talk_overdue") == 0  # in intake
    assert bert.participants_behind("intake") == [p["intake"]]
    assert bert.participants_behind("ending") == [p["ends_in_30"]]  # 30 days yes, 31 no
    assert nobody.participants_behind("ending") == [p["leaving"]]  # opgezegd
    assert bert.count("negative") == 0  # the booking after the day does not count

    # Open signals by age: 3 days, 10 days (in behandeling), 40 days; resolved ones not.
    assert (anna.count("signals"), anna.count("signals_8_30"), anna.count("signals_old")) == \
        (3, 1, 1)
    assert anna.participants_behind("signals_old") == [p["past_buffer"]]
    assert (bert.count("signals"), bert.count("signals_8_30")) == (1, 1)

    # The queue: 6 days is late, 5 days is not; an item nobody is suggested for: no contact.
    assert anna.count("queue_late") == 1 and anna.participants_behind("queue_late") == \
        [p["at_buffer"]]
    assert nobody.count("queue_late") == 1 and nobody.participants_behind("queue_late") == []

    assert load.total.count("signals") == 4 and len(load.total.participants) == 6
    assert load.total.count("negative") == 2


def test_charts_and_voortgang(db, world):
    with db.read() as session:
        load = caseload(session, ON)
    buckets = dict(load.saldo_buckets)
    assert buckets["-500 – 0"] == 2 and buckets["> 2.000"] == 1
    assert buckets["0 – 500"] == 3 and sum(buckets.values()) == 6
    weeks = dict(load.signals_per_week)
    assert len(weeks) == 26 and max(weeks) >= ON
    last_week = max(weeks)
    assert weeks[last_week] == 4  # the four open ones
    # Sunday 1 November: the 30-, 40- and 50-day-old ones; Sunday 15 November: the 50-day-old
    # one was resolved on the 10th.
    assert weeks[date(2026, 11, 1)] == 3 and weeks[date(2026, 11, 15)] == 2
    progress = load.progress
    assert progress.debt_intake["problematische schulden"] == 1
    assert progress.debt_now["kleine schulden"] == 1
    assert (progress.improved, progress.worse) == (1, 1)
    assert progress.self_reliance_now["matig zelfredzaam"] == 1
    assert progress.referrals[("schuldhulp", "hulp gestart")] == 1
    assert progress.referrals[("schuldhulp", "loopt")] == 1


def test_the_caseload_command_writes_a_formatted_workbook_without_bsn(db, world, tmp_path,
                                                                       capsys):
    url = db.engine.url.render_as_string(hide_password=False)
    out = tmp_path / "caseload.xlsx"
    assert main(["--db", url, "caseload", "--on", ON.isoformat(), "--out", str(out)]) == 0
    assert "caseload van 6 deelnemers en 3 medewerker(s) op 30-11-2026" in \
        capsys.readouterr().out
    book = load_workbook(out)
    assert book.sheetnames == ["Caseload", "Anna Bakker", "Bert de Wit", NO_CONTACT]
    summary = book["Caseload"]
    assert summary.freeze_panes == "B2" and summary["A1"].font.bold
    header = [c.value for c in summary[1]]
    assert header[:3] == ["Medewerker", "Deelnemers", "Actief"]
    team = next(r for r in summary.iter_rows(values_only=True) if r[0] == "Team")
    assert team[header.index("Deelnemers")] == 6 and team[header.index("Open signalen")] == 4
    anna = book["Anna Bakker"]
    assert anna.freeze_panes == "A2"
    assert [c.value for c in anna[1]][:4] == ["Dossiernummer", "Naam", "Status", "Saldo"]
    past = next(r for r in anna.iter_rows(min_row=2) if r[0].value == "HHB-00002")
    assert str(past[3].value) == "-100.01" and "€" in past[3].number_format
    assert past[6].value.date() == ON - timedelta(1)
    text = " ".join(str(c.value) for sheet in book for row in sheet.iter_rows() for c in row
                    if c.value is not None)
    assert not any(bsn in text for bsn in BSNS)


def test_the_caseload_command_says_in_one_line_when_it_cannot_write(db, tmp_path, capsys):
    url = db.engine.url.render_as_string(hide_password=False)
    out = tmp_path / "missing" / "caseload.xlsx"
    assert main(["--db", url, "caseload", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("huishoudboekje: Kan ") and len(err.strip().splitlines()) == 1
