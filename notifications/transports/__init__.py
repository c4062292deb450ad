"""One class per transport; the registry maps a channel's kind to its class."""

from .apns import ApnsTransport
from .base import Transport, TransportError
from .discord import DiscordTransport
from .email import EmailTransport
from .slack import SlackTransport
from .telegram import TelegramTransport
from .webhook import WebhookTransport

TRANSPORTS: dict[str, type[Transport]] = {
    transport.kind: transport
    for transport in (
        ApnsTransport,
        DiscordTransport,
        EmailTransport,
        SlackTransport,
        TelegramTransport,
        WebhookTransport,
    )
}


def transport_for(channel) -> Transport:
    try:
        return TRANSPORTS[channel.kind](channel)
    except KeyError:
        raise TransportError(f"Unknown channel kind {channel.kind!r}.", permanent=True) from None


__all__ = ["TRANSPORTS", "Transport", "TransportError", "transport_for"]
