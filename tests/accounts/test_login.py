"""Password login: lockout, unlock after the window, rate limits, generic refusals, audit events, the page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import authenticate
from django.utils import timezone, translation

from motcua.accounts.models import User
from motcua.accounts.services import user_authenticate_password, user_unlock
from motcua.core.exceptions import PermissionDenied, RateLimited, ValidationFailed
from motcua.core.models import AuditEvent
from tests.accounts.conftest import PASSWORD, in_english
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def attempt(username, password, address="10.0.0.1"):
    return user_authenticate_password(username=username, password=password, client_address=address)


def actions():
    return list(AuditEvent.objects.order_by("sequence").values_list("action", flat=True))


def test_correct_password_signs_in_and_is_audited(citizen):
    user = attempt(citizen.username, PASSWORD)
    assert user == citizen
    user.refresh_from_db()
    assert user.last_login is not None and user.failed_login_count == 0
    event = AuditEvent.objects.get(action="accounts.login_succeeded")
    assert event.object_id == str(citizen.pk) and event.actor_id == citizen.pk
    assert event.after == {"method": "password"}


def test_wrong_password_and_unknown_user_get_the_same_generic_refusal(citizen):
    with pytest.raises(ValidationFailed) as wrong_password:
        attempt(citizen.username, "not-the-password")
    with pytest.raises(ValidationFailed) as unknown_user:
        attempt("nobody-by-that-name", "not-the-password")
    assert wrong_password.value.code == unknown_user.value.code == "login_failed"
    assert str(wrong_password.value.message) == str(unknown_user.value.message)
    with translation.override("en"):
        assert "username or password" in str(wrong_password.value.message)
    assert actions() == ["accounts.login_failed", "accounts.login_failed"]
    reasons = [event.after["reason"] for event in AuditEvent.objects.order_by("sequence")]
    assert reasons == ["wrong_password", "unknown_username"]


def test_an_unknown_username_is_kept_only_as_a_fingerprint(citizen):
    # Someone typing their password into the username box must not leave it in the append-only trail.
    for _ in range(2):
        with pytest.raises(ValidationFailed):
            attempt("Mat-khau-bi-go-nham", "x")
    first, second = AuditEvent.objects.order_by("sequence")
    assert "Mat-khau-bi-go-nham" not in str(first.after) + first.object_label
    assert first.after["username_fingerprint"] == second.after["username_fingerprint"]
    assert first.object_label == f"unknown:{first.after['username_fingerprint']}"


def test_failed_attempts_are_counted_even_though_the_service_raises(citizen):
    for expected in (1, 2):
        with pytest.raises(ValidationFailed):
            attempt(citizen.username, "wrong")
        citizen.refresh_from_db()
        assert citizen.failed_login_count == expected


def test_account_locks_after_max_failures_even_for_the_right_password(citizen, settings):
    settings.LOGIN_MAX_FAILURES = 3
    settings.LOGIN_LOCKOUT_MINUTES = 10
    for _ in range(2):
        with pytest.raises(ValidationFailed):
            attempt(citizen.username, "wrong")
    with pytest.raises(PermissionDenied) as third:
        attempt(citizen.username, "wrong")
    assert third.value.code == "account_locked"
    citizen.refresh_from_db()
    remaining = citizen.locked_until - timezone.now()
    assert dt.timedelta(minutes=9) < remaining <= dt.timedelta(minutes=10)
    assert "accounts.login_locked" in actions()

    with pytest.raises(PermissionDenied) as while_locked:
        attempt(citizen.username, PASSWORD)
    assert while_locked.value.code == "account_locked"
    assert authenticate(username=citizen.username, password=PASSWORD) is None  # the admin's door too


def test_account_unlocks_after_the_window_and_success_resets_the_counter(citizen, settings):
    settings.LOGIN_MAX_FAILURES = 2
    for _ in range(2):
        with pytest.raises((ValidationFailed, PermissionDenied)):
            attempt(citizen.username, "wrong")
    User.objects.filter(pk=citizen.pk).update(locked_until=timezone.now() - dt.timedelta(seconds=1))
    assert attempt(citizen.username, PASSWORD) == citizen
    citizen.refresh_from_db()
    assert citizen.failed_login_count == 0 and citizen.locked_until is None


def test_a_wrong_password_after_the_window_starts_counting_again(citizen, settings):
    settings.LOGIN_MAX_FAILURES = 2
    for _ in range(2):
        with pytest.raises((ValidationFailed, PermissionDenied)):
            attempt(citizen.username, "wrong")
    User.objects.filter(pk=citizen.pk).update(locked_until=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(ValidationFailed):
        attempt(citizen.username, "wrong")
    citizen.refresh_from_db()
    assert citizen.failed_login_count == 1 and citizen.locked_until is None


def test_unknown_usernames_lock_like_real_ones_so_lockout_reveals_nothing(settings):
    settings.LOGIN_MAX_FAILURES = 2
    with pytest.raises(ValidationFailed):
        attempt("ghost", "wrong")
    with pytest.raises(PermissionDenied) as locked:
        attempt("ghost", "wrong")
    assert locked.value.code == "account_locked"


def test_a_locked_account_costs_a_password_hash_like_an_unknown_username(citizen, settings, monkeypatch):
    """No timing difference between "locked" for a real account and for a made-up one (counted, not timed)."""
    from motcua.accounts import services

    settings.LOGIN_MAX_FAILURES = 1
    for username in (citizen.username, "ghost"):
        with pytest.raises(PermissionDenied):
            attempt(username, "wrong")
    hashed = []
    real_check_password = services.check_password
    monkeypatch.setattr(services, "check_password", lambda *a, **k: hashed.append(1) or real_check_password(*a, **k))
    for username in (citizen.username, "ghost"):
        hashed.clear()
        with pytest.raises(PermissionDenied) as locked:
            attempt(username, "wrong")
        assert locked.value.code == "account_locked" and len(hashed) == 1, username


def test_inactive_account_gets_the_generic_refusal():
    user = UserFactory(is_active=False)
    with pytest.raises(ValidationFailed) as refused:
        attempt(user.username, PASSWORD)
    assert refused.value.code == "login_failed"


def test_rate_limit_per_client_address(settings):
    settings.LOGIN_RATE_PER_MINUTE = 3
    for index in range(3):
        with pytest.raises(ValidationFailed):
            attempt(f"someone{index}", "wrong", address="192.0.2.7")
    with pytest.raises(RateLimited):
        attempt("someone-else", "wrong", address="192.0.2.7")
    # Another address is not affected.
    with pytest.raises(ValidationFailed):
        attempt("someone-else", "wrong", address="192.0.2.8")


def test_rate_limit_per_username_across_addresses(citizen, settings):
    settings.LOGIN_RATE_PER_MINUTE = 2
    settings.LOGIN_MAX_FAILURES = 100
    for index in range(2):
        with pytest.raises(ValidationFailed):
            attempt(citizen.username, "wrong", address=f"198.51.100.{index}")
    with pytest.raises(RateLimited):
        attempt(citizen.username, PASSWORD, address="198.51.100.99")
    citizen.refresh_from_db()
    assert citizen.last_login is None  # the rate limit is checked before the password


def test_unlock_by_platform_admin_and_refused_for_others(citizen, platform_admin, settings):
    settings.LOGIN_MAX_FAILURES = 1
    with pytest.raises(PermissionDenied):
        attempt(citizen.username, "wrong")
    other = UserFactory()
    with pytest.raises(PermissionDenied):
        user_unlock(actor=other, user=citizen)
    citizen.refresh_from_db()
    assert citizen.locked_until is not None
    user_unlock(actor=platform_admin, user=citizen)
    citizen.refresh_from_db()
    assert citizen.locked_until is None and citizen.failed_login_count == 0
    assert "accounts.user_unlocked" in actions()


@pytest.mark.django_db(transaction=True)
def test_failure_counter_is_committed_to_the_database(settings):
    """Outside the test transaction: the counter survives the exception for real."""
    user = UserFactory()
    with pytest.raises(ValidationFailed):
        attempt(user.username, "wrong")
    assert User.objects.get(pk=user.pk).failed_login_count == 1
    assert AuditEvent.objects.filter(action="accounts.login_failed").count() == 1


# -- the page -------------------------------------------------------------------------------------------------


def test_login_page_is_accessible_and_translated(client, settings):
    settings.OIDC_ISSUER = ""
    response = client.get("/accounts/login/")
    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="vi"' in body  # Vietnamese by default
    assert 'autocomplete="username"' in body and 'autocomplete="current-password"' in body
    assert 'for="id_username"' in body and 'for="id_password"' in body
    assert "VNeID" not in body  # no identity provider configured
    english = in_english(client).get("/accounts/login/").content.decode()
    assert '<html lang="en"' in english and "Sign in" in english and "Username" in english


def test_login_page_shows_the_identity_provider_link_when_configured(client, settings):
    in_english(client)
    settings.OIDC_ISSUER = "https://sso.example.vn"
    settings.OIDC_CLIENT_ID = "motcua"
    body = client.get("/accounts/login/?next=/accounts/profile/").content.decode()
    assert "Sign in with the national identity provider (VNeID)" in body
    assert "/accounts/oidc/login/?next=/accounts/profile/" in body


def test_login_page_signs_in_cycles_the_session_and_follows_a_safe_next(client, citizen):
    client.get("/accounts/login/")
    before = client.session.session_key
    response = client.post(
        "/accounts/login/", {"username": citizen.username, "password": PASSWORD, "next": "/accounts/profile/"}
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/profile/"
    assert client.session["_auth_user_id"] == str(citizen.pk)
    assert client.session.session_key != before


def test_login_page_ignores_a_next_to_another_site(client, citizen):
    response = client.post(
        "/accounts/login/", {"username": citizen.username, "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and "evil" not in response["Location"]


def test_login_page_shows_an_error_summary_and_stays_signed_out(client, citizen):
    in_english(client)
    response = client.post("/accounts/login/", {"username": citizen.username, "password": "wrong"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'class="error-summary"' in body and "The username or password is not correct." in body
    assert "_auth_user_id" not in client.session


def test_login_page_shows_lockout_and_rate_limit(client, citizen, settings):
    in_english(client)
    settings.LOGIN_MAX_FAILURES = 1
    locked = client.post("/accounts/login/", {"username": citizen.username, "password": "wrong"})
    assert locked.status_code == 403 and "locked" in locked.content.decode()
    settings.LOGIN_RATE_PER_MINUTE = 1
    limited = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert limited.status_code == 429 and "Too many attempts" in limited.content.decode()


def test_logout_is_a_post_and_is_audited(client, citizen):
    client.force_login(citizen)
    confirm = client.get("/accounts/logout/")
    assert confirm.status_code == 200 and "_auth_user_id" in client.session
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="accounts.logout", object_id=str(citizen.pk)).exists()


def test_profile_shows_the_account_and_changes_the_language(client, citizen):
    in_english(client)
    assert client.get("/accounts/profile/").status_code == 302  # signed out: to the login page
    client.force_login(citizen)
    body = client.get("/accounts/profile/").content.decode()
    assert citizen.personal_id in body and citizen.full_name in body and "Citizen" in body
    response = client.post("/accounts/profile/", {"preferred_language": "fr"})
    assert response.status_code == 302 and response.cookies["django_language"].value == "fr"
    citizen.refresh_from_db()
    assert citizen.preferred_language == "fr"
    assert AuditEvent.objects.filter(action="accounts.user_updated").exists()
    refused = client.post("/accounts/profile/", {"preferred_language": "xx"})
    assert refused.status_code == 200
    citizen.refresh_from_db()
    assert citizen.preferred_language == "fr"
