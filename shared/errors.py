"""Domain errors: each carries the status and stable `code` of its problem document."""

from __future__ import annotations

import logging
from typing import Any

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)

logger = logging.getLogger(__name__)

# How long a client waits before retrying when storage is throttled or failing. Table Storage
# rarely sends Retry-After itself; its guidance is to back off for seconds
# (https://learn.microsoft.com/azure/storage/tables/storage-performance-checklist).
STORAGE_RETRY_AFTER_SECONDS = 2


class Problem(Exception):
    """An error a client caused or must know about; rendered as RFC 9457 problem+json."""

    status = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(self, detail: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.extra = extra


class BadRequest(Problem):
    status, code, title = 400, "bad_request", "Bad request"


class Unauthenticated(Problem):
    status, code, title = 401, "unauthenticated", "Authentication required"


class InvalidToken(Problem):
    status, code, title = 401, "invalid_token", "Invalid token"


class Forbidden(Problem):
    status, code, title = 403, "forbidden", "Forbidden"


class NotFound(Problem):
    status, code, title = 404, "not_found", "Not found"


class Conflict(Problem):
    status, code, title = 409, "conflict", "Conflict"


class Gone(Problem):
    status, code, title = 410, "gone", "Gone"


class PayloadTooLarge(Problem):
    status, code, title = 413, "payload_too_large", "Request body too large"


class UnsupportedMediaType(Problem):
    status, code, title = 415, "unsupported_media_type", "Unsupported media type"


class FieldError(Problem):
    """One or more fields are invalid; `errors` names each of them."""

    status, code, title = 422, "validation_error", "Invalid request"

    def __init__(self, errors: list[dict[str, str]], detail: str | None = None) -> None:
        fields = ", ".join(e["field"] for e in errors[:5])
        super().__init__(detail or f"invalid: {fields}", errors=errors)
        self.errors = errors


class InternalError(Problem):
    status, code, title = 500, "internal_error", "Internal server error"


class StorageUnavailable(Problem):
    status, code, title = 503, "storage_unavailable", "Storage is unavailable"


class ConfigurationFault(Problem):
    """The service is deployed wrongly (a role or a credential is missing): not the client's
    doing, and not worth retrying soon. The detail says nothing of the deployment."""

    status, code, title = 500, "configuration_error", "The service is not configured correctly"


class UpstreamUnavailable(Problem):
    status, code, title = 503, "upstream_unavailable", "A service we depend on is unavailable"


class UpstreamError(Problem):
    status, code, title = 502, "upstream_error", "A service we depend on failed"


def field_error(field: str, message: str) -> FieldError:
    return FieldError([{"field": field, "message": message}])


def storage_problem(error: AzureError, operation: str) -> Problem:
    """The problem document for an azure-core error from Table or Queue Storage, logged once.

    The status decides, not the exception's class alone: a transaction's failure
    (TableTransactionError) carries the failing operation's status.
    """
    status = error.status_code if isinstance(error, HttpResponseError) else None
    if isinstance(error, ResourceNotFoundError) or status == 404:
        return NotFound("the resource does not exist")
    if isinstance(error, ResourceExistsError | ResourceModifiedError) or status in (409, 412):
        return Conflict("the resource was changed by another request; try again")
    if isinstance(error, ClientAuthenticationError) or status in (401, 403):
        # A missing role assignment or a rotated key: an operator must act, so it is an error
        # log naming the fault; the client learns nothing about the deployment.
        logger.error(
            "configuration fault in %s: storage refused our credentials (status %s, %s); "
            "check the app's role assignments and AzureWebJobsStorage",
            operation,
            status,
            getattr(error, "error_code", None),
        )
        return ConfigurationFault("the service cannot reach its data; try again later")
    if (
        isinstance(error, ServiceRequestError | ServiceResponseError)
        or status is None
        or status == 429
        or status >= 500
    ):
        logger.warning("storage unavailable in %s: %s %s", operation, type(error).__name__, status)
        return StorageUnavailable(
            "storage did not answer; try again", retry_after=STORAGE_RETRY_AFTER_SECONDS
        )
    # Any other 4xx from storage means we sent a request it cannot take: our bug.
    logger.error(
        "storage refused a request in %s: status %s, %s",
        operation,
        status,
        getattr(error, "error_code", None),
        exc_info=error,
    )
    return InternalError("an unexpected error occurred")
