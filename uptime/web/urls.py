"""The web frontend, mounted at / (config/urls.py)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from uptime.accounts.web import views as account_views

from . import (
    channel_views,
    incident_views,
    maintenance_views,
    public_views,
    status_page_views,
    views,
)

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
    path("monitors/<int:pk>/badge-key/", views.NewBadgeKeyView.as_view(),
         name="monitor-badge-key"),
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
    path("incidents/<int:pk>/", incident_views.IncidentDetailView.as_view(), name="incident"),
    path(
        "incidents/<int:pk>/acknowledge/",
        views.AcknowledgeIncidentView.as_view(),
        name="incident-acknowledge",
    ),
    path("status-pages/", status_page_views.StatusPageListView.as_view(), name="status-pages"),
    path("status-pages/new/", status_page_views.StatusPageCreateView.as_view(),
         name="status-page-new"),
    path("status-pages/<int:pk>/edit/", status_page_views.StatusPageUpdateView.as_view(),
         name="status-page-edit"),
    path("status-pages/<int:pk>/delete/", status_page_views.StatusPageDeleteView.as_view(),
         name="status-page-delete"),
    # Public, no login: the pages themselves (and at the root of their own domains, served by
    # uptime/custom_domains.py before these URLs are looked at).
    path("status/<slug:slug>/", public_views.status_page, name="status-page"),
    path("status/<slug:slug>/fragment/", public_views.status_page_fragment,
         name="status-page-fragment"),
    path("status/<slug:slug>/badge.svg", public_views.status_page_badge,
         name="status-page-badge"),
    path("accounts/login/", account_views.GuardedLoginView.as_view(), name="login"),
    path("accounts/login/code/", account_views.LoginCodeView.as_view(), name="login-code"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", account_views.AccountView.as_view(), name="account"),
    path("accounts/password/", account_views.PasswordChangeView.as_view(),
         name="password-change"),
    path("accounts/password/reset/", account_views.PasswordResetRequestView.as_view(),
         name="password-reset"),
    path("accounts/password/reset/<str:uid>/<str:token>/",
         account_views.PasswordResetConfirmView.as_view(), name="password-reset-confirm"),
    path("accounts/devices/<int:pk>/revoke/", account_views.RevokeDeviceView.as_view(),
         name="device-revoke"),
    path("accounts/browsers/<int:pk>/revoke/", account_views.RevokeBrowserView.as_view(),
         name="browser-revoke"),
    path("accounts/two-factor/", account_views.TwoFactorView.as_view(), name="two-factor"),
    path("accounts/delete/", account_views.DeleteAccountView.as_view(), name="account-delete"),
]
