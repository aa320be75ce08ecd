"""The letter's texts the municipality owns (issue 17), on SQLite and PostgreSQL: edit, preview,
refusals (unknown or malformed placeholder, empty, the saldo sentence without the saldo), reset,
the audit rows, and the print run's texts with the overrides applied."""

from __future__ import annotations

from dataclasses import fields

import pytest
from sqlalchemy import select, text

from app.db import Database
from app.errors import ForbiddenError, ValidationError
from app.models import AuditEntry, LetterText, Role
from app.reports.letter import letter_pdf
from app.reports.letter_texts import DUTCH, ENGLISH, LANGUAGES, Texts
from app.services import letter_templates
from app.services.letter_settings import load_letter_settings
from app.services.letter_templates import (
    NOT_TEXTS,
    apply_texts,
    preview_text,
    reset_template,
    save_template,
    template_fields,
    texts_for_print,
    unoffered_fields,
)
from tests import overview_scenario as golden
from tests.test_letter import flat, page_texts
from tests.test_service_audit import _clerks, logins  # noqa: F401 - logins: fixture

SALDO_REFUSED = "De zin over het saldo moet het saldo noemen: {amount}"


def field_of(db: Database, language: str, key: str):
    with db.read() as session:
        return {f.key: f for f in template_fields(session, language)}[key]


def audit_rows(db: Database, action: str) -> list[AuditEntry]:
    with db.read() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                    .order_by(AuditEntry.id)))


# -- pure ------------------------------------------------------------------------------------

def test_every_text_of_the_letter_is_offered_with_a_dutch_label():
    assert unoffered_fields() == set(), "a new field of Texts: add it to SECTIONS or NOT_TEXTS"
    text_fields = {f.name for f in fields(Texts)} - NOT_TEXTS
    for code in LANGUAGES:
        specs = letter_templates._specs(code)
        keys = [spec.key for spec in specs]
        assert len(keys) == len(set(keys))
        assert {key.split(".", 1)[0] for key in keys} >= text_fields - {"category_names"}
        assert all(spec.label and spec.group for spec in specs)
    nl = {spec.key: spec for spec in letter_templates._specs("nl")}
    assert nl["saldo_line"].label == "Zin over het saldo"
    assert nl["saldo_line"].placeholders == ("day", "amount")
    assert nl["saldo_line"].required == ("amount",)
    assert nl["notices.dubbele betaling"].placeholders == ("organisation",)
    assert nl["notices.dubbele betaling"].label == "Melding: dubbele betaling"
    assert nl["contact"].required == ("phone",)
    assert nl["heading_table"].placeholders == ()
    assert "category_names.huur" in {spec.key for spec in letter_templates._specs("en")}


def test_the_preview_fills_in_example_values_as_the_letter_writes_them():
    # In the forms the letter of that language writes them (Texts.day, .money …), whatever
    # those are: the preview shows what prints.
    day, saldo = DUTCH.day(letter_templates.EXAMPLE_AS_OF), DUTCH.money(123456)
    assert preview_text("nl", "saldo_line", "Op {day} heeft u {amount}.") == (
        f"Op {day} heeft u {saldo}.")
    assert saldo.replace("\xa0", " ") == "€ 1.234,56"
    assert preview_text("nl", "notices.dubbele betaling",
                        "{organisation} betaalde twee keer.") == "Eneco betaalde twee keer."
    assert preview_text("nl", "next_allowance", DUTCH.next_allowance) == (
        DUTCH.next_allowance.format(day=DUTCH.weekday(letter_templates.EXAMPLE_NEXT),
                                    amount=DUTCH.money(7500)))
    assert preview_text("nl", "heading_table", "  De laatste\n drie maanden ") == (
        "De laatste drie maanden")  # spaces and line breaks made single spaces
    assert preview_text("en", "page", ENGLISH.page) == "page 1 of 2"
    assert preview_text("en", "saldo_line", ENGLISH.saldo_line) == ENGLISH.saldo_line.format(
        day=ENGLISH.day(letter_templates.EXAMPLE_AS_OF), amount=ENGLISH.money(123456))


def test_a_right_to_left_preview_isolates_each_value_as_the_letter_does():
    rtl = [code for code, texts in LANGUAGES.items() if getattr(texts, "rtl", False)]
    if not rtl:
        pytest.skip("no right-to-left language in this version")
    texts = LANGUAGES[rtl[0]]
    shown = preview_text(rtl[0], "saldo_line", texts.saldo_line)
    assert f"\u2068{texts.money(123456)}\u2069" in shown
    assert f"\u2068{texts.day(letter_templates.EXAMPLE_AS_OF)}\u2069" in shown


