"""The dashboard's search box and state filter (?q=, ?status=)."""

from django import forms

from monitors.models import Monitor


class DashboardSearchForm(forms.Form):
    # Long enough for any URL a person would paste; CharField also refuses NUL characters,
    # which PostgreSQL cannot compare (a 500 otherwise).
    q = forms.CharField(required=False, max_length=200, strip=True, label="Search")
    # A state that is not one (an old link, a typo) shows every monitor rather than an error.
    status = forms.CharField(required=False)

    def clean_status(self) -> str:
        status = self.cleaned_data["status"]
        return status if status in Monitor.Status.values else ""
