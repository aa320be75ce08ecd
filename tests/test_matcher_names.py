"""Names, wages and learned patterns in the matcher (issue 14): pure code, no database.

Employers pay several participants from one IBAN and write the employee's name instead of a
number; flex wages differ from the agreement by up to a third. The payer's IBAN together with
the participant's name (or a text pattern a clerk booked before) identifies the participant —
never the name alone, never when another participant of that payer has the same name, never
when the text speaks against it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from app.importers.matcher import (
    FULL_NAME,
    LARGE_GROUP,
    NO_NAME,
    SURNAME,
    AgreementFacts,
    AgreementIndex,
    TransactionFacts,
    fold_name,
    name_tokens,
    names_participant,
    person_name,
    text_pattern,
)

KOK = "NL11RABO0111111111"  # Bakkerij Kok: several participants
HEMA = "NL22INGB0002222222"  # two J. de Vries
TEMPO = "NL33ABNA0333333333"  # a flex agency: more participants than are ever enumerated
POSTNL = "NL44INGB0004444440"
DOMSTAD = "NL55RABO0555555555"  # a cleaning company with one participant
UWV = "NL28INGB0000000001"
ANNA_OWN = "NL05INGB0004444444"
UNKNOWN = "NL66ABNA0666666666"
PAYDAY = date(2026, 10, 23)  # a Friday, two days before the 25th


def wage(id_: int, participant: int, payer: str, organisation: str, name: tuple, cents: int, *,
         frequency: str = "maand", day: int = 25, tolerance: str = "10", terms: tuple = (),
         learned: tuple = (), is_wage: bool = True, income: bool = True) -> AgreementFacts:
    initials, first, infix, last = name
    return AgreementFacts(
        id=id_, participant_id=participant, last_name=last, organisation=organisation,
        ibans=frozenset({payer}), income=income, amount_cents=cents,
        tolerance_percent=Decimal(tolerance), frequency=frequency, day=day,
        valid_from=date(2026, 1, 1), valid_through=None, terms=terms, initials=initials,
        first_name=first, infix=infix, wage=is_wage, learned=learned)


JAN = ("J.", "Jan", "de", "Vries")
AGREEMENTS = [
    wage(1, 1, KOK, "Bakkerij Kok", JAN, 2_000_00),
    wage(2, 2, KOK, "Bakkerij Kok", ("P.", "Piet", "de", "Vries"), 1_800_00),
    wage(3, 3, KOK, "Bakkerij Kok", ("M.", "Mehmet", "", "Öztürk"), 1_500_00),
    wage(4, 4, KOK, "Bakkerij Kok", ("M.", "Mohammed", "", "El Amrani"), 1_600_00),
    wage(5, 5, KOK, "Bakkerij Kok", ("K.", "Kees", "", "Mulder"), 1_700_00,
         learned=((KOK, "SALARIS MULDER"),)),
    wage(6, 6, KOK, "Bakkerij Kok", ("H.", "Hatice", "", "Çelik"), 1_400_00),
    wage(7, 7, HEMA, "HEMA", ("J.", "Joost", "de", "Vries"), 1_200_00),
    wage(8, 8, HEMA, "HEMA", ("J.", "Johan", "de", "Vries"), 1_300_00),
    wage(9, 9, TEMPO, "Tempo-Team", ("A.", "Ayşe", "", "Yılmaz"), 400_00, frequency="week",
         day=5),
    wage(10, 10, TEMPO, "Tempo-Team", ("B.", "Burak", "", "Yilmaz"), 400_00,
         frequency="week", day=5),
    *[wage(100 + n, 100 + n, TEMPO, "Tempo-Team", ("", f"Flex{n}", "", f"Uitzendkracht{n}"),
           380_00 + n, frequency="week", day=5, terms=(f"kandidaatnr 77{n:06d}",))
      for n in range(LARGE_GROUP + 5)],
    wage(11, 11, POSTNL, "PostNL", ("A.", "Anna", "", "Bakker"), 2_100_00,
         terms=("personeelsnr 778812",)),
    wage(14, 11, ANNA_OWN, None, ("A.", "Anna", "", "Bakker"), 60_00, frequency="week",
         day=1, is_wage=False, income=False),
    wage(12, 12, DOMSTAD, "Schoonmaak Domstad", ("G.", "Gerrit", "", "Visser"), 1_900_00),
    wage(13, 13, UWV, "UWV", ("E.", "Eva", "", "Smit"), 900_00, day=23,
         terms=("2610000123",), is_wage=False),
    # A benefit, not a wage: a name with the payer's IBAN, but the amount must fit.
    wage(15, 1, UWV, "UWV", JAN, 700_00, day=23, terms=("2610000777",), is_wage=False),
]


@pytest.fixture(scope="module")
def index() -> AgreementIndex:
    owners = {KOK: "Bakkerij Kok", HEMA: "HEMA", TEMPO: "Tempo-Team", POSTNL: "PostNL",
              DOMSTAD: "Schoonmaak Domstad", UWV: "UWV", ANNA_OWN: "een deelnemer"}
    return AgreementIndex(AGREEMENTS, account_owners=owners)


def tx(cents: int, iban: str | None, text: str, *, day: date = PAYDAY,
       name: str | None = None) -> TransactionFacts:
    return TransactionFacts(id=1, booking_date=day, amount_cents=cents, counterparty_iban=iban,
                            counterparty_name=name, description=text)


# (case, transaction, agreement it must be booked to or None, words in the reason(s))
CASES = [
    # -- name forms ---------------------------------------------------------------------
    ("initial, infix, surname", tx(2_000_00, KOK, "SALARIS OKT 2026 J. DE VRIES"), 1,
     ["IBAN van Bakkerij Kok", "naam van de deelnemer in de tekst", "binnen 10%"]),
    ("surname, initial, infix", tx(2_100_00, KOK, "Loon oktober 2026 Vries, J. de"), 1, []),
    ("infix, surname, initial", tx(1_950_00, KOK, "Salaris 10-2026 DE VRIES J"), 1, []),
    ("first name and surname", tx(1_850_00, KOK, "Salaris oktober 2026 Jan de Vries"), 1, []),
    ("infix written together", tx(2_000_00, KOK, "SALARIS OKT 2026 J DEVRIES"), 1, []),
    ("a legal form in the counterparty name is no initial",
     tx(1_800_00, KOK, "Salaris okt 2026 P. de Vries", name="Bakkerij Kok B.V."), 2, []),
    # -- two participants with one surname at one employer -----------------------------
    ("same surname, the initial tells them apart",
     tx(1_800_00, KOK, "SALARIS OKT 2026 P. DE VRIES"), 2, []),
    ("same surname, the first name tells them apart",
     tx(1_800_00, KOK, "Salaris oktober 2026 Piet de Vries"), 2, []),
    ("same surname, no initial: both suggested",
     tx(2_000_00, KOK, "Salaris oktober 2026 de Vries"), None,
     ["achternaam van de deelnemer in de tekst", "ook van een andere deelnemer"]),
    ("same initials at one employer: both suggested",
     tx(1_200_00, HEMA, "Salaris okt 2026 J. de Vries"), None,
     ["past ook bij een andere deelnemer van deze betaler"]),
    ("same initials, the first name tells them apart",
     tx(1_250_00, HEMA, "Salaris okt 2026 Joost de Vries"), 7, []),
    # -- accents as banks fold them --------------------------------------------------------
    ("Öztürk printed as OZTURK", tx(1_500_00, KOK, "SALARIS OKT 2026 M OZTURK"), 3, []),
    ("Öztürk printed with its accents", tx(1_500_00, KOK, "Salaris okt 2026 Öztürk, M."), 3,
     []),
    ("Çelik printed as CELIK", tx(1_400_00, KOK, "SALARIS OKT 2026 H CELIK"), 6, []),
    ("Yılmaz (dotless ı) printed as YILMAZ, a large group",
     tx(523_17, TEMPO, "Loon wk 42 Yilmaz A"), 9, ["loon: binnen een derde"]),
    ("Yilmaz on file, Yılmaz printed", tx(350_00, TEMPO, "Loon wk 42 Yılmaz B."), 10, []),
    ("two Yilmaz at the agency, no initial", tx(400_00, TEMPO, "Loon wk 42 Yilmaz"), None, []),
    ("a Yilmaz with an initial nobody has", tx(400_00, TEMPO, "Loon wk 42 YILMAZ C"), None,
     []),
    # -- prefixes kept or left out ------------------------------------------------------------
    ("El Amrani without the prefix", tx(1_600_00, KOK, "Loon M. Amrani oktober"), 4, []),
    ("El Amrani with the prefix", tx(1_600_00, KOK, "SALARIS M EL AMRANI 10/2026"), 4, []),
    # -- wages are wages -----------------------------------------------------------------------
    ("a wage 30% above the agreement", tx(2_600_00, KOK, "SALARIS OKT 2026 J. DE VRIES"), 1,
     ["wijkt 30% af", "loon: binnen een derde"]),
    ("a wage 35% above the agreement", tx(2_700_00, KOK, "SALARIS OKT 2026 J. DE VRIES"),
     None, ["wijkt 35% af", "loon: meer dan een derde"]),
    ("a wage 35% below the agreement", tx(1_300_00, KOK, "SALARIS OKT 2026 J. DE VRIES"),
     None, []),
    ("a named wage outside the date window",
     tx(2_000_00, KOK, "SALARIS OKT 2026 J. DE VRIES", day=date(2026, 10, 8)), None, []),
    ("a named benefit within its tolerance", tx(700_00, UWV, "WW oktober J. de Vries"), 15,
     []),
    ("a named benefit 20% off: not a wage", tx(840_00, UWV, "WW oktober J. de Vries"), None,
     []),
    # -- never the name alone, never somebody the payer does not pay --------------------------
    ("a name from an unknown IBAN", tx(2_000_00, UNKNOWN, "Salaris okt 2026 J. de Vries"),
     None, []),
    ("a participant the payer does not pay",
     tx(2_100_00, KOK, "Salaris okt 2026 A. Bakker"), None, []),
    ("the only participant of a payer, the text names another",
     tx(1_900_00, DOMSTAD, "Salaris okt 2026 A. Bakker"), None,
     ["de tekst noemt een andere deelnemer"]),
    ("the only participant of a payer, another initial",
     tx(1_900_00, DOMSTAD, "Salaris okt 2026 P. Visser"), None, ["andere voorletter"]),
    ("a named wage that names another participant's own account",
     tx(2_000_00, KOK, "SALARIS OKT 2026 J. DE VRIES tgv NL05INGB0004444444"), None,
     ["rekening van een andere deelnemer"]),
    ("the only participant of a payer, no name (as before)",
     tx(1_900_00, DOMSTAD, "Salaris okt 2026"), 12, []),
    ("the only participant of a payer, named, a wage 26% above",
     tx(2_400_00, DOMSTAD, "Salaris okt 2026 G. Visser"), 12, []),
    # -- learned patterns ---------------------------------------------------------------------
    ("a learned pattern with the surname", tx(1_700_00, KOK, "Salaris okt 2026 Mulder"), 5,
     ["eerder zo geboekt", "achternaam van de deelnemer"]),
    ("a learned pattern, the amount outside the tolerance",
     tx(2_000_00, KOK, "Salaris okt 2026 Mulder"), None, []),
    ("a learned pattern contradicted by another participant's reference",
     tx(1_700_00, KOK, "Salaris okt 2026 Mulder 2610000123"), None, []),
    ("a learned pattern contradicted by another participant's own account",
     tx(1_700_00, KOK, "Salaris okt 2026 Mulder NL05 INGB 0004 4444 44"), None,
     ["rekening van een andere deelnemer"]),
    ("a learned pattern, the text names another participant",
     tx(1_700_00, KOK, "Salaris okt 2026 Mulder A. Bakker"), None, []),
]


@pytest.mark.parametrize(("transaction", "expected", "words"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_decision(index, transaction, expected, words):
    decision = index.decide(transaction)
    assert decision.agreement_id == expected, decision.reason + " | " + str(decision.suggestions)
    text = decision.reason if expected is not None else " ".join(
        [decision.reason, *(s.reason for s in decision.suggestions)])
    for word in words:
        assert word in text, text


@pytest.mark.parametrize(("transaction", "suggested"), [
    (tx(2_000_00, KOK, "Salaris oktober 2026 de Vries"), {1, 2}),
    (tx(1_200_00, HEMA, "Salaris okt 2026 J. de Vries"), {7, 8}),
    (tx(400_00, TEMPO, "Loon wk 42 Yilmaz"), {9, 10}),
    (tx(2_700_00, KOK, "SALARIS OKT 2026 J. DE VRIES"), {1}),
])
def test_who_a_name_leaves_in_doubt_is_suggested(index, transaction, suggested):
    decision = index.decide(transaction)
    assert decision.agreement_id is None
    assert suggested <= {s.agreement_id for s in decision.suggestions}
    top = decision.suggestions[0]
    assert top.agreement_id in suggested and top.score < 80  # no bulk acceptance either


def test_a_same_surname_suggestion_ranks_the_fitting_initial_first(index):
    decision = index.decide(tx(2_700_00, KOK, "SALARIS OKT 2026 P. DE VRIES"))
    assert decision.agreement_id is None  # 50% above Piet's wage
    assert decision.suggestions[0].agreement_id == 2


def test_without_what_the_clerk_booked_a_surname_alone_waits():
    index = AgreementIndex([replace(a, learned=()) for a in AGREEMENTS])
    decision = index.decide(tx(1_700_00, KOK, "Salaris okt 2026 Mulder"))
    assert decision.agreement_id is None
    assert decision.suggestions[0].agreement_id == 5
    assert "zonder voorletter" in decision.suggestions[0].reason


def test_a_pattern_learned_from_another_payer_does_not_count(index):
    decision = index.decide(tx(1_700_00, HEMA, "Salaris okt 2026 Mulder"))
    assert decision.agreement_id is None


@pytest.mark.parametrize(("text", "folded"), [
    ("Yılmaz", "YILMAZ"), ("Öztürk", "OZTURK"), ("Çelik", "CELIK"), ("Straße", "STRASSE"),
    ("Søren Ørsted", "SOREN ORSTED"), ("Łukasz", "LUKASZ"), ("İbrahim", "IBRAHIM"),
    ("Đorđević", "DORDEVIC"), ("'t Hart", "T HART"), ("D'Souza", "DSOUZA"),
])
def test_names_are_folded_as_banks_print_them(text, folded):
    assert fold_name(text) == folded


@pytest.mark.parametrize(("text", "pattern"), [
    ("SALARIS OKT 2026 J. DE VRIES", "SALARIS J DE VRIES"),
    ("Salaris november 2026 J. de Vries", "SALARIS J DE VRIES"),
    ("Loon wk 42 Yilmaz A", "LOON WK YILMAZ A"),
    ("Loon wk 43-2026 Yılmaz A.", "LOON WK YILMAZ A"),
    ("Salaris 10-2026 pers.nr 4471902", "SALARIS PERS NR"),
    ("2026-10", ""),
])
def test_a_text_pattern_leaves_out_numbers_dates_and_months(text, pattern):
    assert text_pattern(text) == pattern


@pytest.mark.parametrize(("name", "text", "level"), [
    (JAN, "SALARIS OKT 2026 J. DE VRIES", FULL_NAME),
    (JAN, "Vries, J. de", FULL_NAME),
    (JAN, "Jan de Vries", FULL_NAME),
    (JAN, "DE VRIES J", FULL_NAME),
    (JAN, "Salaris J.H. de Vries", FULL_NAME),  # more initials than we have on file
    (JAN, "Salaris de Vries", SURNAME),
    (JAN, "Salaris Vries jan 2026", SURNAME),  # 'jan 2026' is January
    (JAN, "Vries salaris", NO_NAME),  # a word that opens the text is the kind of payment
    (JAN, "Salaris de Vriesland", NO_NAME),
    (("J.", "Jan", "'t", "Hart"), "Salaris J. 't Hart", FULL_NAME),
    (("A.", "Ayşe", "", "Yılmaz"), "ayse yilmaz", FULL_NAME),
])
def test_how_well_a_text_names_a_participant(name, text, level):
    assert person_name(*name).level(((name_tokens(text), True),)) == (level, False)


@pytest.mark.parametrize("text", ["Salaris P. de Vries", "DE VRIES P", "Vries, H.J. de",
                                  "Salaris J. de Vries P"])
def test_another_initial_beside_the_surname_contradicts(text):
    assert person_name(*JAN).level(((name_tokens(text), True),)) == (NO_NAME, True)


def test_what_may_be_learned_names_the_participant():
    assert names_participant("SALARIS OKT 2026 J. DE VRIES", *JAN)
    assert names_participant("Salaris okt de Vries", *JAN)
    assert not names_participant("Salaris oktober 2026", *JAN)
    assert not names_participant("Salaris P. de Vries", *JAN)


def test_a_prefix_the_name_does_not_have_tells_two_names_apart():
    de_vos = wage(1, 1, KOK, "Bakkerij Kok", ("G.", "Gijs", "de", "Vos"), 400_00)
    vos = wage(2, 2, KOK, "Bakkerij Kok", ("G.", "Gerda", "", "Vos"), 400_00)
    van_der_horst = wage(3, 3, KOK, "Bakkerij Kok", ("I.", "Iris", "van der", "Horst"), 900_00)
    ter_horst = wage(4, 4, KOK, "Bakkerij Kok", ("I.", "Ilse", "ter", "Horst"), 900_00)
    index = AgreementIndex([de_vos, vos, van_der_horst, ter_horst])
    assert index.decide(tx(400_00, KOK, "Loon okt 2026 De Vos G")).agreement_id == 1
    assert index.decide(tx(400_00, KOK, "Loon okt 2026 G. de Vos")).agreement_id == 1
    # The bank may leave the prefix out: then it is either of them.
    assert index.decide(tx(400_00, KOK, "Loon okt 2026 Vos G")).agreement_id is None
    assert index.decide(tx(900_00, KOK, "SALARIS OKT 2026 I. VAN DER HORST")).agreement_id == 3
    assert index.decide(tx(900_00, KOK, "SALARIS OKT 2026 I. VD HORST")).agreement_id == 3
    assert index.decide(tx(900_00, KOK, "SALARIS OKT 2026 I. TER HORST")).agreement_id == 4
    assert index.decide(tx(900_00, KOK, "SALARIS OKT 2026 I. HORST")).agreement_id is None


@pytest.mark.parametrize(("valid_from", "valid_through", "linked"), [
    (date(2020, 1, 1), date(2026, 5, 31), True),  # left in May: Kok no longer pays them
    (date(2020, 1, 1), date(2026, 9, 30), False),  # left last month: a last wage may come
    (date(2026, 11, 1), None, False),  # starts next month: an early first wage may be theirs
    (date(2026, 12, 15), None, True),  # starts more than a month later: not paid yet
    (date(2026, 10, 1), None, False),  # started this month
])
def test_a_same_named_colleague_counts_while_the_payer_may_pay_them(valid_from, valid_through,
                                                                     linked):
    jan = AGREEMENTS[0]
    other = replace(wage(9, 9, KOK, "Bakkerij Kok", ("J.", "Joop", "de", "Vries"), 2_000_00),
                    valid_from=valid_from, valid_through=valid_through)
    decision = AgreementIndex([jan, other]).decide(
        tx(2_000_00, KOK, "SALARIS OKT 2026 J. DE VRIES"))
    assert (decision.agreement_id == 1) is linked
    assert linked or decision.agreement_id is None
