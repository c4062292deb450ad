"""certificate.expiring: a certificate that runs out within tls_warn_days is announced to every
channel of its monitor once, however many checks see it, and again when a renewed certificate
also runs short. Real TLS servers with trustme certificates, real checks (the tls executor and
the http probe, trusting the test CA), the real check transaction, and real receivers for each
transport."""

import datetime
import re
import ssl

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse

from monitors.checking import record_result
from monitors.kinds.tls import TlsExecutor
from monitors.models import Monitor
from monitors.outcomes import CertificateSeen, Outcome
from notifications import delivery
from notifications.follow_up import follow_up
from notifications.models import Delivery, Event, NotificationLog
from notifications.outbox import enqueue_certificate_expiring
from notifications.transports.discord import AMBER
from tests.factories import (
    DeviceFactory,
    IncidentFactory,
    MaintenanceWindowFactory,
    MonitorFactory,
    NotificationChannelFactory,
)
from tests.monitors.test_kind_tls import TlsServer
from tests.notifications.test_transport_apns import apns, apns_key  # noqa: F401  (fixtures)
from tests.support.probing import probe
from tests.support.receiver import Answer
from tests.support.target import TargetServer

pytestmark = pytest.mark.django_db

NOW = datetime.datetime.now(tz=datetime.UTC)
IN_FIVE_DAYS = (NOW + datetime.timedelta(days=5, hours=1)).replace(microsecond=0)


@pytest.fixture
def serve(tls_ca):
    """serve(not_after) -> a TLS server on loopback with a certificate from tls_ca for
    localhost that expires then."""
    servers = []

    def start(not_after: datetime.datetime = IN_FIVE_DAYS) -> TlsServer:
        servers.append(TlsServer(tls_ca.issue_cert("localhost", not_after=not_after)))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def trusting(tls_ca):
    """The tls executor as production makes it, but trusting the test CA."""
    with tls_ca.cert_pem.tempfile() as ca_path:
        return TlsExecutor(allow_private=True, verify=ca_path)


@pytest.fixture
def monitor(alice, serve):
    return MonitorFactory(owner=alice, name="Shop TLS", kind="tls", url=serve().url())


@pytest.fixture
def webhook(alice, receiver):
    return NotificationChannelFactory(owner=alice, name="ops hook", config={"url": receiver.url})


def check(executor, monitor: Monitor):
    """One check of `monitor` as the check task makes it: probe, then the one transaction."""
    monitor.refresh_from_db()
    result = executor.run(monitor.check_spec())
    return result, record_result(monitor.pk, result)


def warnings(**filters) -> list[Delivery]:
    return list(Delivery.objects.filter(event=Event.CERTIFICATE_EXPIRING, **filters))


def send_everything() -> None:
    for pk in Delivery.objects.filter(status="pending").values_list("pk", flat=True):
        delivery.attempt(pk)


# --- once per certificate ---------------------------------------------------------------

def test_several_checks_of_one_expiring_certificate_warn_each_channel_once(
    alice, monitor, webhook, trusting
):
    email = NotificationChannelFactory(owner=alice, kind="email", config={"to": "a@example.com"})

    for _ in range(3):
        result, stored = check(trusting, monitor)
        assert stored.outcome == Outcome.DEGRADED

    rows = warnings()
    assert sorted(row.channel_id for row in rows) == sorted([webhook.pk, email.pk])
    assert {row.monitor_id for row in rows} == {monitor.pk}
    assert {row.incident_id for row in rows} == {None}
    assert {row.certificate_fingerprint for row in rows} == {result.certificate.fingerprint}
    assert {row.certificate_expires_at for row in rows} == {IN_FIVE_DAYS}
    monitor.refresh_from_db()
    assert monitor.status == Monitor.Status.DEGRADED
    assert monitor.certificate_expires_at == IN_FIVE_DAYS
    assert monitor.certificate_warned_fingerprint == result.certificate.fingerprint


