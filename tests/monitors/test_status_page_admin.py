"""The admin's status pages: everyone's, with the same rule as the API and the web, that a page
lists only its owner's monitors."""

import re

import pytest

from monitors.models import StatusPage
from tests.factories import MonitorFactory, StatusPageFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_status_pages")]

CHANGELIST = "/admin/monitors/statuspage/"


def management_forms(html: str) -> dict:
    return dict(re.findall(
        r'name="([\w-]+-(?:TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS)"[^>]*value="(\d+)"', html))


def test_the_list_shows_every_users_pages(admin_client, alice, charlie):
    StatusPageFactory(owner=alice, title="Acme status", slug="acme")
    StatusPageFactory(owner=charlie, title="Charlie status")

    html = admin_client.get(CHANGELIST).content.decode()

    assert "Acme status" in html and "Charlie status" in html and "/status/acme/" in html


@pytest.fixture
def page(alice):
    return StatusPageFactory(owner=alice, title="Acme status", slug="acme")


def post_entry(admin_client, page, monitor):
    change = f"{CHANGELIST}{page.pk}/change/"
    form = management_forms(admin_client.get(change).content.decode())
    return admin_client.post(change, {
        **form, "owner": page.owner_id, "title": page.title, "slug": page.slug,
        "description": "", "custom_domain": "", "sections": "[]",
        "entries-TOTAL_FORMS": "1", "entries-0-monitor": monitor.pk,
        "entries-0-position": "0", "entries-0-display_name": "Payments",
    })


def test_an_operator_adds_the_owners_monitor(admin_client, page, alice):
    monitor = MonitorFactory(owner=alice)

    response = post_entry(admin_client, page, monitor)

    assert response.status_code == 302
    assert page.layout() == ([monitor.pk], {monitor.pk: "Payments"}, [])


def test_another_users_monitor_is_refused(admin_client, page, charlie):
    response = post_entry(admin_client, page, MonitorFactory(owner=charlie))

    assert response.status_code == 200
    assert "belongs to another user" in response.content.decode()
    assert not StatusPage.objects.get(pk=page.pk).entries.exists()


def test_sections_must_be_well_formed(admin_client, page, alice):
    change = f"{CHANGELIST}{page.pk}/change/"
    form = management_forms(admin_client.get(change).content.decode())

    response = admin_client.post(change, {
        **form, "owner": alice.pk, "title": "Acme", "slug": "acme", "custom_domain": "",
        "sections": '{"name": "API"}'})

    assert response.status_code == 200 and "Give a list such as" in response.content.decode()
