"""Settings: the team (staff members, hours, time off, exceptions, invitations).

| screen | reads | writes |
| --- | --- | --- |
| the staff list, a member's page | admins and seniors | admins (access_manage_catalog): staff_create, staff_update, staff_deactivate, staff_delete, member_invite |
| a member's hours, time off, date exceptions | access_schedule: admins and seniors everyone's, a junior their own | the same: working_hours_replace, time_off_create/delete, date_exception_create/delete |

The week is edited as one form and saved with working_hours_replace: a row per span,
grouped by weekday, with an empty row under each day for one more span (a split
shift), so the page needs no script. An invitation's email carries an allauth
password-reset key (allauth's own token and link), so the invited person chooses a
password on allauth's page, which then stops accepting the key.
"""

from dataclasses import dataclass, field
from datetime import date, time
from itertools import groupby

from allauth.account.adapter import get_adapter
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rendezvous.availability import domain as schedule
from rendezvous.availability.models import (
    DateException,
    ExceptionKind,
    TimeOff,
    Weekday,
    WorkingHours,
)
from rendezvous.catalog.models import Service
from rendezvous.companies import domain as companies
from rendezvous.companies.access import (
    Actor,
    access_allows,
    access_company_row,
    access_manage_catalog,
    access_read_team,
    access_schedule,
    access_sees_time_off_reason,
)
from rendezvous.companies.models import Membership, Role, StaffMember
from rendezvous.core.audit import history
from rendezvous.core.errors import DomainError
from rendezvous.meetings.models import MeetingAccount

from ..refusals import form_errors
from ..views import aware_start, office_view

# Rows the week form may send: the domain's own limit plus an empty row per weekday.
MAX_ROWS = schedule.MAX_SPANS + 7


def _grouped(services) -> list[tuple[str, list[Service]]]:
    """Services by category (in the categories' order), those without one last."""
    ordered = sorted(
        services,
        key=lambda s: (
            s.category is None,
            s.category.position if s.category else 0,
            s.category_id or 0,
            s.position,
            s.name,
        ),
    )
    return [
        (name or _("No category"), list(rows))
        for name, rows in groupby(ordered, key=lambda s: s.local_category_name)
    ]


def _service_choices(actor: Actor, member: StaffMember | None):
    """What a staff member may be said to give: the active services, and any inactive
    one they already give (so saving the form does not drop it silently)."""
    given = Q(active=True) | (Q(staff=member) if member is not None else Q(pk__in=[]))
    return _grouped(
        Service.objects.filter(given, company=actor.company)
        .select_related("category", "company")
        .distinct()
    )


def _staff_values(post) -> dict:
    return {
        "name": post.get("name", ""),
        "email": post.get("email", ""),
        "locations": post.getlist("locations"),
        "services": post.getlist("services"),
        "online_bookable": post.get("online_bookable") == "on",
    }


def _form_context(actor: Actor, member: StaffMember | None, post=None) -> dict:
    if post is not None:
        chosen_locations = set(post.getlist("locations"))
        chosen_services = set(post.getlist("services"))
    elif member is not None:
        chosen_locations = {str(pk) for pk in member.locations.values_list("pk", flat=True)}
        chosen_services = {str(pk) for pk in member.services.values_list("pk", flat=True)}
    else:
        chosen_locations, chosen_services = set(), set()
    return {
        "locations": list(actor.company.locations.order_by("name")),
        "service_groups": _service_choices(actor, member),
        "chosen_locations": chosen_locations,
        "chosen_services": chosen_services,
    }


@office_view
def team(request, actor: Actor):
    if not access_allows(access_read_team, actor):
        # A junior's part of these settings is their own schedule.
        if actor.staff_id is None:
            raise Http404()
        return redirect("office:team_hours", staff_id=actor.staff_id)
    errors: dict[str, list[str]] = {}
    post = None
    if request.method == "POST":
        access_manage_catalog(actor)
        post = request.POST
        try:
            created = companies.staff_create(
                company=actor.company, fields=companies.StaffFields(**_staff_values(post))
            )
        except DomainError as exc:
            errors = form_errors(exc)
        else:
            messages.success(request, _("%(name)s is on the team.") % {"name": created.name})
            return redirect("office:team_member", staff_id=created.pk)
    rows = list(
        StaffMember.objects.filter(company=actor.company)
        .prefetch_related("locations")
        .order_by("-active", "name", "pk")
    )
    return render(
        request,
        "dashboard/team/list.html",
        {
            "rows": rows,
            "may_manage": actor.is_admin,
            "form": post or {"online_bookable": "on"},
            "errors": errors,
            **(_form_context(actor, None, post) if actor.is_admin else {}),
            "page": "settings",
        },
        status=422 if errors else 200,
    )


