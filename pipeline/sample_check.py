"""Samples as regression cases: what a mapping makes of each sample, and which outputs a change moves."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import anyio.to_thread

from errors import MappingError
from mapping import CompiledMapping, MappedEvent
from mapping.isolation import map_isolated
from storage import samples as store
from storage.database import Connection


def binding(connector: Mapping[str, Any]) -> dict[str, Any]:
    """What the mapping sees as `$connector` (as pipeline.context.ConnectorSnapshot.binding)."""
    return {
        "id": connector["id"],
        "name": connector["name"],
        "mode": connector["mode"],
        "eventType": connector["event_type"],
    }


def sample_output(mapping: CompiledMapping, sample: Mapping[str, Any], connector: Mapping[str, Any]) -> Any:
    """The mapped events (or the errors) for one sample, as JSON: what is saved and compared.
    Blocking: the mapping runs in a mapping worker (mapping/isolation.py)."""
    [mapped] = map_isolated(
        mapping,
        [sample["body"]],
        headers=sample.get("headers") or {},
        query=sample.get("query") or {},
        connector=binding(connector),
    )
    if isinstance(mapped, MappingError):
        return {"error": mapped.to_json()["error"]}
    out = [m.to_json() if isinstance(m, MappedEvent) else {"error": m.to_json()["error"]} for m in mapped]
    return json.loads(json.dumps(out))  # as a JSON column gives it back, so comparisons are exact


def outputs(mapping: CompiledMapping, rows: list[dict[str, Any]], connector: Mapping[str, Any]) -> list[Any]:
    return [sample_output(mapping, row, connector) for row in rows]


async def check_samples(
    conn: Connection, connector: Mapping[str, Any], mapping: CompiledMapping
) -> list[dict[str, Any]]:
    """Every sample of the connector: its expected output ("before") and what `mapping` makes of it."""
    rows = await store.list_samples(conn, connector["id"])
    # Mapping is CPU work bounded by the mapping timeout: off the event loop, one hop for all samples.
    after = await anyio.to_thread.run_sync(outputs, mapping, rows, connector)
    return [
        {
            "sampleId": row["id"],
            "name": row["name"],
            "changed": row["expected"] != new,
            "before": row["expected"],
            "after": new,
        }
        for row, new in zip(rows, after, strict=True)
    ]


async def refresh_expected(conn: Connection, checks: list[dict[str, Any]], mapping_version: int) -> None:
    """After a mapping is saved, its outputs are the new expectations."""
    for check in checks:
        await store.set_expected(conn, check["sampleId"], check["after"], mapping_version)
