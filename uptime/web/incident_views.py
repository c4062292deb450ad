"""An incident's own page: its timeline, the updates posted on it and the form to post one.
An update is a note for the people affected, shown on every status page that lists the
incident's monitor (incidents.models.IncidentUpdate); it changes nothing else."""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import DetailView

from incidents.models import Incident, IncidentUpdate
from monitors.status_pages import StatusPage

from .views import visible_incidents


class IncidentUpdateForm(forms.ModelForm):
    class Meta:
        model = IncidentUpdate
        fields = ["status", "message"]
        widgets = {
            "status": forms.RadioSelect,
            "message": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "message": "What people should know: it is public on the status pages that show "
            "this monitor.",
        }


class IncidentDetailView(LoginRequiredMixin, DetailView):
    template_name = "web/incident_detail.html"
    context_object_name = "incident"
    extra_context = {"nav": "incidents"}

    def get_queryset(self) -> QuerySet:
        return visible_incidents(self.request.user).prefetch_related("events", "updates__author")

    def get_context_data(self, **kwargs) -> dict:
        incident = self.object
        return super().get_context_data(
            form=kwargs.pop("form", None) or IncidentUpdateForm(),
            back_url=reverse("web:incident", args=[incident.pk]),
            updates=sorted(incident.updates.all(), key=lambda u: (u.posted_at, u.pk),
                           reverse=True),
            status_pages=StatusPage.objects.filter(
                entries__monitor_id=incident.monitor_id).distinct(),
            **kwargs,
        )

    def post(self, request, pk: int):
        self.object = get_object_or_404(self.get_queryset(), pk=pk)
        form = IncidentUpdateForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        incident: Incident = self.object
        incident.post_update(status=form.cleaned_data["status"],
                             message=form.cleaned_data["message"], author=request.user)
        messages.success(request, "Update posted.")
        return redirect("web:incident", pk=incident.pk)
