"""Embedding and security headers in a real browser: the inline embed's height, the
popup's layout, who receives the embed's events, and pages working under their CSP."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def csp_violations(page) -> None:
    page.add_init_script(
        """window.__violations = [];
        document.addEventListener('securitypolicyviolation',
            e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"""
    )


def test_admin_and_api_docs_work_under_their_policy(demo, new_page, live_server):
    get_user_model().objects.create_superuser("op", "op@example.com", "op-password-1")
    page = new_page(bypass_csp=False)
    csp_violations(page)
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("op")
    page.get_by_label("Password").fill("op-password-1")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    page.goto("/admin/companies/company/")
    page.get_by_role("link", name="Rendezvous Demo").first.click()
    expect(page.get_by_label("Sites that may embed the booking pages")).to_be_visible()
    assert page.evaluate("window.__violations") == []
    page.goto("/api/v1/docs")
    # Swagger UI (our own copy) renders the operations from the OpenAPI document.
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    assert page.evaluate("window.__violations") == []
