"""Settings: the emails (templates per event, language and scope) and the outbox.

| screen | writes through |
| --- | --- |
| the events and the company's own versions | reads only |
| one event in one language, for every booking or one service and/or staff member ("flexible notifications") | template_save; "Reset to default" is template_delete of that version, so the next more general one (or the built-in wording) applies again |
| live preview | reads only: template_preview (sample data) and template_errors, on every pause in typing (htmx) |
| "Send me a test" | template_test_send: the outbox, to the signed-in user's address |
| the outbox | outbox_resend |

Admins only (settings_view: 404 for seniors and juniors, on every URL and method).
The variable picker offers allowed_variables(event), those meant for the event's
recipient; a text typed with another is refused by the domain (template_errors) and
the refusal is shown beside the field.
"""

import base64
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.csp import CSP, build_policy
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rendezvous.catalog.models import Service
from rendezvous.companies.access import Actor, access_company_row
from rendezvous.companies.models import Company, StaffMember
from rendezvous.core.errors import DomainError
from rendezvous.notifications.defaults import default_template
from rendezvous.notifications.domain import (
    outbox_resend,
    template_delete,
    template_errors,
    template_preview,
    template_save,
    template_test_send,
)
from rendezvous.notifications.domain.render import INLINE_STYLES, template_for
from rendezvous.notifications.events import AUDIENCE, CUSTOMER, STAFF, Event
from rendezvous.notifications.models import MessageTemplate, OutboxMessage, OutboxState
from rendezvous.notifications.variables import allowed_variables

from ..refusals import form_errors
from .business import settings_view

OUTBOX_PAGE = 50

# The preview frame (a srcdoc iframe, which has the page's policy) shows the email as
# sent, with its own style attributes: the editor's policy allows those exact values.
EMAIL_STYLE_HASHES = [
    f"'sha256-{base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()}'"
    for style in INLINE_STYLES
]


def _email_policy(response):
    if settings.SECURE_CSP:  # empty with DEBUG on: no policy at all then
        policy = dict(settings.SECURE_CSP)
        policy["style-src"] = [*policy["style-src"], CSP.UNSAFE_HASHES, *EMAIL_STYLE_HASHES]
        response.headers[str(CSP.HEADER_ENFORCE)] = build_policy(policy)
    return response


def _tabs(current: str) -> dict[str, str]:
    return {"settings_tab": current, "page": "settings"}


def _language_names() -> dict[str, str]:
    return {code: str(name) for code, name in settings.LANGUAGES}


@dataclass(frozen=True)
class Scope:
    """Which version an editor URL is about: an event, a language and where it applies
    (every booking, or one service and/or staff member)."""

    event: Event
    language: str
    service: Service | None = None
    staff: StaffMember | None = None

    def text(self, company: Company, subject: str, body: str) -> dict:
        """The keyword arguments of the notifications functions (template_save,
        template_preview, template_errors, template_test_send) for a text in this scope."""
        return {
            "company": company,
            "event": self.event,
            "language": self.language,
            "subject": subject,
            "body": body,
            "service": self.service,
            "staff": self.staff,
        }

    @property
    def url(self) -> str:
        url = reverse("office:settings_email", args=[self.event, self.language])
        query = {
            name: row.pk
            for name, row in (("service", self.service), ("staff", self.staff))
            if row is not None
        }
        return f"{url}?{urlencode(query)}" if query else url

    def version(self, actor: Actor) -> MessageTemplate | None:
        """The company's own version for exactly this scope, if it has one."""
        return MessageTemplate.objects.filter(
            company=actor.company,
            event=self.event,
            language=self.language,
            service=self.service,
            staff=self.staff,
        ).first()


def _row(actor: Actor, model, value: str):
    """A service or staff member of the actor's company from a form's id; None for
    none; 404 for anything else (another company's id, not a number)."""
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise Http404()
    return access_company_row(actor, model, int(value))


def _scope(actor: Actor, event: str, language: str, source: QueryDict) -> Scope:
    """The scope of an editor URL and its form (or query): 404 for an unknown event or
    language, or a service or staff member not of this company."""
    if event not in Event.values or language not in _language_names():
        raise Http404()
    return Scope(
        Event(event),
        language,
        _row(actor, Service, source.get("service", "")),
        _row(actor, StaffMember, source.get("staff", "")),
    )


def _posted(actor: Actor, scope: Scope, post: QueryDict) -> dict:
    """The text the editor's form posted, in its scope."""
    return scope.text(actor.company, post.get("subject", ""), post.get("body", ""))


@settings_view
def emails(request, actor: Actor):
    """Every event with, per offered language, whether the company has its own wording;
    then the versions for one service or staff member."""
    company = actor.company
    names = _language_names()
    languages = [code for code in company.languages if code in names]
    versions = list(
        MessageTemplate.objects.filter(company=company).select_related("service", "staff")
    )
    own = {(v.event, v.language) for v in versions if v.service_id is None and v.staff_id is None}
    groups = []
    for audience, title in ((CUSTOMER, _("To customers")), (STAFF, _("To staff members"))):
        rows = [
            {
                "event": event,
                "label": label,
                "languages": [
                    {"code": code, "name": names[code], "own": (event, code) in own}
                    for code in languages
                ],
            }
            for event, label in Event.choices
            if AUDIENCE[event] == audience
        ]
        groups.append({"title": title, "rows": rows})
    scoped = sorted(
        (v for v in versions if v.service_id is not None or v.staff_id is not None),
        key=lambda v: (v.get_event_display(), v.language, v.pk),
    )
    return render(
        request,
        "dashboard/settings/emails.html",
        {
            "groups": groups,
            "scoped": [
                {"version": v, "url": Scope(Event(v.event), v.language, v.service, v.staff).url}
                for v in scoped
            ],
            **_tabs("emails"),
        },
    )


