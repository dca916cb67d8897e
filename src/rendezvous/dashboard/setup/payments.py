"""Settings: payments (/office/settings/payments/).

| screen | writes |
| --- | --- |
| the page: methods, card hold, bank account, Stripe keys, refund share | payments.domain.settings.payment_settings_update, with the fields that changed |
| passes: the list, new, edit, take off sale, delete | payments.domain.passes.pass_product_create / _update / _archive / _delete |
| `statement/`: a bank statement (CSV) matched to the pending transfers | payments.domain.bank.statement_parse, statement_match (each match marked paid) |

Admins only (settings_view), as every settings screen. The Stripe keys are write-only:
the page says whether Stripe is connected (stripe_connected) and never renders a key,
not even the one just typed into a refused form; an empty key field keeps the stored
key, "disconnect" clears both.
"""

import dataclasses
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import Prefetch, Q
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rendezvous.catalog.models import Service
from rendezvous.companies.access import Actor, access_company_row
from rendezvous.core.audit import history
from rendezvous.core.errors import DomainError, ValidationFailed
from rendezvous.core.formats import money
from rendezvous.payments.domain import bank, passes
from rendezvous.payments.domain.charges import shown_amount
from rendezvous.payments.domain.money import quantize
from rendezvous.payments.domain.settings import (
    SECRETS,
    SWITCHES,
    PaymentSettingsFields,
    payment_settings_or_defaults,
    payment_settings_update,
    stripe_connected,
)
from rendezvous.payments.models import (
    Method,
    PassProduct,
    Payment,
    PaymentSettings,
    PaymentState,
)

from ..refusals import form_errors
from .business import (
    _all_errors,
    _checked,
    _number,
    _tabs,
    _translation_rows,
    _translation_values,
    settings_view,
)

NUMBERS = ("hold_minutes", "transfer_due_days", "refund_after_cutoff_percent")
TEXTS = ("account_holder", "iban", "bic")
# A percent with decimals ("19", "7,5"): sent as typed, for the domain to check.
DECIMALS = ("tax_rate_percent",)
# What the settings form shows at a field; anything else goes to the page's alert.
SETTINGS_FIELDS = {*SWITCHES, *NUMBERS, *TEXTS, *DECIMALS, *SECRETS}
PASS_FIELDS = {"name", "description", "entries", "valid_days", "price", "services", "active"}
# A bank's CSV export of a month is some kilobytes; the domain reads at most 10,000 rows.
STATEMENT_MAX_BYTES = 2_000_000


def _labels(model, names) -> dict[str, str]:
    """The fields' names as the model (and so the operators' admin) gives them."""
    return {name: capfirst(model._meta.get_field(name).verbose_name) for name in names}


SETTINGS_LABELS = (*SWITCHES, *NUMBERS, *TEXTS, *DECIMALS, *SECRETS)
PASS_LABELS = ("entries", "valid_days", "active")


def _webhook_url(company) -> str:
    return settings.BASE_URL + f"/api/v1/companies/{company.slug}/payments/stripe/webhook"


# -- the settings ----------------------------------------------------------------------


def _settings_changes(form: QueryDict, stored) -> dict[str, Any]:
    """The fields of the form whose value differs from the stored one, as
    PaymentSettingsFields takes them. Text that is not a number goes on as typed, for
    the domain to refuse with the field's range."""
    sent: dict[str, Any] = {name: _checked(form, name) for name in SWITCHES}
    sent.update({name: _number(form.get(name, "")) for name in NUMBERS})
    sent.update({name: form.get(name, "").strip() for name in TEXTS})
    # An empty rate (or a form from before the field) is no tax.
    sent.update({name: form.get(name, "").strip() or "0" for name in DECIMALS})
    changes = {
        name: value
        for name, value in sent.items()
        if _compact(name, value) != getattr(stored, name)
    }
    if _checked(form, "stripe_disconnect"):
        changes.update({name: "" for name in SECRETS})
    else:
        # An empty key field keeps the stored key: the page never shows it back.
        typed = {name: form.get(name, "").strip() for name in SECRETS}
        changes.update({name: value for name, value in typed.items() if value})
    return changes


def _compact(name: str, value: Any) -> Any:
    """An IBAN or BIC as stored (no spaces, upper case), to tell whether it changed; the
    domain checks and compacts what is sent."""
    if name in ("iban", "bic"):
        return "".join(value.split()).upper()
    if name in DECIMALS:
        try:
            number = Decimal(value.replace(",", "."))
        except InvalidOperation:
            return value
        # "sNaN" cannot even be compared: the domain refuses it as typed.
        return number if number.is_finite() else value
    return value


def _shown_form(form: QueryDict) -> dict[str, Any]:
    """A refused form as the page shows it again: never a Stripe key."""
    shown: dict[str, Any] = {name: _checked(form, name) for name in SWITCHES}
    shown.update({name: form.get(name, "") for name in (*NUMBERS, *TEXTS, *DECIMALS)})
    return shown


