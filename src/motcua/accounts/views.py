"""Account pages: sign in (password or national identity provider), second factor, sign out, my account.

Views parse the request, call a service and render; the rules live in ``services`` and ``oidc``.
"""

from __future__ import annotations

from base64 import b32encode
from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from motcua.accounts import services
from motcua.accounts.forms import LoginForm, PreferencesForm, SecondFactorVerifyForm, TotpConfirmForm
from motcua.accounts.models import User
from motcua.accounts.oidc import OidcClient, OidcError, oidc_enabled
from motcua.core.exceptions import MotcuaError, RateLimited
from motcua.core.middleware import client_address

PASSWORD_BACKEND = "motcua.accounts.backends.LockoutModelBackend"
OIDC_BACKEND = "motcua.accounts.backends.OidcBackend"
OIDC_FLOW_SESSION_KEY = "motcua_oidc_flow"
OIDC_ID_TOKEN_SESSION_KEY = "motcua_oidc_id_token"


def _next_url(request: HttpRequest, default: str | None = None) -> str:
    """The ``next`` parameter if it points inside this site, else the default landing page."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(default or settings.LOGIN_REDIRECT_URL)


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _language_cookie(response: HttpResponse, language: str) -> None:
    if language in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE or settings.SESSION_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE or "Lax",
        )


def _after_login(request: HttpRequest, user: User, next_url: str) -> HttpResponse:
    """Officials continue to the second factor; everyone else to where they were going."""
    if services.user_requires_second_factor(user=user):
        target = "accounts:otp_verify" if services.user_has_second_factor(user=user) else "accounts:otp_setup"
        response: HttpResponse = HttpResponseRedirect(_with_next(reverse(target), next_url))
    else:
        response = HttpResponseRedirect(next_url)
    _language_cookie(response, user.preferred_language)
    return response


# -- password login ------------------------------------------------------------------------------------------


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    if request.user.is_authenticated and request.method == "GET":
        return HttpResponseRedirect(next_url)
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_authenticate_password(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                client_address=client_address(request),
            )
        except MotcuaError as error:
            form.add_error(None, str(error.message))
            status = error.http_status if error.http_status in (403, 429) else 200
        else:
            login(request, user, backend=PASSWORD_BACKEND)  # a new session key: no session fixation
            if user.is_official:  # officials land in their workspace unless they were going somewhere
                next_url = _next_url(request, settings.OFFICIAL_LOGIN_REDIRECT_URL)
            return _after_login(request, user, next_url)
    context = {
        "form": form,
        "next": request.POST.get("next") or request.GET.get("next") or "",
        "oidc_enabled": oidc_enabled(),
        "max_failures": getattr(settings, "LOGIN_MAX_FAILURES", 5),
        "lockout_minutes": getattr(settings, "LOGIN_LOCKOUT_MINUTES", 15),
    }
    return render(request, "accounts/login.html", context, status=status)


@require_http_methods(["GET", "POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    """GET asks for confirmation; POST signs out here and, after an identity-provider login, there too."""
    if request.method == "GET":
        if not request.user.is_authenticated:
            return redirect(settings.LOGOUT_REDIRECT_URL)
        return render(request, "accounts/logout.html")
    id_token = request.session.get(OIDC_ID_TOKEN_SESSION_KEY)
    if request.user.is_authenticated:
        services.user_logout_record(user=request.user)  # type: ignore[arg-type]
    logout(request)
    home = resolve_url(settings.LOGOUT_REDIRECT_URL)
    if id_token and oidc_enabled():
        try:
            end_session = OidcClient.from_settings().end_session_url(
                id_token_hint=id_token, post_logout_redirect_uri=f"{settings.SITE_URL}{home}"
            )
        except OidcError:
            end_session = None
        if end_session:
            return HttpResponseRedirect(end_session)
    messages.success(request, _("You have signed out."))
    return HttpResponseRedirect(home)


# -- second factor -------------------------------------------------------------------------------------------


def _qr_svg(uri: str) -> str:
    svg = str(
        segno.make(uri, error="m").svg_inline(
            scale=5,
            title=_("QR code to scan with your authenticator app"),
            svgclass="qr-code",
            lineclass="qr-code__line",
        )
    )
    # An image with a text alternative (its <title>) for assistive technology.
    return svg.replace("<svg ", '<svg role="img" focusable="false" ', 1)


def _grouped_secret(device: TOTPDevice) -> str:
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[index : index + 4] for index in range(0, len(secret), 4))


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


@login_required
@never_cache
@sensitive_post_parameters("token")
@require_http_methods(["GET", "POST"])
def otp_setup_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    next_url = _next_url(request, "accounts:profile")
    if services.user_has_second_factor(user=user):
        if user.is_verified():  # type: ignore[attr-defined]
            messages.info(request, _("Your authenticator app is already set up."))
            return redirect("accounts:profile")
        return HttpResponseRedirect(_with_next(reverse("accounts:otp_verify"), next_url))
    form = TotpConfirmForm(request.POST or None)
    device = services.totp_device_pending(user=user) if request.method == "POST" else None
    status = 200
    if request.method == "POST" and device is not None and form.is_valid():
        try:
            codes = services.totp_device_confirm(user=user, token=form.cleaned_data["token"])
        except MotcuaError as error:
            form.add_error("token", str(error.message))
            status = 429 if isinstance(error, RateLimited) else 200
        else:
            device.refresh_from_db()
            otp_login(request, device)
            request.session.cycle_key()  # the session's privilege changed
            shown = {"codes": codes, "next": next_url, "first_setup": True}
            return _no_store(render(request, "accounts/otp_backup_codes.html", shown))
    if device is None:
        device, _uri = services.totp_device_start(user=user)
    context: dict[str, Any] = {
        "form": form,
        "qr_svg": _qr_svg(device.config_url),
        "secret": _grouped_secret(device),
        "issuer": getattr(settings, "OTP_TOTP_ISSUER", ""),
        "next": request.POST.get("next") or request.GET.get("next") or "",
        "required": services.user_requires_second_factor(user=user),
    }
    return _no_store(render(request, "accounts/otp_setup.html", context, status=status))


@login_required
@never_cache
@sensitive_post_parameters("token", "backup_code")
@require_http_methods(["GET", "POST"])
def otp_verify_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    next_url = _next_url(request)
    if not services.user_has_second_factor(user=user):
        return HttpResponseRedirect(_with_next(reverse("accounts:otp_setup"), next_url))
    if user.is_verified():  # type: ignore[attr-defined]
        return HttpResponseRedirect(next_url)
    form = SecondFactorVerifyForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            device = services.second_factor_verify(user=user, token=form.code)
        except RateLimited as error:
            form.add_error(None, str(error.message))
            status = 429
        else:
            if device is not None:
                otp_login(request, device)
                request.session.cycle_key()
                if not isinstance(device, TOTPDevice):
                    messages.warning(
                        request,
                        _("You used a backup code. Backup codes left: %(count)s.")
                        % {"count": services.backup_codes_remaining(user=user)},
                    )
                return HttpResponseRedirect(next_url)
            field = "token" if form.cleaned_data.get("token") else "backup_code"
            form.add_error(field, _("This code is not correct."))
    context = {"form": form, "next": request.POST.get("next") or request.GET.get("next") or ""}
    return render(request, "accounts/otp_verify.html", context, status=status)


@login_required
@never_cache
@require_POST
def otp_backup_codes_view(request: HttpRequest) -> HttpResponse:
    """New backup codes (the old ones stop working), for a session that passed the second factor."""
    user: User = request.user  # type: ignore[assignment]
    if not user.is_verified():  # type: ignore[attr-defined]
        return HttpResponseRedirect(_with_next(reverse("accounts:otp_verify"), reverse("accounts:profile")))
    try:
        codes = services.backup_codes_regenerate(user=user)
    except MotcuaError as error:
        messages.error(request, str(error.message))
        return redirect("accounts:profile")
    context = {"codes": codes, "next": reverse("accounts:profile"), "first_setup": False}
    return _no_store(render(request, "accounts/otp_backup_codes.html", context))


# -- my account ----------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def profile_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = PreferencesForm(request.POST or None, initial={"preferred_language": user.preferred_language})
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_update(
                actor=user, user=user, changes={"preferred_language": form.cleaned_data["preferred_language"]}
            )
        except MotcuaError as error:
            form.add_error("preferred_language", str(error.message))
        else:
            messages.success(request, _("Your preferences have been saved."))
            response = redirect("accounts:profile")
            _language_cookie(response, user.preferred_language)
            return response
    context = {
        "account": user,
        "form": form,
        "second_factor": services.user_second_factor_status(user=user),
        "session_verified": user.is_verified(),  # type: ignore[attr-defined]
        "language_name": dict(settings.LANGUAGES).get(user.preferred_language, user.preferred_language),
    }
    return render(request, "accounts/profile.html", context)


# -- national identity provider (OpenID Connect) -------------------------------------------------------------


def _callback_uri() -> str:
    # The registered redirect URI: built from the configured site address, never from the Host header.
    return f"{settings.SITE_URL}{reverse('accounts:oidc_callback')}"


def _oidc_error(request: HttpRequest, error: MotcuaError) -> HttpResponse:
    context = {"message": error.message, "code": error.code, "oidc_enabled": oidc_enabled()}
    return render(request, "accounts/oidc_error.html", context, status=error.http_status)


@never_cache
@require_http_methods(["GET"])
def oidc_login_view(request: HttpRequest) -> HttpResponse:
    """Send the browser to the identity provider with a fresh state, nonce and PKCE challenge."""
    if not oidc_enabled():
        raise Http404
    try:
        authorisation = OidcClient.from_settings().authorisation_request(redirect_uri=_callback_uri())
    except OidcError as error:
        return _oidc_error(request, error)
    request.session[OIDC_FLOW_SESSION_KEY] = {**authorisation.session_data(), "next": _next_url(request)}
    return HttpResponseRedirect(authorisation.url)


@never_cache
@require_http_methods(["GET"])
def oidc_callback_view(request: HttpRequest) -> HttpResponse:
    """Finish the login: check state, exchange the code, verify the ID token, read userinfo, sign in."""
    if not oidc_enabled():
        raise Http404
    flow = request.session.pop(OIDC_FLOW_SESSION_KEY, None)  # single use, whatever the outcome
    try:
        client = OidcClient.from_settings()
        result = client.login_complete(params=request.GET.dict(), flow=flow, redirect_uri=_callback_uri())
        user = services.user_from_identity_provider(
            issuer=result.issuer, claims={**result.id_token_claims, **result.userinfo}
        )
    except MotcuaError as error:
        return _oidc_error(request, error)
    login(request, user, backend=OIDC_BACKEND)
    services.user_login_record(user=user, method="oidc")
    request.session[OIDC_ID_TOKEN_SESSION_KEY] = result.id_token
    next_url = (
        str(flow.get("next"))
        if isinstance(flow, dict) and flow.get("next")
        else resolve_url(settings.LOGIN_REDIRECT_URL)
    )
    return _after_login(request, user, next_url)
