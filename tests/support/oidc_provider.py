"""A small, real OpenID Connect provider for the tests: the national portal's SSO in miniature.

Run it as its own process::

    python tests/support/oidc_provider.py --port 0 --client-id motcua --client-secret s3cret \\
        --redirect-uri http://127.0.0.1:8000/accounts/oidc/callback/ \\
        --post-logout-redirect-uri http://127.0.0.1:8000/

It prints ``READY <port>`` once it listens on 127.0.0.1, then serves:

- ``/.well-known/openid-configuration`` discovery, ``/jwks`` its RSA public key;
- ``/authorize`` (authorisation-code flow with PKCE S256): checks the request and approves the configured
  test identity at once, redirecting to ``redirect_uri`` with ``code`` and ``state``;
- ``/token``: checks the client secret (HTTP Basic or form), the code (single use), ``redirect_uri`` and the
  PKCE verifier, and issues an RS256 ID token carrying the nonce;
- ``/userinfo``: the identity's claims in the national portal's names (LoaiTaiKhoan, SoDinhDanh, MaSoThue...);
- ``/logout``: end-session endpoint, redirecting to a registered ``post_logout_redirect_uri``;
- ``/_control`` (tests only): POST JSON ``{"identity": {...}, "mode": "..."}`` to choose who signs in and how
  the provider misbehaves (``unknown_key`` signs ID tokens with a key that is not published, ``wrong_nonce``,
  ``wrong_audience``, ``expired``, ``deny`` refuses the login, ``token_error_not_object`` answers the token
  request with an error whose body is not a JSON object); GET returns what the provider saw.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

DEFAULT_IDENTITY = {
    "sub": "vneid-citizen-0001",
    "LoaiTaiKhoan": 1,
    "SoDinhDanh": "001090000123",
    "HoVaTen": "Nguyễn Thị Lan",
    "DiaChi": "Số 1 Hoàng Hoa Thám, Ba Đình, Hà Nội",
    "SoDienThoai": "0912345678",
    "ThuDienTu": "lan.nguyen@example.vn",
}


class ProviderState:
    def __init__(
        self, *, issuer: str, client_id: str, client_secret: str, redirect_uris: list[str], logout_uris: list[str]
    ):
        self.issuer = issuer
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uris = redirect_uris
        self.logout_uris = logout_uris
        self.signing_key = RSAKey.generate_key(2048, parameters={"kid": "provider-key-1", "use": "sig", "alg": "RS256"})
        self.rogue_key = RSAKey.generate_key(2048, parameters={"kid": "rogue-key", "use": "sig", "alg": "RS256"})
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.identity: dict[str, Any] = dict(DEFAULT_IDENTITY)
            self.mode = ""
            self.codes: dict[str, dict[str, Any]] = {}
            self.access_tokens: dict[str, dict[str, Any]] = {}
            self.seen: dict[str, Any] = {"authorize": [], "token": [], "userinfo": 0, "logout": []}

    def jwks(self) -> dict[str, Any]:
        return KeySet([self.signing_key]).as_dict(private=False)


class Handler(BaseHTTPRequestHandler):
    server_version = "MotcuaTestOIDC/1.0"
    state: ProviderState  # set on the class by main()

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return

    # -- helpers -------------------------------------------------------------------------------------------

    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _query(self) -> dict[str, str]:
        return {key: values[0] for key, values in parse_qs(urlsplit(self.path).query).items()}

    def _form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8")
        return {key: values[0] for key, values in parse_qs(raw).items()}

    # -- routing -------------------------------------------------------------------------------------------

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        routes = {
            "/.well-known/openid-configuration": self.discovery,
            "/jwks": self.jwks,
            "/authorize": self.authorize,
            "/userinfo": self.userinfo,
            "/logout": self.logout,
            "/_control": self.control_get,
        }
        handler = routes.get(path)
        if handler is None:
            self._json(404, {"error": "not_found"})
        else:
            handler()

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        if path == "/token":
            self.token()
        elif path == "/_control":
            self.control_post()
        else:
            self._json(404, {"error": "not_found"})

    # -- endpoints -----------------------------------------------------------------------------------------

    def discovery(self) -> None:
        issuer = self.state.issuer
        self._json(
            200,
            {
                "issuer": issuer,
                "authorization_endpoint": f"{issuer}/authorize",
                "token_endpoint": f"{issuer}/token",
                "userinfo_endpoint": f"{issuer}/userinfo",
                "jwks_uri": f"{issuer}/jwks",
                "end_session_endpoint": f"{issuer}/logout",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "scopes_supported": ["openid", "profile", "email"],
            },
        )

    def jwks(self) -> None:
        self._json(200, self.state.jwks())

    def authorize(self) -> None:
        state = self.state
        params = self._query()
        state.seen["authorize"].append(params)
        redirect_uri = params.get("redirect_uri", "")
        if params.get("client_id") != state.client_id or redirect_uri not in state.redirect_uris:
            # Never redirect to an unregistered address (RFC 6749 4.1.2.1).
            self._json(400, {"error": "invalid_request", "error_description": "unknown client or redirect_uri"})
            return

        def refuse(error: str) -> None:
            self._redirect(f"{redirect_uri}?{urlencode({'error': error, 'state': params.get('state', '')})}")

        if params.get("response_type") != "code" or "openid" not in params.get("scope", "").split():
            refuse("invalid_request")
            return
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            refuse("invalid_request")
            return
        if state.mode == "deny":
            refuse("access_denied")
            return
        code = secrets.token_urlsafe(24)
        with state.lock:
            state.codes[code] = {
                "redirect_uri": redirect_uri,
                "nonce": params.get("nonce", ""),
                "code_challenge": params["code_challenge"],
                "acr": params.get("acr_values", ""),
                "identity": dict(state.identity),
                "issued_at": time.time(),
            }
        self._redirect(f"{redirect_uri}?{urlencode({'code': code, 'state': params.get('state', '')})}")

    def _client_authenticated(self, form: dict[str, str]) -> bool:
        header = self.headers.get("Authorization", "")
        if header.startswith("Basic "):
            try:
                client_id, _sep, secret = base64.b64decode(header[6:]).decode("utf-8").partition(":")
            except ValueError:
                return False
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        return secrets.compare_digest(client_id, self.state.client_id) and secrets.compare_digest(
            secret, self.state.client_secret
        )

    def token(self) -> None:
        state = self.state
        form = self._form()
        state.seen["token"].append({key: value for key, value in form.items() if key != "client_secret"})
        if not self._client_authenticated(form):
            self._json(401, {"error": "invalid_client"}, {"WWW-Authenticate": 'Basic realm="token"'})
            return
        if form.get("grant_type") != "authorization_code":
            self._json(400, {"error": "unsupported_grant_type"})
            return
        if state.mode == "token_error_not_object":
            self._json(400, ["invalid_grant"])
            return
        with state.lock:
            grant = state.codes.pop(form.get("code", ""), None)  # single use
        if grant is None or time.time() - grant["issued_at"] > 120:
            self._json(400, {"error": "invalid_grant"})
            return
        if form.get("redirect_uri") != grant["redirect_uri"]:
            self._json(400, {"error": "invalid_grant", "error_description": "redirect_uri"})
            return
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()
        if not verifier or not secrets.compare_digest(challenge, grant["code_challenge"]):
            self._json(400, {"error": "invalid_grant", "error_description": "PKCE verification failed"})
            return
        identity = grant["identity"]
        now = int(time.time())
        claims = {
            "iss": state.issuer,
            "sub": str(identity.get("sub", "")),
            "aud": state.client_id,
            "iat": now,
            "exp": now + 300,
            "auth_time": now,
            "nonce": grant["nonce"],
        }
        if grant["acr"]:
            claims["acr"] = grant["acr"].split()[0]
        key = state.signing_key
        if state.mode == "unknown_key":
            key = state.rogue_key
        elif state.mode == "wrong_nonce":
            claims["nonce"] = "not-the-nonce-you-sent"
        elif state.mode == "wrong_audience":
            claims["aud"] = "another-client"
        elif state.mode == "expired":
            claims["iat"] = now - 3600
            claims["exp"] = now - 1800
        id_token = jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, claims, key)
        access_token = secrets.token_urlsafe(32)
        with state.lock:
            state.access_tokens[access_token] = identity
        self._json(
            200,
            {"access_token": access_token, "token_type": "Bearer", "expires_in": 300, "id_token": id_token},
        )

    def userinfo(self) -> None:
        state = self.state
        header = self.headers.get("Authorization", "")
        identity = state.access_tokens.get(header[7:]) if header.startswith("Bearer ") else None
        if identity is None:
            self._json(401, {"error": "invalid_token"}, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
            return
        state.seen["userinfo"] += 1
        self._json(200, identity)

    def logout(self) -> None:
        state = self.state
        params = self._query()
        try:
            token = jwt.decode(params.get("id_token_hint", ""), state.signing_key, algorithms=["RS256"])
            subject = token.claims.get("sub")
        except Exception:
            subject = None
        state.seen["logout"].append({"sub": subject, **{k: v for k, v in params.items() if k != "id_token_hint"}})
        target = params.get("post_logout_redirect_uri", "")
        if target and target in state.logout_uris:
            separator = "&" if "?" in target else "?"
            self._redirect(f"{target}{separator}{urlencode({'state': params.get('state', '')})}")
        else:
            self._json(200, {"signed_out": True})

    def control_get(self) -> None:
        self._json(200, {"mode": self.state.mode, "identity": self.state.identity, "seen": self.state.seen})

    def control_post(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if body.get("reset"):
            self.state.reset()
        with self.state.lock:
            if "identity" in body:
                self.state.identity = dict(body["identity"])
            if "mode" in body:
                self.state.mode = str(body["mode"])
        self._json(200, {"ok": True})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--client-id", default="motcua")
    parser.add_argument("--client-secret", default="motcua-secret")
    parser.add_argument("--redirect-uri", action="append", default=[])
    parser.add_argument("--post-logout-redirect-uri", action="append", default=[])
    args = parser.parse_args(argv)

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    port = server.server_address[1]
    Handler.state = ProviderState(
        issuer=f"http://127.0.0.1:{port}",
        client_id=args.client_id,
        client_secret=args.client_secret,
        redirect_uris=args.redirect_uri,
        logout_uris=args.post_logout_redirect_uri,
    )
    print(f"READY {port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    sys.exit(main())
