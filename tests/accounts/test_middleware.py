"""Officials (and staff) pass a second factor before anything else; citizens are not forced."""

from __future__ import annotations

import time

import pytest

from tests.accounts.conftest import PASSWORD
from tests.factories import UserFactory
from tests.support.sessions import sign_in_with_second_factor

pytestmark = pytest.mark.django_db


def test_official_without_device_is_sent_to_setup(client, official):
    client.force_login(official)
    response = client.get("/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/second-factor/setup/?next=%2Faccounts%2Fprofile%2F"


def test_official_with_device_is_sent_to_verify(client, official_with_totp):
    user, _totp, _codes = official_with_totp
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/second-factor/verify/")


def test_password_login_of_an_official_goes_to_the_second_factor(client, official_with_totp):
    user, _totp, _codes = official_with_totp
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD, "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/second-factor/verify/?next=%2F"


def test_api_gets_a_json_403_until_verified(client, official_with_totp):
    user, totp, _codes = official_with_totp
    client.force_login(user)
    response = client.get("/api/v1/accounts/me")
    assert response.status_code == 403
    assert response.json()["code"] == "second_factor_required"
    assert response.json()["details"]["url"] == "/accounts/second-factor/verify/"
    client.post("/accounts/second-factor/verify/", {"token": totp.at(time.time() + 30)})
    verified = client.get("/api/v1/accounts/me")
    assert verified.status_code == 200 and verified.json()["username"] == user.username


def test_admin_requires_the_second_factor_too(client, official):
    staff = UserFactory(is_staff=True, is_superuser=True, kind="citizen")
    client.force_login(staff)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/second-factor/setup/")


def test_allowed_pages_stay_reachable(client, official):
    client.force_login(official)
    assert client.get("/accounts/second-factor/setup/").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/logout/").status_code == 200
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302
    assert client.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_citizens_are_not_forced(client, citizen):
    client.force_login(citizen)
    assert client.get("/accounts/profile/").status_code == 200
    assert client.get("/api/v1/accounts/me").status_code == 200


def test_the_requirement_can_be_switched_off(client, official, settings):
    settings.OFFICIALS_REQUIRE_2FA = False
    client.force_login(official)
    assert client.get("/accounts/profile/").status_code == 200


def test_the_test_helper_gives_a_verified_official_session(client, official):
    sign_in_with_second_factor(client, official)
    assert client.get("/accounts/profile/").status_code == 200
    assert client.get("/api/v1/accounts/me").status_code == 200
