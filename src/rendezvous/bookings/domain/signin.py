"""My bookings sign-in links: each signs in once.

| step | function | writes |
| --- | --- | --- |
| the customer asks | `signin_link_issue` | a SignInLink (nonce hash, email, expiry); drops the company's expired ones |
| the link is opened (GET, also by mail scanners) | `signin_link_check` | nothing |
| the customer presses "Sign in" (POST) | `signin_link_use` | used_at, once: of two concurrent uses one wins |
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rendezvous.companies.models import Company
from rendezvous.core import tokens
from rendezvous.core.errors import InvalidState, NotFound

from ..models import SignInLink

LINK_USED = _("This sign-in link was already used.")


def signin_link_issue(*, company: Company, email: str, now: datetime | None = None) -> str:
    """A new sign-in token for `email` at `company`. Side effect: writes its SignInLink."""
    now = now or timezone.now()
    nonce = tokens.new_nonce()
    with transaction.atomic():
        SignInLink.objects.filter(company=company, expires_at__lt=now).delete()
        SignInLink.objects.create(
            company=company,
            email=email.strip().lower(),
            nonce_hash=tokens.hash_token(nonce),
            created_at=now,
            expires_at=now + timedelta(seconds=tokens.SIGNIN_MAX_AGE),
        )
    return tokens.signin_token(company.pk, nonce)


def _link(company: Company, token: str, now: datetime) -> SignInLink:
    nonce = tokens.signin_nonce(company.pk, token)
    link = (
        SignInLink.objects.filter(company=company, nonce_hash=tokens.hash_token(nonce)).first()
        if nonce
        else None
    )
    if link is None or link.expires_at <= now:
        raise NotFound()
    if link.used_at is not None:
        raise InvalidState(LINK_USED)
    return link


def signin_link_check(*, company: Company, token: str, now: datetime | None = None) -> None:
    """Raises NotFound for a forged, foreign or expired link, InvalidState for a used one.
    Reads only: opening a link must not spend it."""
    _link(company, token, now or timezone.now())


def signin_link_use(*, company: Company, token: str, now: datetime | None = None) -> str:
    """The email the link signs in, spending the link; raises as signin_link_check does."""
    now = now or timezone.now()
    with transaction.atomic():
        link = _link(company, token, now)
        # The condition is in the UPDATE itself: of two uses at once, the second finds
        # used_at set once the first commits, and changes nothing.
        spent = SignInLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=now)
        if spent != 1:
            raise InvalidState(LINK_USED)
    return link.email
