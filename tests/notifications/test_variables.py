"""Single-pass `[variable]` substitution and the default templates (no database)."""

import re

import pytest

from rendezvous.notifications.defaults import DEFAULTS, LANGUAGES
from rendezvous.notifications.events import CUSTOMER, STAFF, Event
from rendezvous.notifications.variables import (
    PATTERN,
    allowed_variables,
    for_audience,
    misplaced_variables,
    render_html,
    render_subject,
    render_text,
    unknown_variables,
)

pytestmark = pytest.mark.unit


def test_values_are_inserted_once_and_never_expanded():
    values = {"customer_first_name": "[online_meeting_link]", "online_meeting_link": "https://x/j"}
    assert render_text("Hi [customer_first_name]", values) == "Hi [online_meeting_link]"
    assert render_subject("Hi [customer_first_name]", values) == "Hi [online_meeting_link]"
    assert "https://x/j" not in render_html("Hi [customer_first_name]", values)


def test_html_escapes_values_and_template_text_and_links_only_urls():
    values = {
        "customer_first_name": '<script>alert("x")</script>',
        "manage_link": "https://example.com/m?a=1&b=2",
        "cancel_link": "javascript:alert(1)",
    }
    html = render_html("<b>[customer_first_name]</b>\n[manage_link]\n[cancel_link]", values)
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert re.search(r'<a href="https://example.com/m\?a=1&amp;b=2" style="[^"]+">Manage', html)
    assert '<a href="javascript' not in html and "javascript:alert(1)" in html


def test_the_hosts_link_is_empty_for_a_customer_and_kept_for_staff():
    values = {
        "online_meeting_provider_link": "https://x/host",
        "online_meeting_link": "https://x/j",
    }
    assert for_audience(values, CUSTOMER) == values | {"online_meeting_provider_link": ""}
    assert for_audience(values, STAFF) == values
    assert misplaced_variables("[online_meeting_provider_link]", Event.REMINDER) == [
        "online_meeting_provider_link"
    ]
    assert misplaced_variables("[online_meeting_provider_link]", Event.MEETING_LINK_MISSING) == []


def test_a_link_in_text_stands_on_a_line_of_its_own_and_other_values_stay_put():
    values = {"manage_link": "https://x/m", "online_meeting_link": "Soon.", "location": "here"}
    assert render_text("Manage: [manage_link] or not", values) == "Manage:\nhttps://x/m\nor not"
    assert render_text("Manage: [manage_link].", values) == "Manage:\nhttps://x/m."
    assert render_text("[manage_link]\nB", values) == "https://x/m\nB"
    assert render_text("Video: [online_meeting_link] [location]", values) == "Video: Soon. here"


def test_headers_fold_line_breaks_and_control_characters():
    values = {"customer_first_name": "Bob\r\nBcc: x@evil.example", "service_name": "A\u2028B\x00"}
    subject = render_subject("[customer_first_name] / [service_name]", values)
    assert "\r" not in subject and "\n" not in subject and "\x00" not in subject
    assert subject == "Bob  Bcc: x@evil.example / A B"


def test_a_line_whose_variables_are_all_empty_is_left_out():
    body = "A\nVideo: [online_meeting_link]\n[online_meeting_instructions]\n\nB [location]"
    values = {"online_meeting_link": "", "online_meeting_instructions": "", "location": "here"}
    assert render_text(body, values) == "A\n\nB here"
    assert render_text(body, values | {"online_meeting_link": "soon"}) == "A\nVideo: soon\n\nB here"
    assert render_text("Where: [location]\nB", values | {"location": ""}) == "B"


def test_every_event_has_real_defaults_in_five_languages_with_known_variables():
    assert set(DEFAULTS) == set(Event.values)
    for event, versions in DEFAULTS.items():
        assert set(versions) == set(LANGUAGES), event
        english = versions["en"]
        for language, (subject, body) in versions.items():
            assert unknown_variables(subject + body, event) == [], (event, language)
            assert misplaced_variables(subject + body, event) == [], (event, language)
            if language != "en":
                assert subject != english[0] and body != english[1], (event, language)
            # A translation drops no information (German adds the last name to its greeting).
            assert set(PATTERN.findall(body)) >= set(PATTERN.findall(english[1])), (
                event,
                language,
            )


def test_the_decline_message_is_offered_only_where_staff_write_one():
    names = {v.name for v in allowed_variables(Event.REQUEST_DECLINED)}
    assert "staff_message" in names
    assert "staff_message" not in {v.name for v in allowed_variables(Event.BOOKING_CONFIRMED)}
    assert unknown_variables("Note: [staff_message]", Event.BOOKING_CONFIRMED) == ["staff_message"]
    assert unknown_variables("Note: [staff_message]", Event.REQUEST_DECLINED) == []
