"""Reads of accounts and API clients, with their permission checks."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from motcua.accounts.models import ApiClient, User
from motcua.core.exceptions import NotFound, PermissionDenied
from motcua.core.permissions import permission_require


def user_me(*, user: Any) -> User:
    """The signed-in person's own account (API clients are not people and have none)."""
    permission_require(user, "accounts.view_user", user)
    if not isinstance(user, User):
        raise PermissionDenied(code="user_required")
    return user


def api_client_list(*, user: Any) -> QuerySet[ApiClient]:
    permission_require(user, "accounts.manage_api_clients")
    return ApiClient.objects.order_by("name", "client_id")


def api_client_get(*, user: Any, client_id: str) -> ApiClient:
    permission_require(user, "accounts.manage_api_clients")
    client = ApiClient.objects.filter(client_id=client_id).first()
    if client is None:
        raise NotFound()
    return client
