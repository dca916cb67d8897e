from django.urls import include, path

from . import classes, first_run, reports, views
from .setup import access, business, emails, meetings, payments, sharing, team

app_name = "office"

urlpatterns = [
    path("", views.home, name="home"),
    path("company/", views.company_pick, name="company"),
    path("setup/", first_run.setup, name="setup"),
    path("signup/", first_run.signup, name="signup"),
    path("calendar/", views.calendar, name="calendar"),
    path("bookings/new/", views.booking_new, name="booking_new"),
    path("bookings/<uuid:booking_id>/", views.booking, name="booking"),
    path("bookings/<uuid:booking_id>/move/", views.booking_move, name="booking_move"),
    path("bookings/<uuid:booking_id>/<slug:action>/", views.booking_action, name="booking_action"),
    path("requests/", views.requests_inbox, name="requests"),
    path("requests/<uuid:booking_id>/<slug:answer>/", views.request_answer, name="request_answer"),
    path("classes/", classes.classes, name="classes"),
    path("classes/<int:session_id>/", classes.class_session, name="class"),
    path("classes/<int:session_id>/<slug:action>/", classes.class_action, name="class_action"),
    path("reports/", reports.bookings_report, name="report_bookings"),
    path("reports/meetings/", reports.meetings_report, name="report_meetings"),
    path("reports/payments/", reports.payments_report_view, name="report_payments"),
    path("settings/", include(business.urlpatterns)),
    path("settings/team/", include(team.urlpatterns)),
    path("settings/sharing/", include(sharing.urlpatterns)),
    path("settings/access/", include(access.urlpatterns)),
    path("settings/meetings/", include(meetings.urlpatterns)),
    path("settings/payments/", include(payments.urlpatterns)),
    path("settings/", include(emails.urlpatterns)),
    path("customers/", views.customers, name="customers"),
    path("customers/search/", views.customer_search, name="customer_search"),
    path("customers/<int:customer_id>/", views.customer, name="customer"),
    path("customers/<int:customer_id>/merge/", views.customer_merge, name="customer_merge"),
    path("customers/<int:customer_id>/export/", views.customer_export, name="customer_export"),
    path("customers/<int:customer_id>/erase/", views.customer_erase, name="customer_erase"),
]
