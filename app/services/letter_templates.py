"""The letter's texts as templates the municipality owns (issue 17, Instellingen › Brieven).

The shipped ``Texts`` of ``app.reports.letter_texts`` are the defaults; the ``letter_texts``
table holds what the beheerder put in their place, per language and field (a field of ``Texts``
such as ``saldo_line``, or an entry of one of its dicts: ``notices.dubbele betaling``). A missing
row is the shipped text, so "terug naar standaardtekst" deletes the row and a later program
version's better wording reaches every municipality that did not change that sentence.

A template may use only the placeholders the letter fills in for that field (those of the
shipped texts of that field, in any language: the letter passes the same values whatever the
language), written plainly as ``{amount}``: no ``{0}``, no format specs, no other braces. It
must keep the placeholders that carry what the sentence is for: the amount (the saldo first of
all), the phone number to call and the page number. The others (month, day, name …) may go.

``texts_for_print`` gives the print run each language's ``Texts`` with the overrides applied;
an override that this program can no longer use (a placeholder the letter stopped passing) is
skipped there, so a letter is never printed with a template that would fail.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, fields, replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import ValidationError
from app.models import LetterText, Role
from app.models.base import utcnow
from app.reports.letter_texts import LANGUAGE_NAMES, LANGUAGES, Texts
from app.reports.overview_table import FOOTER_ROWS
from app.services.permissions import requires
from app.services.unit_of_work import CONFLICT, UnitOfWork

log = logging.getLogger(__name__)

# Fields of Texts that are no text of the letter (tests/test_letter_templates.py checks that
# every other string field is offered below, so a new sentence is not forgotten).
NOT_TEXTS = frozenset({"code", "locale"})

# The letter's texts in the order they appear on paper, grouped as the screen lists them:
# (group, ((key, Dutch label), …)). A dict field ('footer', 'notices', 'category_names') is
# expanded into its entries, labelled by DICT_LABELS.
SECTIONS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Bovenaan de brief", (
        ("title", "Titel van de brief"),
        ("reference_date", "Kenmerk: datum"),
        ("reference_number", "Kenmerk: dossiernummer"),
        ("reference_contact", "Kenmerk: contactpersoon"),
    )),
    ("Saldo", (
        ("saldo_line", "Zin over het saldo"),
        ("below_zero", "Saldo onder nul: wat nu, wie bellen"),
        ("beyond_buffer", "Tekort groter dan de buffer"),
        ("municipality_word", "Woord voor ‘de gemeente’ (zonder contactpersoon)"),
    )),
    ("Aanhef", (
        ("greeting", "Aanhef"),
        ("intro", "Inleiding"),
    )),
    ("De laatste drie maanden", (
        ("heading_table", "Kop boven de tabel"),
        ("table_note", "Uitleg bij de tabel"),
        ("footer", "Tabel: {entry}"),
    )),
    ("Deze maand", (
        ("heading_list", "Kop boven de lijst van de maand"),
        ("list_empty", "Niets binnengekomen en niets betaald"),
        ("allowance_paid", "Leefgeld van de maand"),
        ("withheld", "Ingehouden op het leefgeld"),
    )),
    ("Wat gebeurt er hierna?", (
        ("heading_next", "Kop"),
        ("next_allowance", "Volgende leefgeld"),
        ("no_allowance_known", "Volgende leefgeld nog niet bekend"),
        ("instalment_running", "Inhouding zolang het saldo onder nul is"),
        ("notices", "Melding: {entry}"),
        ("somebody", "Melding zonder naam van de betaler"),
    )),
    ("Eindafrekening", (
        ("settlement_title", "Titel van de laatste brief"),
        ("settlement_paid", "Er blijft geld over"),
        ("settlement_zero", "Saldo is nul"),
        ("settlement_owed", "Er moet worden terugbetaald"),
        ("settlement_instalment", "Termijn van het terugbetalen"),
    )),
    ("Contact en groet", (
        ("heading_contact", "Kop"),
        ("contact", "Contactpersoon"),
        ("contact_without_name", "Zonder contactpersoon"),
        ("closing", "Groet"),
    )),
    ("Pagina's", (
        ("continued", "Kop van een volgende pagina"),
        ("page", "Paginanummer"),
    )),
    ("Namen van rubrieken in de tabel", (
        ("category_names", "{entry}"),
    )),
)
DICT_FIELDS = frozenset({"footer", "notices", "category_names"})

# Headings, words and labels stay short; sentences may be longer.
SENTENCE_FIELDS = frozenset({
    "saldo_line", "below_zero", "beyond_buffer", "intro", "table_note", "list_empty",
    "allowance_paid", "withheld", "next_allowance", "no_allowance_known", "instalment_running",
    "notices", "settlement_paid", "settlement_zero", "settlement_owed", "settlement_instalment",
    "contact", "contact_without_name",
})
SHORT_LIMIT, SENTENCE_LIMIT = 120, 500

# What a placeholder stands for, for the screen ('{amount}: het bedrag').
MEANINGS = {
    "amount": "het bedrag", "buffer": "de buffer van de deelnemer",
    "day": "de datum", "month": "de maand", "name": "de naam",
    "phone": "het telefoonnummer", "who": "de contactpersoon (of het woord voor de gemeente)",
    "organisation": "de betaler", "page": "het paginanummer", "pages": "het aantal pagina's",
}
MEANING_OF = {
    ("saldo_line", "amount"): "het saldo", ("saldo_line", "day"): "de datum van het saldo",
    ("greeting", "name"): "de naam van de deelnemer",
    ("contact", "name"): "de naam van de contactpersoon",
    ("next_allowance", "day"): "de dag van betalen",
    ("settlement_instalment", "day"): "de dag van de eerste termijn",
}

# Placeholders a template must keep wherever the shipped text has them: what the sentence is
# for. The saldo sentence says the saldo; a money sentence its amount; the phone number whom
# to call; the page line the page number. Month, day, names may be left out.
REQUIRED = {"amount": "het bedrag", "phone": "het telefoonnummer", "page": "het paginanummer"}

_TOKEN = re.compile(r"\{([^{}]*)\}")
_NAME = re.compile(r"[a-z_]+")
_SPACES = re.compile(r"[ \t\r\n]+")  # not str.split(): a no-break space stays one


@dataclass(frozen=True)
class TemplateField:
    """One text of the letter in one language, as the screen lists it."""

    language: str
    key: str  # 'saldo_line', 'notices.dubbele betaling'
    group: str
    label: str  # Dutch, for the screen
    default: str  # the shipped text
    text: str  # what the letter says now: the municipality's own text or the default
    placeholders: tuple[str, ...]  # the ones this text may use
    required: tuple[str, ...]  # the ones it must keep
    changed_by: str | None = None  # None: the shipped text (standaardtekst)
    changed_at: datetime | None = None
    problem: str | None = None  # a stored text this program cannot use: the default prints

    @property
    def custom(self) -> bool:
        """The municipality's own text (a stored row), not the standaardtekst."""
        return self.changed_at is not None

    def meaning(self, name: str) -> str:
        return MEANING_OF.get((self.key.split(".", 1)[0], name), MEANINGS.get(name, name))


