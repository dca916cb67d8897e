"""A meeting account's secret (Zoom client secret, BigBlueButton shared secret, Jitsi
app secret) is ciphertext in the database, like the OAuth tokens: read back raw, the
column never holds the plain secret, and the admin never shows it. So are a meeting's
host link (Zoom's start URL: whoever has it runs the meeting as its host) and its
password; the app still reads both back for the host's join page."""

import logging
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse

from rendezvous.core import crypto
from rendezvous.core.errors import ValidationFailed
from rendezvous.meetings.domain import meeting_set_details, meeting_set_link
from rendezvous.meetings.models import Meeting, MeetingAccount, MeetingState
from rendezvous.meetings.providers import MeetingRef, get_provider
from tests.conftest import TOMORROW_10, book
from tests.fakes.zoom import FakeZoom

from .conftest import JITSI_SECRET, host_token, path_of

pytestmark = pytest.mark.integration

TABLE = MeetingAccount._meta.db_table
MEETINGS = Meeting._meta.db_table
ZOOM_SECRET = "zoom-client-secret-0123456789"
ZOOM_HOST = "host@example.com"


def raw_secret(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT secret FROM {TABLE} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def raw_meeting(pk) -> dict[str, str]:
    """The meeting's link columns as the database holds them."""
    key = Meeting._meta.pk.get_db_prep_value(pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT host_url, password, join_url FROM {MEETINGS} WHERE id = %s", [key])
        return dict(zip(("host_url", "password", "join_url"), cursor.fetchone(), strict=True))


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


# -- a meeting's host link and password ---------------------------------------------------


@pytest.fixture
def zoom(settings, practice):
    with FakeZoom(client_secret=ZOOM_SECRET, users=(ZOOM_HOST,)) as fake:
        settings.ZOOM_API_BASE = fake.api_base
        settings.ZOOM_OAUTH_BASE = fake.oauth_base
        MeetingAccount.objects.create(
            company=practice.company,
            provider="zoom",
            app_id=f"acc-1:client-1:{ZOOM_HOST}",
            secret=ZOOM_SECRET,
        )
        yield fake


@pytest.fixture
def zoom_meeting(practice, zoom, django_capture_on_commit_callbacks):
    """A video booking whose Zoom meeting was created (after commit) against the fake."""
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(practice, TOMORROW_10, service=practice.video, staff=practice.staff[0])
    meeting = Meeting.objects.get(booking=booking.booking)
    assert meeting.state == MeetingState.READY
    (created,) = zoom.meetings.values()
    return meeting, created


def test_a_zoom_meetings_start_url_and_password_are_ciphertext_in_the_columns(zoom_meeting):
    meeting, created = zoom_meeting
    start_url, password = created["start_url"], created["password"]
    raw = raw_meeting(meeting.pk)
    assert raw["host_url"] and start_url not in raw["host_url"] and "zak=" not in raw["host_url"]
    assert raw["password"] and password not in raw["password"]
    assert crypto.decrypt(raw["host_url"]) == start_url
    assert crypto.decrypt(raw["password"]) == password
    # The participant link stays plain: the reveal rule guards it (see meetings.models).
    assert raw["join_url"] == created["join_url"]
    meeting = Meeting.objects.get(pk=meeting.pk)
    assert (meeting.host_url, meeting.password) == (start_url, password)
    assert Meeting.objects.filter(pk=meeting.pk).values_list("host_url", flat=True).get() == (
        start_url
    )


def test_the_host_starts_the_meeting_with_the_stored_start_url_and_password(
    client, zoom, zoom_meeting, caplog
):
    caplog.set_level(logging.DEBUG)
    meeting, created = zoom_meeting
    path = path_of(host_token(meeting))

    def asked() -> int:
        return len(zoom.calls("GET", "/v2/meetings/"))

    with time_machine.travel(TOMORROW_10 - timedelta(minutes=4), tick=False):
        before = asked()
        fresh = client.get(path)
        # Its token may be refused once and asked again (a shared cache such as Redis
        # keeps it by the real clock while this test moved its own): one call or two.
        after_fresh = asked()
        # Zoom down: the host gets the start URL read back from the encrypted column.
        zoom.fail_next(1, status=500)
        stored = client.get(path)
    # Both asked Zoom for a fresh start URL; the second got the 500 and asked once.
    assert after_fresh > before and asked() == after_fresh + 1
    for response in (fresh, stored):
        html = response.content.decode()
        assert response.status_code == 200
        assert f'href="{created["start_url"]}"' in html
        assert f"<code>{created['password']}</code>" in html
    assert created["start_url"] not in caplog.text and "zak=" not in caplog.text
    assert created["password"] not in caplog.text


def test_a_meeting_ref_never_prints_its_host_link_or_password():
    ref = MeetingRef(
        external_id="1",
        join_url="https://z.example/j/1",
        host_url="https://z/s?zak=k",
        password="p4",
    )
    assert "zak=" not in repr(ref) and "p4" not in repr(ref)
    assert ref == MeetingRef(**{**ref.__dict__})


def test_the_admin_never_shows_a_meetings_host_link(client, zoom_meeting, caplog):
    caplog.set_level(logging.DEBUG)
    meeting, created = zoom_meeting
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com"))
    change = reverse("admin:meetings_meeting_change", args=[meeting.pk])
    page = client.get(change).content.decode()
    raw = raw_meeting(meeting.pk)
    assert created["start_url"] not in page and "zak=" not in page
    assert raw["host_url"] not in page and raw["password"] not in page
    assert 'name="new_host_url"' in page and 'name="new_host_url" value' not in page
    # The password stays a one-line field of at most 200 characters, as the column was.
    assert 'maxlength="200"' in page and '<textarea name="password"' not in page

    # A link typed by hand is stored encrypted and not shown back either.
    host_link = "https://rooms.example/host?key=typed-by-hand"
    form = {"new_url": "https://rooms.example/a", "new_host_url": host_link}
    form |= {"instructions": "", "password": "typed-pass"}
    assert client.post(change, form).status_code == 302
    raw = raw_meeting(meeting.pk)
    assert "typed-by-hand" not in raw["host_url"] and "typed-pass" not in raw["password"]
    meeting.refresh_from_db()
    assert (meeting.host_url, meeting.password) == (host_link, "typed-pass")
    listing = client.get(reverse("admin:meetings_meeting_changelist")).content.decode()
    again = client.get(change).content.decode()
    history = client.get(reverse("admin:meetings_meeting_history", args=[meeting.pk]))
    for shown in (listing, again, history.content.decode(), caplog.text):
        assert "typed-by-hand" not in shown and created["start_url"] not in shown
    for shown in (listing, history.content.decode(), caplog.text):
        assert "typed-pass" not in shown and created["password"] not in shown


def test_a_host_link_or_password_the_columns_no_longer_bound_is_refused(practice):
    MeetingAccount.objects.create(company=practice.company, provider="manual")
    book(practice, TOMORROW_10, service=practice.video, staff=practice.staff[0])
    meeting = Meeting.objects.get()
    before = list(Meeting.objects.values_list())
    too_long = "https://rooms.example/" + "h" * 1990
    with pytest.raises(ValidationFailed) as info:
        meeting_set_link(meeting=meeting, url="https://rooms.example/a", host_url=too_long)
    assert info.value.fields == {"host_url": ["At most 2000 characters."]}
    with pytest.raises(ValidationFailed) as info:
        meeting_set_link(meeting=meeting, url="https://rooms.example/a", password="p" * 201)
    assert info.value.fields == {"password": ["At most 200 characters, no control characters."]}
    with pytest.raises(ValidationFailed) as info:
        meeting_set_details(meeting=meeting, instructions="", password="a\x07b")
    assert info.value.fields == {"password": ["At most 200 characters, no control characters."]}
    with pytest.raises(ValidationFailed) as info:
        meeting_set_link(meeting=meeting, url="https://rooms.example/a", host_url="ftp://x.example")
    assert info.value.fields == {"host_url": ["Enter a link that starts with https://."]}
    assert list(Meeting.objects.values_list()) == before
    assert raw_meeting(meeting.pk)["host_url"] == raw_meeting(meeting.pk)["password"] == ""

    meeting_set_link(
        meeting=meeting,
        url="https://rooms.example/a",
        host_url="https://rooms.example/h" + "h" * 1977,
    )
    assert len(Meeting.objects.get(pk=meeting.pk).host_url) == 2000


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_existing_host_links_and_passwords_and_its_reverse_decrypts():
    from django.db.migrations.executor import MigrationExecutor

    from tests.factories import ClassSessionFactory

    before = [("meetings", "0005_encrypt_account_secret")]
    after = [("meetings", "0006_encrypt_meeting_host_url_password")]
    session = ClassSessionFactory(start=TOMORROW_10)
    other = ClassSessionFactory(start=TOMORROW_10, service=session.service)
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("meetings", "Meeting")
    times = {"company_id": session.company_id, "start": session.start, "end": session.end}
    zoomed = old.objects.create(
        session_id=session.pk,
        provider="zoom",
        join_url="https://z.test/j/1",
        host_url="https://z.test/s/1?zak=old-zak",
        password="old-pass",
        **times,
    )
    plain = old.objects.create(
        session_id=other.pk, provider="static_link", join_url="https://r.test/a", **times
    )
    assert raw_meeting(zoomed.pk)["host_url"] == "https://z.test/s/1?zak=old-zak"

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    raw = raw_meeting(zoomed.pk)
    assert "old-zak" not in raw["host_url"] and "old-pass" not in raw["password"]
    assert crypto.decrypt(raw["host_url"]) == "https://z.test/s/1?zak=old-zak"
    assert crypto.decrypt(raw["password"]) == "old-pass"
    assert raw["join_url"] == "https://z.test/j/1"
    assert raw_meeting(plain.pk) == {"host_url": "", "password": "", "join_url": "https://r.test/a"}
    current = Meeting.objects.get(pk=zoomed.pk)
    assert (current.host_url, current.password) == ("https://z.test/s/1?zak=old-zak", "old-pass")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(before)
    assert raw_meeting(zoomed.pk) == {
        "host_url": "https://z.test/s/1?zak=old-zak",
        "password": "old-pass",
        "join_url": "https://z.test/j/1",
    }
    assert raw_meeting(plain.pk) == {"host_url": "", "password": "", "join_url": "https://r.test/a"}

    # Back to the newest state for the tests that follow.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert Meeting.objects.get(pk=zoomed.pk).password == "old-pass"
