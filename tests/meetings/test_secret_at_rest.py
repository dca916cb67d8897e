"""A meeting account's secret (Zoom client secret, BigBlueButton shared secret, Jitsi
app secret) is ciphertext in the database, like the OAuth tokens: read back raw, the
column never holds the plain secret, and the admin never shows it."""

import logging

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse

from rendezvous.meetings import crypto
from rendezvous.meetings.models import MeetingAccount
from rendezvous.meetings.providers import get_provider

from .conftest import JITSI_SECRET

pytestmark = pytest.mark.integration

TABLE = MeetingAccount._meta.db_table


def raw_secret(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT secret FROM {TABLE} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_a_saved_secret_is_ciphertext_in_the_column(jitsi):
    stored = raw_secret(jitsi.pk)
    assert stored and JITSI_SECRET not in stored
    assert crypto.decrypt(stored) == JITSI_SECRET
    assert MeetingAccount.objects.get(pk=jitsi.pk).secret == JITSI_SECRET
    # A bulk update goes through the field as well.
    MeetingAccount.objects.filter(pk=jitsi.pk).update(secret="rotated-secret-0123456789")
    assert "rotated-secret" not in raw_secret(jitsi.pk)
    assert MeetingAccount.objects.get(pk=jitsi.pk).secret == "rotated-secret-0123456789"
    # The provider signs with the plain secret it reads back from the database.
    account = MeetingAccount.objects.get(pk=jitsi.pk)
    assert get_provider("jitsi", account).create_meeting(None).external_id


def test_an_empty_secret_stays_empty(practice):
    account = MeetingAccount.objects.create(
        company=practice.company, provider="static_link", url="https://r.example/a"
    )
    assert raw_secret(account.pk) == ""
    assert MeetingAccount.objects.get(pk=account.pk).secret == ""


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_existing_secrets_and_its_reverse_decrypts_them():
    from django.db.migrations.executor import MigrationExecutor

    from tests.factories import CompanyFactory

    before = [("meetings", "0004_plural_names")]
    after = [("meetings", "0005_encrypt_account_secret")]
    company = CompanyFactory(slug="old")
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("meetings", "MeetingAccount")
    bbb = old.objects.create(
        company_id=company.pk, provider="bigbluebutton", url="https://bbb.test", secret="bbb-1"
    )
    blank = old.objects.create(company_id=company.pk, provider="static_link", url="https://r.t")
    assert raw_secret(bbb.pk) == "bbb-1"  # the state this migration starts from

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    assert "bbb-1" not in raw_secret(bbb.pk)
    assert crypto.decrypt(raw_secret(bbb.pk)) == "bbb-1"
    assert raw_secret(blank.pk) == ""
    assert MeetingAccount.objects.get(pk=bbb.pk).secret == "bbb-1"

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(before)
    assert raw_secret(bbb.pk) == "bbb-1"
    assert raw_secret(blank.pk) == ""

    # Back to the newest state for the tests that follow.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert MeetingAccount.objects.get(pk=bbb.pk).secret == "bbb-1"


def test_the_admin_takes_a_secret_but_never_shows_it(client, jitsi, caplog):
    caplog.set_level(logging.DEBUG)
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com"))
    change = reverse("admin:meetings_meetingaccount_change", args=[jitsi.pk])
    page = client.get(change).content.decode()
    assert JITSI_SECRET not in page and raw_secret(jitsi.pk) not in page
    assert 'type="password" name="secret"' in page

    form = {
        "provider": "jitsi",
        "active": "on",
        "url": jitsi.url,
        "app_id": jitsi.app_id,
        "tenant": "",
        "staff": "",
    }
    # An empty field keeps the current secret.
    assert client.post(change, {**form, "secret": ""}).status_code == 302
    assert MeetingAccount.objects.get(pk=jitsi.pk).secret == JITSI_SECRET
    # A new one is stored encrypted.
    new = "a-brand-new-jitsi-secret-0123456789"
    assert client.post(change, {**form, "secret": new}).status_code == 302
    assert MeetingAccount.objects.get(pk=jitsi.pk).secret == new
    assert new not in raw_secret(jitsi.pk)
    listing = client.get(reverse("admin:meetings_meetingaccount_changelist")).content.decode()
    again = client.get(change).content.decode()
    history = client.get(reverse("admin:meetings_meetingaccount_history", args=[jitsi.pk]))
    for shown in (listing, again, history.content.decode(), caplog.text):
        assert new not in shown and JITSI_SECRET not in shown
