"""Apple Push (APNs): an alert to every active Device of the channel's owner.

aioapns speaks HTTP/2 to Apple with token-based auth (the .p8 key signs a JWT). It is asyncio
code and notify() runs in synchronous Celery workers, so each notify runs one short event loop
over one connection, closed before it returns. Database work stays outside that loop.
"""

import asyncio
import functools
import hashlib
import ssl
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aioapns import PRIORITY_HIGH, NotificationRequest, PushType
from aioapns.connection import (
    APNsBaseClientProtocol,
    APNsKeyConnectionPool,
    JWTAuthorizationHeaderProvider,
)
from aioapns.exceptions import ConnectionClosed, MaxAttemptsExceeded
from aioapns.exceptions import ConnectionError as ApnsConnectionError  # not the builtin
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from django.conf import settings
from django.core.cache import cache

from notifications.messages import Notification
from notifications.models import Device

from .base import Transport, TransportError

# 400 answers that mean this token will never work again; every 410 means the same.
DEAD_TOKEN_REASONS = {"BadDeviceToken", "DeviceTokenNotForTopic"}
# Outlives every retry of a delivery (five attempts, backoff capped at 15 minutes).
DELIVERED_TOKENS_SECONDS = 24 * 60 * 60
# Long enough for the TLS close_notify exchange on any sane network.
CLOSE_SECONDS = 1.0


