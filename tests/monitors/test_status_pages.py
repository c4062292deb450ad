"""Status pages on the model: what a page may list, how it lists it, and the banner's rule."""

import pytest
from django.core.exceptions import ValidationError

from monitors.status_pages import (
    ComponentStatus,
    OverallStatus,
    StatusPage,
    component_status,
    is_hostname,
    overall_status,
    section_problem,
)
from tests.factories import MaintenanceWindowFactory, MonitorFactory, StatusPageFactory

OPERATIONAL, DEGRADED, OUTAGE, MAINTENANCE, UNKNOWN = (
    ComponentStatus.OPERATIONAL, ComponentStatus.DEGRADED, ComponentStatus.OUTAGE,
    ComponentStatus.MAINTENANCE, ComponentStatus.UNKNOWN)


@pytest.mark.parametrize(("statuses", "expected"), [
    ([OPERATIONAL, OPERATIONAL], OverallStatus.OPERATIONAL),
    ([OUTAGE], OverallStatus.MAJOR_OUTAGE),
    ([OUTAGE, OPERATIONAL], OverallStatus.PARTIAL_OUTAGE),
    ([OUTAGE, OUTAGE, OPERATIONAL], OverallStatus.MAJOR_OUTAGE),
    ([OUTAGE, OPERATIONAL, OPERATIONAL], OverallStatus.PARTIAL_OUTAGE),
    ([OUTAGE, UNKNOWN, UNKNOWN], OverallStatus.MAJOR_OUTAGE),
    ([DEGRADED, OPERATIONAL], OverallStatus.DEGRADED),
    ([OUTAGE, DEGRADED, OPERATIONAL], OverallStatus.PARTIAL_OUTAGE),
    ([MAINTENANCE, OPERATIONAL], OverallStatus.MAINTENANCE),
    ([MAINTENANCE, DEGRADED], OverallStatus.DEGRADED),
    ([UNKNOWN, UNKNOWN], OverallStatus.UNKNOWN),
    ([], OverallStatus.UNKNOWN),
])
def test_the_banner_is_a_major_outage_when_more_than_half_of_the_known_monitors_are_down(
        statuses, expected):
    assert overall_status(statuses) == expected


def test_the_banners_labels():
    assert OverallStatus.OPERATIONAL.label == "All systems operational"
    assert OverallStatus.PARTIAL_OUTAGE.label == "Partial outage"
    assert OverallStatus.MAJOR_OUTAGE.label == "Major outage"


@pytest.mark.parametrize(("status", "expected"), [
    ("up", OPERATIONAL), ("pending", OPERATIONAL), ("degraded", DEGRADED), ("down", OUTAGE),
    ("unknown", UNKNOWN), ("paused", UNKNOWN),
])
def test_a_monitors_public_state(status, expected):
    assert component_status(status, in_maintenance=False) == expected
    assert component_status(status, in_maintenance=True) == MAINTENANCE


@pytest.mark.django_db
def test_overall_status_reads_the_monitors_and_their_maintenance(alice):
    down = MonitorFactory(owner=alice, status="down")
    up = MonitorFactory(owner=alice, status="up")
    page = StatusPageFactory(owner=alice)
    page.set_layout([down.pk, up.pk], {}, [])

    assert page.overall_status() == OverallStatus.PARTIAL_OUTAGE
    MaintenanceWindowFactory(monitor=down)
    assert page.overall_status() == OverallStatus.MAINTENANCE


@pytest.mark.parametrize("slug", ["acme", "acme-status", "a", "a1-b2", "x" * 60])
def test_good_slugs(slug):
    StatusPage._meta.get_field("slug").run_validators(slug)


@pytest.mark.parametrize("slug", ["Acme", "-acme", "acme-", "ac me", "ac_me", "x" * 61, "é",
                                  "acme/"])
def test_bad_slugs_are_refused(slug):
    with pytest.raises(ValidationError):
        StatusPage._meta.get_field("slug").run_validators(slug)


@pytest.mark.parametrize(("value", "ok"), [
    ("status.example.com", True), ("a.b", True), ("xn--bcher-kva.example", True),
    ("localhost", False), ("127.0.0.1", False), ("::1", False), ("example.com:443", False),
    ("https://status.example.com", False), ("status.example.com/x", False), ("-a.example", False),
    ("a..example", False), ("1.2.3.4.5", False), ("a" * 64 + ".example", False),
])
def test_a_custom_domain_is_a_dns_name(value, ok):
    assert is_hostname(value) is ok


