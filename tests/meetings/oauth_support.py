"""Helpers shared by the OAuth provider tests (Teams, Google Meet, Zoom's OAuth app):
connected accounts, the sign-in round trip through our views, a raw look at the
token columns, and a snapshot of an account to prove a refusal changed nothing."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from django.contrib.messages import get_messages
from django.db import connection
from django.urls import reverse

from rendezvous.meetings.models import MeetingAccount


def query_of(url: str) -> dict:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


def raw_tokens(account: MeetingAccount) -> tuple[str, str]:
    """The token columns as stored, bypassing the model field (no decryption)."""
    table = MeetingAccount._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT access_token, refresh_token FROM {table} WHERE id = %s", [account.pk]
        )
        return cursor.fetchone()


def snapshot(account: MeetingAccount) -> tuple:
    """Everything a connection attempt could change, raw token columns included."""
    row = MeetingAccount.objects.filter(pk=account.pk).values_list(
        "app_id",
        "secret",
        "token_expires_at",
        "connected_as",
        "connected_at",
        "needs_reconnect",
        "refresh_lease_until",
    )
    return (*row.get(), *raw_tokens(account))


def messages_of(response) -> list[str]:
    """The messages this response added (earlier, unread ones stay in the session)."""
    storage = get_messages(response.wsgi_request)
    return [str(m) for m in storage._queued_messages]


def oauth_session_keys(client) -> list[str]:
    return [k for k in dict(client.session.items()) if k.startswith("meetings.oauth.")]


def csrf_token(client, account: MeetingAccount) -> str:
    """The admin change page's CSRF token (what the Connect button submits with)."""
    page = client.get(reverse("admin:meetings_meetingaccount_change", args=[account.pk]))
    assert page.status_code == 200
    return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()


def start_connect(client, account: MeetingAccount, token: str = "", **extra):
    """POST the Connect button like the admin page does (the test client skips the CSRF
    check unless made with enforce_csrf_checks=True); returns the response."""
    url = reverse("meetings:oauth_connect", args=[account.provider, account.pk])
    return client.post(url, {"csrfmiddlewaretoken": token} if token else {}, **extra)


def callback(client, provider: str, **params):
    return client.get(reverse("meetings:oauth_callback", args=[provider]), params)


def sign_in(client, account: MeetingAccount, issuer, user: dict | None = None):
    """The whole round trip: Connect, the provider's sign-in (the fake issues a code for
    the URL we redirected to), the callback. Returns (authorize query, callback response)."""
    response = start_connect(client, account)
    assert response.status_code == 302, response
    query = query_of(response["Location"])
    code = issuer.authorize(query, user=user)
    return query, callback(client, account.provider, state=query["state"], code=code)
