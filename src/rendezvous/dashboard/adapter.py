"""django-allauth, fitted to the back office: nobody signs up (an admin invites staff),
and its emails (password reset ...) go through our outbox, so they are retried and
logged without their content like every other email."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.utils import translation

from rendezvous.companies.models import Membership
from rendezvous.notifications.domain import send_staff_account_email


class OfficeAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        user = context.get("user")
        member = (
            Membership.objects.filter(user=user).select_related("company").order_by("pk").first()
            if user is not None and user.pk
            else None
        )
        if user is None or member is None:
            # An operator without a company (a superuser): allauth's own way, Django's mailer.
            super().send_mail(template_prefix, email, context)
            return
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        message = self.render_mail(template_prefix, email, {**ctx, **context})
        send_staff_account_email(
            company=member.company,
            email=email,
            name=user.get_full_name(),
            subject=message.subject,
            text=message.body,
            language=translation.get_language() or member.company.default_language,
        )
