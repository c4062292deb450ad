"""Public SVG badges: valid SVG sized to its text, the right figure and colour, no login, and
nothing shown but the figure."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone

from monitors.models import Monitor
from monitors.outcomes import Outcome
from tests.factories import CheckResultFactory, MonitorFactory
from uptime import badges

SVG = "{http://www.w3.org/2000/svg}"


def parsed(svg: str | bytes) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert int(root.get("width")) > 0 and root.get("height") == "20"
    return root


def texts(root: ET.Element) -> list[str]:
    """The words drawn, once each (every text has a shadow copy underneath)."""
    return [text.text for text in root.iter(f"{SVG}text") if text.get("aria-hidden") is None]


def fills(root: ET.Element) -> list[str]:
    return [rect.get("fill") for rect in root.iter(f"{SVG}rect")]


# --- the renderer ------------------------------------------------------------------------


def test_a_badge_is_valid_svg_with_its_label_and_value():
    root = parsed(badges.render_badge("uptime 24h", "99.95%", badges.BRIGHTGREEN))

    assert texts(root) == ["uptime 24h", "99.95%"]
    assert root.find(f"{SVG}title").text == "uptime 24h: 99.95%"
    assert root.get("aria-label") == "uptime 24h: 99.95%"
    assert fills(root)[1:3] == [badges.LABEL_COLOUR, badges.BRIGHTGREEN]  # after the clip


def test_each_part_is_as_wide_as_its_text_in_verdana():
    root = parsed(badges.render_badge("status", "up", badges.BRIGHTGREEN))
    label_box, value_box = (int(rect.get("width")) for rect in list(root.iter(f"{SVG}rect"))[1:3])

    # s t a t u s in Verdana 11px: 5.73 + 4.33 + 6.61 + 4.33 + 6.96 + 5.73 = 33.69 -> 35 (odd)
    assert badges.text_width("status") == pytest.approx(33.69)
    assert label_box == 35 + 10
    assert value_box == 15 + 10  # "up": 6.96 + 6.85 = 13.81 -> 15
    assert int(root.get("width")) == label_box + value_box
    # Wider text, wider badge: "W" is twice an "i" or more.
    assert badges.text_width("WWWW") > 2 * badges.text_width("iiii")


def test_characters_outside_the_table_get_a_wide_width():
    assert badges.text_width("é") == badges.text_width("m")
    assert badges.text_width("東京") == 2 * badges.text_width("m")


def test_text_is_escaped_and_characters_xml_forbids_are_dropped():
    root = parsed(badges.render_badge('<b>&"\'\x00\x1b\ud800 x', "1 < 2", badges.RED))

    assert texts(root) == ['<b>&"\' x', "1 < 2"]


def test_badges_inline_in_one_page_keep_their_own_outlines():
    up, down = (badges.render_badge("status", value, badges.RED) for value in ("up", "down"))
    ids = [{element.get("id") for element in parsed(svg).iter() if element.get("id")}
           for svg in (up, down)]

    assert ids[0] and not ids[0] & ids[1]
    assert badges.render_badge("status", "up", badges.RED) == up  # same badge, same bytes


def test_light_colours_get_dark_text():
    root = parsed(badges.render_badge("status", "up", "#eeeeee"))

    value = [text for text in root.iter(f"{SVG}text") if text.get("aria-hidden") is None][1]
    assert value.get("fill") == "#333"


def test_a_colour_that_is_not_hex_is_refused():
    with pytest.raises(ValueError):
        badges.render_badge("status", "up", 'red" onload="alert(1)')


@pytest.mark.parametrize(("percent", "shown", "colour"), [
    (100.0, "100%", badges.BRIGHTGREEN),
    (99.95, "99.95%", badges.BRIGHTGREEN),
    (99.999, "99.99%", badges.BRIGHTGREEN),  # cut, never rounded up to 100%
    (99.5, "99.5%", badges.GREEN),
    (97.0, "97%", badges.YELLOWGREEN),
    (95.5, "95.5%", badges.YELLOW),
    (91.0, "91%", badges.ORANGE),
    (42.123, "42.12%", badges.RED),
    (0.0, "0%", badges.RED),
])
def test_uptime_is_shown_to_two_decimals_and_coloured_by_threshold(percent, shown, colour):
    assert badges.uptime_text(percent) == shown
    assert badges.uptime_colour(percent) == colour


# --- a monitor's badges over HTTP ----------------------------------------------------------


@pytest.fixture
def monitor(db):
    return MonitorFactory(name="Billing secret project", url="https://billing.internal.example/h")


def get_badge(client, monitor, name: str, query: str = ""):
    return client.get(f"/badge/{monitor.badge_key}/{name}.svg{query}")


@pytest.mark.parametrize(("status", "colour"), [
    (Monitor.Status.UP, badges.BRIGHTGREEN),
    (Monitor.Status.DOWN, badges.RED),
    (Monitor.Status.DEGRADED, badges.YELLOW),
    (Monitor.Status.PENDING, badges.ORANGE),
    (Monitor.Status.UNKNOWN, badges.LIGHTGREY),
])
def test_the_status_badge_needs_no_login(client, monitor, status, colour):
    Monitor.objects.filter(pk=monitor.pk).update(status=status)

    response = get_badge(client, monitor, "status")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert response["Cache-Control"] == "public, max-age=60"
    root = parsed(response.content)
    assert texts(root) == ["status", status.value]
    assert colour in fills(root)


def test_a_paused_monitor_says_so(client, monitor):
    monitor.pause()

    assert texts(parsed(get_badge(client, monitor, "status").content)) == ["status", "paused"]


def test_a_badge_shows_the_figure_and_nothing_about_the_monitor(client, monitor):
    for name in badges.MONITOR_BADGES:
        body = get_badge(client, monitor, name).content.decode()

        assert "Billing" not in body and "billing" not in body
        assert monitor.url not in body and "internal" not in body


def test_the_uptime_badges_cover_their_windows(client, monitor):
    now = timezone.now()
    for minutes in range(19):
        CheckResultFactory(monitor=monitor, checked_at=now - timedelta(minutes=minutes + 1))
    CheckResultFactory(monitor=monitor, checked_at=now - timedelta(minutes=30),
                       outcome=Outcome.TIMEOUT, status_code=None, response_ms=None)
    CheckResultFactory(monitor=monitor, checked_at=now - timedelta(days=3),
                       outcome=Outcome.TIMEOUT, status_code=None, response_ms=None)

    day = parsed(get_badge(client, monitor, "uptime-24h").content)
    week = parsed(get_badge(client, monitor, "uptime-7d").content)
    month = parsed(get_badge(client, monitor, "uptime-30d").content)

    assert texts(day) == ["uptime 24h", "95%"]
    assert badges.YELLOW in fills(day)
    assert texts(week) == ["uptime 7d", "90.47%"]  # 19 of 21: 90.476...%, cut
    assert badges.ORANGE in fills(week)
    assert texts(month) == ["uptime 30d", "90.47%"]


def test_a_window_without_checks_has_no_data(client, monitor):
    root = parsed(get_badge(client, monitor, "uptime-30d").content)

    assert texts(root) == ["uptime 30d", "no data"]
    assert badges.LIGHTGREY in fills(root)


def test_the_response_badge_is_the_average_of_the_last_24_hours(client, monitor):
    now = timezone.now()
    CheckResultFactory(monitor=monitor, checked_at=now - timedelta(minutes=1), response_ms=100)
    CheckResultFactory(monitor=monitor, checked_at=now - timedelta(minutes=2), response_ms=147)
    CheckResultFactory(monitor=monitor, checked_at=now - timedelta(days=2), response_ms=9000)

    root = parsed(get_badge(client, monitor, "response").content)

    assert texts(root) == ["response 24h", "124 ms"]
    assert badges.BRIGHTGREEN in fills(root)


def test_label_overrides_the_label_escaped(client, monitor):
    root = parsed(get_badge(client, monitor, "status", "?label=<my%20api>%00&x=1").content)

    assert texts(root) == ["<my api>", "unknown"]


@pytest.mark.parametrize("query", ["?label=", "?label=%20%00%01%20"])
def test_an_empty_or_unprintable_label_keeps_the_badges_own(client, monitor, query):
    root = parsed(get_badge(client, monitor, "status", query).content)

    assert texts(root) == ["status", "unknown"]


def test_a_label_that_is_not_utf8_still_makes_a_badge(client, monitor):
    response = get_badge(client, monitor, "status", "?label=%ff%fe")

    assert response.status_code == 200
    assert texts(parsed(response.content)) == ["\ufffd\ufffd", "unknown"]


def test_a_long_label_is_cut(client, monitor):
    root = parsed(get_badge(client, monitor, "status", "?label=" + "x" * 5000).content)

    assert texts(root)[0] == "x" * badges.MAX_LABEL_LENGTH


@pytest.mark.parametrize("path", [
    "/badge/no-such-key/status.svg",
    "/badge/{key}/nothing.svg",
])
def test_an_unknown_key_or_badge_is_a_404_image(client, monitor, path):
    response = client.get(path.format(key=monitor.badge_key))

    assert response.status_code == 404
    assert texts(parsed(response.content)) == ["badge", "not found"]


@pytest.mark.parametrize("path", [
    "/badge/%00/status.svg", "/badge/a%2Fb/status.svg", "/badge/{key}/status.png",
    "/badge/{key}/status%00.svg", "/badge/" + "k" * 3000 + "/status.svg",
])
def test_malformed_badge_urls_are_404s(client, monitor, path):
    assert client.get(path.format(key=monitor.badge_key)).status_code == 404


def test_a_badge_is_only_read(client, monitor):
    assert client.post(f"/badge/{monitor.badge_key}/status.svg").status_code == 405
    assert client.head(f"/badge/{monitor.badge_key}/status.svg").status_code == 200


def test_each_monitor_has_its_own_unguessable_key(db):
    first, second = MonitorFactory(), MonitorFactory()

    assert first.badge_key != second.badge_key
    assert len(first.badge_key) >= 22  # 16 random bytes
