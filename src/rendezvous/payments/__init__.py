"""Payments: card (Stripe Checkout), credits, passes, bank transfer and pay on site."""
