"""Fixtures for the account tests: a clean cache, officials with a second factor, a real local OIDC provider."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyotp
import pytest
import requests
from django.core.cache import cache

from tests.factories import OfficialFactory

PASSWORD = "Mat-khau-an-toan-2026"
PROVIDER_SCRIPT = Path(__file__).resolve().parent.parent / "support" / "oidc_provider.py"
OIDC_CLIENT_ID = "motcua-test"
OIDC_CLIENT_SECRET = "provider-secret-for-tests"
SITE_URL = "http://127.0.0.1:8000"


@pytest.fixture(autouse=True)
def clean_cache():
    """Rate limits, lockout counters and OIDC metadata live in the cache: every test starts without them."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def official(db):
    return OfficialFactory()


def totp_for(device) -> pyotp.TOTP:
    """A pyotp generator for a django-otp TOTP device: what the official's phone app computes."""
    import base64

    return pyotp.TOTP(base64.b32encode(device.bin_key).decode(), digits=device.digits, interval=device.step)


@pytest.fixture
def official_with_totp(official):
    """An official with a confirmed authenticator app; returns (user, pyotp generator, backup codes)."""
    from motcua.accounts import services

    device, _uri = services.totp_device_start(user=official)
    codes = services.totp_device_confirm(user=official, token=totp_for(device).now())
    return official, totp_for(device), codes


@dataclass
class OidcProvider:
    base_url: str
    process: subprocess.Popen

    def control(self, **body: Any) -> None:
        requests.post(f"{self.base_url}/_control", json=body, timeout=5).raise_for_status()

    def seen(self) -> dict[str, Any]:
        return requests.get(f"{self.base_url}/_control", timeout=5).json()["seen"]


@pytest.fixture(scope="module")
def oidc_provider_process():
    """The test identity provider, a separate process listening on a free 127.0.0.1 port."""
    process = subprocess.Popen(
        [
            sys.executable,
            str(PROVIDER_SCRIPT),
            "--port",
            "0",
            "--client-id",
            OIDC_CLIENT_ID,
            "--client-secret",
            OIDC_CLIENT_SECRET,
            "--redirect-uri",
            f"{SITE_URL}/accounts/oidc/callback/",
            "--post-logout-redirect-uri",
            f"{SITE_URL}/",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        if not line.startswith("READY "):
            process.kill()
            raise RuntimeError(f"the test OIDC provider did not start: {line!r} {process.stderr.read()}")
        port = int(line.split()[1])
        yield OidcProvider(base_url=f"http://127.0.0.1:{port}", process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def oidc_provider(oidc_provider_process, settings):
    """Point Motcua's OIDC settings at the running test provider, reset to its default citizen identity."""
    oidc_provider_process.control(reset=True)
    settings.OIDC_ISSUER = oidc_provider_process.base_url
    settings.OIDC_CLIENT_ID = OIDC_CLIENT_ID
    settings.OIDC_CLIENT_SECRET = OIDC_CLIENT_SECRET
    settings.OIDC_SCOPES = "openid profile email"
    settings.OIDC_ACR_VALUES = "vneid-level2"
    settings.SITE_URL = SITE_URL
    return oidc_provider_process


def in_english(client):
    """Choose English as a visitor does with the language switcher (the site ignores the browser's language)."""
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client