def _member_page(
    request,
    actor: Actor,
    member: StaffMember,
    *,
    errors=None,
    post=None,
    invite_errors=None,
    invite=None,
):
    given = Service.objects.filter(staff=member).select_related("category", "company")
    accounts = list(
        Membership.objects.filter(company=actor.company, staff=member)
        .select_related("user")
        .order_by("role", "user__email")
    )
    failed = bool(errors or invite_errors)
    return render(
        request,
        "dashboard/team/member.html",
        {
            "member": member,
            "member_locations": list(member.locations.order_by("name")),
            "given_groups": _grouped(given),
            "accounts": accounts,
            "may_manage": actor.is_admin,
            "form": post,
            "errors": errors or {},
            "invite": invite or {"email": member.email, "role": Role.JUNIOR},
            "invite_errors": invite_errors or {},
            "roles": Role.choices,
            # Their profile, schedule and video provider: all recorded on the staff member.
            "history": history(
                companies.STAFF,
                member.pk,
                sources=(StaffMember, WorkingHours, TimeOff, DateException, MeetingAccount),
            ),
            **(_form_context(actor, member, post) if actor.is_admin else {}),
            "page": "settings",
        },
        status=422 if failed else 200,
    )


@office_view
def team_member(request, actor: Actor, staff_id: int):
    access_read_team(actor)
    member = access_company_row(actor, StaffMember, staff_id)
    if request.method == "POST":
        access_manage_catalog(actor)
        try:
            companies.staff_update(
                staff=member, fields=companies.StaffFields(**_staff_values(request.POST))
            )
        except DomainError as exc:
            return _member_page(request, actor, member, errors=form_errors(exc), post=request.POST)
        messages.success(request, _("Saved."))
        return redirect("office:team_member", staff_id=member.pk)
    return _member_page(request, actor, member)


def _send_invitation(request, invited: companies.Invited) -> None:
    """The invitation email, through allauth's adapter (our outbox): a new account gets
    allauth's password-reset link, an existing one the sign-in page."""
    membership = invited.membership
    user = membership.user
    adapter = get_adapter(request)
    context = {
        "user": user,
        "company": membership.company,
        "email": user.email,
        "login_url": request.build_absolute_uri(reverse("account_login")),
        "password_set_url": "",
    }
    if invited.new_user:
        token = default_token_generator.make_token(user)
        context["password_set_url"] = adapter.get_reset_password_from_key_url(
            f"{user_pk_to_url_str(user)}-{token}"
        )
    # In the company's language: the person invited has not chosen one yet.
    with translation.override(membership.company.default_language):
        context["role"] = membership.get_role_display()
        adapter.send_mail("account/email/invitation", user.email, context)


def _invite(request, actor: Actor, member: StaffMember):
    values = {"email": request.POST.get("email", ""), "role": request.POST.get("role", "")}
    try:
        invited = companies.member_invite(
            company=actor.company, email=values["email"], role=values["role"], staff=member
        )
    except DomainError as exc:
        return _member_page(request, actor, member, invite_errors=form_errors(exc), invite=values)
    _send_invitation(request, invited)
    messages.success(
        request, _("Invitation sent to %(email)s.") % {"email": invited.membership.user.email}
    )
    return redirect("office:team_member", staff_id=member.pk)


