"""Rendezvous: self-hostable booking for appointments and group classes."""
