"""An import's commit judges the signals only from the first day it changed (issue 16: the
commit grew with every month of history). Exactness is the point: after each import of a
messy demo's months, evaluating everyone over their whole history must find nothing to
change — no signal to open, update or close that the windowed evaluation left."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from app.demo import generate_demo
from app.demo_camt import write_camt053
from app.demo_statements import BANK_BIC, MUNICIPAL_IBAN, generate_statements
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

    data = generate_demo(PARTICIPANTS, seed=SEED, today=TODAY)
    add_municipal_account(db.unit_of_work("t"), MUNICIPAL_IBAN, "Gemeente")
    with db.unit_of_work("t") as uow:
        uow.require((), "testgegevens")
        store_book(uow.session, data.book, "t")
        uow.record("testgegevens", "demo")
        uow.commit()
    statements = generate_statements(data, MUNICIPAL_IBAN, months=MONTHS, seed=SEED)
    for number, statement in enumerate(statements.statements, start=1):
        path = tmp_path / f"month_{number}.xml"
        write_camt053(path, [statement], message_id=f"W-{number}",
                      created=datetime(2026, 11, 1, 6), bank_bic=BANK_BIC)
        windows.clear()
        import_statement_file(db.unit_of_work("t"), path)
        windowed = [day for day in windows if day is not None]
        if number == 1:
            assert not windowed  # the first statements: everything is new
        else:
            assert windowed and min(windowed) >= statements.statements[0].period_from
        after_import = signal_table(db)
        assert after_import, "the demo raises signals"

        with db.unit_of_work("t") as uow:  # everything over everything, as of the same day
            outcome = signals.refresh_signals(uow.session, None, date.today())
            # (not committed: leaving the unit of work rolls it back)
        assert (outcome.opened, outcome.updated, outcome.closed) == (0, 0, 0), (
            f"month {number}: the evaluation since the import's first day left "
            f"{outcome.summary()}")
        assert signal_table(db) == after_import
    assert full_again, "no participant needed the whole history: the fallback went untested"
    assert negative_before, "no saldo was negative before the window: that case went untested"


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
