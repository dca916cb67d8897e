"""The back office's reports: booking details, online meetings and payments, each a
page of filters and rows with a CSV of the same rows. The rows come from the domain
(bookings.domain.report, meetings.domain.report, payments.domain.report), which
applies the actor's role."""

from datetime import timedelta

from django import forms
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rendezvous.bookings.domain.report import (
    MAX_DAYS,
    BookingFilters,
    booking_report,
    booking_report_csv,
)
from rendezvous.bookings.models import BookingSource, BookingStatus
from rendezvous.catalog.models import Service
from rendezvous.companies.access import Actor, access_record_payments, access_staff_scope
from rendezvous.companies.models import StaffMember
from rendezvous.core.errors import Forbidden
from rendezvous.core.forms import ReportPeriodForm
from rendezvous.meetings.admin_report import ReportForm
from rendezvous.meetings.domain.report import meeting_report, report_csv
from rendezvous.payments.domain import report as payments_report

from .views import office_view

PAGE_ROWS = 500


class BookingReportForm(ReportPeriodForm):
    max_days = MAX_DAYS

    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    staff = forms.TypedChoiceField(label=_("Staff"), coerce=int, required=False, empty_value=None)
    service = forms.TypedChoiceField(
        label=_("Service"), coerce=int, required=False, empty_value=None
    )
    status = forms.ChoiceField(label=_("Status"), required=False)
    source = forms.ChoiceField(label=_("Booked through"), required=False)
    online = forms.ChoiceField(
        label=_("By video"),
        required=False,
        choices=[("", _("All")), ("yes", _("By video")), ("no", _("In person"))],
    )

    def __init__(self, *args, actor: Actor, **kwargs):
        super().__init__(*args, **kwargs)
        staff = StaffMember.objects.filter(access_staff_scope(actor, "pk"), company=actor.company)
        services = Service.objects.filter(company=actor.company).order_by("name")
        choices: dict[str, list] = {
            "staff": [("", _("Everyone")), *((m.pk, m.name) for m in staff.order_by("name"))],
            "service": [("", _("All services")), *((s.pk, s.name) for s in services)],
            "status": [("", _("All")), *BookingStatus.choices],
            "source": [("", _("All")), *BookingSource.choices],
        }
        for name, options in choices.items():
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = options

    def filters(self) -> BookingFilters:
        data = self.cleaned_data
        return BookingFilters(
            date_from=data["date_from"],
            date_to=data["date_to"],
            staff_id=data.get("staff"),
            service_id=data.get("service"),
            status=data.get("status") or "",
            source=data.get("source") or "",
            online={"yes": True, "no": False}.get(data.get("online") or ""),
        )


def _with_defaults(request, actor: Actor, days: int) -> QueryDict:
    data = request.GET.copy()
    if "date_from" not in data:
        today = timezone.localdate(timezone.now(), actor.company.zone)
        data["date_from"] = today.isoformat()
        data["date_to"] = (today + timedelta(days=days)).isoformat()
    return data


def _sees_payments(actor: Actor) -> bool:
    """Whether the reports' tabs offer the payments report (the report asks again)."""
    try:
        access_record_payments(actor)
    except Forbidden:
        return False
    return True


def _csv(text: str, name: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@office_view
def bookings_report(request, actor: Actor):
    data = _with_defaults(request, actor, 6)
    form = BookingReportForm(data, actor=actor)
    rows: list = []
    totals = None
    if form.is_valid():
        if request.GET.get("format") == "csv":
            rows, _totals = booking_report(actor=actor, filters=form.filters())
            return _csv(
                booking_report_csv(rows, actor=actor),
                f"bookings-{actor.company.slug}-{data['date_from']}-{data['date_to']}.csv",
            )
        rows, totals = booking_report(actor=actor, filters=form.filters(), limit=PAGE_ROWS)
    download = data.copy()
    download["format"] = "csv"
    return render(
        request,
        "dashboard/report_bookings.html",
        {
            "form": form,
            "rows": rows,
            "totals": totals,
            "status_labels": dict(BookingStatus.choices),
            "capped": len(rows) >= PAGE_ROWS,
            "csv_url": "?" + download.urlencode(),
            "currency": actor.company.currency,
            "sees_payments": _sees_payments(actor),
            "page": "reports",
        },
        status=200 if form.is_valid() else 422,
    )


@office_view
def meetings_report(request, actor: Actor):
    data = _with_defaults(request, actor, 30)
    form = ReportForm(data, actors=[actor], actor=actor)
    del form.fields["company"]
    now = timezone.now()
    rows = []
    if form.is_valid():
        if request.GET.get("format") == "csv":
            rows = meeting_report(actor=actor, filters=form.filters(), now=now)
            return _csv(report_csv(rows), f"online-meetings-{actor.company.slug}.csv")
        rows = meeting_report(actor=actor, filters=form.filters(), now=now, limit=PAGE_ROWS)
    download = data.copy()
    download["format"] = "csv"
    return render(
        request,
        "dashboard/report_meetings.html",
        {
            "form": form,
            "rows": rows,
            "capped": len(rows) >= PAGE_ROWS,
            "csv_url": "?" + download.urlencode(),
            "sees_payments": _sees_payments(actor),
            "page": "reports",
        },
        status=200 if form.is_valid() else 422,
    )


class PaymentReportForm(ReportPeriodForm):
    max_days = payments_report.MAX_DAYS

    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def filters(self) -> payments_report.PaymentFilters:
        return payments_report.PaymentFilters(
            date_from=self.cleaned_data["date_from"], date_to=self.cleaned_data["date_to"]
        )


@office_view
def payments_report_view(request, actor: Actor):
    # Before the form: a junior learns nothing, not even which dates are refused.
    access_record_payments(actor)
    data = request.GET.copy()
    if "date_from" not in data:
        # Money is looked back on: the last 30 days, today included.
        today = timezone.localdate(timezone.now(), actor.company.zone)
        data["date_from"] = (today - timedelta(days=29)).isoformat()
        data["date_to"] = today.isoformat()
    form = PaymentReportForm(data)
    now = timezone.now()
    report = None
    if form.is_valid():
        filters = form.filters()
        if request.GET.get("format") == "csv":
            rows = payments_report.payment_rows(actor=actor, filters=filters)
            return _csv(
                payments_report.payment_report_csv(rows, actor=actor),
                f"payments-{actor.company.slug}-{data['date_from']}-{data['date_to']}.csv",
            )
        report = payments_report.payment_report(
            actor=actor, filters=filters, now=now, limit=PAGE_ROWS
        )
    download = data.copy()
    download["format"] = "csv"
    return render(
        request,
        "dashboard/report_payments.html",
        {
            "form": form,
            "summary": report,
            "today": timezone.localdate(now, actor.company.zone),
            "page_rows": PAGE_ROWS,
            "csv_url": "?" + download.urlencode(),
            "currency": actor.company.currency,
            "sees_payments": True,
            "page": "reports",
        },
        status=200 if form.is_valid() else 422,
    )
