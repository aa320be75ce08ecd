"""The matcher's decisions, case by case (DESIGN §5): pure code, no database.

Each case is a transaction on the shared account in a small municipality and what must happen
to it: booked to one agreement (with a reason a clerk understands), or left in the queue.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from app.importers.matcher import (
    LARGE_GROUP,
    AgreementFacts,
    AgreementIndex,
    PayoutFacts,
    TransactionFacts,
    fits_schedule,
    terms_in_text,
)

UWV = "NL28INGB0000000001"
UWV_2 = "NL57INGB0000000002"
ENECO = "NL12RABO0300065264"
PORTAAL = "NL91ABNA0417164300"
RANDSTAD = "NL20INGB0001234567"
BELASTINGDIENST = "NL65INGB0000867000"
BOL = "NL69ABNA0411234567"  # a web shop: known to nobody
PRIVATE = "NL44RABO0123456789"  # somebody's aunt
ANNA_OWN = "NL05INGB0004444444"
ANNE_OWN = "NL07INGB0005555555"
ORIGINAL_START = date(2026, 1, 1)


def agreement(id_: int, participant: int, organisation: str | None, ibans: tuple[str, ...], *,
              income: bool, cents: int, terms: tuple[str, ...] = (), frequency: str = "maand",
              day: int | None = None, description: str | None = None,
              last_name: str = "Jansen", tolerance: str = "2.00",
              valid_through: date | None = None) -> AgreementFacts:
    return AgreementFacts(
        id=id_, participant_id=participant, last_name=last_name, organisation=organisation,
        ibans=frozenset(ibans), income=income, amount_cents=cents,
        tolerance_percent=Decimal(tolerance), frequency=frequency, day=day,
        valid_from=ORIGINAL_START, valid_through=valid_through, description=description,
        terms=terms,
    )


# Participants: 1 Anna Jansen, 2 Anne Janssen (a look-alike), 3 Piet Bakker, 10.. UWV clients.
AGREEMENTS = [
    # UWV pays many participants from two IBANs; the benefit number tells them apart.
    agreement(1, 1, "UWV", (UWV, UWV_2), income=True, cents=812_40, terms=("261.000.012.3",),
              day=23, description="WW-uitkering"),
    agreement(2, 2, "UWV", (UWV, UWV_2), income=True, cents=812_40, terms=("2610000456",),
              day=23, last_name="Janssen"),
    *[agreement(100 + n, 10 + n, "UWV", (UWV, UWV_2), income=True, cents=900_00 + n,
                terms=(f"27{n:08d}",), day=23, last_name=f"Klant{n}")
      for n in range(LARGE_GROUP + 5)],
    # Energy: both Jansens at Eneco, each with their own customer number.
    agreement(3, 1, "Eneco", (ENECO,), income=False, cents=171_00, terms=("klantnr 20456789",),
              day=28),
    agreement(4, 2, "Eneco", (ENECO,), income=False, cents=171_00, terms=("20999111",),
              day=28, last_name="Janssen"),
    # Anna rents from Portaal: rent and service costs, one contract number.
    agreement(5, 1, "Portaal", (PORTAAL,), income=False, cents=424_10,
              terms=("HC-778899",), day=1, description="Huur"),
    agreement(6, 1, "Portaal", (PORTAAL,), income=False, cents=35_00,
              terms=("HC-778899",), day=1, description="Servicekosten"),
    # Piet works flex through Randstad: the amount differs every week.
    agreement(7, 3, "Randstad", (RANDSTAD,), income=True, cents=400_00, terms=("reg 4471902",),
              frequency="week", day=5, last_name="Bakker"),
    # Weekly leefgeld to the participants' own accounts.
    agreement(8, 1, None, (ANNA_OWN,), income=False, cents=60_00, frequency="week", day=1),
    agreement(9, 2, None, (ANNE_OWN,), income=False, cents=60_00, frequency="week", day=1,
              last_name="Janssen"),
    # Piet's earlier benefit ended in September.
    agreement(11, 3, "UWV", (UWV, UWV_2), income=True, cents=1_020_00, terms=("2610000999",),
              day=23, last_name="Bakker", valid_through=date(2026, 9, 30)),
    # Anna's zorgtoeslag and huurtoeslag: one IBAN, one reference, amounts apart.
    agreement(12, 1, "Belastingdienst", (BELASTINGDIENST,), income=True, cents=123_00,
              terms=("1234.56.789",), day=20, description="Zorgtoeslag"),
    agreement(13, 1, "Belastingdienst", (BELASTINGDIENST,), income=True, cents=310_00,
              terms=("1234.56.789",), day=20, description="Huurtoeslag"),
    # A betalingskenmerk only Anne's debt arrangement has.
    agreement(14, 2, "Gerechtsdeurwaarder", ("NL80INGB0009999999",), income=False,
              cents=50_00, terms=("1234 5678 9012 3456",), day=15, last_name="Janssen"),
]
OWNERS = {UWV: "UWV", UWV_2: "UWV", ENECO: "Eneco", PORTAAL: "Portaal", RANDSTAD: "Randstad",
          BELASTINGDIENST: "Belastingdienst", ANNA_OWN: "een deelnemer",
          ANNE_OWN: "een deelnemer", "NL80INGB0009999999": "Gerechtsdeurwaarder"}


@pytest.fixture(scope="module")
def index() -> AgreementIndex:
    payouts = [PayoutFacts("HHB-PAY-000042", 42, 8, 1, 60_00, ANNA_OWN, date(2026, 10, 26))]
    return AgreementIndex(AGREEMENTS, account_owners=OWNERS, payouts=payouts)


def tx(amount: int, iban: str | None, text: str | None, *, day: date = date(2026, 10, 23),
       name: str | None = None, reversal: bool = False, e2e: str | None = None,
       reference: str | None = None, mandate: str | None = None,
       return_reason: str | None = None) -> TransactionFacts:
    return TransactionFacts(id=1, booking_date=day, amount_cents=amount, counterparty_iban=iban,
                            counterparty_name=name, description=text,
                            structured_reference=reference, mandate_id=mandate,
                            end_to_end_id=e2e, reversal=reversal, return_reason=return_reason)


# (case, transaction, agreement it must be booked to or None, words the reason must contain)
CASES = [
    ("shared payer with references",
     tx(812_40, UWV, "WW-uitkering oktober 2026 uitkeringsnr 2610000123", name="UWV"),
     1, ["IBAN van UWV", "261.000.012.3", "binnen 2%"]),
    ("shared payer, the other participant with the same amount",
     tx(812_40, UWV_2, "WW-uitkering oktober 2026 uitkeringsnr 2610000456", name="UWV"),
     2, ["IBAN van UWV", "2610000456"]),
    ("references typed with dots or spaces",
     tx(812_40, UWV, "Uitkering okt 2026 ref 261 000 012 3", name="UWV"),
     1, ["261.000.012.3"]),
    ("reference with leading zeros",
     tx(812_40, UWV, "WW-uitkering uitkeringsnummer 002610000123", name="UWV"),
     1, ["261.000.012.3"]),
    ("flex wages",
     tx(523_17, RANDSTAD, "Randstad loon week 43 2026 reg.nr 4471902",
        day=date(2026, 10, 23)),
     7, ["IBAN van Randstad", "wijkt 31% af"]),
    ("refund from the energy company",
     tx(737_50, ENECO, "Terugbetaling jaarafrekening 2025 klantnummer 20456789"),
     3, ["terugbetaling", "IBAN van Eneco"]),
    ("reversed direct debit",
     tx(171_00, ENECO, "Energie oktober 2026 klantnr 20999111", reversal=True,
        mandate="ENEC-20999111-01"),
     4, ["teruggeboekte incasso"]),
    ("ended agreement",
     tx(640_00, UWV, "Nabetaling september 2026 2610000999", name="UWV"),
     None, ["beëindigd op 30-09-2026"]),
    ("gift with the participant's name",
     tx(50_00, PRIVATE, "Voor Anna Jansen, fijne verjaardag", name="Fam. Jansen"),
     None, []),
    ("unknown web shop",
     tx(49_95, BOL, "Terugbetaling bestelling 9021337415", name="bol.com b.v."),
     None, []),
    ("UWV with a reference nobody has",
     tx(812_40, UWV, "WW-uitkering oktober 2026 uitkeringsnr 2619999999", name="UWV"),
     None, []),
    ("identical weekly leefgeld",
     tx(-60_00, ANNA_OWN, "Leefgeld week 43", day=date(2026, 10, 19)),
     8, ["eigen rekening van de deelnemer", "binnen 2%"]),
    ("identical weekly leefgeld, the second transfer that week",
     tx(-60_00, ANNA_OWN, "Leefgeld week 43 extra", day=date(2026, 10, 20)),
     8, ["eigen rekening van de deelnemer"]),
    ("two agreements with the same organisation: the rent",
     tx(-424_10, PORTAAL, "Huur november 2026 HC-778899", day=date(2026, 10, 30)),
     5, ["past als enige afspraak"]),
    ("two agreements with the same organisation: the service costs",
     tx(-35_00, PORTAAL, "Servicekosten november 2026 HC-778899", day=date(2026, 10, 30)),
     6, ["past als enige afspraak"]),
    ("two agreements with the same organisation: an amount that fits neither",
     tx(-200_00, PORTAAL, "Betaling HC-778899", day=date(2026, 10, 30)),
     None, []),
    ("toeslagen from one IBAN told apart by amount and description",
     tx(310_00, BELASTINGDIENST, "HUURTOESLAG 2026 OKTOBER KENMERK 123456789",
        day=date(2026, 10, 20)),
     13, ["1234.56.789"]),
    ("look-alike names",
     tx(60_00, PRIVATE, "Terug van Anne Janssen", name="A. Jansen"),
     None, []),
    ("a transaction from an unknown IBAN with an unmistakable reference",
     tx(-50_00, "NL02ABNA0123456789", "Betaling regeling", reference="1234567890123456",
        day=date(2026, 10, 15)),
     14, ["kenmerk is eenduidig", "onbekende IBAN"]),
    ("an unmistakable reference from another organisation's IBAN",
     tx(-50_00, ENECO, "Betaling 1234567890123456", day=date(2026, 10, 15)),
     None, ["IBAN van Eneco, niet van deze afspraak"]),
    ("income on an expense agreement without the creditor's reference",
     tx(60_00, ANNA_OWN, "Terugstorting", day=date(2026, 10, 19)),
     None, ["bijschrijving bij een uitgavenafspraak"]),
    ("a reference of one participant from the IBAN of another's employer",
     tx(400_00, RANDSTAD, "Loon week 43 uitkeringsnr 2610000123"),
     None, []),
    ("our own payout comes back with our end-to-end id",
     tx(-60_00, ANNA_OWN, "Leefgeld", e2e="HHB-PAY-000042", day=date(2026, 10, 26)),
     8, ["eigen betaling", "HHB-PAY-000042"]),
    ("bank costs",
     tx(-12_50, None, "Kosten betalingsverkeer oktober 2026"),
     None, ["geen afspraak gevonden"]),
]


@pytest.mark.parametrize(("transaction", "expected", "words"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_decision(index, transaction, expected, words):
    decision = index.decide(transaction)
    assert decision.agreement_id == expected, decision.reason + " | " + str(decision.suggestions)
    text = decision.reason if expected is not None else " ".join(
        [decision.reason, *(s.reason for s in decision.suggestions)])
    for word in words:
        assert word in text


def test_an_automatic_booking_says_why_in_plain_dutch(index):
    decision = index.decide(CASES[0][1])
    assert decision.reason == (
        "IBAN van UWV; zoekterm 261.000.012.3 in de omschrijving; "
        "bedrag € 812,40 binnen 2% van de afspraak (€ 812,40)"
    )


def test_queue_items_get_ranked_suggestions_with_reasons(index):
    decision = index.decide(tx(812_40, UWV, "WW-uitkering oktober 2026 zonder nummer"))
    assert decision.agreement_id is None
    # UWV has more agreements than are ever enumerated; the exact amount picks the two Jansens.
    assert [s.agreement_id for s in decision.suggestions] == [1, 2]
    assert all("IBAN van UWV" in s.reason for s in decision.suggestions)
    assert "IBAN zonder zoekterm" in decision.reason


def test_the_ended_agreement_is_suggested_but_not_booked(index):
    decision = index.decide(CASES[7][1])
    assert decision.suggestions[0].agreement_id == 11
    assert "beëindigd" in decision.suggestions[0].reason


def test_a_payment_before_the_agreement_starts_is_not_booked(index):
    early = tx(812_40, UWV, "WW-uitkering uitkeringsnr 2610000123", day=date(2025, 12, 23))
    decision = index.decide(early)
    assert decision.agreement_id is None
    assert "gaat pas in op 01-01-2026" in decision.suggestions[0].reason


def test_a_refund_that_is_not_the_creditors_is_not_booked(index):
    decision = index.decide(tx(737_50, PRIVATE, "klantnummer 20456789 terug"))
    assert decision.agreement_id is None


def test_a_reference_inside_a_longer_number_does_not_count():
    found = terms_in_text(["ordernummer 92610000123"], {"2610000123": object()})
    assert found == {}


def test_pieces_join_into_a_reference_and_a_date_does_not_become_a_short_one():
    known = {"2610000123": object(), "82026": object()}
    found = terms_in_text(["Uitkering 08-2026 nr 261.000.012.3"], known)
    assert found == {"2610000123": 4, "82026": 2}


def test_an_index_with_a_shared_short_word_does_not_enumerate_everybody():
    # 'huur' on hundreds of agreements is no evidence; the IBAN's exact amount is.
    many = [agreement(n, n, "Woonstad", ("NL39RABO0300065264",), income=False, cents=500_00 + n,
                      terms=("huur",)) for n in range(1, 400)]
    decision = AgreementIndex(many).decide(
        tx(-500_07, "NL39RABO0300065264", "huur november"))
    assert decision.agreement_id is None
    assert [s.agreement_id for s in decision.suggestions] == [7]


@pytest.mark.parametrize(("frequency", "day", "booked", "fits"), [
    ("maand", 23, date(2026, 10, 30), True),
    ("maand", 23, date(2026, 10, 31), False),
    ("maand", 31, date(2026, 3, 2), True),  # due 28 February: two working days late
    ("maand", 1, date(2026, 12, 29), True),  # early for January
    ("week", 1, date(2026, 10, 22), True),  # Thursday for a Monday: 3 days
    ("week", 1, date(2026, 10, 23), True),  # Friday: 3 days before Monday
    ("week", 1, date(2026, 10, 24), True),
    ("kwartaal", 1, date(2026, 10, 14), True),
    ("maand", None, date(2026, 10, 14), True),
])
def test_the_date_window_depends_on_the_schedule(frequency, day, booked, fits):
    facts = replace(AGREEMENTS[0], frequency=frequency, day=day)
    assert fits_schedule(facts, booked) is fits


def test_the_only_known_client_of_a_payer_does_not_get_its_unknown_references():
    only = agreement(1, 1, "UWV", (UWV,), income=True, cents=812_40, terms=("2610000123",))
    decision = AgreementIndex([only]).decide(
        tx(812_40, UWV, "WW-uitkering uitkeringsnr 2619999999"))
    assert decision.agreement_id is None
    assert decision.suggestions[0].agreement_id == 1


def test_a_landlord_with_one_tenant_and_no_reference_is_paid_for_that_tenant():
    rent = agreement(1, 1, "Verhuurder De Boer", ("NL11RABO0111111111",), income=False,
                     cents=650_00, day=1)
    decision = AgreementIndex([rent]).decide(
        tx(-650_00, "NL11RABO0111111111", "Huur november", day=date(2026, 10, 30)))
    assert decision.agreement_id == 1
    assert decision.reason.startswith("IBAN van Verhuurder De Boer")


def test_a_small_employer_without_references_pays_its_only_participant_on_schedule():
    wage = agreement(1, 1, "Bakkerij Kok", ("NL11RABO0111111111",), income=True,
                     cents=1_250_00, day=25)
    index = AgreementIndex([wage])
    on_time = index.decide(tx(1_250_00, "NL11RABO0111111111", "Salaris oktober",
                              day=date(2026, 10, 24)))
    assert on_time.agreement_id == 1
    off_schedule = index.decide(tx(1_250_00, "NL11RABO0111111111", "Salaris",
                                   day=date(2026, 10, 8)))
    assert off_schedule.agreement_id is None


def test_the_rents_reference_with_the_service_costs_amount_is_not_booked_as_rent():
    rent = agreement(1, 1, "Portaal", (PORTAAL,), income=False, cents=424_10,
                     terms=("HC-778899",), day=1)
    service = agreement(2, 1, "Portaal", (PORTAAL,), income=False, cents=35_00, day=1)
    others = [agreement(10 + n, 10 + n, "Portaal", (PORTAAL,), income=False, cents=500_00,
                        terms=(f"HC-{n:06d}",), day=1) for n in range(3)]
    index = AgreementIndex([rent, service, *others])
    assert index.decide(tx(-424_10, PORTAAL, "Huur HC-778899",
                           day=date(2026, 10, 30))).agreement_id == 1
    decision = index.decide(tx(-35_00, PORTAAL, "Servicekosten HC-778899",
                               day=date(2026, 10, 30)))
    assert decision.agreement_id is None
    assert {s.agreement_id for s in decision.suggestions} >= {1, 2}


# Our own payouts: weekly leefgeld of Anna (agreement 8) in a file, one seen last week.
PAYOUTS = [
    PayoutFacts("HHB-0000000051-1", 51, 8, 1, 60_00, ANNA_OWN, date(2026, 11, 2)),
    PayoutFacts("HHB-0000000052-1", 52, 8, 1, 60_00, ANNA_OWN, date(2026, 11, 9)),
    PayoutFacts("HHB-0000000050-1", 50, 8, 1, 60_00, ANNA_OWN, date(2026, 10, 26), paid=True),
    PayoutFacts("HHB-0000000060-1", 60, None, 2, 250_00, ANNE_OWN, date(2026, 11, 3)),
]


def payout_index() -> AgreementIndex:
    return AgreementIndex(AGREEMENTS, account_owners=OWNERS, payouts=PAYOUTS)


def test_a_payout_without_its_end_to_end_id_is_found_by_account_and_amount_days_later():
    index = payout_index()
    decision = index.decide(tx(-60_00, ANNA_OWN, "Leefgeld", day=date(2026, 11, 4)))
    assert (decision.agreement_id, decision.payout_id) == (8, 51)
    assert "eigen rekening en bedrag" in decision.reason
    # The next one of the same amount is the later payout, never the same one twice.
    again = index.decide(tx(-60_00, ANNA_OWN, "Leefgeld", day=date(2026, 11, 10)))
    assert again.payout_id == 52
    # A third of that amount is not ours: it goes the usual way (not a payout).
    third = index.decide(tx(-60_00, ANNA_OWN, "Leefgeld", day=date(2026, 11, 11)))
    assert third.payout_id is None


def test_a_payout_booked_a_week_late_or_with_another_amount_is_not_taken_for_ours():
    index = payout_index()
    assert index.decide(tx(-60_00, ANNA_OWN, "x", day=date(2026, 11, 20))).payout_id is None
    assert index.decide(tx(-61_00, ANNA_OWN, "x", day=date(2026, 11, 3))).payout_id is None


def test_the_end_to_end_id_wins_over_the_nearest_date():
    index = payout_index()
    decision = index.decide(tx(-60_00, ANNA_OWN, "x", e2e="HHB-0000000052-1",
                               day=date(2026, 11, 3)))
    assert decision.payout_id == 52 and "end-to-end-id HHB-0000000052-1" in decision.reason


def test_a_returned_payment_is_recognised_and_a_one_off_has_no_agreement():
    index = payout_index()
    returned = index.decide(tx(60_00, ANNA_OWN, "Retour", e2e="HHB-0000000050-1",
                               day=date(2026, 10, 30), return_reason="AC04"))
    assert (returned.agreement_id, returned.payout_id) == (8, 50)
    assert "teruggekomen betaling" in returned.reason and "AC04" in returned.reason
    # A credit without a return reason is not a return, however it looks.
    assert index.decide(tx(60_00, ANNA_OWN, "x", day=date(2026, 11, 2))).payout_id is None
    one_off = index.decide(tx(-250_00, ANNE_OWN, "Voorschot", day=date(2026, 11, 3)))
    assert (one_off.agreement_id, one_off.participant_id, one_off.payout_id) == (None, 2, 60)
