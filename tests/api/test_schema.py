import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("post", "/api/v1/auth/register/"), ("post", "/api/v1/auth/login/"),
    ("post", "/api/v1/auth/logout/"), ("get", "/api/v1/me/"), ("delete", "/api/v1/me/"),
    ("post", "/api/v1/auth/password/change/"), ("post", "/api/v1/auth/password/reset/"),
    ("post", "/api/v1/auth/password/reset/confirm/"),
    ("get", "/api/v1/auth/sessions/"), ("delete", "/api/v1/auth/sessions/{id}/"),
    ("get", "/api/v1/auth/2fa/"), ("post", "/api/v1/auth/2fa/setup/"),
    ("post", "/api/v1/auth/2fa/confirm/"), ("post", "/api/v1/auth/2fa/disable/"),
    ("post", "/api/v1/auth/2fa/recovery-codes/"),
    ("get", "/api/v1/monitors/"), ("post", "/api/v1/monitors/"),
    ("get", "/api/v1/monitors/{id}/"), ("put", "/api/v1/monitors/{id}/"),
    ("patch", "/api/v1/monitors/{id}/"), ("delete", "/api/v1/monitors/{id}/"),
    ("post", "/api/v1/monitors/{id}/pause/"), ("post", "/api/v1/monitors/{id}/resume/"),
    ("post", "/api/v1/monitors/{id}/check-now/"),
    ("post", "/api/v1/monitors/{id}/badge-key/"), ("get", "/api/v1/monitors/{id}/checks/"),
    ("get", "/api/v1/monitors/{id}/uptime/"), ("get", "/api/v1/monitors/{id}/pings/"),
    ("get", "/api/v1/regions/"),
    ("get", "/api/v1/incidents/"), ("get", "/api/v1/incidents/{id}/"),
    ("post", "/api/v1/incidents/{id}/acknowledge/"),
    ("get", "/api/v1/channels/"), ("post", "/api/v1/channels/"),
    ("get", "/api/v1/channels/{id}/"), ("put", "/api/v1/channels/{id}/"),
    ("patch", "/api/v1/channels/{id}/"), ("delete", "/api/v1/channels/{id}/"),
    ("post", "/api/v1/channels/{id}/test/"),
    ("get", "/api/v1/devices/"), ("post", "/api/v1/devices/"),
    ("get", "/api/v1/devices/{id}/"), ("delete", "/api/v1/devices/{id}/"),
    ("get", "/api/v1/maintenance-windows/"), ("post", "/api/v1/maintenance-windows/"),
    ("get", "/api/v1/maintenance-windows/{id}/"), ("put", "/api/v1/maintenance-windows/{id}/"),
    ("patch", "/api/v1/maintenance-windows/{id}/"),
    ("delete", "/api/v1/maintenance-windows/{id}/"),
    ("get", "/api/v1/incidents/{id}/updates/"), ("post", "/api/v1/incidents/{id}/updates/"),
    ("get", "/api/v1/status-pages/"), ("post", "/api/v1/status-pages/"),
    ("get", "/api/v1/status-pages/{id}/"), ("put", "/api/v1/status-pages/{id}/"),
    ("patch", "/api/v1/status-pages/{id}/"), ("delete", "/api/v1/status-pages/{id}/"),
}


