"""The command line (DESIGN §7): the same services as the desktop client, for scripts and CI.

Exit status 0 on success; otherwise non-zero with a one-line reason on stderr (a refused
workbook adds one line per bad row). Never a traceback: unexpected errors go to the log file.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Callable
from datetime import date
from pathlib import Path

import platformdirs

from app import __version__
from app.db import APP_NAME, Database, current_revision, head_revision, make_engine, resolve_url
from app.db import upgrade as upgrade_schema
from app.errors import UserError, as_user_error, first_line
from app.formatting import euro, short_date

EXIT_ERROR = 1
EXIT_USAGE = 2


OVERVIEWS_OUTPUT = """\
uitvoer:
  stdout  één regel met wat er gemaakt is, bijv.
          "12 overzicht(en) van 2026-10 gemaakt, 26 pagina's, in oktober.pdf"
  stderr  alleen als er iets mis is: de eerste regel vat samen, bijv.
          "huishoudboekje: 2 deelnemer(s) overgeslagen zonder overzicht, 12 wel gemaakt",
          daarna per overgeslagen deelnemer "  DOSSIERNR: reden" (bijv. adres onvolledig)

exit-status:
  0  alle overzichten gemaakt
  1  een of meer deelnemers overgeslagen (de rest is wel gemaakt), of niets gemaakt
     (één regel met de reden op stderr)
  2  verkeerde aanroep"""


ROLE_CHOICES = ["backoffice", "frontoffice", "teamleader", "beheerder"]
NEW_PASSWORD_ENV = "HHB_NEW_PASSWORD"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="huishoudboekje",
        description="Huishoudboekje: backoffice voor budgetbeheer van de gemeente.",
    )
    parser.add_argument("--db", metavar="URL",
                        help="SQLAlchemy-URL van de database (standaard: HHB_DATABASE_URL, "
                             "anders het ingebouwde bestand)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMANDO")

    gui = commands.add_parser("gui", help="open het programma (standaard)")
    gui.add_argument("--demo", action="store_true",
                     help="vul een lege database eerst met demodata")
    gui.set_defaults(run=run_gui)

    demo = commands.add_parser("demo", help="vul de database met realistische demodata")
    demo.add_argument("--participants", type=int, default=50, metavar="N")
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--statements-folder", dest="statements_folder", type=Path, metavar="PATH",
                      help="schrijf de bankafschriften van de demo ook als camt.053-bestanden "
                           "in deze map, om het inlezen zelf te proberen")
    demo.set_defaults(run=run_demo)

    database = commands.add_parser("db", help="databaseschema")
    db_commands = database.add_subparsers(dest="db_command", metavar="ACTIE", required=True)
    db_commands.add_parser("upgrade", help="maak of werk het schema bij").set_defaults(
        run=run_db_upgrade)
    db_commands.add_parser("version", help="toon de schemaversie").set_defaults(
        run=run_db_version)

    accounts = commands.add_parser("accounts", help="gemeentelijke rekeningen")
    account_commands = accounts.add_subparsers(dest="accounts_command", metavar="ACTIE",
                                               required=True)
    add_account = account_commands.add_parser("add", help="registreer een gemeentelijke rekening")
    add_account.add_argument("iban")
    add_account.add_argument("--name", required=True)
    add_account.set_defaults(run=run_accounts_add)

    dossiers = commands.add_parser("dossiers", help="dossiers")
    dossier_commands = dossiers.add_subparsers(dest="dossiers_command", metavar="ACTIE",
                                               required=True)
    import_dossiers = dossier_commands.add_parser("import", help="lees een werkmap (.xlsx) in")
    import_dossiers.add_argument("file", type=Path)
    import_dossiers.set_defaults(run=run_dossiers_import)

    statements = commands.add_parser(
        "import", help="lees bankafschriften in (camt.053, MT940, CSV) en koppel ze")
    statements.add_argument("files", nargs="+", type=Path, metavar="FILE")
    statements.add_argument("--force", action="store_true",
                            help="sla een afschrift waarvan het saldo niet klopt toch op, "
                                 "met een waarschuwing")
    statements.set_defaults(run=run_import)

    commands.add_parser(
        "match", help="koppel de open transacties automatisch waar dat zeker kan"
    ).set_defaults(run=run_match)

    export = commands.add_parser("export", help="exporteer gegevens")
    export_commands = export.add_subparsers(dest="export_command", metavar="WAT", required=True)
    export_bookings = export_commands.add_parser(
        "bookings", help="alle transacties met hun boekingen als CSV")
    export_bookings.add_argument("--out", type=Path, required=True, metavar="FILE.csv")
    export_bookings.set_defaults(run=run_export_bookings)

    signals = commands.add_parser(
        "signals", help="evalueer de signalen en schrijf de open signalen als CSV")
    signals.add_argument("--on", type=_iso_date, metavar="JJJJ-MM-DD",
                         help="evalueer per deze datum (standaard vandaag)")
    signals.add_argument("--out", type=Path, required=True, metavar="FILE.csv")
    signals.set_defaults(run=run_signals)

    payouts = commands.add_parser(
        "payouts", help="plan de betalingen van een periode en schrijf ze als pain.001-bestand",
        description="Plan de leefgeld- en vastelastenbetalingen met een vervaldag in de\n"
                    "periode (nooit twee keer dezelfde periode), en schrijf alles wat niet is\n"
                    "aangehouden als één betaalopdracht (pain.001.001.03) voor de bank.\n"
                    "Waarschuwingen gaan naar stderr, één per regel.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    payouts.add_argument("--from", dest="first", type=_iso_date, required=True,
                         metavar="JJJJ-MM-DD")
    payouts.add_argument("--to", dest="last", type=_iso_date, required=True,
                         metavar="JJJJ-MM-DD")
    payouts.add_argument("--out", type=Path, required=True, metavar="FILE.xml")
    payouts.set_defaults(run=run_payouts)

    caseload = commands.add_parser(
        "caseload", help="de caseload per medewerker als Excel-werkmap (voor de teamleider)")
    caseload.add_argument("--on", type=_iso_date, metavar="JJJJ-MM-DD",
                          help="de stand op deze datum (standaard vandaag)")
    caseload.add_argument("--out", type=Path, required=True, metavar="FILE.xlsx")
    caseload.set_defaults(run=run_caseload)

    overviews = commands.add_parser(
        "overviews", help="maak de papieren overzichten van een maand (PDF of Excel)",
        description="Maak de papieren overzichten van een maand: iedereen met een papieren\n"
                    "overzicht, iedereen (--alle) of één dossier (--dossier). Eén PDF begint\n"
                    "met een voorblad voor de postkamer: aantallen per taal, geen\n"
                    "persoonsgegevens.",
        epilog=OVERVIEWS_OUTPUT, formatter_class=argparse.RawDescriptionHelpFormatter)
    overviews.add_argument("--month", required=True, metavar="JJJJ-MM")
    overviews.add_argument("--out", required=True, type=Path, metavar="PATH",
                           help="een .pdf-bestand (alle brieven, elk op een nieuw vel), een map "
                                "(één PDF per deelnemer) of een .xlsx-bestand")
    overviews.add_argument("--dossier", metavar="NR", help="alleen dit dossier")
    overviews.add_argument("--alle", dest="everybody", action="store_true",
                           help="iedere actieve deelnemer, ook zonder papieren overzicht")
    overviews.add_argument("--op-postcode", dest="by_postcode", action="store_true",
                           help="de brieven op volgorde van postcode en huisnummer (voor de "
                                "postkamer); standaard op dossiernummer")
    overviews.set_defaults(run=run_overviews)

    users = commands.add_parser("users", help="medewerkers")
    user_commands = users.add_subparsers(dest="users_command", metavar="ACTIE", required=True)
    add_user = user_commands.add_parser("add", help="voeg een medewerker toe")
    add_user.add_argument("username", metavar="NAME")
    add_user.add_argument("--role", required=True, choices=ROLE_CHOICES)
    add_user.add_argument("--full-name", dest="full_name")
    add_user.set_defaults(run=run_users_add)
    disable_user = user_commands.add_parser(
        "disable", help="een medewerker die weg is: kan niet meer inloggen, de geschiedenis blijft")
    disable_user.add_argument("username", metavar="NAME")
    disable_user.set_defaults(run=run_users_disable, active=False)
    enable_user = user_commands.add_parser("enable", help="een medewerker weer toegang geven")
    enable_user.add_argument("username", metavar="NAME")
    enable_user.set_defaults(run=run_users_disable, active=True)
    role_user = user_commands.add_parser("role", help="geef een medewerker een andere rol")
    role_user.add_argument("username", metavar="NAME")
    role_user.add_argument("role", metavar="ROLE", choices=ROLE_CHOICES)
    role_user.set_defaults(run=run_users_role)

    audit = commands.add_parser("audit", help="logboek van wijzigingen")
    audit_commands = audit.add_subparsers(dest="audit_command", metavar="ACTIE", required=True)
    verify = audit_commands.add_parser(
        "verify", help="controleer dat het logboek ongeschonden is",
        description="Controleer de hashketen van het logboek. Met --checkpoint ook dat het\n"
                    "logboek het controlepunt nog ongewijzigd bereikt: dat ziet ook wat de\n"
                    "eigenaar van de database herschreven of weggehaald heeft.",
        epilog=AUDIT_VERIFY_OUTPUT, formatter_class=argparse.RawDescriptionHelpFormatter)
    verify.add_argument("--checkpoint", type=Path, action="append", metavar="FILE",
                        help="een controlepunt (of een map met logboek-*.json); mag vaker")
    verify.set_defaults(run=run_audit_verify)
    checkpoint = audit_commands.add_parser(
        "checkpoint", help="schrijf een controlepunt van het logboek (bewaar het buiten de "
                           "database)",
        description="Schrijf de laatste rij van het logboek en haar hash naar een bestand,\n"
                    "ondertekend met HHB_AUDIT_KEY als die gezet is. Laat geen rij in het\n"
                    "logboek achter.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    checkpoint.add_argument("--out", type=Path, required=True, metavar="FILE")
    checkpoint.set_defaults(run=run_audit_checkpoint)
    return parser


def open_database(args) -> Database:
    return Database.open(resolve_url(args.db))


def run_gui(args) -> int:
    from app.ui.app import run

    return run(resolve_url(args.db), demo=args.demo)


def run_demo(args) -> int:
    from app.services.demo import create_demo

    if args.participants < 1:
        raise UserError("--participants moet minstens 1 zijn")
    db = open_database(args)
    folder = args.statements_folder
    summary = create_demo(db.unit_of_work(), args.participants, seed=args.seed,
                          statements_folder=folder)
    print(f"Demodata aangemaakt in {db.describe()}: {summary}")
    if folder is not None:
        print(f"Bankafschriften (camt.053) geschreven in {folder}")
    return 0


def run_db_upgrade(args) -> int:
    engine = make_engine(resolve_url(args.db))
    before, after = upgrade_schema(engine)
    if before == after:
        print(f"Schema is al bij: versie {after}")
    else:
        print(f"Schema bijgewerkt: {before or 'leeg'} → {after}")
    return 0


def run_db_version(args) -> int:
    engine = make_engine(resolve_url(args.db))
    print(f"database: {current_revision(engine) or 'leeg'}; programma: {head_revision()}")
    return 0


def run_accounts_add(args) -> int:
    from app.services.accounts import add_municipal_account

    db = open_database(args)
    add_municipal_account(db.unit_of_work(), args.iban, args.name)
    print(f"Rekening {args.iban} ({args.name}) geregistreerd")
    return 0


def run_dossiers_import(args) -> int:
    from app.services.dossier_import import import_workbook

    db = open_database(args)
    summary = import_workbook(db.unit_of_work(), args.file)
    print(f"{args.file.name}: {summary}")
    return 0


def run_import(args) -> int:
    """One line per file; a bad file is reported and the others are still imported."""
    from app.services.statement_import import import_statement_file

    db = open_database(args)
    failed = 0
    for path in args.files:
        try:
            outcome = import_statement_file(db.unit_of_work(), path, force=args.force,
                                            progress=_progress_line)
        except UserError as exc:
            _progress_line(None)
            failed += 1
            reason = first_line(exc)
            if path.name not in reason:  # readers name the file themselves
                reason = f"{path.name}: {reason}"
            print(f"huishoudboekje: {reason}", file=sys.stderr)
            continue
        _progress_line(None)
        print(outcome.summary())
        for warning in outcome.warnings + [w for s in outcome.statements for w in s.warnings]:
            print(f"  let op: {warning}")
    return EXIT_ERROR if failed else 0


def run_match(args) -> int:
    from app.services.matching import run_matcher

    db = open_database(args)
    outcome = run_matcher(db.unit_of_work(), progress=lambda done, total: _progress_line(
        f"koppelen {done} van {total}"))
    _progress_line(None)
    print(outcome.summary())
    return 0


def _progress_line(message: str | None) -> None:
    """A transient line on a terminal; nothing when output goes to a file or a script."""
    if not sys.stderr.isatty():
        return
    sys.stderr.write("\r\x1b[K" + (f"{message} …" if message else ""))
    sys.stderr.flush()


def run_export_bookings(args) -> int:
    from app.services.exports import export_bookings

    db = open_database(args)
    count = export_bookings(db.unit_of_work(), args.out)
    print(f"{count} regels geschreven naar {args.out}")
    return 0


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"geen geldige datum: {text!r} (schrijf JJJJ-MM-DD, bijv. 2026-11-30)") from None


def run_signals(args) -> int:
    """Evaluate everyone as of --on (stored, audited), then write the open signals."""
    from app.reports.signals_csv import write_signals_csv
    from app.services.signals import evaluate_signals, signal_export_rows

    db = open_database(args)
    outcome = evaluate_signals(db.unit_of_work(), args.on)
    try:
        with db.read() as session, args.out.open("w", encoding="utf-8", newline="") as out:
            count = write_signals_csv(signal_export_rows(session, args.on), out)
    except OSError as exc:
        raise UserError(f"Kan {args.out} niet schrijven: {exc.strerror or exc}") from None
    print(f"{outcome.summary()}; {count} open signalen geschreven naar {args.out}")
    return 0


def run_payouts(args) -> int:
    """Plan, then write and store one batch; warnings on stderr. Exit 0 once the file is
    written (a batch whose file cannot be written is cancelled again)."""
    from app.services import payouts

    out: Path = args.out
    if not out.parent.is_dir():
        raise UserError(f"De map {out.parent} bestaat niet")
    db = open_database(args)
    planned = payouts.plan(db.unit_of_work(), args.first, args.last)
    for note in planned.notes:
        print(f"waarschuwing: {note}", file=sys.stderr)
    with db.read() as session:
        for row in payouts.payout_rows(session, args.first, args.last, statuses=(
                payouts.PayoutStatus.PLANNED, payouts.PayoutStatus.HELD)):
            lines = list(row.warnings)
            if row.status == payouts.PayoutStatus.HELD:
                lines.append(f"aangehouden ({row.hold_reason})")
            for line in lines:
                print(f"waarschuwing: {row.number} {row.category} {short_date(row.due_date)} "
                      f"{euro(row.amount_cents)}: {line}", file=sys.stderr)
    batch = payouts.create_batch(db.unit_of_work(), args.first, args.last, file_name=out.name)
    for warning in batch.warnings:
        print(f"waarschuwing: {warning}", file=sys.stderr)
    try:
        partial = out.with_name(out.name + ".deel")
        partial.write_bytes(batch.xml)
        partial.replace(out)
    except OSError as exc:
        payouts.cancel_batch(db.unit_of_work(), batch.batch_id,
                             f"bestand {out} kon niet worden geschreven")
        raise UserError(f"Kan {out} niet schrijven: {exc.strerror or exc}; de betaalopdracht "
                        "is weer geannuleerd") from None
    print(f"{planned.summary()}; betaalopdracht {batch.message_id}: {batch.count} betalingen, "
          f"{euro(batch.total_cents)}, geschreven naar {out} (sha256 {batch.sha256})")
    return 0


def run_caseload(args) -> int:
    from app.services.exports import export_caseload_file

    db = open_database(args)
    print(export_caseload_file(db.unit_of_work(), args.on or date.today(), args.out))
    return 0


def run_overviews(args) -> int:
    """One line with what was made; participants without an address are skipped, the rest is
    made, and stderr starts with one summary line, then one line per skipped dossier (exit
    status 1: a script must notice that somebody got no letter). See OVERVIEWS_OUTPUT."""
    from app.services.overview import parse_month, print_overviews

    if args.dossier and args.everybody:
        raise UserError("--dossier en --alle gaan niet samen")
    month = parse_month(args.month)
    db = open_database(args)
    try:
        run = print_overviews(db.unit_of_work(), month, args.out, dossier=args.dossier,
                              everybody=args.everybody, by_postcode=args.by_postcode,
                              progress=_progress_bar("overzichten"))
    finally:
        _progress_line(None)
    print(run.summary())
    if run.skipped:
        print(f"huishoudboekje: {len(run.skipped)} deelnemer(s) overgeslagen zonder overzicht, "
              f"{run.letters} wel gemaakt", file=sys.stderr)
        for skipped in run.skipped:
            print(f"  {skipped.number}: {skipped.reason}", file=sys.stderr)
        return EXIT_ERROR
    return 0


def _progress_bar(what: str) -> Callable[[int, int], None]:
    """A transient progress bar for (done, total) callbacks, redrawn at most 100 times."""
    shown = [-1]

    def show(done: int, total: int) -> None:
        step = done * 100 // max(total, 1)
        if step == shown[0]:
            return
        shown[0] = step
        filled = step * 30 // 100
        _progress_line(f"{what} [{'#' * filled}{'.' * (30 - filled)}] {done} van {total}")

    return show


def run_users_add(args) -> int:
    """On PostgreSQL the employee's login is created too: the password comes from
    HHB_NEW_PASSWORD or a prompt, never from an argument (it would stay in the shell history)."""
    from app.services.employees import add_employee, needs_password

    db = open_database(args)
    uow = db.unit_of_work()
    # Somebody who may not add employees is refused (and logged) before being asked anything.
    asks = needs_password(uow) and uow.standing.may(add_employee.allowed_roles)
    password = _new_password(args.username) if asks else None
    add_employee(uow, args.username, args.role, name=args.full_name, password=password)
    login = " met een databaselogin" if password else ""
    print(f"Medewerker {args.username} ({args.role}) toegevoegd{login}")
    return 0


def _new_password(username: str) -> str:
    import getpass

    password = os.environ.get(NEW_PASSWORD_ENV)
    if password:
        return password
    if not sys.stdin.isatty():
        raise UserError(f"Geef het wachtwoord van {username} in {NEW_PASSWORD_ENV} of typ het "
                        "in een terminal")
    password = getpass.getpass(f"Wachtwoord voor {username}: ")
    if getpass.getpass("Nog een keer: ") != password:
        raise UserError("De wachtwoorden zijn niet gelijk; er is niets veranderd")
    return password


def run_users_disable(args) -> int:
    from app.services.employees import find_employee, set_employee_active

    db = open_database(args)
    uow = db.unit_of_work()
    set_employee_active(uow, find_employee(uow, args.username), args.active)
    print(f"Medewerker {args.username} " + ("heeft weer toegang" if args.active else
                                             "uitgeschakeld: kan niet meer inloggen"))
    return 0


def run_users_role(args) -> int:
    from app.services.employees import find_employee, update_employee

    db = open_database(args)
    uow = db.unit_of_work()
    update_employee(uow, find_employee(uow, args.username), role=args.role)
    print(f"Medewerker {args.username} heeft nu de rol {args.role}")
    return 0


AUDIT_VERIFY_OUTPUT = """\
uitvoer:
  stdout  "Logboek in orde: N rijen", met --checkpoint ", bereikt controlepunt rij K"
  stderr  als het logboek geschonden is: eerst één regel die samenvat, bijv.
          "huishoudboekje: logboek is geschonden vanaf rij 123 (1 probleem)",
          daarna per probleem een regel, bijv. "  rij 123: inhoud is gewijzigd"

