"""Every word of the paper overview, per language: Dutch and English now, ready for more.

Plain language at B1 level: short sentences, "u", concrete dates and amounts. A new language
is one more ``Texts`` instance in ``LANGUAGES`` (with its babel locale for dates and money);
nothing else in the code holds letter text. Pure: no Session, no Qt.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency, get_decimal_symbol, get_group_symbol

from app.reports.overview_table import BALANCE, SALDO_BEGIN, SALDO_END


@dataclass(frozen=True)
class Texts:
    code: str  # the language of the PDF (its /Lang), e.g. nl-NL
    locale: str  # babel locale for dates and money
    title: str  # {month}
    saldo_line: str  # {day} {amount}
    below_zero: str  # {buffer} {who} {phone}
    beyond_buffer: str
    greeting: str  # {name}
    intro: str  # {month}
    heading_table: str
    table_note: str
    footer: dict[str, str]
    heading_list: str  # {month}
    list_empty: str
    allowance_paid: str  # {month} {amount}
    heading_next: str
    next_allowance: str  # {day} {amount}
    no_allowance_known: str
    withheld: str  # {month} {amount}: buffer instalments kept back from the leefgeld
    instalment_running: str  # {amount}: per leefgeld payment while the saldo is below zero
    settlement_title: str  # {day}
    settlement_paid: str  # {day} {amount}
    settlement_zero: str  # {day}
    settlement_owed: str  # {day} {amount}
    settlement_instalment: str  # {amount} {day}: the first instalment
    notices: dict[str, str]  # SignalKind value → sentence with {organisation} {day} {amount}
    somebody: str  # when a notice names no organisation
    heading_contact: str
    contact: str  # {name} {phone}
    contact_without_name: str  # {phone}
    municipality_word: str  # "the municipality", for the below-zero sentence
    closing: str
    page: str  # {page} {pages}
    reference_date: str
    reference_number: str
    reference_contact: str
    continued: str  # header of a following page: {month}
    category_names: dict[str, str] = field(default_factory=dict)  # Dutch name → this language

    def day(self, day: date) -> str:
        return format_date(day, "d MMMM y", locale=self.locale)

    def weekday(self, day: date) -> str:
        return format_date(day, "EEEE d MMMM y", locale=self.locale)

    def short_day(self, day: date) -> str:
        return format_date(day, "d MMM", locale=self.locale)

    def month(self, day: date) -> str:
        return format_date(day, "MMMM y", locale=self.locale)

    def month_name(self, day: date) -> str:
        return format_date(day, "MMMM", locale=self.locale)

    def money(self, cents: int) -> str:
        """€ 1.234,56 in Dutch (with a no-break space); what the locale writes elsewhere."""
        # babel puts a no-break space between € and the amount: a line never breaks there.
        return format_currency(Decimal(cents).scaleb(-2), "EUR", locale=self.locale)

    def amount(self, cents: int) -> str:
        """A table amount: signed, no currency sign (+457,34, -171,00); exact integer
        arithmetic with the locale's symbols (babel per amount is slow for 10,000 letters)."""
        group, decimal = self._symbols
        whole, rest = divmod(abs(cents), 100)
        return f"{'-' if cents < 0 else '+'}{whole:,}".replace(",", group) + f"{decimal}{rest:02d}"

    @functools.cached_property
    def _symbols(self) -> tuple[str, str]:
        return get_group_symbol(self.locale), get_decimal_symbol(self.locale)

    def category(self, name: str) -> str:
        """A category's name in this language (case does not matter: an agreement described
        as 'Zorgverzekering' reads as the category); other text as it is."""
        return self._folded_categories.get(name.lower(), name)

    @functools.cached_property
    def _folded_categories(self) -> dict[str, str]:
        return {k.lower(): v for k, v in self.category_names.items()}