@pytest.fixture
def schema() -> dict:
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_openapi_3_and_public(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "uptime API"


def test_the_schema_documents_every_operation(schema):
    documented = {
        (method, path) for path, operations in schema["paths"].items() for method in operations
    }

    assert documented == OPERATIONS


def test_the_token_scheme_is_documented(schema):
    scheme = schema["components"]["securitySchemes"]["knoxApiToken"]

    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
    login = schema["paths"]["/api/v1/auth/login/"]["post"]
    assert {} in login["security"]


def test_secrets_are_write_only_in_the_schema(schema):
    components = schema["components"]["schemas"]

    assert "request_headers" not in monitor_properties(schema, "http", "response")
    assert "request_headers" in monitor_properties(schema, "http", "request")
    assert "config" not in components["NotificationChannel"]["properties"]
    assert "redacted_config" in components["NotificationChannel"]["properties"]


def resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node or ("allOf" in node and len(node["allOf"]) == 1):
        if "allOf" in node:  # how a $ref carries a description of its own
            node = node["allOf"][0]
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def monitor_variant(schema: dict, kind: str, direction: str) -> dict:
    """The schema a monitor of `kind` has in responses or in POST/PUT requests."""
    name = "Monitor" if direction == "response" else "MonitorRequest"
    for variant in schema["components"]["schemas"][name]["oneOf"]:
        parts = [resolve(schema, part) for part in resolve(schema, variant)["allOf"]]
        kind_enum = resolve(schema, next(p for p in parts if "kind" in p.get("properties", {}))
                            ["properties"]["kind"])
        if kind_enum["enum"] == [kind]:
            return {"parts": parts}
    raise AssertionError(f"no {direction} schema for kind {kind}")


def monitor_properties(schema: dict, kind: str, direction: str) -> dict:
    properties = {}
    for part in monitor_variant(schema, kind, direction)["parts"]:
        properties.update(part.get("properties", {}))
    return properties


def monitor_required(schema: dict, kind: str, direction: str) -> set:
    return {name for part in monitor_variant(schema, kind, direction)["parts"]
            for name in part.get("required", [])}


KIND_OPTIONS = {
    "http": {"method", "expected_status_codes", "request_header_names", "assertions",
             "tls_warn_days", "certificate_expires_at"},
    "tcp": set(),
    "dns": {"dns_record_type", "dns_expected", "dns_resolver"},
    "tls": {"tls_warn_days", "certificate_expires_at"},
    "postgres": set(),
    "redis": set(),
    "heartbeat": {"grace_seconds", "ping_url", "last_ping_at"},
}
EVERY_OPTION = set().union(*KIND_OPTIONS.values())
COMMON = {"id", "name", "kind", "url", "interval_seconds", "timeout_seconds",
          "failure_threshold", "regions", "quorum", "region_states", "channels", "is_paused",
          "status"}


@pytest.mark.parametrize("kind", KIND_OPTIONS)
def test_each_kind_is_a_schema_of_its_own_options(schema, kind):
    properties = monitor_properties(schema, kind, "response")

    assert COMMON | KIND_OPTIONS[kind] <= set(properties)
    assert not (EVERY_OPTION - KIND_OPTIONS[kind]) & set(properties)
    assert "kind" in monitor_required(schema, kind, "response")


def test_responses_name_kind_as_their_discriminator(schema):
    monitor = schema["components"]["schemas"]["Monitor"]

    assert monitor["discriminator"]["propertyName"] == "kind"
    assert set(monitor["discriminator"]["mapping"]) == set(KIND_OPTIONS)
    assert len(monitor["oneOf"]) == len(KIND_OPTIONS)
    for kind, ref in monitor["discriminator"]["mapping"].items():
        assert {"$ref": ref} in monitor["oneOf"]
        assert monitor_variant(schema, kind, "response")


def test_requests_document_each_kinds_url_form_and_what_is_required(schema):
    for kind, form in [("tcp", "tcp://host:port"), ("tls", "https://host[:port]"),
                       ("postgres", "postgres://user:password@host:5432/db"),
                       ("redis", "redis://[:password@]host:6379/0"), ("dns", "dns://hostname")]:
        assert form in monitor_properties(schema, kind, "request")["url"]["description"]
        assert {"kind", "url", "name"} <= monitor_required(schema, kind, "request")
    # http is the default kind; a heartbeat takes no url and offers its grace.
    assert "kind" not in monitor_required(schema, "http", "request")
    heartbeat = monitor_properties(schema, "heartbeat", "request")
    assert "url" not in heartbeat and "grace_seconds" in heartbeat
    assert "ping_url" not in heartbeat
    assert "request_headers" in monitor_properties(schema, "http", "request")


def test_a_partial_update_keeps_one_schema_where_every_field_is_optional(schema):
    patched = schema["components"]["schemas"]["PatchedMonitorRequest"]

    assert {"kind", "url", "grace_seconds", "dns_record_type"} <= set(patched["properties"])
    assert not patched.get("required")


def test_errors_are_documented(schema):
    monitor = schema["paths"]["/api/v1/monitors/{id}/"]
    check_now = schema["paths"]["/api/v1/monitors/{id}/check-now/"]["post"]

    assert {"400", "401", "404"} <= set(monitor["patch"]["responses"])
    assert {"202", "409", "429"} <= set(check_now["responses"])
    assert "401" not in schema["paths"]["/api/v1/auth/login/"]["post"]["responses"]


def test_the_docs_page_needs_no_cdn():
    response = APIClient().get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn" not in page.lower()


def test_unknown_api_paths_answer_json():
    response = APIClient().post("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.django_db
def test_a_path_holding_a_newline_answers_json_too(alice):
    # Found by schemathesis: an id of "X\n..." missed the session route and the catch-all
    # alike (a bare '.' does not match a newline) and met Django's HTML 404.
    client = APIClient()
    client.force_authenticate(alice)

    response = client.delete("/api/v1/auth/sessions/X%C3%AE%16%0A%0B/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_the_login_documents_the_second_factor_and_the_lockout(schema):
    login = schema["paths"]["/api/v1/auth/login/"]["post"]
    result = login["responses"]["200"]["content"]["application/json"]["schema"]
    body = schema["components"]["schemas"]["LoginRequest"]["properties"]

    assert result == {"$ref": "#/components/schemas/LoginResult"}
    assert {"otp", "device_name"} <= set(body)
    assert "failed sign-ins" in login["responses"]["429"]["description"]
    assert "429" in schema["paths"]["/api/v1/me/"]["delete"]["responses"]
    assert "202" in schema["paths"]["/api/v1/auth/password/reset/"]["post"]["responses"]