@office_view
@require_POST
def team_action(request, actor: Actor, staff_id: int, action: str):
    access_manage_catalog(actor)
    member = access_company_row(actor, StaffMember, staff_id)
    if action == "invite":
        return _invite(request, actor, member)
    try:
        if action == "deactivate":
            companies.staff_deactivate(staff=member)
            messages.success(
                request, _("Deactivated: no new bookings; the existing ones and the history stay.")
            )
        elif action == "activate":
            companies.staff_update(staff=member, fields=companies.StaffFields(active=True))
            messages.success(request, _("Active again: bookable as before."))
        elif action == "delete":
            if request.POST.get("confirm") != "delete":
                messages.error(request, _("Tick the box to confirm the deletion."))
                return redirect("office:team_member", staff_id=member.pk)
            companies.staff_delete(staff=member)
            messages.success(request, _("%(name)s was deleted.") % {"name": member.name})
            return redirect("office:team")
        else:
            raise Http404()
    except DomainError as exc:
        messages.error(request, exc.reason)
    return redirect("office:team_member", staff_id=member.pk)


# -- hours, time off, date exceptions --------------------------------------------------


@dataclass
class WeekRow:
    weekday: int
    location: str = ""
    start: str = ""
    end: str = ""
    errors: list[str] = field(default_factory=list)


def _stored_week(member: StaffMember) -> list[WeekRow]:
    rows = [
        WeekRow(
            weekday=h.weekday,
            location=str(h.location_id or ""),
            start=f"{h.start:%H:%M}",
            end=f"{h.end:%H:%M}",
        )
        for h in member.working_hours.order_by("weekday", "start")
    ]
    return rows


def _week_days(rows: list[WeekRow]) -> list[dict]:
    """The rows by weekday, each day with one empty row more, numbered for the form."""
    days = []
    n = 0
    for weekday, label in Weekday.choices:
        numbered = []
        for row in [r for r in rows if r.weekday == weekday] + [WeekRow(weekday=weekday)]:
            numbered.append((n, row))
            n += 1
        days.append({"weekday": weekday, "label": label, "rows": numbered})
    return days


def _parse_time(value: str):
    """A wall time from the form; the text itself when it is not one (the domain
    refuses it), None when empty."""
    value = value.strip()
    if not value:
        return None
    try:
        return time.fromisoformat(value)
    except ValueError:
        return value


def _posted_week(post) -> tuple[list[WeekRow], list[schedule.HoursFields], list[WeekRow]]:
    """The form's rows; the spans they give (empty rows left out) and the row of each."""
    try:
        count = min(int(post.get("rows", "0")), MAX_ROWS)
    except ValueError:
        count = 0
    rows, spans, sent = [], [], []
    for n in range(count):
        weekday = post.get(f"weekday-{n}", "")
        if not (weekday.isdigit() and int(weekday) in Weekday.values):
            continue
        row = WeekRow(
            weekday=int(weekday),
            location=post.get(f"location-{n}", ""),
            start=post.get(f"start-{n}", "").strip(),
            end=post.get(f"end-{n}", "").strip(),
        )
        rows.append(row)
        if row.start or row.end:
            spans.append(
                schedule.HoursFields(
                    weekday=row.weekday,
                    start=_parse_time(row.start),
                    end=_parse_time(row.end),
                    location=row.location or None,
                )
            )
            sent.append(row)
    return rows, spans, sent


def _hours_page(request, actor: Actor, member: StaffMember, **forms):
    now = timezone.now()
    today = timezone.localdate(now, actor.company.zone)
    week = forms.get("week") or _stored_week(member)
    days = _week_days(week)
    failed = bool(
        forms.get("week_errors")
        or any(row.errors for row in week)
        or forms.get("off_errors")
        or forms.get("day_errors")
    )
    return render(
        request,
        "dashboard/team/hours.html",
        {
            "member": member,
            "days": days,
            "row_count": sum(len(day["rows"]) for day in days),
            "week_errors": forms.get("week_errors", []),
            "locations": list(actor.company.locations.order_by("name")),
            "time_off": list(member.time_off.filter(end__gt=now).order_by("start")),
            "exceptions": list(
                member.date_exceptions.filter(date__gte=today)
                .select_related("location")
                .order_by("date", "start")
            ),
            # Why someone is off is theirs and the admins' to read (companies.access).
            "sees_reason": access_sees_time_off_reason(actor, member.pk),
            "off": forms.get("off", {}),
            "off_errors": forms.get("off_errors", {}),
            "day": forms.get("day", {"kind": ExceptionKind.CLOSED}),
            "day_errors": forms.get("day_errors", {}),
            "kinds": ExceptionKind.choices,
            "may_read_team": access_allows(access_read_team, actor),
            "page": "settings",
        },
        status=422 if failed else 200,
    )


