"""What several benchmarks build first: the demo municipality's employees and dossiers (through
``store_book``, as a workbook import stores them), the municipal account and one statement that
the benchmark's transactions hang on; and the choice of database (--db / --postgres)."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MUNICIPAL = "NL86INGB0002445588"


def peak_mb() -> float:
    """This process's peak resident memory. On Linux the high-water mark of its own memory
    (VmHWM): ``ru_maxrss`` of a process started by another one counts the starting process's
    size at the fork, so a benchmark's child that a big parent started would report the
    parent's memory as its own."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def demo_municipality(session, data, period_from: date, period_through: date) -> tuple[int, int]:
    """Store ``data`` (app.demo.generate_demo) with its employees, a municipal account and a
    statement over the period; return (account id, statement id)."""
    from app.models import BankAccount, Employee, Statement
    from app.services.dossier_import import store_book

    for employee in data.employees:
        session.add(Employee(username=employee.username, name=employee.name, role=employee.role))
    session.flush()
    store_book(session, data.book, "bench")
    account = BankAccount(iban=MUNICIPAL, holder_name="Gemeente", is_municipal=True)
    session.add(account)
    session.flush()
    statement = Statement(account_id=account.id, period_from=period_from,
                          period_through=period_through)
    session.add(statement)
    session.flush()
    return account.id, statement.id


def add_database_options(parser, *, sqlite: bool = True) -> None:
    parser.add_argument("--db", help="URL of an empty database" + (
        " (default: a temporary SQLite)" if sqlite else ""))
    parser.add_argument("--postgres", action="store_true",
                        help="on a throw-away PostgreSQL server (as the tests start)")


def run_on_database(args, run: Callable[[str], int], sqlite_name: str | None) -> int:
    """``run(url)`` on --db, on a throw-away PostgreSQL server (--postgres, or when there is no
    SQLite default), or on a temporary SQLite file named ``sqlite_name``."""
    if args.db:
        return run(args.db)
    if args.postgres or sqlite_name is None:
        from tests.postgres_server import PostgresServer

        server = PostgresServer.start()
        try:
            return run(server.url)
        finally:
            server.stop()
    return run(f"sqlite:///{tempfile.mkdtemp(prefix='hhb-bench-')}/{sqlite_name}")
