"""An import's commit judges the signals only from the first day it changed, and the daily
evaluation from the day of the last one (issue 16: both grew with every month of history).
Exactness is the point: after each import of a messy demo's months, and after each day's
evaluation, evaluating everyone over their whole history must find nothing to change — no
signal to open, update or close that the windowed evaluation left."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.demo import generate_demo
from app.demo_camt import write_camt053
from app.demo_statements import (
    BANK_BIC,
    MUNICIPAL_IBAN,
    generate_statements,
    split_statement,
)
from app.importers.statements import StatementData
from app.models import Signal
from app.services import signals
from app.services.accounts import add_municipal_account
from app.services.dossier_import import store_book
from app.services.statement_import import import_statement_file
from app.signal_rules import NeedsHistory

TODAY = date(2026, 11, 15)
PARTICIPANTS, SEED, MONTHS = 120, 3, 4


def signal_table(db) -> list[tuple]:
    with db.read() as session:
        return [
            (s.participant_id, s.key, s.kind.value, s.status.value, s.active, s.agreement_id,
             s.transaction_id, s.message, s.expected_date, s.expected_cents, s.found_cents)
            for s in session.scalars(select(Signal).order_by(Signal.participant_id, Signal.key))
        ]


def test_each_import_judges_from_its_first_day_and_misses_nothing(db, tmp_path, monkeypatch):
    # Few saldo moves one by one, so that saldos already negative before them occur (the day
    # such a negative run began comes from the database).
    monkeypatch.setattr(signals, "SALDO_MOVES_DAYS", 10)
    windows: list[date | None] = []
    full_again: list[int] = []
    negative_before: set[int] = set()  # saldo below zero before the moves read one by one
    load_facts, evaluate = signals.load_facts, signals.evaluate

    def recording_load_facts(session, ids, on, *, since=None, thresholds=None):
        windows.append(since)
        facts = load_facts(session, ids, on, since=since, thresholds=thresholds)
        negative_before.update(pid for pid, f in facts.items() if f.opening_saldo < 0)
        return facts

    def recording_evaluate(facts, coverage, on, thresholds):
        try:
            return evaluate(facts, coverage, on, thresholds)
        except NeedsHistory:
            full_again.append(facts.id)
            raise

    monkeypatch.setattr(signals, "load_facts", recording_load_facts)
    monkeypatch.setattr(signals, "evaluate", recording_evaluate)

    evaluated: list[int] = []  # how many participants each import's commit evaluated
    refresh = signals.refresh_signals

    def recording_refresh(session, ids, *args, **kwargs):
        evaluated.append(PARTICIPANTS if ids is None else len(set(ids)))
        return refresh(session, ids, *args, **kwargs)

    monkeypatch.setattr(signals, "refresh_signals", recording_refresh)

    statements = store_demo(db)
    # The first month whole, the next ones as the days come in: a few days, then more.
    parts = [[statements.statements[0]]] + [
        split_statement(statement, [statement.period_from + timedelta(days=days)
                                    for days in (2, 3, 12)])
        for statement in statements.statements[1:]]
    for number, path in enumerate(statement_files(
            [part for month in parts for part in month], tmp_path), start=1):
        windows.clear()
        import_statement_file(db.unit_of_work("t"), path)
        windowed = [day for day in windows if day is not None]
        if number == 1:
            assert not windowed  # the first statements: everything is new
        else:
            assert windowed and min(windowed) >= statements.statements[0].period_from
        assert_nothing_left(db, date.today(), f"import {number}")
    assert full_again, "no participant needed the whole history: the fallback went untested"
    assert negative_before, "no saldo was negative before the window: that case went untested"
    # A statement of a day or two concerns those with payments due then, not everyone.
    assert min(evaluated) < PARTICIPANTS / 2, evaluated


def test_each_day_judges_from_the_last_evaluation_and_misses_nothing(db, tmp_path, monkeypatch):
    monkeypatch.setattr(signals, "SALDO_MOVES_DAYS", 10)
    statements = store_demo(db)
    with signals.signals_paused():  # the months are there; the days pass below
        for path in statement_files(statements.statements, tmp_path):
            import_statement_file(db.unit_of_work("t"), path)
    windows: list[date | None] = []
    load_facts = signals.load_facts

    def recording_load_facts(session, ids, on, *, since=None, thresholds=None):
        windows.append(since)
        return load_facts(session, ids, on, since=since, thresholds=thresholds)

    monkeypatch.setattr(signals, "load_facts", recording_load_facts)
    day = statements.statements[0].period_from + timedelta(days=40)
    signals.evaluate_signals(db.unit_of_work("t"), day)  # over everything: the first start
    changed = 0
    # The next mornings, a week, a month and more later (the program not started meanwhile).
    for step in (1, 1, 6, 17, 33, 45):
        last, day = day, day + timedelta(days=step)
        windows.clear()
        outcome = signals.evaluate_daily(db.unit_of_work("t"), day)
        assert windows[:1] == [last] and set(windows) <= {last, None}, "not windowed"
        changed += outcome.opened + outcome.closed
        assert signals.evaluate_daily(db.unit_of_work("t"), day) is None  # once a day
        assert_nothing_left(db, day, f"{day}")
    assert changed, "the days passing changed no signal: the test cannot fail"


def store_demo(db):
    data = generate_demo(PARTICIPANTS, seed=SEED, today=TODAY)
    add_municipal_account(db.unit_of_work("t"), MUNICIPAL_IBAN, "Gemeente")
    with db.unit_of_work("t") as uow:
        uow.require((), "testgegevens")
        store_book(uow.session, data.book, "t")
        uow.record("testgegevens", "demo")
        uow.commit()
    return generate_statements(data, MUNICIPAL_IBAN, months=MONTHS, seed=SEED)


def statement_files(statements: list[StatementData], folder) -> list:
    paths = []
    for number, statement in enumerate(statements, start=1):
        path = folder / f"statement_{number}.xml"
        write_camt053(path, [statement], message_id=f"W-{number}",
                      created=datetime(2026, 11, 1, 6), bank_bic=BANK_BIC)
        paths.append(path)
    return paths


def assert_nothing_left(db, on: date, when: str) -> None:
    """Everyone over everything as of ``on`` (rolled back) changes nothing."""
    before = signal_table(db)
    assert before, "the demo raises signals"
    with db.unit_of_work("t") as uow:
        outcome = signals.refresh_signals(uow.session, None, on)
        # (not committed: leaving the unit of work rolls it back)
    assert (outcome.opened, outcome.updated, outcome.closed) == (0, 0, 0), (
        f"{when}: the windowed evaluation left {outcome.summary()}")
    assert signal_table(db) == before


@pytest.mark.parametrize("moved", ["later", "earlier"])
def test_the_first_day_an_import_changed(moved):
    from app.services.statement_import import _changed_since
    from app.signal_rules import Coverage

    before = Coverage(date(2026, 8, 1), date(2026, 9, 30))
    if moved == "later":  # the next month: from the old end, or an earlier first entry
        after = Coverage(date(2026, 8, 1), date(2026, 10, 31))
        assert _changed_since(before, after, date(2026, 10, 1)) == date(2026, 9, 30)
        assert _changed_since(before, after, date(2026, 9, 12)) == date(2026, 9, 12)
    else:  # an older statement: from its beginning
        after = Coverage(date(2026, 7, 1), date(2026, 9, 30))
        assert _changed_since(before, after, date(2026, 7, 3)) == date(2026, 7, 1)
    assert _changed_since(None, after, date(2026, 7, 3)) is None  # the first statements
