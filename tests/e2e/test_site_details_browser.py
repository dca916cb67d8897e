"""The booking site's details in a real browser: how the week, the zone select and the
header look, on a desktop and on a phone, on the frozen clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.conftest import BERLIN, TOMORROW_10, book
from tests.factories import CompanyFactory, ServiceFactory, StaffFactory

from .conftest import check_axe

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True}


def times_url(practice, lang="en", week="2026-11-30", **query) -> str:
    params = {"service": practice.video.pk, "staff": "any", "week": week} | query
    return f"/{lang}/{practice.company.slug}/?" + "&".join(f"{k}={v}" for k, v in params.items())


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found is not None, f"{locator} is not drawn"
    return found


def test_a_day_shows_its_times_under_part_of_day_headings(practice, new_page):
    page = new_page()
    page.goto(times_url(practice))
    day = page.get_by_role("group", name="Wednesday, December 2, 2026")
    expect(day.get_by_role("heading", name="Morning")).to_be_visible()
    expect(day.get_by_role("heading", name="Afternoon")).to_be_visible()
    morning = day.get_by_role("group", name="Morning")
    expect(morning.locator("label").first).to_have_text("9:00 AM")
    expect(morning.locator("label").last).to_have_text("11:45 AM")
    expect(day.get_by_role("group", name="Afternoon").locator("label").first).to_have_text(
        "12:00 PM"
    )
    check_axe(page, "times grouped by part of the day")


def test_the_week_buttons_are_as_wide_as_their_text(practice, new_page):
    page = new_page()
    page.goto(times_url(practice, week="2026-12-07"))
    previous = box(page.get_by_role("link", name="Previous week"))
    following = box(page.get_by_role("link", name="Next week"))
    # The two labels differ by a few letters, not by a third of the page.
    assert abs(previous["width"] - following["width"]) < 40, (previous, following)
    assert previous["width"] < 200


@pytest.mark.parametrize("lang", ["en", "da", "de", "ro", "es"])
def test_on_a_phone_the_languages_and_the_steps_fit_on_one_line(practice, new_page, lang):
    page = new_page(locale=lang, **PHONE)
    page.goto(times_url(practice, lang=lang, week="2026-12-07"))
    for bar, item in ((".languages ul", ".languages li"), (".steps ol", ".steps li")):
        line = box(page.locator(item).first)["height"]
        height = box(page.locator(bar))["height"]
        assert height < 1.5 * line, f"{bar} in {lang}: {height}px for lines of {line}px"
    # The week's buttons stay inside the page, the dates on one line above them.
    content = box(page.locator("main"))
    for link in page.locator(".week-nav a").all():
        assert box(link)["x"] + box(link)["width"] <= content["x"] + content["width"] + 0.5
    title = page.locator(".week-nav h2")
    assert box(title)["height"] < 2 * box(page.locator(".week h3").first)["height"]
    # Every step is still there for a screen reader, the current one marked.
    steps = page.get_by_role("navigation", name=page.locator(".steps").get_attribute("aria-label"))
    expect(steps.locator("li")).to_have_count(5)
    expect(steps.locator("li[aria-current=step]")).to_have_count(1)
    check_axe(page, f"times on a phone ({lang})")


def test_the_zone_select_offers_canonical_zones_by_region(practice, new_page):
    page = new_page()
    page.goto(times_url(practice, tz="Europe/Berlin"))
    select = page.get_by_label("Times are shown in")
    expect(select).to_have_value("Europe/Berlin")
    # December: Berlin is on winter time.
    expect(select.locator("option:checked")).to_have_text("Berlin (CET, UTC+1)")
    values = select.locator("option").evaluate_all("os => os.map(o => o.value)")
    assert "US/Eastern" not in values and "Asia/Calcutta" not in values
    assert "Etc/GMT+5" not in values and "Asia/Kolkata" in values
    assert len(values) == len(set(values)) and len(values) < 450
    groups = select.locator("optgroup").evaluate_all("gs => gs.map(g => g.label)")
    assert {"Europe", "Americas", "Asia"} <= set(groups)
    europe = select.locator("optgroup[label=Europe] option")
    assert "Copenhagen (CET, UTC+1)" in europe.all_inner_texts()
    # Picking another zone by its name moves the times there.
    select.select_option("America/New_York")
    expect(page.get_by_label("Times are shown in")).to_have_value("America/New_York")
    expect(page.get_by_text("The business is in another time zone")).to_be_visible()


def test_the_zone_search_narrows_the_select(practice, new_page):
    page = new_page(locale="de-DE")
    page.goto(times_url(practice, lang="de", tz="Europe/Berlin"))
    select = page.get_by_label("Zeiten werden angezeigt in")
    shown = "os => os.filter(o => !o.hidden && !o.parentElement.hidden).map(o => o.textContent)"
    page.get_by_label("Zeitzone suchen").fill("kolk")
    # The chosen zone stays in the list, so the closed select still names it.
    found = set(select.locator("option").evaluate_all(shown))
    assert found == {"Kalkutta (IST, UTC+5:30)", "Berlin (CET, UTC+1)"}
    page.get_by_label("Zeitzone suchen").fill("utc-3 sao")
    found = set(select.locator("option").evaluate_all(shown))
    assert found == {"São Paulo (UTC-3)", "Berlin (CET, UTC+1)"}
    page.get_by_label("Zeitzone suchen").fill("")
    assert len(select.locator("option").evaluate_all(shown)) > 400
    check_axe(page, "zone search")
    select.select_option("America/Sao_Paulo")
    expect(page.get_by_label("Zeiten werden angezeigt in")).to_have_value("America/Sao_Paulo")


def test_the_twice_02_00_of_the_autumn_change_says_which_is_which(db, frozen_now, new_page):
    frozen_now.move_to(datetime(2026, 10, 20, 8, 0, tzinfo=BERLIN))
    company = CompanyFactory(slug="night")
    sunday = 6
    staff = StaffFactory(company=company, name="Nox", hours=[(sunday, "00:00", "05:00")])
    service = ServiceFactory(company=company, name="Night call", duration_minutes=30, staff=[staff])
    page = new_page()
    page.goto(f"/de/night/?service={service.pk}&staff=any&week=2026-10-19&tz=Europe/Berlin")
    day = page.get_by_role("group", name="Sonntag, 25. Oktober 2026")
    twice = day.locator("label", has_text="02:00")
    expect(twice).to_have_count(2)
    first, second = twice.all_inner_texts()
    assert first != second, (first, second)
    assert "UTC+2" in first and "UTC+1" in second
    # An unambiguous time keeps its plain label.
    expect(day.locator("label", has_text="04:00")).to_have_text("04:00")


def test_an_in_person_service_card_has_no_empty_badge_line(practice, new_page):
    page = new_page()
    page.goto(f"/en/{practice.company.slug}/")
    card = page.locator(".card-link", has_text="Consultation").first
    title = box(card.locator(".card-title"))
    meta = box(card.locator(".card-meta"))
    # The service has no description: the meta line comes right under the title.
    assert meta["y"] - (title["y"] + title["height"]) < 4, (title, meta)
    expect(card.locator(".badges")).to_have_count(0)


def test_a_browser_in_utc_sees_utc_on_the_manage_page(practice, new_page):
    created = book(practice, TOMORROW_10 + timedelta(days=3), service=practice.video)
    page = new_page(timezone_id="UTC")
    page.goto(f"/en/manage/{created.booking.id}/{created.manage_token}/")
    select = page.get_by_label("Times are shown in")
    expect(select).to_have_value("UTC")
    expect(select.locator("option:checked")).to_have_text("UTC")
    check_axe(page, "manage in UTC")
