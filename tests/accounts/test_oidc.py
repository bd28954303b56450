"""Login with the national identity provider, end to end against a real OIDC provider on 127.0.0.1.

The browser's part is played by ``requests`` (real HTTP to the provider) and Django's test client (our site);
the server side of Motcua does the real token exchange, signature check and userinfo call.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from motcua.accounts.models import User
from motcua.core.models import AuditEvent
from tests.accounts.conftest import OIDC_CLIENT_ID, SITE_URL, in_english
from tests.factories import OfficialFactory, tax_code

pytestmark = pytest.mark.django_db


def start_login(client, provider, next_url=""):
    """Our login view, then the provider's authorisation endpoint: returns the callback path with its query."""
    response = client.get("/accounts/oidc/login/" + (f"?next={next_url}" if next_url else ""))
    assert response.status_code == 302
    authorize_url = response["Location"]
    assert authorize_url.startswith(f"{provider.base_url}/authorize?")
    at_provider = requests.get(authorize_url, allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302, at_provider.text
    callback = urlsplit(at_provider.headers["Location"])
    assert f"{callback.scheme}://{callback.netloc}" == SITE_URL
    assert callback.path == "/accounts/oidc/callback/"
    return f"{callback.path}?{callback.query}", parse_qs(urlsplit(authorize_url).query)


def test_citizen_login_end_to_end(client, oidc_provider):
    callback, authorize_params = start_login(client, oidc_provider, next_url="/accounts/profile/")
    # What the national portal expects in the authorisation request.
    assert authorize_params["response_type"] == ["code"]
    assert authorize_params["client_id"] == [OIDC_CLIENT_ID]
    assert authorize_params["redirect_uri"] == [f"{SITE_URL}/accounts/oidc/callback/"]
    assert authorize_params["acr_values"] == ["vneid-level2"]
    assert authorize_params["code_challenge_method"] == ["S256"]
    assert "openid" in authorize_params["scope"][0].split()
    assert authorize_params["state"][0] and authorize_params["nonce"][0]

    response = client.get(callback)
    assert response.status_code == 302 and response["Location"] == "/accounts/profile/"
    user = User.objects.get(personal_id="001090000123")
    assert user.kind == User.Kind.CITIZEN and user.verified_by_identity_provider
    assert user.full_name == "Nguyễn Thị Lan" and user.phone == "0912345678"
    assert user.email == "lan.nguyen@example.vn" and "Ba Đình" in user.address
    assert (user.oidc_issuer, user.oidc_subject) == (oidc_provider.base_url, "vneid-citizen-0001")
    assert not user.has_usable_password()
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get("/accounts/profile/").status_code == 200  # citizens need no second factor

    seen = oidc_provider.seen()
    assert seen["userinfo"] == 1 and len(seen["token"]) == 1
    assert seen["token"][0]["code_verifier"]  # PKCE verifier was sent (and checked by the provider)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"accounts.user_created_from_identity_provider", "accounts.login_succeeded"} <= actions


def test_second_login_finds_the_same_account_and_updates_it(client, oidc_provider):
    callback, _params = start_login(client, oidc_provider)
    client.get(callback)
    client.post("/accounts/logout/")
    oidc_provider.control(
        identity={
            "sub": "vneid-citizen-0001",
            "LoaiTaiKhoan": "1",
            "SoDinhDanh": "001090000123",
            "HoVaTen": "Nguyễn Thị Lan",
            "SoDienThoai": "0987654321",
        }
    )
    callback, _params = start_login(client, oidc_provider)
    assert client.get(callback).status_code == 302
    assert User.objects.filter(personal_id="001090000123").count() == 1
    assert User.objects.get(personal_id="001090000123").phone == "0987654321"


def test_existing_citizen_is_linked_by_personal_id(client, oidc_provider, citizen):
    oidc_provider.control(
        identity={"sub": "key-42", "LoaiTaiKhoan": 1, "SoDinhDanh": citizen.personal_id, "HoVaTen": "Trần Văn An"}
    )
    callback, _params = start_login(client, oidc_provider)
    client.get(callback)
    citizen.refresh_from_db()
    assert citizen.oidc_subject == "key-42" and citizen.verified_by_identity_provider
    assert client.session["_auth_user_id"] == str(citizen.pk)


def test_business_login_end_to_end(client, oidc_provider):
    code = tax_code(4242)
    oidc_provider.control(
        identity={
            "sub": "vneid-business-77",
            "LoaiTaiKhoan": 2,
            "MaSoThue": code,
            "HoVaTen": "Công ty TNHH Sông Hồng",
            "DiaChi": "Hải Phòng",
            "ThuDienTu": "contact@songhong.example.vn",
        }
    )
    callback, _params = start_login(client, oidc_provider)
    assert client.get(callback).status_code == 302
    user = User.objects.get(tax_code=code)
    assert user.kind == User.Kind.BUSINESS and user.personal_id == ""
    assert user.organisation_name == "Công ty TNHH Sông Hồng" and user.display_name == "Công ty TNHH Sông Hồng"
    assert client.session["_auth_user_id"] == str(user.pk)


def test_standard_oidc_claims_are_understood(client, oidc_provider):
    oidc_provider.control(
        identity={
            "sub": "std-1",
            "SoDinhDanh": "079185000001",
            "name": "Lê Minh Châu",
            "email": "chau@example.vn",
            "phone_number": "0900000001",
            "address": {"formatted": "Quận 1, TP Hồ Chí Minh"},
        }
    )
    callback, _params = start_login(client, oidc_provider)
    client.get(callback)
    user = User.objects.get(personal_id="079185000001")
    assert (user.full_name, user.email, user.phone, user.address) == (
        "Lê Minh Châu",
        "chau@example.vn",
        "0900000001",
        "Quận 1, TP Hồ Chí Minh",
    )


def test_tampered_state_is_refused(client, oidc_provider):
    in_english(client)
    callback, _params = start_login(client, oidc_provider)
    path, query = callback.split("?", 1)
    params = parse_qs(query)
    tampered = f"{path}?code={params['code'][0]}&state=forged-{params['state'][0][:10]}"
    response = client.get(tampered)
    assert response.status_code == 400
    assert "not valid or has expired" in response.content.decode()
    assert "_auth_user_id" not in client.session and not User.objects.exists()
    assert oidc_provider.seen()["token"] == []  # refused before talking to the provider
    # The flow was single use: replaying the genuine callback now fails too.
    assert client.get(callback).status_code == 400


def test_callback_without_a_started_login_is_refused(client, oidc_provider):
    response = client.get("/accounts/oidc/callback/?code=abc&state=def")
    assert response.status_code == 400 and not User.objects.exists()


@pytest.mark.parametrize("mode", ["unknown_key", "wrong_nonce", "wrong_audience", "expired"])
def test_bad_id_tokens_are_refused(client, oidc_provider, mode):
    in_english(client)
    oidc_provider.control(mode=mode)
    callback, _params = start_login(client, oidc_provider)
    response = client.get(callback)
    assert response.status_code == 400
    assert "could not be verified" in response.content.decode()
    assert "_auth_user_id" not in client.session and not User.objects.exists()
    assert oidc_provider.seen()["userinfo"] == 0


def test_token_error_that_is_not_a_json_object_is_a_refusal_not_a_crash(client, oidc_provider):
    in_english(client)
    oidc_provider.control(mode="token_error_not_object")
    callback, _params = start_login(client, oidc_provider)
    response = client.get(callback)
    assert response.status_code == 400 and "did not sign you in" in response.content.decode()
    assert "_auth_user_id" not in client.session and not User.objects.exists()


def test_provider_refusal_is_explained(client, oidc_provider):
    in_english(client)
    oidc_provider.control(mode="deny")
    callback, _params = start_login(client, oidc_provider)
    response = client.get(callback)
    assert response.status_code == 400 and "cancelled" in response.content.decode()
    assert not User.objects.exists()


def test_invalid_personal_id_is_refused_and_nothing_is_created(client, oidc_provider):
    in_english(client)
    oidc_provider.control(identity={"sub": "bad-1", "LoaiTaiKhoan": 1, "SoDinhDanh": "999190000001", "HoVaTen": "X"})
    events = AuditEvent.objects.count()
    callback, _params = start_login(client, oidc_provider)
    response = client.get(callback)
    assert response.status_code == 422
    assert "identification number that is not valid" in response.content.decode()
    assert not User.objects.exists() and AuditEvent.objects.count() == events
    assert "_auth_user_id" not in client.session


def test_official_account_cannot_sign_in_through_the_provider(client, oidc_provider):
    official = OfficialFactory(personal_id="001090000123")
    callback, _params = start_login(client, oidc_provider)
    response = client.get(callback)
    assert response.status_code == 403 and "_auth_user_id" not in client.session
    official.refresh_from_db()
    assert official.oidc_subject == "" and not official.verified_by_identity_provider


def test_logout_also_ends_the_provider_session(client, oidc_provider):
    callback, _params = start_login(client, oidc_provider)
    client.get(callback)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    end_session = urlsplit(response["Location"])
    assert f"{end_session.scheme}://{end_session.netloc}{end_session.path}" == f"{oidc_provider.base_url}/logout"
    params = parse_qs(end_session.query)
    assert params["post_logout_redirect_uri"] == [f"{SITE_URL}/"] and params["id_token_hint"]
    assert "_auth_user_id" not in client.session
    back = requests.get(response["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302 and back.headers["Location"].startswith(f"{SITE_URL}/")
    assert oidc_provider.seen()["logout"][0]["sub"] == "vneid-citizen-0001"


def test_oidc_pages_are_absent_when_not_configured(client, settings):
    settings.OIDC_ISSUER = ""
    assert client.get("/accounts/oidc/login/").status_code == 404
    assert client.get("/accounts/oidc/callback/?code=a&state=b").status_code == 404


def test_unreachable_provider_is_explained(client, settings):
    in_english(client)
    settings.OIDC_ISSUER = "http://127.0.0.1:9"  # discard port: nothing listens
    settings.OIDC_CLIENT_ID = "motcua"
    settings.OIDC_TIMEOUT_SECONDS = 2
    response = client.get("/accounts/oidc/login/")
    assert response.status_code == 502 and "cannot be reached" in response.content.decode()
