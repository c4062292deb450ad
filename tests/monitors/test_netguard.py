import pytest

from monitors.netguard import BlockedAddressError, guarded_session, is_public_address


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"],
)
def test_internet_addresses_are_public(address):
    assert is_public_address(address)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.0.0.2",
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata service
        "100.64.0.1",  # carrier-grade NAT, shared address space
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "::",
        "fe80::1",
        "fe80::1%eth0",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "not an address",
    ],
)
def test_local_private_and_reserved_addresses_are_not_public(address):
    assert not is_public_address(address)


def test_it_refuses_a_loopback_target_before_sending_the_request(target):
    session = guarded_session(allow_private=False, user_agent="tests")

    with pytest.raises(BlockedAddressError) as raised:
        session.get(target.url(), timeout=2)

    assert raised.value.address == "127.0.0.1"
    assert "UPTIME_ALLOW_PRIVATE_TARGETS=1" in str(raised.value)
    assert target.requests_seen == []


def test_it_refuses_a_loopback_tls_target_before_the_handshake(tls_target):
    session = guarded_session(allow_private=False, user_agent="tests")

    # A handshake would fail certificate verification; being blocked proves it never began.
    with pytest.raises(BlockedAddressError):
        session.get(tls_target.url(), timeout=2)


def test_allow_private_lets_loopback_through_with_the_user_agent(target):
    session = guarded_session(allow_private=True, user_agent="uptime-tests/1")

    response = session.get(target.url("/health"), timeout=2)

    assert response.status_code == 200
    method, path, headers = target.requests_seen[0]
    assert (method, path, headers["user-agent"]) == ("GET", "/health", "uptime-tests/1")


def test_an_allowed_address_passes_while_others_stay_blocked(target):
    session = guarded_session(
        allow_private=False, user_agent="tests", allowed_addresses=frozenset({"127.0.0.1"})
    )

    assert session.get(target.url(), timeout=2).status_code == 200
    # localhost resolves to the same server, but the guard judges the address, not the name.
    assert session.get(target.url(host="localhost"), timeout=2).status_code == 200


def test_proxy_environment_variables_are_ignored(target, monkeypatch):
    dead_proxy = "http://127.0.0.1:9"
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, dead_proxy)
    session = guarded_session(allow_private=True, user_agent="tests")

    assert session.get(target.url(), timeout=2).status_code == 200
