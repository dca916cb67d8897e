"""Every write to companies, locations, resources, staff members, memberships and API
tokens, one module per entity; `cleaning` holds the field checks the setup writes share
(catalog.domain and availability.domain too). The staff API, the back office, the
Django admin and the management commands all write through here.

Every function checks all fields first and raises one ValidationFailed naming each
bad field, so a refused request writes nothing. An id of another company's row is a
field error like any other: it is never dropped silently, and its message does not
say whether the row exists elsewhere.

Each write takes its entity's `<Entity>Fields` (a frozen, keyword-only dataclass,
cleaning.UNSET for every field not given), so a PATCH changes exactly the fields sent
and an unknown field fails at construction. Ids are strings, as the API spells them.
`None` clears a field that may be empty and is an error for one that may not.
"""

from .cleaning import (
    UNSET,
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
from .company import COMPANY, CompanyFields, company_create, company_delete, company_update
from .first_run import AdminFields, SetUp, company_setup, is_first_run
from .members import (
    MEMBERSHIP,
    Invited,
    MembershipFields,
    member_invite,
    membership_create,
    membership_delete,
    membership_update,
)
from .places import (
    LOCATION,
    RESOURCE,
    LocationFields,
    ResourceFields,
    location_create,
    location_delete,
    location_update,
    resource_create,
    resource_delete,
    resource_update,
)
from .staff import STAFF, StaffFields, staff_create, staff_deactivate, staff_delete, staff_update
from .tokens import (
    API_TOKEN,
    ApiTokenFields,
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
    "UNSET",
    "AdminFields",
    "ApiTokenFields",
    "CompanyFields",
    "LocationFields",
    "MembershipFields",
    "ResourceFields",
    "StaffFields",
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
