from django.core.exceptions import ImproperlyConfigured
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle


class ScopedThrottle(ScopedRateThrottle):
    """DRF's scoped throttle (per user, or per address before login), with the rate read from
    REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] on each request.

    DRF copies the rates into its throttle class when it is first imported, so a later change of
    the setting (an environment-specific settings module, a test) would silently not apply.
    History lives in the default cache (Redis), shared by every web process.
    """

    def get_rate(self) -> str | None:
        rates = api_settings.DEFAULT_THROTTLE_RATES
        if self.scope not in rates:
            raise ImproperlyConfigured(f"No throttle rate set for scope {self.scope!r}.")
        return rates[self.scope]
