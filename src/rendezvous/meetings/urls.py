from django.urls import path

from . import oauth_views

app_name = "meetings"

urlpatterns = [
    path(
        "meetings/oauth/<slug:provider>/connect/<int:account_id>/",
        oauth_views.connect,
        name="oauth_connect",
    ),
    path("meetings/oauth/<slug:provider>/callback/", oauth_views.callback, name="oauth_callback"),
]
