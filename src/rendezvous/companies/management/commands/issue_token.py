"""`rendezvous issue_token USERNAME`: a new staff API token for that user's company and
role (the technical user of an integration gets one this way too)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from rendezvous.companies.domain import ApiTokenFields, api_token_issue
from rendezvous.companies.models import Membership
from rendezvous.core.errors import DomainError


class Command(BaseCommand):
    help = "Print a new staff API token for USERNAME's company and role."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--company", help="The company's slug, for a user of several.")
        parser.add_argument("--name", default="", help="What the token is for.")

    def handle(self, *args, username, company, name, **options):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        members = Membership.objects.filter(user=user).select_related("company")
        if company:
            members = members.filter(company__slug=company)
        members = list(members)
        if not members:
            raise CommandError(f"{username!r} is not a member of {company or 'any company'}.")
        if len(members) > 1:
            slugs = ", ".join(sorted(m.company.slug for m in members))
            raise CommandError(
                f"{username!r} works for several companies: pick one with --company ({slugs})."
            )
        member = members[0]
        try:
            token, secret = api_token_issue(
                company=member.company,
                fields=ApiTokenFields(
                    name=name or f"{username} (issue_token)",
                    role=member.role,
                    # Ids as the API spells them, the shape the domain parses.
                    user=str(user.pk),
                    staff=str(member.staff_id) if member.staff_id else None,
                ),
            )
        except DomainError as exc:
            raise CommandError(exc.reason) from None
        self.stderr.write(
            f"Token {token.prefix}… for {username} at {member.company.slug} ({member.role}); "
            "it is shown once:"
        )
        self.stdout.write(secret)