def test_a_renewed_certificate_that_also_runs_short_is_announced_again(
    monitor, webhook, trusting, serve
):
    check(trusting, monitor)
    renewed = serve(IN_FIVE_DAYS + datetime.timedelta(days=2))
    Monitor.objects.filter(pk=monitor.pk).update(url=renewed.url())

    check(trusting, monitor)
    check(trusting, monitor)

    assert sorted(row.certificate_expires_at for row in warnings()) == [
        IN_FIVE_DAYS, IN_FIVE_DAYS + datetime.timedelta(days=2)
    ]


def test_a_certificate_far_from_expiry_is_recorded_but_not_announced(
    monitor, webhook, trusting, serve
):
    far = (NOW + datetime.timedelta(days=90)).replace(microsecond=0)
    Monitor.objects.filter(pk=monitor.pk).update(url=serve(far).url())

    result, stored = check(trusting, monitor)

    assert stored.outcome == Outcome.OK
    assert warnings() == []
    monitor.refresh_from_db()
    assert monitor.certificate_expires_at == far
    assert monitor.certificate_warned_fingerprint == ""


def test_the_warning_days_are_the_monitors(monitor, webhook, trusting):
    Monitor.objects.filter(pk=monitor.pk).update(tls_warn_days=3)

    result, stored = check(trusting, monitor)

    assert stored.outcome == Outcome.OK
    assert warnings() == []


@pytest.fixture
def https_target(tls_ca):
    """An HTTPS TargetServer whose certificate expires in five days."""
    server = TargetServer(tls=tls_ca)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls_ca.issue_cert("127.0.0.1", not_after=IN_FIVE_DAYS).configure_cert(context)
    # The target makes its own certificate; this one has the expiry the test needs.
    server._tls_context = context
    yield server.start()
    server.stop()


def test_an_https_http_check_warns_the_same_way(alice, webhook, tls_ca, https_target):
    monitor = MonitorFactory(owner=alice, kind="http", url=https_target.url("/health"))
    with tls_ca.cert_pem.tempfile() as ca_path:  # read at each request
        http_probe = probe(verify=ca_path)
        for _ in range(2):
            result, stored = check(http_probe, monitor)

    assert stored.outcome == Outcome.DEGRADED
    assert stored.error == f"certificate expires in 5 days (valid until {IN_FIVE_DAYS:%Y-%m-%d})"
    [row] = warnings()
    assert row.certificate_fingerprint == result.certificate.fingerprint


def test_two_workers_seeing_the_certificate_at_once_write_one_warning(monitor, webhook):
    certificate = CertificateSeen(expires_at=IN_FIVE_DAYS, fingerprint="ab" * 32)
    first, second = Monitor.objects.get(pk=monitor.pk), Monitor.objects.get(pk=monitor.pk)

    with transaction.atomic():
        assert first.warn_certificate_expiring(certificate) is True
    with transaction.atomic():
        assert second.warn_certificate_expiring(certificate) is False

    assert len(warnings()) == 1


def test_a_warning_written_twice_is_stored_once(monitor, webhook):
    certificate = CertificateSeen(expires_at=IN_FIVE_DAYS, fingerprint="cd" * 32)

    with transaction.atomic():
        enqueue_certificate_expiring(monitor, certificate)
        assert enqueue_certificate_expiring(monitor, certificate) == []

    assert len(warnings()) == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(monitor=monitor, channel=webhook, event=Event.CERTIFICATE_EXPIRING,
                                certificate_fingerprint="cd" * 32)


