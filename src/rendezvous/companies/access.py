"""Who may see and change what. Views and API handlers call these helpers; they never
check roles themselves (docs/architecture.md invariant 6). The scopes of booking and
customer rows (access_bookings, access_booking, access_customers) are in bookings.access,
beside those rows, on the same rules (access_staff_scope).

| role | bookings |
| --- | --- |
| admin | every booking of the company; may change settings |
| senior | every booking of the company |
| junior | only the bookings of the staff profile tied to them |

What the back office may change (the staff API's /manage/ endpoints, docs/api.md):

| role | services, staff members | class sessions | schedules (hours, time off, exceptions) |
| --- | --- | --- | --- |
| admin | read, write | read, write | everyone's: read, write |
| senior | read | read, write | everyone's: read, write |
| junior | read | read | their own staff profile's only: read, write |
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from rendezvous.core.errors import Forbidden, NotFound
from rendezvous.core.tokens import hash_token

from .models import ApiToken, Company, Membership, Role, StaffMember

# Lowest first: a token never reaches further than its user's membership.
ROLE_RANK: dict[str, int] = {Role.JUNIOR: 0, Role.SENIOR: 1, Role.ADMIN: 2}


@dataclass(frozen=True)
class Actor:
    """A staff identity in one company: a logged-in member or an API token."""

    company: Company
    role: str
    staff_id: int | None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def sees_own_only(self) -> bool:
        """A junior: tied to one staff profile, sees only that column's rows."""
        return self.role == Role.JUNIOR


def access_allows(check: Callable[[Actor], None], actor: Actor) -> bool:
    """Whether the raising check `check` (one of the access_* below) lets `actor` through:
    what a page asks before it shows an action, from the rule the action enforces."""
    try:
        check(actor)
    except Forbidden:
        return False
    return True


def access_staff_scope(actor: Actor, field: str) -> Q:
    """Which rows tied to a staff member through `field` (a booking's "staff_id", a
    meeting's "session__staff_id" ...) the actor may see: all of their company's, or a
    junior's own staff profile's alone (none without one)."""
    if not actor.sees_own_only:
        return Q()
    return Q(**{field: actor.staff_id}) if actor.staff_id else Q(pk__in=[])


def access_sees_staff(actor: Actor, staff_id: int | None) -> bool:
    """Whether the actor may see what belongs to the staff member `staff_id` (of their
    company): the row-by-row form of access_staff_scope."""
    return not actor.sees_own_only or (actor.staff_id is not None and actor.staff_id == staff_id)


def access_sees_time_off_reason(actor: Actor, staff_id: int) -> bool:
    """Whether the actor may read why the staff member `staff_id` is off: the reason is
    private, for admins and the staff member themself (their colleagues see "time off")."""
    return actor.is_admin or (actor.staff_id is not None and actor.staff_id == staff_id)


def access_book_outside_hours(actor: Actor) -> None:
    """Booking a staff member outside their working hours: admins and seniors."""
    if actor.role not in (Role.ADMIN, Role.SENIOR):
        raise Forbidden()


def access_reassign_bookings(actor: Actor) -> bool:
    """Whether the actor may give a booking to another staff member: admins and seniors,
    who plan the whole team's day (a junior sees only their own column)."""
    return actor.role in (Role.ADMIN, Role.SENIOR)


def access_manage_customers(actor: Actor) -> None:
    """Correcting, merging, exporting and erasing customer records: admins and seniors."""
    if actor.role not in (Role.ADMIN, Role.SENIOR):
        raise Forbidden()


def access_record_payments(actor: Actor) -> None:
    """Recording money received by hand (cash, a transfer seen on the account): admins
    and seniors, who answer for the till."""
    if actor.role not in (Role.ADMIN, Role.SENIOR):
        raise Forbidden()


def access_company(actor: Actor, slug: str) -> Company:
    if actor.company.slug != slug:
        raise Forbidden()
    return actor.company


def access_manage_catalog(actor: Actor) -> None:
    """Services and staff members change what the whole company offers: admins only."""
    if actor.role != Role.ADMIN:
        raise Forbidden()


def access_read_team(actor: Actor) -> None:
    """The whole team's pages (staff members, everyone's hours): admins and seniors; a
    junior's part of the team settings is their own schedule (access_schedule)."""
    if actor.role not in (Role.ADMIN, Role.SENIOR):
        raise Forbidden()


