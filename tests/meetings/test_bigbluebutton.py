"""BigBlueButton: checksummed API calls against a fake BBB server (docs/providers.md)."""

import logging
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from rendezvous.bookings import domain
from rendezvous.bookings.models import BookingStatus
from rendezvous.meetings.domain import meeting_provision_due, meeting_view
from rendezvous.meetings.models import Meeting, MeetingAccount, MeetingState
from rendezvous.meetings.providers import (
    MeetingRef,
    MeetingSpec,
    Participant,
    ProviderError,
    get_provider,
)
from rendezvous.meetings.providers import http as provider_http
from rendezvous.meetings.providers.bigbluebutton import checksum
from tests.conftest import NOW, TOMORROW_10, book
from tests.fakes.bigbluebutton import SECRET, FakeBBB

from .conftest import customer_token, host_token, three_class_seats

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]

DOC_SECRET = "639259d4-9dd8-4b25-bf01-95f9567eaf4b"
DOC_QUERY = "name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444"
DOC_CHECKSUM = "1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17"
TIMEOUT = 0.3


@pytest.fixture(autouse=True)
def client(monkeypatch):
    """A fresh shared client per test (no pooled connection to an earlier fake)."""
    fresh = httpx.Client(timeout=httpx.Timeout(5.0), follow_redirects=False)
    monkeypatch.setattr(provider_http, "_client", fresh)
    yield fresh
    fresh.close()


@pytest.fixture
def short_timeout(monkeypatch):
    fast = httpx.Client(timeout=httpx.Timeout(TIMEOUT), follow_redirects=False)
    monkeypatch.setattr(provider_http, "_client", fast)
    yield
    fast.close()


@pytest.fixture
def fake():
    with FakeBBB() as server:
        yield server


@pytest.fixture
def account(practice, fake):
    return MeetingAccount.objects.create(
        company=practice.company, provider="bigbluebutton", url=fake.api_url, secret=SECRET
    )


def spec(meeting_id="5f0c2a9e5f0c2a9e5f0c2a9e5f0c2a9e", title="Video call") -> MeetingSpec:
    return MeetingSpec(
        meeting_id=meeting_id,
        title=title,
        start=TOMORROW_10,
        end=TOMORROW_10 + timedelta(minutes=30),
        timezone="Europe/Berlin",
    )


def person(pid, name, host=False) -> Participant:
    return Participant(
        id=pid, name=name, email="", host=host, not_before=TOMORROW_10, expires=TOMORROW_10
    )


