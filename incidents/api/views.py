from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from uptime.api.scoping import OwnedObjectsMixin

from ..models import Incident
from .serializers import (
    IncidentDetailSerializer,
    IncidentFilterSerializer,
    IncidentSerializer,
    IncidentUpdateSerializer,
)


@extend_schema(tags=["incidents"])
class IncidentViewSet(OwnedObjectsMixin, viewsets.ReadOnlyModelViewSet):
    """Incidents of your monitors, newest first. They open and resolve by themselves."""

    queryset = Incident.objects.select_related("monitor", "acknowledged_by")
    owner_field = "monitor__owner"

    def get_serializer_class(self):
        return IncidentSerializer if self.action == "list" else IncidentDetailSerializer

    def get_queryset(self):
        incidents = super().get_queryset()
        if self.action not in ("list", "updates"):
            incidents = incidents.prefetch_related("events", "updates__author",
                                                   "deliveries__channel")
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

    @extend_schema(
        methods=["GET"],
        responses=IncidentUpdateSerializer(many=True),
        summary="The updates posted on an incident, oldest first",
    )
    @extend_schema(
        methods=["POST"],
        request=IncidentUpdateSerializer,
        responses={201: IncidentUpdateSerializer},
        summary="Post an update (a note for status pages; it does not resolve the incident)",
    )
    @action(detail=True, methods=["get", "post"])
    def updates(self, request, pk=None):
        incident = self.get_object()
        if request.method == "POST":
            serializer = IncidentUpdateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            update = incident.post_update(author=request.user, **serializer.validated_data)
            return Response(IncidentUpdateSerializer(update).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(incident.updates.select_related("author"))
        return self.get_paginated_response(IncidentUpdateSerializer(page, many=True).data)
