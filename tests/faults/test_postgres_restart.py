"""Case 4: PostgreSQL goes away and comes back while checks run. Every process reaches the
database through a relay the test cuts (all connections dropped, new ones refused) and
restores: what a restart looks like from the clients, without stopping the machine's server
for everything else on it."""

import time

import pytest
from django.db import connection

from incidents.models import Incident
from monitors.models import CheckResult, MonitoringGap
from tests.factories import MonitorFactory
from tests.support.pipeline import Pipeline
from tests.support.switchable import TcpRelay

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

RECOVERY_LIMIT = 30
OUTAGE_SECONDS = 8


class DatabaseRelay(TcpRelay):
    """A relay whose connections may idle: pooled database connections sit quiet between
    checks, which TcpRelay's 5 s socket timeout would cut."""

    def _track(self, sock) -> None:
        sock.settimeout(None)
        super()._track(sock)


@pytest.mark.skipif("connection.vendor != 'postgresql'",
                    reason="a PostgreSQL restart needs PostgreSQL (DATABASE_URL)")
def test_a_database_restart_during_checks(tmp_path, settings, target, fault_report):
    settings.UPTIME_MIN_INTERVAL_SECONDS = 1
    db = connection.settings_dict
    relay = DatabaseRelay(int(db["PORT"] or 5432)).bring_up()
    monitors = [MonitorFactory(url=target.url(f"/m{i}"), interval_seconds=1, timeout_seconds=1,
                               failure_threshold=2) for i in range(5)]
    url = f"postgres://{db['USER']}@127.0.0.1:{relay.port}/{db['NAME']}"

    def results():
        return CheckResult.objects.filter(monitor__in=monitors)

    try:
        with Pipeline(tmp_path, UPTIME_MIN_INTERVAL_SECONDS="1", DATABASE_URL=url) as pipeline:
            pipeline.wait_for(lambda: results().count() >= 15, timeout=60,
                              what="three checks per monitor")
            relay.take_down()
            time.sleep(OUTAGE_SECONDS)
            relay.bring_up()
            back_at = time.monotonic()
            counted = {m.pk: results().filter(monitor=m).count() for m in monitors}
            pipeline.wait_for(
                lambda: all(results().filter(monitor=m).count() > counted[m.pk]
                            for m in monitors),
                timeout=RECOVERY_LIMIT + 30, what="a check of every monitor after the restart")
            recovered_in = time.monotonic() - back_at
            time.sleep(3)
            logs = pipeline.logs()
    finally:
        relay.take_down()

    failed = results().exclude(outcome="ok").count()
    gaps = MonitoringGap.objects.filter(monitor__in=monitors)
    fault_report(
        f"4 PostgreSQL away {OUTAGE_SECONDS} s during checks",
        f"checked again < {RECOVERY_LIMIT} s; no false failure or incident; gaps flagged",
        f"back in {recovered_in:.1f} s; {failed} failed results, "
        f"{Incident.objects.count()} incidents, {gaps.count()} gaps (closed)",
    )
    assert recovered_in < RECOVERY_LIMIT, logs
    # The targets never went down: nothing may say they did.
    assert failed == 0
    assert not Incident.objects.exists()
    # 8 s without checks is more than a 1 s monitor's allowance (2 intervals + its timeout):
    # each monitor's first check afterwards recorded the gap, closed.
    assert sorted(gaps.values_list("monitor_id", flat=True)) == sorted(m.pk for m in monitors)
    assert not gaps.filter(ended_at__isnull=True).exists()
