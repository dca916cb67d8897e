"""The "Online meetings" report page in the admin, and its CSV (meetings.domain.report
builds the rows; this view parses the filters and renders).

Who may open it: a staff user (the admin's own check) with a membership in a company,
who then sees that company's rows as their role allows (a junior: their own staff
profile's); a superuser may open any company's. `?company=<id>` picks one when there
are several.
"""

from datetime import timedelta

from django import forms
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, QueryDict
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rendezvous.companies.access import Actor, access_staff_scope
from rendezvous.companies.models import Company, Membership, Role, StaffMember
from rendezvous.core.forms import ReportPeriodForm

from .domain.report import MAX_DAYS, ReportFilters, meeting_report, report_csv
from .models import MeetingState
from .providers import PROVIDER_NAMES, REGISTRY

PAGE_ROWS = 500


def actors_for(user) -> list[Actor]:
    """The companies (and roles) `user` may run the report for."""
    if user.is_superuser:
        return [Actor(c, Role.ADMIN, None) for c in Company.objects.order_by("name", "id")]
    memberships = Membership.objects.filter(user=user).select_related("company")
    return [Actor(m.company, m.role, m.staff_id) for m in memberships.order_by("company__name")]


class ReportForm(ReportPeriodForm):
    max_days = MAX_DAYS

    company = forms.TypedChoiceField(label=_("company"), coerce=int, required=False)
    date_from = forms.DateField(
        label=_("from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    staff = forms.TypedChoiceField(label=_("staff"), coerce=int, required=False, empty_value=None)
    provider = forms.ChoiceField(label=_("provider"), required=False)
    state = forms.ChoiceField(label=_("state"), required=False)
    problems_only = forms.BooleanField(label=_("problems only"), required=False)

    def __init__(self, *args, actors: list[Actor], actor: Actor, **kwargs):
        super().__init__(*args, **kwargs)
        self._choice_field("company").choices = [(a.company.pk, a.company.name) for a in actors]
        staff = StaffMember.objects.filter(company=actor.company).order_by("name")
        staff = staff.filter(access_staff_scope(actor, "pk"))
        self._choice_field("staff").choices = [
            ("", _("Everyone")),
            *((s.pk, s.name) for s in staff),
        ]
        self._choice_field("provider").choices = [
            ("", _("All")),
            *((n, PROVIDER_NAMES.get(n, n)) for n in REGISTRY),
        ]
        # "Ended" is a state of its own here (ready and past), under MeetingState's name.
        self._choice_field("state").choices = [("", _("All")), *MeetingState.choices]

    def _choice_field(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)  # declared as one above
        return field

    def filters(self) -> ReportFilters:
        data = self.cleaned_data
        return ReportFilters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            staff_id=data.get("staff"),
            provider=data.get("provider") or "",
            state=data.get("state") or "",
            problems_only=bool(data.get("problems_only")),
        )


@staff_member_required
def report_view(request, admin_site=None):
    actors = actors_for(request.user)
    if not actors:
        raise PermissionDenied
    wanted = request.GET.get("company")
    actor = next((a for a in actors if str(a.company.pk) == wanted), actors[0])
    now = timezone.now()
    today = timezone.localdate(now, actor.company.zone)
    data = request.GET.copy()
    if not data:
        data = QueryDict(mutable=True)
        data.update({"date_from": today.isoformat(), "date_to": str(today + timedelta(days=30))})
    form = ReportForm(data, actors=actors, actor=actor, initial={"company": actor.company.pk})
    rows = []
    if form.is_valid():
        if request.GET.get("format") == "csv":
            rows = meeting_report(actor=actor, filters=form.filters(), now=now)
            response = HttpResponse(report_csv(rows), content_type="text/csv; charset=utf-8")
            name = f"online-meetings-{actor.company.slug}-{today.isoformat()}.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        rows = meeting_report(actor=actor, filters=form.filters(), now=now, limit=PAGE_ROWS)
    download = data.copy()
    download["format"] = "csv"
    context = {
        **(admin_site.each_context(request) if admin_site else {}),
        "title": _("Online meetings"),
        "form": form,
        "rows": rows,
        "capped": len(rows) >= PAGE_ROWS,
        "page_rows": PAGE_ROWS,
        "company": actor.company,
        "csv_url": "?" + download.urlencode(),
    }
    return TemplateResponse(request, "admin/meetings/meeting/report.html", context)
