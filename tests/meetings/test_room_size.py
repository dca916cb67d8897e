"""An online class is refused a capacity the built-in video room cannot carry, where the
session is written (bookings.domain session_create and session_update, which the admin
writes through too); a class served by another provider keeps any capacity."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from rendezvous.bookings import domain as editing
from rendezvous.catalog.models import ClassSession
from rendezvous.core.errors import ValidationFailed
from rendezvous.core.rooms import builtin_room_seats
from rendezvous.meetings.domain.room_size import meeting_session_fits, session_provider
from rendezvous.meetings.models import MeetingAccount
from tests.conftest import NOW, TOMORROW_10, snapshot

pytestmark = pytest.mark.integration


def sessions() -> list[tuple]:
    return list(
        ClassSession.objects.order_by("id").values_list(
            "id", "capacity", "online", "staff_id", "start", "end"
        )
    )


def new_session(practice, capacity: int, **values) -> ClassSession:
    return editing.session_create(
        company=practice.company,
        fields=editing.SessionFields(
            **{
                "service": str(practice.yoga.id),
                "staff": str(practice.staff[0].id),
                "start": TOMORROW_10 + timedelta(days=2),
                "capacity": capacity,
                "online": True,
                **values,
            }
        ),
        now=NOW,
    )


def test_the_built_in_room_holds_six_so_a_class_has_five_seats(settings):
    assert settings.ROOM_MAX_PARTICIPANTS == 6
    assert builtin_room_seats() == 5


def test_an_online_class_larger_than_the_room_is_refused_and_nothing_written(practice):
    before, rows = snapshot(), sessions()
    with pytest.raises(ValidationFailed) as info:
        new_session(practice, 6)
    (message,) = info.value.fields["capacity"]
    assert "at most 6 people" in message and "at most 5" in message and "Jitsi" in message
    assert (snapshot(), sessions()) == (before, rows)
    assert new_session(practice, 5).capacity == 5


def test_raising_the_capacity_of_an_online_class_past_the_room_is_refused(practice):
    session = new_session(practice, 5)
    before, rows = snapshot(), sessions()
    with pytest.raises(ValidationFailed) as info:
        editing.session_update(session=session, fields=editing.SessionFields(capacity=6), now=NOW)
    assert "capacity" in info.value.fields
    # Switching a large offline class online is the same change.
    offline = new_session(practice, 12, online=False, start=TOMORROW_10 + timedelta(days=3))
    rows = sessions()
    with pytest.raises(ValidationFailed):
        editing.session_update(session=offline, fields=editing.SessionFields(online=True), now=NOW)
    assert (snapshot(), sessions()) == (before, rows)


def test_a_class_served_by_another_provider_keeps_its_capacity(practice, jitsi):
    session = new_session(practice, 12)
    assert session_provider(session) == "jitsi" and session.capacity == 12
    # Switching the account off would put it in the built-in room: the next change of
    # its capacity is judged by the room's size again.
    MeetingAccount.objects.filter(pk=jitsi.pk).update(active=False)
    with pytest.raises(ValidationFailed):
        editing.session_update(session=session, fields=editing.SessionFields(capacity=11), now=NOW)
    # A change that leaves capacity, online and staff alone is not refused.
    moved = editing.session_update(
        session=session,
        fields=editing.SessionFields(start=TOMORROW_10 + timedelta(days=4)),
        now=NOW,
    )
    assert moved.capacity == 12


def test_offline_classes_and_companies_without_online_meetings_are_not_limited(practice):
    assert new_session(practice, 40, online=False).capacity == 40
    session = ClassSession(
        company=practice.company,
        service=practice.yoga,
        staff=practice.staff[0],
        capacity=40,
        online=True,
    )
    practice.company.online_meetings_enabled = False
    meeting_session_fits(session=session)  # no error


def test_the_admin_refuses_the_same_class_and_writes_nothing(client, practice):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com"))
    data = {
        "company": practice.company.pk,
        "service": practice.yoga.pk,
        "staff": practice.staff[0].pk,
        "start_0": "2026-12-06",
        "start_1": "10:00",
        "end_0": "2026-12-06",
        "end_1": "11:00",
        "capacity": "6",
        "online": "on",
        "_save": "1",
    }
    rows = sessions()
    response = client.post(reverse("admin:catalog_classsession_add"), data)
    assert response.status_code == 200
    assert "at most 5" in str(response.context["adminform"].form.errors["capacity"])
    assert sessions() == rows
    response = client.post(reverse("admin:catalog_classsession_add"), {**data, "capacity": "5"})
    assert response.status_code == 302
    assert len(sessions()) == len(rows) + 1