def access_manage_sessions(actor: Actor) -> None:
    """Class sessions are day-to-day planning: admins and senior employees."""
    if actor.role not in (Role.ADMIN, Role.SENIOR):
        raise Forbidden()


def access_schedule(actor: Actor, staff_id: int) -> StaffMember:
    """The staff member whose hours, time off and exceptions the actor may read and
    change: NotFound for another company's, Forbidden for a junior reaching a colleague."""
    staff = StaffMember.objects.filter(pk=staff_id, company=actor.company).first()
    if staff is None:
        raise NotFound()
    if not access_sees_staff(actor, staff.pk):
        raise Forbidden()
    return staff


def access_company_row(actor: Actor, model, row_id: int | None):
    """A row of `model` (Service, StaffMember, ClassSession ...) that belongs to the
    actor's company; NotFound otherwise, so ids of other companies reveal nothing."""
    row = model.objects.filter(pk=row_id, company=actor.company).first() if row_id else None
    if row is None:
        raise NotFound()
    return row


def access_settings(user, company: Company) -> Actor:
    """A signed-in user who may change `company`'s settings (connect its meeting
    accounts ...): the company's admins, and the platform's superusers. Forbidden
    otherwise."""
    if user is None or not user.is_authenticated or not user.is_active:
        raise Forbidden()
    if user.is_superuser:
        return Actor(company=company, role=Role.ADMIN, staff_id=None)
    member = Membership.objects.filter(user=user, company=company).first()
    if member is None or member.role != Role.ADMIN:
        raise Forbidden()
    return Actor(company=company, role=member.role, staff_id=member.staff_id)


def access_meeting_connect(user, company: Company, staff_id: int | None) -> Actor:
    """A signed-in user who may connect a meeting account (staff_id: the staff member
    it belongs to, None for the company's) by signing in to its provider: whoever may
    change the company's settings (access_settings) any account, and every member
    their own staff profile's, so staff connect their own Teams or Zoom. Forbidden
    otherwise."""
    try:
        return access_settings(user, company)
    except Forbidden:
        if staff_id is None:
            raise
    actor = access_member(user, company)
    if actor.staff_id is None or actor.staff_id != staff_id:
        raise Forbidden()
    return actor


def access_memberships(user) -> list[Membership]:
    """The companies a signed-in user works for (the back office's company picker):
    none for a signed-out or deactivated user."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    return list(
        Membership.objects.filter(user=user).select_related("company").order_by("company__name")
    )


def access_member(user, company: Company) -> Actor:
    """A signed-in user's identity in `company` (the back office reached with the
    browser's session): an active user with a membership there, with its role (and a
    junior's own staff profile). Superusers are not members by being superusers: the
    platform's operators use the admin, and a company's calendar shows only to its
    staff. Forbidden otherwise."""
    if user is None or not user.is_authenticated or not user.is_active:
        raise Forbidden()
    member = Membership.objects.filter(user=user, company=company).first()
    if member is None:
        raise Forbidden()
    return Actor(company=company, role=member.role, staff_id=member.staff_id)


def access_api_token(secret: str, *, now: datetime) -> tuple[ApiToken, Actor] | None:
    """The token that `secret` names and the actor it speaks for, or None (a 401) when
    the token is unknown, revoked or expired, or its user is deactivated or no longer a
    member of the token's company.

    The user and the membership are read on every request, so taking someone out of a
    company shuts their tokens at once. The actor has the lower of the token's role and
    the membership's (and a junior member's own staff profile), so a demoted user's old
    admin token is demoted with them. A token without a user (a technical integration)
    answers to its own role and is ended by revoking it or by its expiry."""
    token = (
        ApiToken.objects.filter(secret_hash=hash_token(secret), revoked=False)
        .select_related("company", "user")
        .first()
    )
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        return None
    role, staff_id = token.role, token.staff_id
    user = token.user
    if user is not None:
        if not user.is_active:
            return None
        member = Membership.objects.filter(user=user, company=token.company).first()
        if member is None:
            return None
        if member.role == Role.JUNIOR or ROLE_RANK[member.role] < ROLE_RANK[role]:
            role, staff_id = member.role, member.staff_id
    return token, Actor(company=token.company, role=role, staff_id=staff_id)
