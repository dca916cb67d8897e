"""Fixtures of the card tests: the fake Stripe, and a practice that takes cards."""

from decimal import Decimal

import pytest

from tests.fakes.stripe import FakeStripe
from tests.payments.card_support import take_cards


@pytest.fixture
def fake(settings):
    with FakeStripe() as stripe_fake:
        settings.STRIPE_API_BASE = stripe_fake.api_base
        yield stripe_fake


@pytest.fixture
def carded(practice, fake):
    """The practice takes cards; its video call costs 40.00 EUR and its yoga class 15.00,
    both paid in advance."""
    take_cards(practice.company)
    for service, price in ((practice.video, "40.00"), (practice.yoga, "15.00")):
        service.requires_payment = True
        service.price = Decimal(price)
        service.save()
    return practice
