"""A small municipality whose statement leaves real work in the manual matching queue.

Built only through the services (dossiers, agreements, a statement import that runs the
matcher), so the queue holds what the matcher really leaves:

- rent from Stichting Portaal, which has two tenants (Anna and Bram): suggestions, no link;
- UWV payments with a benefit number nobody has yet (three months of it): a suggestion;
- a gift from an unknown account, bank costs without counter account: no suggestion.
"""

from __future__ import annotations

import hashlib
import itertools
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select

from app.db import Database
from app.demo import nl_iban
from app.importers.statements import Entry, ReadResult, StatementData
from app.models import BankTransaction, Suggestion
from app.services import agreements as agr
from app.services.accounts import add_municipal_account
from app.services.organisations import create_organisation
from app.services.participants import create_participant
from app.services.statement_import import store_statements
from tests.conftest import new_postgres_database
from tests.helpers import VALID_BSNS

OURS = nl_iban("BNGH", "0285093174")
PORTAAL = nl_iban("RABO", "0123456789")
UWV = nl_iban("INGB", "0000000001")
ANNA_OWN = nl_iban("INGB", "0001234567")
GIFT_FROM = nl_iban("ABNA", "0417164300")
TODAY = date(2026, 4, 15)
_files = itertools.count(1)


@dataclass
class World:
    anna: int
    bram: int
    portaal: int
    uwv: int
    anna_rent: int
    bram_rent: int
    anna_benefit: int
    tx: dict[str, int]  # bank reference → transaction id


RENT = Entry(date(2026, 3, 2), -812_40, counterparty_name="Stichting Portaal",
             counterparty_iban=PORTAAL, bank_reference="RENT-1",
             description="Huur maart 2026")
BENEFIT = [
    Entry(date(2026, month, 23), 1_261_10, counterparty_name="UWV", counterparty_iban=UWV,
          bank_reference=f"UWV-{month}",
          description=f"WW-uitkering {name} 2026 uitkeringsnr 2619999999")
    for month, name in ((1, "januari"), (2, "februari"), (3, "maart"))
]
GIFT = Entry(date(2026, 3, 12), 50_00, counterparty_name="Fam. Jansen",
             counterparty_iban=GIFT_FROM, bank_reference="GIFT-1",
             description="Voor Anna, gefeliciteerd")
COSTS = Entry(date(2026, 3, 31), -5_12, bank_reference="COSTS-1",
              description="Kosten betalingsverkeer maart 2026")
ENTRIES = [RENT, *BENEFIT, GIFT, COSTS]


def build_world(db, entries: list[Entry] = ENTRIES) -> World:
    add_municipal_account(db.unit_of_work("beheer"), OURS, "Gemeente Utrecht")
    portaal = create_organisation(db.unit_of_work("beheer"), name="Stichting Portaal",
                                  kind="vaste_last", ibans=[PORTAAL])
    uwv = create_organisation(db.unit_of_work("beheer"), name="UWV", kind="inkomen",
                              ibans=[UWV])
    anna = create_participant(db.unit_of_work("t"), bsn=VALID_BSNS[0], first_name="Anna",
                              last_name="Jansen", city="Utrecht", iban=ANNA_OWN)
    bram = create_participant(db.unit_of_work("t"), bsn=VALID_BSNS[1], first_name="Bram",
                              infix="de", last_name="Vries", city="Nieuwegein")
    common = {"frequency": "maand", "valid_from": date(2026, 1, 1)}
    anna_rent = agr.create_agreement(db.unit_of_work("t"), anna, organisation_id=portaal,
                                     direction="uitgave", amount_cents=812_40, day=1,
                                     category="huur", **common)
    bram_rent = agr.create_agreement(db.unit_of_work("t"), bram, organisation_id=portaal,
                                     direction="uitgave", amount_cents=690_00, day=1,
                                     category="huur", **common)
    anna_benefit = agr.create_agreement(
        db.unit_of_work("t"), anna, organisation_id=uwv, direction="inkomst",
        amount_cents=1_261_10, day=23, category="uitkering", search_terms=["261.000.012.3"],
        description="WW-uitkering", **common)
    import_entries(db, entries)
    return World(anna, bram, portaal, uwv, anna_rent, bram_rent, anna_benefit,
                 transaction_ids(db))