@dataclass(frozen=True)
class Credentials:
    key: str
    key_id: str
    team_id: str
    topic: str

    @classmethod
    def from_settings(cls) -> "Credentials":
        """The UPTIME_APNS_* settings, or a permanent TransportError that says what to fix.
        No message quotes the key: these end up in logs and in the channel's history."""
        names = ["UPTIME_APNS_KEY", "UPTIME_APNS_KEY_ID", "UPTIME_APNS_TEAM_ID",
                 "UPTIME_APNS_TOPIC"]
        missing = [name for name in names if not getattr(settings, name)]
        if missing:
            raise TransportError(f"APNs is not configured: set {', '.join(missing)}.",
                                 permanent=True)
        key = settings.UPTIME_APNS_KEY
        if "-----BEGIN" not in key:
            try:
                key = Path(key).read_text()
            except (OSError, ValueError) as exc:
                reason = getattr(exc, "strerror", None) or "not a file name"
                raise TransportError(
                    f"UPTIME_APNS_KEY is neither a PEM key nor a readable .p8 file ({reason}).",
                    permanent=True,
                ) from None
        # An environment variable often carries the PEM's line breaks as literal "\n".
        key = key.replace("\\n", "\n")
        try:
            private_key = load_pem_private_key(key.encode(), password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            private_key = None
        if not isinstance(private_key, ec.EllipticCurvePrivateKey) or not isinstance(
            private_key.curve, ec.SECP256R1
        ):
            raise TransportError(
                "UPTIME_APNS_KEY is not an unencrypted P-256 (ES256) private key, as the .p8 "
                "file from Apple is.",
                permanent=True,
            )
        return cls(key, settings.UPTIME_APNS_KEY_ID, settings.UPTIME_APNS_TEAM_ID,
                   settings.UPTIME_APNS_TOPIC)


@dataclass(frozen=True)
class Answer:
    """What came back for one device: APNs' status ("200", "410"...) and reason, or an empty
    status and why no answer came (a refused connection, a timeout)."""

    device: Device
    status: str
    reason: str = ""
    apns_id: str = ""
    # Sent with a 410: when APNs last knew the token to be invalid, in ms since the epoch.
    timestamp: int | None = None

    @property
    def delivered(self) -> bool:
        return self.status == "200"

    @property
    def token_is_dead(self) -> bool:
        return self.status == "410" or (self.status == "400" and self.reason in DEAD_TOKEN_REASONS)

    @property
    def is_transient(self) -> bool:
        return self.status in ("", "429") or self.status.startswith("5")

    def __str__(self) -> str:
        return f"{self.device}: {' '.join(filter(None, [self.status, self.reason]))}"


class ApnsConnectionPool(APNsKeyConnectionPool):
    """aioapns's token-auth pool, changed in two ways.

    Where it connects: aioapns dials protocol_class.APNS_SERVER:APNS_PORT (Apple's production
    or sandbox host) and sends the same name as the request's authority, so a subclass of that
    protocol with both attributes replaced moves the whole conversation to UPTIME_APNS_SERVER.

    Which token it sends: aioapns signs a JWT per connection, so a pool per notify would sign
    one per alert, and APNs answers 429 TooManyProviderTokenUpdates to a provider whose token
    changes more often than every 20 minutes. Connections share the process's provider
    instead, which signs again every 30 minutes (aioapns's TOKEN_TTL; Apple allows up to 60).
    """

    def __init__(self, credentials: Credentials, *, server: tuple[str, int] | None,
                 ssl_context: ssl.SSLContext) -> None:
        super().__init__(
            key=credentials.key,
            key_id=credentials.key_id,
            team_id=credentials.team_id,
            topic=credentials.topic,
            use_sandbox=settings.UPTIME_APNS_USE_SANDBOX,
            ssl_context=ssl_context,
            # One connection carries every device's request as its own HTTP/2 stream. Failures
            # are retried by the Delivery with backoff, not here after aioapns's 1 s sleeps.
            max_connections=1,
            max_connection_attempts=1,
        )
        if server is not None:
            host, port = server
            self.protocol_class = type(
                "StandInProtocol", (self.protocol_class,), {"APNS_SERVER": host, "APNS_PORT": port}
            )

    @property
    def address(self) -> str:
        return f"{self.protocol_class.APNS_SERVER}:{self.protocol_class.APNS_PORT}"

    async def create_connection(self) -> APNsBaseClientProtocol:
        # aioapns's own, less its HTTP proxy support, which no setting asks for.
        protocol_factory = functools.partial(
            self.protocol_class,
            self.apns_topic,
            self.loop,
            self.discard_connection,
            shared_token(self.key, self.key_id, self.team_id),
        )
        return await self._create_connection(protocol_factory)

    async def aclose(self) -> None:
        """Close every connection and wait until they are: asyncio.run() closes its loop but
        not the sockets still open on it."""
        self.close()
        try:
            async with asyncio.timeout(CLOSE_SECONDS):
                while self.connections:  # connection_lost() takes each out of the list
                    await asyncio.sleep(0.01)
        except TimeoutError:
            for connection in list(self.connections):
                connection.transport.abort()
            await asyncio.sleep(0)


@functools.lru_cache(maxsize=4)
def shared_token(key: str, key_id: str, team_id: str) -> JWTAuthorizationHeaderProvider:
    return JWTAuthorizationHeaderProvider(key=key, key_id=key_id, team_id=team_id)


class ApnsTransport(Transport):
    """An alert to every active device of the channel's owner, through Apple Push (APNs).

    Devices whose token APNs calls dead are deactivated and the rest still get the alert. When
    some devices got it and others could not be reached, the delivery is retried for those
    others only: the tokens already served are remembered in the cache under the delivery's
    idempotency key. The apns-collapse-id is derived from that key too, so if an alert is sent
    twice all the same (its answer was lost), the phone shows it once.
    """

    kind = "apns"

    def notify(self, notification: Notification) -> str:
        credentials = Credentials.from_settings()
        server, ssl_context = server_override(), client_ssl_context()
        devices = list(Device.objects.filter(owner_id=self.channel.owner_id, is_active=True))
        if not devices:
            raise TransportError(
                "APNs: no active devices. The channel's owner has not signed in to the app, or "
                "APNs has said every device's token is gone.",
                permanent=True,
            )
        served_key = f"apns:delivered:{notification.idempotency_key}"
        served_before = set(cache.get(served_key, ())) & {device.token for device in devices}
        unserved = [device for device in devices if device.token not in served_before]
        if not unserved:
            return f"delivered to all {len(devices)} device(s) by earlier attempts"

        payload = alert_payload(notification)
        requests = [(device, alert_request(notification, device, payload)) for device in unserved]
        answers = asyncio.run(push(credentials, server, ssl_context, requests))

        for answer in answers:
            if answer.token_is_dead:
                deactivate(answer)
        served = served_before | {answer.device.token for answer in answers if answer.delivered}
        summary = summarize(answers, served_before=len(served_before))
        missed = [answer for answer in answers if answer.is_transient]
        if missed:
            cache.set(served_key, sorted(served), DELIVERED_TOKENS_SECONDS)
            raise TransportError(
                f"APNs: not reached {len(missed)} of {len(devices)} device(s), to retry: "
                + "; ".join(map(str, missed)),
                response=summary,
            )
        if not served:
            raise TransportError(
                "APNs: refused for every device: " + "; ".join(map(str, answers)),
                permanent=True,
                response=summary,
            )
        return summary


def server_override() -> tuple[str, int] | None:
    value = settings.UPTIME_APNS_SERVER
    if not value:
        return None
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise TransportError(f"UPTIME_APNS_SERVER must be host:port, not {value!r}.",
                             permanent=True)
    return host.strip("[]"), int(port)


def client_ssl_context() -> ssl.SSLContext:
    ca_file = settings.UPTIME_APNS_CA_FILE or None
    try:
        context = ssl.create_default_context(cafile=ca_file)
    except OSError as exc:
        raise TransportError(f"UPTIME_APNS_CA_FILE: cannot load {ca_file}: {exc}",
                             permanent=True) from exc
    context.set_alpn_protocols(["h2"])
    return context


def alert_payload(notification: Notification) -> dict:
    """The JSON APNs hands to the app: the alert it shows, and ids to open the right screen."""
    return {
        "aps": {
            "alert": {
                "title": notification.render("apns/title.txt"),
                "body": notification.render("apns/body.txt"),
            },
            "sound": "default",
        },
        "event": notification.event,
        "monitor_id": notification.monitor.pk,
        # None for a monitor's own event (certificate.expiring): the app opens the monitor.
        "incident_id": notification.incident.pk if notification.incident else None,
        "url": notification.monitor_url,
    }


def alert_request(notification: Notification, device: Device, payload: dict
                  ) -> NotificationRequest:
    key = notification.idempotency_key
    return NotificationRequest(
        device_token=device.token,
        message=payload,
        # The same apns-id on every attempt, so Apple's delivery log ties a retry to the first.
        notification_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"uptime:apns:{key}:{device.token}")),
        priority=int(PRIORITY_HIGH),
        # Hashed, because Apple refuses a collapse id longer than 64 bytes.
        collapse_key=hashlib.sha256(key.encode()).hexdigest(),
        push_type=PushType.ALERT,
    )


