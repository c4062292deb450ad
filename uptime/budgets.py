"""How long each layer of a check may take, so that the layers nest strictly.

    request deadline < soft time limit < hard time limit < claim lease < broker visibility timeout

The probe stops at its deadline: a watchdog shuts down its sockets when the deadline passes
(a server trickling its headers included) and a DNS lookup is waited for at most the connect
timeout (monitors/probe.py, monitors/netguard.py). Under the prefork pool the soft limit catches
anything else and the hard limit kills the worker child if even that fails; the threads pool the
checks worker runs by default enforces neither, so there the probe's own bounds are what end a
check. The claim lease outlives the hard limit so a second delivery cannot start while the first
may still be running; and the broker only redelivers an unacknowledged message after every one
of those has expired.
"""

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

# Room for a DNS lookup and a TLS handshake that the request timeouts do not cover.
SOFT_MARGIN_SECONDS = 10
HARD_MARGIN_SECONDS = 10
LEASE_MARGIN_SECONDS = 30


@dataclass(frozen=True)
class CheckLimits:
    request_deadline: int
    soft_time_limit: int
    hard_time_limit: int
    claim_lease: int


@dataclass(frozen=True)
class CheckBudget:
    max_timeout_seconds: int
    broker_visibility_timeout: int

    def __post_init__(self) -> None:
        longest = self.limits_for(self.max_timeout_seconds)
        if longest.claim_lease >= self.broker_visibility_timeout:
            raise ImproperlyConfigured(
                f"The claim lease for the longest timeout ({longest.claim_lease}s) must be "
                f"shorter than the broker visibility timeout ({self.broker_visibility_timeout}s)."
            )

    @property
    def lease_beyond_timeout(self) -> int:
        """How much longer than its timeout a check's claim lease lasts, the same for every
        timeout: the claim computes the lease in SQL as timeout_seconds plus this."""
        return self.limits_for(0).claim_lease

    def limits_for(self, timeout_seconds: int) -> CheckLimits:
        soft = timeout_seconds + SOFT_MARGIN_SECONDS
        hard = soft + HARD_MARGIN_SECONDS
        return CheckLimits(
            request_deadline=timeout_seconds,
            soft_time_limit=soft,
            hard_time_limit=hard,
            claim_lease=hard + LEASE_MARGIN_SECONDS,
        )
