from django.core.management.base import BaseCommand

from rendezvous.core.demo import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME, demo_seed


class Command(BaseCommand):
    help = "Create the demo company 'demo' (idempotent)."

    def handle(self, *args, **options):
        company = demo_seed()
        self.stdout.write(
            f"Demo company '{company.slug}' ready; admin login {DEMO_ADMIN_USERNAME} / {DEMO_ADMIN_PASSWORD}"
        )
