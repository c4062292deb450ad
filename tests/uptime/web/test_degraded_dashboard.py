"""Degraded on the dashboard: a chip that counts and filters it, the amber status hook, amber
beads for degraded checks, and the stylesheets that colour them (the web's and the admin's)."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from monitors.outcomes import Outcome
from tests.factories import CheckResultFactory, MonitorFactory

pytestmark = pytest.mark.django_db

STATIC = Path(settings.BASE_DIR) / "uptime" / "static" / "uptime"


@pytest.fixture
def fleet(alice):
    return {
        "shop": MonitorFactory(owner=alice, name="Shop", status="degraded"),
        "blog": MonitorFactory(owner=alice, name="Blog", status="degraded"),
        "api": MonitorFactory(owner=alice, name="API", status="up"),
    }


def test_the_degraded_chip_counts_degraded_monitors_and_links_to_them(client, alice, fleet):
    client.force_login(alice)

    html = client.get("/").content.decode()

    assert re.search(r'<a class="chip chip-degraded" href="\?status=degraded"><b '
                     r'data-count="degraded">2</b> degraded</a>', html)


def test_the_degraded_filter_shows_only_degraded_monitors(client, alice, fleet):
    client.force_login(alice)

    response = client.get("/", {"status": "degraded"})

    assert [monitor.name for monitor in response.context["monitors"]] == ["Blog", "Shop"]
    assert 'class="chip chip-degraded" href="?status=degraded" aria-current="page"' in (
        response.content.decode()
    )


def test_a_degraded_monitor_row_has_the_degraded_status_and_amber_beads(client, alice, fleet):
    shop = fleet["shop"]
    CheckResultFactory(monitor=shop, outcome=Outcome.OK)
    degraded = CheckResultFactory(monitor=shop, outcome=Outcome.DEGRADED,
                                  error="certificate expires in 5 days")
    client.force_login(alice)

    html = client.get("/").content.decode()

    assert (f'data-monitor-id="{shop.pk}" data-field="status" data-status="degraded">'
            '<i class="dot"></i><span class="status-label">Degraded</span>') in html
    assert f'<i class="beat" data-state="degraded" data-check-id="{degraded.pk}"' in html


@pytest.mark.parametrize(("sheet", "rules"), [
    ("status.css", ['.status[data-status="degraded"] .dot',
                    '.status[data-status="degraded"] .status-label']),
    ("app.css", ['.chip-degraded::before', '.beat[data-state="degraded"]',
                 '.pill[data-status="degraded"]', '.outcome[data-outcome="degraded"]::before']),
])
def test_the_stylesheets_colour_degraded_amber(sheet, rules):
    css = (STATIC / sheet).read_text()

    for rule in rules:
        declarations = re.search(re.escape(rule) + r"\s*\{([^}]*)\}", css)
        assert declarations, f"{sheet} has no {rule}"
        assert re.search(r"#f59e0b|#92400e|var\(--degraded\)|var\(--warn-", declarations[1]), rule


def test_the_admin_changelist_loads_the_stylesheet_that_colours_degraded(admin_client, fleet):
    html = admin_client.get("/admin/monitors/monitor/").content.decode()

    assert "uptime/status.css" in html
    assert 'data-status="degraded"' in html


def test_the_monitor_page_marks_a_degraded_check_amber_not_green(client, alice, fleet):
    shop = fleet["shop"]
    CheckResultFactory(monitor=shop, outcome=Outcome.DEGRADED,
                       error="certificate expires in 5 days")
    client.force_login(alice)

    html = client.get(f"/monitors/{shop.pk}/").content.decode()

    assert re.search(r'<span class="outcome" data-ok="true" data-outcome="degraded">Degraded</span>'
                     r'<span class="error-text">certificate expires in 5 days</span>', html)
