"""One class per transport; the registry maps a channel's kind to its class."""

from .base import Transport, TransportError
from .email import EmailTransport
from .webhook import WebhookTransport

TRANSPORTS: dict[str, type[Transport]] = {
    EmailTransport.kind: EmailTransport,
    WebhookTransport.kind: WebhookTransport,
}


def transport_for(channel) -> Transport:
    try:
        return TRANSPORTS[channel.kind](channel)
    except KeyError:
        raise TransportError(f"Unknown channel kind {channel.kind!r}.", permanent=True) from None


__all__ = ["TRANSPORTS", "Transport", "TransportError", "transport_for"]
