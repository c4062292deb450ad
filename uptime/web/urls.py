"""The web frontend, mounted at / (config/urls.py)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import channel_views, maintenance_views, views

app_name = "web"
urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    # Fragments: parts of the pages above, rendered alone for live.js to refetch.
    path("fragments/monitors/", views.MonitorListFragmentView.as_view(),
         name="monitor-list-fragment"),
    path("monitors/<int:pk>/fragments/stats/", views.MonitorStatsFragmentView.as_view(),
         name="monitor-stats-fragment"),
    path("monitors/<int:pk>/fragments/incidents/", views.MonitorIncidentsFragmentView.as_view(),
         name="monitor-incidents-fragment"),
    path("monitors/<int:pk>/fragments/chart/", views.MonitorChartFragmentView.as_view(),
         name="monitor-chart-fragment"),
    path("incidents/fragment/", views.IncidentListFragmentView.as_view(),
         name="incident-list-fragment"),
    path("monitors/new/", views.MonitorCreateView.as_view(), name="monitor-new"),
    path("monitors/<int:pk>/", views.MonitorDetailView.as_view(), name="monitor"),
    path("monitors/<int:pk>/edit/", views.MonitorUpdateView.as_view(), name="monitor-edit"),
    path("monitors/<int:pk>/delete/", views.MonitorDeleteView.as_view(), name="monitor-delete"),
    path("monitors/<int:pk>/pause/", views.PauseMonitorView.as_view(), name="monitor-pause"),
    path("monitors/<int:pk>/resume/", views.ResumeMonitorView.as_view(), name="monitor-resume"),
    path("monitors/<int:pk>/check/", views.CheckNowView.as_view(), name="monitor-check"),
    path(
        "monitors/<int:pk>/maintenance/new/",
        maintenance_views.MaintenanceWindowCreateView.as_view(),
        name="maintenance-new",
    ),
    path(
        "monitors/<int:pk>/maintenance/<int:window_pk>/end/",
        maintenance_views.EndMaintenanceView.as_view(),
        name="maintenance-end",
    ),
    path(
        "monitors/<int:pk>/maintenance/<int:window_pk>/delete/",
        maintenance_views.DeleteMaintenanceView.as_view(),
        name="maintenance-delete",
    ),
    path("channels/", channel_views.ChannelListView.as_view(), name="channels"),
    path("channels/new/", channel_views.ChooseKindView.as_view(), name="channel-new"),
    path(
        "channels/new/<slug:kind>/",
        channel_views.ChannelCreateView.as_view(),
        name="channel-new-kind",
    ),
    path("channels/<int:pk>/edit/", channel_views.ChannelUpdateView.as_view(), name="channel-edit"),
    path(
        "channels/<int:pk>/delete/",
        channel_views.ChannelDeleteView.as_view(),
        name="channel-delete",
    ),
    path(
        "channels/<int:pk>/enable/",
        channel_views.EnableChannelView.as_view(),
        name="channel-enable",
    ),
    path(
        "channels/<int:pk>/disable/",
        channel_views.DisableChannelView.as_view(),
        name="channel-disable",
    ),
    path("channels/<int:pk>/test/", channel_views.SendTestView.as_view(), name="channel-test"),
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
