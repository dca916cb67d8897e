from datetime import date

import pytest
from django.contrib.auth import authenticate

from rendezvous.catalog.models import Category, ClassSession, Service
from rendezvous.companies.models import Company, StaffMember
from rendezvous.core.rooms import ROOM_HOSTS, builtin_room_seats
from rendezvous.demo.seed import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME, demo_seed
from rendezvous.meetings.domain.room_size import meeting_session_fits, session_provider
from rendezvous.payments.domain.settings import enabled_methods, transfer_account_complete
from rendezvous.payments.models import CustomerPass, Payment, PaymentSettings, PaymentState

pytestmark = pytest.mark.integration


def counts():
    return (
        Company.objects.count(),
        StaffMember.objects.count(),
        Service.objects.count(),
        ClassSession.objects.count(),
    )


@pytest.mark.django_db
def test_demo_seed_is_complete_and_idempotent():
    company = demo_seed(today=date(2026, 12, 1))
    assert company.slug == "demo" and company.timezone == "Europe/Berlin"
    assert company.languages == ["en", "de", "da", "ro", "es"] and company.online_meetings_enabled
    services = {s.name: s for s in Service.objects.filter(company=company)}
    assert (
        services["Video consultation"].online_meeting
        and services["Video consultation"].duration_minutes == 30
    )
    assert (
        not services["Consultation"].online_meeting
        and services["Consultation"].duration_minutes == 60
    )
    assert (
        services["Hearing test"].resource_kind == "cabin"
        and services["Hearing test"].requires_confirmation
    )
    yoga = services["Online yoga"]
    assert yoga.kind == "class" and yoga.requires_payment and yoga.online_meeting
    assert set(yoga.sessions.values_list("capacity", flat=True)) == {builtin_room_seats()}
    assert 3 <= StaffMember.objects.filter(company=company).count() <= 4
    assert authenticate(username=DEMO_ADMIN_USERNAME, password=DEMO_ADMIN_PASSWORD) is not None
    before = counts()
    demo_seed(today=date(2026, 12, 1))
    assert counts() == before


@pytest.mark.django_db
def test_demo_catalogue_speaks_every_language_of_the_company():
    company = demo_seed(today=date(2026, 12, 1))
    others = [code for code in company.languages if code != company.languages[0]]
    assert sorted(others) == ["da", "de", "es", "ro"]
    rows = [*Service.objects.filter(company=company), *Category.objects.filter(company=company)]
    assert len(rows) == 7
    for row in rows:
        texts = ["name", "description"] if isinstance(row, Service) else ["name"]
        for code in others:
            for text in texts:
                translated = row.text_in(text, code)
                assert translated and translated != getattr(row, text), (row, code, text)
    yoga = Service.objects.get(company=company, name="Online yoga")
    assert yoga.text_in("name", "de") == "Online-Yoga"
    assert Category.objects.get(company=company, name="Classes").text_in("name", "es") == "Clases"


@pytest.mark.django_db
def test_demo_seed_translates_an_older_demo_and_keeps_edited_texts():
    company = demo_seed(today=date(2026, 12, 1))
    Service.objects.filter(company=company).update(translations={})
    Service.objects.filter(company=company, name="Consultation").update(
        translations={"de": {"name": "Sprechstunde"}}
    )
    demo_seed(today=date(2026, 12, 1))
    consultation = Service.objects.get(company=company, name="Consultation")
    assert consultation.translations == {"de": {"name": "Sprechstunde"}}
    video = Service.objects.get(company=company, name="Video consultation")
    assert video.text_in("name", "da") == "Videokonsultation"


@pytest.mark.django_db
def test_every_demo_class_in_the_built_in_room_fits_it(settings):
    company = demo_seed(today=date(2026, 12, 1))
    online = ClassSession.objects.filter(company=company, online=True).select_related(
        "company", "service"
    )
    assert online.exists()
    for session in online:
        assert session_provider(session) == "builtin"
        assert session.capacity + ROOM_HOSTS <= settings.ROOM_MAX_PARTICIPANTS
        meeting_session_fits(session=session)  # the rule a staff change is judged by


@pytest.mark.django_db
def test_seeding_again_shrinks_an_older_demos_unbooked_twelve_seat_classes():
    company = demo_seed(today=date(2026, 12, 1))
    ClassSession.objects.filter(company=company).update(capacity=12)
    demo_seed(today=date(2026, 12, 1))
    capacities = ClassSession.objects.filter(company=company).values_list("capacity", flat=True)
    assert set(capacities) == {builtin_room_seats()}


@pytest.mark.django_db
def test_the_demo_takes_transfers_and_sells_a_yoga_pass_its_customer_owns():
    company = demo_seed(today=date(2026, 12, 1))
    demo_seed(today=date(2026, 12, 1))  # again: nothing doubles
    yoga = Service.objects.get(company=company, name="Online yoga")
    assert yoga.requires_payment and yoga.price > 0
    offered = set(enabled_methods(company, yoga))
    assert {"bank_transfer", "pass"} <= offered and "on_site" not in offered  # an online class
    account = PaymentSettings.objects.get(company=company)
    assert transfer_account_complete(account) and account.iban == "DE89370400440532013000"
    owned = CustomerPass.objects.get(company=company)
    assert owned.active and owned.entries_left == 10 and yoga in owned.product.services.all()
    assert owned.customer.email == "pia.pass@demo.example"
    assert Payment.objects.get(customer_pass=owned).state == PaymentState.PAID
