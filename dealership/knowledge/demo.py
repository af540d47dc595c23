"""Demo help articles: the questions a dealership's visitors ask most, in English, some in
German. Idempotent: an article that exists (by language and slug) is left as a manager left it."""

from .models import Article
from .services import article_save

C = Article.Category

# (slug, category, audience, title, body)
ENGLISH = [
    (
        "how-does-car-financing-work",
        C.FINANCING,
        "public",
        "How does car financing work?",
        """You pay a **down payment** (it can be zero) and spread the rest of the price over
monthly instalments, usually for 12 to 84 months. The annual percentage rate (APR) shown on
every car page includes all costs of the loan.

- Use the payment calculator on any car's page to compare terms and down payments.
- Apply online from your order page; a decision usually comes within one working day.
- You can repay early at any time; the lender may charge a small early-repayment fee, capped
  by law.

Financing is provided by our partner banks and subject to a credit check.""",
    ),
    (
        "what-do-i-need-for-a-finance-application",
        C.FINANCING,
        "public",
        "What do I need for a finance application?",
        """Please have these ready:

1. A valid ID card or passport.
2. Your last two or three payslips (self-employed: your latest tax assessment).
3. Your bank details (IBAN) for the monthly direct debit.

Your application data is encrypted and used only for the credit check.""",
    ),
    (
        "leasing-or-financing",
        C.FINANCING,
        "public",
        "Should I lease or finance?",
        """With **financing** the car is yours once the last instalment is paid. With
**leasing** you pay for the use of the car over an agreed term and mileage, then hand it back.

Leasing suits drivers who want a new car every few years and a predictable monthly cost;
financing suits those who keep their cars longer or drive a lot. Our sales team is happy to
compare both for your car.""",
    ),
    (
        "how-is-my-trade-in-valued",
        C.TRADE_IN,
        "public",
        "How is my trade-in valued?",
        """We value your current car on its age, mileage, condition, service history and
today's market prices. Bring the car, both keys and the service book to any of our locations
for a free valuation; it takes about 30 minutes and the offer is valid for 14 days.

The trade-in value is deducted from the price of your new car.""",
    ),
    (
        "trade-in-with-outstanding-finance",
        C.TRADE_IN,
        "public",
        "Can I trade in a car that is not paid off yet?",
        """Yes. We ask your bank for the settlement amount, pay off the remaining loan and
deduct it from your trade-in value. If the loan is larger than the car's value, the
difference can be added to your new car's financing.""",
    ),
    (
        "delivery-times-and-handover",
        C.DELIVERY,
        "public",
        "When will my car be delivered?",
        """A car in stock is usually ready for handover within **5 to 10 working days** after
your order is confirmed: we register it, service it and prepare it for you. Factory-ordered
cars take longer; your order page shows the expected date.

At the handover a consultant explains the car and its features. Please bring your ID and,
if you have one, proof of insurance (the electronic insurance confirmation).""",
    ),
    (
        "home-delivery",
        C.DELIVERY,
        "public",
        "Can you deliver the car to my home?",
        """Yes, within 150 km of one of our locations we deliver to your door for a flat fee.
Choose home delivery on your order page and pick a date; the driver brings the documents and
explains the car.""",
    ),
    (
        "what-does-the-warranty-cover",
        C.WARRANTY,
        "public",
        "What does the warranty cover?",
        """Every used car comes with a **12-month warranty** covering the engine, gearbox,
electrics and other major components. New cars keep the manufacturer's warranty, usually two
to seven years depending on the brand.

Wear parts (brakes, tyres, wiper blades) and damage from accidents or missing services are not
covered. You can extend the warranty by up to 36 months when you buy.""",
    ),
    (
        "making-a-warranty-claim",
        C.WARRANTY,
        "public",
        "How do I make a warranty claim?",
        """Call or write to the service team of the location where you bought the car, or
book a service appointment online and describe the fault. Please do not have the car repaired
elsewhere first: we arrange the repair at our workshop or a partner workshop near you.""",
    ),
    (
        "booking-a-test-drive",
        C.TEST_DRIVES,
        "public",
        "How do I book a test drive?",
        """Open the car's page and choose **Book a test drive**, then pick a free time. You
receive a confirmation by email with a link to reschedule or cancel.

Please bring your driving licence. A test drive lasts about 30 minutes and is free of charge.""",
    ),
    (
        "service-intervals",
        C.SERVICE,
        "public",
        "How often does my car need a service?",
        """Most cars need a service **every 12 months or 15,000 to 30,000 km**, whichever comes
first; the exact interval is in your service book or shown on the dashboard. Regular services
keep your warranty valid and your car safe.

We remind you by email before a service is due. You can book online at any time.""",
    ),
    (
        "booking-a-service-appointment",
        C.SERVICE,
        "public",
        "How do I book a service appointment?",
        """Book online on our service page or call your location's service team. Tell us your
registration number and what you would like done; we confirm the time and give you an
estimate. A courtesy car is available on request.""",
    ),
    (
        "cancelling-an-order",
        C.ORDERS,
        "public",
        "Can I cancel my order?",
        """Until your contract is signed you can cancel your order on your order page at no
cost, and a reservation deposit is refunded in full.

If you bought the car **online or by phone**, you have a 14-day right of withdrawal from the
day you receive the car, without giving a reason. Tell us by email or letter; we collect the car
and refund the price within 14 days.""",
    ),
    (
        "how-we-use-your-data",
        C.DATA_PROTECTION,
        "public",
        "How do you use my personal data?",
        """We use your data only to answer your enquiries, arrange test drives, sell and
service your car, and, if you agreed, to send you offers. We never sell your data.

You can ask for a copy of your data or for its deletion at any time, and withdraw your
marketing consent with the link in any email.""",
    ),
    (
        "deleting-my-data",
        C.DATA_PROTECTION,
        "public",
        "How do I have my data deleted?",
        """Write to any of our locations or reply to one of our emails and ask for deletion.
We confirm within one month. Data we must keep by law (invoices, contracts) is kept for the
legal period and then deleted.""",
    ),
    (
        "staff-handling-a-withdrawal",
        C.ORDERS,
        "staff",
        "Handling a customer's withdrawal (staff)",
        """1. Check that the order was a distance sale (online or by phone) and that the 14 days
   have not passed since delivery.
2. Cancel the order from the order desk with the reason **Withdrawal**.
3. Arrange collection and ask the workshop to inspect the car.
4. The refund goes out within 14 days of the withdrawal notice; a deduction for damage needs a
   manager's approval.""",
    ),
]

