"""Every write to the catalogue: categories and services, one module per entity
(class sessions, which hold bookings, are bookings.domain.sessions'). `texts` holds
the limits and translations of the texts a customer sees, which both share.
"""

from .categories import CATEGORY, CategoryFields, category_create, category_delete, category_update
from .services import (
    PRICE_MAX,
    SERVICE,
    ServiceFields,
    service_create,
    service_deactivate,
    service_delete,
    service_update,
)
from .texts import CATEGORY_TEXTS, SERVICE_TEXTS, clean_translations

__all__ = [
    "CATEGORY",
    "CATEGORY_TEXTS",
    "CategoryFields",
    "PRICE_MAX",
    "SERVICE",
    "SERVICE_TEXTS",
    "ServiceFields",
    "category_create",
    "category_delete",
    "category_update",
    "clean_translations",
    "service_create",
    "service_deactivate",
    "service_delete",
    "service_update",
]
