"""The Django admin is for operators only (core.admin_site): a company's staff user,
even one given every model permission, gets no admin page, and changes nothing there."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import RequestFactory, override_settings
from django.urls import reverse

from rendezvous.bookings.models import Booking
from rendezvous.companies.models import Membership, Role
from rendezvous.notifications.models import OutboxMessage, OutboxState
from tests.conftest import TOMORROW_10, book, snapshot

pytestmark = pytest.mark.integration


@pytest.fixture
def insider(practice):
    """A staff user of another company with every permission Django knows."""
    other = type(practice.company).objects.create(slug="other", name="Other")
    user = get_user_model().objects.create_user("insider", password="pw-insider", is_staff=True)
    user.user_permissions.set(Permission.objects.all())
    Membership.objects.create(company=other, user=user, role=Role.ADMIN)
    return user


def test_a_staff_user_with_every_permission_gets_no_admin_page(client, practice, insider):
    booking = book(practice, TOMORROW_10).booking
    client.force_login(insider)
    urls = [
        reverse("admin:index"),
        reverse("admin:bookings_booking_changelist"),
        reverse("admin:bookings_booking_change", args=[booking.pk]),
        reverse("admin:companies_company_changelist"),
        reverse("admin:companies_apitoken_add"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url
    before, tokens = snapshot(), list(practice.company.api_tokens.values())
    cancel = client.post(
        reverse("admin:bookings_booking_changelist"),
        {"action": "cancel_bookings", "_selected_action": [str(booking.pk)]},
    )
    delete = client.post(
        reverse("admin:companies_company_delete", args=[practice.company.pk]), {"post": "yes"}
    )
    add_token = client.post(
        reverse("admin:companies_apitoken_add"),
        {"company": practice.company.pk, "name": "mine", "role": Role.ADMIN},
    )
    assert {cancel.status_code, delete.status_code, add_token.status_code} == {302}
    assert snapshot() == before and list(practice.company.api_tokens.values()) == tokens
    assert Booking.objects.get(pk=booking.pk).company_id == practice.company.pk


def test_the_admin_login_refuses_a_staff_user_and_admits_an_operator(client, practice, insider):
    login = reverse("admin:login")
    refused = client.post(login, {"username": "insider", "password": "pw-insider"})
    assert refused.status_code == 200 and "operator account" in refused.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302
    get_user_model().objects.create_superuser("root", "root@example.com", "pw-root")
    admitted = client.post(login, {"username": "root", "password": "pw-root"})
    assert admitted.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_outbox_rows_can_be_deleted_only_with_the_delete_permission(practice, insider):
    booking = book(practice, TOMORROW_10).booking
    sent = OutboxMessage.objects.filter(booking=booking).first()
    OutboxMessage.objects.filter(pk=sent.pk).update(state=OutboxState.SENT)
    sent.refresh_from_db()
    model_admin = admin.site._registry[OutboxMessage]
    request = RequestFactory().get("/")
    request.user = get_user_model().objects.create_user("junior", is_staff=True)
    assert not model_admin.has_delete_permission(request, sent)
    request.user = insider  # has notifications.delete_outboxmessage
    assert model_admin.has_delete_permission(request, sent)
    OutboxMessage.objects.filter(pk=sent.pk).update(state=OutboxState.QUEUED)
    sent.refresh_from_db()
    assert not model_admin.has_delete_permission(request, sent)


def login_state() -> tuple:
    """What a successful admin login writes: the user's last_login and a session row."""
    from django.contrib.sessions.models import Session

    users = get_user_model().objects.order_by("pk").values_list("username", "last_login")
    return list(users), Session.objects.count(), snapshot()


def test_the_admin_login_refuses_even_the_right_password_after_five_failures(client, practice):
    get_user_model().objects.create_superuser("root", "root@example.com", "pw-root")
    login = reverse("admin:login")
    for _ in range(5):
        wrong = client.post(login, {"username": "root", "password": "guess"})
        assert wrong.status_code == 200 and "operator account" in wrong.content.decode()
    before = login_state()
    refused = client.post(login, {"username": "root", "password": "pw-root"})
    assert refused.status_code == 200
    assert "Too many failed sign-ins" in refused.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302
    assert login_state() == before
    german = client.post(
        login, {"username": "Root", "password": "pw-root"}, HTTP_ACCEPT_LANGUAGE="de"
    )
    assert "Zu viele fehlgeschlagene Anmeldungen" in german.content.decode()
    assert login_state() == before


def test_the_admin_throttle_counts_per_username_and_client(client, practice):
    get_user_model().objects.create_superuser("root", "root@example.com", "pw-root")
    get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-ops")
    login = reverse("admin:login")
    for _ in range(5):
        client.post(login, {"username": "root", "password": "guess"})
    elsewhere = client.post(
        login, {"username": "root", "password": "pw-root"}, REMOTE_ADDR="10.0.0.9"
    )
    assert elsewhere.status_code == 302
    client.logout()
    assert client.post(login, {"username": "ops", "password": "pw-ops"}).status_code == 302


@override_settings(BOOKING_RATE_LIMIT="off", SIGNIN_RATE_LIMIT="off")
def test_switching_off_the_other_limits_leaves_the_admin_throttle_on(client, practice):
    get_user_model().objects.create_superuser("root", "root@example.com", "pw-root")
    login = reverse("admin:login")
    for _ in range(5):
        client.post(login, {"username": "root", "password": "guess"})
    refused = client.post(login, {"username": "root", "password": "pw-root"})
    assert "Too many failed sign-ins" in refused.content.decode()
