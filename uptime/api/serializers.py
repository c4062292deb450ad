"""Serializer behaviour every API resource shares."""

from collections.abc import Mapping

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers


# Answer 400 naming any field the serializer does not have. DRF ignores unknown keys by default,
# so a misspelt field ("interval" for "interval_seconds") would look saved to the client while
# nothing changed. Read-only fields are known and still accepted (and ignored), so a client may
# send back what it read. (A comment: drf-spectacular would publish a docstring in the schema.)
class RejectUnknownFieldsMixin:
    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


def run_model_clean(instance) -> None:
    """Apply the model's own cross-field rules (Model.clean) to an unsaved candidate, so the
    API and the admin enforce one set of rules; errors keep their field names."""
    try:
        instance.clean()
    except DjangoValidationError as error:
        raise serializers.ValidationError(serializers.as_serializer_error(error)) from error
