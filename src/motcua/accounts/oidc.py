"""OpenID Connect client for the national identity provider (the national portal's SSO, VNeID).

Authorisation-code flow with PKCE (S256), as the national portal uses it: the browser goes to the provider's
authorisation endpoint with ``response_type=code, client_id, redirect_uri, scope, acr_values, state, nonce``,
comes back with ``code`` and ``state``; the server exchanges the code at the token endpoint, checks the ID
token's signature against the provider's published keys (JWKS) and its ``iss``, ``aud``, ``exp`` and ``nonce``,
then reads the userinfo. Logout goes to the provider's ``end_session_endpoint`` with
``post_logout_redirect_uri``.

The views keep the per-login values (state, nonce, PKCE verifier) in the session; this module holds no state
apart from a short cache of the provider's metadata and keys.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from motcua.core.exceptions import MotcuaError

logger = logging.getLogger(__name__)

# Asymmetric algorithms only: "none" and HMAC (keyed with the client secret) are refused.
ALLOWED_ID_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
METADATA_CACHE_SECONDS = 3600
CLOCK_LEEWAY_SECONDS = 60
MAX_LOGIN_SECONDS = 600  # a login that takes longer than this starts again


class OidcError(MotcuaError):
    """A login with the identity provider could not be completed; ``message`` is shown to the person."""

    http_status = 400
    default_code = "oidc_error"
    default_message = _("Signing in with the national identity provider did not work. Please try again.")


class OidcNotConfigured(OidcError):
    http_status = 404
    default_code = "oidc_not_configured"
    default_message = _("Signing in with the national identity provider is not available on this site.")


class OidcProviderUnavailable(OidcError):
    http_status = 502
    default_code = "oidc_provider_unavailable"
    default_message = _("The national identity provider cannot be reached at the moment. Please try again later.")


class OidcStateMismatch(OidcError):
    default_code = "oidc_state_mismatch"
    default_message = _(
        "This sign-in link is not valid or has expired (it may have been opened in another window). "
        "Please start signing in again."
    )


class OidcProviderRefused(OidcError):
    default_code = "oidc_provider_error"
    default_message = _("The national identity provider did not sign you in.")


class OidcInvalidToken(OidcError):
    default_code = "oidc_invalid_token"
    default_message = _(
        "The answer from the national identity provider could not be verified, so you were not signed in."
    )


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str = ""
    end_session_endpoint: str = ""
    token_endpoint_auth_methods_supported: tuple[str, ...] = ("client_secret_basic",)


@dataclass(frozen=True)
class AuthorisationRequest:
    """What the browser is sent to, and what the session must keep until the callback."""

    url: str
    state: str
    nonce: str
    code_verifier: str
    created_at: float = field(default_factory=time.time)

    def session_data(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "nonce": self.nonce,
            "code_verifier": self.code_verifier,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class LoginResult:
    issuer: str
    id_token: str
    id_token_claims: dict[str, Any]
    userinfo: dict[str, Any]


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OidcClient:
    """The relying party (Motcua) talking to one OpenID provider."""

    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        client_secret: str,
        scopes: str = "openid",
        acr_values: str = "",
        timeout: float = 10,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        scope_list = scopes.split()
        if "openid" not in scope_list:
            scope_list.insert(0, "openid")
        self.scopes = " ".join(scope_list)
        self.acr_values = acr_values
        self.timeout = timeout

    @classmethod
    def from_settings(cls) -> OidcClient:
        issuer = getattr(settings, "OIDC_ISSUER", "")
        client_id = getattr(settings, "OIDC_CLIENT_ID", "")
        if not issuer or not client_id:
            raise OidcNotConfigured()
        return cls(
            issuer=issuer,
            client_id=client_id,
            client_secret=getattr(settings, "OIDC_CLIENT_SECRET", ""),
            scopes=getattr(settings, "OIDC_SCOPES", "openid"),
            acr_values=getattr(settings, "OIDC_ACR_VALUES", ""),
            timeout=float(getattr(settings, "OIDC_TIMEOUT_SECONDS", 10)),
        )

    # -- HTTP ----------------------------------------------------------------------------------------------

    def _get_json(self, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = requests.get(url, timeout=self.timeout, **kwargs)
        except requests.RequestException as error:
            logger.warning("identity provider unreachable: %s", error)
            raise OidcProviderUnavailable() from error
        if response.status_code != 200:
            logger.warning("identity provider answered %s for %s", response.status_code, url)
            raise OidcProviderUnavailable()
        try:
            data = response.json()
        except ValueError as error:
            raise OidcProviderUnavailable() from error
        if not isinstance(data, dict):
            raise OidcProviderUnavailable()
        return data

    # -- metadata and keys -------------------------------------------------------------------------------

    def _cache_key(self, kind: str) -> str:
        digest = hashlib.sha256(self.issuer.encode("utf-8")).hexdigest()[:32]
        return f"motcua:oidc:{kind}:{digest}"

    def metadata(self) -> ProviderMetadata:
        """The provider's discovery document (cached for an hour); its issuer must be the configured one."""
        cached = cache.get(self._cache_key("metadata"))
        if isinstance(cached, ProviderMetadata):
            return cached
        data = self._get_json(f"{self.issuer}/.well-known/openid-configuration")
        if str(data.get("issuer", "")).rstrip("/") != self.issuer:
            logger.warning("identity provider metadata names another issuer: %r", data.get("issuer"))
            raise OidcProviderUnavailable()
        try:
            metadata = ProviderMetadata(
                issuer=str(data["issuer"]),
                authorization_endpoint=str(data["authorization_endpoint"]),
                token_endpoint=str(data["token_endpoint"]),
                jwks_uri=str(data["jwks_uri"]),
                userinfo_endpoint=str(data.get("userinfo_endpoint", "")),
                end_session_endpoint=str(data.get("end_session_endpoint", "")),
                token_endpoint_auth_methods_supported=tuple(
                    data.get("token_endpoint_auth_methods_supported") or ("client_secret_basic",)
                ),
            )
        except KeyError as error:
            raise OidcProviderUnavailable() from error
        cache.set(self._cache_key("metadata"), metadata, METADATA_CACHE_SECONDS)
        return metadata

    def key_set(self, *, refresh: bool = False) -> KeySet:
        """The provider's signing keys (JWKS), cached; ``refresh`` refetches them after a key rotation."""
        data = None if refresh else cache.get(self._cache_key("jwks"))
        if not isinstance(data, dict):
            data = self._get_json(self.metadata().jwks_uri)
            cache.set(self._cache_key("jwks"), data, METADATA_CACHE_SECONDS)
        try:
            return KeySet.import_key_set(data)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as error:
            raise OidcProviderUnavailable() from error

    # -- the flow ----------------------------------------------------------------------------------------

    def authorisation_request(self, *, redirect_uri: str) -> AuthorisationRequest:
        """A fresh authorisation URL with its own state, nonce and PKCE verifier."""
        state = secrets.token_urlsafe(32)
        nonce = secrets.token_urlsafe(32)
        code_verifier = secrets.token_urlsafe(64)
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": self.scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": pkce_challenge(code_verifier),
            "code_challenge_method": "S256",
        }
        if self.acr_values:
            params["acr_values"] = self.acr_values
        endpoint = self.metadata().authorization_endpoint
        separator = "&" if "?" in endpoint else "?"
        return AuthorisationRequest(
            url=f"{endpoint}{separator}{urlencode(params)}", state=state, nonce=nonce, code_verifier=code_verifier
        )

    def callback_check(self, *, params: dict[str, str], flow: dict[str, Any] | None) -> str:
        """Check the callback's state against the session's and return the authorisation code."""
        if not flow or not isinstance(flow, dict):
            raise OidcStateMismatch()
        if time.time() - float(flow.get("created_at", 0)) > MAX_LOGIN_SECONDS:
            raise OidcStateMismatch()
        if not constant_time_compare(str(params.get("state", "")), str(flow.get("state", ""))):
            raise OidcStateMismatch()
        if params.get("error"):
            logger.info("identity provider refused: %s", params.get("error"))
            if params["error"] == "access_denied":
                raise OidcProviderRefused(_("You cancelled signing in with the national identity provider."))
            raise OidcProviderRefused()
        code = params.get("code", "")
        if not code:
            raise OidcProviderRefused()
        return code

    def token_exchange(self, *, code: str, code_verifier: str, redirect_uri: str) -> dict[str, Any]:
        """Exchange the authorisation code (with the PKCE verifier) for tokens."""
        metadata = self.metadata()
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
        auth: tuple[str, str] | None = None
        methods = metadata.token_endpoint_auth_methods_supported
        if "client_secret_basic" in methods or "client_secret_post" not in methods:
            auth = (self.client_id, self.client_secret)
        else:
            data.update(client_id=self.client_id, client_secret=self.client_secret)
        try:
            response = requests.post(
                metadata.token_endpoint,
                data=data,
                auth=auth,
                timeout=self.timeout,
                headers={"Accept": "application/json"},
            )
        except requests.RequestException as error:
            raise OidcProviderUnavailable() from error
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        if response.status_code != 200 or not isinstance(payload, dict):
            error = payload.get("error", "") if isinstance(payload, dict) else ""
            logger.warning("token exchange refused: %s %s", response.status_code, str(error)[:100])
            raise OidcProviderRefused()
        if not payload.get("id_token") or not payload.get("access_token"):
            raise OidcInvalidToken()
        if str(payload.get("token_type", "Bearer")).lower() != "bearer":
            raise OidcInvalidToken()
        return payload

    def id_token_verify(self, *, id_token: str, nonce: str) -> dict[str, Any]:
        """Verify the ID token's signature with the provider's keys, then iss, aud, azp, exp, iat and nonce."""
        token = self._decode(id_token, refresh_keys_on_unknown_kid=True)
        claims = dict(token.claims)
        registry = jwt.JWTClaimsRegistry(
            leeway=CLOCK_LEEWAY_SECONDS,
            iss={"essential": True, "value": self.metadata().issuer},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(claims)
        except JoseError as error:
            logger.warning("ID token refused: %s", error)
            raise OidcInvalidToken() from error
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.client_id not in audiences:
            raise OidcInvalidToken()
        if len(audiences) > 1 and claims.get("azp") != self.client_id:
            raise OidcInvalidToken()
        return claims

    def _decode(self, value: str, *, refresh_keys_on_unknown_kid: bool) -> jwt.Token:
        try:
            return jwt.decode(value, self.key_set(), algorithms=ALLOWED_ID_TOKEN_ALGORITHMS)
        except JoseError as error:
            if refresh_keys_on_unknown_kid:
                # The provider may have rotated its keys since we cached them: fetch them once more.
                try:
                    return jwt.decode(value, self.key_set(refresh=True), algorithms=ALLOWED_ID_TOKEN_ALGORITHMS)
                except JoseError as second_error:
                    logger.warning("token signature refused: %s", second_error)
                    raise OidcInvalidToken() from second_error
            logger.warning("token signature refused: %s", error)
            raise OidcInvalidToken() from error
        except (ValueError, TypeError) as error:
            raise OidcInvalidToken() from error

    def userinfo(self, *, access_token: str, subject: str) -> dict[str, Any]:
        """The userinfo claims; their ``sub`` must be the ID token's (OpenID Connect Core 5.3.2)."""
        endpoint = self.metadata().userinfo_endpoint
        if not endpoint:
            raise OidcProviderUnavailable()
        try:
            response = requests.get(endpoint, headers={"Authorization": f"Bearer {access_token}"}, timeout=self.timeout)
        except requests.RequestException as error:
            raise OidcProviderUnavailable() from error
        if response.status_code != 200:
            raise OidcProviderRefused()
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        if content_type == "application/jwt":
            claims = dict(self._decode(response.text.strip(), refresh_keys_on_unknown_kid=True).claims)
            if claims.get("iss") not in (None, self.metadata().issuer):
                raise OidcInvalidToken()
        else:
            try:
                claims = response.json()
            except ValueError as error:
                raise OidcInvalidToken() from error
        if not isinstance(claims, dict) or str(claims.get("sub", "")) != subject:
            raise OidcInvalidToken()
        return claims

    def login_complete(self, *, params: dict[str, str], flow: dict[str, Any] | None, redirect_uri: str) -> LoginResult:
        """From the callback's query parameters to verified ID token claims and userinfo."""
        code = self.callback_check(params=params, flow=flow)
        assert flow is not None
        tokens = self.token_exchange(code=code, code_verifier=str(flow["code_verifier"]), redirect_uri=redirect_uri)
        claims = self.id_token_verify(id_token=str(tokens["id_token"]), nonce=str(flow["nonce"]))
        userinfo = self.userinfo(access_token=str(tokens["access_token"]), subject=str(claims["sub"]))
        return LoginResult(
            issuer=self.metadata().issuer, id_token=str(tokens["id_token"]), id_token_claims=claims, userinfo=userinfo
        )

    def end_session_url(self, *, id_token_hint: str, post_logout_redirect_uri: str) -> str | None:
        """Where to send the browser to sign out at the provider too, if it supports it."""
        try:
            endpoint = self.metadata().end_session_endpoint
        except OidcError:
            return None
        if not endpoint:
            return None
        params = {
            "id_token_hint": id_token_hint,
            "post_logout_redirect_uri": post_logout_redirect_uri,
            "client_id": self.client_id,
            "state": secrets.token_urlsafe(16),
        }
        separator = "&" if "?" in endpoint else "?"
        return f"{endpoint}{separator}{urlencode(params)}"


def oidc_enabled() -> bool:
    return bool(getattr(settings, "OIDC_ISSUER", "") and getattr(settings, "OIDC_CLIENT_ID", ""))
