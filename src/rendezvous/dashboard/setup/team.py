"""Settings: the team (staff members, hours, time off, exceptions, invitations)."""

urlpatterns: list = []
