"""Domain errors: each carries the status and stable `code` of its problem document."""

from __future__ import annotations

from typing import Any


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


class UpstreamUnavailable(Problem):
    status, code, title = 503, "upstream_unavailable", "A service we depend on is unavailable"


class UpstreamError(Problem):
    status, code, title = 502, "upstream_error", "A service we depend on failed"


def field_error(field: str, message: str) -> FieldError:
    return FieldError([{"field": field, "message": message}])
