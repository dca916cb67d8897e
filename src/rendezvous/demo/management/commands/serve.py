"""`rendezvous serve`: one command for one machine.

Migrates, loads the demo company into an empty database when asked (`--demo`, which
`make run` passes; refused with RENDEZVOUS_PRODUCTION=1), then serves HTTP (ASGI via
uvicorn) and runs the task worker (huey consumer threads) in the same process.
Larger deployments run `rendezvous serve --no-worker` behind a load balancer and
`rendezvous run_huey` separately (docs/deploy.md).
"""

import argparse
import logging
import os

import uvicorn
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from rendezvous.companies.models import Company
from rendezvous.demo.seed import (
    DEMO_ADMIN_PASSWORD,
    DEMO_ADMIN_USERNAME,
    DEMO_SLUG,
    REFUSED_IN_PRODUCTION,
    demo_admin_exposed,
    demo_seed,
)

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Migrate, serve HTTP and run the task worker (--demo: load the demo first)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--no-worker", action="store_true", help="Do not run the task worker here."
        )
        parser.add_argument(
            "--demo",
            action="store_true",
            help="Load the demo company and its admin login into an empty database "
            "(refused with RENDEZVOUS_PRODUCTION=1).",
        )
        # The demo used to load unless refused: deployments that still refuse it start.
        parser.add_argument("--no-demo", action="store_true", help=argparse.SUPPRESS)
        parser.add_argument("--workers", type=int, default=2, help="Task worker threads.")

    def handle(self, *args, host, port, no_worker, demo, no_demo, workers, **options):
        if demo and no_demo:
            raise CommandError("--demo and --no-demo contradict each other.")
        if demo and settings.PRODUCTION:
            raise CommandError(REFUSED_IN_PRODUCTION)
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        if demo and not Company.objects.exists():
            demo_seed(week=True)
        exposed = demo_admin_exposed()
        if exposed and settings.PRODUCTION:
            # A database that once ran the demo keeps its superuser: production must not
            # answer to a password anyone can read.
            raise CommandError(
                f"The superuser {DEMO_ADMIN_USERNAME} still has the demo's published "
                f"password: change it (rendezvous changepassword {DEMO_ADMIN_USERNAME}) "
                "or delete the user before serving with RENDEZVOUS_PRODUCTION=1."
            )
        base = f"http://{host}:{port}"
        if not os.environ.get("RENDEZVOUS_BASE_URL") and host not in ("0.0.0.0", "::"):
            # Links in emails and API answers (join, manage) point where this server
            # answers, not at the default port, unless the operator said otherwise. The
            # task worker runs in this process, so its emails see the same address.
            settings.BASE_URL = base
        mail_dir = None
        if not settings.PRODUCTION and not (
            os.environ.get("EMAIL_HOST") or os.environ.get("EMAIL_BACKEND")
        ):
            # No mail server named: a trial run keeps its emails as files to read (join
            # and manage links included) instead of retrying a localhost:25 that is not
            # there, and the outbox shows them sent.
            mail_dir = settings.VAR_DIR / "mail"
            settings.MAILERS = {
                "default": {
                    "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                    "OPTIONS": {"file_path": str(mail_dir)},
                }
            }
        consumer = None
        if not no_worker:
            from huey.contrib.djhuey import HUEY  # noqa: PLC0415 (the queue is configured from settings only once the command runs)

            consumer = HUEY.create_consumer(workers=workers, worker_type="thread", periodic=True)
            consumer.start()
        self.stdout.write(f"Rendezvous is running on {base}/")
        if not Company.objects.exists() and not get_user_model().objects.exists():
            self.stdout.write(
                f"  Set up:         {base}/office/  (no company yet: create the first one "
                "and its admin there, or run rendezvous create_company)"
            )
        if Company.objects.filter(slug=DEMO_SLUG).exists():
            self.stdout.write(f"  Demo API:       {base}/api/v1/companies/{DEMO_SLUG}/services")
        if exposed:
            self.stdout.write(
                f"  Back office:    {base}/office/  (logins {DEMO_ADMIN_USERNAME}, senior, junior;"
                f" password {DEMO_ADMIN_PASSWORD})"
            )
            self.stdout.write(
                f"  Admin:          {base}/admin/  (login {DEMO_ADMIN_USERNAME} / {DEMO_ADMIN_PASSWORD})"
            )
        self.stdout.write(f"  API docs:       {base}/api/v1/docs")
        if mail_dir is not None:
            self.stdout.write(
                f"  Emails:         written to {mail_dir}/ (set EMAIL_HOST to send them)"
            )
        self.stdout.write(f"  Task worker:    {'off' if no_worker else f'{workers} threads'}")
        self.stdout.flush()
        try:
            uvicorn.run(
                "rendezvous.asgi:application",
                host=host,
                port=port,
                log_level="info",
                proxy_headers=bool(settings.SECURE_PROXY_SSL_HEADER),
                lifespan="off",
            )
        finally:
            if consumer is not None:
                consumer.stop(graceful=True)