DUTCH = Texts(
    code="nl-NL",
    locale="nl_NL",
    title="Uw overzicht van {month}",
    saldo_line="Uw saldo op {day}: {amount}",
    below_zero=(
        "Uw saldo is lager dan nul: wij betaalden meer voor u dan er binnenkwam en gebruikten "
        "daarvoor uw buffer (die is {buffer}); bel {who} op {phone} als u vragen heeft."
    ),
    beyond_buffer="Uw tekort is groter dan uw buffer. Wij nemen contact met u op.",
    greeting="Beste {name},",
    intro=("Dit is uw overzicht van {month}. U ziet hierin wat er binnenkwam en wat wij voor u "
           "betaalden."),
    heading_table="De laatste drie maanden",
    table_note=("Bedragen in euro. Met een + kwam het geld binnen. Met een - hebben wij het "
                "betaald."),
    footer={SALDO_BEGIN: "Saldo begin van periode", BALANCE: "Balans periode",
            SALDO_END: "Saldo eind van periode"},
    heading_list="Wat kwam er binnen en wat is betaald in {month}?",
    list_empty="In deze maand kwam er niets binnen en is er niets betaald.",
    allowance_paid="In {month} kreeg u in totaal {amount} leefgeld.",
    heading_next="Wat gebeurt er hierna?",
    next_allowance="Op {day} krijgt u {amount} leefgeld.",
    no_allowance_known="Uw contactpersoon vertelt u wanneer u weer leefgeld krijgt.",
    withheld=("In {month} hielden wij {amount} van uw leefgeld in. Daarmee betaalt u de "
              "buffer terug."),
    instalment_running=("Zolang uw saldo onder nul is, houden wij {amount} van elke betaling "
                        "van uw leefgeld in. Zo komt uw saldo weer boven nul."),
    settlement_title="Eindafrekening per {day}",
    settlement_paid=("Uw deelname is gestopt op {day}. Er blijft {amount} over. Dat geld "
                     "maken wij over naar uw eigen rekening."),
    settlement_zero="Uw deelname is gestopt op {day}. Uw saldo is nul: u krijgt niets terug "
                    "en u hoeft niets te betalen.",
    settlement_owed=("Uw deelname is gestopt op {day}. U moet nog {amount} terugbetalen aan "
                     "de gemeente."),
    settlement_instalment="U betaalt {amount} per maand. De eerste keer is op {day}.",
    notices={
        "betaling ontbreekt": ("Wij hebben nog geen geld ontvangen van {organisation}. "
                               "Wij zoeken dit voor u uit."),
        "afwijkend bedrag": ("{organisation} betaalde een ander bedrag dan afgesproken. "
                             "Wij zoeken uit hoe dat komt."),
        "dubbele betaling": "{organisation} heeft twee keer betaald. Wij zoeken dit voor u uit.",
        "voortgangsgesprek": ("Wij willen binnenkort met u praten over hoe het gaat. "
                              "Wij bellen u voor een afspraak."),
    },
    somebody="een betaler",
    heading_contact="Heeft u vragen?",
    contact="Uw contactpersoon is {name}. U kunt bellen met {phone}.",
    contact_without_name="Bel ons op {phone}.",
    municipality_word="de gemeente",
    closing="Met vriendelijke groet,",
    page="pagina {page} van {pages}",
    reference_date="Datum",
    reference_number="Dossiernummer",
    reference_contact="Contactpersoon",
    continued="Uw overzicht van {month} (vervolg)",
)

