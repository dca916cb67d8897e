"""The one router of API v1. Public and staff operations share it because some share a
path (`/companies/{company}/bookings`: POST is public, GET is staff) and ninja only
merges the methods of one path within one router."""

from ninja import Router

router = Router()
