from django.urls import path

from . import views

app_name = "meetings"

urlpatterns = [path("join/<str:token>/", views.join, name="join")]
