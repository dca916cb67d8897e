"""The ASGI application `rendezvous serve` runs under uvicorn.

| protocol | served by |
| --- | --- |
| HTTP | Django's WSGI handler on a thread pool (a2wsgi) |
| WebSocket | Channels: the built-in video room's signaling (rendezvous.rooms.routing), behind an Origin check against ALLOWED_HOSTS |

HTTP goes to Django's WSGI handler rather than to Django's ASGI handler: that one runs
every synchronous view on a single shared thread, so concurrent requests queued behind
one another (at concurrency 8 a request waited for the seven before it). The views and
the ORM are synchronous, so threads serve them best.
"""

import gc
import os

from a2wsgi import WSGIMiddleware
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rendezvous.settings")

# Threads, not processes: SQLite writers queue on an in-process lock (bookings.domain.locking).
HTTP_THREADS = int(os.environ.get("RENDEZVOUS_HTTP_THREADS", "8"))

# django-stubs types WSGIHandler.__call__ as returning HttpResponseBase, which has no
# __iter__; the responses it returns (HttpResponse and its kin) are iterables of bytes.
http_application = WSGIMiddleware(get_wsgi_application(), workers=HTTP_THREADS)  # type: ignore[arg-type]

# Imported after Django is set up (get_wsgi_application): they load models.
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from rendezvous.rooms.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": http_application,
        "websocket": AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns)),
    }
)


def _warm_up() -> None:
    """Do now what the first requests would each do at once, in parallel, and slowly.

    Django compiles its email regexes on first use (about 50 ms; the lazy object has no
    lock, so eight first bookings compiled them eight times over) and imports the URL
    conf on the first request.
    """
    from django.core.validators import validate_email  # noqa: PLC0415 (warm-up runs once Django is set up)
    from django.urls import get_resolver  # noqa: PLC0415 (warm-up runs once Django is set up)

    validate_email("warm-up@example.com")
    get_resolver().url_patterns  # noqa: B018 - the property imports every URL module


_warm_up()

# Everything loaded so far (Django, the URL conf, the models) lives as long as the
# process: keep it out of the collector's full passes, which otherwise walk it all
# and stall every request in flight for tens of milliseconds.
gc.freeze()
