"""factory-boy factories. Bookings are made through the domain functions, not here."""

from datetime import time

import factory

from rendezvous.availability.models import WorkingHours
from rendezvous.catalog.models import ClassSession, Service, ServiceKind
from rendezvous.companies.models import Company, Location, Resource, StaffMember


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    slug = factory.Sequence(lambda n: f"company-{n}")
    name = factory.Sequence(lambda n: f"Company {n}")
    timezone = "Europe/Berlin"
    languages = ["en", "de", "da", "ro", "es"]
    currency = "EUR"
    online_meetings_enabled = True
    min_notice_minutes = 60
    max_days_ahead = 90
    slot_step_minutes = 15
    cancel_cutoff_hours = 24
    reschedule_cutoff_hours = 24


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Location {n}")
    timezone = factory.LazyAttribute(lambda o: o.company.timezone)


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffMember
        skip_postgeneration_save = True

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Staff {n}")
    email = factory.Sequence(lambda n: f"staff{n}@example.com")

    @factory.post_generation
    def hours(self, create, extracted, **kwargs):
        """hours=[(weekday, "09:00", "17:00"), ...]; default: every day 09:00-17:00."""
        spans = extracted if extracted is not None else [(d, "09:00", "17:00") for d in range(7)]
        for weekday, start, end in spans:
            WorkingHours.objects.create(
                staff=self,
                weekday=weekday,
                start=time.fromisoformat(start),
                end=time.fromisoformat(end),
            )


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resource

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Cabin {n}")
    kind = "cabin"


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        skip_postgeneration_save = True

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Service {n}")
    kind = ServiceKind.APPOINTMENT
    duration_minutes = 60

    @factory.post_generation
    def staff(self, create, extracted, **kwargs):
        if extracted:
            self.staff.set(extracted)


class ClassSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClassSession

    company = factory.LazyAttribute(lambda o: o.service.company)
    service = factory.SubFactory(ServiceFactory, kind=ServiceKind.CLASS)
    start = None
    end = factory.LazyAttribute(lambda o: o.start + o.service.duration)
    capacity = 10
