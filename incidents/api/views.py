from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from uptime.api.scoping import OwnedObjectsMixin

from ..models import Incident
from .serializers import IncidentDetailSerializer, IncidentFilterSerializer, IncidentSerializer


@extend_schema(tags=["incidents"])
class IncidentViewSet(OwnedObjectsMixin, viewsets.ReadOnlyModelViewSet):
    """Incidents of your monitors, newest first. They open and resolve by themselves."""

    queryset = Incident.objects.select_related("monitor", "acknowledged_by")
    owner_field = "monitor__owner"

    def get_serializer_class(self):
        return IncidentSerializer if self.action == "list" else IncidentDetailSerializer

    def get_queryset(self):
        incidents = super().get_queryset()
        if self.action != "list":
            incidents = incidents.prefetch_related("events", "deliveries__channel")
        return incidents

    @extend_schema(parameters=[IncidentFilterSerializer], summary="List incidents")
    def list(self, request, *args, **kwargs):
        filters = IncidentFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(filters.apply(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary="An incident with its timeline")
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request=None,
        responses=IncidentDetailSerializer,
        summary="Acknowledge (someone is on it); only the first acknowledgement counts",
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        self.get_object().acknowledge(request.user)
        return Response(self.get_serializer(self.get_object()).data)
