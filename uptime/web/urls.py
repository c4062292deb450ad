"""The web frontend, mounted at / (config/urls.py)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "web"
urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("monitors/new/", views.MonitorCreateView.as_view(), name="monitor-new"),
    path("monitors/<int:pk>/", views.MonitorDetailView.as_view(), name="monitor"),
    path("monitors/<int:pk>/edit/", views.MonitorUpdateView.as_view(), name="monitor-edit"),
    path("monitors/<int:pk>/delete/", views.MonitorDeleteView.as_view(), name="monitor-delete"),
    path("monitors/<int:pk>/pause/", views.PauseMonitorView.as_view(), name="monitor-pause"),
    path("monitors/<int:pk>/resume/", views.ResumeMonitorView.as_view(), name="monitor-resume"),
    path("monitors/<int:pk>/check/", views.CheckNowView.as_view(), name="monitor-check"),
    path("incidents/", views.IncidentListView.as_view(), name="incidents"),
    path(
        "incidents/<int:pk>/acknowledge/",
        views.AcknowledgeIncidentView.as_view(),
        name="incident-acknowledge",
    ),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            template_name="web/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
