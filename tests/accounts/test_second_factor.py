"""TOTP set-up, confirmation and verification with real codes (pyotp), throttling, single-use backup codes."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from motcua.accounts import services
from motcua.core.exceptions import InvalidState, PermissionDenied, RateLimited, ValidationFailed
from motcua.core.models import AuditEvent
from tests.accounts.conftest import in_english, totp_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_start_creates_an_unconfirmed_device_with_an_otpauth_uri(official, settings):
    settings.OTP_TOTP_ISSUER = "Motcua Test"
    device, uri = services.totp_device_start(user=official)
    assert not device.confirmed and device.user == official
    parsed = urlsplit(uri)
    assert parsed.scheme == "otpauth" and parsed.netloc == "totp"
    query = parse_qs(parsed.query)
    assert query["issuer"] == ["Motcua Test"] and query["digits"] == ["6"]
    assert not services.user_has_second_factor(user=official)
    # Starting again replaces the pending device rather than piling them up.
    services.totp_device_start(user=official)
    assert TOTPDevice.objects.filter(user=official).count() == 1


def test_confirm_with_a_real_code_gives_ten_single_use_backup_codes(official):
    device, _uri = services.totp_device_start(user=official)
    codes = services.totp_device_confirm(user=official, token=totp_for(device).now())
    assert len(codes) == 10 and len(set(codes)) == 10
    device.refresh_from_db()
    assert device.confirmed and services.user_has_second_factor(user=official)
    assert services.backup_codes_remaining(user=official) == 10
    assert AuditEvent.objects.filter(action="accounts.totp_confirmed").exists()


def test_confirm_refuses_a_wrong_code_and_keeps_the_throttle(official):
    device, _uri = services.totp_device_start(user=official)
    wrong = f"{(int(totp_for(device).now()) + 1) % 1_000_000:06d}"
    with pytest.raises(ValidationFailed) as refused:
        services.totp_device_confirm(user=official, token=wrong)
    assert refused.value.code == "invalid_code"
    device.refresh_from_db()
    assert not device.confirmed and device.throttling_failure_count == 1
    # django-otp's throttle: the next try within the back-off is refused without checking the code.
    with pytest.raises(RateLimited):
        services.totp_device_confirm(user=official, token=totp_for(device).now())


def test_confirm_without_start_and_second_enrolment_are_refused(official_with_totp, official):
    user, _totp, _codes = official_with_totp
    with pytest.raises(InvalidState):
        services.totp_device_confirm(user=user, token="123456")
    with pytest.raises(InvalidState):
        services.totp_device_start(user=user)


def test_verify_accepts_the_next_code_and_refuses_a_replay(official_with_totp):
    user, totp, _codes = official_with_totp
    # The confirmation used the current code: replaying it is refused.
    assert services.totp_verify(user=user, token=totp.now()) is False
    TOTPDevice.objects.filter(user=user).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    next_code = totp.at(time.time() + 30)
    assert services.totp_verify(user=user, token=next_code) is True
    assert AuditEvent.objects.filter(action="accounts.second_factor_verified").exists()


def test_wrong_codes_are_throttled_by_django_otp(official_with_totp):
    user, totp, _codes = official_with_totp
    wrong = f"{(int(totp.at(time.time() + 30)) + 1) % 1_000_000:06d}"
    assert services.totp_verify(user=user, token=wrong) is False
    device = TOTPDevice.objects.get(user=user)
    assert device.throttling_failure_count == 1
    # Even the right code is refused while the back-off runs.
    assert services.totp_verify(user=user, token=totp.at(time.time() + 30)) is False
    with pytest.raises(RateLimited):
        services.second_factor_verify(user=user, token=totp.at(time.time() + 30))
    assert AuditEvent.objects.filter(action="accounts.second_factor_failed").exists()


def test_backup_code_works_once(official_with_totp):
    user, _totp, codes = official_with_totp
    device = services.second_factor_verify(user=user, token=codes[0].upper())
    assert device is not None
    assert services.backup_codes_remaining(user=user) == 9
    assert not StaticToken.objects.filter(token=codes[0]).exists()
    from django_otp.plugins.otp_static.models import StaticDevice

    StaticDevice.objects.filter(user=user).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    assert services.second_factor_verify(user=user, token=codes[0]) is None


def test_regenerated_backup_codes_replace_the_old_ones(official_with_totp):
    user, _totp, codes = official_with_totp
    new_codes = services.backup_codes_regenerate(user=user)
    assert set(new_codes).isdisjoint(codes)
    assert services.second_factor_verify(user=user, token=codes[1]) is None


def test_second_factor_reset_only_by_a_platform_admin(official_with_totp, platform_admin):
    user, _totp, _codes = official_with_totp
    with pytest.raises(PermissionDenied):
        services.second_factor_reset(actor=UserFactory(), user=user)
    with pytest.raises(PermissionDenied):
        services.second_factor_reset(actor=user, user=user)  # a stolen session could otherwise drop it
    assert services.user_has_second_factor(user=user)
    services.second_factor_reset(actor=platform_admin, user=user)
    assert not services.user_has_second_factor(user=user)
    assert services.backup_codes_remaining(user=user) == 0


# -- pages ----------------------------------------------------------------------------------------------------


def test_setup_page_shows_qr_and_secret_then_backup_codes_once(client, official):
    in_english(client)
    client.force_login(official)
    page = client.get("/accounts/second-factor/setup/")
    body = page.content.decode()
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert "<svg" in body and 'inputmode="numeric"' in body and 'autocomplete="one-time-code"' in body
    device = TOTPDevice.objects.get(user=official, confirmed=False)
    secret = re.search(r'<code class="secret"[^>]*>([A-Z2-7 ]+)</code>', body).group(1).replace(" ", "")
    assert secret == totp_for(device).secret

    wrong = client.post("/accounts/second-factor/setup/", {"token": "000000"})
    assert wrong.status_code == 200 and "error-summary" in wrong.content.decode()
    assert 'aria-describedby="id_token_helptext id_token_error"' in wrong.content.decode()
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    # A failed confirmation shows the same secret again rather than a new one.
    assert TOTPDevice.objects.get(user=official, confirmed=False).pk == device.pk

    done = client.post("/accounts/second-factor/setup/", {"token": totp_for(device).now()})
    assert done.status_code == 200 and "no-store" in done["Cache-Control"]
    codes = re.findall(r'<li><code translate="no">([a-z2-7]+)</code></li>', done.content.decode())
    assert len(codes) == 10
    assert client.get("/accounts/profile/").status_code == 200  # the session is now verified


def test_verify_page_with_code_and_with_backup_code(client, official_with_totp):
    in_english(client)
    user, totp, codes = official_with_totp
    client.force_login(user)
    page = client.get("/accounts/second-factor/verify/?next=/accounts/profile/")
    assert page.status_code == 200 and 'inputmode="numeric"' in page.content.decode()
    wrong = client.post("/accounts/second-factor/verify/", {"token": "12345"})
    assert wrong.status_code == 200 and "This code is not correct." in wrong.content.decode()
    TOTPDevice.objects.filter(user=user).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    response = client.post(
        "/accounts/second-factor/verify/", {"token": totp.at(time.time() + 30), "next": "/accounts/profile/"}
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/profile/"

    client.logout()
    client.force_login(user)
    response = client.post("/accounts/second-factor/verify/", {"backup_code": codes[3]})
    assert response.status_code == 302
    assert services.backup_codes_remaining(user=user) == 9


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/accounts/second-factor/setup/"),
        ("post", "/accounts/second-factor/setup/"),
        ("get", "/accounts/second-factor/verify/"),
        ("post", "/accounts/second-factor/backup-codes/"),
        ("get", "/accounts/profile/"),
        ("post", "/accounts/profile/"),
    ],
)
def test_account_pages_send_anonymous_visitors_to_login_and_change_nothing(client, method, path):
    response = getattr(client, method)(path, {"token": "123456", "preferred_language": "en"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")
    assert not TOTPDevice.objects.exists() and not AuditEvent.objects.exists()


def test_backup_codes_are_regenerated_only_from_a_verified_session(client, citizen):
    device, _uri = services.totp_device_start(user=citizen)
    codes = services.totp_device_confirm(user=citizen, token=totp_for(device).now())
    client.force_login(citizen)  # a citizen is not forced through the second factor, but is not verified
    response = client.post("/accounts/second-factor/backup-codes/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/second-factor/verify/")
    assert services.backup_codes_remaining(user=citizen) == 10
    client.post("/accounts/second-factor/verify/", {"backup_code": codes[0]})
    regenerated = client.post("/accounts/second-factor/backup-codes/")
    assert regenerated.status_code == 200
    new_codes = re.findall(r'<li><code translate="no">([a-z2-7]+)</code></li>', regenerated.content.decode())
    assert len(new_codes) == 10 and set(new_codes).isdisjoint(codes)