@dataclass(frozen=True)
class _Spec:
    language: str
    key: str
    group: str
    label: str
    default: str
    placeholders: tuple[str, ...]
    required: tuple[str, ...]

    @property
    def field(self) -> str:
        return self.key.split(".", 1)[0]


# -- the fields ------------------------------------------------------------------------------

def languages() -> list[tuple[str, str]]:
    """(code, Dutch name) of every language a letter can be printed in."""
    return [(code, LANGUAGE_NAMES.get(code, code)) for code in LANGUAGES]


def placeholders_in(text: str) -> list[str]:
    """The placeholder names in a text, in order (only well-formed ones)."""
    return [m.group(1) for m in _TOKEN.finditer(text) if _NAME.fullmatch(m.group(1))]


def _default(texts: Texts, key: str) -> str | None:
    field, _, entry = key.partition(".")
    value = getattr(texts, field, None)
    if isinstance(value, dict):
        return value.get(entry) if entry else None
    return value if isinstance(value, str) and not entry else None


def _keys(texts: Texts) -> list[tuple[str, str, str]]:
    """(group, key, label) of the texts of one language, in the letter's order."""
    out = []
    for group, entries in SECTIONS:
        for field, label in entries:
            value = getattr(texts, field, None)
            if field in DICT_FIELDS:
                if not isinstance(value, dict):
                    continue
                names = list(value)
                if field == "footer":  # the table's order
                    names = [n for n in FOOTER_ROWS if n in value] + [
                        n for n in names if n not in FOOTER_ROWS]
                for name in names:
                    out.append((group, f"{field}.{name}", label.format(entry=name)))
            elif isinstance(value, str):
                out.append((group, field, label))
    return out


