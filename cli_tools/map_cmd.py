"""`inbound map MAPPING PAYLOAD`: evaluate a mapping locally, exactly as the service would.

The payload goes through the same body parser as a request (a top-level array or NDJSON is a
batch), and each raw event through `map_raw_event`. Mapped events go to stdout as a JSON array
(the form docs/mapping.md shows); failures go to stderr with a caret under their position.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from cli_tools.caret import point_at
from cli_tools.inputs import content_type_for, pairs, read_bytes, read_text
from connectors.bodies import parse_body
from errors import InboundError, InvalidInput, MappingError
from mapping import CompiledMapping, MappedEvent, map_raw_event
from settings import Settings

_CONNECTOR = {"id": "con_local", "name": "local", "mode": "live", "eventType": "custom.basic"}


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "map",
        help="evaluate a mapping on a payload locally and print the mapped events",
        description="Evaluate MAPPING (a JSONata file) on PAYLOAD (a JSON, JSON array or NDJSON file). "
        "Use - for stdin. Exit 0 when every event maps, 1 when any fails, 2 for usage errors.",
    )
    p.add_argument("files", nargs="*", metavar="MAPPING PAYLOAD", help="mapping file and payload file")
    p.add_argument("--expr", help="the mapping expression itself, instead of a MAPPING file")
    p.add_argument("--headers", action="append", metavar="K=V", help="a request header ($headers)")
    p.add_argument("--query", action="append", metavar="K=V", help="a query parameter ($query)")
    p.add_argument("--connector", action="append", metavar="K=V", help="a field of $connector")
    p.add_argument("--content-type", help="how to read PAYLOAD (default: by suffix, .ndjson or JSON)")
    p.set_defaults(run=run, needs_admin_token=False)


def _sources(args: argparse.Namespace) -> tuple[str, str, str]:
    """(expression, payload path, where the expression came from)."""
    files: list[str] = args.files
    if args.expr is not None:
        if len(files) != 1:
            raise InvalidInput(f"map: with --expr give only PAYLOAD; got {len(files)} file arguments")
        return args.expr, files[0], "--expr"
    if len(files) != 2:
        raise InvalidInput(f"map: expected MAPPING and PAYLOAD (or --expr and PAYLOAD); got {len(files)}")
    if files == ["-", "-"]:
        raise InvalidInput("map: MAPPING and PAYLOAD cannot both be read from stdin")
    return read_text(files[0], "MAPPING"), files[1], files[0]


def run(args: argparse.Namespace, settings: Settings) -> int:
    expression, payload_path, origin = _sources(args)
    bindings = {
        "headers": pairs(args.headers, "--headers"),
        "query": pairs(args.query, "--query"),
        "connector": {**_CONNECTOR, **pairs(args.connector, "--connector")},
    }
    body = read_bytes(payload_path, "PAYLOAD")
    try:
        raw_events = parse_body(
            body, content_type_for(payload_path, args.content_type), max_items=settings.max_batch_items
        )
    except InboundError as exc:
        # A body the service would refuse is a usage problem here (exit 2), not a mapping failure.
        raise InvalidInput(f"PAYLOAD {payload_path}: {exc.message}", code=exc.code) from None
    try:
        mapping = CompiledMapping.compile(expression, **settings.mapping_bounds)
    except MappingError as error:
        _report(error, expression, origin, None)
        return 1
    mapped: list[dict[str, Any]] = []
    failures = 0
    for index, raw in enumerate(raw_events):
        where = index if len(raw_events) > 1 else None
        try:
            results: list[MappedEvent | MappingError] = map_raw_event(
                mapping,
                raw,
                headers=bindings["headers"],
                query=bindings["query"],
                connector=bindings["connector"],
            )
        except MappingError as error:
            _report(error, expression, origin, where)
            failures += 1
            continue
        if not results:
            _report(
                MappingError("the mapping returned no event", code="mapping_empty"), expression, origin, where
            )
            failures += 1
        for result in results:
            if isinstance(result, MappingError):
                _report(result, expression, origin, where)
                failures += 1
            else:
                mapped.append(result.to_json())
    print(json.dumps(mapped, indent=2, ensure_ascii=False))
    if failures:
        total = len(raw_events)
        print(f"inbound map: {failures} failure(s) in {total} raw event(s)", file=sys.stderr)
    return 1 if failures else 0


def _report(error: MappingError, expression: str, origin: str, index: int | None) -> None:
    where = f"raw event [{index}]: " if index is not None else ""
    lines = [f"{where}{error.code}: {error.message}"]
    if error.position is not None:
        lines.append(f"in {origin}:")
        lines.append(point_at(expression, error.position))
    print("\n".join(lines), file=sys.stderr)