ENGLISH = Texts(
    code="en-GB",
    locale="en_IE",  # euros written the way English readers in Europe know them
    title="Your overview for {month}",
    saldo_line="Your balance on {day}: {amount}",
    below_zero=(
        "Your balance is below zero: we paid more for you than came in and used your buffer "
        "for this (your buffer is {buffer}); call {who} on {phone} if you have questions."
    ),
    beyond_buffer="You are short by more than your buffer. We will contact you.",
    greeting="Dear {name},",
    intro=("This is your overview for {month}. It shows the money that came in and what we "
           "paid for you."),
    heading_table="The last three months",
    table_note=("Amounts in euros. A + means money came in. A - means we paid it."),
    footer={SALDO_BEGIN: "Balance at the start", BALANCE: "Change in the month",
            SALDO_END: "Balance at the end"},
    heading_list="What came in and what was paid in {month}?",
    list_empty="Nothing came in and nothing was paid in this month.",
    allowance_paid="In {month} you received {amount} living allowance in total.",
    heading_next="What happens next?",
    next_allowance="On {day} you will receive {amount} living allowance.",
    no_allowance_known="Your contact person will tell you when you receive your next allowance.",
    withheld=("In {month} we kept {amount} of your living allowance. With it you pay back "
              "the buffer."),
    instalment_running=("As long as your balance is below zero, we keep {amount} of each "
                        "allowance payment. This brings your balance back above zero."),
    settlement_title="Final statement as of {day}",
    settlement_paid=("Your participation ended on {day}. {amount} is left. We will transfer "
                     "this money to your own account."),
    settlement_zero="Your participation ended on {day}. Your balance is zero: you get nothing "
                    "back and you do not have to pay anything.",
    settlement_owed=("Your participation ended on {day}. You still have to pay back {amount} "
                     "to the municipality."),
    settlement_instalment="You pay {amount} per month. The first payment is on {day}.",
    notices={
        "betaling ontbreekt": ("We have not yet received money from {organisation}. "
                               "We are looking into this for you."),
        "afwijkend bedrag": ("{organisation} paid a different amount than agreed. "
                             "We are finding out why."),
        "dubbele betaling": "{organisation} paid twice. We are looking into this for you.",
        "voortgangsgesprek": ("We would like to talk with you soon about how things are going. "
                              "We will call you to make an appointment."),
    },
    somebody="a payer",
    heading_contact="Any questions?",
    contact="Your contact person is {name}. You can call {phone}.",
    contact_without_name="Call us on {phone}.",
    municipality_word="the municipality",
    closing="Kind regards,",
    page="page {page} of {pages}",
    reference_date="Date",
    reference_number="File number",
    reference_contact="Contact person",
    continued="Your overview for {month} (continued)",
    category_names={
        "salaris": "wages", "uitkering": "benefit", "bijstand": "social assistance",
        "zorgtoeslag": "healthcare allowance", "huurtoeslag": "rent allowance",
        "kindgebonden budget": "child budget", "kinderbijslag": "child benefit",
        "huur": "rent", "energie": "energy", "water": "water",
        "zorgverzekering": "health insurance", "inboedelverzekering": "contents insurance",
        "aansprakelijkheidsverzekering": "liability insurance", "telefoon": "telephone",
        "internet": "internet", "televisie": "television",
        "Wmo eigen bijdrage": "Wmo contribution", "leefgeld": "living allowance",
        "overige vaste last": "other fixed cost", "bankkosten": "bank costs",
        "onbekend": "unknown",
    },
)

LANGUAGES: dict[str, Texts] = {"nl": DUTCH, "en": ENGLISH}

# The calibration page is for staff: Dutch only.
CALIBRATION_TITLE = "Kalibratie van het adresvenster"
CALIBRATION_STEPS = (
    "Druk deze pagina af op gewoon papier, op de printer die de brieven afdrukt.",
    "Vouw het blad zoals de brieven en steek het in een envelop die u echt gebruikt.",
    "Het gestreepte kader moet helemaal in het venster van de envelop te zien zijn.",
    "Valt het kader er (deels) buiten? Pas dan in de instellingen de positie van het "
    "venster aan (links en boven, in millimeters) en druk deze pagina opnieuw af.",
)
CALIBRATION_SAMPLE = ("Voorbeeld Deelnemer", "Voorbeeldstraat 12A", "1234 AB  WOONPLAATS")


def texts_for(language: str | None) -> Texts:
    """The texts of a participant's language; Dutch when it has none (yet)."""
    return LANGUAGES.get((language or "nl").lower()[:2], DUTCH)
