from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("calendar/<str:token>.ics", views.staff_feed, name="staff_feed"),
]
