"""API authentication: browser sessions (with CSRF) or API clients' bearer credentials."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth


class ApiClientBearer(HttpBearer):
    """``Authorization: Bearer <client_id>.<secret>`` for other agencies' systems."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from motcua.accounts.services import api_client_authenticate

        client = api_client_authenticate(token=token)
        if client is not None:
            request.api_client = client  # type: ignore[attr-defined]
        return client


api_authentication = [ApiClientBearer(), SessionAuth(csrf=True)]
