"""Public SVG badges, shields.io's flat style: a grey label and a coloured value.

`render_badge(label, value, colour)` draws any badge (a status page's too); the rest says
what each of a monitor's badges shows. A badge carries its figure and nothing else: no
monitor name and no URL, since it is served to anyone who has its key.

Not pybadges: its last release (2023) imports `imghdr`, which Python 3.13 removed, and it
brings Jinja2 and requests for features (logos, links) a badge here never uses. The template
below is shields.io's flat badge, and the widths are the ones shields.io measures with.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal
from xml.sax.saxutils import escape, quoteattr

from django.urls import reverse
from django.utils import timezone

from monitors import stats
from monitors.models import Monitor

# Widths in pixels of the printable ASCII characters (space to ~) in Verdana at 11px, the
# font shields.io lays its badges out for (the anafanafo package's table, MIT). Viewers
# without Verdana fall back to a similar sans-serif, and textLength stretches the text to
# exactly the width computed here, so it always fits its box.
_ASCII_WIDTHS = (
    3.87, 4.33, 5.05, 9, 6.99, 11.84, 7.99, 2.95, 5, 5, 6.99, 9, 4, 5, 4, 5,
    6.99, 6.99, 6.99, 6.99, 6.99, 6.99, 6.99, 6.99, 6.99, 6.99, 5, 5, 9, 9, 9, 6,
    11, 7.52, 7.54, 7.68, 8.48, 6.96, 6.32, 8.53, 8.27, 4.63, 5, 7.62, 6.12, 9.27, 8.23, 8.66,
    6.63, 8.66, 7.65, 7.52, 6.78, 8.05, 7.52, 10.88, 7.54, 6.77, 7.54, 5, 5, 5, 9, 6.99,
    6.99, 6.61, 6.85, 5.73, 6.85, 6.55, 3.87, 6.85, 6.96, 3.02, 3.79, 6.51, 3.02, 10.7, 6.96,
    6.68, 6.85, 6.85, 4.69, 5.73, 4.33, 6.96, 6.51, 9, 6.51, 6.51, 5.78, 6.98, 5, 6.98, 9,
)
# Anything else (accents, CJK, emoji) is measured as an "m", the widest lower-case letter:
# a little too wide is a little padding, too narrow would squeeze the text.
_OTHER_WIDTH = _ASCII_WIDTHS[ord("m") - 32]
HORIZONTAL_PADDING = 5
LABEL_COLOUR = "#555"
# A ?label= longer than this is cut: a badge is a few words, not a banner.
MAX_LABEL_LENGTH = 40

# shields.io's named colours.
BRIGHTGREEN = "#4c1"
GREEN = "#97ca00"
YELLOWGREEN = "#a4a61d"
YELLOW = "#dfb317"
ORANGE = "#fe7d37"
RED = "#e05d44"
LIGHTGREY = "#9f9f9f"

STATUS_COLOURS = {
    Monitor.Status.UP: BRIGHTGREEN,
    Monitor.Status.DEGRADED: YELLOW,
    Monitor.Status.PENDING: ORANGE,
    Monitor.Status.DOWN: RED,
    Monitor.Status.PAUSED: LIGHTGREY,
    Monitor.Status.UNKNOWN: LIGHTGREY,
}
# (lowest uptime %, colour), best first: three nines are green, two orange-ish.
UPTIME_COLOURS = ((99.9, BRIGHTGREEN), (99.0, GREEN), (97.0, YELLOWGREEN), (95.0, YELLOW),
                  (90.0, ORANGE))
# (below this many ms, colour), fastest first.
RESPONSE_COLOURS = ((200, BRIGHTGREEN), (500, GREEN), (1000, YELLOWGREEN), (2000, YELLOW),
                    (5000, ORANGE))
NO_DATA = "no data"


def text_width(text: str) -> float:
    return sum(_ASCII_WIDTHS[ord(char) - 32] if " " <= char <= "~" else _OTHER_WIDTH
               for char in text)


def _box_width(text: str) -> int:
    # Whole pixels, rounded up to an odd number as shields.io does: the text's centre then
    # falls on a half pixel, which renders sharper.
    width = int(-(-text_width(text) // 1))
    return width if width % 2 else width + 1


def _text_colours(background: str) -> tuple[str, str]:
    """(text, shadow): white on dark backgrounds, dark grey on light ones, as shields.io."""
    digits = background.lstrip("#")
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    red, green, blue = (int(digits[i:i + 2], 16) for i in (0, 2, 4))
    brightness = (0.299 * red + 0.587 * green + 0.114 * blue) / 255
    return ("#333", "#ccc") if brightness > 0.69 else ("#fff", "#010101")


def render_badge(label: str, value: str, colour: str) -> str:
    """A flat badge: `label` on grey, `value` on `colour` (#rgb or #rrggbb), as SVG text."""
    if not (colour.startswith("#") and len(colour) in (4, 7)
            and all(c in "0123456789abcdefABCDEF" for c in colour[1:])):
        raise ValueError(f"not a #rgb or #rrggbb colour: {colour!r}")
    label, value = printable(label), printable(value)
    label_text, value_text = _box_width(label), _box_width(value)
    label_box = label_text + 2 * HORIZONTAL_PADDING
    value_box = value_text + 2 * HORIZONTAL_PADDING
    width = label_box + value_box
    # Drawn at 10x and scaled down (shields.io's trick): font sizes and positions in whole
    # units of a tenth of a pixel render the same in every browser.
    label_x = 10 * label_box // 2
    value_x = 10 * label_box + 10 * value_box // 2
    title = escape(f"{label}: {value}")
    value_fill, value_shadow = _text_colours(colour)
    # Ids of this badge's own: badges drawn inline in one page share a document, and each
    # would otherwise clip to the first one's outline. Derived from the content, so a badge
    # is the same bytes every time (and caches as such).
    ids = hashlib.blake2b(f"{label}\0{value}\0{colour}".encode(), digest_size=4).hexdigest()
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" '
        f'aria-label={quoteattr(f"{label}: {value}")}>'
        f"<title>{title}</title>"
        f'<linearGradient id="s{ids}" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" '
        'stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r{ids}"><rect width="{width}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r{ids})"><rect width="{label_box}" height="20" '
        f'fill="{LABEL_COLOUR}"/><rect x="{label_box}" width="{value_box}" height="20" '
        f'fill="{colour}"/><rect width="{width}" height="20" fill="url(#s{ids})"/></g>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" '
        'text-rendering="geometricPrecision" font-size="110">'
        f"{_text(label, label_x, label_text, '#fff', '#010101')}"
        f"{_text(value, value_x, value_text, value_fill, value_shadow)}"
        "</g></svg>"
    )


