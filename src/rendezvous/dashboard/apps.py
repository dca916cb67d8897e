from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "rendezvous.dashboard"
    label = "dashboard"
    verbose_name = "Back office"
