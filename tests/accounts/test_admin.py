"""The admin goes through the services: API clients created and rotated with the secret shown once."""

from __future__ import annotations

import time

import pytest
from django.contrib.messages import get_messages

from motcua.accounts.models import ApiClient, User
from motcua.accounts.services import api_client_authenticate
from motcua.core.models import AuditEvent
from tests.accounts.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_browser(client, official_with_totp):
    """A platform superuser who signed in through the admin login and passed the second factor."""
    user, totp, _codes = official_with_totp
    User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
    response = client.post("/admin/login/?next=/admin/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 302  # not yet: second factor first
    client.post("/accounts/second-factor/verify/", {"token": totp.at(time.time() + 30)})
    assert client.get("/admin/").status_code == 200
    return client


def test_admin_login_goes_through_the_lockout_backend(client, settings):
    settings.LOGIN_MAX_FAILURES = 2
    staff = UserFactory(is_staff=True)
    for _ in range(2):
        client.post("/admin/login/", {"username": staff.username, "password": "wrong"})
    staff.refresh_from_db()
    assert staff.locked_until is not None
    response = client.post("/admin/login/", {"username": staff.username, "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_admin_creates_an_api_client_and_shows_the_token_once(admin_browser):
    response = admin_browser.post(
        "/admin/accounts/apiclient/add/",
        {"name": "Trục liên thông", "organisation_code": "000.00.00.G22", "scopes": '["documents:send"]'},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    client = ApiClient.objects.get()
    assert client.scopes == ["documents:send"]
    token = next(str(m).rsplit(" ", 1)[1] for m in get_messages(response.wsgi_request) if client.client_id in str(m))
    assert api_client_authenticate(token=token) == client
    assert AuditEvent.objects.filter(action="accounts.api_client_created").exists()


def test_admin_shows_bad_api_client_input_as_form_errors_and_writes_nothing(admin_browser):
    events = AuditEvent.objects.count()
    response = admin_browser.post(
        "/admin/accounts/apiclient/add/",
        # A JSON string, not a list: it must not be read letter by letter.
        {"name": "Trục liên thông", "organisation_code": "not-a-code", "scopes": '"documents:send"'},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"organisation_code", "scopes"}
    assert not ApiClient.objects.exists() and AuditEvent.objects.count() == events


def test_admin_rotates_and_deactivates_through_the_services(admin_browser, platform_admin):
    from motcua.accounts.services import api_client_create

    client, secret = api_client_create(actor=platform_admin, name="LGSP", scopes=[])
    response = admin_browser.post(
        "/admin/accounts/apiclient/", {"action": "rotate_secret", "_selected_action": [str(client.pk)]}
    )
    assert response.status_code == 302
    client.refresh_from_db()
    assert client.rotated_at is not None and client.previous_secret_valid_until is not None
    admin_browser.post("/admin/accounts/apiclient/", {"action": "deactivate", "_selected_action": [str(client.pk)]})
    client.refresh_from_db()
    assert not client.is_active
    assert api_client_authenticate(token=f"{client.client_id}.{secret}") is None


def test_admin_user_changes_are_limited_and_audited(admin_browser, citizen):
    page = admin_browser.get(f"/admin/accounts/user/{citizen.pk}/change/")
    assert page.status_code == 200
    assert 'name="personal_id"' not in page.content.decode()  # identity fields are read-only
    response = admin_browser.post(
        f"/admin/accounts/user/{citizen.pk}/change/",
        {
            "full_name": "Tên mới",
            "email": citizen.email,
            "phone": "",
            "address": "",
            "preferred_language": "vi",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.full_name == "Tên mới"
    assert AuditEvent.objects.filter(action="accounts.user_updated", object_id=str(citizen.pk)).exists()
    assert admin_browser.get("/admin/accounts/user/add/").status_code == 403
