"""booking_create keeps rendering out of its write transaction (bench/README.md:
"side effects after commit"): templates, links and meeting reads come after the
booking's outbox rows are written, never between the lock and the commit."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rendezvous.notifications.models import OutboxMessage
from tests.conftest import TOMORROW_10, book

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]


@pytest.mark.parametrize("requires_confirmation", [False, True])
def test_emails_are_rendered_after_the_booking_transaction(practice, requires_confirmation):
    practice.service.requires_confirmation = requires_confirmation
    practice.service.save()
    with CaptureQueriesContext(connection) as queries:
        booking = book(practice, TOMORROW_10).booking
    sqls = [q["sql"] for q in queries.captured_queries]
    inserts = [
        i
        for i, sql in enumerate(sqls)
        if sql.startswith('INSERT INTO "notifications_outboxmessage"')
    ]
    templates = [i for i, sql in enumerate(sqls) if '"notifications_messagetemplate"' in sql]
    assert len(inserts) == 2
    # Rendering (a template lookup per message) happens, but only after the last row
    # of the transaction was written.
    assert templates and min(templates) > max(inserts)
    rows = OutboxMessage.objects.filter(booking=booking)
    assert rows.count() == 2 and not rows.filter(to_render=True).exists()
    assert all(row.subject and row.body_text for row in rows)
