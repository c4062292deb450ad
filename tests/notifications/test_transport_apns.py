import time
from collections.abc import Iterator
from datetime import timedelta

import jwt
import pytest
import trustme
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from django.utils import timezone

from notifications import delivery
from notifications.messages import Notification
from notifications.models import Delivery, Device, NotificationLog
from notifications.sample import send_test_message
from notifications.transports.apns import ApnsTransport
from tests.factories import (
    DeviceFactory,
    IncidentFactory,
    MonitorFactory,
    NotificationChannelFactory,
)
from tests.support.apns_server import ApnsServer

pytestmark = pytest.mark.django_db

# Made up: APNs ids are ten characters, the topic is the app's bundle id.
KEY_ID = "KEY1234567"
TEAM_ID = "TEAM123456"
TOPIC = "com.example.uptime"


def pem(key) -> str:
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()


@pytest.fixture(scope="session")
def apns_key() -> ec.EllipticCurvePrivateKey:
    """A key like the .p8 file Apple hands out: P-256, PKCS#8, unencrypted."""
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def apns(tls_ca, apns_key, settings, tmp_path, redis_server) -> Iterator[ApnsServer]:
    """The stand-in APNs, running, with the settings pointing at it and trusting its CA."""
    ca_file = tmp_path / "apns-ca.pem"
    tls_ca.cert_pem.write_to_path(str(ca_file))
    server = ApnsServer(tls_ca).start()
    settings.UPTIME_APNS_KEY = pem(apns_key)
    settings.UPTIME_APNS_KEY_ID = KEY_ID
    settings.UPTIME_APNS_TEAM_ID = TEAM_ID
    settings.UPTIME_APNS_TOPIC = TOPIC
    settings.UPTIME_APNS_SERVER = server.address
    settings.UPTIME_APNS_CA_FILE = str(ca_file)
    yield server
    server.stop()
    # The tokens each delivery has reached are cached by its idempotency key, and the test
    # database hands out the same ids again after every rollback.
    for key in redis_server.scan_iter("*apns:delivered:*"):
        redis_server.delete(key)


def apns_delivery(owner, *, event: str = "incident.opened") -> Delivery:
    monitor = MonitorFactory(owner=owner, name="Billing API")
    incident = IncidentFactory(monitor=monitor, cause="expected 200, got 503")
    channel = NotificationChannelFactory(owner=owner, kind="apns", config={})
    return Delivery.objects.create(incident=incident, channel=channel, event=event)


def outcomes() -> list[tuple[int, str]]:
    return list(NotificationLog.objects.order_by("id").values_list("attempt", "outcome"))


def test_it_alerts_every_active_device_of_the_owner(apns, alice, apns_key):
    phone, tablet = DeviceFactory(owner=alice), DeviceFactory(owner=alice, platform="ipados")
    row = apns_delivery(alice)

    assert delivery.attempt(row.pk) is None

    assert sorted(apns.tokens()) == sorted([phone.token, tablet.token])
    request = apns.requests[0]
    assert request.headers["apns-topic"] == TOPIC
    assert request.headers["apns-push-type"] == "alert"
    claims = jwt.decode(request.bearer_token, apns_key.public_key(), algorithms=["ES256"])
    assert claims["iss"] == TEAM_ID
    assert jwt.get_unverified_header(request.bearer_token)["kid"] == KEY_ID
    alert = request.payload["aps"]["alert"]
    assert alert["title"] == "Billing API is down"
    assert alert["body"].startswith("Down since ")
    assert alert["body"].endswith(": expected 200, got 503")
    assert request.payload["aps"]["sound"] == "default"
    assert request.payload["event"] == "incident.opened"
    assert request.payload["monitor_id"] == row.incident.monitor_id
    assert request.payload["incident_id"] == row.incident_id
    assert request.payload["url"].endswith(f"/monitors/{row.incident.monitor_id}/")
    row.refresh_from_db()
    assert row.status == Delivery.Status.DELIVERED
    log = NotificationLog.objects.get()
    assert log.outcome == "delivered"
    assert "delivered to 2 device(s)" in log.response
    assert all(request.headers["apns-id"] in log.response for request in apns.requests)


def test_inactive_devices_and_other_peoples_devices_get_nothing(apns, alice, charlie):
    active = DeviceFactory(owner=alice)
    DeviceFactory(owner=alice, is_active=False)
    DeviceFactory(owner=charlie)

    assert delivery.attempt(apns_delivery(alice).pk) is None

    assert apns.tokens() == [active.token]


def test_dead_tokens_deactivate_their_device_and_the_others_still_get_it(apns, alice):
    kept, bad, unregistered, other_app = (DeviceFactory(owner=alice) for _ in range(4))
    apns.answer(bad.token, 400, "BadDeviceToken")
    apns.answer(unregistered.token, 410, "Unregistered")
    apns.answer(other_app.token, 400, "DeviceTokenNotForTopic")
    row = apns_delivery(alice)

    assert delivery.attempt(row.pk) is None

    assert list(Device.objects.filter(is_active=True)) == [kept]
    row.refresh_from_db()
    assert row.status == Delivery.Status.DELIVERED
    log = NotificationLog.objects.get()
    assert "delivered to 1 device(s)" in log.response
    assert "deactivated 3" in log.response and "410 Unregistered" in log.response


