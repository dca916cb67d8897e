"""The demo company `demo`: a hearing and wellness practice in Berlin.

`demo_seed` is idempotent: it creates what is missing and leaves what exists alone,
so `rendezvous serve --demo` can call it on every start of an empty database and a
developer can run `rendezvous seed_demo` again at any time.

The demo comes with a superuser whose password is published (it is printed, and in
the source): it exists only when asked for, and never with RENDEZVOUS_PRODUCTION set.

The back office's part (its senior and junior users and, for `week=True`, a week of
bookings) is demo.office's.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from rendezvous.availability.models import WorkingHours
from rendezvous.bookings.models import Customer
from rendezvous.catalog.models import Category, ClassSession, Service, ServiceKind
from rendezvous.companies.models import Company, Location, Membership, Resource, Role, StaffMember
from rendezvous.core.rooms import builtin_room_seats
from rendezvous.meetings.models import MeetingAccount
from rendezvous.payments.domain.charges import payment_mark_paid
from rendezvous.payments.domain.passes import (
    PassProductFields,
    pass_product_create,
    pass_purchase,
)
from rendezvous.payments.domain.settings import PaymentSettingsFields, payment_settings_update
from rendezvous.payments.models import Method, PassProduct

from .office import demo_users, demo_week

DEMO_SLUG = "demo"
DEMO_ADMIN_USERNAME = "admin"
DEMO_ADMIN_PASSWORD = "rendezvous-demo"
ZONE = ZoneInfo("Europe/Berlin")
REFUSED_IN_PRODUCTION = (
    "The demo is refused with RENDEZVOUS_PRODUCTION=1: it creates the superuser "
    f"{DEMO_ADMIN_USERNAME} / {DEMO_ADMIN_PASSWORD}, whose password is published."
)


class DemoRefused(Exception):
    """The demo was asked for on a production installation."""


# name, email, weekly hours {weekday: [(from, until)]}
STAFF = [
    ("Anna Schmidt", "anna@demo.example", {d: [(time(9), time(17))] for d in range(5)}),
    (
        "Jonas Weber",
        "jonas@demo.example",
        {d: [(time(8), time(12)), (time(13), time(16))] for d in range(5)},
    ),
    (
        "Mette Jensen",
        "mette@demo.example",
        {
            0: [(time(10), time(18))],
            2: [(time(10), time(18))],
            4: [(time(10), time(18))],
            5: [(time(9), time(13))],
        },
    ),
    ("Ioana Popescu", "ioana@demo.example", {1: [(time(12), time(20))], 3: [(time(12), time(20))]}),
]


# The catalogue's texts in the company's other languages (the base fields are English).
CATEGORY_TEXTS = {
    "Consultations": {
        "da": "Konsultationer",
        "de": "Beratungen",
        "ro": "Consultații",
        "es": "Consultas",
    },
    "Hearing": {"da": "Hørelse", "de": "Hören", "ro": "Auz", "es": "Audición"},
    "Classes": {"da": "Hold", "de": "Kurse", "ro": "Cursuri", "es": "Clases"},
}
SERVICE_TEXTS = {
    "Video consultation": {
        "da": (
            "Videokonsultation",
            "En konsultation på 30 minutter over video, uanset hvor du er.",
        ),
        "de": ("Videoberatung", "Eine 30-minütige Beratung per Video, wo immer Sie gerade sind."),
        "ro": (
            "Consultație video",
            "O consultație de 30 de minute prin video, oriunde v-ați afla.",
        ),
        "es": ("Consulta por vídeo", "Una consulta de 30 minutos por vídeo, esté donde esté."),
    },
    "Consultation": {
        "da": ("Konsultation", "En konsultation på 60 minutter i vores klinik i Berlin Mitte."),
        "de": ("Beratung", "Eine 60-minütige Beratung in unserer Praxis in Berlin-Mitte."),
        "ro": (
            "Consultație",
            "O consultație de 60 de minute la cabinetul nostru din Berlin Mitte.",
        ),
        "es": ("Consulta", "Una consulta de 60 minutos en nuestro centro de Berlin Mitte."),
    },
    "Hearing test": {
        "da": (
            "Høretest",
            "En komplet høretest i vores lydisolerede kabine. "
            "Vi bekræfter din forespørgsel pr. e-mail.",
        ),
        "de": (
            "Hörtest",
            "Ein vollständiger Hörtest in unserer schallgedämmten Kabine. "
            "Wir bestätigen Ihre Anfrage per E-Mail.",
        ),
        "ro": (
            "Test auditiv",
            "Un test auditiv complet în cabina noastră izolată fonic. "
            "Vă confirmăm solicitarea prin e-mail.",
        ),
        "es": (
            "Prueba de audición",
            "Una prueba de audición completa en nuestra cabina insonorizada. "
            "Confirmamos su solicitud por correo electrónico.",
        ),
    },
    "Online yoga": {
        "da": ("Onlineyoga", "En blid yogatime online på en time. Hav en måtte klar."),
        "de": (
            "Online-Yoga",
            "Eine sanfte, einstündige Yogastunde online. Legen Sie eine Matte bereit.",
        ),
        "ro": ("Yoga online", "Un curs blând de yoga online, de o oră. Pregătiți-vă o saltea."),
        "es": (
            "Yoga en línea",
            "Una clase de yoga suave de una hora en línea. Tenga una esterilla a mano.",
        ),
    },
}


def _translate(row: Category | Service, translations: dict) -> None:
    # Demos seeded before the catalogue had translations get them too; texts an
    # operator has since edited stay.
    if not row.translations:
        row.translations = translations
        row.save(update_fields=["translations"])


@transaction.atomic
def demo_seed(*, today: date | None = None, week: bool = False) -> Company:
    """Create the demo company (side effects: rows in every catalogue table, one
    superuser, a senior and a junior user; with `week`: this week's bookings too).

    Raises DemoRefused with RENDEZVOUS_PRODUCTION set, before writing anything.
    """
    if settings.PRODUCTION:
        raise DemoRefused(REFUSED_IN_PRODUCTION)
    today = today or datetime.now(ZONE).date()
    company, created = Company.objects.get_or_create(
        slug=DEMO_SLUG,
        defaults=dict(
            name="Rendezvous Demo Practice",
            timezone="Europe/Berlin",
            languages=["en", "de", "da", "ro", "es"],
            currency="EUR",
            online_meetings_enabled=True,
            min_notice_minutes=60,
            max_days_ahead=90,
            slot_step_minutes=15,
        ),
    )
    location, _ = Location.objects.get_or_create(
        company=company,
        name="Berlin Mitte",
        defaults={"timezone": "Europe/Berlin", "address": "Torstraße 1, Berlin"},
    )
    cabin, _ = Resource.objects.get_or_create(
        company=company, name="Hearing cabin", defaults={"kind": "cabin", "location": location}
    )
    staff = {}
    for name, email, hours in STAFF:
        member, made = StaffMember.objects.get_or_create(
            company=company, name=name, defaults={"email": email}
        )
        if made:
            member.locations.add(location)
            WorkingHours.objects.bulk_create(
                WorkingHours(staff=member, location=location, weekday=day, start=start, end=end)
                for day, spans in hours.items()
                for start, end in spans
            )
        staff[name.split()[0]] = member

    consult, _ = Category.objects.get_or_create(
        company=company, name="Consultations", defaults={"position": 1}
    )
    hearing, _ = Category.objects.get_or_create(
        company=company, name="Hearing", defaults={"position": 2}
    )
    classes, _ = Category.objects.get_or_create(
        company=company, name="Classes", defaults={"position": 3}
    )
    for category in (consult, hearing, classes):
        names = CATEGORY_TEXTS[category.name]
        _translate(category, {code: {"name": name} for code, name in names.items()})

    def service(name, staff_names, **fields):
        obj, made = Service.objects.get_or_create(company=company, name=name, defaults=fields)
        if made:
            obj.staff.set([staff[n] for n in staff_names])
        texts = SERVICE_TEXTS[name]
        _translate(
            obj,
            {code: {"name": n, "description": d} for code, (n, d) in texts.items()},
        )
        return obj

    service(
        "Video consultation",
        ["Anna", "Jonas", "Mette"],
        category=consult,
        duration_minutes=30,
        online_meeting=True,
        price=Decimal("40.00"),
        position=1,
        description="A 30-minute consultation by video from wherever you are.",
    )
    service(
        "Consultation",
        ["Anna", "Jonas"],
        category=consult,
        duration_minutes=60,
        buffer_after_minutes=15,
        price=Decimal("70.00"),
        location=location,
        position=2,
        description="A 60-minute consultation at our practice in Berlin Mitte.",
    )
    service(
        "Hearing test",
        ["Jonas", "Mette"],
        category=hearing,
        duration_minutes=45,
        resource_kind="cabin",
        requires_confirmation=True,
        price=Decimal("0.00"),
        location=location,
        position=3,
        description="A full hearing test in our sound-proof cabin. We confirm your request by email.",
    )
    yoga = service(
        "Online yoga",
        ["Ioana"],
        category=classes,
        kind=ServiceKind.CLASS,
        duration_minutes=60,
        online_meeting=True,
        requires_payment=True,
        price=Decimal("12.00"),
        position=4,
        description="A gentle one-hour yoga class online. Bring a mat.",
    )
    # The class meets in the built-in room (below), so it has as many seats as the room
    # holds beside Ioana. Earlier demos gave it 12: sessions nobody booked yet shrink.
    seats = builtin_room_seats()
    if not yoga.sessions.exists():
        ClassSession.objects.bulk_create(
            ClassSession(
                company=company,
                service=yoga,
                staff=staff["Ioana"],
                start=start,
                end=start + timedelta(minutes=60),
                capacity=seats,
                online=True,
            )
            for start in _yoga_starts(today)
        )
    yoga.sessions.filter(capacity__gt=seats, bookings__isnull=True).update(capacity=seats)
    # Video: the built-in room (no account needed). Earlier demos seeded a Jitsi account
    # at a made-up domain; switch it off so that new meetings get a room that works.
    MeetingAccount.objects.filter(
        company=company, provider="jitsi", url="https://meet.demo.invalid", active=True
    ).update(active=False)
    _demo_payments(company, yoga, today)
    _demo_admin(company)
    demo_users(company, password=DEMO_ADMIN_PASSWORD)
    if week:
        demo_week(company, today)
    return company


# The demo's customer who owns a yoga pass: book "Online yoga" with this email and the
# seat is paid with one of its entries at once.
DEMO_PASS_EMAIL = "pia.pass@demo.example"


def _demo_payments(company: Company, yoga: Service, today: date) -> None:
    """Bank transfer, passes and pay on site switched on (a made-up account), a
    10-class yoga pass on sale, and one customer who owns one."""
    payment_settings_update(
        company=company,
        fields=PaymentSettingsFields(
            bank_transfer=True,
            passes=True,
            on_site=True,
            account_holder="Rendezvous Demo Practice",
            iban="DE89 3704 0044 0532 0130 00",
            bic="COBADEFFXXX",
            transfer_due_days=3,
        ),
    )
    product = PassProduct.objects.filter(company=company, name="10 yoga classes").first()
    if product is None:
        product = pass_product_create(
            company=company,
            fields=PassProductFields(
                name="10 yoga classes",
                entries=10,
                valid_days=180,
                price=Decimal("100.00"),
                services=(yoga.pk,),
                description="Ten online yoga classes within six months.",
            ),
        )
    holder, _ = Customer.objects.get_or_create(
        company=company,
        email=DEMO_PASS_EMAIL,
        defaults={"first_name": "Pia", "last_name": "Pass", "language": "en"},
    )
    if not holder.passes.exists():
        now = datetime.combine(today, time(9), ZONE)
        bought = pass_purchase(customer=holder, product=product, method=Method.ON_SITE, now=now)
        payment_mark_paid(payment=bought.payments.get(), now=now)


def _yoga_starts(today: date) -> list[datetime]:
    """Tuesdays and Thursdays at 18:00 Berlin time for the next six weeks."""
    days = (today + timedelta(days=n) for n in range(1, 43))
    return [datetime.combine(d, time(18), ZONE) for d in days if d.weekday() in (1, 3)]


def _demo_admin(company: Company) -> None:
    User = get_user_model()
    user = User.objects.filter(username=DEMO_ADMIN_USERNAME).first()
    if user is None:
        user = User.objects.create_superuser(
            DEMO_ADMIN_USERNAME, "admin@demo.example", DEMO_ADMIN_PASSWORD
        )
    Membership.objects.get_or_create(company=company, user=user, defaults={"role": Role.ADMIN})


def demo_admin_exposed() -> bool:
    """Whether the demo superuser exists with its published password."""
    user = get_user_model().objects.filter(username=DEMO_ADMIN_USERNAME).first()
    return bool(user and user.check_password(DEMO_ADMIN_PASSWORD))