def test_the_shipped_texts_of_every_language_pass_their_own_checks():
    for code in LANGUAGES:
        for spec in letter_templates._specs(code):
            assert preview_text(code, spec.key, spec.default), (code, spec.key)


@pytest.mark.parametrize(("key", "template", "message"), [
    ("saldo_line", "Uw saldo op {day}: {bedrag}",
     "Onbekend invulveld {bedrag}: mogelijk zijn {day}, {amount}"),
    ("saldo_line", "Uw saldo op {day}.", SALDO_REFUSED),
    ("saldo_line", "Uw saldo op {day}: {amount", "Een { of } zonder partner: accolades staan "
                                                 "alleen om een invulveld, zoals {amount}"),
    ("saldo_line", "Uw saldo: {{amount}}", "Een { of } zonder partner: accolades staan alleen "
                                           "om een invulveld, zoals {amount}"),
    ("saldo_line", "Uw saldo op {0}: {amount}", "Ongeldig invulveld {0}: een invulveld is een "
                                                "naam tussen accolades, zoals {amount}"),
    ("saldo_line", "Uw saldo: {amount:>12}",
     "Schrijf een invulveld zonder opmaak: {amount} in plaats van {amount:>12}"),
    ("saldo_line", "  \n ", "Een lege tekst kan niet; kies ‘Terug naar standaardtekst’ voor de "
                            "tekst van het programma"),
    ("heading_table", "De maanden tot {month}",
     "Onbekend invulveld {month}: deze tekst heeft geen invulvelden"),
    ("contact", "Uw contactpersoon is {name}.",
     "De tekst ‘Contactpersoon’ moet het telefoonnummer noemen: {phone}"),
    ("next_allowance", "Op {day} krijgt u leefgeld.",
     "De tekst ‘Volgende leefgeld’ moet het bedrag noemen: {amount}"),
    ("notices.dubbele betaling", "{organisation} betaalde op {day} twee keer.",
     "Onbekend invulveld {day}: mogelijk zijn {organisation}"),
    ("title", "x" * 121, "De tekst is te lang (121 tekens, hoogstens 120)"),
])
def test_a_bad_template_is_refused_in_one_dutch_line(key, template, message):
    with pytest.raises(ValidationError) as refused:
        preview_text("nl", key, template)
    assert str(refused.value) == message
    assert "\n" not in str(refused.value)


def test_unknown_language_or_text_is_refused():
    with pytest.raises(ValidationError, match="Onbekende taal: 'xx'"):
        preview_text("xx", "saldo_line", "{amount}")
    with pytest.raises(ValidationError, match="Onbekende tekst van de brief: 'font'"):
        preview_text("nl", "font", "Arial")


def test_overrides_merge_into_the_dict_fields():
    texts = apply_texts(DUTCH, {"intro": "Hallo.", "notices.dubbele betaling": "Twee keer."})
    assert texts.intro == "Hallo." and texts.notices["dubbele betaling"] == "Twee keer."
    assert texts.notices["betaling ontbreekt"] == DUTCH.notices["betaling ontbreekt"]
    assert DUTCH.notices["dubbele betaling"] != "Twee keer."  # the shipped texts stay as they are
    assert texts.money(123456) == DUTCH.money(123456) and texts.code == DUTCH.code
    assert apply_texts(DUTCH, {}) is DUTCH


# -- on both databases -----------------------------------------------------------------------

def test_the_fields_show_the_shipped_texts_until_changed(db):
    field = field_of(db, "nl", "saldo_line")
    assert (field.text, field.default, field.custom) == (DUTCH.saldo_line, DUTCH.saldo_line,
                                                         False)
    assert field.meaning("amount") == "het saldo"
    with db.read() as session:
        printed = texts_for_print(session)
    assert set(printed) == set(LANGUAGES)
    assert printed["nl"] is DUTCH and printed["en"] is ENGLISH


