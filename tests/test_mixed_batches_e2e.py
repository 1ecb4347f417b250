"""A batch with refunds among its orders, over real HTTP, on SQLite and PostgreSQL.

The orders go through the group writer and only the refunds through the per-chunk path, in
arrival order, each run committed before the next: a refund reverses an order sent earlier in the
same batch, and the request is logged once, with the counts of all its events, whichever way its
last event went.
"""

from __future__ import annotations

from typing import Any

import pytest

from pipeline import group_writer
from tests.conftest import Server
from tests.helpers import create_connector, send, unique_email
from tests.test_rules_e2e import add_rule, balance

MAPPING = """{
  "clientEventId": id,
  "profile": {"value": email},
  "reverses": refundOf ? {"clientEventId": refundOf, "fraction": fraction ? fraction : 1},
  "payload": {"counters": [{"name": "amount", "value": amount}]}
}"""


def _order(email: str, event_id: str, amount: int) -> dict[str, Any]:
    return {"id": event_id, "email": email, "amount": amount}


def _refund(email: str, event_id: str, of: str, fraction: float | None = None) -> dict[str, Any]:
    refund: dict[str, Any] = {"id": event_id, "email": email, "refundOf": of, "amount": 0}
    if fraction is not None:
        refund["fraction"] = fraction
    return refund


def _spend_connector(server: Server) -> dict[str, Any]:
    connector = create_connector(server.admin, mapping=MAPPING)
    add_rule(
        server,
        connector,
        name="Spend",
        conditions={"counter": "amount", "op": "gt", "value": 0},
        reward={"points_per_unit": {"counter": "amount", "per": 1, "points": 1, "rounding": "floor"}},
    )
    return connector


def _logged(server: Server, connector: dict[str, Any]) -> list[dict[str, Any]]:
    items = server.admin.get(f"/api/requests?connector={connector['id']}").json()["items"]
    return list(items)


@pytest.mark.parametrize("ends_with_refund", [False, True], ids=["ends-with-order", "ends-with-refund"])
def test_refunds_among_orders_reverse_orders_of_the_same_batch(
    server: Server, ends_with_refund: bool
) -> None:
    connector = _spend_connector(server)
    ann, bob = unique_email("mix-ann"), unique_email("mix-bob")
    batch = [
        _order(ann, "o1", 100),
        _order(bob, "o2", 50),
        _refund(ann, "r1", "o1", 0.5),  # reverses an order two events earlier in this batch
        _order(ann, "o3", 30),
        _refund(ann, "r2", "o3"),
        _refund(bob, "r3", "o2"),
        _order(bob, "o4", 20),
    ]
    if ends_with_refund:
        batch.append(_refund(bob, "r4", "o4", 0.25))
    groups = group_writer.stats.groups
    response = send(server.client, connector, batch)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["clientEventId"] for r in results] == [e["id"] for e in batch]
    assert all(r["status"] == "processed" for r in results), results
    assert [r["index"] for r in results] == list(range(len(batch)))

    def taken(index: int) -> list[int]:
        return [e["points"] for e in results[index]["reversal"]["entries"]]

    assert (taken(2), taken(4), taken(5)) == ([-50], [-30], [-50])
    assert balance(server, ann) == 100 + 30 - 50 - 30
    assert balance(server, bob) == 50 + 20 - 50 - (5 if ends_with_refund else 0)
    # The orders went through write groups (three runs of orders), not the per-chunk path.
    assert group_writer.stats.groups >= groups + 3
    logged = _logged(server, connector)
    assert len(logged) == 1, logged
    assert logged[0]["statusCode"] == 200
    assert logged[0]["counts"] == {"processed": len(batch)}


def test_a_refund_before_its_order_in_the_batch_finds_nothing_to_reverse(server: Server) -> None:
    """Arrival order holds across the two paths: a refund sent ahead of its order is judged first."""
    connector = _spend_connector(server)
    ann = unique_email("mix-early")
    response = send(server.client, connector, [_refund(ann, "r1", "o1"), _order(ann, "o1", 40)])
    assert response.status_code == 200, response.text
    first, second = response.json()["results"]
    assert first["reversal"]["ok"] is False
    assert second["status"] == "processed"
    assert balance(server, ann) == 40
