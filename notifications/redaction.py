"""What the API shows of a channel's config: enough to recognise it, never a secret.

A webhook URL often carries its credential (Slack's /services/T000/B000/XXXX, Discord's
/webhooks/<id>/<token>, ?token=...), so only its scheme and host are shown. A webhook's signing
secret and a Telegram bot token are never shown, only whether a webhook signs its requests and
which chat a bot posts to. A kind not listed here shows nothing: a new transport's config stays
hidden until someone decides what of it is safe to show.
"""

from urllib.parse import urlsplit

from .models import NotificationChannel


def redacted_config(channel: NotificationChannel) -> dict[str, str | bool]:
    config = channel.config if isinstance(channel.config, dict) else {}
    kind = channel.kind
    if kind == NotificationChannel.Kind.WEBHOOK:
        return {"url": url_origin(config.get("url", "")), "signed": bool(config.get("secret"))}
    if kind == NotificationChannel.Kind.EMAIL:
        return {"to": str(config.get("to", ""))}
    if kind in (NotificationChannel.Kind.SLACK, NotificationChannel.Kind.DISCORD):
        return {"webhook_url": url_origin(config.get("webhook_url", ""))}
    if kind == NotificationChannel.Kind.TELEGRAM:
        return {"chat_id": str(config.get("chat_id", ""))}
    return {}


def url_origin(url: object) -> str:
    """scheme://host[:port]/… for a URL: never its user info, path or query."""
    if not isinstance(url, str):
        return ""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return ""
    if not parts.scheme or not host:
        return ""
    if ":" in host:  # IPv6 literals keep their brackets
        host = f"[{host}]"
    return f"{parts.scheme}://{host}{f':{port}' if port else ''}/…"
