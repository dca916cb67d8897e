"""Bump the availability version (availability.cache) on every write that can change it.

Signals rather than calls in each domain function: the admin edits hours, time off and
services directly, and a missed call would serve stale slots; a signal cannot be missed.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save

from rendezvous.availability.models import DateException, TimeOff, WorkingHours
from rendezvous.catalog.models import ClassSession, Service
from rendezvous.companies.models import Company, Location, Resource, StaffMember

from .cache import availability_changed


def _company_scoped(sender, instance, **kwargs) -> None:
    availability_changed(instance.company_id)


def _company(sender, instance, **kwargs) -> None:
    availability_changed(instance.pk)


def _staff_scoped(sender, instance, **kwargs) -> None:
    company_id = (
        StaffMember.objects.filter(pk=instance.staff_id)
        .values_list("company_id", flat=True)
        .first()
    )
    if company_id is not None:
        availability_changed(company_id)


def _m2m_company_scoped(sender, instance, action, **kwargs) -> None:
    # Either side of the relation may be the instance; both carry the company.
    if action.startswith("post_"):
        availability_changed(instance.company_id)


def connect() -> None:
    # Bookings bump it too, from bookings.signals (bookings sits above this app).
    for model in (ClassSession, Service, StaffMember, Resource, Location):
        post_save.connect(
            _company_scoped, sender=model, dispatch_uid=f"availability-{model.__name__}-save"
        )
        post_delete.connect(
            _company_scoped, sender=model, dispatch_uid=f"availability-{model.__name__}-delete"
        )
    for staff_model in (WorkingHours, DateException, TimeOff):
        post_save.connect(
            _staff_scoped,
            sender=staff_model,
            dispatch_uid=f"availability-{staff_model.__name__}-save",
        )
        post_delete.connect(
            _staff_scoped,
            sender=staff_model,
            dispatch_uid=f"availability-{staff_model.__name__}-delete",
        )
    post_save.connect(_company, sender=Company, dispatch_uid="availability-Company-save")
    # Who gives a service, and who works at a location: a service bound to a location
    # is given by its staff who work there.
    m2m_changed.connect(
        _m2m_company_scoped,
        sender=Service.staff.through,
        dispatch_uid="availability-service-staff",
    )
    m2m_changed.connect(
        _m2m_company_scoped,
        sender=StaffMember.locations.through,
        dispatch_uid="availability-staff-locations",
    )
