import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("post", "/api/v1/auth/register/"), ("post", "/api/v1/auth/login/"),
    ("post", "/api/v1/auth/logout/"), ("get", "/api/v1/me/"),
    ("get", "/api/v1/monitors/"), ("post", "/api/v1/monitors/"),
    ("get", "/api/v1/monitors/{id}/"), ("put", "/api/v1/monitors/{id}/"),
    ("patch", "/api/v1/monitors/{id}/"), ("delete", "/api/v1/monitors/{id}/"),
    ("post", "/api/v1/monitors/{id}/pause/"), ("post", "/api/v1/monitors/{id}/resume/"),
    ("post", "/api/v1/monitors/{id}/check-now/"), ("get", "/api/v1/monitors/{id}/checks/"),
    ("get", "/api/v1/monitors/{id}/uptime/"),
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

    assert "request_headers" not in components["Monitor"]["properties"]
    assert "request_headers" in components["MonitorRequest"]["properties"]
    assert "config" not in components["NotificationChannel"]["properties"]
    assert "redacted_config" in components["NotificationChannel"]["properties"]


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
