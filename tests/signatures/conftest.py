"""The dev PKI for the signature tests: CA keys generated once per session, the inventory per test."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from motcua.signatures.models import Certificate
from motcua.signatures.services import CertifiedKey, DevPki, certificate_issue, pki_create, pki_register


@pytest.fixture(scope="session")
def dev_pki_files(tmp_path_factory) -> DevPki:
    """Root CA, issuing CA, TSA and OCSP responder written to a session directory (no database)."""
    return pki_create(directory=tmp_path_factory.mktemp("pki"))


@pytest.fixture
def dev_pki(dev_pki_files: DevPki, settings) -> DevPki:
    """The dev PKI, with its certificates in this test's inventory and ``settings.PKI_DIR`` pointing at it.

    The endpoints (/pki/...) and ``pki_load()`` use it. Needs database access (``django_db`` mark).
    """
    settings.PKI_DIR = str(dev_pki_files.directory)
    pki_register(pki=dev_pki_files)
    return dev_pki_files


@pytest.fixture
def agency_seal(dev_pki: DevPki) -> CertifiedKey:
    """An agency seal certificate (RSA 2048) of the Quảng Ninh public administration service centre."""
    return certificate_issue(
        pki=dev_pki,
        kind=Certificate.Kind.AGENCY_SEAL,
        common_name="Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh",
        organisation_code="000.00.20.H49",
    )


@pytest.fixture
def official_certificate(dev_pki: DevPki) -> CertifiedKey:
    """A personal signing certificate (ECDSA P-256) of an official."""
    return certificate_issue(
        pki=dev_pki,
        kind=Certificate.Kind.PERSONAL,
        common_name="Nguyễn Thị Lan",
        title="Phó Giám đốc",
        organisation_name="Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh",
        organisation_code="000.00.20.H49",
        key_type="ec",
    )


def openssl(*arguments: str, input_bytes: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run Debian's openssl; tests assert on its exit code and output."""
    binary = shutil.which("openssl")
    assert binary, "openssl is needed for these tests"
    return subprocess.run([binary, *arguments], input=input_bytes, capture_output=True, timeout=60, check=False)
