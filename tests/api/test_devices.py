import pytest

from notifications.models import Device
from tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db

TOKEN = "a1" * 32


def test_registering_a_device(as_alice, alice):
    response = as_alice.post(
        "/api/v1/devices/", {"token": TOKEN.upper(), "name": "Alice's iPhone", "platform": "ios"}
    )

    assert response.status_code == 201
    device = Device.objects.get()
    assert (device.owner, device.token, device.is_active) == (alice, TOKEN, True)
    assert response.json()["token"] == TOKEN


def test_registering_the_same_token_again_updates_it(as_alice, alice):
    first = as_alice.post("/api/v1/devices/", {"token": TOKEN, "name": "Old name"}).json()

    response = as_alice.post("/api/v1/devices/", {"token": TOKEN, "name": "New name"})

    assert response.status_code == 200
    assert response.json()["id"] == first["id"]
    assert list(Device.objects.values_list("name", flat=True)) == ["New name"]


def test_listing_and_removing_devices(as_alice, alice, charlie):
    mine = DeviceFactory(owner=alice)
    DeviceFactory(owner=charlie)

    listed = as_alice.get("/api/v1/devices/").json()["results"]
    assert [device["id"] for device in listed] == [mine.pk]

    assert as_alice.delete(f"/api/v1/devices/{mine.pk}/").status_code == 204
    assert not Device.objects.filter(owner=alice).exists()


@pytest.mark.parametrize(
    "token", ["", "xyz" * 22, "a1" * 10, "a" * 65, "a1" * 101, "a1" * 31 + "-1"]
)
def test_a_token_must_be_hexadecimal(as_alice, token):
    response = as_alice.post("/api/v1/devices/", {"token": token})

    assert response.status_code == 400
    assert list(response.json()) == ["token"]


def test_a_bad_platform_is_named(as_alice):
    response = as_alice.post("/api/v1/devices/", {"token": TOKEN, "platform": "android"})

    assert response.json() == {"platform": ['"android" is not a valid choice.']}


def test_devices_cannot_be_edited_in_place(as_alice, alice):
    device = DeviceFactory(owner=alice)

    assert as_alice.patch(f"/api/v1/devices/{device.pk}/", {"name": "x"}).status_code == 405