def _editor_page(request, actor: Actor, scope: Scope, *, form=None, errors=None):
    company = actor.company
    event, language = scope.event, scope.language
    version = scope.version(actor)
    if form is not None:
        subject, body = form.get("subject", ""), form.get("body", "")
    elif version is not None:
        subject, body = version.subject, version.body
    else:
        # What these emails say now: a more general version of the company's, or
        # the built-in wording; saving makes it this scope's own.
        subject, body = template_for(
            company=company,
            event=event,
            language=language,
            service_id=scope.service.pk if scope.service else None,
            staff_id=scope.staff.pk if scope.staff else None,
        )
    errors = errors or {}
    default_subject, default_body = default_template(event, language)
    response = render(
        request,
        "dashboard/settings/email.html",
        {
            "event": event,
            "event_label": event.label,
            "language": language,
            "language_name": _language_names()[language],
            "service": scope.service,
            "staff": scope.staff,
            "version": version,
            "subject": subject,
            "body": body,
            "is_default": version is None and (subject, body) == (default_subject, default_body),
            "errors": errors,
            "other_errors": [
                problem
                for key, problems in errors.items()
                if key not in ("subject", "body")
                for problem in problems
            ],
            "variables": allowed_variables(event),
            "preview": template_preview(**scope.text(company, subject, body)),
            "services": list(Service.objects.filter(company=company).order_by("name", "pk")),
            "staff_members": list(
                StaffMember.objects.filter(company=company).order_by("name", "pk")
            ),
            **_tabs("emails"),
        },
        status=422 if errors else 200,
    )
    return _email_policy(response)


@settings_view
def email(request, actor: Actor, event: str, language: str):
    if request.method != "POST":
        return _editor_page(request, actor, _scope(actor, event, language, request.GET))
    scope = _scope(actor, event, language, request.POST)
    try:
        template_save(**_posted(actor, scope, request.POST))
    except DomainError as exc:
        return _editor_page(request, actor, scope, form=request.POST, errors=form_errors(exc))
    messages.success(request, _("Saved: the emails written from now on use this text."))
    return redirect(scope.url)


@settings_view
@require_POST
def email_preview(request, actor: Actor, event: str, language: str):
    """The posted text with sample data, and what saving it would refuse (htmx)."""
    scope = _scope(actor, event, language, request.POST)
    text = _posted(actor, scope, request.POST)
    errors = template_errors(**text)
    return render(
        request,
        "dashboard/settings/_email_preview.html",
        {
            "preview": template_preview(**text),
            "problems": [problem for problems in errors.values() for problem in problems],
        },
    )


@settings_view
@require_POST
def email_test(request, actor: Actor, event: str, language: str):
    scope = _scope(actor, event, language, request.POST)
    user = request.user
    try:
        template_test_send(
            **_posted(actor, scope, request.POST),
            to_email=user.email,
            to_name=user.get_full_name(),
        )
    except DomainError as exc:
        return _editor_page(request, actor, scope, form=request.POST, errors=form_errors(exc))
    messages.success(
        request,
        _("A test with sample data is on its way to %(email)s (not saved yet).")
        % {"email": user.email},
    )
    # The text is not saved: the page shows it again as sent, not the stored version.
    return _editor_page(request, actor, scope, form=request.POST)


@settings_view
@require_POST
def email_reset(request, actor: Actor, event: str, language: str):
    scope = _scope(actor, event, language, request.POST)
    version = scope.version(actor)
    if version is not None:
        template_delete(template=version)
    messages.success(
        request,
        _("Reset: these emails use the more general version or the built-in wording again."),
    )
    return redirect(scope.url)


@settings_view
def outbox(request, actor: Actor):
    """The company's emails, newest first, with their delivery state."""
    state = request.GET.get("state", "")
    rows = OutboxMessage.objects.filter(company=actor.company).only(
        "id",
        "event",
        "to_email",
        "language",
        "subject",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
    )
    if state in OutboxState.values:
        rows = rows.filter(state=state)
    else:
        state = ""
    page = Paginator(rows.order_by("-created_at", "pk"), OUTBOX_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "dashboard/settings/outbox.html",
        {
            "messages_page": page,
            "state": state,
            "states": OutboxState.choices,
            "sending": OutboxState.SENDING,
            **_tabs("outbox"),
        },
    )


@settings_view
@require_POST
def outbox_resend_view(request, actor: Actor, message_id):
    message = OutboxMessage.objects.filter(pk=message_id, company=actor.company).first()
    if message is None:
        raise Http404()
    row = outbox_resend(message=message)
    if row.state == OutboxState.SENDING:
        messages.info(request, _("This email is being sent right now."))
    else:
        messages.success(request, _("Queued again: it is sent in a moment."))
    return redirect("office:settings_outbox")


urlpatterns: list = [
    path("emails/", emails, name="settings_emails"),
    path("emails/<slug:event>/<slug:language>/", email, name="settings_email"),
    path(
        "emails/<slug:event>/<slug:language>/preview/",
        email_preview,
        name="settings_email_preview",
    ),
    path("emails/<slug:event>/<slug:language>/test/", email_test, name="settings_email_test"),
    path("emails/<slug:event>/<slug:language>/reset/", email_reset, name="settings_email_reset"),
    path("outbox/", outbox, name="settings_outbox"),
    path(
        "outbox/<uuid:message_id>/resend/",
        outbox_resend_view,
        name="settings_outbox_resend",
    ),
]
