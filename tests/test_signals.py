"""The signals in the database, on SQLite and PostgreSQL, through the services a clerk uses:
an import gives one signal per problem and a second import of the same month none more; a
payment in the queue "waits"; booking it closes the signal and undoing the booking reopens
it; a person's status and note are kept and audited; thresholds re-evaluate.

The world (tests/queue_data.py): statements of January to March 2026; Anna's rent (€ 812,40,
due the 1st) came once, on 2 March, and waits in the queue because Stichting Portaal has two
tenants (Anna and Bram); her benefit (due the 23rd) came three times and waits too (a benefit
number nobody has yet)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.errors import ValidationError
from app.models import Participant, Signal, SignalKind, SignalStatus
from app.services import agreements as agr
from app.services.bookings import accept_suggestion, undo_bookings
from app.services.signals import (
    default_thresholds,
    evaluate_signals,
    list_signals,
    load_thresholds,
    open_signal_count,
    save_thresholds,
    set_signal_status,
)
from tests import queue_data
from tests.helpers import audit_rows, last_audit
from tests.queue_data import ENTRIES, import_entries

world_db, db, world = queue_data.world_db, queue_data.db, queue_data.world
MISSING = SignalKind("betaling ontbreekt")
JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)


OPEN = (SignalStatus.OPEN, SignalStatus.IN_PROGRESS)


def signals_of(db, participant_id, statuses=OPEN, kind=MISSING):
    with db.read() as session:
        return {s.expected_date: s for s in list_signals(
            session, participant_id=participant_id, statuses=statuses, kinds=[kind])
            if s.agreement_id is not None}


def rent_signals(db, world, participant_id=None, statuses=OPEN):
    pid = participant_id or world.anna
    agreement = world.anna_rent if pid == world.anna else world.bram_rent
    return {d: s for d, s in signals_of(db, pid, statuses).items() if s.agreement_id == agreement}


def signal_rows(db) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Signal))


def test_the_import_gave_a_signal_per_missing_payment_and_one_that_waits_in_the_queue(
        db, world):
    rent = rent_signals(db, world)
    assert sorted(rent) == [JAN, FEB, MAR]
    assert rent[JAN].transaction_id is None and rent[FEB].transaction_id is None
    waiting = rent[MAR]
    assert waiting.transaction_id == world.tx["RENT-1"]
    assert "wacht in de wachtrij" in waiting.message and "€ 812,40" in waiting.message
    assert (waiting.expected_cents, waiting.status, waiting.active) == \
        (812_40, SignalStatus.OPEN, True)
    assert waiting.agreement_label and "Portaal" in waiting.agreement_label
    # Bram's rent is suggested the same payment: it waits for him too.
    assert rent_signals(db, world, world.bram)[MAR].transaction_id == world.tx["RENT-1"]
    # The benefit: every month waits in the queue, none is plainly missing.
    benefit = {d: s for d, s in signals_of(db, world.anna).items()
               if s.agreement_id == world.anna_benefit}
    assert sorted(benefit) == [date(2026, 1, 23), date(2026, 2, 23), date(2026, 3, 23)]
    assert {s.transaction_id for s in benefit.values()} == \
        {world.tx[f"UWV-{m}"] for m in (1, 2, 3)}


def test_importing_the_same_month_again_adds_no_second_signal(db, world):
    before = {s.id for s in rent_signals(db, world).values()}
    rows = signal_rows(db)
    import_entries(db, ENTRIES)  # the same entries in another file: all already known
    assert {s.id for s in rent_signals(db, world).values()} == before
    assert signal_rows(db) == rows
    assert last_audit(db).action == "bankafschrift geïmporteerd"


def test_booking_the_payment_closes_its_signal_and_undoing_it_reopens_the_same_one(db, world):
    rent_tx = world.tx["RENT-1"]
    waiting = rent_signals(db, world)[MAR]
    accept_suggestion(db.unit_of_work("clerk"), rent_tx, world.anna_rent)
    assert sorted(rent_signals(db, world)) == [JAN, FEB]  # the open ones
    closed = rent_signals(db, world, statuses=[SignalStatus.RESOLVED])[MAR]
    assert (closed.id, closed.active, closed.status_by) == (waiting.id, False, "systeem")
    # The payment is no longer in the queue: for Bram his March rent is now simply missing.
    bram = rent_signals(db, world, world.bram)[MAR]
    assert bram.transaction_id is None and "niet binnengekomen" in bram.message
    # One audit row, the clerk's booking, covers the signals it changed.
    assert last_audit(db).action == "transactie geboekt"

    undo_bookings(db.unit_of_work("clerk"), rent_tx)
    reopened = rent_signals(db, world)[MAR]
    assert (reopened.id, reopened.active, reopened.status) == \
        (waiting.id, True, SignalStatus.OPEN)
    assert reopened.transaction_id == rent_tx
    assert rent_signals(db, world, world.bram)[MAR].transaction_id == rent_tx


def test_no_missing_payment_for_months_before_the_first_statement(db, world):
    insurance = agr.create_agreement(
        db.unit_of_work("t"), world.anna, category="zorgverzekering", direction="uitgave",
        amount_cents=45_00, frequency="maand", day=10, valid_from=date(2025, 9, 1))
    found = {d for d, s in signals_of(db, world.anna).items() if s.agreement_id == insurance}
    # The statements start on 1 January 2026: September to December 2025 were never seen.
    assert found == {date(2026, 1, 10), date(2026, 2, 10), date(2026, 3, 10)}


def test_ending_an_agreement_closes_the_signals_after_its_last_day(db, world):
    agr.end_agreement(db.unit_of_work("t"), world.anna_rent, date(2026, 1, 31))
    assert sorted(rent_signals(db, world)) == [JAN]
    assert sorted(rent_signals(db, world, statuses=[SignalStatus.RESOLVED])) == [FEB, MAR]


def test_taking_a_signal_in_treatment_and_resolving_it_is_audited_and_kept(db, world):
    signal = rent_signals(db, world)[JAN]
    with db.read() as session:
        count = open_signal_count(session)
    set_signal_status(db.unit_of_work("fo"), signal.id, SignalStatus.IN_PROGRESS,
                      "Bel Portaal maandag")
    entry = last_audit(db)
    assert (entry.action, entry.actor, entry.entity_id) == \
        ("signaal in behandeling", "fo", str(signal.id))
    taken = rent_signals(db, world)[JAN]
    assert (taken.status, taken.status_by, taken.status_note) == \
        (SignalStatus.IN_PROGRESS, "fo", "Bel Portaal maandag")
    with pytest.raises(ValidationError, match="afgehandeld"):
        set_signal_status(db.unit_of_work("fo"), signal.id, SignalStatus.RESOLVED, "  ")
    assert last_audit(db).action == "signaal in behandeling"  # the refusal changed nothing
    set_signal_status(db.unit_of_work("fo"), signal.id, SignalStatus.RESOLVED,
                      "Huur januari kwijtgescholden door Portaal")
    with db.read() as session:
        assert open_signal_count(session) == count - 1
    # Evaluated again while the problem lasts: the person's decision stands, no new row.
    rows = signal_rows(db)
    evaluate_signals(db.unit_of_work("tester"))
    kept = rent_signals(db, world, statuses=[SignalStatus.RESOLVED])[JAN]
    assert (kept.id, kept.status_by, kept.active) == (signal.id, "fo", True)
    assert signal_rows(db) == rows


def test_changing_a_threshold_re_evaluates_and_a_bad_one_changes_nothing(db, world):
    thresholds = default_thresholds()
    with pytest.raises(ValidationError):
        save_thresholds(db.unit_of_work("beheer"),
                        thresholds.__class__(**{**vars(thresholds), "margin_days": {
                            **thresholds.margin_days, "maand": -1}}))
    with db.read() as session:
        assert load_thresholds(session) == thresholds
    # A month's margin of 40 days: March's rent (due 1 March, now until 10 April) is not
    # judged on statements that end on 31 March.
    wide = thresholds.__class__(**{**vars(thresholds),
                                   "margin_days": {**thresholds.margin_days, "maand": 40}})
    outcome = save_thresholds(db.unit_of_work("beheer"), wide)
    assert outcome.closed >= 2  # Anna's and Bram's March rent
    with db.read() as session:
        assert load_thresholds(session).margin_days["maand"] == 40
    assert sorted(rent_signals(db, world)) == [JAN, FEB]
    assert [r.action for r in audit_rows(db)][-1] == "signaaldrempels gewijzigd"


# --- huishoudboekje signals ---------------------------------------------------------------------


def test_the_signals_command_evaluates_and_writes_the_open_signals_as_csv(db, world, tmp_path,
                                                                           capsys):
    import csv

    from app.cli import main

    url = db.engine.url.render_as_string(hide_password=False)
    out = tmp_path / "signalen.csv"
    assert main(["--db", url, "signals", "--on", "2026-03-31", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"open signalen geschreven naar {out}" in printed
    text = out.read_text(encoding="utf-8")
    assert text.splitlines()[0] == ("dossiernummer;soort;rubriek;verwacht_op;verwacht_bedrag;"
                                    "gevonden;status;contactpersoon;toelichting")
    rows = list(csv.DictReader(text.splitlines(), delimiter=";"))
    with db.read() as session:
        assert len(rows) == open_signal_count(session)
        anna = session.get(Participant, world.anna).number
    rent = sorted((r["verwacht_op"], r["verwacht_bedrag"], r["status"]) for r in rows
                  if r["dossiernummer"] == anna and r["rubriek"] == "huur"
                  and r["soort"] == "betaling ontbreekt")
    assert rent == [("2026-01-01", "812.40", "open"), ("2026-02-01", "812.40", "open"),
                    ("2026-03-01", "812.40", "open")]
    waiting = [r for r in rows if r["dossiernummer"] == anna and r["verwacht_op"] == "2026-03-01"]
    assert "wacht in de wachtrij" in waiting[0]["toelichting"]
    assert all("\n" not in r["toelichting"] for r in rows)

    before = signal_rows(db)  # the same day again: the same signals, none added
    assert main(["--db", url, "signals", "--on", "2026-03-31", "--out", str(out)]) == 0
    assert signal_rows(db) == before
    assert list(csv.DictReader(out.read_text(encoding="utf-8").splitlines(),
                               delimiter=";")) == rows


def test_the_signals_command_refuses_a_wrong_date_in_one_line(db, tmp_path, capsys):
    from app.cli import main

    url = db.engine.url.render_as_string(hide_password=False)
    with pytest.raises(SystemExit) as exit_:
        main(["--db", url, "signals", "--on", "31-03-2026", "--out", str(tmp_path / "s.csv")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "geen geldige datum: '31-03-2026'" in err and "Traceback" not in err
    assert not (tmp_path / "s.csv").exists()
