"""The typed inputs of the domain writes (`<Entity>Fields`): a field not given is UNSET
and left alone, a name the entity does not have is refused when the input is made
(not ignored), and an input cannot change once made."""

import dataclasses

import pytest

from rendezvous.availability.domain import DateExceptionFields, HoursFields, TimeOffFields
from rendezvous.bookings.domain import SessionFields
from rendezvous.catalog.domain import CategoryFields, ServiceFields
from rendezvous.companies.domain import (
    UNSET,
    AdminFields,
    ApiTokenFields,
    CompanyFields,
    LocationFields,
    MembershipFields,
    ResourceFields,
    StaffFields,
)
from rendezvous.companies.domain.cleaning import given
from rendezvous.meetings.domain import MeetingAccountFields, StaffMeetingFields
from rendezvous.notifications.domain import NotificationSettingsFields

pytestmark = pytest.mark.unit

ALL = [
    AdminFields,
    ApiTokenFields,
    CategoryFields,
    CompanyFields,
    DateExceptionFields,
    HoursFields,
    LocationFields,
    MeetingAccountFields,
    MembershipFields,
    NotificationSettingsFields,
    ResourceFields,
    ServiceFields,
    SessionFields,
    StaffFields,
    StaffMeetingFields,
    TimeOffFields,
]


@pytest.mark.parametrize("cls", ALL, ids=lambda cls: cls.__name__)
def test_an_unknown_field_is_refused_when_the_input_is_made(cls):
    with pytest.raises(TypeError):
        cls(nmae="typo")


@pytest.mark.parametrize("cls", ALL, ids=lambda cls: cls.__name__)
def test_fields_are_keyword_only_unset_by_default_and_frozen(cls):
    empty = cls()
    assert given(empty) == {}
    assert all(getattr(empty, f.name) is UNSET for f in dataclasses.fields(cls))
    first = dataclasses.fields(cls)[0].name
    with pytest.raises(TypeError):
        cls("positional")
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(empty, first, None)


def test_only_the_fields_given_are_given_none_included():
    assert given(ServiceFields(name="Cut", location=None)) == {"name": "Cut", "location": None}
