"""One raw event through its connector's mapping: what the mapping sees, and what comes out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from errors import MappingError
from mapping.engine import CompiledMapping
from mapping.shape import MappedEvent, check_shape


def map_raw_event(
    mapping: CompiledMapping,
    body: Any,
    *,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    connector: Mapping[str, Any],
) -> list[MappedEvent | MappingError]:
    """Evaluate with `$` = the raw event, `$headers` (lower-case names), `$query`, `$connector`.

    An evaluation failure raises MappingError (the whole raw event failed); a malformed mapped
    event is returned in place, as a MappingError naming the field.
    """
    bindings = {
        # Copies: the mapping must not see (or keep) the caller's mutable objects.
        "headers": {str(name).lower(): value for name, value in headers.items()},
        "query": dict(query),
        "connector": dict(connector),
    }
    return check_shape(mapping.evaluate(body, bindings))
