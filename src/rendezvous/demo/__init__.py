"""The demo company and `rendezvous serve`, which loads it when asked (`--demo`).

The top layer of docs/architecture.md: the demo fills every app below it (its
catalogue, hours, meetings, users and a week of bookings), and `serve` starts the whole
site, so both import whatever they need and nothing imports them.
"""
