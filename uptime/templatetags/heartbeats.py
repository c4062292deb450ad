"""The dashboard's heartbeat beads, written in one go: 100 rows of 30 beads through the
template engine took about 0.25 s of a page's 0.35 s; format_html_join takes a few ms."""

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def beads(beats) -> SafeString:
    return format_html_join("", '<i class="beat" data-state="{}"{} title="{}"></i>', (
        (beat.state, mark_safe(f' data-check-id="{int(beat.check.pk)}"') if beat.check else "",
         beat.summary)
        for beat in beats
    ))
