"""Every write to companies, locations, resources, staff members, memberships and API
tokens, one module per entity; `cleaning` holds the field checks the setup writes share
(catalog.domain and availability.domain too). The staff API, the back office, the
Django admin and the management commands all write through here.

Every function checks all fields first and raises one ValidationFailed naming each
bad field, so a refused request writes nothing. An id of another company's row is a
field error like any other: it is never dropped silently, and its message does not
say whether the row exists elsewhere.

Inputs arrive as the API schemas typed them (ints, bools, strings, lists of id
strings); `values` holds only the fields the caller sent, so a PATCH changes exactly
those. `None` clears a field that may be empty and is an error for one that may not.
"""

from .cleaning import (
    FieldErrors,
    clean_bool,
    clean_choice,
    clean_email,
    clean_int,
    clean_text,
    clean_user,
    company_row,
    company_rows,
    junior_needs_staff,
    parse_ref,
)
from .company import COMPANY, company_create, company_delete, company_update
from .first_run import SetUp, company_setup, is_first_run
from .members import (
    MEMBERSHIP,
    Invited,
    member_invite,
    membership_create,
    membership_delete,
    membership_update,
)
from .places import (
    LOCATION,
    RESOURCE,
    location_create,
    location_delete,
    location_update,
    resource_create,
    resource_delete,
    resource_update,
)
from .staff import STAFF, staff_create, staff_deactivate, staff_delete, staff_update
from .tokens import (
    API_TOKEN,
    api_token_delete,
    api_token_issue,
    api_token_revoke,
    api_token_touch,
    api_token_update,
)

__all__ = [
    "API_TOKEN",
    "COMPANY",
    "LOCATION",
    "MEMBERSHIP",
    "RESOURCE",
    "STAFF",
    "FieldErrors",
    "Invited",
    "SetUp",
    "api_token_delete",
    "api_token_issue",
    "api_token_revoke",
    "api_token_touch",
    "api_token_update",
    "clean_bool",
    "clean_choice",
    "clean_email",
    "clean_int",
    "clean_text",
    "clean_user",
    "company_create",
    "company_delete",
    "company_row",
    "company_rows",
    "company_setup",
    "company_update",
    "is_first_run",
    "junior_needs_staff",
    "location_create",
    "location_delete",
    "location_update",
    "member_invite",
    "membership_create",
    "membership_delete",
    "membership_update",
    "parse_ref",
    "resource_create",
    "resource_delete",
    "resource_update",
    "staff_create",
    "staff_deactivate",
    "staff_delete",
    "staff_update",
]
