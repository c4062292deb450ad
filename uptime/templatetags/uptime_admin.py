from django import template

from uptime.registration import private_network_warning

register = template.Library()


@register.simple_tag
def registration_warning() -> str:
    """The start-up warning about open sign-up with private targets, for the admin index."""
    return private_network_warning() or ""
