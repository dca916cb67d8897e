"""`rendezvous serve`: one command for one machine.

Migrates, loads the demo company into an empty database, then serves HTTP (ASGI via
uvicorn) and runs the task worker (huey consumer threads) in the same process.
Larger deployments run `rendezvous serve --no-worker` behind a load balancer and
`rendezvous run_huey` separately (docs/deploy.md).
"""

import logging

import uvicorn
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from rendezvous.companies.models import Company
from rendezvous.core.demo import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME, DEMO_SLUG, demo_seed

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Migrate, load the demo into an empty database, serve HTTP and run the task worker."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--no-worker", action="store_true", help="Do not run the task worker here."
        )
        parser.add_argument("--no-demo", action="store_true", help="Do not load the demo company.")
        parser.add_argument("--workers", type=int, default=2, help="Task worker threads.")

    def handle(self, *args, host, port, no_worker, no_demo, workers, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        if not no_demo and not Company.objects.exists():
            demo_seed()
        consumer = None
        if not no_worker:
            from huey.contrib.djhuey import HUEY

            consumer = HUEY.create_consumer(workers=workers, worker_type="thread", periodic=True)
            consumer.start()
        base = f"http://{host}:{port}"
        self.stdout.write(f"Rendezvous is running on {base}/")
        if Company.objects.filter(slug=DEMO_SLUG).exists():
            self.stdout.write(f"  Demo API:       {base}/api/v1/companies/{DEMO_SLUG}/services")
            self.stdout.write(
                f"  Admin:          {base}/admin/  (login {DEMO_ADMIN_USERNAME} / {DEMO_ADMIN_PASSWORD})"
            )
        self.stdout.write(f"  API docs:       {base}/api/v1/docs")
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