@pytest.mark.django_db
def test_a_custom_domain_is_stored_lowercase_and_may_not_be_the_servers_own(alice, settings):
    settings.SITE_URL = "https://uptime.example.com"
    page = StatusPageFactory.build(owner=alice, custom_domain="Status.Example.COM.")
    page.full_clean()
    assert page.custom_domain == "status.example.com"

    page.custom_domain = "uptime.example.com"
    with pytest.raises(ValidationError) as error:
        page.full_clean()
    assert "this server's own address" in str(error.value)


@pytest.mark.django_db
def test_two_pages_cannot_share_a_custom_domain(alice, charlie):
    StatusPageFactory(owner=alice, custom_domain="status.example.com")
    page = StatusPageFactory.build(owner=charlie, custom_domain="status.example.com")

    with pytest.raises(ValidationError) as error:
        page.full_clean()
    assert error.value.message_dict == {"custom_domain": ["Another status page uses this domain."]}


@pytest.mark.django_db
def test_a_page_lists_only_its_owners_monitors_each_once(alice, charlie):
    mine = MonitorFactory(owner=alice)
    theirs = MonitorFactory(owner=charlie)
    page = StatusPageFactory(owner=alice)

    with pytest.raises(ValidationError) as error:
        page.validate_layout([mine.pk, theirs.pk], {}, [])
    assert error.value.message_dict["monitors"] == [
        f"No monitor of yours has the id {theirs.pk}: a page shows its owner's monitors only."]
    with pytest.raises(ValidationError) as error:
        page.validate_layout([mine.pk, mine.pk], {}, [])
    assert error.value.message_dict["monitors"] == [f"Monitor {mine.pk} is listed twice."]
    with pytest.raises(ValidationError) as error:
        page.validate_layout([mine.pk], {theirs.pk: "x"}, [])
    assert "display_names" in error.value.message_dict
    page.validate_layout([mine.pk], {mine.pk: "Public API"}, [])


@pytest.mark.parametrize(("sections", "problem"), [
    ("API", "Give a list"),
    ([{"name": "API"}], "Each section is"),
    ([{"name": "", "monitors": []}], "needs a name"),
    ([{"name": "A", "monitors": [1]}, {"name": "A", "monitors": [2]}], "Two sections"),
    ([{"name": "A", "monitors": [9]}], "9 is not one of this page's monitors"),
    ([{"name": "A", "monitors": [1]}, {"name": "B", "monitors": [1]}], "in two sections"),
    ([{"name": "A", "monitors": ["1"]}], "by id"),
    ([{"name": "A", "monitors": [True]}], "by id"),
    ([{"name": str(n), "monitors": []} for n in range(21)], "At most 20"),
])
def test_bad_sections_are_refused_saying_why(sections, problem):
    assert problem in section_problem(sections, {1, 2})


def test_good_sections():
    assert section_problem([{"name": "API", "monitors": [2, 1]}], {1, 2, 3}) is None
    assert section_problem([], {1}) is None


@pytest.mark.django_db
def test_the_layout_keeps_order_names_and_sections_and_forgets_deleted_monitors(alice):
    web, api, db = (MonitorFactory(owner=alice, name=name) for name in ("Web", "API", "DB"))
    page = StatusPageFactory(owner=alice)
    page.set_layout([db.pk, web.pk, api.pk], {api.pk: "Public API"},
                    [{"name": "Backend", "monitors": [api.pk, db.pk]}])

    page = StatusPage.objects.get(pk=page.pk)
    assert page.layout() == ([db.pk, web.pk, api.pk], {api.pk: "Public API"},
                             [{"name": "Backend", "monitors": [api.pk, db.pk]}])
    entries = list(page.entries.select_related("monitor"))
    assert [(name, [entry.name for entry in members]) for name, members in page.groups(entries)
            ] == [("", ["Web"]), ("Backend", ["Public API", "DB"])]

    db.delete()
    page = StatusPage.objects.get(pk=page.pk)
    assert page.layout() == ([web.pk, api.pk], {api.pk: "Public API"},
                             [{"name": "Backend", "monitors": [api.pk]}])