def test_edit_preview_print_and_reset(db, uow):
    stored = save_template(uow, "nl", "saldo_line", "Op {day} is uw saldo:  {amount}")
    assert stored.text == "Op {day} is uw saldo: {amount}" and stored.custom
    field = field_of(db, "nl", "saldo_line")
    assert (field.text, field.changed_by, field.problem) == (
        "Op {day} is uw saldo: {amount}", "tester", None)
    assert field.changed_at is not None
    assert field_of(db, "en", "saldo_line").text == ENGLISH.saldo_line  # per language
    save_template(db.unit_of_work("tester"), "nl", "notices.dubbele betaling",
                  "{organisation} betaalde twee keer. Wij bellen u.")

    with db.read() as session:
        printed = texts_for_print(session)
    nl = printed["nl"]
    assert nl.saldo_line == "Op {day} is uw saldo: {amount}"
    assert nl.notices["dubbele betaling"] == "{organisation} betaalde twee keer. Wij bellen u."
    assert nl.notices["betaling ontbreekt"] == DUTCH.notices["betaling ontbreekt"]
    assert nl.intro == DUTCH.intro and printed["en"] is ENGLISH
    assert nl.saldo_line.format(day="31-10-2026", amount="€ -42,10") == (
        "Op 31-10-2026 is uw saldo: € -42,10")
    # ... and the letter itself prints the municipality's sentence
    with db.read() as session:
        settings = load_letter_settings(session)
    printed_text = flat("\n".join(page_texts(letter_pdf(golden.sample_overview(), settings,
                                                          golden.TODAY))))
    assert "is uw saldo: €" in printed_text and DUTCH.saldo_line.split("{")[0] not in printed_text

    # Saving the shipped text again keeps no row: the standaardtekst
    same = save_template(db.unit_of_work("tester"), "nl", "notices.dubbele betaling",
                         DUTCH.notices["dubbele betaling"])
    assert not same.custom

    reset = reset_template(db.unit_of_work("tester"), "nl", "saldo_line")
    assert (reset.text, reset.custom) == (DUTCH.saldo_line, False)
    with db.read() as session:
        assert session.scalars(select(LetterText)).all() == []
        assert texts_for_print(session)["nl"] is DUTCH


def test_a_refused_template_stores_nothing_and_writes_no_audit_row(db, uow):
    with pytest.raises(ValidationError) as refused:
        save_template(uow, "nl", "saldo_line", "Uw saldo op {day}.")
    assert str(refused.value) == SALDO_REFUSED
    with pytest.raises(ValidationError, match=r"Onbekend invulveld \{saldo\}"):
        save_template(db.unit_of_work("tester"), "en", "saldo_line", "Balance: {saldo}")
    with db.read() as session:
        assert session.scalars(select(LetterText)).all() == []
    assert audit_rows(db, "brieftekst gewijzigd") == []


def test_a_stored_text_the_program_can_no_longer_use_is_not_printed(db):
    # e.g. a placeholder a later version of the letter stopped passing
    with db.write_sessions() as session:
        session.add(LetterText(language="nl", key="intro", text="Overzicht van {maand}."))
        session.add(LetterText(language="nl", key="weg_uit_het_programma", text="Oud."))
        session.add(LetterText(language="nl", key="title", text="Uw brief van {month}"))
        session.commit()
    field = field_of(db, "nl", "intro")
    assert field.problem == "Onbekend invulveld {maand}: mogelijk zijn {month}"
    with db.read() as session:
        nl = texts_for_print(session)["nl"]
    assert nl.intro == DUTCH.intro and nl.title == "Uw brief van {month}"


def test_only_the_beheerder_changes_the_texts(request, backend, db):
    clerks = _clerks(request, backend, db)  # employees on SQLite, logins on PostgreSQL
    try:
        for role in (Role.FRONTOFFICE, Role.BACKOFFICE, Role.TEAMLEADER):
            with pytest.raises(ForbiddenError, match="brieftekst wijzigen is voor beheerder"):
                save_template(clerks.uow(role), "nl", "intro", "Hallo {month}.")
            with pytest.raises(ForbiddenError, match="brieftekst terugzetten is voor beheerder"):
                reset_template(clerks.uow(role), "nl", "intro")
            assert not letter_templates.may_edit(clerks.uow(role).db, clerks.actor(role))
        assert letter_templates.may_edit(clerks.uow(Role.ADMIN).db, clerks.actor(Role.ADMIN))
        assert letter_templates.may_edit(db, "tester")  # the owner
    finally:
        clerks.close()
    assert field_of(db, "nl", "intro").custom is False




@pytest.mark.parametrize("backend", ["postgresql"])
def test_the_database_refuses_other_logins_a_text(db, logins):  # noqa: F811 - the fixture
    """PostgreSQL itself: only hhb_beheerder may write letter_texts."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    url = make_url(db.engine.url.render_as_string(hide_password=False))
    for role in (Role.FRONTOFFICE, Role.BACKOFFICE, Role.TEAMLEADER):
        other = Database.open(url.set(username=logins[role]).render_as_string(
            hide_password=False))
        try:
            with other.engine.connect() as conn, pytest.raises(DBAPIError) as refused:
                conn.execute(text("INSERT INTO letter_texts (language, key, text, changed_at) "
                                  "VALUES ('nl', 'intro', 'Hallo', now())"))
            assert refused.value.orig.sqlstate == "42501"
            with other.engine.connect() as conn:  # reading is for everyone
                assert conn.execute(text("SELECT count(*) FROM letter_texts")).scalar() == 0
        finally:
            other.dispose()
