"""UPTIME_TLS_CA_FILE: the CA bundle TLS checks trust, for a team whose services carry
certificates of its own CA. The executors the pipeline builds (kinds.executor_for) take it."""

import subprocess
import sys
from pathlib import Path

import pytest

from monitors.kinds import executor_for
from monitors.outcomes import CheckSpec, Outcome
from tests.support.switchable import TlsService


@pytest.fixture
def ca_file(tls_ca, tmp_path):
    path = tmp_path / "our-ca.pem"
    tls_ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def own_ca_service(tls_ca):
    service = TlsService(tls_ca.issue_cert("127.0.0.1")).bring_up()
    yield service
    service.take_down()


def check(kind: str, url: str):
    return executor_for(kind).run(CheckSpec(url=url, kind=kind, timeout_seconds=3))


def test_without_it_a_certificate_of_our_own_ca_is_from_an_unknown_authority(
    own_ca_service, tls_target
):
    assert check("tls", f"https://127.0.0.1:{own_ca_service.port}").outcome == \
        Outcome.TLS_UNKNOWN_CA
    assert check("http", tls_target.url("/health")).outcome == Outcome.TLS_ERROR


def test_with_it_tls_and_https_checks_trust_our_ca(settings, ca_file, own_ca_service,
                                                   tls_target):
    settings.UPTIME_TLS_CA_FILE = ca_file

    tls = check("tls", f"https://127.0.0.1:{own_ca_service.port}")
    https = check("http", tls_target.url("/health"))

    assert tls.outcome == Outcome.OK and tls.certificate is not None
    assert https.outcome == Outcome.OK and https.status_code == 200


def test_a_missing_file_stops_start_up_with_the_settings_name(tmp_path):
    missing = tmp_path / "nope.pem"
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={"DJANGO_SETTINGS_MODULE": "config.settings.local", "UPTIME_TLS_CA_FILE": str(missing),
             "PATH": "/usr/bin:/bin", "UPTIME_VAR_DIR": str(tmp_path)},
        capture_output=True, text=True, cwd=Path(__file__).parents[2],
    )
    assert result.returncode != 0
    assert f"UPTIME_TLS_CA_FILE: no file at '{missing}'" in result.stderr