exit-status:
  0  logboek in orde (en bereikt elk controlepunt ongewijzigd)
  1  logboek geschonden, of een controlepunt dat niet te lezen is (één regel)
  2  verkeerde aanroep"""


def run_audit_verify(args) -> int:
    """The chain, and every --checkpoint given; see AUDIT_VERIFY_OUTPUT."""
    from app.services.audit import read_checkpoints, verify

    checkpoints = [point for path in args.checkpoint or [] for point in read_checkpoints(path)]
    db = open_database(args)
    with db.read() as session:
        report = verify(session, checkpoints)
    if report.ok:
        print(report.summary())
        return 0
    where = f" vanaf rij {report.first_broken}" if report.first_broken is not None else ""
    count = report.problem_count
    print(f"huishoudboekje: logboek is geschonden{where} ({count} "
          f"{'probleem' if count == 1 else 'problemen'})", file=sys.stderr)
    for problem in report.problems:
        print(f"  {problem}", file=sys.stderr)
    if report.more:
        print(f"  … en nog {report.more} problemen", file=sys.stderr)
    return EXIT_ERROR


def run_audit_checkpoint(args) -> int:
    """No audit row (it would move the head past the checkpoint just written)."""
    from app.services.audit import write_checkpoint

    out: Path = args.out
    if not out.parent.is_dir():
        raise UserError(f"De map {out.parent} bestaat niet")
    db = open_database(args)
    try:
        with db.read() as session:
            point = write_checkpoint(session, out)
    except OSError as exc:
        raise UserError(f"Kan {out} niet schrijven: {exc.strerror or exc}") from None
    print(f"Controlepunt geschreven: rij {point.last_id}, {point.last_hash[:16]}… naar {out}")
    return 0


def log_file() -> Path:
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)) / "huishoudboekje.log"


def report_unexpected(exc: BaseException) -> Path | None:
    """Keep the traceback for a developer, out of the user's sight."""
    try:
        path = log_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as out:
            out.write("".join(traceback.format_exception(exc)))
        return path
    except OSError:
        return None


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING)
    parser = build_parser()
    args = parser.parse_args(argv)
    run: Callable[[argparse.Namespace], int] = getattr(args, "run", None) or run_gui
    if args.command is None:
        args.demo = False
    try:
        return run(args)
    except UserError as exc:
        lines = str(exc).splitlines() or [type(exc).__name__]
        print(f"huishoudboekje: {lines[0]}", file=sys.stderr)
        for problem in getattr(exc, "problems", []):
            print(f"  {problem}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("huishoudboekje: afgebroken", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback shown
        meant = as_user_error(exc)  # e.g. PostgreSQL refused for lack of rights
        if meant is not None:
            print(f"huishoudboekje: {first_line(meant)}", file=sys.stderr)
            return EXIT_ERROR
        where = report_unexpected(exc)
        detail = f" (details in {where})" if where else ""
        print(f"huishoudboekje: onverwachte fout: {type(exc).__name__}: {first_line(exc)}"
              f"{detail}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