def test_a_token_registered_again_after_apns_gave_up_on_it_stays_active(apns, alice):
    device = DeviceFactory(owner=alice)
    # APNs found the token invalid five minutes before the app last registered it.
    invalid_since = device.last_seen_at - timedelta(minutes=5)
    apns.answer(device.token, 410, timestamp=int(invalid_since.timestamp() * 1000))

    assert delivery.attempt(apns_delivery(alice).pk) is None

    device.refresh_from_db()
    assert device.is_active


def test_when_every_token_is_dead_the_delivery_fails_for_good(apns, alice):
    device = DeviceFactory(owner=alice)
    apns.answer(device.token, 410)
    row = apns_delivery(alice)

    assert delivery.attempt(row.pk) is None

    row.refresh_from_db()
    assert row.status == Delivery.Status.FAILED
    assert "Unregistered" in row.last_error
    device.refresh_from_db()
    assert not device.is_active


def test_a_provider_token_apns_refuses_fails_for_good(apns, alice):
    device = DeviceFactory(owner=alice)
    # What APNs answers when UPTIME_APNS_KEY_ID or UPTIME_APNS_TEAM_ID does not match the key.
    apns.answer(device.token, 403, "InvalidProviderToken")
    row = apns_delivery(alice)

    assert delivery.attempt(row.pk) is None

    row.refresh_from_db()
    assert (row.status, row.attempts) == (Delivery.Status.FAILED, 1)
    assert "403 InvalidProviderToken" in row.last_error
    device.refresh_from_db()
    assert device.is_active


def test_an_owner_without_active_devices_is_a_permanent_failure(apns, alice):
    DeviceFactory(owner=alice, is_active=False)
    row = apns_delivery(alice)

    assert delivery.attempt(row.pk) is None

    row.refresh_from_db()
    assert (row.status, row.attempts) == (Delivery.Status.FAILED, 1)
    assert "no active devices" in row.last_error
    assert apns.requests == []


@pytest.mark.parametrize(("status", "reason"), [
    (500, "InternalServerError"),
    (503, "ServiceUnavailable"),
    (429, "TooManyRequests"),
])
def test_a_device_apns_could_not_serve_is_retried_alone(apns, alice, status, reason):
    reached, missed = DeviceFactory(owner=alice), DeviceFactory(owner=alice)
    apns.answer(missed.token, status, reason)
    row = apns_delivery(alice)

    assert delivery.attempt(row.pk) is not None
    assert f"{status} {reason}" in NotificationLog.objects.get().error
    assert delivery.attempt(row.pk) is None

    assert sorted(apns.tokens()) == sorted([reached.token, missed.token, missed.token])
    missed_ids = {r.headers["apns-id"] for r in apns.requests if r.token == missed.token}
    assert len(missed_ids) == 1  # the same apns-id on the retry
    assert outcomes() == [(1, "retrying"), (2, "delivered")]
    log = NotificationLog.objects.order_by("id").last()
    assert "1 device(s) served by an earlier attempt" in log.response
    assert Device.objects.filter(is_active=True).count() == 2


def test_an_unreachable_apns_is_retried(apns, alice):
    DeviceFactory(owner=alice)
    apns.stop()
    row = apns_delivery(alice)

    assert delivery.attempt(row.pk) is not None

    log = NotificationLog.objects.get()
    assert log.outcome == "retrying"
    assert f"cannot connect to {apns.address}" in log.error


def test_an_apns_that_never_answers_times_out_and_is_retried(apns, alice, settings):
    settings.UPTIME_NOTIFICATION_TIMEOUT_SECONDS = 1
    device = DeviceFactory(owner=alice)
    apns.answer(device.token, None)
    row = apns_delivery(alice)

    started = time.monotonic()
    assert delivery.attempt(row.pk) is not None
    assert time.monotonic() - started < 5

    assert "no answer in 1s" in NotificationLog.objects.get().error
    assert delivery.attempt(row.pk) is None
    assert outcomes() == [(1, "retrying"), (2, "delivered")]


def test_a_server_the_ca_file_does_not_vouch_for_is_refused(apns, alice, settings, tmp_path):
    DeviceFactory(owner=alice)
    other_ca = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    settings.UPTIME_APNS_CA_FILE = str(other_ca)

    assert delivery.attempt(apns_delivery(alice).pk) is not None

    assert "CERTIFICATE_VERIFY_FAILED" in NotificationLog.objects.get().error
    assert apns.requests == []


@pytest.mark.parametrize(
    "setting",
    ["UPTIME_APNS_KEY", "UPTIME_APNS_KEY_ID", "UPTIME_APNS_TEAM_ID", "UPTIME_APNS_TOPIC"],
)
def test_missing_configuration_is_a_permanent_failure(apns, alice, settings, setting):
    DeviceFactory(owner=alice)
    setattr(settings, setting, "")
    row = apns_delivery(alice)

    assert delivery.attempt(row.pk) is None

    row.refresh_from_db()
    assert (row.status, row.attempts) == (Delivery.Status.FAILED, 1)
    assert row.last_error == f"APNs is not configured: set {setting}."
    assert apns.requests == []