def _stored_form(stored) -> dict[str, Any]:
    shown = {name: getattr(stored, name) for name in (*SWITCHES, *NUMBERS, *TEXTS, *DECIMALS)}
    # In groups of four, as on a bank card and in the customers' instructions.
    shown["iban"] = " ".join(stored.iban[i : i + 4] for i in range(0, len(stored.iban), 4))
    return shown


def _pass_rows(company) -> list[dict[str, Any]]:
    products = (
        PassProduct.objects.filter(company=company)
        .prefetch_related(Prefetch("services", queryset=Service.objects.order_by("name", "pk")))
        .order_by("-active", "position", "name", "pk")
    )
    return [
        {
            "product": product,
            "price": money(product.price, company.currency),
            "services": [service.local_name for service in product.services.all()],
        }
        for product in products
    ]


def _settings_page(request, actor: Actor, *, form=None, errors=None):
    company = actor.company
    stored = payment_settings_or_defaults(company)
    errors = errors or {}
    return render(
        request,
        "dashboard/settings/payments.html",
        {
            "company": company,
            "form": form if form is not None else _stored_form(stored),
            "errors": errors,
            "other_errors": _all_errors(errors, SETTINGS_FIELDS),
            "labels": _labels(PaymentSettings, SETTINGS_LABELS),
            "hold_help": PaymentSettings._meta.get_field("hold_minutes").help_text,
            "tax_help": PaymentSettings._meta.get_field("tax_rate_percent").help_text,
            "pass_labels": _labels(PassProduct, PASS_LABELS),
            "connected": stripe_connected(stored),
            "webhook_url": _webhook_url(company),
            "passes": _pass_rows(company),
            **_tabs("payments"),
        },
        status=422 if errors else 200,
    )


@settings_view
def payment_settings_page(request, actor: Actor):
    """The payment settings and the passes on sale; a POST saves the settings."""
    if request.method != "POST":
        return _settings_page(request, actor)
    stored = payment_settings_or_defaults(actor.company)
    changes = _settings_changes(request.POST, stored)
    try:
        payment_settings_update(company=actor.company, fields=PaymentSettingsFields(**changes))
    except DomainError as exc:
        return _settings_page(
            request, actor, form=_shown_form(request.POST), errors=form_errors(exc)
        )
    messages.success(request, _("Saved."))
    return redirect("office:settings_payments")


# -- passes ------------------------------------------------------------------------------


def _pass_fields(form: QueryDict, company) -> passes.PassProductFields:
    services = tuple(
        int(value) if value.isdigit() and len(value) <= 12 else value
        for value in form.getlist("services")
    )
    values: dict[str, Any] = {
        "name": form.get("name", ""),
        "description": form.get("description", ""),
        "entries": _number(form.get("entries", "")),
        "valid_days": _number(form.get("valid_days", "")),
        # As typed ("12,50" too): the domain reads it in the currency's minor units.
        "price": form.get("price", "").strip(),
        "services": services,
        "translations": _translation_values(form, company, passes.PASS_TEXTS),
        "active": _checked(form, "active"),
    }
    return passes.PassProductFields(**values)


def _pass_page(request, actor: Actor, product: PassProduct | None, *, form=None, errors=None):
    company = actor.company
    errors = errors or {}
    if form is not None:
        chosen = set(form.getlist("services"))
    elif product is not None:
        chosen = {str(pk) for pk in product.services.values_list("pk", flat=True)}
    else:
        chosen = set()
    # Archived services are offered only where the pass already covers them.
    services = Service.objects.filter(company=company).filter(
        Q(active=True) | Q(pk__in=[int(pk) for pk in chosen if pk.isdigit()])
    )
    return render(
        request,
        "dashboard/settings/pass.html",
        {
            "product": product,
            "form": form,
            "errors": errors,
            "other_errors": _all_errors(errors, PASS_FIELDS),
            "translations": _translation_rows(company, product, passes.PASS_TEXTS, form, errors),
            "labels": _labels(PassProduct, PASS_LABELS),
            "services": [
                {"service": service, "checked": str(service.pk) in chosen}
                for service in services.order_by("name", "pk")
            ],
            "currency": company.currency,
            "price": quantize(product.price, company.currency) if product else "",
            "history": (
                history(passes.PASS_PRODUCT, product.pk, sources=(PassProduct,)) if product else []
            ),
            **_tabs("payments"),
        },
        status=422 if errors else 200,
    )


@settings_view
def pass_new(request, actor: Actor):
    if request.method != "POST":
        return _pass_page(request, actor, None)
    try:
        created = passes.pass_product_create(
            company=actor.company, fields=_pass_fields(request.POST, actor.company)
        )
    except DomainError as exc:
        return _pass_page(request, actor, None, form=request.POST, errors=form_errors(exc))
    messages.success(request, _("The pass “%(name)s” is on the list.") % {"name": created.name})
    return redirect(reverse("office:settings_payments") + "#passes")


