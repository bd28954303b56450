"""API clients: create, authenticate, rotate with a grace period, deactivate; and the HTTP API around them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from motcua.accounts.models import ApiClient
from motcua.accounts.services import (
    api_client_authenticate,
    api_client_create,
    api_client_deactivate,
    api_client_rotate,
)
from motcua.core.exceptions import NotAuthenticated, PermissionDenied, ValidationFailed
from motcua.core.models import AuditEvent
from tests.support.sessions import sign_in_with_second_factor

pytestmark = pytest.mark.django_db


@pytest.fixture
def verified_admin_client(client, platform_admin):
    """A browser session of a platform administrator that passed the second factor."""
    return sign_in_with_second_factor(client, platform_admin)


def test_create_stores_only_a_hash_and_the_token_authenticates(platform_admin):
    client, secret = api_client_create(
        actor=platform_admin, name="Cổng DVC quốc gia", scopes=["dossiers:read"], organisation_code="000.00.00.G22"
    )
    assert secret not in client.secret_hash and client.secret_hash.count("$") >= 1
    assert api_client_authenticate(token=f"{client.client_id}.{secret}") == client
    client.refresh_from_db()
    assert client.last_used_at is not None
    event = AuditEvent.objects.get(action="accounts.api_client_created")
    assert "secret_hash" not in event.after and secret not in str(event.after)


def test_wrong_secret_unknown_client_and_malformed_tokens_are_refused(platform_admin):
    client, secret = api_client_create(actor=platform_admin, name="LGSP", scopes=[])
    for token in (
        f"{client.client_id}.{secret}x",
        f"{client.client_id}.",
        f"unknown.{secret}",
        secret,
        "",
        f"{client.client_id}",
    ):
        assert api_client_authenticate(token=token) is None, token


def test_last_used_is_written_at_most_once_a_minute(platform_admin):
    client, secret = api_client_create(actor=platform_admin, name="LGSP", scopes=[])
    api_client_authenticate(token=f"{client.client_id}.{secret}")
    first = ApiClient.objects.get(pk=client.pk).last_used_at
    api_client_authenticate(token=f"{client.client_id}.{secret}")
    assert ApiClient.objects.get(pk=client.pk).last_used_at == first
    ApiClient.objects.filter(pk=client.pk).update(last_used_at=first - dt.timedelta(minutes=2))
    api_client_authenticate(token=f"{client.client_id}.{secret}")
    assert ApiClient.objects.get(pk=client.pk).last_used_at > first


def test_rotation_keeps_the_old_secret_for_the_grace_period_only(platform_admin, settings):
    settings.API_CLIENT_ROTATION_GRACE_HOURS = 2
    client, old_secret = api_client_create(actor=platform_admin, name="LGSP", scopes=[])
    assert api_client_authenticate(token=f"{client.client_id}.{old_secret}")  # remembered in the cache
    new_secret = api_client_rotate(actor=platform_admin, client_id=client.client_id)
    assert new_secret != old_secret
    assert api_client_authenticate(token=f"{client.client_id}.{new_secret}") is not None
    assert api_client_authenticate(token=f"{client.client_id}.{old_secret}") is not None
    client.refresh_from_db()
    assert (
        dt.timedelta(hours=1, minutes=59) < client.previous_secret_valid_until - timezone.now() <= dt.timedelta(hours=2)
    )
    ApiClient.objects.filter(pk=client.pk).update(previous_secret_valid_until=timezone.now() - dt.timedelta(seconds=1))
    assert api_client_authenticate(token=f"{client.client_id}.{old_secret}") is None
    assert api_client_authenticate(token=f"{client.client_id}.{new_secret}") is not None


def test_deactivation_stops_every_secret_at_once(platform_admin):
    client, secret = api_client_create(actor=platform_admin, name="LGSP", scopes=[])
    assert api_client_authenticate(token=f"{client.client_id}.{secret}")
    api_client_deactivate(actor=platform_admin, client_id=client.client_id)
    assert api_client_authenticate(token=f"{client.client_id}.{secret}") is None
    assert AuditEvent.objects.filter(action="accounts.api_client_deactivated").exists()


def test_invalid_scopes_and_organisation_code_are_refused(platform_admin):
    with pytest.raises(ValidationFailed) as bad_code:
        api_client_create(actor=platform_admin, name="X", scopes=[], organisation_code="bad")
    assert set(bad_code.value.details) == {"organisation_code"}
    with pytest.raises(ValidationFailed) as bad_scope:
        api_client_create(actor=platform_admin, name="X", scopes=["Not A Scope!"])
    assert set(bad_scope.value.details) == {"scopes"}
    with pytest.raises(ValidationFailed) as no_name:
        api_client_create(actor=platform_admin, name="  ", scopes=[])
    assert set(no_name.value.details) == {"name"}
    for not_a_list in ("dossiers:read", {"dossiers:read": True}, 7):
        with pytest.raises(ValidationFailed) as bad_type:
            api_client_create(actor=platform_admin, name="X", scopes=not_a_list)
        assert set(bad_type.value.details) == {"scopes"}
    with pytest.raises(ValidationFailed) as everything_wrong:
        api_client_create(actor=platform_admin, name="", scopes=["Bad!"], organisation_code="bad")
    assert set(everything_wrong.value.details) == {"name", "scopes", "organisation_code"}
    assert not ApiClient.objects.exists()


def test_non_admins_are_refused_with_nothing_written(platform_admin, citizen, official):
    client, secret = api_client_create(actor=platform_admin, name="LGSP", scopes=[])
    events = AuditEvent.objects.count()
    for actor in (citizen, official, client):
        with pytest.raises(PermissionDenied):
            api_client_create(actor=actor, name="Rogue", scopes=[])
        with pytest.raises(PermissionDenied):
            api_client_rotate(actor=actor, client_id=client.client_id)
        with pytest.raises(PermissionDenied):
            api_client_deactivate(actor=actor, client_id=client.client_id)
    with pytest.raises(NotAuthenticated):
        api_client_create(actor=None, name="Rogue", scopes=[])
    assert ApiClient.objects.count() == 1 and AuditEvent.objects.count() == events
    client.refresh_from_db()
    assert client.is_active and client.rotated_at is None
    assert api_client_authenticate(token=f"{client.client_id}.{secret}") is not None


# -- HTTP API -------------------------------------------------------------------------------------------------


def test_api_create_rotate_deactivate_and_list(verified_admin_client):
    created = verified_admin_client.post(
        "/api/v1/accounts/api-clients",
        {"name": "Hệ thống LGSP", "scopes": ["dossiers:read"], "organisation_code": "000.00.00.H29"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert "no-store" in created["Cache-Control"]
    body = created.json()
    token = body["token"]
    client_id = body["client"]["client_id"]
    assert token == f"{client_id}.{body['secret']}"

    # The new client calls the API with its bearer token (no session).
    from django.test import Client

    machine = Client()
    assert machine.get("/api/v1/accounts/api-clients", headers={"authorization": f"Bearer {token}"}).status_code == 403
    assert machine.get("/api/v1/accounts/me", headers={"authorization": "Bearer wrong.token"}).status_code == 401

    listed = verified_admin_client.get("/api/v1/accounts/api-clients").json()
    assert [item["client_id"] for item in listed] == [client_id]
    assert "secret" not in listed[0] and "secret_hash" not in listed[0]

    rotated = verified_admin_client.post(f"/api/v1/accounts/api-clients/{client_id}/rotate")
    assert rotated.status_code == 200 and rotated.json()["client"]["previous_secret_valid_until"]
    assert rotated.json()["secret"] != body["secret"]

    deactivated = verified_admin_client.post(f"/api/v1/accounts/api-clients/{client_id}/deactivate")
    assert deactivated.status_code == 200 and deactivated.json()["is_active"] is False
    assert api_client_authenticate(token=rotated.json()["token"]) is None

    missing = verified_admin_client.post("/api/v1/accounts/api-clients/nope/rotate")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/accounts/api-clients"),
        ("post", "/api/v1/accounts/api-clients"),
        ("post", "/api/v1/accounts/api-clients/{client_id}/rotate"),
        ("post", "/api/v1/accounts/api-clients/{client_id}/deactivate"),
    ],
)
def test_api_client_endpoints_refuse_wrong_actors_and_change_nothing(client, citizen, platform_admin, method, path):
    existing, secret = api_client_create(actor=platform_admin, name="LGSP", scopes=[])
    url = path.format(client_id=existing.client_id)
    events = AuditEvent.objects.count()
    payload = {"name": "Rogue", "scopes": []}

    anonymous = getattr(client, method)(url, payload, content_type="application/json")
    assert anonymous.status_code == 401

    client.force_login(citizen)
    as_citizen = getattr(client, method)(url, payload, content_type="application/json")
    assert as_citizen.status_code == 403 and as_citizen.json()["code"] == "permission_denied"

    as_machine = getattr(client.__class__(), method)(
        url,
        payload,
        content_type="application/json",
        headers={"authorization": f"Bearer {existing.client_id}.{secret}"},
    )
    assert as_machine.status_code == 403

    existing.refresh_from_db()
    assert ApiClient.objects.count() == 1 and existing.is_active and existing.rotated_at is None
    assert AuditEvent.objects.count() == events


def test_me_for_users_and_not_for_api_clients(client, citizen, platform_admin):
    assert client.get("/api/v1/accounts/me").status_code == 401
    client.force_login(citizen)
    me = client.get("/api/v1/accounts/me").json()
    assert me["personal_id"] == citizen.personal_id and me["kind"] == "citizen"
    assert me["second_factor_enabled"] is False and me["roles"] == []
    machine, secret = api_client_create(actor=platform_admin, name="LGSP", scopes=[])
    response = client.__class__().get(
        "/api/v1/accounts/me", headers={"authorization": f"Bearer {machine.client_id}.{secret}"}
    )
    assert response.status_code == 403 and response.json()["code"] == "user_required"


def test_session_api_writes_need_the_csrf_token(citizen, platform_admin):
    from django.test import Client

    browser = sign_in_with_second_factor(Client(enforce_csrf_checks=True), platform_admin)
    response = browser.post("/api/v1/accounts/api-clients", {"name": "X"}, content_type="application/json")
    assert response.status_code in (401, 403)
    assert not ApiClient.objects.exists()
