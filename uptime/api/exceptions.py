from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict):
    """DRF's handler, plus a JSON 400 (not Django's HTML page) for a body over
    DATA_UPLOAD_MAX_MEMORY_SIZE, which Django raises when the JSON parser reads it."""
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = exceptions.ParseError(f"The request body is larger than {limit} bytes.")
    return drf_exception_handler(exc, context)
