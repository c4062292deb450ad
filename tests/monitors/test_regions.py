"""The regions checks workers serve (monitors/regions.py): announced in Redis, listed by the
API, and a real worker started for a region shows up while it runs."""

import subprocess
import sys
import time

import pytest

from monitors.regions import (
    FRESH_SECONDS,
    KEY,
    announce,
    region_of_queue,
    served_regions,
    withdraw,
)
from tests.support.webserver import ROOT, child_env


@pytest.fixture
def client(redis_server):
    redis_server.delete(KEY)
    yield redis_server
    redis_server.delete(KEY)


def test_a_region_is_served_while_a_worker_announced_it_recently(client):
    now = time.time()
    announce(client, "in", "checks-in-1@host", now=now - 10)
    announce(client, "in", "checks-in-2@host", now=now - 5)
    announce(client, "us", "checks-us@host", now=now - FRESH_SECONDS - 1)  # gone quiet

    served = served_regions(client, now=now)

    assert [(region.name, region.workers) for region in served] == [
        ("in", ("checks-in-1@host", "checks-in-2@host"))]
    assert abs(served[0].last_seen.timestamp() - (now - 5)) < 0.01


def test_a_worker_that_shuts_down_withdraws_at_once(client):
    announce(client, "in", "checks-in@host")
    withdraw(client, "in", "checks-in@host")

    assert served_regions(client) == []


def test_which_queues_serve_which_region(settings):
    settings.UPTIME_REGION = "eu"

    assert region_of_queue("checks") == "eu"
    assert region_of_queue("checks.in") == "in"
    assert region_of_queue("notifications") is None


@pytest.mark.django_db
def test_the_api_lists_the_served_regions(client, alice):
    from rest_framework.test import APIClient

    announce(client, "in", "checks-in@host")
    api = APIClient()
    api.force_authenticate(alice)

    response = api.get("/api/v1/regions/")

    assert response.status_code == 200
    assert [(r["name"], r["workers"]) for r in response.json()] == [("in", ["checks-in@host"])]
    assert APIClient().get("/api/v1/regions/").status_code == 401


@pytest.mark.e2e
def test_a_worker_started_for_a_region_announces_it_until_it_stops(client, tmp_path):
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "checks.in",
         "-n", "checks-in@%h", "-P", "threads", "--concurrency", "2", "--without-gossip",
         "--without-mingle", "--loglevel", "INFO"],
        cwd=ROOT, env=child_env(UPTIME_REGION="in"), stdout=open(tmp_path / "w.log", "w"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while [r.name for r in served_regions(client)] != ["in"]:
            assert time.monotonic() < deadline, (tmp_path / "w.log").read_text()[-3000:]
            time.sleep(0.25)
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    assert served_regions(client) == []  # withdrawn as it shut down, not 45 s later
