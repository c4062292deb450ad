import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from uptime.budgets import CheckBudget


@pytest.mark.parametrize("timeout", [1, 10, 30, settings.UPTIME_MAX_TIMEOUT_SECONDS])
def test_time_budgets_nest_strictly(timeout):
    budget = settings.UPTIME_CHECK_BUDGET
    limits = budget.limits_for(timeout)
    assert (
        limits.request_deadline
        < limits.soft_time_limit
        < limits.hard_time_limit
        < limits.claim_lease
        < settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    )


def test_a_visibility_timeout_shorter_than_the_lease_is_refused():
    with pytest.raises(ImproperlyConfigured):
        CheckBudget(max_timeout_seconds=600, broker_visibility_timeout=300)


def test_workers_prefetch_one_message_at_a_time():
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    assert settings.CELERY_TASK_ACKS_LATE