def _text(text: str, x: int, width: int, fill: str, shadow: str) -> str:
    # The shadow first, one pixel lower; textLength makes the text exactly the measured width.
    common = f'x="{x}" transform="scale(.1)" textLength="{10 * width}"'
    return (f'<text aria-hidden="true" {common} y="150" fill="{shadow}" fill-opacity=".3">'
            f"{escape(text)}</text>"
            f'<text {common} y="140" fill="{fill}">{escape(text)}</text>')


def printable(text: str) -> str:
    """`text` without the characters XML 1.0 forbids (control characters, lone surrogates)
    or that would draw nothing, its whitespace as single spaces."""
    kept = "".join(char for char in text
                   if char.isprintable() or char.isspace())
    return " ".join(kept.split())


def custom_label(requested: str | None) -> str | None:
    """A ?label= as a badge may show it, or None to keep the badge's own."""
    if requested is None:
        return None
    return printable(requested)[:MAX_LABEL_LENGTH].strip() or None


# --- a monitor's badges ------------------------------------------------------------------


@dataclass(frozen=True)
class Badge:
    """What one badge shows now: render_badge() draws it, under a ?label= if one was given."""

    label: str
    value: str
    colour: str


def uptime_text(percent: float) -> str:
    """99.956 -> "99.95%", 100.0 -> "100%": cut, not rounded, so a window with any
    downtime never reads 100%."""
    shown = Decimal(str(percent)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return f"{shown.normalize():f}%"


def uptime_colour(percent: float) -> str:
    return next((colour for lowest, colour in UPTIME_COLOURS if percent >= lowest), RED)


def response_colour(milliseconds: float) -> str:
    return next((colour for below, colour in RESPONSE_COLOURS if milliseconds < below), RED)


def status_badge(monitor: Monitor) -> Badge:
    return Badge("status", monitor.status, STATUS_COLOURS.get(monitor.status, LIGHTGREY))


def _last(monitor: Monitor, window: timedelta) -> stats.WindowStats:
    now = timezone.now()
    return stats.window_stats(monitor, since=now - window, until=now)


def _uptime_badge(label: str, window: timedelta) -> Callable[[Monitor], Badge]:
    def badge(monitor: Monitor) -> Badge:
        percent = _last(monitor, window).uptime_percent
        if percent is None:
            return Badge(label, NO_DATA, LIGHTGREY)
        return Badge(label, uptime_text(percent), uptime_colour(percent))

    return badge


def response_badge(monitor: Monitor) -> Badge:
    label = "response 24h"
    average = _last(monitor, timedelta(hours=24)).average_response_ms
    if average is None:
        return Badge(label, NO_DATA, LIGHTGREY)
    return Badge(label, f"{round(average)} ms", response_colour(average))


# The badges of a monitor by the name in their URL (/badge/<badge_key>/<name>.svg), with
# what the web page calls them; the README lists the same.
MONITOR_BADGES = {
    "status": ("Status", status_badge),
    "uptime-24h": ("Uptime, 24 hours", _uptime_badge("uptime 24h", timedelta(hours=24))),
    "uptime-7d": ("Uptime, 7 days", _uptime_badge("uptime 7d", timedelta(days=7))),
    "uptime-30d": ("Uptime, 30 days", _uptime_badge("uptime 30d", timedelta(days=30))),
    "response": ("Average response time, 24 hours", response_badge),
}


def monitor_badge(monitor: Monitor, name: str) -> Badge | None:
    """The badge called `name` of this monitor, figures computed now; None for no such badge."""
    if name not in MONITOR_BADGES:
        return None
    _, make = MONITOR_BADGES[name]
    return make(monitor)


@dataclass(frozen=True)
class BadgeLink:
    """A badge as its owner copies it: its public URL and a Markdown snippet showing it, and
    the path the web page previews it from (whatever host the page was opened on)."""

    name: str
    title: str
    url: str
    path: str

    @property
    def markdown(self) -> str:
        return f"![{self.title}]({self.url})"


def badge_links(monitor: Monitor) -> list[BadgeLink]:
    return [BadgeLink(name, title, url=monitor.badge_url_for(name),
                      path=reverse("badge", kwargs={"key": monitor.badge_key, "name": name}))
            for name, (title, _) in MONITOR_BADGES.items()
            # A heartbeat is pinged, never timed: its response badge would always say no data.
            if not (name == "response" and monitor.kind == Monitor.Kind.HEARTBEAT)]
