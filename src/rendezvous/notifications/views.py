"""The staff member's private calendar feed. Thin: look up the token, render, answer."""

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from .domain import staff_feed_render
from .links import staff_for_feed_token


@require_GET
def staff_feed(request: HttpRequest, token: str) -> HttpResponse:
    staff = staff_for_feed_token(token)
    if staff is None or not staff.active:
        raise Http404()
    response = HttpResponse(
        staff_feed_render(staff=staff), content_type="text/calendar; charset=utf-8"
    )
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response
