"""The dossier workbook of DESIGN §7: three sheets with Dutch headers, one row per record.

Reading gives plain records holding the cells as found (text, numbers, dates) with their row
number; checking the values against the rules is the import service's work, so that the
workbook, the dossier screen and the demo generator share one set of rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Sheet name → {Dutch column header: record attribute}. Headers are matched case-insensitively;
# extra columns are ignored.
ORGANISATION_SHEET = "Organisaties"
ORGANISATION_COLUMNS = {"naam": "name", "kvk": "kvk", "iban": "iban", "soort": "kind"}

PARTICIPANT_SHEET = "Deelnemers"
PARTICIPANT_COLUMNS = {
    "dossiernummer": "number",
    "bsn": "bsn",
    "voornaam": "first_name",
    "tussenvoegsel": "infix",
    "achternaam": "last_name",
    "geboortedatum": "birth_date",
    "straat": "street",
    "huisnummer": "house_number",
    "postcode": "postcode",
    "woonplaats": "city",
    "telefoon": "phone",
    "email": "email",
    "iban": "iban",
    "startdatum": "start_date",
    "variant": "variant",
    "buffer": "buffer",
    "papieren_overzicht": "paper_overview",
    "contactpersoon": "contact_person",
}

AGREEMENT_SHEET = "Afspraken"
AGREEMENT_COLUMNS = {
    "dossiernummer": "participant_number",
    "organisatie": "organisation",
    "tegenrekening": "counter_iban",
    "richting": "direction",
    "bedrag": "amount",
    "omschrijving": "description",
    "rubriek": "category",
    "zoektermen": "search_terms",
    "dag_van_maand": "day",
    "frequentie": "frequency",
    "startdatum": "valid_from",
    "einddatum": "valid_through",
}


@dataclass
class OrganisationRow:
    row: int
    name: object = None
    kvk: object = None
    iban: object = None
    kind: object = None


@dataclass
class ParticipantRow:
    row: int
    number: object = None
    bsn: object = None
    first_name: object = None
    infix: object = None
    last_name: object = None
    birth_date: object = None
    street: object = None
    house_number: object = None
    postcode: object = None
    city: object = None
    phone: object = None
    email: object = None
    iban: object = None
    start_date: object = None
    variant: object = None
    buffer: object = None
    paper_overview: object = None
    contact_person: object = None


@dataclass
class AgreementRow:
    row: int
    participant_number: object = None
    organisation: object = None
    counter_iban: object = None
    direction: object = None
    amount: object = None
    description: object = None
    category: object = None
    search_terms: object = None
    day: object = None
    frequency: object = None
    valid_from: object = None
    valid_through: object = None


@dataclass
class DossierBook:
    """Everything one workbook holds."""

    organisations: list[OrganisationRow] = field(default_factory=list)
    participants: list[ParticipantRow] = field(default_factory=list)
    agreements: list[AgreementRow] = field(default_factory=list)
