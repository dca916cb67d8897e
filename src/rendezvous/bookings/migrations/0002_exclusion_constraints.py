"""No double booking, enforced by PostgreSQL itself (docs/architecture.md invariant 1).

Active bookings ('requested', 'confirmed') of one staff member, or of one resource,
may not have overlapping blocked ranges (buffers included). Class-seat bookings share
their session's time by design and are left out; the session row lock guards them.
SQLite has no exclusion constraints: there, IMMEDIATE transactions serialise the
check-and-insert (bookings.domain.locking).
"""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

CONSTRAINTS = {
    "booking_staff_no_overlap": "staff_id",
    "booking_resource_no_overlap": "resource_id",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in CONSTRAINTS.items():
        schema_editor.execute(
            f"ALTER TABLE bookings_booking ADD CONSTRAINT {name} EXCLUDE USING gist "
            f"({column} WITH =, tstzrange(blocked_start, blocked_end, '[)') WITH &&) "
            f"WHERE (status IN ('requested', 'confirmed') AND session_id IS NULL AND {column} IS NOT NULL)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in CONSTRAINTS:
        schema_editor.execute(f"ALTER TABLE bookings_booking DROP CONSTRAINT IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("bookings", "0001_initial")]
    operations = [BtreeGistExtension(), migrations.RunPython(create, drop)]
