"""Every word of the paper overview, per language: Dutch, English, Arabic, Turkish, Polish,
Tigrinya and Ukrainian.

Plain language at B1 level: short sentences, "u", concrete dates and amounts; the saldo first,
then what to do when it is negative and whom to call, in every language the same structure. A
new language is one more ``Texts`` instance in ``LANGUAGES``; nothing else in the code holds
letter text. Pure: no Session, no Qt.

Numbers, amounts and dates are written the way the bank and the municipality write them, in
every language: € 1.234,56 and +457,34 (exact integer arithmetic, no locale), and a date as
31-10-2026. Only Dutch writes the month of a date as a word (31 oktober 2026, as the Dutch
letters always did); the other languages write the day as digits, so that it reads the same as
on the bank's papers. Month and weekday names (the table's column heads, "your overview of
October 2026") are words in the letter's language (babel's CLDR names, the standalone form:
Polish "październik", not the genitive "października"). The digits are always 0-9, also in
Arabic.

Right-to-left languages (Arabic) are filled by the letter with each value (amount, date, name,
phone number) in a Unicode isolate, so that "€ -326,28" or "030 286 0000" keeps its own order
inside a right-to-left sentence; see ``app.reports.letter``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date

from babel.dates import format_date

from app.reports.overview_table import BALANCE, SALDO_BEGIN, SALDO_END

RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})


@functools.lru_cache(maxsize=4096)
def _date_word(pattern: str, locale: str, day: date) -> str:
    """babel per call is slow for 10,000 letters; the same few dates recur."""
    return format_date(day, pattern, locale=locale)


@dataclass(frozen=True)
class Texts:
    code: str  # the language of the PDF (its /Lang), e.g. nl-NL
    locale: str  # babel locale for the names of months and weekdays
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

    @property
    def language(self) -> str:
        """The two-letter language: 'nl', 'ar' …"""
        return self.code.split("-")[0].lower()

    @property
    def rtl(self) -> bool:
        """Written right to left (Arabic): the letter is right-aligned, the table mirrored."""
        return self.language in RTL_LANGUAGES

    @property
    def written_dates(self) -> bool:
        """Dutch writes the month of a date as a word (31 oktober 2026); the others 31-10-2026."""
        return self.language == "nl"

    def day(self, day: date) -> str:
        if self.written_dates:
            return _date_word("d MMMM y", self.locale, day)
        return f"{day:%d-%m-%Y}"

    def weekday(self, day: date) -> str:
        if self.written_dates:
            return _date_word("EEEE d MMMM y", self.locale, day)
        return f"{_date_word('EEEE', self.locale, day)} {day:%d-%m-%Y}"

    def short_day(self, day: date) -> str:
        if self.written_dates:
            return _date_word("d MMM", self.locale, day)
        return f"{day:%d-%m}"

    def month(self, day: date) -> str:
        """The month and its year: 'oktober 2026', 'أكتوبر 2026' (Western digits)."""
        return f"{self.month_name(day)} {day.year}"

    def month_name(self, day: date) -> str:
        return _date_word("LLLL", self.locale, day.replace(day=1))

    def money(self, cents: int) -> str:
        """€ 1.234,56 and € -326,28 in every language, with a no-break space after the € (a
        line never breaks there); the same as babel writes it for nl_NL."""
        whole, rest = divmod(abs(cents), 100)
        return f"€\xa0{'-' if cents < 0 else ''}{whole:,}".replace(",", ".") + f",{rest:02d}"

    def amount(self, cents: int) -> str:
        """A table amount: signed, no currency sign (+457,34, -1.171,00)."""
        whole, rest = divmod(abs(cents), 100)
        return f"{'-' if cents < 0 else '+'}{whole:,}".replace(",", ".") + f",{rest:02d}"

    def capital(self, text: str) -> str:
        """The text with a capital first letter (Turkish: i → İ); scripts without capitals
        (Arabic, Ethiopic) as they are."""
        if self.language in ("tr", "az") and text[:1] == "i":
            return "İ" + text[1:]
        return text[:1].upper() + text[1:]

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
        "Uw saldo is lager dan nul. Wij betaalden meer voor u dan er binnenkwam. Dat "
        "betaalden wij uit uw buffer van {buffer}. Heeft u vragen? Bel {who} op {phone}."
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
    locale="en_GB",
    title="Your overview for {month}",
    saldo_line="Your balance on {day}: {amount}",
    below_zero=(
        "Your balance is below zero. We paid more for you than came in. We paid this from "
        "your buffer of {buffer}. Do you have questions? Call {who} on {phone}."
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

# Arabic: Modern Standard Arabic in short sentences, no vowel marks but the usual tanween;
# "الموظف المسؤول عن ملفك" (the employee in charge of your file) for the contact person, and
# sentences that do not depend on the contact person's gender. Digits are 0-9 (the amounts
# are the bank's), the month names those of most Arab countries (يناير … ديسمبر).
ARABIC = Texts(
    code="ar",
    locale="ar",
    title="كشف حسابك لشهر {month}",
    saldo_line="رصيدك في {day}: {amount}",
    below_zero=(
        "رصيدك أقل من صفر: دفعنا عنك أكثر مما وصل، واستخدمنا لذلك رصيدك الاحتياطي "
        "(وهو {buffer}). إذا كانت لديك أسئلة، تواصل مع {who} على الرقم {phone}."
    ),
    beyond_buffer="العجز في رصيدك أكبر من رصيدك الاحتياطي. سنتصل بك.",
    greeting="مرحباً {name}،",
    intro=("هذا كشف حسابك لشهر {month}. فيه ترى المال الذي وصل، والمال الذي دفعناه "
           "عنك."),
    heading_table="آخر ثلاثة أشهر",
    table_note="المبالغ باليورو. علامة + تعني أن المال وصل. علامة - تعني أننا دفعناه.",
    footer={SALDO_BEGIN: "الرصيد في بداية الشهر", BALANCE: "الفرق في الشهر",
            SALDO_END: "الرصيد في نهاية الشهر"},
    heading_list="ماذا وصل وماذا دفعنا في {month}؟",
    list_empty="في هذا الشهر لم يصل أي مال، ولم ندفع شيئاً.",
    allowance_paid="في شهر {month} حصلت على مصروف معيشة مجموعه {amount}.",
    heading_next="ماذا سيحدث بعد ذلك؟",
    next_allowance="يوم {day} تحصل على مصروف معيشة قدره {amount}.",
    no_allowance_known="الموظف المسؤول عن ملفك سيخبرك متى تحصل على مصروف المعيشة مرة أخرى.",
    withheld=("في شهر {month} احتفظنا بمبلغ {amount} من مصروف معيشتك. بهذا المبلغ تعيد "
              "الرصيد الاحتياطي."),
    instalment_running=("ما دام رصيدك أقل من صفر، نحتفظ بمبلغ {amount} من كل دفعة من "
                        "مصروف معيشتك. هكذا يرجع رصيدك فوق الصفر."),
    settlement_title="الحساب الختامي في {day}",
    settlement_paid=("انتهت مشاركتك في {day}. بقي لك {amount}. سنحول هذا المال إلى "
                     "حسابك البنكي الخاص."),
    settlement_zero=("انتهت مشاركتك في {day}. رصيدك صفر: لن تحصل على شيء، ولا يجب "
                     "عليك أن تدفع شيئاً."),
    settlement_owed="انتهت مشاركتك في {day}. يجب عليك أن ترجع {amount} إلى البلدية.",
    settlement_instalment="تدفع {amount} كل شهر. أول دفعة في {day}.",
    notices={
        "betaling ontbreekt": "لم يصلنا المال من {organisation} حتى الآن. سنبحث في الأمر من أجلك.",
        "afwijkend bedrag": "دفع {organisation} مبلغاً غير المبلغ المتفق عليه. سنبحث عن السبب.",
        "dubbele betaling": "دفع {organisation} مرتين. سنبحث في الأمر من أجلك.",
        "voortgangsgesprek": "نريد أن نتحدث معك قريباً عن أحوالك. سنتصل بك لتحديد موعد.",
    },
    somebody="جهة دافعة",
    heading_contact="هل لديك أسئلة؟",
    contact="الموظف المسؤول عن ملفك: {name}. يمكنك الاتصال على الرقم {phone}.",
    contact_without_name="اتصل بنا على الرقم {phone}.",
    municipality_word="البلدية",
    closing="مع أطيب التحيات،",
    page="صفحة {page} من {pages}",
    reference_date="التاريخ",
    reference_number="رقم الملف",
    reference_contact="المسؤول عن ملفك",
    continued="كشف حسابك لشهر {month} (تابع)",
    category_names={
        "salaris": "راتب", "uitkering": "إعانة", "bijstand": "مساعدة اجتماعية",
        "zorgtoeslag": "بدل التأمين الصحي", "huurtoeslag": "بدل الإيجار",
        "kindgebonden budget": "ميزانية الأطفال", "kinderbijslag": "إعانة الأطفال",
        "huur": "إيجار", "energie": "الكهرباء والغاز", "water": "الماء",
        "zorgverzekering": "التأمين الصحي", "inboedelverzekering": "تأمين أثاث البيت",
        "aansprakelijkheidsverzekering": "تأمين المسؤولية", "telefoon": "الهاتف",
        "internet": "الإنترنت", "televisie": "التلفزيون",
        "Wmo eigen bijdrage": "مساهمة Wmo", "leefgeld": "مصروف المعيشة",
        "overige vaste last": "تكاليف ثابتة أخرى", "bankkosten": "رسوم البنك",
        "onbekend": "غير معروف",
    },
)

# Turkish: "siz" and "Sayın"; no suffix is ever attached to a placeholder (a value is followed
# by a word such as "tarihinde", "ayında", "numarasından", "ile", "tarafından").
TURKISH = Texts(
    code="tr-TR",
    locale="tr",
    title="{month} ayı hesap özetiniz",
    saldo_line="{day} tarihindeki bakiyeniz: {amount}",
    below_zero=(
        "Bakiyeniz sıfırın altında: sizin için gelen paradan daha fazlasını ödedik ve bunun "
        "için yedek paranızı kullandık (yedek paranız {buffer}). Sorularınız varsa {who} ile "
        "görüşün: {phone}."
    ),
    beyond_buffer="Eksiğiniz yedek paranızdan daha büyük. Sizinle iletişime geçeceğiz.",
    greeting="Sayın {name},",
    intro=("Bu, {month} ayı hesap özetinizdir. Burada gelen parayı ve sizin için ne "
           "ödediğimizi görürsünüz."),
    heading_table="Son üç ay",
    table_note="Tutarlar euro olarak. + işareti: para geldi. - işareti: parayı biz ödedik.",
    footer={SALDO_BEGIN: "Ay başındaki bakiye", BALANCE: "Ay içindeki değişim",
            SALDO_END: "Ay sonundaki bakiye"},
    heading_list="{month} ayında ne geldi, ne ödendi?",
    list_empty="Bu ay hiç para gelmedi ve hiçbir şey ödenmedi.",
    allowance_paid="{month} ayında toplam {amount} geçim parası aldınız.",
    heading_next="Bundan sonra ne olacak?",
    next_allowance="{day} tarihinde {amount} geçim parası alacaksınız.",
    no_allowance_known=("Bir sonraki geçim paranızı ne zaman alacağınızı irtibat kişiniz "
                        "size söyleyecek."),
    withheld=("{month} ayında geçim paranızdan {amount} kestik. Bununla yedek parayı geri "
              "ödüyorsunuz."),
    instalment_running=("Bakiyeniz sıfırın altında olduğu sürece her geçim parası "
                        "ödemesinden {amount} keseriz. Böylece bakiyeniz yeniden sıfırın "
                        "üstüne çıkar."),
    settlement_title="{day} tarihli kapanış hesabı",
    settlement_paid=("Katılımınız {day} tarihinde sona erdi. Geriye {amount} kaldı. Bu "
                     "parayı kendi banka hesabınıza göndereceğiz."),
    settlement_zero=("Katılımınız {day} tarihinde sona erdi. Bakiyeniz sıfır: size geri "
                     "para ödenmeyecek ve sizin de bir şey ödemeniz gerekmiyor."),
    settlement_owed=("Katılımınız {day} tarihinde sona erdi. Belediyeye {amount} geri "
                     "ödemeniz gerekiyor."),
    settlement_instalment="Her ay {amount} ödersiniz. İlk ödeme {day} tarihinde.",
    notices={
        "betaling ontbreekt": ("{organisation} tarafından ödenmesi gereken para henüz "
                               "gelmedi. Bunu sizin için araştırıyoruz."),
        "afwijkend bedrag": ("{organisation} anlaşılandan farklı bir tutar ödedi. Bunun "
                             "nedenini araştırıyoruz."),
        "dubbele betaling": "{organisation} iki kez ödedi. Bunu sizin için araştırıyoruz.",
        "voortgangsgesprek": ("Yakında sizinle işlerin nasıl gittiğini konuşmak istiyoruz. "
                              "Randevu için sizi arayacağız."),
    },
    somebody="ödeme yapan bir kurum",
    heading_contact="Sorularınız mı var?",
    contact="İrtibat kişiniz: {name}. Telefon numarası: {phone}.",
    contact_without_name="Bizi arayın: {phone}.",
    municipality_word="belediye",
    closing="Saygılarımızla,",
    page="sayfa {page} / {pages}",
    reference_date="Tarih",
    reference_number="Dosya numarası",
    reference_contact="İrtibat kişisi",
    continued="{month} ayı hesap özetiniz (devamı)",
    category_names={
        "salaris": "maaş", "uitkering": "ödenek", "bijstand": "sosyal yardım",
        "zorgtoeslag": "sağlık sigortası yardımı", "huurtoeslag": "kira yardımı",
        "kindgebonden budget": "çocuk bütçesi", "kinderbijslag": "çocuk parası",
        "huur": "kira", "energie": "enerji", "water": "su",
        "zorgverzekering": "sağlık sigortası", "inboedelverzekering": "ev eşyası sigortası",
        "aansprakelijkheidsverzekering": "sorumluluk sigortası", "telefoon": "telefon",
        "internet": "internet", "televisie": "televizyon",
        "Wmo eigen bijdrage": "Wmo katkı payı", "leefgeld": "geçim parası",
        "overige vaste last": "diğer sabit gider", "bankkosten": "banka masrafları",
        "onbekend": "bilinmiyor",
    },
)

# Polish: the polite plural "Państwo" (no guessing Pan or Pani), and no placeholder in a
# place where Polish would inflect it: "za październik" (accusative = nominative for every
# month), a colon before a date or a name.
POLISH = Texts(
    code="pl-PL",
    locale="pl",
    title="Zestawienie za {month}",
    saldo_line="Saldo na dzień {day}: {amount}",
    below_zero=(
        "Saldo jest poniżej zera: zapłaciliśmy za Państwa więcej, niż wpłynęło, i "
        "wykorzystaliśmy na to Państwa rezerwę (rezerwa wynosi {buffer}). W razie pytań "
        "prosimy dzwonić: {who}, tel. {phone}."
    ),
    beyond_buffer="Brakuje więcej, niż wynosi Państwa rezerwa. Skontaktujemy się z Państwem.",
    greeting="Dzień dobry, {name},",
    intro=("Oto Państwa zestawienie za {month}. Widać w nim, co wpłynęło i co za Państwa "
           "zapłaciliśmy."),
    heading_table="Ostatnie trzy miesiące",
    table_note=("Kwoty w euro. Znak + oznacza, że pieniądze wpłynęły. Znak - oznacza, że my "
                "je zapłaciliśmy."),
    footer={SALDO_BEGIN: "Saldo na początku miesiąca", BALANCE: "Zmiana w miesiącu",
            SALDO_END: "Saldo na koniec miesiąca"},
    heading_list="Co wpłynęło i co zapłaciliśmy za {month}?",
    list_empty="W tym miesiącu nic nie wpłynęło i nic nie zapłaciliśmy.",
    allowance_paid="Za {month} otrzymali Państwo łącznie {amount} pieniędzy na życie.",
    heading_next="Co dalej?",
    next_allowance="Następna wypłata pieniędzy na życie: {day}, kwota {amount}.",
    no_allowance_known=("Osoba kontaktowa powie Państwu, kiedy otrzymają Państwo kolejne "
                        "pieniądze na życie."),
    withheld=("Za {month} zatrzymaliśmy {amount} z Państwa pieniędzy na życie. W ten sposób "
              "spłacają Państwo rezerwę."),
    instalment_running=("Dopóki saldo jest poniżej zera, z każdej wypłaty pieniędzy na życie "
                        "zatrzymujemy {amount}. Dzięki temu saldo znów będzie powyżej zera."),
    settlement_title="Rozliczenie końcowe na dzień {day}",
    settlement_paid=("Państwa udział zakończył się dnia {day}. Zostało {amount}. Przelejemy "
                     "te pieniądze na Państwa własne konto."),
    settlement_zero=("Państwa udział zakończył się dnia {day}. Saldo wynosi zero: nic nie "
                     "dostaną Państwo z powrotem i nic nie muszą Państwo płacić."),
    settlement_owed=("Państwa udział zakończył się dnia {day}. Muszą Państwo jeszcze zwrócić "
                     "gminie {amount}."),
    settlement_instalment="Płacą Państwo {amount} miesięcznie. Pierwsza płatność: {day}.",
    notices={
        "betaling ontbreekt": ("Płatnik: {organisation}. Nie otrzymaliśmy jeszcze tych "
                               "pieniędzy. Sprawdzamy to dla Państwa."),
        "afwijkend bedrag": ("Płatnik: {organisation}. Zapłacił inną kwotę niż uzgodniona. "
                             "Sprawdzamy, dlaczego."),
        "dubbele betaling": ("Płatnik: {organisation}. Zapłacił dwa razy. Sprawdzamy to dla "
                             "Państwa."),
        "voortgangsgesprek": ("Chcemy wkrótce porozmawiać z Państwem o tym, jak Państwu "
                              "idzie. Zadzwonimy, aby umówić spotkanie."),
    },
    somebody="nieznany",
    heading_contact="Mają Państwo pytania?",
    contact="Państwa osoba kontaktowa: {name}. Można dzwonić pod numer {phone}.",
    contact_without_name="Prosimy dzwonić pod numer {phone}.",
    municipality_word="gmina",
    closing="Z poważaniem",
    page="strona {page} z {pages}",
    reference_date="Data",
    reference_number="Numer sprawy",
    reference_contact="Osoba kontaktowa",
    continued="Zestawienie za {month} (ciąg dalszy)",
    category_names={
        "salaris": "wynagrodzenie", "uitkering": "zasiłek", "bijstand": "pomoc socjalna",
        "zorgtoeslag": "dodatek do ubezpieczenia zdrowotnego",
        "huurtoeslag": "dodatek mieszkaniowy", "kindgebonden budget": "budżet na dzieci",
        "kinderbijslag": "zasiłek na dzieci", "huur": "czynsz", "energie": "energia",
        "water": "woda", "zorgverzekering": "ubezpieczenie zdrowotne",
        "inboedelverzekering": "ubezpieczenie mienia domowego",
        "aansprakelijkheidsverzekering": "ubezpieczenie OC", "telefoon": "telefon",
        "internet": "internet", "televisie": "telewizja",
        "Wmo eigen bijdrage": "wkład własny Wmo", "leefgeld": "pieniądze na życie",
        "overige vaste last": "inny stały koszt", "bankkosten": "opłaty bankowe",
        "onbekend": "nieznane",
    },
)

# Tigrinya (Eritrea): the polite plural (ንስኹም: -ኩም, -ኹም), Ethiopic full stop ። and comma ፣,
# the Gregorian month names of CLDR (ጥቅምቲ = October). Amounts and dates in digits 0-9.
TIGRINYA = Texts(
    code="ti-ER",
    locale="ti_ER",
    title="ናይ {month} ጸብጻብ ሒሳብኩም",
    saldo_line="ሒሳብኩም ኣብ {day}: {amount}",
    below_zero=(
        "ሒሳብኩም ትሕቲ ዜሮ እዩ: ካብቲ ዝኣተወ ገንዘብ ንላዕሊ ኣብ ክንዳኹም ከፊልና፣ ነዚ ድማ "
        "ተጠባባቒ ገንዘብኩም ተጠቒምና (ተጠባባቒ ገንዘብኩም {buffer} እዩ)። ሕቶ እንተሃልዩኩም፣ "
        "ናብ {who} ደውሉ: {phone}።"
    ),
    beyond_buffer="እቲ ዝጎደለ ገንዘብ ካብ ተጠባባቒ ገንዘብኩም ይበዝሕ። ክንረኽበኩም ኢና።",
    greeting="ሰላም {name}፣",
    intro=("እዚ ናይ {month} ጸብጻብ ሒሳብኩም እዩ። ኣብዚ ዝኣተወ ገንዘብን ኣብ ክንዳኹም "
           "ዝኸፈልናዮን ትርእዩ።"),
    heading_table="ዝሓለፉ ሰለስተ ኣዋርሕ",
    table_note="ገንዘብ ብዩሮ። + ማለት ገንዘብ ኣትዩ። - ማለት ንሕና ከፊልናዮ።",
    footer={SALDO_BEGIN: "ሒሳብ ኣብ መጀመርታ ወርሒ", BALANCE: "ለውጢ ኣብ ውሽጢ ወርሒ",
            SALDO_END: "ሒሳብ ኣብ መወዳእታ ወርሒ"},
    heading_list="ኣብ {month} እንታይ ኣትዩ፣ እንታይከ ተኸፊሉ?",
    list_empty="ኣብዚ ወርሒ ዝኣተወ ገንዘብ የለን፣ ዝተኸፍለ እውን የለን።",
    allowance_paid="ኣብ {month} ብድምር {amount} ገንዘብ መነባብሮ ተቐቢልኩም።",
    heading_next="ደሓር እንታይ ክኸውን እዩ?",
    next_allowance="ኣብ {day}፣ {amount} ገንዘብ መነባብሮ ክትቕበሉ ኢኹም።",
    no_allowance_known="መዓስ ገንዘብ መነባብሮ ከም እትቕበሉ ናይ ርክብ ሰብኩም ክነግረኩም እዩ።",
    withheld=("ኣብ {month} ካብ ገንዘብ መነባብሮኹም {amount} ሒዝና። በዚ ነቲ ተጠባባቒ ገንዘብ "
              "ትመልስዎ ኣለኹም።"),
    instalment_running=("ሒሳብኩም ትሕቲ ዜሮ ክሳዕ ዘሎ፣ ካብ ነፍሲ ወከፍ ክፍሊት ገንዘብ መነባብሮ "
                        "{amount} ንሕዝ። ከምዚ ጌርና ሒሳብኩም ከም ብሓድሽ ልዕሊ ዜሮ ይኸውን።"),
    settlement_title="ናይ መወዳእታ ሒሳብ ኣብ {day}",
    settlement_paid=("ተሳትፎኹም ኣብ {day} ተወዲኡ። {amount} ተሪፉ ኣሎ። ነዚ ገንዘብ ናብ ናይ "
                     "ባዕልኹም ሒሳብ ባንኪ ክንሰዶ ኢና።"),
    settlement_zero=("ተሳትፎኹም ኣብ {day} ተወዲኡ። ሒሳብኩም ዜሮ እዩ: ዝምለሰልኩም ገንዘብ የለን፣ "
                     "ክትከፍልዎ ዘለኩም ገንዘብ እውን የለን።"),
    settlement_owed=("ተሳትፎኹም ኣብ {day} ተወዲኡ። ገና {amount} ናብ ምምሕዳር ከተማ ክትመልሱ "
                     "ኣለኩም።"),
    settlement_instalment="ኣብ ወርሒ {amount} ትኸፍሉ። እቲ ቀዳማይ ክፍሊት ኣብ {day} እዩ።",
    notices={
        "betaling ontbreekt": "ካብ {organisation} ገና ገንዘብ ኣይበጽሓናን። ነዚ ንምርምሮ ኣለና።",
        "afwijkend bedrag": ("{organisation} ካብቲ ዝተሰማማዕናሉ ዝተፈልየ መጠን ከፊሉ። "
                             "ምኽንያቱ ንምርምር ኣለና።"),
        "dubbele betaling": "{organisation} ክልተ ግዜ ከፊሉ። ነዚ ንምርምሮ ኣለና።",
        "voortgangsgesprek": ("ብዛዕባ ከመይ ከም ዘለኹም ቀልጢፍና ምሳኹም ክንዛረብ ንደሊ። ቆጸራ "
                              "ንምሓዝ ክንድውለልኩም ኢና።"),
    },
    somebody="ሓደ ከፋሊ",
    heading_contact="ሕቶ ኣለኩም ዶ?",
    contact="ናይ ርክብ ሰብኩም: {name}። ናብ {phone} ክትድውሉ ትኽእሉ ኢኹም።",
    contact_without_name="ናብ {phone} ደውሉልና።",
    municipality_word="ምምሕዳር ከተማ",
    closing="ምስ ሰላምታ፣",
    page="ገጽ {page} ካብ {pages}",
    reference_date="ዕለት",
    reference_number="ቁጽሪ ፋይል",
    reference_contact="ናይ ርክብ ሰብ",
    continued="ናይ {month} ጸብጻብ ሒሳብኩም (ቀጻሊ)",
    category_names={
        "salaris": "ደሞዝ", "uitkering": "ሓገዝ ገንዘብ", "bijstand": "ማሕበራዊ ሓገዝ",
        "zorgtoeslag": "ሓገዝ ኢንሹራንስ ጥዕና", "huurtoeslag": "ሓገዝ ክራይ ገዛ",
        "kindgebonden budget": "በጀት ቆልዑ", "kinderbijslag": "ሓገዝ ቆልዑ",
        "huur": "ክራይ ገዛ", "energie": "ኤለክትሪክን ጋዝን", "water": "ማይ",
        "zorgverzekering": "ኢንሹራንስ ጥዕና", "inboedelverzekering": "ኢንሹራንስ ንብረት ገዛ",
        "aansprakelijkheidsverzekering": "ኢንሹራንስ ሓላፍነት", "telefoon": "ተሌፎን",
        "internet": "ኢንተርነት", "televisie": "ተለቪዥን",
        "Wmo eigen bijdrage": "ናይ Wmo ክፍሊት", "leefgeld": "ገንዘብ መነባብሮ",
        "overige vaste last": "ካልእ ቀዋሚ ወጻኢ", "bankkosten": "ክፍሊት ባንኪ",
        "onbekend": "ዘይፍለጥ",
    },
)

# Ukrainian: the polite "Ви" with a capital in a letter; a colon before a date or a name where
# Ukrainian would inflect it; "за жовтень" (accusative = nominative for every month).
UKRAINIAN = Texts(
    code="uk-UA",
    locale="uk",
    title="Ваша виписка за {month}",
    saldo_line="Ваш баланс на {day}: {amount}",
    below_zero=(
        "Ваш баланс нижчий за нуль: ми заплатили за Вас більше, ніж надійшло, і використали "
        "для цього Ваш резерв (він становить {buffer}). Якщо у Вас є запитання, "
        "телефонуйте: {who}, {phone}."
    ),
    beyond_buffer="Ваш борг більший за Ваш резерв. Ми зв’яжемося з Вами.",
    greeting="Добрий день, {name}!",
    intro=("Це Ваша виписка за {month}. У ній видно, які гроші надійшли і що ми за Вас "
           "заплатили."),
    heading_table="Останні три місяці",
    table_note=("Суми в євро. Знак + означає, що гроші надійшли. Знак - означає, що ми їх "
                "заплатили."),
    footer={SALDO_BEGIN: "Баланс на початок місяця", BALANCE: "Зміна за місяць",
            SALDO_END: "Баланс на кінець місяця"},
    heading_list="Що надійшло і що ми сплатили за {month}?",
    list_empty="Цього місяця нічого не надійшло і ми нічого не сплатили.",
    allowance_paid="За {month} Ви отримали загалом {amount} грошей на життя.",
    heading_next="Що буде далі?",
    next_allowance="Наступна виплата грошей на життя: {day}, сума {amount}.",
    no_allowance_known="Ваша контактна особа скаже Вам, коли Ви знову отримаєте гроші на життя.",
    withheld=("За {month} ми утримали {amount} з Ваших грошей на життя. Так Ви повертаєте "
              "резерв."),
    instalment_running=("Поки Ваш баланс нижчий за нуль, ми утримуємо {amount} з кожної "
                        "виплати грошей на життя. Так Ваш баланс знову стане вищим за нуль."),
    settlement_title="Остаточний розрахунок на {day}",
    settlement_paid=("Ваша участь завершилася {day}. Залишилося {amount}. Ми перекажемо ці "
                     "гроші на Ваш власний рахунок."),
    settlement_zero=("Ваша участь завершилася {day}. Ваш баланс дорівнює нулю: Ви нічого не "
                     "отримаєте назад і нічого не мусите платити."),
    settlement_owed=("Ваша участь завершилася {day}. Ви ще маєте повернути муніципалітету "
                     "{amount}."),
    settlement_instalment="Ви платите {amount} щомісяця. Перший платіж: {day}.",
    notices={
        "betaling ontbreekt": ("Платник: {organisation}. Ми ще не отримали ці гроші. Ми "
                               "з’ясовуємо це для Вас."),
        "afwijkend bedrag": ("Платник: {organisation}. Сума інша, ніж домовлено. Ми "
                             "з’ясовуємо причину."),
        "dubbele betaling": ("Платник: {organisation}. Гроші надійшли двічі. Ми з’ясовуємо "
                             "це для Вас."),
        "voortgangsgesprek": ("Ми хочемо незабаром поговорити з Вами про те, як у Вас справи. "
                              "Ми зателефонуємо Вам, щоб домовитися про зустріч."),
    },
    somebody="невідомий",
    heading_contact="Маєте запитання?",
    contact="Ваша контактна особа: {name}. Телефон: {phone}.",
    contact_without_name="Телефонуйте нам: {phone}.",
    municipality_word="муніципалітет",
    closing="З повагою,",
    page="сторінка {page} з {pages}",
    reference_date="Дата",
    reference_number="Номер справи",
    reference_contact="Контактна особа",
    continued="Ваша виписка за {month} (продовження)",
    category_names={
        "salaris": "зарплата", "uitkering": "допомога", "bijstand": "соціальна допомога",
        "zorgtoeslag": "доплата на медичне страхування", "huurtoeslag": "доплата на оренду",
        "kindgebonden budget": "бюджет на дітей", "kinderbijslag": "допомога на дітей",
        "huur": "оренда житла", "energie": "енергія", "water": "вода",
        "zorgverzekering": "медичне страхування", "inboedelverzekering": "страхування майна",
        "aansprakelijkheidsverzekering": "страхування відповідальності",
        "telefoon": "телефон", "internet": "інтернет", "televisie": "телебачення",
        "Wmo eigen bijdrage": "внесок Wmo", "leefgeld": "гроші на життя",
        "overige vaste last": "інші постійні витрати", "bankkosten": "банківські витрати",
        "onbekend": "невідомо",
    },
)

LANGUAGES: dict[str, Texts] = {"nl": DUTCH, "en": ENGLISH, "ar": ARABIC, "tr": TURKISH,
                               "pl": POLISH, "ti": TIGRINYA, "uk": UKRAINIAN}
# Dutch names of the languages, as the screens and the print run's cover sheet show them (a
# language not named here shows its code).
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "Engels", "ar": "Arabisch", "tr": "Turks",
                  "pl": "Pools", "ti": "Tigrinya", "uk": "Oekraïens"}

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

# The cover sheet of a print run is for the mail room: Dutch only, counts only (no names, no
# addresses, no dossier numbers).
COVER_NOTE = "Voorblad voor de postkamer \u2014 niet versturen"
COVER_TITLE = "Papieren overzichten {month}"
COVER_MADE = "Gemaakt op"
COVER_BY = "Gemaakt door"
COVER_LETTERS = "Aantal brieven"
COVER_ORDER = "Volgorde"
COVER_BY_POSTCODE = "op postcode, dan huisnummer"
COVER_BY_NUMBER = "op dossiernummer"
COVER_SKIPPED = "Overgeslagen (adres onvolledig)"
COVER_LANGUAGES = "Brieven per taal"
COVER_SHEETS = ("Elke brief begint op een nieuw vel. Dit voorblad is geen brief: het hoort "
                "niet in een envelop.")
COVER_BLANK_BACK = "De achterkant van dit voorblad is leeg."


def texts_for(language: str | None) -> Texts:
    """The texts of a participant's language; Dutch when it has none (yet)."""
    return LANGUAGES.get((language or "nl").lower()[:2], DUTCH)
