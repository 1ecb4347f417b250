"""The mapping: a connector's JSONata expression turns a raw event into mapped event(s).

Pure: no database, no HTTP. See docs/mapping.md for what a mapping sees and must return.
"""

from mapping.engine import CompiledMapping, OverBudget, compile_cached
from mapping.raw_events import check_request_total, map_raw_event
from mapping.shape import Counter, MappedEvent, Reversal, Tag, check_shape
from mapping.timestamps import format_timestamp, normalise_timestamp

__all__ = [
    "CompiledMapping",
    "Counter",
    "MappedEvent",
    "OverBudget",
    "Reversal",
    "Tag",
    "check_request_total",
    "check_shape",
    "compile_cached",
    "format_timestamp",
    "map_raw_event",
    "normalise_timestamp",
]
