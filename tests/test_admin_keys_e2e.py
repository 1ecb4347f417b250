"""Admin keys with roles, and the audit log of every admin write (issue 11), over HTTP on both
databases."""

from __future__ import annotations

import httpx

from tests.conftest import Server
from tests.helpers import assert_error, create_connector, send, unique_email


def _key(server: Server, role: str) -> tuple[dict[str, object], httpx.Client]:
    made = server.admin.post("/api/admin-keys", json={"name": f"{role} person", "role": role})
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["token"].startswith("adk_") and body["prefix"].endswith("…")
    client = httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {body['token']}"}, timeout=30
    )
    return body, client


def test_each_role_may_do_its_part_and_no_more(server: Server) -> None:
    connector = create_connector(server.admin, name="Roles")
    rule = {"name": "Roles rule", "reward": {"fixed": 1}, "source": {"connector": connector["id"]}}
    viewer, as_viewer = _key(server, "viewer")
    marketer, as_marketer = _key(server, "marketer")
    _, as_developer = _key(server, "developer")
    try:
        assert as_viewer.get("/api/connectors").status_code == 200
        assert as_viewer.post("/api/dry-run", json={"mapping": "$", "body": {"a": 1}}).status_code == 200
        refused = as_viewer.post("/api/rules", json=rule)
        assert_error(
            refused, 403, "admin_forbidden", "'viewer person' has the role viewer", "POST /api/rules"
        )
        assert as_marketer.post("/api/rules", json=rule).status_code == 201
        assert as_marketer.patch(f"/api/connectors/{connector['id']}", json={"name": "x"}).status_code == 403
        assert (
            as_developer.patch(f"/api/connectors/{connector['id']}", json={"name": "Roles 2"}).status_code
            == 200
        )
        assert as_developer.post("/api/rules", json=rule).status_code == 403
        # Refused writes and dry runs leave no audit row; the marketer's rule does.
        assert server.admin.get(f"/api/audit?key={viewer['id']}").json()["items"] == []
        assert len(server.admin.get(f"/api/audit?key={marketer['id']}").json()["items"]) == 1
        for client in (as_viewer, as_marketer, as_developer):
            assert client.get("/api/admin-keys").status_code == 403
            assert client.get("/api/audit").status_code == 403
        # Revoked: refused at once.
        assert server.admin.delete(f"/api/admin-keys/{marketer['id']}").status_code == 204
        assert as_marketer.get("/api/connectors").status_code == 401
        assert_error(server.admin.delete(f"/api/admin-keys/{marketer['id']}"), 404, "unknown_admin_key")
        listed = {k["id"]: k for k in server.admin.get("/api/admin-keys").json()["items"]}
        assert listed[marketer["id"]]["revokedAt"] is not None and "token" not in listed[viewer["id"]]
        assert (
            server.client.get("/metrics", headers={"Authorization": f"Bearer {viewer['token']}"}).status_code
            == 200
        )
    finally:
        for client in (as_viewer, as_marketer, as_developer):
            client.close()


def test_every_admin_write_is_audited_with_before_and_after_and_no_secret(server: Server) -> None:
    developer, as_developer = _key(server, "developer")
    try:
        created = as_developer.post(
            "/api/connectors", json={"name": "Audited", "secret": "a-sender-secret-123"}
        )
        assert created.status_code == 201
        connector_id = created.json()["id"]
        assert (
            as_developer.patch(f"/api/connectors/{connector_id}", json={"name": "Audited 2"}).status_code
            == 200
        )
        assert (
            as_developer.post(
                f"/api/connectors/{connector_id}/credentials", json={"value": "other-secret-456"}
            ).status_code
            == 201
        )
    finally:
        as_developer.close()
    assert (
        send(server.client, create_connector(server.admin), {"id": "a", "email": unique_email()}).status_code
        == 200
    )
    audit = server.admin.get(f"/api/audit?key={developer['id']}").json()["items"]
    assert [(a["method"], a["path"]) for a in audit] == [
        ("POST", f"/api/connectors/{connector_id}/credentials"),
        ("PATCH", f"/api/connectors/{connector_id}"),
        ("POST", "/api/connectors"),
    ]
    patch = audit[1]
    assert patch["key"] == {"id": developer["id"], "name": "developer person", "role": "developer"}
    assert patch["before"]["name"] == "Audited" and patch["after"]["name"] == "Audited 2"
    assert patch["request"] == {"name": "Audited 2"}
    text = str(audit)
    assert "a-sender-secret-123" not in text and "other-secret-456" not in text and "***" in text
    assert all(a["path"] != "/ingest" for a in server.admin.get("/api/audit?path=/ingest").json()["items"])
    assert server.admin.get("/api/audit?path=/api/connectors").json()["items"]


def test_a_key_needs_a_name_and_a_known_role(server: Server) -> None:
    assert_error(
        server.admin.post("/api/admin-keys", json={"name": "x", "role": "boss"}),
        422,
        "invalid_admin_key",
        'role: "boss"',
    )
    assert_error(
        server.admin.post("/api/admin-keys", json={"role": "viewer"}), 422, "invalid_admin_key", "name"
    )
    assert_error(
        server.admin.post("/api/admin-keys", json={"name": "x", "role": "viewer", "x": 1}),
        422,
        "invalid_admin_key",
        "x: unknown",
    )
