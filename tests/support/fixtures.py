"""Fixtures for real target servers; tests/conftest.py star-imports them."""

from collections.abc import Iterator

import pytest
import trustme

from .target import TargetServer

__all__ = ["target", "tls_ca", "tls_target"]


@pytest.fixture
def target() -> Iterator[TargetServer]:
    """A running HTTP TargetServer on 127.0.0.1, stopped after the test."""
    server = TargetServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def tls_ca() -> trustme.CA:
    """A throwaway certificate authority; its PEM is `tls_ca.cert_pem` (for verify=, use
    `with tls_ca.cert_pem.tempfile() as ca_path`)."""
    return trustme.CA()


@pytest.fixture
def tls_target(tls_ca: trustme.CA) -> Iterator[TargetServer]:
    """A running HTTPS TargetServer whose certificate `tls_ca` issued for 127.0.0.1 and
    localhost."""
    server = TargetServer(tls=tls_ca).start()
    yield server
    server.stop()
