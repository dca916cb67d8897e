"""Emails and calendar invitations: editable templates, an outbox, iCalendar, a staff feed.

See docs/notifications.md for the design; the public entry points are in `domain`.
"""
