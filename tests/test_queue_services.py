"""The queue's read side on SQLite and PostgreSQL: ordered ids with filtering and sorting in
SQL, page rows with the best suggestion, the detail of one transaction, participant search
(name, dossier number, IBAN, last digits of the BSN) and the lists the detail pane shows."""

from __future__ import annotations

from datetime import date

from app.services import agreements as agr
from app.services.bookings import BookingPart, book_transaction
from app.services.bsn import search_bsn
from app.services.participants import create_participant
from app.services.queue import (
    QueueFilter,
    QueueSort,
    QueueStatus,
    SortKey,
    count_open,
    count_queue,
    list_categories,
    participant_agreements,
    propose_agreement,
    queue_ids,
    queue_rows,
    search_participants,
    transaction_detail,
)
from tests import queue_data
from tests.helpers import VALID_BSNS
from tests.queue_data import ANNA_OWN, TODAY, set_suggestions

# A fresh copy of the queue world per test (tests/queue_data.py).
world_db, db, world = queue_data.world_db, queue_data.db, queue_data.world


def ids(db, **filters) -> list[int]:
    sort = filters.pop("sort", QueueSort())
    with db.read() as session:
        return queue_ids(session, QueueFilter(**filters), sort, today=TODAY)


def refs(world, transaction_ids: list[int]) -> list[str]:
    by_id = {v: k for k, v in world.tx.items()}
    return [by_id[i] for i in transaction_ids]


def test_the_queue_is_the_open_transactions_oldest_first(db, world):
    assert refs(world, ids(db)) == ["UWV-1", "UWV-2", "RENT-1", "GIFT-1", "UWV-3", "COSTS-1"]
    with db.read() as session:
        assert count_open(session) == 6
        assert count_queue(session, QueueFilter(text="uitkering"), today=TODAY) == 3


def test_filters_narrow_in_sql(db, world):
    assert refs(world, ids(db, text="UITKERINGSNR 26199")) == ["UWV-1", "UWV-2", "UWV-3"]
    assert refs(world, ids(db, text="100%_")) == []  # wildcards are typed text, not patterns
    assert refs(world, ids(db, counterparty="portaal")) == ["RENT-1"]
    assert refs(world, ids(db, counterparty="nl 41 abna")) == []
    assert refs(world, ids(db, counterparty=world_iban_piece())) == ["GIFT-1"]
    # Amounts without their sign: the € 812,40 debit is between 500 and 1.000.
    assert refs(world, ids(db, amount_min_cents=500_00, amount_max_cents=1_000_00)) == [
        "RENT-1"]
    assert refs(world, ids(db, amount_max_cents=50_00)) == ["GIFT-1", "COSTS-1"]
    assert refs(world, ids(db, direction="uit")) == ["RENT-1", "COSTS-1"]
    assert refs(world, ids(db, date_from=date(2026, 3, 1), date_to=date(2026, 3, 23))) == [
        "RENT-1", "GIFT-1", "UWV-3"]
    # Age in days, counted from today (15 April): older than 40 days = on or before 6 March.
    assert refs(world, ids(db, min_age_days=40)) == ["UWV-1", "UWV-2", "RENT-1"]
    assert refs(world, ids(db, max_age_days=20)) == ["COSTS-1"]  # 31 March: 15 days


def world_iban_piece() -> str:
    from tests.queue_data import GIFT_FROM

    return GIFT_FROM[4:12].lower()  # part of the IBAN, as a clerk types it


def test_sorting_in_sql_both_ways(db, world):
    by_amount = refs(world, ids(db, sort=QueueSort(SortKey.AMOUNT)))
    assert by_amount == ["RENT-1", "COSTS-1", "GIFT-1", "UWV-1", "UWV-2", "UWV-3"]
    assert refs(world, ids(db, sort=QueueSort(SortKey.AMOUNT, descending=True))) == [
        "UWV-3", "UWV-2", "UWV-1", "GIFT-1", "COSTS-1", "RENT-1"]
    assert refs(world, ids(db, sort=QueueSort(SortKey.AGE, descending=True)))[0] == "UWV-1"
    assert refs(world, ids(db, sort=QueueSort(SortKey.COUNTERPARTY)))[:2] == ["GIFT-1",
                                                                              "RENT-1"]
    set_suggestions(db, world.tx["GIFT-1"], [(world.anna_benefit, 99)])
    by_score = refs(world, ids(db, sort=QueueSort(SortKey.SCORE, descending=True)))
    assert by_score[0] == "GIFT-1" and by_score[-1] == "COSTS-1"  # without score: last
    by_suggestion = refs(world, ids(db, sort=QueueSort(SortKey.SUGGESTION)))
    assert by_suggestion[-1] == "COSTS-1"


def test_status_shows_booked_transactions_with_their_booking(db, world):
    book_transaction(db.unit_of_work("clerk"), world.tx["RENT-1"],
                     [BookingPart(agreement_id=world.anna_rent)])
    assert "RENT-1" not in refs(world, ids(db))
    booked = ids(db, status=QueueStatus.BOOKED)
    assert refs(world, booked) == ["RENT-1"]
    with db.read() as session:
        [row] = queue_rows(session, booked, today=TODAY)
    assert not row.is_open and row.suggestion == "geboekt: HHB-00001 Anna Jansen — huur"
    assert len(ids(db, status=QueueStatus.ALL)) == 6


