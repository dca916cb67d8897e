from django.apps import AppConfig


class CompaniesConfig(AppConfig):
    name = "rendezvous.companies"
    verbose_name = "Companies"
