"""API v1: ninja routers, each handler parses, calls one domain function, renders."""

from ninja import NinjaAPI
from ninja.parser import Parser

from . import errors, payments, public, staff  # noqa: F401 (they register operations)
from .routing import router

api = NinjaAPI(
    title="Rendezvous API",
    version="1",
    description='Booking API v1. Errors: {"error": {"code", "message", "fields"?}}.',
    urls_namespace="api-v1",
    parser=Parser(),
)
errors.install(api)
api.add_router("", router)
