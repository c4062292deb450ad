"""Status pages in the web frontend: list, add, edit, delete. The pages themselves are public
(uptime/web/public_views.py).

Every query starts from own_status_pages(): a person manages their own pages here, staff
included (the admin shows everyone's), so another user's page is simply not found (404).
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count, QuerySet
from django.urls import reverse_lazy
from django.views.generic import CreateView, DeleteView, ListView, UpdateView

from monitors.status_pages import StatusPage

from .status_page_forms import StatusPageForm


def own_status_pages(user) -> QuerySet:
    return StatusPage.objects.filter(owner=user)


class StatusPageListView(LoginRequiredMixin, ListView):
    template_name = "web/status_page_list.html"
    context_object_name = "pages"
    extra_context = {"nav": "status-pages"}

    def get_queryset(self) -> QuerySet:
        return own_status_pages(self.request.user).annotate(monitor_count=Count("entries"))


class StatusPageFormMixin(LoginRequiredMixin):
    model = StatusPage
    form_class = StatusPageForm
    template_name = "web/status_page_form.html"
    extra_context = {"nav": "status-pages"}
    success_url = reverse_lazy("web:status-pages")

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "owner": self.request.user}

    def form_valid(self, form):
        response = super().form_valid(form)
        page = self.object
        messages.success(self.request, f"Saved {page.title}: it is public at {page.public_url}")
        if page.custom_domain:
            messages.success(
                self.request,
                f"To serve it at https://{page.custom_domain}/, point that name's DNS at this "
                "server (a CNAME) and have the server's operator route it here with TLS.")
        return response


class StatusPageCreateView(StatusPageFormMixin, CreateView):
    pass


class StatusPageUpdateView(StatusPageFormMixin, UpdateView):
    def get_queryset(self) -> QuerySet:
        return own_status_pages(self.request.user)


class StatusPageDeleteView(LoginRequiredMixin, DeleteView):
    template_name = "web/status_page_confirm_delete.html"
    context_object_name = "page"
    extra_context = {"nav": "status-pages"}
    success_url = reverse_lazy("web:status-pages")

    def get_queryset(self) -> QuerySet:
        return own_status_pages(self.request.user)

    def form_valid(self, form):
        messages.success(self.request, f"Deleted {self.object.title}: its address is free.")
        return super().form_valid(form)
