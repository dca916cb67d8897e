"""Messages that are not about one booking change, template editing and the staff feed."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape, linebreaks, urlize
from django.utils.translation import gettext as _

from rendezvous.bookings.models import ACTIVE_STATUSES, Booking, BookingStatus
from rendezvous.catalog.models import Service
from rendezvous.companies.models import Company, StaffMember
from rendezvous.core.audit import field_changes, logged, row_values
from rendezvous.core.errors import ValidationFailed
from rendezvous.core.text import has_control_chars
from rendezvous.core.tokens import new_random_token
from rendezvous.payments.domain.settings import payment_settings_or_defaults
from rendezvous.payments.models import Method

from .. import ics
from ..events import AUDIENCE, CUSTOMER, STAFF_ACCOUNT, Event
from ..models import CalendarSequence, MessageTemplate, OutboxMessage, StaffCalendarFeed
from ..receipt_texts import Receipt, receipt_lines
from ..variables import misplaced_variables, unknown_variables
from .outbox import outbox_enqueue
from .render import Rendered, format_end, format_when, render, template_for

# The audit log's entity (core.audit) and the fields its entries compare.
TEMPLATE = "template"
TEMPLATE_FIELDS = ("event", "language", "service", "staff", "subject", "body")


def send_sign_in_link(*, company: Company, email: str, link: str, language: str = "") -> None:
    """For issue 3: email a My bookings sign-in `link` to `email`.

    Side effects, in order:
    1. write: an outbox row (sign_in_link) in `language`, else the company's first
    2. after commit: its delivery task
    """
    language = language if language in company.languages else company.default_language
    values = {"company_name": company.name, "customer_email": email, "sign_in_link": link}
    subject, body = template_for(company=company, event=Event.SIGN_IN_LINK, language=language)
    with transaction.atomic():
        outbox_enqueue(
            company=company,
            event=Event.SIGN_IN_LINK,
            to_email=email,
            to_name="",
            language=language,
            rendered=render(
                subject=subject, body=body, values=values, language=language, audience=CUSTOMER
            ),
        )


def send_staff_account_email(
    *, company: Company, email: str, name: str, subject: str, text: str, language: str
) -> None:
    """Email a staff user about their account (a password reset link ...), written by
    the sign-in pages (django-allauth's templates), through the outbox.

    Side effects, in order:
    1. write: an outbox row (staff_account), plain text with its HTML twin
    2. after commit: its delivery task
    """
    html = (
        f'<!DOCTYPE html>\n<html lang="{escape(language)}"><head><meta charset="utf-8"></head>'
        f"<body>{linebreaks(urlize(escape(text)))}</body></html>\n"
    )
    with transaction.atomic():
        outbox_enqueue(
            company=company,
            event=STAFF_ACCOUNT,
            to_email=email,
            to_name=name,
            language=language,
            rendered=Rendered(subject=subject, text=text, html=html),
        )


LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


SUBJECT_MAX = 300
BODY_MAX = 20000


def template_errors(
    *,
    company: Company,
    event: str,
    language: str,
    subject: str,
    body: str,
    service: Service | None = None,
    staff: StaffMember | None = None,
) -> dict[str, list[str]]:
    """Every problem with a template, per field; empty when it may be saved."""
    errors: dict[str, list[str]] = {}
    if event not in Event.values:
        errors["event"] = [_("Unknown event.")]
    if language not in LANGUAGE_CODES:
        errors["language"] = [_("Unknown language.")]
    if service is not None and service.company_id != company.id:
        errors["service"] = [_("Choose a service of this company.")]
    if staff is not None and staff.company_id != company.id:
        errors["staff"] = [_("Choose a staff member of this company.")]
    for field, text, limit in (("subject", subject, SUBJECT_MAX), ("body", body, BODY_MAX)):
        problems = []
        if not text.strip():
            problems.append(_("This field is required."))
        if len(text) > limit:
            problems.append(_("At most %(n)d characters.") % {"n": limit})
        if has_control_chars(text, allow_newlines=field == "body"):
            problems.append(_("Control characters such as line breaks are not allowed here."))
        unknown = unknown_variables(text, event) if event in Event.values else []
        if unknown:
            problems.append(
                _("Unknown variables: %(names)s.") % {"names": ", ".join(f"[{n}]" for n in unknown)}
            )
        misplaced = misplaced_variables(text, event) if event in Event.values else []
        if misplaced:
            names = {"names": ", ".join(f"[{n}]" for n in misplaced)}
            if AUDIENCE[event] == CUSTOMER:
                problems.append(_("For emails to staff members only: %(names)s.") % names)
            else:
                problems.append(_("For emails to customers only: %(names)s.") % names)
        if problems:
            errors[field] = problems
    return errors


def _refuse_bad_template(
    company: Company,
    event: str,
    language: str,
    subject: str,
    body: str,
    service: Service | None,
    staff: StaffMember | None,
) -> None:
    """The validation template_save, template_update and template_test_send share:
    ValidationFailed with every problem template_errors finds."""
    errors = template_errors(
        company=company,
        event=event,
        language=language,
        subject=subject,
        body=body,
        service=service,
        staff=staff,
    )
    if errors:
        raise ValidationFailed(fields=errors)


def template_save(
    *,
    company: Company,
    event: str,
    language: str,
    subject: str,
    body: str,
    service: Service | None = None,
    staff: StaffMember | None = None,
) -> MessageTemplate:
    """Create or replace the company's template for this event, language and scope.

    Side effects, in order:
    1. validate: event, language, scope of this company, lengths, no control
       characters, only the event's variables and only those meant for its recipient
       (ValidationFailed lists them all)
    2. write: the MessageTemplate (one per company, event, language, service, staff)
    """
    _refuse_bad_template(company, event, language, subject, body, service, staff)
    with transaction.atomic():
        old = (
            MessageTemplate.objects.select_for_update(of=("self",))
            .filter(company=company, event=event, language=language, service=service, staff=staff)
            .first()
        )
        before = row_values(old, TEMPLATE_FIELDS) if old is not None else {}
        template, _created = MessageTemplate.objects.update_or_create(
            company=company,
            event=event,
            language=language,
            service=service,
            staff=staff,
            defaults={"subject": subject, "body": body},
        )
        changes = field_changes(before, row_values(template, TEMPLATE_FIELDS))
        if changes:
            logged(template, TEMPLATE, "updated" if old else "created", changes)
    return template


def template_update(
    *,
    template: MessageTemplate,
    event: str,
    language: str,
    subject: str,
    body: str,
    service: Service | None = None,
    staff: StaffMember | None = None,
) -> MessageTemplate:
    """Change a template in place: its event, language, scope and text, all as given.

    Side effects, in order:
    1. validate: as template_save (template_errors)
    2. lock: the template row; re-check that no other template of the company has
       that event, language and scope (it would be the one that wins)
    3. write: the MessageTemplate
    Raises ValidationFailed; nothing is written then.
    """
    company = template.company
    _refuse_bad_template(company, event, language, subject, body, service, staff)
    with transaction.atomic():
        locked = MessageTemplate.objects.select_for_update(of=("self",)).get(pk=template.pk)
        taken = (
            MessageTemplate.objects.filter(
                company=company, event=event, language=language, service=service, staff=staff
            )
            .exclude(pk=locked.pk)
            .exists()
        )
        if taken:
            raise ValidationFailed(
                fields={
                    "event": [_("There is already a template for this event, language and scope.")]
                }
            )
        before = row_values(locked, TEMPLATE_FIELDS)
        locked.event, locked.language, locked.service, locked.staff = (
            event,
            language,
            service,
            staff,
        )
        locked.subject, locked.body = subject, body
        locked.save()
        changes = field_changes(before, row_values(locked, TEMPLATE_FIELDS))
        if changes:
            logged(locked, TEMPLATE, "updated", changes)
    return locked


def template_delete(*, template: MessageTemplate) -> None:
    """Remove a template: the next more general one, or the built-in wording, applies
    to the emails written from then on. Side effects: deletes the row."""
    with transaction.atomic():
        logged(template, TEMPLATE, "deleted", {"event": (template.event, None)})
        template.delete()


def sample_values(
    company: Company,
    *,
    event: str,
    language: str,
    service: Service | None = None,
    staff: StaffMember | None = None,
) -> dict[str, str]:
    """Made-up values for a preview: a booking next week at 10:00, of `service` with
    `staff` (a scoped template's own), else of the company's first ones."""
    zone = company.zone
    day = (timezone.now().astimezone(zone) + timedelta(days=7)).date()
    start = datetime(day.year, day.month, day.day, 10, tzinfo=zone)
    end = start + timedelta(minutes=30)
    base = settings.BASE_URL
    manage = f"{base}/manage/00000000-0000-0000-0000-000000000000/sample/"
    if event == Event.SIGN_IN_LINK:
        return {
            "company_name": company.name,
            "customer_email": "ana.popescu@example.com",
            "sign_in_link": f"{base}/my/{company.slug}/sign-in/sample/",
        }
    service = service or Service.objects.filter(company=company).first()
    staff = staff or StaffMember.objects.filter(company=company).first()
    service_name = service.text_in("name", language, company=company) if service else "Consultation"
    receipt = ""
    if event == Event.PAYMENT_CONFIRMED:
        receipt = receipt_lines(
            Receipt(
                header=[company.name],
                number="R-000123",
                paid_on=timezone.now().astimezone(zone).date(),
                item=f"{service_name}, {format_when(start, zone, language)}",
                method=Method.CARD,
                amount=Decimal("40.00"),
                currency=company.currency,
                rate=payment_settings_or_defaults(company).tax_rate_percent,
            ),
            language,
        )
    return {
        "customer_first_name": "Ana",
        "customer_last_name": "Popescu",
        "service_name": service_name,
        "staff_name": staff.name if staff else "Anna Schmidt",
        "company_name": company.name,
        "booking_start": format_when(start, zone, language),
        "booking_end": format_end(start, end, zone, language),
        "location": company.name,
        "manage_link": manage,
        "cancel_link": f"{manage}?action=cancel",
        "reschedule_link": f"{manage}?action=reschedule",
        "online_meeting_link": f"{base}/join/sample/",
        "online_meeting_provider_link": f"{base}/join/sample-host/",
        "online_meeting_instructions": "",
        "receipt": receipt,
    }


def template_preview(
    *,
    company: Company,
    event: str,
    language: str,
    subject: str,
    body: str,
    service: Service | None = None,
    staff: StaffMember | None = None,
) -> Rendered:
    """The message as it would look with sample data (no write)."""
    values = sample_values(company, event=event, language=language, service=service, staff=staff)
    audience = AUDIENCE.get(event, CUSTOMER)
    return render(subject=subject, body=body, values=values, language=language, audience=audience)


def template_test_send(
    *,
    company: Company,
    event: str,
    language: str,
    subject: str,
    body: str,
    to_email: str,
    to_name: str = "",
    service: Service | None = None,
    staff: StaffMember | None = None,
) -> OutboxMessage:
    """Email a template, filled with sample data, to `to_email` (the back office's
    "send me a test", to the signed-in user).

    Side effects, in order:
    1. validate: as template_save (a text that could not be saved is not sent), and
       that there is an address to send to
    2. write: an outbox row of the event, rendered as template_preview renders it
    3. after commit: its delivery task
    Raises ValidationFailed; nothing is queued then.
    """
    _refuse_bad_template(company, event, language, subject, body, service, staff)
    if not to_email:
        raise ValidationFailed(_("Your account has no email address to send the test to."))
    rendered = template_preview(
        company=company,
        event=event,
        language=language,
        subject=subject,
        body=body,
        service=service,
        staff=staff,
    )
    with transaction.atomic():
        return outbox_enqueue(
            company=company,
            event=event,
            to_email=to_email,
            to_name=to_name,
            language=language,
            rendered=rendered,
        )


def staff_feed_issue(*, staff: StaffMember) -> str:
    """Issue a new private feed token for `staff`, revoking any earlier one.

    Side effects: writes the StaffCalendarFeed (hash only). Returns the plain token,
    which is not stored and cannot be shown again.
    """
    token, token_hash = new_random_token()
    with transaction.atomic():
        StaffCalendarFeed.objects.update_or_create(staff=staff, defaults={"token_hash": token_hash})
    return token


FEED_PAST = timedelta(days=30)


def staff_feed_revoke(*, staff: StaffMember) -> None:
    """Stop a staff member's private feed: its URL answers 404 from now on.
    Side effects: deletes the StaffCalendarFeed (the only copy of its hash)."""
    StaffCalendarFeed.objects.filter(staff=staff).delete()


def staff_feed_render(*, staff: StaffMember) -> str:
    """The staff member's bookings from 30 days ago on, as a subscribable calendar;
    requests are TENTATIVE. Reads only."""
    company = staff.company
    since = timezone.now() - FEED_PAST
    bookings = list(
        Booking.objects.filter(staff=staff, status__in=ACTIVE_STATUSES, end__gte=since)
        .select_related("service")
        .order_by("start")[:2000]
    )
    sequences = dict(
        CalendarSequence.objects.filter(booking__in=bookings).values_list("booking_id", "sequence")
    )
    events = [
        {
            "uid": ics.booking_uid(b),
            "sequence": sequences.get(b.pk, 0),
            "start": b.start,
            "end": b.end,
            "summary": f"{b.service.name}: {b.first_name} {b.last_name}",
            "description": b.notes,
            "status": "CONFIRMED" if b.status == BookingStatus.CONFIRMED else "TENTATIVE",
        }
        for b in bookings
    ]
    return ics.staff_feed(name=f"{company.name}: {staff.name}", events=events, zone=company.zone)
