"""Errors from the domain become precise HTTP answers.

The service layer raises django.core.exceptions.ValidationError keyed by field
(400 naming the field) and StaleVersion (409 with the current version); DRF
already maps Http404, PermissionDenied and its own errors.
"""
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from annotate.services.locking import StaleVersion


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, StaleVersion):
        return Response(
            {"detail": str(exc), "code": "stale_version", "your_version": exc.expected,
             "current_version": exc.current},
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)
