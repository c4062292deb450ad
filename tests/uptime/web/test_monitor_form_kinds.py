"""The monitor form for every kind, without a browser: each kind's fields are on the page
(grouped and marked with the kinds they are for), the server applies each kind's defaults,
and an error shows next to the field it is about."""

import re

import pytest

from monitors.models import Monitor
from tests.factories import MonitorFactory

pytestmark = pytest.mark.django_db


def form_data(**overrides) -> dict:
    return {
        "name": "Something",
        "kind": "http",
        "url": "https://example.com/health",
        "method": "GET",
        "expected_status_codes": "",
        "request_headers": "",
        "timeout_seconds": 5,
        "interval_seconds": 60,
        "failure_threshold": "",
        "regions": "",
        "quorum": "",
        "assertions": "[]",
        "dns_record_type": "A",
        "dns_expected": "",
        "dns_resolver": "",
        "tls_warn_days": 14,
        "grace_seconds": 60,
        **overrides,
    }


def data_kinds_of(page: str, field: str) -> str:
    """The data-kinds of the group that holds the field's input on the page."""
    position = page.index(f'name="{field}"')
    return re.findall(r'data-kinds="([^"]*)"', page[:position])[-1]


def test_without_a_script_every_kinds_fields_are_on_the_page(client, alice):
    client.force_login(alice)

    page = client.get("/monitors/new/").content.decode()

    for field in ("method", "expected_status_codes", "request_headers", "assertions"):
        assert data_kinds_of(page, field) == "http"
    for field in ("dns_record_type", "dns_expected", "dns_resolver"):
        assert data_kinds_of(page, field) == "dns"
    assert data_kinds_of(page, "tls_warn_days") == "http tls"
    assert data_kinds_of(page, "grace_seconds") == "heartbeat"
    assert data_kinds_of(page, "url") == "http tcp dns tls postgres redis"
    assert data_kinds_of(page, "timeout_seconds") == "http tcp dns tls postgres redis"
    assert "uptime/monitor-form.js" in page
    assert ' hidden' not in page.split('data-monitor-form')[1].split("</form>")[0].replace(
        'type="hidden"', "")


@pytest.mark.parametrize("kind, url, options, expected", [
    ("tcp", "tcp://db.example.com:5432", {}, {}),
    ("postgres", "postgres://app:pw@db.example.com:5432/app", {}, {}),
    ("redis", "redis://:pw@cache.example.com:6379/0", {}, {}),
    ("tls", "https://example.com", {"tls_warn_days": 30}, {"tls_warn_days": 30}),
    ("dns", "dns://example.com",
     {"dns_record_type": "MX", "dns_expected": "10 mx1.example.com.\n\n20 mx2.example.com.\n",
      "dns_resolver": "192.0.2.53:5353"},
     {"dns_record_type": "MX", "dns_expected": ["10 mx1.example.com.", "20 mx2.example.com."],
      "dns_resolver": "192.0.2.53:5353"}),
    ("http", "https://example.com/health",
     {"method": "HEAD", "expected_status_codes": "200, 204",
      "assertions": '[{"type": "body_contains", "value": "ok"}]'},
     {"method": "HEAD", "expected_status_codes": [200, 204],
      "assertions": [{"type": "body_contains", "value": "ok"}]}),
])
def test_each_kind_is_created_with_its_options(client, alice, kind, url, options, expected):
    client.force_login(alice)

    response = client.post("/monitors/new/", form_data(kind=kind, url=url, **options))

    monitor = Monitor.objects.get()
    assert response.status_code == 302, response.context["form"].errors
    assert (monitor.kind, monitor.url, monitor.failure_threshold) == (kind, url, 3)
    for field, value in expected.items():
        assert getattr(monitor, field) == value


def test_a_new_heartbeat_needs_no_url_and_alerts_after_one_missed_ping(client, alice):
    client.force_login(alice)

    response = client.post("/monitors/new/", form_data(
        kind="heartbeat", url="", grace_seconds=120, interval_seconds=3600, timeout_seconds=10,
    ))

    monitor = Monitor.objects.get()
    assert response["Location"] == f"/monitors/{monitor.pk}/"
    assert "is waiting for its first ping" in client.get(response["Location"]).content.decode()
    assert (monitor.kind, monitor.url) == ("heartbeat", "")
    assert (monitor.grace_seconds, monitor.failure_threshold) == (120, 1)


