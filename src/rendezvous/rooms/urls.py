from django.urls import path

from . import views

app_name = "rooms"

urlpatterns = [path("join/<str:token>/", views.join, name="join")]
