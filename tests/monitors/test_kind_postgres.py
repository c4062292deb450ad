"""Kind `postgres` against the machine's PostgreSQL on 127.0.0.1:5432 (trust auth for user
postgres; it runs in embedded CI mode too), a port nobody listens on, and a silent listener.

The server trusts every local connection, so a wrong password cannot be shown here: a role and
a database that do not exist are refused at the same point of the handshake (before any
query), as auth_failed with the server's message, and that is what these tests show.
"""

import socket

import pytest
from django.core.exceptions import ValidationError

from monitors.kinds import executor_for, validate_target
from monitors.kinds.postgres import PostgresCheck, validate_postgres_url
from monitors.outcomes import CheckSpec, Outcome
from tests.support.machine import needs_machine_postgres
from tests.support.probing import DEADLINE_SLACK_SECONDS, timed
from tests.support.stalling import SilentServer

SERVER = "127.0.0.1:5432"
pytestmark = needs_machine_postgres


def check(url: str, *, timeout: float = 5, **options) -> object:
    executor = PostgresCheck(**{"allow_private": True, **options})
    return executor.run(CheckSpec(url=url, kind="postgres", timeout_seconds=timeout))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_select_1_on_a_running_server_is_ok_with_its_response_time():
    result = check(f"postgres://postgres@{SERVER}/postgres")

    assert result.outcome == Outcome.OK, result.message
    assert result.message == "SELECT 1 on 127.0.0.1:5432 (postgres)"
    assert result.response_ms is not None and 0 <= result.response_ms < 5000


def test_postgresql_scheme_and_a_host_name_work_too():
    result = check("postgresql://postgres@localhost:5432/postgres?sslmode=disable")

    assert result.outcome == Outcome.OK, result.message


def test_an_unknown_role_is_auth_failed_with_the_servers_message_and_no_password():
    result = check(f"postgres://no_such_role:s3cret-pw@{SERVER}/postgres")

    assert result.outcome == Outcome.AUTH_FAILED
    assert result.message == '127.0.0.1:5432: role "no_such_role" does not exist'
    assert "s3cret-pw" not in result.message


def test_an_unknown_database_is_auth_failed():
    result = check(f"postgres://postgres@{SERVER}/no_such_database")

    assert result.outcome == Outcome.AUTH_FAILED
    assert 'database "no_such_database" does not exist' in result.message


def test_a_stopped_port_is_connection_refused():
    port = free_port()

    result = check(f"postgres://postgres@127.0.0.1:{port}/postgres")

    assert result.outcome == Outcome.CONNECTION_REFUSED
    assert result.message == f"connection refused by 127.0.0.1:{port}"


def test_sslmode_require_against_a_server_without_tls_is_a_tls_error():
    result = check(f"postgres://postgres:pw@{SERVER}/postgres?sslmode=require")

    assert result.outcome == Outcome.TLS_ERROR
    assert "server does not support SSL" in result.message


def test_a_server_that_never_answers_times_out_within_the_deadline():
    server = SilentServer().start()
    try:
        result, seconds = timed(
            lambda: check(f"postgres://postgres@127.0.0.1:{server.port}/x", timeout=2)
        )
    finally:
        server.stop()

    assert result.outcome == Outcome.TIMEOUT
    assert seconds < 2 + DEADLINE_SLACK_SECONDS


def test_the_guard_applies_to_the_resolved_address():
    result = check("postgres://postgres:pw@localhost:5432/postgres", allow_private=False)

    assert result.outcome == Outcome.BLOCKED_ADDRESS
    assert result.message.startswith("localhost: 127.0.0.1 is not a public address")


def test_an_allowed_address_passes_while_another_stays_blocked():
    allowed = PostgresCheck(allow_private=False, allowed_addresses=frozenset({"127.0.0.1"}))
    spec = CheckSpec(url=f"postgres://postgres@{SERVER}/postgres", kind="postgres")

    assert allowed.run(spec).outcome == Outcome.OK
    other = CheckSpec(url="postgres://postgres@127.0.0.2:5432/postgres", kind="postgres")
    assert allowed.run(other).outcome == Outcome.BLOCKED_ADDRESS


def test_the_registry_runs_postgres_with_the_projects_guard_setting(settings):
    settings.UPTIME_ALLOW_PRIVATE_TARGETS = False

    result = executor_for("postgres").run(
        CheckSpec(url=f"postgres://postgres@{SERVER}/postgres", kind="postgres")
    )

    assert result.outcome == Outcome.BLOCKED_ADDRESS


@pytest.mark.parametrize("url", [
    "postgres://postgres@127.0.0.1:5432/postgres",
    "postgresql://user:p%40ss@db.example.com/app?sslmode=verify-full",
    "postgres://user@db.example.com",
])
def test_valid_urls(url):
    validate_target("postgres", url)


@pytest.mark.parametrize(("url", "message"), [
    ("https://db.example.com/app", "A postgres check takes a URL like postgres://"),
    ("postgres:///app", "The URL has no host"),
    ("postgres://db.example.com/app", "The URL has no user"),
    ("postgres://u@db.example.com:99999/app", "Not a valid PostgreSQL URL"),
    ("postgres://u@db.example.com/app/x", "database name and holds nothing else"),
    ("postgres://u@db.example.com/app?sslmode=maybe", "sslmode must be one of disable"),
    ("postgres://u@db.example.com/app?sslcert=/etc/x", "Only sslmode is accepted"),
])
def test_invalid_urls_say_why(url, message):
    with pytest.raises(ValidationError) as raised:
        validate_postgres_url(url)

    assert message in raised.value.messages[0]
