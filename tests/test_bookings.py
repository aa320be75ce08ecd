"""The clerk's booking actions on SQLite and PostgreSQL: book (agreement, participant +
category, non-participant category), split, undo, accept suggestions one by one or in bulk,
create the missing agreement, remember and forget search terms. Each is one transaction with
one audit row, keeps the queue invariant, and the saldo follows."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.errors import ConflictError, ValidationError
from app.importers.statements import Entry
from app.models import Agreement, Booking, BookingMethod, SearchTerm, Suggestion
from app.services.agreements import add_search_term, find_category
from app.services.bookings import (
    BookingPart,
    accept_suggestion,
    accept_top_suggestions,
    book_transaction,
    book_with_new_agreement,
    forget_term,
    preview_remember,
    remember_term,
    term_occurs,
    undo_bookings,
    undo_many,
)
from app.services.queue import count_open, learned_terms, propose_terms, transaction_detail
from app.services.saldo import saldo_cents
from tests.helpers import audit_json, audit_rows, last_audit
from tests.queue_data import TODAY, UWV, build_world, set_suggestions, transaction


@pytest.fixture
def world(db):
    return build_world(db)


def category_id(db, name: str) -> int:
    with db.read() as session:
        return find_category(session, name).id


def bookings_of(db, transaction_id: int) -> list[Booking]:
    with db.read() as session:
        return list(session.scalars(select(Booking).where(
            Booking.transaction_id == transaction_id).order_by(Booking.id)))


def saldo(db, participant_id: int) -> int:
    with db.read() as session:
        return saldo_cents(session, participant_id, TODAY)


def open_count(db) -> int:
    with db.read() as session:
        return count_open(session)


def test_booking_to_an_agreement_closes_the_transaction_and_moves_the_saldo(db, world):
    rent = world.tx["RENT-1"]
    before = open_count(db)
    booked = book_transaction(db.unit_of_work("clerk"), rent,
                              [BookingPart(agreement_id=world.anna_rent)],
                              expected_version=transaction(db, rent).version)
    assert open_count(db) == before - 1
    stored = transaction(db, rent)
    assert not stored.is_open and stored.booked_cents == -812_40
    assert booked.version == stored.version  # what an undo of exactly this booking expects
    [booking] = bookings_of(db, rent)
    assert (booking.participant_id, booking.agreement_id, booking.amount_cents) == (
        world.anna, world.anna_rent, -812_40)
    assert booking.method is BookingMethod.MANUAL and booking.created_by == "clerk"
    assert saldo(db, world.anna) == -812_40
    with db.read() as session:  # a booked transaction offers no suggestions
        assert transaction_detail(session, rent, today=TODAY).suggestions == []
    entry = last_audit(db)
    assert (entry.action, entry.actor, entry.entity_id) == ("transactie geboekt", "clerk",
                                                            str(rent))
    assert audit_json(entry, "after")["bookings"][0]["agreement_id"] == world.anna_rent


def test_booking_to_a_participant_with_a_category_without_agreement(db, world):
    gift = world.tx["GIFT-1"]
    book_transaction(db.unit_of_work("clerk"), gift, [
        BookingPart(participant_id=world.anna, category_id=category_id(db, "overige vaste last"))])
    [booking] = bookings_of(db, gift)
    assert booking.participant_id == world.anna and booking.agreement_id is None
    assert saldo(db, world.anna) == 50_00


def test_booking_to_a_non_participant_category(db, world):
    costs = world.tx["COSTS-1"]
    book_transaction(db.unit_of_work("clerk"), costs,
                     [BookingPart(category_id=category_id(db, "bankkosten"))])
    [booking] = bookings_of(db, costs)
    assert booking.participant_id is None and booking.amount_cents == -5_12
    assert not transaction(db, costs).is_open


def test_a_deactivated_category_is_refused_for_a_new_booking(db, world):
    from app.services.categories import set_category_active

    set_category_active(db.unit_of_work("beheer"), category_id(db, "bankkosten"), False)
    with pytest.raises(ValidationError, match="'bankkosten' is niet meer in gebruik"):
        book_transaction(db.unit_of_work("clerk"), world.tx["COSTS-1"],
                         [BookingPart(category_id=category_id(db, "bankkosten"))])
    assert transaction(db, world.tx["COSTS-1"]).is_open


def test_a_participant_category_needs_a_participant(db, world):
    with pytest.raises(ValidationError, match="'huur' hoort bij een deelnemer"):
        book_transaction(db.unit_of_work("clerk"), world.tx["RENT-1"],
                         [BookingPart(category_id=category_id(db, "huur"))])
    assert transaction(db, world.tx["RENT-1"]).is_open


def test_a_split_must_add_up_exactly(db, world):
    benefit = world.tx["UWV-1"]  # € 1.261,10 covering two things
    leefgeld = category_id(db, "leefgeld")
    with pytest.raises(ValidationError, match="tellen niet op .* verschil € 0,10"):
        book_transaction(db.unit_of_work("clerk"), benefit, [
            BookingPart(agreement_id=world.anna_benefit, amount_cents=1_000_00),
            BookingPart(participant_id=world.bram, category_id=leefgeld, amount_cents=261_00)])
    with pytest.raises(ValidationError, match="hetzelfde teken"):
        book_transaction(db.unit_of_work("clerk"), benefit, [
            BookingPart(agreement_id=world.anna_benefit, amount_cents=1_300_00),
            BookingPart(participant_id=world.bram, category_id=leefgeld, amount_cents=-38_90)])
    assert not bookings_of(db, benefit) and transaction(db, benefit).is_open
    book_transaction(db.unit_of_work("clerk"), benefit, [
        BookingPart(agreement_id=world.anna_benefit, amount_cents=1_000_00),
        BookingPart(participant_id=world.bram, category_id=leefgeld, amount_cents=261_10)])
    assert [b.amount_cents for b in bookings_of(db, benefit)] == [1_000_00, 261_10]
    assert (saldo(db, world.anna), saldo(db, world.bram)) == (1_000_00, 261_10)
    assert not transaction(db, benefit).is_open
    assert last_audit(db).action == "transactie gesplitst"


def test_undo_returns_the_transaction_to_the_queue_and_the_saldo_follows(db, world):
    rent = world.tx["RENT-1"]
    booked = book_transaction(db.unit_of_work("clerk"), rent,
                              [BookingPart(agreement_id=world.anna_rent)])
    before = open_count(db)
    assert undo_bookings(db.unit_of_work("clerk"), rent, expected_version=booked.version) == 1
    assert open_count(db) == before + 1
    stored = transaction(db, rent)
    assert stored.is_open and stored.booked_cents == 0 and saldo(db, world.anna) == 0
    entry = last_audit(db)
    assert entry.action == "boeking ongedaan gemaakt"
    assert audit_json(entry, "before")["bookings"][0]["amount_cents"] == -812_40


def test_undo_refuses_to_undo_what_a_colleague_changed_since(db, world):
    rent = world.tx["RENT-1"]
    mine = book_transaction(db.unit_of_work("anna"), rent,
                            [BookingPart(agreement_id=world.anna_rent)])
    undo_bookings(db.unit_of_work("bert"), rent)  # a colleague undid it and booked it again
    book_transaction(db.unit_of_work("bert"), rent, [BookingPart(agreement_id=world.bram_rent)])
    with pytest.raises(ConflictError, match="intussen"):
        undo_bookings(db.unit_of_work("anna"), rent, expected_version=mine.version)
    assert bookings_of(db, rent)[0].agreement_id == world.bram_rent


def test_booking_twice_is_refused_with_a_clear_message(db, world):
    rent = world.tx["RENT-1"]
    version = transaction(db, rent).version
    book_transaction(db.unit_of_work("anna"), rent, [BookingPart(agreement_id=world.anna_rent)],
                     expected_version=version)
    for expected in (version, None):  # a stale screen, or none at all
        with pytest.raises(ConflictError, match="intussen al geboekt"):
            book_transaction(db.unit_of_work("bert"), rent,
                             [BookingPart(agreement_id=world.bram_rent)],
                             expected_version=expected)
    assert len(bookings_of(db, rent)) == 1


def test_accepting_a_suggestion_keeps_its_reason(db, world):
    rent = world.tx["RENT-1"]
    with db.read() as session:
        top = session.scalar(select(Suggestion).where(Suggestion.transaction_id == rent,
                                                      Suggestion.rank == 1))
    accept_suggestion(db.unit_of_work("clerk"), rent, top.agreement_id)
    [booking] = bookings_of(db, rent)
    assert booking.agreement_id == top.agreement_id == world.anna_rent
    assert booking.reason.startswith(f"voorstel 1 geaccepteerd (score {top.score}): IBAN van")


def test_bulk_books_only_clear_high_scores_and_summarises(db, world):
    tx = world.tx
    set_suggestions(db, tx["UWV-1"], [(world.anna_benefit, 92)])
    set_suggestions(db, tx["UWV-2"], [(world.anna_benefit, 60)])
    set_suggestions(db, tx["RENT-1"], [(world.anna_rent, 85), (world.bram_rent, 80)])
    set_suggestions(db, tx["UWV-3"], [(world.anna_benefit, 95), (world.anna_rent, 40)])
    book_transaction(db.unit_of_work("colleague"), tx["UWV-3"],
                     [BookingPart(agreement_id=world.anna_benefit)])
    selected = [tx["UWV-1"], tx["UWV-2"], tx["RENT-1"], tx["UWV-3"], tx["GIFT-1"]]
    progress = []
    outcome = accept_top_suggestions(db.unit_of_work("clerk"), selected, min_score=80,
                                     progress=lambda done, total: progress.append((done, total)))
    assert [b.transaction_id for b in outcome.booked] == [tx["UWV-1"]]
    assert dict(outcome.skipped) == {"score onder 80": 1, "twee voorstellen bijna even goed": 1,
                                     "al geboekt": 1, "geen voorstel": 1}
    assert outcome.summary().startswith("1 geboekt; overgeslagen: ")
    assert progress[-1] == (5, 5)
    [booking] = bookings_of(db, tx["UWV-1"])
    assert booking.reason.startswith("voorstel in bulk geaccepteerd (score 92)")
    entry = last_audit(db)
    assert entry.action == "voorstellen in bulk geaccepteerd" and entry.actor == "clerk"
    assert audit_json(entry, "after")["overgeslagen"]["al geboekt"] == 1
    # Undoing the bulk action as a whole.
    assert undo_many(db.unit_of_work("clerk"),
                     {b.transaction_id: b.version for b in outcome.booked}) == 1
    assert transaction(db, tx["UWV-1"]).is_open


def test_a_cancelled_bulk_stores_nothing(db, world):
    tx = world.tx
    set_suggestions(db, tx["UWV-1"], [(world.anna_benefit, 92)])
    entries = len(audit_rows(db))

    def cancel(done, total):
        raise KeyboardInterrupt  # what the progress dialog's Annuleren does (it raises)

    with pytest.raises(KeyboardInterrupt):
        accept_top_suggestions(db.unit_of_work("clerk"), [tx["UWV-1"]], progress=cancel)
    assert transaction(db, tx["UWV-1"]).is_open and len(audit_rows(db)) == entries


def test_booking_with_a_new_agreement_creates_it_and_links_the_rest(db, world):
    gift = world.tx["GIFT-1"]
    agreement_id, booked = book_with_new_agreement(
        db.unit_of_work("clerk"), gift, world.anna, category="overige vaste last",
        search_terms=[], direction="inkomst", amount_cents=50_00, frequency="maand", day=12,
        valid_from=TODAY.replace(month=3, day=1), description="Bijdrage familie")
    with db.read() as session:
        agreement = session.get(Agreement, agreement_id)
        assert (agreement.participant_id, agreement.amount_cents) == (world.anna, 50_00)
    [booking] = bookings_of(db, gift)
    assert booking.agreement_id == agreement_id and booked.booking_ids == (booking.id,)
    assert last_audit(db).action == "transactie geboekt op nieuwe afspraak"


def test_a_new_agreement_with_a_reference_links_the_waiting_ones_too(db, world):
    first, others = world.tx["UWV-1"], [world.tx["UWV-2"], world.tx["UWV-3"]]
    agreement_id, _booked = book_with_new_agreement(
        db.unit_of_work("clerk"), first, world.bram, category="uitkering",
        search_terms=["2619999999"], organisation_id=world.uwv, direction="inkomst",
        amount_cents=1_261_10, frequency="maand", day=23, valid_from=TODAY.replace(month=1,
                                                                                  day=1))
    assert [bookings_of(db, t)[0].agreement_id for t in others] == [agreement_id] * 2
    assert saldo(db, world.bram) == 3 * 1_261_10


def test_remember_previews_then_links_and_can_be_forgotten(db, world):
    first, others = world.tx["UWV-1"], {world.tx["UWV-2"], world.tx["UWV-3"]}
    accept_suggestion(db.unit_of_work("clerk"), first, world.anna_benefit)
    with db.read() as session:
        preview = preview_remember(session, world.anna_benefit, "2619999999")
    assert {link.transaction_id for link in preview.via_term} == others
    assert all("2619999999" in link.reason for link in preview.via_term)
    assert open_count(db) == 5  # a preview stores nothing
    outcome = remember_term(db.unit_of_work("clerk"), world.anna_benefit, "2619999999",
                            [link.transaction_id for link in preview.links])
    assert set(outcome.linked_transaction_ids) == others
    assert all(not transaction(db, t).is_open for t in others)
    with db.read() as session:
        [learned] = learned_terms(session)
        assert (learned.term, learned.agreement_id, learned.participant_number) == (
            "2619999999", world.anna_benefit, "HHB-00001")
    forget_term(db.unit_of_work("clerk"), learned.id)
    with db.read() as session:
        assert learned_terms(session) == []
        assert session.scalar(select(func.count()).select_from(SearchTerm).where(
            SearchTerm.agreement_id == world.anna_benefit)) == 1  # the typed term stays
    assert [e.action for e in audit_rows(db)][-1] == "zoekterm verwijderd"


def test_remember_refuses_an_empty_term(db, world):
    with db.read() as session, pytest.raises(ValidationError, match="zoekterm"):
        preview_remember(session, world.anna_benefit, " - . ")


def test_proposed_terms_are_the_references_the_matcher_counts():
    assert propose_terms("Huur januari 2026 huurcontractnummer 7509.1061") == ["7509.1061"]
    assert propose_terms("WW-uitkering maart 2026 uitkeringsnr 2619999999") == ["2619999999"]
    assert propose_terms("Betaling 02-01-2026 klant 1234 5678 9012") == ["1234 5678 9012"]
    assert propose_terms("Leefgeld week 1 HHB-00020") == ["HHB-00020"]
    assert propose_terms("Voor Anna", None) == []
    assert term_occurs("261.000.012.3", ["uitkeringsnr 2610000123"])
    assert not term_occurs("2610000123", ["uitkeringsnr 26100001234"])



KNOWN_BENEFIT = Entry(date(2026, 3, 23), 1_261_10, counterparty_name="UWV",
                      counterparty_iban=UWV, bank_reference="UWV-KNOWN",
                      description="WW-uitkering maart 2026 uitkeringsnr 2610000123")


def linked_automatically(db) -> tuple[object, int]:
    """Anna's benefit with her known reference: the matcher links it by itself."""
    world = build_world(db, [KNOWN_BENEFIT])
    benefit = world.tx["UWV-KNOWN"]
    [booking] = bookings_of(db, benefit)
    assert booking.method is BookingMethod.AUTOMATIC
    return world, benefit


def test_undoing_an_automatic_link_leaves_it_to_a_person(db):
    _world, benefit = linked_automatically(db)
    undo_bookings(db.unit_of_work("clerk"), benefit)
    stored = transaction(db, benefit)
    assert stored.is_open and stored.manual_only


def test_an_undone_automatic_link_is_not_linked_again(db):
    world, benefit = linked_automatically(db)
    undo_bookings(db.unit_of_work("clerk"), benefit)
    add_search_term(db.unit_of_work("clerk"), world.bram_rent, "contract 4711")
    assert transaction(db, benefit).is_open  # any agreement change re-matches the queue