def import_entries(db, entries: list[Entry]) -> None:
    total = sum(e.amount_cents for e in entries)
    number = next(_files)
    statement = StatementData(account=OURS, period_from=date(2026, 1, 1),
                              period_through=date(2026, 3, 31), opening_balance_cents=None,
                              opening_date=None, closing_balance_cents=None,
                              closing_date=None, entries=list(entries))
    del total
    store_statements(db.unit_of_work("clerk"), ReadResult("csv-ing", [statement]),
                     file_name=f"afschrift-{number}.csv",
                     sha256=hashlib.sha256(str(number).encode()).hexdigest())


def transaction_ids(db) -> dict[str, int]:
    with db.read() as session:
        return {reference: transaction_id for reference, transaction_id in session.execute(
            select(BankTransaction.bank_reference, BankTransaction.id))}


def transaction(db, transaction_id: int) -> BankTransaction:
    with db.read() as session:
        return session.get(BankTransaction, transaction_id)


def set_suggestions(db, transaction_id: int, ranked: list[tuple[int, int]]) -> None:
    """Replace a transaction's suggestions, as the matcher leaves them: (agreement, score)."""
    with db.unit_of_work("matcher") as uow:
        session = uow.session
        for old in session.scalars(select(Suggestion).where(
                Suggestion.transaction_id == transaction_id)):
            session.delete(old)
        for rank, (agreement_id, score) in enumerate(ranked, start=1):
            session.add(Suggestion(transaction_id=transaction_id, agreement_id=agreement_id,
                                   rank=rank, score=score, reason=f"testvoorstel {rank}"))
        uow.record("voorstellen gezet (test)", "match_suggestions")
        uow.permitted = True  # test set-up straight into the tables, not a service
        uow.commit()


class WorldTemplates:
    """A world built once per backend by ``build(db)`` and copied for each test (a file copy
    on SQLite, CREATE DATABASE … TEMPLATE on PostgreSQL): every test still gets its own
    database with exactly the same contents, without building it through the services again."""

    def __init__(self, build: Callable[[Database], Any] | None = None) -> None:
        self.build = build or build_world
        self._made: dict[str, tuple[str, Any]] = {}

    def database(self, request, backend: str, tmp_path: Path) -> tuple[Database, Any]:
        if backend not in self._made:
            self._made[backend] = self._build(request, backend)
        template, world = self._made[backend]
        if backend == "sqlite":
            path = tmp_path / "hhb.db"
            shutil.copy(template, path)
            return Database.open(f"sqlite:///{path}"), world
        url = new_postgres_database(request.getfixturevalue("postgres"), template)
        return Database.open(url), world

    def _build(self, request, backend: str) -> tuple[str, Any]:
        if backend == "sqlite":
            folder = request.getfixturevalue("tmp_path_factory").mktemp("world")
            path = folder / "world.db"
            shutil.copy(request.getfixturevalue("sqlite_template"), path)
            url = f"sqlite:///{path}"
        else:
            url = new_postgres_database(request.getfixturevalue("postgres"),
                                        request.getfixturevalue("postgres_template"))
        database = Database.open(url)
        try:
            world = self.build(database)
        finally:
            database.dispose()
        if backend == "sqlite":  # fold the WAL into the file so a plain copy is complete
            engine = create_engine(url)
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            engine.dispose()
            return str(path), world
        return url.rsplit("/", 1)[1], world  # the database's name: a template to clone


# -- fixtures of the queue tests (imported by those test files) ----------------------------

WORLDS = WorldTemplates()  # one template per backend for every queue test file


@pytest.fixture
def world_db(request, backend, tmp_path):
    database, world = WORLDS.database(request, backend, tmp_path)
    yield database, world
    database.dispose()


@pytest.fixture
def db(world_db):
    """Here ``db`` is a fresh copy of the queue world (built once per backend)."""
    return world_db[0]


@pytest.fixture
def world(world_db):
    return world_db[1]