def _allowed(key: str) -> tuple[str, ...]:
    """What the letter fills in for this field: the placeholders of its shipped text in every
    language (the letter passes the same values whatever the language)."""
    names: list[str] = []
    for texts in LANGUAGES.values():
        for name in placeholders_in(_default(texts, key) or ""):
            if name not in names:
                names.append(name)
    return tuple(names)


def _specs(language: str) -> list[_Spec]:
    texts = _texts(language)
    specs = []
    for group, key, label in _keys(texts):
        default = _default(texts, key) or ""
        required = tuple(n for n in placeholders_in(default) if n in REQUIRED)
        specs.append(_Spec(language, key, group, label, default, _allowed(key), required))
    return specs


def _texts(language: str) -> Texts:
    texts = LANGUAGES.get(language)
    if texts is None:
        raise ValidationError(f"Onbekende taal: {language!r}", "taal")
    return texts


def _spec(language: str, key: str) -> _Spec:
    for spec in _specs(language):
        if spec.key == key:
            return spec
    raise ValidationError(f"Onbekende tekst van de brief: {key!r}", "tekst")


# -- the checks ------------------------------------------------------------------------------

def _subject(spec: _Spec) -> str:
    return "De zin over het saldo" if spec.key == "saldo_line" else f"De tekst ‘{spec.label}’"


def check_template(spec: _Spec, text: object) -> str:
    """The text as stored (spaces and line breaks made single spaces), or a ValidationError
    with one Dutch line."""
    cleaned = _SPACES.sub(" ", str(text if text is not None else "")).strip()
    if not cleaned:
        raise ValidationError("Een lege tekst kan niet; kies ‘Terug naar standaardtekst’ voor "
                              "de tekst van het programma", "tekst")
    limit = SENTENCE_LIMIT if spec.field in SENTENCE_FIELDS else SHORT_LIMIT
    if len(cleaned) > limit:
        raise ValidationError(f"De tekst is te lang ({len(cleaned)} tekens, hoogstens {limit})",
                              "tekst")
    example = "{" + (spec.required or spec.placeholders or ("amount",))[0] + "}"
    rest = _TOKEN.sub("", cleaned)
    if "{" in rest or "}" in rest:
        raise ValidationError(f"Een {{ of }} zonder partner: accolades staan alleen om een "
                              f"invulveld, zoals {example}", "tekst")
    for match in _TOKEN.finditer(cleaned):
        inner = match.group(1)
        if _NAME.fullmatch(inner):
            if inner not in spec.placeholders:
                raise ValidationError(f"Onbekend invulveld {{{inner}}}: {_possible(spec)}",
                                      "tekst")
            continue
        name = re.match(r"[a-z_]*", inner).group(0)  # type: ignore[union-attr]
        if name and inner[len(name)] in ":!.[":
            raise ValidationError(f"Schrijf een invulveld zonder opmaak: {{{name}}} in plaats "
                                  f"van {match.group(0)}", "tekst")
        raise ValidationError(f"Ongeldig invulveld {match.group(0)}: een invulveld is een naam "
                              f"tussen accolades, zoals {example}", "tekst")
    used = set(placeholders_in(cleaned))
    for name in spec.required:
        if name not in used:
            what = "het saldo" if spec.key == "saldo_line" else REQUIRED[name]
            raise ValidationError(f"{_subject(spec)} moet {what} noemen: {{{name}}}", "tekst")
    return cleaned


