"""The zone select's list and labels, and times on the autumn change."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from rendezvous.core import formats
from rendezvous.core.zones import canonical_zones, known_zones
from tests.conftest import BERLIN

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("frozen_now")]


def test_the_list_holds_each_place_once_under_its_current_name():
    zones = canonical_zones()
    assert len(zones) == len(set(zones)) and set(zones) <= known_zones()
    assert zones[0] == "UTC"
    for alias in ("US/Eastern", "Asia/Calcutta", "Etc/GMT+5", "Etc/UTC", "GMT", "Europe/Kiev"):
        assert alias not in zones
    for place in ("Europe/Copenhagen", "Europe/Bucharest", "Asia/Kolkata", "Europe/Kyiv"):
        assert place in zones
    # About 420 rather than the 590 names tzdata knows.
    assert 350 < len(zones) < 450 < len(known_zones())


def test_labels_carry_the_offset_of_the_day_shown():
    assert formats.zone_choice_label(BERLIN, date(2026, 12, 1)) == "Berlin (CET, UTC+1)"
    assert formats.zone_choice_label(BERLIN, date(2027, 7, 1)) == "Berlin (CEST, UTC+2)"
    kolkata = ZoneInfo("Asia/Kolkata")
    assert formats.zone_choice_label(kolkata, date(2026, 12, 1)) == "Kolkata (IST, UTC+5:30)"
    # tzdata has no letters for Istanbul's time: the offset alone, not "+03, UTC+3".
    istanbul = ZoneInfo("Europe/Istanbul")
    assert formats.zone_choice_label(istanbul, date(2026, 12, 1)) == "Istanbul (UTC+3)"
    assert formats.zone_choice_label(ZoneInfo("UTC"), date(2026, 12, 1)) == "UTC"


def test_regions_and_cities_are_in_the_customers_language():
    with translation.override("de"):
        ungrouped, groups = formats.zone_choices(date(2026, 12, 1))
    assert ungrouped == (("UTC", "UTC"),)
    regions = dict(groups)
    assert ("Europe/Copenhagen", "Kopenhagen (CET, UTC+1)") in regions["Europa"]
    assert "Amerika" in regions and "Pazifik" in regions
    labels = [label for _key, label in regions["Europa"]]
    assert labels == sorted(labels, key=str.casefold)


def test_the_hour_the_autumn_change_repeats_is_told_apart_by_its_offset():
    first = datetime(2026, 10, 25, 0, 0, tzinfo=ZoneInfo("UTC"))  # 02:00 CEST
    second = first + timedelta(hours=1)  # 02:00 CET
    with translation.override("de"):
        assert formats.time_label(first, BERLIN) == "02:00 (UTC+2)"
        assert formats.time_label(second, BERLIN) == "02:00 (UTC+1)"
        assert formats.time_label(second + timedelta(hours=1), BERLIN) == "03:00"
        # The spring change skips an hour: nothing is shown twice, nothing gets a suffix.
        spring = datetime(2027, 3, 28, 1, 0, tzinfo=ZoneInfo("UTC"))  # 03:00 CEST
        assert formats.time_label(spring, BERLIN) == "03:00"
