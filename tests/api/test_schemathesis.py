"""Property-based: schemathesis sends generated requests, valid and invalid, to every
operation in the OpenAPI document, through the real Django WSGI app and database.

No request may produce a 500, an undocumented status code, or a response that does not match
the documented schema. The examples per operation are bounded to keep the run near a minute.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from tests.factories import (
    CheckResultFactory,
    DeviceFactory,
    IncidentFactory,
    MaintenanceWindowFactory,
    MonitorFactory,
    NotificationChannelFactory,
    StatusPageFactory,
)
from uptime.accounts.models import TokenDevice

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 40


# Loaded when the module is collected (Django is set up by then; the schema view needs no
# database). schemathesis.pytest.from_fixture would load it lazily, but it relies on a private
# pytest attribute that pytest 9.1 removed.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture
def connections_kept_open():
    """Django closes the database connection when a request finishes; the test's transaction
    lives on that connection. Keep it open, as Django's own test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def alices_world(alice, connections_kept_open):
    """A token and one object of each kind, so generated requests reach real objects (and
    their validation) instead of stopping at a 404."""
    monitor = MonitorFactory(owner=alice)
    CheckResultFactory.create_batch(3, monitor=monitor)
    _, token = AuthToken.objects.create(user=alice)
    # Another device of alice's for auth/sessions/{id}: revoking the test's own token would
    # turn every later example into a 401.
    other_device, _ = AuthToken.objects.create(user=alice)
    return {
        "token": token,
        "monitors": monitor.pk,
        "incidents": IncidentFactory(monitor=monitor).pk,
        # Port 9 on loopback refuses at once: a test send fails fast instead of waiting.
        "channels": NotificationChannelFactory(
            owner=alice, config={"url": "http://127.0.0.1:9/hook"}
        ).pk,
        "devices": DeviceFactory(owner=alice).pk,
        "maintenance-windows": MaintenanceWindowFactory(monitor=monitor).pk,
        "status-pages": StatusPageFactory(owner=alice).pk,
        "auth": TokenDevice.objects.create(token=other_device, name="tablet").pk,
    }


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.filter_too_much],
)
def test_no_request_breaks_the_api(case, alices_world):
    generated_id = (case.path_parameters or {}).get("id")
    if not isinstance(generated_id, bool) and str(generated_id).isdigit():
        # A well-formed id addresses alice's real object; malformed ones (from negative
        # testing) stay as generated and must meet a clean 404.
        resource = case.path.split("/")[3]  # /api/v1/<resource>/...
        case.path_parameters["id"] = alices_world[resource]
    case.call_and_validate(
        headers={"Authorization": f"Token {alices_world['token']}"}, checks=CHECKS
    )
