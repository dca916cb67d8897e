"""The ASGI application `rendezvous serve` runs under uvicorn.

HTTP goes to Django's WSGI handler on a thread pool (a2wsgi) rather than to Django's
ASGI handler: that one runs every synchronous view on a single shared thread, so
concurrent requests queued behind one another (at concurrency 8 a request waited for
the seven before it). The views and the ORM are synchronous, so threads serve them
best; WebSocket routes can be added beside this dispatcher.
"""

import os

from a2wsgi import WSGIMiddleware
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rendezvous.settings")

# Threads, not processes: SQLite writers queue on an in-process lock (bookings.domain.locking).
HTTP_THREADS = int(os.environ.get("RENDEZVOUS_HTTP_THREADS", "8"))

application = WSGIMiddleware(get_wsgi_application(), workers=HTTP_THREADS)
