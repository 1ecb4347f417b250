"""Several identities per member, merging two members and erasing one, over real HTTP on both
databases: balances add up, events under any identity credit the one member, nothing personal
stays after an erasure, and the ledger check holds throughout (the autouse fixture)."""

from __future__ import annotations

import threading
import uuid
from typing import Any

from tests.conftest import Server
from tests.helpers import assert_error, create_connector, send, unique_email

BY_CUSTOMER = '{"clientEventId": id, "profile": {"kind": "customer_id", "value": customer}}'


def rule(server: Server, connector: dict[str, Any], points: int) -> None:
    body = {
        "name": f"{points} a visit",
        "status": "active",
        "source": {"connector": connector["id"]},
        "reward": {"fixed": points},
    }
    assert server.admin.post("/api/rules", json=body).status_code == 201


def member(server: Server, member_id: int) -> dict[str, Any]:
    answer = server.admin.get(f"/api/members/{member_id}")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_a_member_with_an_email_and_a_customer_id_has_one_balance(server: Server) -> None:
    shop = create_connector(server.admin, mapping=BY_CUSTOMER)
    rule(server, shop, 10)
    email, customer = unique_email("two"), f"C-{uuid.uuid4().hex[:8]}"
    # The shop knew the customer before they registered: that profile is merged in.
    assert send(server.client, shop, {"id": "s1", "customer": customer}).status_code == 200
    body = {"identities": [{"value": email}, {"kind": "customer_id", "value": customer}]}
    created = server.admin.post("/api/members", json=body)
    assert created.status_code == 201, created.text
    ann = created.json()
    assert ann["identities"] == [
        {"kind": "default", "value": email},
        {"kind": "customer_id", "value": customer},
    ]
    base = ann["balance"]
    assert base >= 10  # the shop's 10 points came along (plus any welcome bonus)
    assert (
        send(server.client, shop, {"id": "s2", "customer": customer}).json()["results"][0]["profile"]["id"]
        == ann["id"]
    )
    assert member(server, ann["id"])["balance"] == base + 10
    found = server.admin.get("/api/profiles", params={"kind": "customer_id", "value": customer}).json()
    assert found["id"] == ann["id"]
    listed = server.admin.get("/api/members", params={"identity": customer}).json()["items"]
    assert [m["id"] for m in listed] == [ann["id"]]
    # A third identity later; one that is another member's is a 409 that says how to merge.
    phone = f"+32{uuid.uuid4().int % 10**9:09d}"
    added = server.admin.post(f"/api/members/{ann['id']}/identities", json={"kind": "phone", "value": phone})
    assert added.status_code == 201 and {"kind": "phone", "value": phone} in added.json()["identities"]
    ben = server.admin.post("/api/members", json={"identities": [{"value": unique_email("ben")}]}).json()
    taken = server.admin.post(f"/api/members/{ben['id']}/identities", json={"kind": "phone", "value": phone})
    assert_error(taken, 409, "member_exists", f"/api/members/{ben['id']}/merge")
    again = server.admin.post(
        "/api/members", json={"identities": [{"kind": "customer_id", "value": customer}]}
    )
    assert_error(again, 409, "member_exists", f"member {ann['id']}")


