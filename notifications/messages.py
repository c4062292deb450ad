"""What a notification says, built from the incident; wording lives in templates/notifications/.

Templates get the facts as plain names (monitor_name, monitor_target, cause, since, duration,
monitor_url) and one flag per event (is_opened, is_reminder, is_escalated, is_resolved,
is_test). `since` is when the outage began (the incident's started_at, its first failed check)
and `duration` counts from it. Most of that text comes from users (a monitor's name and URL, a
check's error), and each format needs it escaped its own way: HTML for .html templates, Slack's,
Discord's or Telegram's rules for their markup, not at all for plain text. So render() escapes
those values with the escaper it is given and marks them safe; Django's autoescaping, which
would write "AT&amp;T" into a plain-text mail, then leaves them alone. `monitor` and `incident`
stay in the context for anything else a template wants, but their text is HTML-escaped by
Django wherever it appears.

A monitor's certificate.expiring has no incident: CertificateNotification words it from
templates/notifications/certificate/, with host, expires_at and expires_in.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.template.loader import render_to_string, select_template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape as html_escape
from django.utils.safestring import SafeString, mark_safe

from incidents.models import format_duration

Escape = Callable[[str], str]


def no_escape(text: str) -> str:
    return text


def escape_for(template: str) -> Escape:
    """The escaper a template's file name implies: HTML for .html, none for anything else."""
    return html_escape if template.endswith(".html") else no_escape


@dataclass(frozen=True)
class Notification:
    event: str
    incident: object
    monitor: object
    idempotency_key: str

    @property
    def monitor_url(self) -> str:
        # The web frontend's monitor page: its checks, chart and incident timeline.
        return f"{settings.SITE_URL}{reverse('web:monitor', args=[self.monitor.pk])}"

    @property
    def happened_at(self) -> datetime:
        """When what this notification announces happened: the outage began (its first failed
        check), it ended, or (a reminder, an escalation, a test) now."""
        if self.event == "incident.opened":
            return self.incident.down_since
        if self.event == "incident.resolved" and self.incident.resolved_at:
            return self.incident.resolved_at
        return timezone.now()

    def context(self, escape: Escape = no_escape) -> dict:
        incident, monitor = self.incident, self.monitor

        def text(value: object) -> SafeString:
            return mark_safe(escape(str(value or "")))

        return {
            "event": self.event,
            "is_opened": self.event == "incident.opened",
            "is_reminder": self.event == "incident.reminder",
            "is_escalated": self.event == "incident.escalated",
            "is_resolved": self.event == "incident.resolved",
            "is_test": self.event == "test",
            "monitor": monitor,
            "incident": incident,
            "monitor_name": text(monitor.name),
            # shown_url: a password in a postgres:// or redis:// target is never sent out.
            "monitor_target": text(monitor.shown_url),
            # Ours, not a user's: left to Django's escaping, which is right for an href and
            # changes nothing in a URL made of SITE_URL and a path, where a markup escaper
            # (Discord's backslashes) would break the link.
            "monitor_url": self.monitor_url,
            "cause": text(incident.cause),
            # When the outage began: its first failed check, not the later moment the failure
            # threshold was reached and the incident opened.
            "since": incident.down_since,
            "since_unix": int(incident.down_since.timestamp()),
            "resolved_at": incident.resolved_at,
            # Down so far while open, the whole outage once resolved; both from `since`.
            "duration": format_duration(incident.duration),
        }

    def render(self, template: str, escape: Escape | None = None) -> str:
        """templates/notifications/<template>, with user text escaped by `escape` (default:
        HTML for an .html template, nothing otherwise)."""
        context = self.context(escape or escape_for(template))
        return render_to_string(f"notifications/{template}", context).strip()

    def monitor_payload(self) -> dict:
        """The monitor as every webhook payload describes it (a password in its URL is ***)."""
        monitor = self.monitor
        return {
            "id": monitor.pk,
            "name": monitor.name,
            "url": monitor.shown_url,
            "status": monitor.status,
            "link": self.monitor_url,
        }

    def as_payload(self) -> dict:
        """The JSON body of a webhook: stable field names that receivers can rely on."""
        incident = self.incident
        return {
            "event": self.event,
            "idempotency_key": self.idempotency_key,
            "monitor": self.monitor_payload(),
            "incident": {
                "id": incident.pk,
                "started_at": incident.down_since.isoformat(),
                "opened_at": incident.opened_at.isoformat(),
                "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
                "cause": incident.cause,
                "duration_seconds": int(incident.duration.total_seconds()),
            },
            "text": self.render("summary.txt"),
        }


def certificate_host(url: str) -> str:
    """The server whose certificate it is, as people write it: the host, with its port unless
    that is 443 (https://host:port for tls, the monitored https:// URL for http)."""
    parts = urlsplit(url)
    host = parts.hostname or url
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{host}:{port}" if port and port != 443 else host


def expires_in_words(expires_at: datetime, now: datetime | None = None) -> str:
    """'in 5 days', 'in 1 day', or 'today' (also for a warning delivered late, after the
    expiry: the exact time is written next to it)."""
    days = (expires_at - (now or timezone.now())).days
    if days < 1:
        return "today"
    return f"in {days} day{'s' if days != 1 else ''}"


@dataclass(frozen=True)
class CertificateNotification(Notification):
    """certificate.expiring: the certificate of a monitor's server runs out within its
    tls_warn_days. No incident (`incident` is None): the facts are the monitor, the host and
    the expiry, worded by templates/notifications/certificate/."""

    expires_at: datetime | None = None
    fingerprint: str = ""

    @property
    def happened_at(self) -> datetime:
        return timezone.now()

    @property
    def host(self) -> str:
        return certificate_host(self.monitor.url)

    def context(self, escape: Escape = no_escape) -> dict:
        monitor = self.monitor

        def text(value: object) -> SafeString:
            return mark_safe(escape(str(value or "")))

        return {
            "event": self.event,
            "is_certificate_expiring": True,
            "monitor": monitor,
            "monitor_name": text(monitor.name),
            "monitor_target": text(monitor.shown_url),
            "monitor_url": self.monitor_url,
            "host": text(self.host),
            "expires_at": self.expires_at,
            "expires_at_unix": int(self.expires_at.timestamp()),
            "expires_in": self.expires_in,
            "fingerprint": self.fingerprint,
        }

    @property
    def expires_in(self) -> str:
        return expires_in_words(self.expires_at)

    def render(self, template: str, escape: Escape | None = None) -> str:
        # A transport added later with a template of its own gets the one-line summary rather
        # than an incident's wording about an incident that does not exist.
        chosen = select_template([
            f"notifications/certificate/{template}", "notifications/certificate/summary.txt"
        ])
        return chosen.render(self.context(escape or escape_for(template))).strip()

    def as_payload(self) -> dict:
        return {
            "event": self.event,
            "idempotency_key": self.idempotency_key,
            "monitor": self.monitor_payload(),
            "incident": None,
            "expires_at": self.expires_at.isoformat(),
            "certificate": {
                "host": self.host,
                "expires_at": self.expires_at.isoformat(),
                "fingerprint_sha256": self.fingerprint,
            },
            "text": self.render("summary.txt"),
        }