GERMAN = [
    (
        "how-does-car-financing-work",
        C.FINANCING,
        "public",
        "Wie funktioniert die Autofinanzierung?",
        """Sie leisten eine **Anzahlung** (auch null ist möglich) und zahlen den Rest des
Preises in monatlichen Raten, meist über 12 bis 84 Monate. Der effektive Jahreszins auf jeder
Fahrzeugseite enthält alle Kosten des Kredits.

- Mit dem Ratenrechner auf jeder Fahrzeugseite vergleichen Sie Laufzeiten und Anzahlungen.
- Den Finanzierungsantrag stellen Sie online auf Ihrer Bestellseite; die Entscheidung kommt
  meist innerhalb eines Werktags.
- Sie können jederzeit vorzeitig tilgen.

Die Finanzierung erfolgt über unsere Partnerbanken und setzt eine Bonitätsprüfung voraus.""",
    ),
    (
        "how-is-my-trade-in-valued",
        C.TRADE_IN,
        "public",
        "Wie wird mein Gebrauchtwagen bewertet?",
        """Wir bewerten Ihr Fahrzeug nach Alter, Kilometerstand, Zustand, Scheckheft und den
aktuellen Marktpreisen. Bringen Sie das Auto, beide Schlüssel und das Serviceheft zu einem
unserer Standorte: Die Bewertung ist kostenlos, dauert etwa 30 Minuten, und das Angebot gilt
14 Tage.

Der Inzahlungnahmewert wird vom Preis Ihres neuen Autos abgezogen.""",
    ),
    (
        "delivery-times-and-handover",
        C.DELIVERY,
        "public",
        "Wann wird mein Auto ausgeliefert?",
        """Ein Fahrzeug aus dem Bestand ist meist **5 bis 10 Werktage** nach der
Auftragsbestätigung abholbereit: Wir lassen es zu, warten es und bereiten es für Sie vor.

Bei der Übergabe erklärt Ihnen ein Berater das Fahrzeug. Bitte bringen Sie Ihren Ausweis und
die eVB-Nummer Ihrer Versicherung mit.""",
    ),
    (
        "what-does-the-warranty-cover",
        C.WARRANTY,
        "public",
        "Was deckt die Garantie ab?",
        """Jeder Gebrauchtwagen hat **12 Monate Garantie** auf Motor, Getriebe, Elektrik und
weitere wichtige Bauteile. Neuwagen behalten die Herstellergarantie.

Verschleißteile (Bremsen, Reifen, Wischerblätter) und Schäden durch Unfälle oder versäumte
Inspektionen sind nicht abgedeckt. Beim Kauf können Sie die Garantie um bis zu 36 Monate
verlängern.""",
    ),
    (
        "booking-a-test-drive",
        C.TEST_DRIVES,
        "public",
        "Wie buche ich eine Probefahrt?",
        """Öffnen Sie die Seite des Fahrzeugs, wählen Sie **Probefahrt buchen** und einen
freien Termin. Sie erhalten eine Bestätigung per E-Mail mit einem Link zum Verschieben oder
Absagen.

Bitte bringen Sie Ihren Führerschein mit. Eine Probefahrt dauert etwa 30 Minuten und ist
kostenlos.""",
    ),
    (
        "service-intervals",
        C.SERVICE,
        "public",
        "Wie oft muss mein Auto zur Inspektion?",
        """Die meisten Fahrzeuge brauchen **alle 12 Monate oder alle 15.000 bis 30.000 km**
eine Inspektion, je nachdem, was zuerst eintritt. Regelmäßige Inspektionen erhalten Ihre
Garantie und die Sicherheit Ihres Autos.

Wir erinnern Sie rechtzeitig per E-Mail. Termine buchen Sie jederzeit online.""",
    ),
    (
        "cancelling-an-order",
        C.ORDERS,
        "public",
        "Kann ich meine Bestellung stornieren?",
        """Bis zur Unterschrift des Kaufvertrags können Sie Ihre Bestellung auf Ihrer
Bestellseite kostenlos stornieren; eine Reservierungsanzahlung erhalten Sie vollständig zurück.

Haben Sie das Fahrzeug **online oder telefonisch** gekauft, haben Sie ein 14-tägiges
Widerrufsrecht ab Erhalt des Fahrzeugs, ohne Angabe von Gründen.""",
    ),
    (
        "how-we-use-your-data",
        C.DATA_PROTECTION,
        "public",
        "Wie verwenden Sie meine Daten?",
        """Wir verwenden Ihre Daten nur, um Ihre Anfragen zu beantworten, Probefahrten zu
vereinbaren, Ihr Auto zu verkaufen und zu warten und, wenn Sie zugestimmt haben, Ihnen Angebote
zu senden. Wir verkaufen Ihre Daten nie.

Sie können jederzeit Auskunft oder Löschung verlangen und Ihre Werbeeinwilligung über den Link
in jeder E-Mail widerrufen.""",
    ),
]


def seed() -> int:
    """Create the demo articles that do not exist yet; returns how many were created."""
    created = 0
    for language, articles in (("en", ENGLISH), ("de", GERMAN)):
        for slug, category, audience, title, body in articles:
            if Article.objects.filter(language=language, slug=slug).exists():
                continue
            article_save(
                article=Article(
                    language=language,
                    slug=slug,
                    category=category,
                    audience=audience,
                    title=title,
                    body=body,
                    published=True,
                )
            )
            created += 1
    return created