def test_merging_two_members_adds_up_everything(server: Server) -> None:
    shop = create_connector(server.admin)
    rule(server, shop, 5)
    a_email, b_email = unique_email("a"), unique_email("b")
    a = server.admin.post("/api/members", json={"identities": [{"value": a_email}]}).json()
    b = server.admin.post(
        "/api/members", json={"identities": [{"value": b_email}], "attributes": {"tier": "gold"}}
    ).json()
    for i in range(3):
        send(server.client, shop, {"id": f"a{i}", "email": a_email})
    send(server.client, shop, {"id": "b0", "email": b_email})
    before_a, before_b = member(server, a["id"])["balance"], member(server, b["id"])["balance"]
    token = server.admin.post(f"/api/members/{b['id']}/tokens", json={}).json()
    merged = server.admin.post(f"/api/members/{a['id']}/merge", json={"memberId": b["id"]})
    assert merged.status_code == 200, merged.text
    body = merged.json()
    assert body["balance"] == before_a + before_b
    assert body["merged"]["memberId"] == b["id"] and body["merged"]["events"] >= 1
    assert {"kind": "default", "value": b_email} in body["identities"]
    assert body["attributes"] == {"tier": "gold"}
    assert member(server, b["id"])["mergedInto"] == a["id"]
    # B's identity and B's token now act for A.
    after = send(server.client, shop, {"id": "b1", "email": b_email}).json()["results"][0]
    assert after["profile"]["id"] == a["id"] and after["balance"] == before_a + before_b + 5
    tokens = server.admin.get(f"/api/members/{a['id']}/tokens").json()["items"]
    assert token["id"] in [t["id"] for t in tokens]
    events = server.admin.get(f"/api/profiles/{a['id']}/events").json()["items"]
    assert len(events) >= 5
    assert_error(
        server.admin.post(f"/api/members/{a['id']}/merge", json={"memberId": b["id"]}), 409, "member_merged"
    )
    assert_error(
        server.admin.post(f"/api/members/{a['id']}/merge", json={"memberId": a["id"]}), 422, "invalid_member"
    )
    assert_error(
        server.admin.post(f"/api/members/{a['id']}/merge", json={"memberId": 999_999_999}),
        404,
        "unknown_member",
    )


def test_events_during_a_merge_all_land_on_the_one_member(server: Server) -> None:
    shop = create_connector(server.admin)
    rule(server, shop, 1)
    a_email, b_email = unique_email("ra"), unique_email("rb")
    a = server.admin.post("/api/members", json={"identities": [{"value": a_email}]}).json()
    b = server.admin.post("/api/members", json={"identities": [{"value": b_email}]}).json()
    start = member(server, a["id"])["balance"] + member(server, b["id"])["balance"]
    sent: list[int] = []

    def burst(email: str, tag: str) -> None:
        for i in range(15):
            answer = send(server.client, shop, {"id": f"{tag}{i}", "email": email})
            sent.append(answer.json()["results"][0]["status"] == "processed")

    threads = [threading.Thread(target=burst, args=(e, t)) for e, t in ((a_email, "x"), (b_email, "y"))]
    for t in threads:
        t.start()
    merged = server.admin.post(f"/api/members/{a['id']}/merge", json={"memberId": b["id"]})
    for t in threads:
        t.join()
    assert merged.status_code == 200, merged.text
    assert sum(sent) == 30
    assert member(server, a["id"])["balance"] == start + 30


def test_erasing_a_member_removes_personal_data_and_keeps_the_ledger(server: Server) -> None:
    shop = create_connector(server.admin)
    rule(server, shop, 4)
    email = unique_email("gone")
    ann = server.admin.post(
        "/api/members",
        json={
            "identities": [{"value": email}, {"kind": "phone", "value": "+3247" + uuid.uuid4().hex[:6]}],
            "attributes": {"city": "Liège"},
        },
    ).json()
    event_id = send(server.client, shop, {"id": "g1", "email": email, "tags": {"note": email}}).json()[
        "results"
    ][0]["eventId"]
    balance = member(server, ann["id"])["balance"]
    server.admin.post(f"/api/members/{ann['id']}/tokens", json={})
    erased = server.admin.post(f"/api/members/{ann['id']}/erase")
    assert erased.status_code == 200, erased.text
    body = erased.json()
    assert body["identities"] == [{"kind": "erased", "value": str(ann["id"])}]
    assert body["attributes"] == {} and body["balance"] == balance and body["erased"]["identities"] == 2
    event = server.admin.get(f"/api/events/{event_id}").json()
    assert event["raw"] is None and event["mapped"] is None
    assert event["trace"][0]["step"] == "erased" and email not in str(event)
    assert server.admin.get(f"/api/members/{ann['id']}/tokens").json()["items"] == []
    assert_error(server.admin.get("/api/profiles", params={"value": email}), 404, "unknown_profile")
    assert_error(server.admin.post(f"/api/members/{ann['id']}/erase"), 409, "member_erased")
    # The same address sending again is a new, unknown person.
    again = send(server.client, shop, {"id": "g2", "email": email}).json()["results"][0]
    assert again["profile"]["id"] != ann["id"] and again["profile"]["created"] is True
