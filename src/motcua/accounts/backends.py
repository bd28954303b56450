"""Authentication backends. Both delegate to the account services, which hold the rules."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from motcua.accounts.models import User
from motcua.core.exceptions import MotcuaError
from motcua.core.middleware import client_address


class LockoutModelBackend(ModelBackend):
    """Username and password with rate limit and lockout (used by ``authenticate()``, e.g. the admin login).

    Refusals return None, as Django expects; the login view calls the service itself to show why.
    """

    def authenticate(  # type: ignore[override]
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> User | None:
        from motcua.accounts.services import user_authenticate_password

        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        try:
            user = user_authenticate_password(
                username=username,
                password=password,
                client_address=client_address(request) if request is not None else None,
            )
        except MotcuaError:
            return None
        return user if self.user_can_authenticate(user) else None


class OidcBackend(ModelBackend):
    """Accounts signed in through the national identity provider (``authenticate(oidc_issuer=, oidc_claims=)``)."""

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        oidc_issuer: str | None = None,
        oidc_claims: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> User | None:
        from motcua.accounts.services import user_from_identity_provider

        if not oidc_issuer or oidc_claims is None:
            return None
        try:
            user = user_from_identity_provider(issuer=oidc_issuer, claims=oidc_claims)
        except MotcuaError:
            return None
        return user if self.user_can_authenticate(user) else None