def test_page_rows_keep_the_order_and_carry_the_best_suggestion(db, world):
    wanted = [world.tx["COSTS-1"], world.tx["RENT-1"], 999_999]
    with db.read() as session:
        costs, rent = queue_rows(session, wanted, today=TODAY)
    assert (costs.id, rent.id) == tuple(wanted[:2])  # an id that is gone is left out
    assert costs.suggestion is None and costs.amount_cents == -5_12
    assert rent.suggestion == "HHB-00001 Anna Jansen — huur"
    assert rent.suggestion_agreement_id == world.anna_rent and rent.score > 0
    assert rent.age_days == (TODAY - date(2026, 3, 2)).days
    assert rent.counterparty_name == "Stichting Portaal"


def test_detail_has_the_full_text_references_and_ranked_suggestions(db, world):
    with db.read() as session:
        detail = transaction_detail(session, world.tx["RENT-1"], today=TODAY)
        assert transaction_detail(session, 999_999) is None
    assert detail.description == "Huur maart 2026"
    assert ("Bankreferentie", "RENT-1") in detail.references
    assert detail.counterparty_owner == "Stichting Portaal"
    assert [s.participant_name for s in detail.suggestions] == ["Anna Jansen", "Bram de Vries"]
    assert [s.rank for s in detail.suggestions] == [1, 2]
    top = detail.suggestions[0]
    assert top.title() == "HHB-00001 Anna Jansen — huur (Stichting Portaal)"
    assert "IBAN van Stichting Portaal" in top.reason and top.valid
    with db.read() as session:
        benefit = transaction_detail(session, world.tx["UWV-1"], today=TODAY)
    assert benefit.proposed_terms == ["2619999999"]


def test_participant_search_by_name_number_iban_and_bsn_digits(db, world):
    with db.read() as session:
        def found(text):
            return [(h.number, h.matched) for h in search_participants(session, text)]

        assert found("anna") == [("HHB-00001", "naam")]
        assert found("de vries") == [("HHB-00002", "naam")]
        assert found("bram vries") == [("HHB-00002", "naam")]
        assert found("HHB-00002") == [("HHB-00002", "dossiernummer")]
        assert found("2") == [("HHB-00002", "dossiernummer")]
        spaced = " ".join(ANNA_OWN[i:i + 4] for i in range(0, len(ANNA_OWN), 4))
        assert found(spaced) == [("HHB-00001", f"IBAN {ANNA_OWN}")]
        three = VALID_BSNS[1][-3:]  # the stored tail: no BSN read, nothing logged
        assert found(three) == [("HHB-00002", f"BSN eindigt op {three}")]
        # Four digits or more need the BSN itself: only through the logged search.
        last_digits = VALID_BSNS[1][-4:]
        assert found(last_digits) == []
        ids = search_bsn(db.unit_of_work("t"), last_digits)
        hits = search_participants(session, last_digits, bsn_ids=ids)
        assert [(h.number, h.matched) for h in hits] == [
            ("HHB-00002", f"BSN eindigt op {last_digits}")]
        assert found("") == [] and found("niemand") == []
        hit = search_participants(session, "anna")[0]
        assert VALID_BSNS[0] not in repr(hit)  # the BSN itself is never handed out


def test_participant_search_ignores_accents_and_case(db, world):
    create_participant(db.unit_of_work("t"), bsn=VALID_BSNS[2], first_name="Ayşe",
                       last_name="Öztürk-Çelik", city="Utrecht")
    with db.read() as session:
        def found(text):
            return [h.name for h in search_participants(session, text)]

        assert found("ayse ozturk") == ["Ayşe Öztürk-Çelik"]
        assert found("CELIK") == ["Ayşe Öztürk-Çelik"]
        assert found("öztürk") == ["Ayşe Öztürk-Çelik"]


def test_agreements_categories_and_the_proposed_new_agreement(db, world):
    agr.end_agreement(db.unit_of_work("t"), world.anna_rent, date(2026, 1, 31))
    with db.read() as session:
        agreements = participant_agreements(session, world.anna)
        categories = list_categories(session)
        proposal = propose_agreement(session, world.tx["RENT-1"], world.bram,
                                     next(c.id for c in categories if c.name == "huur"))
    assert [a.title() for a in agreements] == ["uitkering — UWV", "huur — Stichting Portaal"]
    assert agreements[0].search_terms == ("261.000.012.3",)
    assert not agreements[1].is_valid_on(date(2026, 3, 2))  # ended ones come last
    assert {c.name for c in categories if not c.for_participants} == {"bankkosten", "onbekend"}
    assert (proposal.organisation, proposal.direction, proposal.amount_cents) == (
        "Stichting Portaal", "uitgave", 812_40)
    assert (proposal.frequency, proposal.day, proposal.valid_from) == ("maand", 2,
                                                                       date(2026, 3, 1))


def test_an_undone_booking_comes_back_with_its_suggestions(db, world):
    from app.services.bookings import accept_suggestion, undo_bookings, undo_many

    def ranked(transaction_id: int) -> list[int]:
        with db.read() as session:
            detail = transaction_detail(session, transaction_id, today=TODAY)
        return [s.agreement_id for s in detail.suggestions]

    rent = world.tx["RENT-1"]
    assert ranked(rent) == [world.anna_rent, world.bram_rent]
    booked = accept_suggestion(db.unit_of_work(), rent, world.bram_rent)  # 2 instead of 1
    assert ranked(rent) == []
    undo_bookings(db.unit_of_work(), rent, expected_version=booked.version)
    assert ranked(rent) == [world.anna_rent, world.bram_rent]  # 1 is there to pick again
    booked = accept_suggestion(db.unit_of_work(), rent, world.anna_rent)
    undo_many(db.unit_of_work(), {rent: booked.version})
    assert ranked(rent) == [world.anna_rent, world.bram_rent]
    with db.read() as session:
        assert queue_rows(session, [rent], today=TODAY)[0].suggestion_agreement_id \
            == world.anna_rent
