"""Settings: the company and its booking rules, locations and resources, services."""

urlpatterns: list = []
