"""Class sessions in the audit log: scheduled, changed (each field's old and new value),
cancelled (with how many bookings it took) and deleted each leave one entry naming who
acted; a refused change leaves none."""

from datetime import timedelta

import pytest

from rendezvous.bookings import domain
from rendezvous.bookings.domain import SessionFields
from rendezvous.companies.models import Role
from rendezvous.core.errors import ValidationFailed
from tests.audit import as_staff, entries
from tests.conftest import NOW, TOMORROW_10, book
from tests.dashboard.conftest import member

pytestmark = pytest.mark.integration

START = TOMORROW_10 + timedelta(days=2)


def session_entries():
    return [e for e in entries() if e.entity == "class_session"]


def test_a_sessions_life_is_in_the_log_with_who_did_it(practice):
    senior = member(practice.company, "senior", Role.SENIOR)
    with as_staff(senior):
        session = domain.session_create(
            company=practice.company,
            fields=SessionFields(
                service=str(practice.yoga.pk),
                staff=str(practice.staff[0].pk),
                start=START,
                capacity=8,
            ),
            now=NOW,
        )
        domain.session_update(session=session, fields=SessionFields(capacity=12), now=NOW)
        book(practice, None, service=practice.yoga, session_id=session.pk, n="seat")
        domain.session_cancel(session=session, now=NOW)
    created, updated, cancelled = session_entries()
    assert {e.entity_id for e in (created, updated, cancelled)} == {str(session.pk)}
    assert created.action == "created"
    assert created.changes["capacity"] == [None, 8]
    assert created.changes["start"] == [None, START.isoformat()]
    assert created.changes["staff"] == [None, practice.staff[0].pk]
    assert (updated.action, updated.changes) == ("updated", {"capacity": [8, 12]})
    assert (cancelled.action, cancelled.changes) == ("cancelled", {"bookings": 1})
    assert {(e.actor_kind, e.user_id) for e in session_entries()} == {("staff", senior.pk)}


def test_deleting_a_session_without_bookings_is_logged(practice):
    session_id = practice.session.pk
    domain.session_delete(session=practice.session)
    [deleted] = session_entries()
    assert (deleted.action, deleted.entity_id, deleted.actor_kind) == (
        "deleted",
        str(session_id),
        "system",
    )


def test_a_refused_change_logs_nothing(practice):
    book(practice, None, service=practice.yoga, session_id=practice.session.pk, participants=3)
    with pytest.raises(ValidationFailed):
        domain.session_update(session=practice.session, fields=SessionFields(capacity=2), now=NOW)
    assert session_entries() == []
