"""The platform API at /api/v1: one NinjaAPI, one error format, the routers of every domain."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from motcua.accounts.api import router as accounts_router
from motcua.accounts.api_auth import api_authentication
from motcua.agencies.api import router as agencies_router
from motcua.core.api import router as core_router
from motcua.core.exceptions import MotcuaError, validation_details
from motcua.dossiers.api import router as dossiers_router
from motcua.exchange.api import router as exchange_router
from motcua.feedback.api import router as feedback_router
from motcua.notifications.api import router as notifications_router
from motcua.payments.api import router as payments_router
from motcua.procedures.api import router as procedures_router
from motcua.signatures.api import router as signatures_router

api = NinjaAPI(
    title="Motcua API",
    version="1",
    description="Motcua e-government platform. Errors always have the form {code, message, details}.",
    urls_namespace="api",
    auth=api_authentication,
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _error(request: HttpRequest, status: int, code: str, message: str, details: object = None) -> HttpResponse:
    return api.create_response(
        request, {"code": code, "message": message, "details": details if details is not None else {}}, status=status
    )


@api.exception_handler(MotcuaError)
def _motcua_error(request: HttpRequest, error: MotcuaError) -> HttpResponse:
    return _error(request, error.http_status, error.code, str(error.message), error.details)


@api.exception_handler(DjangoValidationError)
def _django_validation(request: HttpRequest, error: DjangoValidationError) -> HttpResponse:
    return _error(
        request, 422, "validation_failed", _("Some of the information is not valid."), validation_details(error)
    )


def _field_message(item: dict) -> str:
    """A translated message for one pydantic error (pydantic's own messages are English only)."""
    kind = str(item.get("type", ""))
    context = item.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind == "string_too_long":
        return _("Use at most %(limit)s characters.") % {"limit": context.get("max_length", "")}
    if kind == "string_too_short":
        return _("Use at least %(limit)s characters.") % {"limit": context.get("min_length", "")}
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return _("Enter a whole number.")
    if kind in {"float_parsing", "float_type", "decimal_parsing"}:
        return _("Enter a number.")
    if kind.startswith(("datetime_", "date_", "time_")):
        return _("Enter a valid date and time.")
    if kind.startswith("uuid_"):
        return _("Enter a valid identifier.")
    if kind.startswith("bool_"):
        return _("Enter true or false.")
    if kind in {"literal_error", "enum"}:
        return _("Choose one of the allowed values.")
    if kind == "json_invalid":
        return _("The request body is not valid JSON.")
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        return _("This value is out of the allowed range.")
    return _("This value is not valid.")


@api.exception_handler(NinjaValidationError)
def _ninja_validation(request: HttpRequest, error: NinjaValidationError) -> HttpResponse:
    details: dict[str, list[str]] = {}
    for item in error.errors:
        location = ".".join(str(part) for part in item.get("loc", []) if part not in ("body", "payload", "query"))
        details.setdefault(location or "__all__", []).append(_field_message(item))
    return _error(request, 422, "validation_failed", _("Some of the information is not valid."), details)


@api.exception_handler(AuthenticationError)
def _not_authenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "not_authenticated", _("Please sign in first."))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, error: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", _("The requested item does not exist or you may not see it."))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    return _error(request, error.status_code, "http_error", str(error))


api.add_router("/", core_router)
api.add_router("/agencies", agencies_router)
api.add_router("/accounts", accounts_router)
api.add_router("/procedures", procedures_router, tags=["procedures"])
api.add_router("/dossiers", dossiers_router, tags=["dossiers"])
api.add_router("/signatures", signatures_router, tags=["signatures"])
api.add_router("/payments", payments_router, tags=["payments"])
api.add_router("/notifications", notifications_router, tags=["notifications"])
api.add_router("/feedback", feedback_router, tags=["feedback"])
api.add_router("/exchange", exchange_router, tags=["exchange"])