@office_view
def team_hours(request, actor: Actor, staff_id: int):
    member = access_schedule(actor, staff_id)
    if request.method != "POST":
        return _hours_page(request, actor, member)
    rows, spans, sent = _posted_week(request.POST)
    try:
        schedule.working_hours_replace(staff=member, spans=spans)
    except DomainError as exc:
        general: list[str] = []
        for key, problems in (exc.fields or {"hours": [exc.message]}).items():
            parts = key.split(".")
            if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(sent):
                sent[int(parts[1])].errors.extend(problems)
            else:
                general.extend(problems)
        return _hours_page(request, actor, member, week=rows, week_errors=general)
    messages.success(request, _("The week is saved: new bookings follow these hours."))
    return redirect("office:team_hours", staff_id=member.pk)


@office_view
@require_POST
def team_time_off(request, actor: Actor, staff_id: int):
    member = access_schedule(actor, staff_id)
    form = {name: request.POST.get(name, "") for name in ("start", "end", "reason")}
    if not access_sees_time_off_reason(actor, member.pk):
        form["reason"] = ""
    zone = actor.company.zone
    errors: dict[str, list[str]] = {}
    start, end = aware_start(form["start"], zone), aware_start(form["end"], zone)
    for name, value in (("start", start), ("end", end)):
        if value is None:
            errors[name] = [_("Enter a date and time.")]
    if not errors:
        try:
            schedule.time_off_create(
                staff=member,
                fields=schedule.TimeOffFields(start=start, end=end, reason=form["reason"]),
            )
        except DomainError as exc:
            errors = form_errors(exc)
    if errors:
        return _hours_page(request, actor, member, off=form, off_errors=errors)
    messages.success(request, _("Time off added."))
    return redirect("office:team_hours", staff_id=member.pk)


@office_view
@require_POST
def team_time_off_delete(request, actor: Actor, staff_id: int, row_id: int):
    member = access_schedule(actor, staff_id)
    row = TimeOff.objects.filter(pk=row_id, staff=member).first()
    if row is None:
        raise Http404()
    schedule.time_off_delete(time_off=row)
    messages.success(request, _("Time off removed."))
    return redirect("office:team_hours", staff_id=member.pk)


@office_view
@require_POST
def team_exception(request, actor: Actor, staff_id: int):
    member = access_schedule(actor, staff_id)
    form = {name: request.POST.get(name, "") for name in ("date", "kind", "start", "end")}
    form["location"] = request.POST.get("location", "")
    try:
        day: date | None = date.fromisoformat(form["date"])
    except ValueError:
        day = None  # refused as a missing date is: "Enter a date such as ..."
    try:
        schedule.date_exception_create(
            staff=member,
            fields=schedule.DateExceptionFields(
                date=day,
                kind=form["kind"],
                start=_parse_time(form["start"]),
                end=_parse_time(form["end"]),
                location=form["location"] or None,
            ),
        )
    except DomainError as exc:
        return _hours_page(request, actor, member, day=form, day_errors=form_errors(exc))
    messages.success(request, _("The date exception is saved."))
    return redirect("office:team_hours", staff_id=member.pk)


@office_view
@require_POST
def team_exception_delete(request, actor: Actor, staff_id: int, row_id: int):
    member = access_schedule(actor, staff_id)
    row = DateException.objects.filter(pk=row_id, staff=member).first()
    if row is None:
        raise Http404()
    schedule.date_exception_delete(exception=row)
    messages.success(request, _("The date exception is removed."))
    return redirect("office:team_hours", staff_id=member.pk)


urlpatterns: list = [
    path("", team, name="team"),
    path("<int:staff_id>/", team_member, name="team_member"),
    path("<int:staff_id>/hours/", team_hours, name="team_hours"),
    path("<int:staff_id>/time-off/", team_time_off, name="team_time_off"),
    path(
        "<int:staff_id>/time-off/<int:row_id>/delete/",
        team_time_off_delete,
        name="team_time_off_delete",
    ),
    path("<int:staff_id>/exceptions/", team_exception, name="team_exception"),
    path(
        "<int:staff_id>/exceptions/<int:row_id>/delete/",
        team_exception_delete,
        name="team_exception_delete",
    ),
    path("<int:staff_id>/<slug:action>/", team_action, name="team_action"),
]
