import pytest
from django.db.models.signals import post_save

from monitors.models import Monitor
from monitors.signals import check_at_once


@pytest.fixture
def without_first_checks():
    """For tests that send every check themselves, or count what beat sends: a monitor they
    create gets no check at once (monitors/signals.py), which would be one message more."""
    post_save.disconnect(check_at_once, sender=Monitor, dispatch_uid="monitors.check_at_once")
    yield
    post_save.connect(check_at_once, sender=Monitor, dispatch_uid="monitors.check_at_once")