def test_a_delivery_is_about_an_incident_or_a_monitor_never_both_nor_neither(monitor, webhook):
    incident = IncidentFactory(monitor=monitor)

    for fields in ({"incident": incident, "monitor": monitor}, {}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Delivery.objects.create(channel=webhook, event=Event.CERTIFICATE_EXPIRING, **fields)


def test_the_monitors_own_channels_are_warned_else_all_its_owners_enabled_ones(
    alice, monitor, webhook, trusting
):
    chosen = NotificationChannelFactory(owner=alice, config={"url": "http://127.0.0.1:9/a"})
    NotificationChannelFactory(owner=alice, is_enabled=False)
    escalation = NotificationChannelFactory(owner=alice, escalate_after_minutes=30)
    monitor.channels.set([chosen, escalation])

    check(trusting, monitor)

    assert sorted(row.channel_id for row in warnings()) == sorted([chosen.pk, escalation.pk])


def test_a_monitor_whose_owner_has_no_channel_writes_nothing_and_still_records(
    monitor, trusting
):
    result, stored = check(trusting, monitor)

    assert stored.outcome == Outcome.DEGRADED
    assert warnings() == []


def test_a_maintenance_window_does_not_hold_the_warning(monitor, webhook, trusting, receiver):
    MaintenanceWindowFactory(monitor=monitor)

    check(trusting, monitor)
    send_everything()

    assert receiver.events() == ["certificate.expiring"]


def test_follow_ups_neither_remind_nor_escalate_a_warning(alice, monitor, trusting, receiver):
    NotificationChannelFactory(owner=alice, config={"url": receiver.url}, remind_every_minutes=1)
    NotificationChannelFactory(owner=alice, config={"url": receiver.url},
                               escalate_after_minutes=1)
    check(trusting, monitor)
    Delivery.objects.update(created_at=NOW - datetime.timedelta(hours=2))

    counts = follow_up(NOW + datetime.timedelta(hours=2))

    assert counts == {"released": 0, "suppressed": 0, "escalations": 0, "reminders": 0}
    assert {row.event for row in Delivery.objects.all()} == {"certificate.expiring"}


# --- what each transport says -----------------------------------------------------------

@pytest.fixture
def warned(monitor, trusting):
    """Deliver the warning about `monitor`'s certificate through `channel`: the check writes
    the row, the delivery attempt sends it."""

    def send(channel) -> Delivery:
        check(trusting, monitor)
        [row] = warnings(channel=channel)
        assert delivery.attempt(row.pk) is None
        row.refresh_from_db()
        assert row.status == Delivery.Status.DELIVERED, row.last_error
        return row

    return send


def host_of(monitor: Monitor) -> str:
    return re.sub(r"^https://", "", monitor.url)


def monitor_link(monitor: Monitor, settings) -> str:
    return f"{settings.SITE_URL}{reverse('web:monitor', args=[monitor.pk])}"


def test_a_webhook_gets_the_event_the_monitor_and_the_expiry(monitor, webhook, warned,
                                                             receiver):
    row = warned(webhook)

    [payload] = receiver.received
    assert payload["event"] == "certificate.expiring"
    assert payload["monitor"]["id"] == monitor.pk
    assert payload["monitor"]["name"] == "Shop TLS"
    assert payload["monitor"]["status"] == "degraded"
    assert payload["incident"] is None
    assert datetime.datetime.fromisoformat(payload["expires_at"]) == IN_FIVE_DAYS
    assert payload["certificate"]["host"] == host_of(monitor)
    assert payload["certificate"]["fingerprint_sha256"] == row.certificate_fingerprint
    assert payload["text"] == (
        f"Shop TLS: the TLS certificate of {host_of(monitor)} expires in 5 days, on "
        f"{IN_FIVE_DAYS:%Y-%m-%d %H:%M} UTC."
    )
    assert receiver.headers[0]["Idempotency-Key"] == row.idempotency_key
    log = NotificationLog.objects.get()
    assert (log.event, log.incident_id, log.outcome) == ("certificate.expiring", None,
                                                          "delivered")


def test_an_email_says_which_monitor_which_host_and_when(alice, monitor, warned, settings):
    channel = NotificationChannelFactory(owner=alice, kind="email", config={"to": "a@example.com"})

    warned(channel)

    [message] = mail.outbox
    host = host_of(monitor)
    assert message.subject == f"[CERTIFICATE] Shop TLS: {host} expires in 5 days"
    assert f"The TLS certificate of {host}, checked by the monitor Shop TLS, expires in 5 days" \
        in message.body
    assert f"Expires:      {IN_FIVE_DAYS:%Y-%m-%d %H:%M:%S} UTC" in message.body
    assert monitor_link(monitor, settings) in message.body
    html = message.alternatives[0][0]
    assert f"The certificate of {host} expires in 5 days" in html
    assert f"{IN_FIVE_DAYS:%Y-%m-%d %H:%M:%S} UTC" in html


def test_slack_hears_of_it_in_amber(alice, monitor, warned, receiver, settings):
    channel = NotificationChannelFactory(
        owner=alice, kind="slack", config={"webhook_url": f"{receiver.base_url}/services/T/B/x"}
    )

    warned(channel)

    body = receiver.requests[0].json()
    assert body["text"].startswith("Shop TLS: the TLS certificate of")
    details = body["blocks"][0]["text"]["text"]
    host = host_of(monitor)
    assert f":large_orange_circle: *The TLS certificate of {host} expires in 5 days*" in details
    assert "*Monitor:* Shop TLS" in details
    assert f"*Expires:* <!date^{int(IN_FIVE_DAYS.timestamp())}^" in details
    assert f"<{monitor_link(monitor, settings)}|Open the monitor>" in details


def test_discord_gets_an_amber_embed(alice, monitor, warned, receiver, settings):
    channel = NotificationChannelFactory(
        owner=alice, kind="discord", config={"webhook_url": f"{receiver.base_url}/api/webhooks/1/x"}
    )
    receiver.answer = Answer(200, {"id": "1"})

    warned(channel)

    body = receiver.requests[0].json()
    [embed] = body["embeds"]
    assert embed["color"] == AMBER
    assert embed["title"] == f"🟠 The certificate of {host_of(monitor)} expires in 5 days"
    expires = int(IN_FIVE_DAYS.timestamp())
    assert f"**Expires:** <t:{expires}:f> (<t:{expires}:R>)" in embed["description"]
    assert "**Monitor:** Shop TLS" in embed["description"]
    assert embed["url"] == monitor_link(monitor, settings)


def test_telegram_gets_an_html_message(alice, monitor, warned, receiver, settings):
    settings.UPTIME_TELEGRAM_API_URL = receiver.base_url
    receiver.answer = Answer(200, {"ok": True, "result": {"message_id": 7}})
    channel = NotificationChannelFactory(
        owner=alice, kind="telegram",
        config={"bot_token": "123456789:AAHs3cretTelegramBotToken0123456789", "chat_id": "-100"},
    )

    warned(channel)

    text = receiver.requests[0].json()["text"]
    assert text.startswith(
        f"🟠 <b>The TLS certificate of {host_of(monitor)} expires in 5 days</b>"
    )
    assert f"Expires: {IN_FIVE_DAYS:%Y-%m-%d %H:%M:%S} UTC" in text
    assert "Monitor: Shop TLS" in text


def test_apple_push_alerts_with_the_monitor_and_no_incident(
    alice, monitor, warned, apns  # noqa: F811  (the fixture imported above)
):
    DeviceFactory(owner=alice)
    channel = NotificationChannelFactory(owner=alice, kind="apns", config={})

    warned(channel)

    [request] = apns.requests
    alert = request.payload["aps"]["alert"]
    assert alert["title"] == "Shop TLS: certificate expires in 5 days"
    assert alert["body"].startswith(f"The TLS certificate of {host_of(monitor)} runs out on ")
    assert request.payload["event"] == "certificate.expiring"
    assert request.payload["monitor_id"] == monitor.pk
    assert request.payload["incident_id"] is None


def test_user_text_is_escaped_for_each_format(alice, monitor, warned, receiver):
    Monitor.objects.filter(pk=monitor.pk).update(name="<b>AT&T</b>")
    channel = NotificationChannelFactory(owner=alice, kind="email", config={"to": "a@example.com"})

    warned(channel)

    [message] = mail.outbox
    assert "<b>AT&T</b>" in message.body
    assert "&lt;b&gt;AT&amp;T&lt;/b&gt;" in message.alternatives[0][0]
