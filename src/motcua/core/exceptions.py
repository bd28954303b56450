"""One exception hierarchy for the whole platform.

Services raise these; the API maps them once to ``{"code", "message", "details"}`` with the HTTP status
below, and HTML views turn them into form errors or an error page. ``message`` is shown to people, so it is
always a translated string.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class MotcuaError(Exception):
    http_status = 400
    default_code = "error"
    default_message: Any = _("The request could not be completed.")

    def __init__(self, message: Any = None, *, code: str | None = None, details: Any = None) -> None:
        self.message = message if message is not None else self.default_message
        self.code = code or self.default_code
        self.details = details if details is not None else {}
        super().__init__(str(self.message))

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self.message), "details": self.details}


class ValidationFailed(MotcuaError):
    http_status = 422
    default_code = "validation_failed"
    default_message = _("Some of the information is not valid.")


class NotFound(MotcuaError):
    http_status = 404
    default_code = "not_found"
    default_message = _("The requested item does not exist or you may not see it.")


class PermissionDenied(MotcuaError):
    http_status = 403
    default_code = "permission_denied"
    default_message = _("You are not allowed to do this.")


class NotAuthenticated(MotcuaError):
    http_status = 401
    default_code = "not_authenticated"
    default_message = _("Please sign in first.")


class InvalidState(MotcuaError):
    http_status = 409
    default_code = "invalid_state"
    default_message = _("This action is not possible in the current state.")


class Conflict(MotcuaError):
    http_status = 409
    default_code = "conflict"
    default_message = _("This conflicts with existing data.")


class RateLimited(MotcuaError):
    http_status = 429
    default_code = "rate_limited"
    default_message = _("Too many attempts. Please wait a moment and try again.")


def validation_details(error: Any) -> dict[str, list[str]]:
    """Turn a Django ValidationError into ``{field: [messages]}`` for the ``details`` of an error."""
    if hasattr(error, "message_dict"):
        return {field: [str(m) for m in messages] for field, messages in error.message_dict.items()}
    return {"__all__": [str(m) for m in getattr(error, "messages", [str(error)])]}
