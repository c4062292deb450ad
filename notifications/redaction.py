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


# The config keys that hold a credential, per kind: never shown back, kept when an edit in the
# admin leaves them out.
SECRET_KEYS: dict[str, frozenset[str]] = {
    NotificationChannel.Kind.WEBHOOK: frozenset({"url", "secret"}),
    NotificationChannel.Kind.SLACK: frozenset({"webhook_url"}),
    NotificationChannel.Kind.DISCORD: frozenset({"webhook_url"}),
    NotificationChannel.Kind.TELEGRAM: frozenset({"bot_token"}),
}


def public_config(kind: str, config: object) -> dict:
    """The config without its secret keys."""
    if not isinstance(config, dict):
        return {}
    return {key: value for key, value in config.items() if key not in SECRET_KEYS.get(kind, ())}


def secret_config(kind: str, config: object) -> dict:
    if not isinstance(config, dict):
        return {}
    return {key: value for key, value in config.items() if key in SECRET_KEYS.get(kind, ())}


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
