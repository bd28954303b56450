"""Officials (and anyone who can reach the admin) must pass a second factor before using the platform."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from motcua.accounts.services import user_has_second_factor, user_requires_second_factor

# Reachable without a second factor: what it takes to set one up or pass it, sign out, and operations.
_ALWAYS_ALLOWED_PREFIXES = ("/i18n/", "/healthz", "/readyz", "/metrics", "/favicon.ico", "/robots.txt")
_ALLOWED_URL_NAMES = ("accounts:otp_setup", "accounts:otp_verify", "accounts:logout", "accounts:login")


class OfficialSecondFactorMiddleware:
    """Send an official whose session has not passed the second factor to set it up or verify it.

    HTML requests are redirected (to set-up if the official has no authenticator yet, else to verification);
    API requests get 403 ``{"code": "second_factor_required"}``. Runs after django-otp's OTPMiddleware,
    which tells whether the session is verified (``request.user.is_verified()``).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._allowed_paths: tuple[str, ...] | None = None

    def _allowed(self, path: str) -> bool:
        if self._allowed_paths is None:
            self._allowed_paths = tuple(reverse(name) for name in _ALLOWED_URL_NAMES)
        static_prefixes = tuple(prefix for prefix in (settings.STATIC_URL, settings.MEDIA_URL) if prefix)
        return (
            path in self._allowed_paths or path.startswith(_ALWAYS_ALLOWED_PREFIXES) or path.startswith(static_prefixes)
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user_requires_second_factor(user=user):
            return self.get_response(request)
        is_verified = getattr(user, "is_verified", None)
        if callable(is_verified) and is_verified():
            return self.get_response(request)
        if self._allowed(request.path_info):
            return self.get_response(request)
        has_device = user_has_second_factor(user=user)  # type: ignore[arg-type]
        target = reverse("accounts:otp_verify" if has_device else "accounts:otp_setup")
        if request.path_info.startswith("/api/"):
            return JsonResponse(
                {
                    "code": "second_factor_required",
                    "message": _("Confirm your sign-in with your second factor first."),
                    "details": {"url": target, "second_factor_set_up": has_device},
                },
                status=403,
            )
        next_path = request.get_full_path() if request.method == "GET" else ""
        return HttpResponseRedirect(f"{target}?{urlencode({'next': next_path})}" if next_path else target)