def _possible(spec: _Spec) -> str:
    if not spec.placeholders:
        return "deze tekst heeft geen invulvelden"
    return "mogelijk zijn " + ", ".join("{" + n + "}" for n in spec.placeholders)


# -- reading ---------------------------------------------------------------------------------

def _stored(session: Session, language: str | None = None) -> list[LetterText]:
    query = select(LetterText)
    if language is not None:
        query = query.where(LetterText.language == language)
    return list(session.scalars(query))


def _usable(spec: _Spec, text: str) -> str | None:
    """None when the stored text can be printed; else why not."""
    try:
        check_template(spec, text)
    except ValidationError as problem:
        return str(problem)
    return None


def _field(spec: _Spec, row: LetterText | None) -> TemplateField:
    if row is None:
        return TemplateField(spec.language, spec.key, spec.group, spec.label, spec.default,
                             spec.default, spec.placeholders, spec.required)
    return TemplateField(spec.language, spec.key, spec.group, spec.label, spec.default,
                         row.text, spec.placeholders, spec.required, row.changed_by,
                         row.changed_at, _usable(spec, row.text))


def template_fields(session: Session, language: str) -> list[TemplateField]:
    """Every text of the letter in ``language``, in the order of the letter."""
    rows = {row.key: row for row in _stored(session, language)}
    return [_field(spec, rows.get(spec.key)) for spec in _specs(language)]


def apply_texts(texts: Texts, overrides: dict[str, str]) -> Texts:
    """``texts`` with the given fields replaced (dict fields merged entry by entry)."""
    plain: dict[str, str] = {}
    merged: dict[str, dict[str, str]] = {}
    for key, text in overrides.items():
        field, _, entry = key.partition(".")
        if entry:
            merged.setdefault(field, dict(getattr(texts, field)))[entry] = text
        else:
            plain[field] = text
    return replace(texts, **plain, **merged) if plain or merged else texts


def texts_for_print(session: Session) -> dict[str, Texts]:
    """Each language's texts as the municipality wants them printed (one read per run)."""
    by_language: dict[str, dict[str, str]] = {}
    for row in _stored(session):
        by_language.setdefault(row.language, {})[row.key] = row.text
    out = {}
    for code, texts in LANGUAGES.items():
        stored = by_language.get(code, {})
        usable = {}
        if stored:
            specs = {spec.key: spec for spec in _specs(code)}
            for key, text in stored.items():
                spec = specs.get(key)
                problem = "geen tekst van de brief" if spec is None else _usable(spec, text)
                if problem is None:
                    usable[key] = text
                else:
                    log.warning("brieftekst %s/%s niet gebruikt (%s): standaardtekst",
                                code, key, problem)
        out[code] = apply_texts(texts, usable)
    return out


# -- the preview -----------------------------------------------------------------------------

EXAMPLE_AS_OF = date(2026, 10, 31)
EXAMPLE_MONTH = date(2026, 10, 1)
EXAMPLE_NEXT = date(2026, 11, 2)
EXAMPLE_INSTALMENT = date(2026, 12, 1)


def _examples(texts: Texts, field: str) -> dict[str, str]:
    """Values like the letter's, in the forms the letter of this language writes them."""
    values = {
        "month": texts.month(EXAMPLE_MONTH), "day": texts.day(EXAMPLE_AS_OF),
        "amount": texts.money(123456), "buffer": texts.money(150000),
        "who": "Sanne de Vries", "phone": "030 286 00 00", "name": "Sanne de Vries",
        "organisation": "Eneco", "page": "1", "pages": "2",
    }
    if field in ("allowance_paid", "withheld"):
        values["month"] = texts.month_name(EXAMPLE_MONTH)
    values.update({
        "greeting": {"name": "A. Yılmaz"},
        "allowance_paid": {"amount": texts.money(30000)},
        "withheld": {"amount": texts.money(2500)},
        "instalment_running": {"amount": texts.money(2500)},
        "next_allowance": {"day": texts.weekday(EXAMPLE_NEXT), "amount": texts.money(7500)},
        "settlement_owed": {"amount": texts.money(34000)},
        "settlement_paid": {"amount": texts.money(21050)},
        "settlement_instalment": {"amount": texts.money(5000),
                                  "day": texts.day(EXAMPLE_INSTALMENT)},
        "below_zero": {"phone": "030 286 00 00"},
    }.get(field, {}))
    return values