@pytest.mark.parametrize(("key", "secret", "message"), [
    ("/nowhere/AuthKey_KEY1234567.p8", None, "No such file or directory"),
    ("-----BEGIN PRIVATE KEY-----\nc2VjcmV0IG1hdGVyaWFs\n-----END PRIVATE KEY-----\n",
     "c2VjcmV0IG1hdGVyaWFs", "not an unencrypted P-256 (ES256) private key"),
    (pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)), None,
     "not an unencrypted P-256 (ES256) private key"),
])
def test_an_unusable_key_fails_for_good_without_showing_it(apns, alice, settings, key, secret,
                                                          message):
    DeviceFactory(owner=alice)
    settings.UPTIME_APNS_KEY = key
    row = apns_delivery(alice)

    assert delivery.attempt(row.pk) is None

    row.refresh_from_db()
    assert row.status == Delivery.Status.FAILED
    assert row.last_error.startswith("UPTIME_APNS_KEY ") and message in row.last_error
    assert "BEGIN" not in row.last_error and (secret is None or secret not in row.last_error)


@pytest.mark.parametrize("form", ["path", "escaped newlines"])
def test_the_key_can_be_a_p8_file_or_an_escaped_environment_value(apns, alice, apns_key,
                                                                  settings, tmp_path, form):
    DeviceFactory(owner=alice)
    if form == "path":
        key_file = tmp_path / f"AuthKey_{KEY_ID}.p8"
        key_file.write_text(pem(apns_key))
        settings.UPTIME_APNS_KEY = str(key_file)
    else:
        settings.UPTIME_APNS_KEY = pem(apns_key).replace("\n", "\\n")

    assert delivery.attempt(apns_delivery(alice).pk) is None

    assert NotificationLog.objects.get().outcome == "delivered"


@pytest.mark.parametrize(("event", "title", "body"), [
    ("incident.opened", "Billing API is down", "Down since "),
    ("incident.reminder", "Billing API is still down", "Still down since "),
    ("incident.escalated", "Billing API is down, unacknowledged",
     "Down and unacknowledged for 1h 30m"),
    ("incident.resolved", "Billing API is back up", "Back up after 1h 30m (down since "),
])
def test_each_event_has_its_own_wording(apns, alice, event, title, body):
    DeviceFactory(owner=alice)
    now = timezone.now()
    incident = IncidentFactory(
        monitor=MonitorFactory(owner=alice, name="Billing API"),
        opened_at=now - timedelta(minutes=90),
        resolved_at=now if event == "incident.resolved" else None,
        cause='expected "ok" in <body>',
    )
    channel = NotificationChannelFactory(owner=alice, kind="apns", config={})

    channel.transport.notify(Notification(event, incident, incident.monitor, f"{event}:key"))

    [request] = apns.requests
    alert = request.payload["aps"]["alert"]
    assert alert["title"] == title
    assert alert["body"].startswith(body)
    # Plain text, not HTML: the cause arrives as the check reported it.
    if event != "incident.resolved":
        assert alert["body"].endswith(': expected "ok" in <body>')


def test_the_channel_test_message_reaches_every_device(apns, alice):
    DeviceFactory(owner=alice)
    DeviceFactory(owner=alice)
    channel = NotificationChannelFactory(owner=alice, name="My phones", kind="apns", config={})

    log = send_test_message(channel)

    assert (log.outcome, log.attempt) == ("delivered", 1)
    assert "delivered to 2 device(s), apns-id " in log.response
    for request in apns.requests:
        assert request.payload["aps"]["alert"]["title"] == "[TEST] uptime can reach this device"
        assert '"My phones"' in request.payload["aps"]["alert"]["body"]
        assert request.payload["event"] == "test"
        assert request.payload["monitor_id"] is None and request.payload["incident_id"] is None


def test_a_failed_test_message_says_why(apns, alice):
    channel = NotificationChannelFactory(owner=alice, kind="apns", config={})

    log = send_test_message(channel)

    assert log.outcome == "failed"
    assert "no active devices" in log.error


def test_each_alert_uses_one_connection_closed_after_it_and_one_provider_token(apns, alice):
    DeviceFactory(owner=alice)
    DeviceFactory(owner=alice)
    channel = NotificationChannelFactory(owner=alice, kind="apns", config={})

    for _ in range(2):
        send_test_message(channel)
        deadline = time.monotonic() + 2
        while apns.open_connections and time.monotonic() < deadline:
            time.sleep(0.01)
        assert apns.open_connections == 0

    assert apns.connections_made == 2
    # APNs refuses a provider whose token changes more than once in 20 minutes.
    assert len({request.bearer_token for request in apns.requests}) == 1


def test_an_apns_channel_needs_no_config():
    assert ApnsTransport.validate_config({}) == []
    NotificationChannelFactory.build(kind="apns", config={}).clean()

