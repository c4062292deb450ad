"""Which of Monitor's fields each kind uses, and the form its `url` takes: the one list that
the web form (which fields to show) and the OpenAPI document (one schema per kind) read, so
they cannot drift apart. Fields not named here are common to every kind."""

from dataclasses import dataclass

# kind -> the options only it uses (beyond the common fields), in the order forms show them.
# tls_warn_days is http's too: an http check on https:// records the certificate's expiry.
OPTIONS: dict[str, tuple[str, ...]] = {
    "http": ("method", "expected_status_codes", "request_headers", "request_header_names",
             "assertions", "tls_warn_days", "certificate_expires_at"),
    "tcp": (),
    "dns": ("dns_record_type", "dns_expected", "dns_resolver"),
    "tls": ("tls_warn_days", "certificate_expires_at"),
    "postgres": (),
    "redis": (),
    "heartbeat": ("grace_seconds", "ping_url", "last_ping_at"),
}

# Every kind's options together: a field here belongs only to the kinds that name it.
KIND_SPECIFIC = frozenset(field for fields in OPTIONS.values() for field in fields)

# Kinds without a target: their monitors have no url.
WITHOUT_URL = frozenset({"heartbeat"})

# A heartbeat's one missed deadline is the news (the job did not run), not a blip to wait out.
DEFAULT_FAILURE_THRESHOLD = {"heartbeat": 1}


@dataclass(frozen=True)
class UrlForm:
    placeholder: str
    help_text: str


URL_FORMS: dict[str, UrlForm] = {
    "http": UrlForm("https://api.example.com/health",
                    "http:// or https://, the page or endpoint to request."),
    "tcp": UrlForm("tcp://db.example.com:5432", "tcp://host:port: up when it accepts a "
                   "connection."),
    "dns": UrlForm("dns://example.com", "dns://hostname: the name whose records are asked."),
    "tls": UrlForm("https://example.com", "https://host[:port]: the certificate of a TLS "
                   "handshake there."),
    "postgres": UrlForm("postgres://monitor:password@db.example.com:5432/app",
                        "postgres://user:password@host:5432/db (and ?sslmode=): connects and "
                        "runs SELECT 1. The password is never shown again."),
    "redis": UrlForm("redis://:password@cache.example.com:6379/0",
                     "redis://[:password@]host:6379/0, or rediss:// for TLS: sends PING. "
                     "The password is never shown again."),
}


def kinds_using(field: str) -> list[str]:
    """The kinds a field belongs to; every kind for a common field."""
    if field == "url":
        return [kind for kind in OPTIONS if kind not in WITHOUT_URL]
    if field not in KIND_SPECIFIC:
        return list(OPTIONS)
    return [kind for kind, fields in OPTIONS.items() if field in fields]


def default_failure_threshold(kind: str, model_default: int) -> int:
    return DEFAULT_FAILURE_THRESHOLD.get(kind, model_default)
