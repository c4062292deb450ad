"""The services a machine of this project's kind runs (PostgreSQL on 127.0.0.1:5432, trust
auth for user postgres). Tests that connect to them skip, saying why, on a machine without
them: `make test` must pass on a fresh clone where only Python is installed."""

import functools

import psycopg
import pytest

MACHINE_POSTGRES_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


@functools.cache
def machine_postgres_reachable() -> bool:
    try:
        psycopg.connect(MACHINE_POSTGRES_DSN, connect_timeout=2).close()
    except psycopg.Error:
        return False
    return True


needs_machine_postgres = pytest.mark.skipif(
    "not __import__('tests.support.machine', fromlist=['x']).machine_postgres_reachable()",
    reason="needs the PostgreSQL server on 127.0.0.1:5432 (user postgres, trust auth)",
)
