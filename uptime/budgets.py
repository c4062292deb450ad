"""How long each layer of a check may take, so that the layers nest strictly.

    request deadline < soft time limit < hard time limit < claim lease < broker visibility timeout

The probe stops at its deadline; the soft limit catches what the probe cannot bound (a DNS
lookup that hangs); the hard limit kills the worker child if even that fails; the claim lease
outlives the hard limit so a second delivery cannot start while the first may still be running;
and the broker only redelivers an unacknowledged message after every one of those has expired.
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

    def limits_for(self, timeout_seconds: int) -> CheckLimits:
        soft = timeout_seconds + SOFT_MARGIN_SECONDS
        hard = soft + HARD_MARGIN_SECONDS
        return CheckLimits(
            request_deadline=timeout_seconds,
            soft_time_limit=soft,
            hard_time_limit=hard,
            claim_lease=hard + LEASE_MARGIN_SECONDS,
        )