def params(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def follow(url: str) -> httpx.Response:
    return httpx.get(url, follow_redirects=False, timeout=5)


def no_secret(*texts: str) -> None:
    for text in texts:
        assert SECRET not in text


# -- checksum ----------------------------------------------------------------------------


def test_checksum_matches_the_documented_worked_example():
    assert checksum("create", DOC_QUERY, DOC_SECRET, "sha1") == DOC_CHECKSUM
    query = urlencode(
        [("name", "Test Meeting"), ("meetingID", "abc123"), ("attendeePW", "111222"),
         ("moderatorPW", "333444")]
    )  # fmt: skip
    assert query == DOC_QUERY
    assert FakeBBB(secret=DOC_SECRET).verify("create", f"{DOC_QUERY}&checksum={DOC_CHECKSUM}")
    assert not FakeBBB(secret=DOC_SECRET).verify("end", f"{DOC_QUERY}&checksum={DOC_CHECKSUM}")


def test_sha256_by_default_and_sha1_by_setting(settings):
    provider = get_provider("bigbluebutton", MeetingAccount(url="https://bbb.test", secret="s"))
    assert len(params(provider.join_url(_ref(), person("u", "Jo")))["checksum"]) == 64
    settings.BBB_CHECKSUM_ALGORITHM = "sha1"
    assert len(params(provider.join_url(_ref(), person("u", "Jo")))["checksum"]) == 40
    settings.BBB_CHECKSUM_ALGORITHM = "md5"
    with pytest.raises(ProviderError) as info:
        provider.join_url(_ref(), person("u", "Jo"))
    assert info.value.permanent


def _ref():
    return MeetingRef(external_id="rdv-x", join_url="https://bbb.test/bigbluebutton/api/join")


@pytest.mark.parametrize(
    "url",
    ["https://bbb.test", "https://bbb.test/", "https://bbb.test/bigbluebutton/",
     "https://bbb.test/bigbluebutton/api", "https://bbb.test/bigbluebutton/api/"],
)  # fmt: skip
def test_the_account_url_may_be_the_host_or_the_api(url):
    provider = get_provider("bigbluebutton", MeetingAccount(url=url, secret="s"))
    assert provider.join_url(_ref(), person("u", "Jo")).startswith(
        "https://bbb.test/bigbluebutton/api/join?"
    )


@pytest.mark.parametrize(
    "url, secret",
    [("", "s"), ("https://bbb.test", ""), ("http://bbb.test", "s"), ("ftp://bbb.test", "s")],
)
def test_incomplete_or_clear_text_settings_are_permanent(url, secret):
    provider = get_provider("bigbluebutton", MeetingAccount(url=url, secret=secret))
    with pytest.raises(ProviderError) as info:
        provider.create_meeting(spec())
    assert info.value.permanent


# -- against the fake --------------------------------------------------------------------


def test_create_is_idempotent_join_links_verify_and_end_deletes(account, fake):
    provider = get_provider("bigbluebutton", account)
    ref = provider.create_meeting(spec())
    assert ref.external_id == "rdv-5f0c2a9e5f0c2a9e5f0c2a9e5f0c2a9e"
    assert "checksum" not in ref.join_url and not ref.host_url
    create_time = params(ref.join_url)["createTime"]
    assert create_time == str(fake.meetings[ref.external_id].create_time)
    again = provider.create_meeting(spec())  # duplicateWarning: the same meeting
    assert again == ref and fake.created == 1
    assert [c for c, _ in fake.requests] == ["create", "create"]
    assert fake.requests[0][1]["name"] == "Video call"

    host_url = provider.join_url(ref, person("host-1", "Ada Lovelace", host=True))
    guest_url = provider.join_url(ref, person("guest-7", "Test Customer"))
    # Each join URL creates the meeting again (idempotent): the same meeting, no copy.
    assert [c for c, _ in fake.requests] == ["create"] * 4 and fake.created == 1
    host, guest = params(host_url), params(guest_url)
    assert (host["role"], host["fullName"], host["userID"]) == (
        "MODERATOR", "Ada Lovelace", "host-1"
    )  # fmt: skip
    assert (guest["role"], guest["fullName"], guest["userID"]) == (
        "VIEWER", "Test Customer", "guest-7"
    )  # fmt: skip
    assert host["createTime"] == guest["createTime"] == create_time
    assert host["meetingID"] == guest["meetingID"] == ref.external_id
    for url in (host_url, guest_url):
        answer = follow(url)
        assert answer.status_code == 302 and "/html5client/" in answer.headers["Location"]
    attendees = fake.meetings[ref.external_id].attendees
    assert [(a["role"], a["fullName"], a["userID"]) for a in attendees] == [
        ("MODERATOR", "Ada Lovelace", "host-1"),
        ("VIEWER", "Test Customer", "guest-7"),
    ]
    # The name is signed: a participant editing it (or their role) is refused.
    for forged in (
        guest_url.replace("fullName=Test+Customer", "fullName=The+Host"),
        guest_url.replace("role=VIEWER", "role=MODERATOR"),
    ):
        answer = follow(forged)
        assert answer.status_code == 200 and b"checksumError" in answer.content
    assert len(fake.meetings[ref.external_id].attendees) == 2

    provider.delete_meeting(ref)
    assert fake.ended == [ref.external_id]
    provider.delete_meeting(ref)  # already ended: notFound counts as deleted
    assert (
        b"notFound"
        in follow(provider._signed("getMeetingInfo", [("meetingID", ref.external_id)])).content
    )
    assert provider.update_meeting(ref, spec()) is ref  # BBB has no update


def test_a_join_link_from_an_earlier_session_is_refused(account, fake):
    provider = get_provider("bigbluebutton", account)
    old = provider.create_meeting(spec())
    minted = provider.join_url(old, person("guest-1", "Jo"))  # handed out, never used
    provider.delete_meeting(old)
    new = provider.create_meeting(spec())
    assert new.external_id == old.external_id and new.join_url != old.join_url
    assert b"mismatchCreateTimeParam" in follow(minted).content
    # Minting again (from either stored reference) joins the meeting as it is now.
    assert follow(provider.join_url(old, person("guest-1", "Jo"))).status_code == 302
    assert follow(provider.join_url(new, person("guest-2", "Bo"))).status_code == 302


def test_get_meeting_info_counts_the_participants(account, fake):
    provider = get_provider("bigbluebutton", account)
    ref = provider.create_meeting(spec())
    follow(provider.join_url(ref, person("guest-1", "Jo")))
    info = follow(provider._signed("getMeetingInfo", [("meetingID", ref.external_id)]))
    assert b"<participantCount>1</participantCount>" in info.content
    assert b"<running>true</running>" in info.content


def test_deleting_an_unknown_meeting_is_success(account, fake):
    get_provider("bigbluebutton", account).delete_meeting(MeetingRef(external_id="rdv-gone"))
    assert fake.ended == [] and fake.requests[-1][0] == "end"


def test_a_wrong_secret_is_permanent_and_never_shown(account, fake, caplog):
    account.secret = "not-the-shared-secret"
    with pytest.raises(ProviderError) as info:
        get_provider("bigbluebutton", account).create_meeting(spec())
    assert info.value.permanent and "checksumError" in str(info.value)
    assert "not-the-shared-secret" not in str(info.value) + caplog.text
    assert fake.created == 0


def test_an_old_server_without_sha256_refuses_it_permanently(account, fake, settings):
    fake.algorithms = {"sha1"}
    with pytest.raises(ProviderError) as info:
        get_provider("bigbluebutton", account).create_meeting(spec())
    assert info.value.permanent
    settings.BBB_CHECKSUM_ALGORITHM = "sha1"
    assert get_provider("bigbluebutton", account).create_meeting(spec()).external_id


@pytest.mark.parametrize("status", [500, 502])
def test_server_errors_are_temporary(account, fake, status):
    fake.fail(1, status)
    with pytest.raises(ProviderError) as info:
        get_provider("bigbluebutton", account).create_meeting(spec())
    assert not info.value.permanent and info.value.retry_after is None
    assert str(info.value) == f"bigbluebutton: HTTP {status}"
    assert get_provider("bigbluebutton", account).create_meeting(spec()).external_id


def test_503_with_retry_after_is_temporary_and_says_when(account, fake):
    fake.unavailable(1, retry_after=120)
    with pytest.raises(ProviderError) as info:
        get_provider("bigbluebutton", account).create_meeting(spec())
    assert not info.value.permanent and info.value.retry_after == 120


def test_a_failed_answer_that_is_not_about_us_is_temporary(account, fake, monkeypatch):
    monkeypatch.setattr(
        fake, "_create", lambda p: (200, b"<response><returncode>FAILED</returncode>"
                                    b"<messageKey>serverBusy</messageKey></response>", {})
    )  # fmt: skip
    with pytest.raises(ProviderError) as info:
        get_provider("bigbluebutton", account).create_meeting(spec())
    assert not info.value.permanent and "serverBusy" in str(info.value)


def test_an_answer_that_is_not_xml_is_temporary(account, fake, monkeypatch):
    monkeypatch.setattr(fake, "_create", lambda p: (200, b"<html>maintenance", {}))
    with pytest.raises(ProviderError) as info:
        get_provider("bigbluebutton", account).create_meeting(spec())
    assert not info.value.permanent


@pytest.mark.usefixtures("short_timeout")
def test_a_timeout_is_temporary(account, fake):
    fake.hang(1, seconds=TIMEOUT * 4)
    with pytest.raises(ProviderError) as info:
        get_provider("bigbluebutton", account).create_meeting(spec())
    assert not info.value.permanent and str(info.value) == "bigbluebutton: timed out"
    assert fake.created == 0


@pytest.mark.usefixtures("short_timeout")
def test_created_but_answered_too_late_then_the_retry_finds_the_same_meeting(account, fake):
    fake.late(1, seconds=TIMEOUT * 4)
    provider = get_provider("bigbluebutton", account)
    with pytest.raises(ProviderError) as info:
        provider.create_meeting(spec())
    assert not info.value.permanent and fake.created == 1
    ref = provider.create_meeting(spec())
    assert fake.created == 1
    assert params(ref.join_url)["createTime"] == str(fake.meetings[ref.external_id].create_time)


def test_a_server_that_hangs_up_is_temporary(account, fake):
    fake.down = True
    with pytest.raises(ProviderError) as info:
        get_provider("bigbluebutton", account).create_meeting(spec())
    assert not info.value.permanent


def test_end_failures_surface(account, fake):
    provider = get_provider("bigbluebutton", account)
    ref = provider.create_meeting(spec())
    fake.fail(1, 500)
    with pytest.raises(ProviderError):
        provider.delete_meeting(ref)
    account.secret = "wrong"
    with pytest.raises(ProviderError) as info:
        provider.delete_meeting(ref)
    assert info.value.permanent and fake.ended == []


# -- through the real lifecycle ----------------------------------------------------------


def video(practice, start=TOMORROW_10):
    return book(practice, start, service=practice.video, staff=practice.staff[0])


def test_down_then_recovered_then_cancelled(
    practice, account, fake, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.DEBUG)
    fake.down = True
    with django_capture_on_commit_callbacks(execute=True):
        created = video(practice)
    booking = created.booking
    meeting = Meeting.objects.get(booking=booking)
    assert booking.status == BookingStatus.CONFIRMED  # the booking stands
    assert (meeting.provider, meeting.state, meeting.attempts) == (
        "bigbluebutton", MeetingState.PENDING, 1
    )  # fmt: skip
    assert meeting.last_error.startswith("bigbluebutton: ") and meeting.next_attempt_at > NOW
    assert fake.created == 0

    fake.down = False
    assert meeting_provision_due(now=meeting.next_attempt_at - timedelta(seconds=1)) == 0
    assert meeting_provision_due(now=meeting.next_attempt_at) == 1
    meeting.refresh_from_db()
    assert (meeting.state, meeting.last_error) == (MeetingState.READY, "")
    assert meeting.external_id == f"rdv-{meeting.pk.hex}"
    assert fake.created == 1 and list(fake.meetings) == [meeting.external_id]

    # The join page mints per-participant links inside the window, the BBB server takes them.
    inside = TOMORROW_10 - timedelta(minutes=1)
    guest = meeting_view(booking=booking, viewer=customer_token(booking), now=inside).raw_url
    host = meeting_view(booking=booking, viewer=host_token(meeting), now=inside).raw_url
    assert params(guest)["role"] == "VIEWER" and params(host)["role"] == "MODERATOR"
    assert params(guest)["fullName"] == f"{booking.first_name} {booking.last_name}"
    assert params(host)["fullName"] == practice.staff[0].name
    assert follow(guest).status_code == follow(host).status_code == 302

    with django_capture_on_commit_callbacks(execute=True):
        domain.booking_cancel(booking=booking, actor=domain.STAFF, now=NOW)
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.REVOKED
    assert fake.ended == [meeting.external_id]
    no_secret(caplog.text, meeting.last_error)


def test_503_retry_after_pushes_the_next_attempt(
    practice, account, fake, django_capture_on_commit_callbacks
):
    fake.unavailable(1, retry_after=600)
    with django_capture_on_commit_callbacks(execute=True):
        booking = video(practice).booking
    meeting = Meeting.objects.get(booking=booking)
    assert meeting.state == MeetingState.PENDING
    assert meeting.next_attempt_at == NOW + timedelta(seconds=600)


@pytest.mark.usefixtures("short_timeout")
def test_a_lost_create_answer_does_not_duplicate_the_meeting(
    practice, account, fake, django_capture_on_commit_callbacks
):
    fake.late(1, seconds=TIMEOUT * 4)
    with django_capture_on_commit_callbacks(execute=True):
        booking = video(practice).booking
    meeting = Meeting.objects.get(booking=booking)
    assert meeting.state == MeetingState.PENDING and fake.created == 1
    meeting_provision_due(now=meeting.next_attempt_at)
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.READY and fake.created == 1
    assert params(meeting.join_url)["createTime"] == str(
        fake.meetings[meeting.external_id].create_time
    )


def test_a_wrong_secret_fails_the_meeting_at_once(
    practice, account, fake, django_capture_on_commit_callbacks
):
    account.secret = "the-wrong-shared-secret"
    account.save()
    with django_capture_on_commit_callbacks(execute=True):
        booking = video(practice).booking
    meeting = Meeting.objects.get(booking=booking)
    assert (meeting.state, meeting.attempts) == (MeetingState.FAILED, 1)
    assert "checksumError" in meeting.last_error
    assert "the-wrong-shared-secret" not in meeting.last_error


def test_a_class_of_three_gets_three_links_into_one_bbb_meeting(
    practice, account, fake, django_capture_on_commit_callbacks
):
    session = practice.session
    bookings = three_class_seats(practice, django_capture_on_commit_callbacks)
    meeting = Meeting.objects.get(session=session)
    assert meeting.state == MeetingState.READY and fake.created == 1
    inside = session.start - timedelta(minutes=1)
    urls = [meeting_view(booking=b, viewer=customer_token(b), now=inside).raw_url for b in bookings]
    assert len(set(urls)) == 3
    assert {params(u)["meetingID"] for u in urls} == {meeting.external_id}
    for url in urls:
        assert follow(url).status_code == 302
    host = meeting_view(booking=None, viewer=host_token(meeting), now=inside, meeting=meeting)
    assert follow(host.raw_url).status_code == 302
    attendees = fake.meetings[meeting.external_id].attendees
    assert sorted(a["role"] for a in attendees) == ["MODERATOR", "VIEWER", "VIEWER", "VIEWER"]
    assert len({a["userID"] for a in attendees}) == 4
    assert {a["fullName"] for a in attendees if a["role"] == "VIEWER"} == {
        f"{b.first_name} {b.last_name}" for b in bookings
    }
