"""The typed inputs of domain writes: each entity's `<Entity>Fields` dataclass gives
every writable field, UNSET for "leave it as it is" (a PATCH that names two fields
changes two). Shared by every app's domain (companies, catalog, availability,
bookings, payments, meetings, notifications), so one sentinel means the same
everywhere."""

from __future__ import annotations

import dataclasses
import enum
from typing import Any, Final, Literal


class Unset(enum.Enum):
    """The type of UNSET: a field the caller did not give."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset.UNSET
# A field of a `<Entity>Fields`: a value, or UNSET for "leave it as it is".
type Maybe[T] = T | Literal[Unset.UNSET]
# A row's id as the API spells it (a string of digits).
type Ref = str


def or_none[T](value: Maybe[T]) -> T | None:
    """A field's value, None when it was not given: a required field left UNSET is
    refused as an empty one is."""
    return None if value is UNSET else value


def given(fields: Any) -> dict[str, Any]:
    """The fields of a `<Entity>Fields` dataclass that are not UNSET, by name."""
    return {
        field.name: value
        for field in dataclasses.fields(fields)
        if (value := getattr(fields, field.name)) is not UNSET
    }
