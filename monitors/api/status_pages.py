"""/api/v1/status-pages/: a user's public status pages. The rules are the model's
(monitors/status_pages.py), as for the web form and the admin."""

import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets

from uptime.api.scoping import OwnedObjectsMixin
from uptime.api.serializers import RejectUnknownFieldsMixin, run_model_clean

from ..status_pages import (
    MAX_DISPLAY_NAME,
    MAX_MONITORS,
    MAX_SECTION_NAME,
    MAX_SECTIONS,
    StatusPage,
    normalize_domain,
    validate_custom_domain,
)

MONITOR_ID = {"min_value": 1, "max_value": 2**63 - 1}


# The layout (monitors, display names, sections) is read through StatusPage.layout(): the
# stored order, and sections without monitors deleted since.
class PageMonitorsField(serializers.ListField):
    def get_attribute(self, page: StatusPage) -> list[int]:
        return page.layout()[0]


class SectionListSerializer(serializers.ListSerializer):
    def get_attribute(self, page: StatusPage) -> list[dict]:
        return page.layout()[2]


class SectionSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    name = serializers.CharField(max_length=MAX_SECTION_NAME)
    monitors = serializers.ListField(
        child=serializers.IntegerField(**MONITOR_ID), max_length=MAX_MONITORS,
        help_text="Ids of monitors of this page, in the order the section lists them.")

    class Meta:
        list_serializer_class = SectionListSerializer


@extend_schema_field({
    "type": "object",
    "additionalProperties": {"type": "string", "maxLength": MAX_DISPLAY_NAME},
    "description": "The name the page shows for a monitor, by its id (as a string key), e.g. "
    "{\"12\": \"Public API\"}. A monitor left out shows its own name.",
    "example": {"12": "Public API"},
})
class DisplayNamesField(serializers.DictField):
    child = serializers.CharField(max_length=MAX_DISPLAY_NAME, allow_blank=True)

    def to_internal_value(self, data) -> dict[int, str]:
        names = super().to_internal_value(data)
        parsed = {}
        for key, name in names.items():
            if not (key.isascii() and key.isdigit()) or len(key) > 18:
                raise serializers.ValidationError(f"{key!r} is not a monitor id.")
            if name.strip():
                parsed[int(key)] = name.strip()
        return parsed

    def get_attribute(self, page: StatusPage) -> dict[int, str]:
        return page.layout()[1]

    def to_representation(self, value: dict[int, str]) -> dict[str, str]:
        return {str(monitor_id): name for monitor_id, name in value.items()}


class DomainField(serializers.CharField):
    # Lower case and without a trailing dot before the model's validators look at it.
    def to_internal_value(self, data) -> str:
        return normalize_domain(super().to_internal_value(data))


class StatusPageSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    custom_domain = DomainField(
        max_length=253, required=False, allow_blank=True, validators=[validate_custom_domain],
        help_text="Optional: a domain of yours (status.example.com) that shows the page at its "
        "root once its DNS points here. Empty: none.")
    monitors = PageMonitorsField(
        child=serializers.IntegerField(**MONITOR_ID), max_length=MAX_MONITORS, required=False,
        help_text="Ids of your monitors the page shows, in this order. Another user's id is "
        "refused like one that does not exist.")
    display_names = DisplayNamesField(required=False)
    sections = SectionSerializer(
        many=True, required=False, max_length=MAX_SECTIONS,
        help_text="Optional named groups of the page's monitors, in order. Monitors in no "
        "section are listed first, under no heading.")
    public_url = serializers.CharField(read_only=True,
                                       help_text="Where anyone can see the page, no login.")

    class Meta:
        model = StatusPage
        fields = ["id", "slug", "title", "description", "monitors", "display_names", "sections",
                  "custom_domain", "show_errors", "public_url", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {
            "show_errors": {"help_text": "Show incidents' causes, which may name hosts and "
                            "addresses. Off (the default): only what is down and since when."},
        }

    def validate(self, attrs: dict) -> dict:
        page = copy.copy(self.instance) if self.instance is not None else StatusPage(
            owner=self.context["request"].user)
        stored_ids, stored_names, stored_sections = (
            self.instance.layout() if self.instance is not None else ([], {}, []))
        monitor_ids = attrs.pop("monitors", stored_ids)
        names = attrs.pop("display_names",
                          {k: v for k, v in stored_names.items() if k in monitor_ids})
        # A monitor taken off the page leaves the sections it was in.
        sections = attrs.pop("sections", [
            {"name": s["name"], "monitors": [i for i in s["monitors"] if i in monitor_ids]}
            for s in stored_sections])
        sections = [dict(section) for section in sections]
        for field, value in attrs.items():
            setattr(page, field, value)
        run_model_clean(page)
        try:
            page.validate_layout(monitor_ids, names, sections)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error
        attrs["layout"] = (monitor_ids, names, sections)
        return attrs

    def create(self, validated_data: dict) -> StatusPage:
        return self.save_page(StatusPage(owner=self.context["request"].user), validated_data)

    def update(self, page: StatusPage, validated_data: dict) -> StatusPage:
        return self.save_page(page, validated_data)

    def save_page(self, page: StatusPage, validated_data: dict) -> StatusPage:
        layout = validated_data.pop("layout")
        for field, value in validated_data.items():
            setattr(page, field, value)
        try:
            with transaction.atomic():
                page.save()
                page.set_layout(*layout)
        except IntegrityError:
            # Another request took the slug or the domain since validate() looked.
            raise serializers.ValidationError({"non_field_errors": [
                "That slug or custom domain was just taken by another page."]}) from None
        return page


@extend_schema_view(
    list=extend_schema(summary="List your status pages"),
    create=extend_schema(summary="Create a public status page"),
    retrieve=extend_schema(summary="A status page"),
    update=extend_schema(summary="Replace a status page"),
    partial_update=extend_schema(summary="Change some of a status page"),
    destroy=extend_schema(summary="Delete a status page (its address is free again)"),
)
@extend_schema(tags=["status pages"])
class StatusPageViewSet(OwnedObjectsMixin, viewsets.ModelViewSet):
    """Public pages (no login) at /status/<slug>/ and optionally on a domain of yours: the
    monitors you choose, their state, 90 days of daily uptime, incidents with their updates,
    and maintenance. They never show URLs; errors only with show_errors."""

    queryset = StatusPage.objects.prefetch_related("entries")
    serializer_class = StatusPageSerializer
