"""A JSON POST of each event to the channel's URL, signed when the channel has a secret.

Signature: with config["secret"] set, every request carries

    X-Uptime-Timestamp: <unix seconds when it was sent>
    X-Uptime-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + raw body)>

A receiver verifies it before trusting the body:

    timestamp = request.headers["X-Uptime-Timestamp"]
    signed = timestamp.encode() + b"." + request.body       # the raw bytes, not re-serialized JSON
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers["X-Uptime-Signature"]):
        reject()                                            # not from us, or altered
    if abs(time.time() - int(timestamp)) > 300:
        reject()                                            # a replay of an old request

The timestamp is inside the signature, so a replayed request cannot be given a fresh one. Each
retry is signed anew at the moment it is sent, so a retry after a long backoff is not mistaken
for a replay; the Idempotency-Key header (the same on every retry of one delivery) lets the
receiver drop a delivery it has already processed.
"""

import hashlib
import hmac
import json
import time

from notifications.messages import Notification

from .base import Transport
from .http import post_json, url_problems

MIN_SECRET_LENGTH = 16


def signature_headers(secret: str, body: bytes, *, timestamp: int | None = None) -> dict:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return {
        "X-Uptime-Timestamp": str(timestamp),
        "X-Uptime-Signature": f"sha256={digest.hexdigest()}",
    }


class WebhookTransport(Transport):
    """A JSON POST of the event, the monitor and the incident to the channel's URL."""

    kind = "webhook"

    @classmethod
    def validate_config(cls, config: dict) -> list[str]:
        url = config.get("url") if isinstance(config, dict) else None
        if not isinstance(url, str) or not url:
            return ['A webhook needs a "url".']
        problems = url_problems("url", url)
        if "secret" in config:
            secret = config["secret"]
            if not isinstance(secret, str) or not MIN_SECRET_LENGTH <= len(secret) <= 200:
                problems.append(
                    f"secret: give a string of {MIN_SECRET_LENGTH} to 200 characters, or leave "
                    "it out to send unsigned requests."
                )
        return problems

    def notify(self, notification: Notification) -> str:
        # Serialized here, once: the signature must cover exactly the bytes that are sent.
        body = json.dumps(notification.as_payload()).encode()
        headers = {"Idempotency-Key": notification.idempotency_key}
        if self.config.get("secret"):
            headers.update(signature_headers(self.config["secret"], body))
        response = post_json(self.config["url"], body, headers=headers)
        return f"HTTP {response.status_code}"