async def push(credentials: Credentials, server: tuple[str, int] | None,
               ssl_context: ssl.SSLContext,
               requests: list[tuple[Device, NotificationRequest]]) -> list[Answer]:
    """Send every request over one connection and return an Answer for each, in order."""
    # aioapns waits for an answer forever, and for a connection as long as the OS does.
    timeout = settings.UPTIME_NOTIFICATION_TIMEOUT_SECONDS
    pool = ApnsConnectionPool(credentials, server=server, ssl_context=ssl_context)
    try:
        try:
            async with asyncio.timeout(timeout):
                # Connecting first reports why a connection failed (aioapns hides the cause
                # in the __context__ of its own ConnectionError) without its retry sleeps.
                await pool.acquire()
        except TimeoutError:
            reason = f"cannot connect to {pool.address}: no connection in {timeout}s"
            return [Answer(device, "", reason) for device, _ in requests]
        except ApnsConnectionError as exc:
            reason = f"cannot connect to {pool.address}: {exc.__context__}"
            return [Answer(device, "", reason) for device, _ in requests]
        return list(await asyncio.gather(
            *(send(pool, device, request, timeout) for device, request in requests)
        ))
    finally:
        await pool.aclose()


async def send(pool: ApnsConnectionPool, device: Device, request: NotificationRequest,
               timeout: float) -> Answer:
    try:
        async with asyncio.timeout(timeout):
            result = await pool.send_notification(request)
    except TimeoutError:
        return Answer(device, "", f"no answer in {timeout}s")
    except (ConnectionClosed, MaxAttemptsExceeded):
        return Answer(device, "", "the connection closed before APNs answered")
    return Answer(device, result.status, result.description or "", result.notification_id,
                  result.timestamp)


def deactivate(answer: Answer) -> None:
    devices = Device.objects.filter(pk=answer.device.pk, is_active=True)
    if answer.timestamp:
        # Apple's advice: an app that registered the token again after APNs found it invalid
        # has a token worth keeping.
        invalid_since = datetime.fromtimestamp(answer.timestamp / 1000, tz=UTC)
        devices = devices.filter(last_seen_at__lt=invalid_since)
    devices.update(is_active=False)


def summarize(answers: list[Answer], *, served_before: int) -> str:
    """What the NotificationLog keeps: the apns-id of each alert and the fate of the rest."""
    delivered = [answer for answer in answers if answer.delivered]
    parts = []
    if delivered:
        ids = ", ".join(answer.apns_id for answer in delivered)
        parts.append(f"delivered to {len(delivered)} device(s), apns-id {ids}")
    if served_before:
        parts.append(f"{served_before} device(s) served by an earlier attempt")
    for label, chosen in (
        ("deactivated", [answer for answer in answers if answer.token_is_dead]),
        ("not reached", [answer for answer in answers if answer.is_transient]),
        ("refused", [answer for answer in answers if not (
            answer.delivered or answer.token_is_dead or answer.is_transient)]),
    ):
        if chosen:
            parts.append(f"{label} {len(chosen)} ({'; '.join(map(str, chosen))})")
    return "; ".join(parts)
