"""The real URLs plus views that fail, for the error page tests."""

from django.conf.urls.i18n import i18n_patterns
from django.urls import path

from rendezvous.urls import handler400, handler403, handler404, handler500, urlpatterns


def boom(request, company=None):
    raise RuntimeError("a bug")


urlpatterns = [
    *i18n_patterns(path("boom/", boom), path("<slug:company>/boom/", boom)),
    *urlpatterns,
]
__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