def preview_text(language: str, key: str, text: str) -> str:
    """The text as the letter would print it, with example values; a ValidationError (one
    Dutch line) for a text that would be refused."""
    spec = _spec(language, key)
    cleaned = check_template(spec, text)
    if not spec.placeholders:
        return cleaned
    texts = _texts(language)
    values = _examples(texts, spec.field)
    if getattr(texts, "rtl", False):  # as the letter fills a right-to-left sentence: each
        values = {k: f"\u2068{v}\u2069" for k, v in values.items()}  # value in an isolate
    rendered = cleaned.format(**values)
    if spec.field == "notices":  # the letter starts a notice with a capital
        capital = getattr(texts, "capital", None)
        rendered = capital(rendered) if capital else rendered[:1].upper() + rendered[1:]
    return rendered


# -- the services ----------------------------------------------------------------------------

def may_edit(db, actor: str | None = None) -> bool:
    """Whether this employee may change the letter's texts (the screen is read-only if not)."""
    from app.services.permissions import standing_of

    return standing_of(db, actor or db.default_actor()).may(save_template.allowed_roles)


def _as_logged(key: str, row: LetterText | None, spec: _Spec) -> dict:
    """A text as its audit row names it: the stored one, or the standaardtekst."""
    return {"veld": key, "tekst": row.text if row else spec.default, "standaardtekst": row is None}


@requires(Role.ADMIN, action="brieftekst wijzigen")
def save_template(uow: UnitOfWork, language: str, key: str, text: str) -> TemplateField:
    """The beheerder's own text for one text of the letter. A text equal to the shipped one is
    stored as no row (the standaardtekst). One audit row with the text before and after."""
    spec = _spec(language, key)
    cleaned = check_template(spec, text)
    with uow:
        session = uow.session
        row = session.get(LetterText, (language, key))
        before = _as_logged(key, row, spec)
        if cleaned == spec.default:
            if row is not None:
                session.delete(row)
            row = None
        elif row is None:
            row = LetterText(language=language, key=key, text=cleaned, changed_by=uow.actor,
                             changed_at=utcnow())
            session.add(row)
        else:
            row.text, row.changed_by, row.changed_at = cleaned, uow.actor, utcnow()
        try:
            session.flush()
        except IntegrityError:  # another beheerder stored this text at the same moment
            raise CONFLICT from None
        uow.record("brieftekst gewijzigd", "letter_texts", language, before=before,
                   after={"veld": key, "tekst": cleaned, "standaardtekst": row is None})
        uow.commit()
        return _field(spec, row)


@requires(Role.ADMIN, action="brieftekst terugzetten")
def reset_template(uow: UnitOfWork, language: str, key: str) -> TemplateField:
    """Terug naar standaardtekst: the letter says the shipped text again."""
    spec = _spec(language, key)
    with uow:
        session = uow.session
        row = session.get(LetterText, (language, key))
        before = _as_logged(key, row, spec)
        if row is not None:
            session.delete(row)
        uow.record("brieftekst teruggezet", "letter_texts", language, before=before,
                   after={"veld": key, "tekst": spec.default, "standaardtekst": True})
        uow.commit()
        return _field(spec, None)


def unoffered_fields() -> set[str]:
    """String fields of Texts that no section offers (for the test that keeps SECTIONS whole)."""
    offered = {field for _, entries in SECTIONS for field, _ in entries}
    return {f.name for f in fields(Texts)
            if f.name not in offered and f.name not in NOT_TEXTS}