@settings_view
def pass_edit(request, actor: Actor, product_id: int):
    row = access_company_row(actor, PassProduct, product_id)
    if request.method != "POST":
        return _pass_page(request, actor, row)
    fields = _pass_fields(request.POST, actor.company)
    try:
        # The list's order is not edited here: the pass keeps its place.
        passes.pass_product_update(
            product=row,
            fields=dataclasses.replace(fields, position=row.position),
        )
    except DomainError as exc:
        return _pass_page(request, actor, row, form=request.POST, errors=form_errors(exc))
    messages.success(request, _("Saved."))
    return redirect(reverse("office:settings_payments") + "#passes")


@settings_view
@require_POST
def pass_archive(request, actor: Actor, product_id: int):
    row = access_company_row(actor, PassProduct, product_id)
    passes.pass_product_archive(product=row)
    messages.success(
        request,
        _("“%(name)s” is off sale; the passes customers own stay usable.") % {"name": row.name},
    )
    return redirect(reverse("office:settings_payments") + "#passes")


@settings_view
@require_POST
def pass_delete(request, actor: Actor, product_id: int):
    row = access_company_row(actor, PassProduct, product_id)
    try:
        passes.pass_product_delete(product=row)
    except DomainError as exc:
        messages.error(request, exc.reason)
        return redirect("office:settings_pass", product_id=row.pk)
    messages.success(request, _("The pass “%(name)s” is deleted.") % {"name": row.name})
    return redirect(reverse("office:settings_payments") + "#passes")


# -- the bank statement ------------------------------------------------------------------


def _statement_text(upload) -> str:
    """The uploaded file as text: UTF-8 (with or without its mark), else Windows-1252,
    as many banks still export; ValidationFailed for a file too large or not text."""
    if upload is None:
        raise ValidationFailed(fields={"statement": [_("Choose the CSV file to import.")]})
    if upload.size > STATEMENT_MAX_BYTES:
        raise ValidationFailed(
            fields={"statement": [_("This file is too large: import at most 2 MB at once.")]}
        )
    data = upload.read()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed(
        fields={"statement": [_("This file is not text: export the statement as CSV.")]}
    )


def _payment_row(payment: Payment, today) -> dict[str, Any]:
    return {
        "payment": payment,
        "amount": money(payment.amount, payment.currency),
        "overdue": payment.due is not None and payment.due < today,
    }


def _statement_row(row: bank.StatementRow, currency: str) -> dict[str, Any]:
    return {
        "row": row,
        "amount": shown_amount(row.amount, currency) if row.amount is not None else "",
    }


@settings_view
def statement(request, actor: Actor):
    """The upload form, what an upload matched and did not, and the transfers still
    waiting (the overdue ones first)."""
    company = actor.company
    now = timezone.now()
    errors: dict[str, list[str]] = {}
    result = None
    if request.method == "POST":
        try:
            rows = bank.statement_parse(_statement_text(request.FILES.get("statement")))
        except DomainError as exc:
            errors = form_errors(exc)
        else:
            result = bank.statement_match(company=company, rows=rows, now=now, actor=request.user)
    today = now.astimezone(company.zone).date()
    currency = company.currency.upper()
    pending = (
        Payment.objects.filter(
            company=company, method=Method.BANK_TRANSFER, state=PaymentState.PENDING
        )
        .select_related("booking", "customer_pass__customer", "customer_pass__product")
        .order_by("due", "id")
    )
    return render(
        request,
        "dashboard/settings/statement.html",
        {
            "errors": errors,
            "other_errors": _all_errors(errors, {"statement"}),
            "result": result,
            "matched": [
                {
                    **_statement_row(m.row, m.payment.currency),
                    "payment": m.payment,
                    "amount": money(m.payment.amount, m.payment.currency),
                }
                for m in (result.matched if result else [])
            ],
            "unmatched": [
                {**_statement_row(u.row, currency), "message": u.message}
                for u in (result.unmatched if result else [])
            ],
            "overdue": [_payment_row(p, today) for p in bank.overdue_transfers(company, today)],
            "pending": [_payment_row(p, today) for p in pending if not (p.due and p.due < today)],
            "max_mb": STATEMENT_MAX_BYTES // 1_000_000,
            **_tabs("payments"),
        },
        status=422 if errors else 200,
    )


urlpatterns: list = [
    path("", payment_settings_page, name="settings_payments"),
    path("passes/new/", pass_new, name="settings_pass_new"),
    path("passes/<int:product_id>/", pass_edit, name="settings_pass"),
    path("passes/<int:product_id>/archive/", pass_archive, name="settings_pass_archive"),
    path("passes/<int:product_id>/delete/", pass_delete, name="settings_pass_delete"),
    path("statement/", statement, name="settings_statement"),
]
