"""Booking site URLs. Everything here sits under the language prefix (i18n_patterns),
except `manage_link`: `/manage/<id>/<token>/`, the manage_url of API answers and
emails, which redirects into the booking's language."""

from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

from . import join, views

app_name = "public"

SCOPE = r"(?P<scope_kind>location|staff|resource|service)/(?P<scope_id>[0-9]{1,18})/"
COMPANY = r"(?P<company>[-a-zA-Z0-9_]+)/"

urlpatterns = [
    path("manage/<uuid:booking_id>/<str:token>/", views.manage, name="manage"),
    path("manage/<uuid:booking_id>/<str:token>/cancel/", views.manage_cancel, name="cancel"),
    path(
        "manage/<uuid:booking_id>/<str:token>/reschedule/",
        views.manage_reschedule,
        name="reschedule",
    ),
    path("manage/<uuid:booking_id>/<str:token>/pay/", views.manage_pay, name="pay"),
    path("manage/<uuid:booking_id>/<str:token>/calendar.ics", views.manage_ics, name="ics"),
    # Embeds: framed by the company's site. Their booking form is exempt from CSRF
    # because a framed page on another site gets no cookies in most browsers; the form
    # creates a booking for whoever fills it, so a forged post gains nothing a direct
    # post would not (rate limit, honeypot and ALTCHA still apply).
    re_path(r"^embed/" + COMPANY + "$", views.booking_page, {"embed": True}, name="embed"),
    re_path(
        r"^embed/" + COMPANY + SCOPE + "$",
        views.booking_page,
        {"embed": True},
        name="embed_scoped",
    ),
    re_path(
        r"^embed/" + COMPANY + "book/$",
        csrf_exempt(views.booking_details),
        {"embed": True},
        name="embed_book",
    ),
    re_path(
        r"^embed/" + COMPANY + SCOPE + "book/$",
        csrf_exempt(views.booking_details),
        {"embed": True},
        name="embed_book_scoped",
    ),
    re_path(
        r"^embed/" + COMPANY + r"booked/(?P<booking_id>[0-9a-f-]{36})/(?P<token>[^/]+)/$",
        views.booked,
        {"embed": True},
        name="embed_booked",
    ),
    re_path(r"^" + COMPANY + "my/$", views.my_bookings, name="my"),
    re_path(r"^" + COMPANY + r"my/signin/(?P<token>[^/]+)/$", views.my_signin, name="my_signin"),
    re_path(r"^" + COMPANY + "my/signout/$", views.my_signout, name="my_signout"),
    re_path(r"^" + COMPANY + "passes/$", views.passes, name="passes"),
    re_path(
        r"^" + COMPANY + r"passes/(?P<pass_id>[0-9]{1,18})/$",
        views.pass_bought,
        name="pass_bought",
    ),
    re_path(r"^" + COMPANY + "share/$", views.share, name="share"),
    re_path(r"^" + COMPANY + "altcha/challenge/$", views.altcha_challenge, name="altcha_challenge"),
    re_path(
        r"^" + COMPANY + r"booked/(?P<booking_id>[0-9a-f-]{36})/(?P<token>[^/]+)/$",
        views.booked,
        name="booked",
    ),
    re_path(r"^" + COMPANY + "book/$", views.booking_details, name="book"),
    re_path(r"^" + COMPANY + SCOPE + "book/$", views.booking_details, name="book_scoped"),
    re_path(r"^" + COMPANY + "$", views.booking_page, name="page"),
    path("", views.index, name="index"),
    re_path(r"^" + COMPANY + SCOPE + "$", views.booking_page, name="page_scoped"),
]

# Outside the language prefix (see the module docstring).
link_patterns = [
    path("manage/<uuid:booking_id>/<str:token>/", views.manage_link, name="manage_link"),
    path("join/<str:token>/", join.join, name="join"),
]