def test_a_heartbeats_form_asks_how_often_to_expect_a_ping(client, alice):
    client.force_login(alice)

    response = client.post("/monitors/new/", form_data(kind="heartbeat", url="", name=""))

    page = response.content.decode()
    assert '<label for="id_interval_seconds">Expect a ping every (seconds)</label>' in page
    assert '<label for="id_interval_seconds">Check every' not in page


def test_a_threshold_the_person_typed_is_kept_for_a_heartbeat(client, alice):
    client.force_login(alice)

    client.post("/monitors/new/", form_data(kind="heartbeat", url="", failure_threshold=3))

    assert Monitor.objects.get().failure_threshold == 3


def test_an_edit_keeps_the_saved_threshold_when_the_kind_changes(client, alice):
    monitor = MonitorFactory(owner=alice, failure_threshold=5)
    client.force_login(alice)

    page = client.get(f"/monitors/{monitor.pk}/edit/").content.decode()
    client.post(f"/monitors/{monitor.pk}/edit/",
                form_data(kind="heartbeat", url="", failure_threshold=5))

    assert 'name="failure_threshold" value="5"' in page
    monitor.refresh_from_db()
    assert (monitor.kind, monitor.failure_threshold) == ("heartbeat", 5)


@pytest.mark.parametrize("overrides, field, message", [
    ({"kind": "tcp", "url": ""}, "url", "A TCP port check needs a URL."),
    ({"kind": "dns", "url": "dns://example.com", "dns_resolver": "not an address"},
     "dns_resolver", None),
    ({"kind": "http", "assertions": '[{"type": "body_smells", "value": "ok"}]'},
     "assertions", None),
    ({"kind": "tls", "url": "https://example.com", "tls_warn_days": 0}, "tls_warn_days", None),
    ({"kind": "heartbeat", "url": "", "grace_seconds": 0}, "grace_seconds", None),
])
def test_an_error_shows_next_to_its_field(client, alice, overrides, field, message):
    client.force_login(alice)

    response = client.post("/monitors/new/", form_data(**overrides))

    assert response.status_code == 200
    field_errors = response.context["form"].errors
    assert list(field_errors) == [field]
    if message:
        assert field_errors[field] == [message]
    page = response.content.decode()
    # The error list sits inside the same .field wrapper as the input it is about.
    wrapper = page[:page.index('class="errorlist"')].rsplit('<div class="field', 1)[1]
    assert 'has-error' in wrapper.split(">")[0] and f'name="{field}"' in wrapper
    assert not Monitor.objects.exists()


def test_a_url_of_another_kinds_form_is_refused_on_url(client, alice):
    client.force_login(alice)

    response = client.post("/monitors/new/", form_data(kind="tcp", url="https://example.com"))

    assert list(response.context["form"].errors) == ["url"]


@pytest.mark.parametrize("kind, placeholder", [
    ("tcp", "tcp://"), ("dns", "dns://"), ("tls", "https://"), ("postgres", "postgres://"),
    ("redis", "redis://"), ("http", "https://"),
])
def test_the_url_field_describes_the_posted_kinds_form(client, alice, kind, placeholder):
    client.force_login(alice)

    response = client.post("/monitors/new/", form_data(kind=kind, url="", name=""))

    url_input = re.search(r'<input[^>]*name="url"[^>]*>', response.content.decode()).group(0)
    assert f'placeholder="{placeholder}' in url_input


def test_the_edit_form_shows_the_monitors_own_kind_and_options(client, alice):
    monitor = MonitorFactory(owner=alice, kind="dns", url="dns://example.com",
                             dns_record_type="TXT", dns_expected=["v=spf1 -all"])
    client.force_login(alice)

    page = client.get(f"/monitors/{monitor.pk}/edit/").content.decode()

    assert '<option value="dns" selected>' in page
    assert '<option value="TXT" selected>' in page
    assert "v=spf1 -all</textarea>" in page
    assert 'placeholder="dns://example.com"' in page


def test_saving_a_database_monitor_keeps_its_hidden_password(client, alice):
    monitor = MonitorFactory(owner=alice, kind="postgres",
                             url="postgres://app:s3cret@db.example.com:5432/app")
    client.force_login(alice)

    page = client.get(f"/monitors/{monitor.pk}/edit/").content.decode()
    client.post(f"/monitors/{monitor.pk}/edit/", form_data(
        kind="postgres", url="postgres://app:***@db.example.com:5432/app", name="DB",
        failure_threshold=3,
    ))

    assert "s3cret" not in page and "postgres://app:***@db.example.com:5432/app" in page
    monitor.refresh_from_db()
    assert (monitor.name, monitor.url) == ("DB", "postgres://app:s3cret@db.example.com:5432/app")
