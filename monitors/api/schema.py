"""The OpenAPI document describes a monitor as one of its kinds: `oneOf` a schema per kind
(HttpMonitor, TcpMonitor, …, HeartbeatMonitor), each `allOf` the fields every kind has
(MonitorCommon) and its own `kind`, `url` form and options, with `kind` as the discriminator
of responses.

The per-kind serializers exist for the document only: requests are still validated by
MonitorSerializer alone, so what the API accepts cannot drift from what the document
promised before. A request schema names no discriminator because `kind` may be left out (it
defaults to http); the kinds' one-value `kind` enums still make exactly one variant match a
body. PATCH keeps the single flat schema, where every field is optional.

Which fields belong to which kind comes from monitors/kinds/options.py, as the web form's
groups do.
"""

import functools

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers

from .. import kinds
from ..kinds import options as kind_options
from ..models import Monitor

COMMON_COMPONENT = "MonitorCommon"

KIND_NOTES = {
    "http": "Requests the URL; up on an expected status and passing assertions. On https:// "
    "it also records the certificate's expiry and warns tls_warn_days before it.",
    "tcp": "Up when the port accepts a TCP connection within the timeout.",
    "dns": "Asks the resolver for the name's records of dns_record_type; up when there is an "
    "answer (any, or every one of dns_expected).",
    "tls": "Completes a verified TLS handshake; degraded when the certificate expires within "
    "tls_warn_days.",
    "postgres": "Connects and runs SELECT 1 within the timeout.",
    "redis": "Sends PING (AUTH first when the URL has a password).",
    "heartbeat": "No url: your job requests ping_url. Missed when no success ping arrives "
    "within interval_seconds + grace_seconds; failure_threshold defaults to 1.",
}


def one_schema_per_kind(serializer_class: type[serializers.Serializer]):
    """Class decorator for MonitorSerializer: document it as oneOf a schema per kind."""

    class PerKindSchema(OpenApiSerializerExtension):
        target_class = serializer_class

        def map_serializer(self, auto_schema, direction):
            if auto_schema.method == "PATCH" and direction == "request":
                # self.target, not the class: it carries the partial=True that makes
                # every field optional.
                return auto_schema._map_serializer(self.target, direction,
                                                   bypass_extensions=True)
            return kind_variants(auto_schema, serializer_class, direction)

    serializer_class.per_kind_schema = PerKindSchema
    return serializer_class


def kind_variants(auto_schema, base: type, direction: str) -> dict:
    common = auto_schema.resolve_serializer(common_serializer(base), direction)
    # "MonitorCommon" or "MonitorCommonRequest": the variants take the same suffix.
    suffix = common.name[len(COMMON_COMPONENT):]
    variants, mapping = [], {}
    available = {kind for kind, _ in kinds.available_choices()}
    for kind, own_serializer in kind_serializers(base).items():
        if kind not in available:
            continue
        component = ResolvedComponent(
            name=f"{kind.title()}Monitor{suffix}", type=ResolvedComponent.SCHEMA,
            object=f"{kind}-monitor-{direction}",
        )
        if component not in auto_schema.registry:
            own = auto_schema._map_serializer(own_serializer(), direction)
            own.pop("description", None)
            if direction == "response":
                # Every response names its kind (the discriminator), http's too.
                own["required"] = sorted({*own.get("required", []), "kind"})
            component.schema = {
                "description": f"{Monitor.Kind(kind).label}: {KIND_NOTES[kind]}",
                "allOf": [common.ref, own],
            }
            auto_schema.registry.register_on_missing(component)
        variants.append(component.ref)
        mapping[kind] = component.ref["$ref"]
    schema = {"oneOf": variants}
    if direction == "response":
        schema["discriminator"] = {"propertyName": "kind", "mapping": mapping}
    return schema


def _only(base: type, name: str, keep, adjust=None) -> type:
    """A subclass of `base` with only the fields `keep(name)` accepts (after `adjust`)."""

    def get_fields(self) -> dict:
        fields = super(subclass, self).get_fields()
        if adjust:
            adjust(fields)
        return {field: value for field, value in fields.items() if keep(field)}

    subclass = type(name, (base,), {"get_fields": get_fields, "__module__": __name__,
                                    "__doc__": ""})
    return subclass


@functools.cache
def common_serializer(base: type) -> type:
    def keep(field: str) -> bool:
        return field not in kind_options.KIND_SPECIFIC and field not in ("kind", "url")

    return _only(base, f"{COMMON_COMPONENT}Serializer", keep)


@functools.cache
def kind_serializers(base: type) -> dict[str, type]:
    """kind -> a serializer of that kind's `kind`, `url` and options alone."""
    return {kind: _kind_serializer(base, kind) for kind in kind_options.OPTIONS}


def _kind_serializer(base: type, kind: str) -> type:
    own = {"kind", "url", *kind_options.OPTIONS[kind]}
    url_form = kind_options.URL_FORMS.get(kind)

    def adjust(fields: dict) -> None:
        # "http" may be left out of a request (it is the default); every other kind is named.
        fields["kind"] = serializers.ChoiceField(
            choices=[(kind, Monitor.Kind(kind).label)], required=kind != "http",
            help_text="The default kind." if kind == "http" else "",
        )
        if kind in kind_options.WITHOUT_URL:
            fields["url"] = serializers.CharField(
                read_only=True, help_text=f"Always empty: a {kind} has no target."
            )
        elif url_form:
            fields["url"].help_text = (
                f"{url_form.help_text} A password in it is write-only: responses show *** in "
                "its place, and *** sent back keeps the saved one."
            )

    return _only(base, f"{kind.title()}MonitorOptionsSerializer", own.__contains__, adjust)
