from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from uptime.api.schema import THROTTLED
from uptime.api.scoping import OwnedObjectsMixin
from uptime.api.throttles import ScopedThrottle

from ..models import Device, NotificationChannel
from ..sample import send_test_message
from .serializers import DeviceSerializer, NotificationChannelSerializer, NotificationLogSerializer


@extend_schema(tags=["channels"])
class NotificationChannelViewSet(OwnedObjectsMixin, viewsets.ModelViewSet):
    """Where alerts go. A monitor notifies all of its owner's enabled channels unless it
    names some (Monitor.channels)."""

    queryset = NotificationChannel.objects.all()
    serializer_class = NotificationChannelSerializer
    # Only the actions that name a scope are throttled (ScopedThrottle).
    throttle_scope = None

    @extend_schema(
        request=None,
        responses={200: NotificationLogSerializer, 429: THROTTLED},
        summary="Send a test message now and report what happened",
        description="Answers 200 whether or not the message arrived: `outcome` says which "
        "(`delivered` or `failed`), `error` and `response` say why.",
    )
    @action(
        detail=True,
        methods=["post"],
        throttle_classes=[ScopedThrottle],
        throttle_scope="channel-test",
    )
    def test(self, request, pk=None):
        log = send_test_message(self.get_object())
        return Response(NotificationLogSerializer(log).data)


@extend_schema_view(
    list=extend_schema(summary="List your push devices"),
    retrieve=extend_schema(summary="A push device"),
    destroy=extend_schema(summary="Stop pushing to a device (e.g. on logout)"),
)
@extend_schema(tags=["devices"])
class DeviceViewSet(
    OwnedObjectsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Device.objects.all()
    serializer_class = DeviceSerializer

    @extend_schema(
        responses={
            201: DeviceSerializer,
            200: OpenApiResponse(DeviceSerializer, description="Already registered: updated."),
        },
        summary="Register this device's APNs token (call on every launch)",
    )
    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        device, created = Device.register(request.user, **serializer.validated_data)
        return Response(
            self.get_serializer(device).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
