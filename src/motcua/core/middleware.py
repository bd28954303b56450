from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from motcua.core.context import RequestContext, _current, new_request_id, set_context_user

_REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def client_address(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is trusted only when a proxy rewrites REMOTE_ADDR for us.
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    """Give each request an id (kept from a well-formed X-Request-ID) and echo it in the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID_PATTERN.match(incoming) else new_request_id()
        request.request_id = request_id  # type: ignore[attr-defined]
        token = _current.set(RequestContext(request_id=request_id, client_address=client_address(request)))
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RequestUserMiddleware:
    """After authentication: record the acting user in the request context for the audit trail."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            set_context_user(user)
        return self.get_response(request)
