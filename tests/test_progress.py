"""Voortgang services on SQLite and PostgreSQL: nulmeting vs now, talks, referrals."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from sqlalchemy import select

from app.errors import ConflictError, ValidationError
from app.models import ContactKind, ContactNote, ReferralOutcome
from app.services import progress
from app.services.signals import load_thresholds, save_thresholds
from tests.helpers import audit_json, audit_rows
from tests.test_participants import new_participant

TODAY = date(2026, 3, 10)


def test_nulmeting_once_then_now_and_audit(db):
    pid = new_participant(db)
    progress.set_assessment(db.unit_of_work("t"), pid, self_reliance="niet zelfredzaam",
                            debt_situation="problematische schulden", intake=True)
    with pytest.raises(ValidationError, match="nulmeting is al vastgelegd"):
        progress.set_assessment(db.unit_of_work("t"), pid, self_reliance="zelfredzaam",
                                debt_situation="geen", intake=True)
    progress.set_assessment(db.unit_of_work("t"), pid, self_reliance="matig zelfredzaam",
                            debt_situation="kleine schulden", next_talk=date(2026, 9, 1))
    with db.read() as session:
        view = progress.progress_view(session, pid)
    assert view.intake_self_reliance == "niet zelfredzaam"
    assert view.intake_debt_situation == "problematische schulden"
    assert (view.self_reliance, view.debt_situation) == ("matig zelfredzaam", "kleine schulden")
    assert view.next_progress_talk == date(2026, 9, 1)
    assert audit_json(audit_rows(db, "nulmeting vastgelegd")[-1], "after")[
        "intake_self_reliance"] == "niet zelfredzaam"
    assert audit_rows(db, "voortgang bijgewerkt")
    progress.set_assessment(db.unit_of_work("t"), pid, self_reliance="zelfredzaam",
                            debt_situation="geen", intake=True, correct_intake=True)
    assert audit_rows(db, "nulmeting gecorrigeerd")


def test_assessment_version_conflict(db):
    pid = new_participant(db)
    with db.read() as session:
        stale = progress.progress_view(session, pid).version
    progress.set_assessment(db.unit_of_work("t"), pid, self_reliance="zelfredzaam",
                            debt_situation="geen", expected_version=stale)
    with pytest.raises(ConflictError):
        progress.set_assessment(db.unit_of_work("t"), pid, self_reliance="niet zelfredzaam",
                                debt_situation="geen", expected_version=stale)


def test_referral_and_outcome_with_refusals(db):
    pid = new_participant(db)
    with pytest.raises(ValidationError, match="toekomst"):
        progress.add_referral(db.unit_of_work("t"), pid, "schuldhulp", date(2026, 3, 11),
                              today=TODAY)
    rid = progress.add_referral(db.unit_of_work("t"), pid, "schuldhulp", date(2026, 2, 1),
                                "Warme overdracht Plangroep", today=TODAY)
    with pytest.raises(ValidationError, match="vóór de verwijsdatum"):
        progress.record_referral_outcome(db.unit_of_work("t"), rid, "hulp gestart",
                                         date(2026, 1, 31), today=TODAY)
    with db.read() as session:
        row = progress.progress_view(session, pid).referrals[0]
    progress.record_referral_outcome(db.unit_of_work("t"), rid, "hulp gestart",
                                     date(2026, 3, 1), expected_version=row.version, today=TODAY)
    with pytest.raises(ConflictError):
        progress.record_referral_outcome(db.unit_of_work("t"), rid, "afgerond",
                                         date(2026, 3, 2), expected_version=row.version,
                                         today=TODAY)
    with db.read() as session:
        row = progress.progress_view(session, pid).referrals[0]
    assert (row.kind, row.outcome, row.outcome_date) == (
        "schuldhulp", ReferralOutcome.STARTED, date(2026, 3, 1))
    assert row.note == "Warme overdracht Plangroep"
    assert audit_rows(db, "doorverwezen")
    outcome = audit_rows(db, "uitkomst doorverwijzing vastgelegd")[-1]
    assert audit_json(outcome, "after")["outcome"] == "hulp gestart"


def test_progress_talk_sets_next_talk_and_a_visit_note(db):
    pid = new_participant(db)
    nxt = progress.record_progress_talk(db.unit_of_work("t"), pid, date(2025, 8, 31),
                                        "Gaat goed", today=TODAY)
    assert nxt == date(2026, 2, 28)
    with db.read() as session:
        note = session.scalar(select(ContactNote).where(ContactNote.participant_id == pid))
        assert note.kind == ContactKind.VISIT and "Gaat goed" in note.text
        assert progress.progress_view(session, pid).next_progress_talk == date(2026, 2, 28)
    assert audit_rows(db, "voortgangsgesprek gehouden")


def test_the_next_talk_follows_the_interval_set_in_the_signal_settings(db):
    pid = new_participant(db)
    with db.read() as session:
        quarterly = dataclasses.replace(load_thresholds(session), progress_talk_months=3)
    save_thresholds(db.unit_of_work("t"), quarterly, on=TODAY)
    nxt = progress.record_progress_talk(db.unit_of_work("t"), pid, date(2026, 1, 31),
                                        "Kwartaalgesprek", today=TODAY)
    assert nxt == date(2026, 4, 30)
