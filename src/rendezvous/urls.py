from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from rendezvous.api.router import api
from rendezvous.public.urls import link_patterns

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    # The back office: staff sign-in (django-allauth) and the pages staff work in.
    path("office/account/", include("allauth.urls")),
    path("office/language/", set_language, name="set_language"),
    path("office/", include("rendezvous.dashboard.urls")),
    path("", include("rendezvous.notifications.urls")),
    path("", include("rendezvous.meetings.urls")),
    # The booking site: /<language>/<company>/...; /manage/<id>/<token>/ redirects into it.
    path("", include((link_patterns, "public_links"))),
]
urlpatterns += i18n_patterns(path("", include("rendezvous.public.urls")))

# Error pages in the booking site's layout and the visitor's language (public.errors).
handler400 = "rendezvous.public.errors.bad_request"
handler403 = "rendezvous.public.errors.permission_denied"
handler404 = "rendezvous.public.errors.page_not_found"
handler500 = "rendezvous.public.errors.server_error"
