"""The pure scheduling core: UTC intervals, opening rules, bookable starts.

Nothing here imports Django or the rest of rendezvous, and nothing reads a clock:
``now`` and zones come in as arguments, times are integer UTC epoch seconds.
"""

from .intervals import Interval, from_epoch, intersect, normalize, subtract, to_epoch, union
from .rules import DateOverride, WeeklyHours, local_day, local_to_epoch, working_intervals
from .slots import Calendar, Slot, SlotQuery, find_slots, fits, is_free, on_grid

__all__ = [
    "Calendar",
    "DateOverride",
    "Interval",
    "Slot",
    "SlotQuery",
    "WeeklyHours",
    "find_slots",
    "fits",
    "from_epoch",
    "intersect",
    "is_free",
    "local_day",
    "local_to_epoch",
    "normalize",
    "on_grid",
    "subtract",
    "to_epoch",
    "union",
    "working_intervals",
]
