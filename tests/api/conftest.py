"""Clients for the API: each persona signs in with a real knox token, as a device would."""

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient


@pytest.fixture
def client_for(db):
    """client_for(user) -> an APIClient sending that user's token; client_for(None) sends none."""

    def make(user) -> APIClient:
        client = APIClient()
        if user is not None:
            _, token = AuthToken.objects.create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client

    return make


@pytest.fixture
def as_alice(client_for, alice):
    return client_for(alice)


@pytest.fixture
def as_bob(client_for, bob):
    return client_for(bob)


@pytest.fixture
def as_charlie(client_for, charlie):
    return client_for(charlie)
