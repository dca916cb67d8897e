"""`rendezvous create_company`: a new company and its admin account, from the command
line (the first one of an installation set up by a script, or one more for a hosted
service). The same checks as the back office's setup page (companies.domain.company_setup).

The password comes from --admin-password, else RENDEZVOUS_ADMIN_PASSWORD, else it is
asked twice at the terminal; the environment keeps it out of the process list.
"""

import getpass
import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from rendezvous.companies.domain import AdminFields, CompanyFields, company_setup
from rendezvous.core.errors import DomainError

PASSWORD_VARIABLE = "RENDEZVOUS_ADMIN_PASSWORD"
# The domain's field names as this command's options spell them.
OPTIONS = {
    "username": "--admin-username",
    "email": "--admin-email",
    "password": "the password",
    "password_again": "the password",
}


class Command(BaseCommand):
    help = "Create a company and its admin user."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="The company's name.")
        parser.add_argument("--slug", required=True, help="Its booking site's address: /en/SLUG/.")
        parser.add_argument(
            "--timezone", default="UTC", help="An IANA zone, e.g. Europe/Copenhagen."
        )
        parser.add_argument(
            "--languages", default="en", help="Comma-separated, the default first: en,da."
        )
        parser.add_argument("--currency", default="EUR", help="A three-letter code.")
        parser.add_argument("--admin-username", required=True)
        parser.add_argument("--admin-email", required=True)
        parser.add_argument(
            "--admin-password",
            help=f"Visible to other users of this machine: prefer {PASSWORD_VARIABLE} or the prompt.",
        )

    def handle(self, *args, **options):
        admin = AdminFields(
            username=options["admin_username"],
            email=options["admin_email"],
            **self._password(options["admin_password"]),
        )
        company = CompanyFields(
            name=options["name"],
            slug=options["slug"],
            timezone=options["timezone"],
            languages=[code.strip() for code in options["languages"].split(",") if code.strip()],
            currency=options["currency"].strip().upper(),
        )
        try:
            made = company_setup(company=company, admin=admin)
        except DomainError as exc:
            problems = [
                f"{OPTIONS.get(field, f'--{field}')}: {problem}"
                for field, listed in (exc.fields or {}).items()
                for problem in listed
            ]
            raise CommandError("; ".join(problems) or exc.message) from None
        self.stdout.write(
            f"Created company {made.company.name} ({made.company.slug}, {made.company.timezone}, "
            f"{','.join(made.company.languages)}, {made.company.currency}) and its admin "
            f"{made.user.username} <{made.user.email}>."
        )
        self.stdout.write(f"Back office: {settings.BASE_URL}/office/")

    def _password(self, given: str | None) -> dict[str, str]:
        if given:
            return {"password": given}
        if os.environ.get(PASSWORD_VARIABLE):
            return {"password": os.environ[PASSWORD_VARIABLE]}
        if not sys.stdin.isatty():
            raise CommandError(
                f"Give the admin's password: --admin-password, {PASSWORD_VARIABLE}, "
                "or run this at a terminal to be asked."
            )
        first = getpass.getpass("Admin password: ")
        return {"password": first, "password_again": getpass.getpass("Admin password (again): ")}
