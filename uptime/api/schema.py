"""What the OpenAPI document says about errors, so a client can be written from it alone.

Every error body is JSON: {"detail": "..."} for errors about the whole request, and
{"<field>": ["message", ...], "non_field_errors": [...]} for invalid input.
"""

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

ERROR_REF = {"$ref": "#/components/schemas/Error"}
VALIDATION_ERROR_REF = {"$ref": "#/components/schemas/ValidationError"}

VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "Field name to its messages; `non_field_errors` for rules that span fields; "
        "`detail` alone when the body could not be read at all (malformed JSON)."
    ),
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "string"},
            {"type": "object"},
        ]
    },
}


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, for a person to read.")

    class Meta:
        ref_name = "Error"


class MessageSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What happened, for a person to read.")

    class Meta:
        ref_name = "Message"


def error_response(description: str) -> OpenApiResponse:
    """For views to document errors of their own (409, 429) with the shared Error body."""
    return OpenApiResponse(ErrorSerializer, description=description)


THROTTLED = error_response(
    "Too many requests: wait the number of seconds in the Retry-After header."
)


def document_error_responses(result: dict, generator, request, public) -> dict:
    """drf-spectacular post-processing hook: add the errors every operation can answer.

    400 where the client sends a body or query parameters; 401 where a token is required;
    404 where the path names an object (or a page or cursor is given). Another user's object
    is also a 404: ids reveal nothing.
    """
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(
        "Error",
        {
            "type": "object",
            "properties": {"detail": {"type": "string"}},
            "required": ["detail"],
        },
    )
    schemas["ValidationError"] = VALIDATION_ERROR_SCHEMA
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            parameters = operation.get("parameters", [])
            query = {parameter["name"] for parameter in parameters if parameter["in"] == "query"}
            if "requestBody" in operation or query:
                responses.setdefault("400", _json("Invalid input.", VALIDATION_ERROR_REF))
            if {} not in operation.get("security", [{}]):
                responses.setdefault(
                    "401", _json("No valid token: log in again.", ERROR_REF)
                )
            if any(p["in"] == "path" for p in parameters) or query & {"page", "cursor"}:
                responses.setdefault(
                    "404", _json("No such object (or not yours), page or cursor.", ERROR_REF)
                )
    return result


def _json(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}
