from django.db import transaction
from django.db.models import OuterRef, Subquery
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from kombu.exceptions import OperationalError as BrokerError
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from uptime.api.pagination import CursorPagination
from uptime.api.schema import THROTTLED, MessageSerializer, error_response
from uptime.api.scoping import OwnedObjectsMixin
from uptime.api.throttles import ScopedThrottle

from .. import regions, stats, tasks
from ..models import MaintenanceWindow, Monitor, MonitoringGap
from .serializers import (
    CheckFilterSerializer,
    CheckResultSerializer,
    MaintenanceWindowSerializer,
    MonitorFilterSerializer,
    MonitorSerializer,
    PingSerializer,
    UptimeFilterSerializer,
    UptimeReportSerializer,
)


class PingPagination(CursorPagination):
    ordering = ("-received_at", "-id")


# Actions that write the monitor row: they lock it first (see get_queryset).
WRITES = {"update", "partial_update", "pause", "resume"}


@extend_schema_view(
    list=extend_schema(summary="List your monitors", parameters=[MonitorFilterSerializer]),
    create=extend_schema(summary="Add a monitor (it starts checking at once)"),
    destroy=extend_schema(summary="Delete a monitor, its schedule and its history"),
)
@extend_schema(tags=["monitors"])
class MonitorViewSet(OwnedObjectsMixin, viewsets.ModelViewSet):
    """URLs checked on a schedule. Creating, editing, pausing and deleting one takes effect on
    the schedule at once."""

    queryset = Monitor.objects.all()
    serializer_class = MonitorSerializer
    # Only the actions that name a scope are throttled (ScopedThrottle).
    throttle_scope = None

    def get_queryset(self):
        monitors = super().get_queryset()
        if self.action in WRITES:
            # Monitor.save() writes every column, the check state too. Holding the row lock
            # (which the check task also takes to record a result) from read to save keeps an
            # edit from writing back a state that a check changed in between.
            return monitors.select_for_update()
        open_gap = MonitoringGap.objects.filter(monitor=OuterRef("pk"), ended_at__isnull=True)
        return monitors.prefetch_related("channels", "region_states").annotate(
            open_gap_since=Subquery(open_gap.values("started_at")[:1]))

    def filter_queryset(self, queryset):
        if self.action == "list":
            filters = MonitorFilterSerializer(data=self.request.query_params)
            filters.is_valid(raise_exception=True)
            queryset = filters.apply(queryset)
        return super().filter_queryset(queryset)

    def update(self, request, *args, **kwargs):
        with transaction.atomic():
            return super().update(request, *args, **kwargs)

    @extend_schema(request=None, responses=MonitorSerializer, summary="Pause checking")
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        with transaction.atomic():
            monitor = self.get_object()
            monitor.pause()
        return Response(self.get_serializer(monitor).data)

    @extend_schema(request=None, responses=MonitorSerializer, summary="Resume checking")
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        with transaction.atomic():
            monitor = self.get_object()
            monitor.resume()
        return Response(self.get_serializer(monitor).data)

    @extend_schema(
        request=None, responses=MonitorSerializer,
        summary="Replace the badge links (the old ones stop working)",
        description="Gives the monitor a new badge key: every badge URL changes (`badge_url` "
        "in the answer) and the old ones answer 404. For a badge link that was shared wider "
        "than meant.",
    )
    @action(detail=True, methods=["post"], url_path="badge-key")
    def badge_key(self, request, pk=None):
        monitor = self.get_object()
        monitor.replace_badge_key()
        return Response(self.get_serializer(monitor).data)

    @extend_schema(
        request=None,
        responses={
            202: OpenApiResponse(MessageSerializer, description="The check is queued."),
            409: error_response("The monitor is paused."),
            429: THROTTLED,
            503: error_response("The queue could not be reached; try again."),
        },
        summary="Check once, now",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="check-now",
        throttle_classes=[ScopedThrottle],
        throttle_scope="check-now",
    )
    def check_now(self, request, pk=None):
        monitor = self.get_object()
        if monitor.is_paused:
            return Response(
                {"detail": "The monitor is paused: resume it to check it."},
                status=status.HTTP_409_CONFLICT,
            )
        try:
            tasks.check_now(monitor)
        except BrokerError:
            return Response(
                {"detail": "The check could not be queued; try again shortly."},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        return Response({"detail": "A check is queued."}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        parameters=[CheckFilterSerializer],
        responses=CheckResultSerializer(many=True),
        summary="The monitor's check results, newest first",
    )
    @action(detail=True, methods=["get"], pagination_class=CursorPagination)
    def checks(self, request, pk=None):
        monitor = self.get_object()
        filters = CheckFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(filters.apply(monitor.checks.all()))
        return self.get_paginated_response(CheckResultSerializer(page, many=True).data)

    @extend_schema(
        responses=PingSerializer(many=True),
        summary="A heartbeat's pings, newest first (the last 100 are kept)",
    )
    @action(detail=True, methods=["get"], pagination_class=PingPagination)
    def pings(self, request, pk=None):
        monitor = self.get_object()
        page = self.paginate_queryset(monitor.pings.all())
        return self.get_paginated_response(PingSerializer(page, many=True).data)

    @extend_schema(
        parameters=[UptimeFilterSerializer],
        responses=UptimeReportSerializer,
        summary="Uptime and response times over 24 hours, 7, 30, 90 and 365 days",
    )
    @action(detail=True, methods=["get"])
    def uptime(self, request, pk=None):
        monitor = self.get_object()
        filters = UptimeFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        region = filters.validated_data.get("region")
        report = {"monitor": monitor.pk, "region": region,
                  **stats.uptime_report(monitor, region=region)}
        return Response(UptimeReportSerializer(report).data)


@extend_schema_view(
    list=extend_schema(
        summary="List maintenance windows",
        parameters=[
            OpenApiParameter("monitor", int, description="Only this monitor's windows.")
        ],
    ),
    create=extend_schema(summary="Plan a maintenance window (one-off or weekly)"),
)
@extend_schema(tags=["maintenance windows"])
class MaintenanceWindowViewSet(OwnedObjectsMixin, viewsets.ModelViewSet):
    """While a window is in effect checks go on and are kept, but incident notifications wait
    until it ends, and go out then only if the outage is still going."""

    queryset = MaintenanceWindow.objects.select_related("monitor")
    serializer_class = MaintenanceWindowSerializer
    owner_field = "monitor__owner"

    def get_queryset(self):
        windows = super().get_queryset()
        if self.action == "list" and "monitor" in self.request.query_params:
            monitor = self.request.query_params["monitor"]
            if not (monitor.isascii() and monitor.isdigit()) or len(monitor) > 18:
                raise ValidationError({"monitor": ["A monitor id (a whole number)."]})
            windows = windows.filter(monitor_id=int(monitor))
        return windows


class RegionSerializer(serializers.Serializer):
    name = serializers.CharField(
        help_text="A region, as in a monitor's region (queue checks.<name>; the default "
        "queue serves the workers' UPTIME_REGION)."
    )
    workers = serializers.ListField(child=serializers.CharField(),
                                    help_text="The checks workers serving it.")
    last_seen = serializers.DateTimeField(help_text="Its newest worker announcement.")


@extend_schema(tags=["monitors"], summary="Regions that checks workers serve now",
               responses=RegionSerializer(many=True))
class RegionListView(APIView):
    """Each checks worker announces its region every 15 s; a region is listed while one of its
    workers was heard from in the last 45 s. A monitor may name another region: its checks then
    wait in its queue until a worker for it starts."""

    def get(self, request):
        served = regions.served_regions()
        return Response(RegionSerializer(served, many=True).data)
