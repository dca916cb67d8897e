from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "rendezvous.payments"
    verbose_name = "Payments"
