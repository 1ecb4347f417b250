"""/openapi.json describes exactly the routes of app.ROUTES; /docs renders it without any script."""

from __future__ import annotations

import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from app import ROUTES
from openapi.document import build_document
from openapi.operations import OPERATIONS
from tests.conftest import Server
from tests.helpers import create_connector, send, unique_email

METHODS = ("get", "post", "put", "patch", "delete", "options")


def route_operations() -> set[tuple[str, str]]:
    """(METHOD, path) of app.ROUTES, computed here independently of the generator."""
    return {(method, route.path) for route in ROUTES for method in (route.methods or ()) if method != "HEAD"}


def document_operations(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path) for path, item in doc["paths"].items() for method in item if method in METHODS
    }


@pytest.fixture(scope="module")
def doc(server: Server) -> dict[str, Any]:
    response = server.client.get("/openapi.json")  # public: no admin token
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    return response.json()


def test_the_document_has_exactly_the_routes_of_the_app(doc: dict[str, Any]) -> None:
    expected, documented = route_operations(), document_operations(doc)
    assert sorted(expected - documented) == [], "routes missing from /openapi.json"
    assert sorted(documented - expected) == [], "operations in /openapi.json that no route serves"
    assert doc["openapi"] == "3.1.0"


def test_every_route_has_a_description_line() -> None:
    expected = route_operations()
    missing = sorted(expected - set(OPERATIONS))
    assert not missing, f"add a line to openapi/operations.py OPERATIONS for: {missing}"
    stale = sorted(set(OPERATIONS) - expected)
    assert not stale, f"OPERATIONS describes routes that do not exist: {stale}"


def test_path_parameters_security_and_errors(doc: dict[str, Any]) -> None:
    for path, item in doc["paths"].items():
        names = re.findall(r"\{([^}]+)\}", path)
        for method, op in item.items():
            declared = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
            assert declared == names, (method, path)
            assert op["summary"] and op["responses"], (method, path)
            if path.startswith("/api/"):
                assert op["security"] == [{"adminToken": []}] and "401" in op["responses"], (method, path)
            else:
                assert op["security"] == [], (method, path)
    assert doc["components"]["securitySchemes"]["adminToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "the admin token",
    }
    error = doc["components"]["schemas"]["Error"]
    body = doc["components"]["schemas"]["ErrorBody"]
    assert error["required"] == ["error"] and error["properties"]["error"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }
    assert body["required"] == ["code", "message"]


def _refs(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [v for k, v in value.items() if k == "$ref"] + [r for v in value.values() for r in _refs(v)]
    if isinstance(value, list):
        return [r for v in value for r in _refs(v)]
    return []


def test_every_reference_resolves_and_every_schema_is_valid(doc: dict[str, Any]) -> None:
    for reference in _refs(doc):
        node: Any = doc
        for part in reference.removeprefix("#/").split("/"):
            assert part in node, reference
            node = node[part]
    for name, schema in doc["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema), name


def _validator(doc: dict[str, Any], name: str) -> Draft202012Validator:
    resource = DRAFT202012.create_resource(doc)  # an OpenAPI document names no $schema to detect
    registry: Registry[Any] = Registry().with_resource("urn:inbound", resource)
    schema = {"$ref": f"urn:inbound#/components/schemas/{name}"}
    return Draft202012Validator(schema, registry=registry)


def test_real_answers_match_their_schemas(server: Server, doc: dict[str, Any]) -> None:
    connector = create_connector(server.admin, testSecret=True)
    assert not list(_validator(doc, "Connector").iter_errors(connector))
    answer = send(server.client, connector, {"id": "o-1", "email": unique_email()}).json()
    assert not list(_validator(doc, "IngestResponse").iter_errors(answer))
    page = server.admin.get(f"/api/connectors/{connector['id']}/integration").json()
    assert not list(_validator(doc, "IntegrationPage").iter_errors(page))
    error = server.admin.get("/api/connectors/con_nope").json()
    assert not list(_validator(doc, "Error").iter_errors(error))
    assert list(_validator(doc, "Error").iter_errors({"error": {"code": "x"}}))  # a schema that can say no


def test_the_generator_follows_the_routes_it_is_given() -> None:
    from starlette.routing import Route

    async def handler() -> None:
        """Made up for this test."""

    doc = build_document([Route("/x/{item_id:int}", handler, methods=["GET", "POST"])], base_url="http://h")
    assert set(doc["paths"]) == {"/x/{item_id}"}
    get = doc["paths"]["/x/{item_id}"]["get"]
    assert get["summary"] == "Made up for this test." and get["x-undescribed"] is True
    assert set(doc["paths"]["/x/{item_id}"]) == {"get", "post"}  # HEAD is implied by GET


def test_the_reference_page_renders_every_operation_offline(server: Server, doc: dict[str, Any]) -> None:
    response = server.client.get("/docs")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    text = response.text
    for method, path in sorted(document_operations(doc)):
        assert f"<code>{method} {path}</code>" in text, (method, path)
    assert "<script" not in text and "<link" not in text and 'src="http' not in text
    assert 'id="schema-Error"' in text
