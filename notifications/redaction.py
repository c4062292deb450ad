"""What the API shows of a channel's config: enough to recognise it, never a secret.

A webhook URL often carries its credential (Slack's /services/T000/B000/XXXX, ?token=...), so
only its scheme and host are shown. A kind not listed here shows nothing: a new transport's
config stays hidden until someone decides what of it is safe to show.
"""

from urllib.parse import urlsplit

from .models import NotificationChannel


def redacted_config(channel: NotificationChannel) -> dict[str, str]:
    config = channel.config if isinstance(channel.config, dict) else {}
    if channel.kind == NotificationChannel.Kind.WEBHOOK:
        return {"url": url_origin(config.get("url", ""))}
    if channel.kind == NotificationChannel.Kind.EMAIL:
        return {"to": str(config.get("to", ""))}
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
