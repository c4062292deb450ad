"""Formatting for the web frontend's templates."""

from datetime import timedelta

from django import template

from incidents.models import format_duration

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    return format_duration(value) if value is not None else ""


@register.filter
def percent(value: float | None) -> str:
    """99.95 -> "99.95%", 100.0 -> "100%", None (no checks in the window) -> "—"."""
    if value is None:
        return "—"
    return f"{value:.2f}".rstrip("0").rstrip(".") + "%"
