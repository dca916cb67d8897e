from django.core.management.base import BaseCommand, CommandError

from rendezvous.demo.seed import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME, DemoRefused, demo_seed


class Command(BaseCommand):
    help = "Create the demo company 'demo' (idempotent)."

    def handle(self, *args, **options):
        try:
            company = demo_seed(week=True)
        except DemoRefused as refused:
            raise CommandError(str(refused)) from None
        self.stdout.write(
            f"Demo company '{company.slug}' ready; admin login {DEMO_ADMIN_USERNAME} / {DEMO_ADMIN_PASSWORD}"
        )
