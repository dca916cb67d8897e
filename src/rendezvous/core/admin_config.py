"""Django's admin app with the operators-only site (core.admin_site) as its default.

Kept apart from the site: an app config module is imported before the models exist.
"""

from django.contrib.admin.apps import AdminConfig


class OperatorAdminConfig(AdminConfig):
    default_site = "rendezvous.core.admin_site.OperatorAdminSite"
