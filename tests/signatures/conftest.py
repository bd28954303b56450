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


# --- signing keys (tests of signatures.keys and `motcua sign`) ------------------------------------------------

SIGNING_PIN = "246810"


@pytest.fixture
def seal_key(agency_seal: CertifiedKey):
    """The agency seal's key, stored encrypted under ``SIGNING_PIN``."""
    from motcua.signatures.keys import signing_key_create_software

    row = Certificate.objects.get(serial_number=agency_seal.serial_number)
    return signing_key_create_software(certificate_row=row, private_key=agency_seal.private_key, pin=SIGNING_PIN)


def simple_pdf(title: str = "Quyết định cấp phép") -> bytes:
    """A one-page PDF in Vietnamese, made with fpdf2 and the platform's Noto Sans."""
    from fpdf import FPDF

    from motcua.core.pdf_fonts import static_font_files

    pdf = FPDF()
    pdf.set_title(title)
    pdf.add_font("NotoSans", "", str(static_font_files()[""]))
    pdf.add_page()
    pdf.set_font("NotoSans", size=13)
    pdf.multi_cell(0, 8, f"CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM\n{title}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def pdfsig(directory, data: bytes, trusted_pem: bytes) -> str:
    """poppler's pdfsig on ``data``, with ``trusted_pem`` (a root CA) trusted in a fresh NSS database."""
    database = directory / "nss"
    database.mkdir(exist_ok=True)
    (directory / "trusted-root.pem").write_bytes(trusted_pem)
    subprocess.run(["certutil", "-N", "--empty-password", "-d", f"sql:{database}"], check=True, capture_output=True)
    subprocess.run(
        [
            "certutil",
            "-A",
            "-n",
            "root",
            "-t",
            "C,C,C",
            "-i",
            str(directory / "trusted-root.pem"),
            "-d",
            f"sql:{database}",
        ],
        check=True,
        capture_output=True,
    )
    signed = directory / "pdfsig-input.pdf"
    signed.write_bytes(data)
    result = subprocess.run(
        ["pdfsig", "-nssdir", f"sql:{database}", str(signed)], capture_output=True, text=True, timeout=60, check=False
    )
    return result.stdout + result.stderr


def xmlsec1_verify(directory, data: bytes, trusted_pem: bytes) -> subprocess.CompletedProcess[str]:
    """``xmlsec1 --verify --trusted-pem root.pem`` on ``data``: the exit code and output say whether it passed."""
    document = directory / "xmlsec1-input.xml"
    document.write_bytes(data)
    root = directory / "xmlsec1-root.pem"
    root.write_bytes(trusted_pem)
    return subprocess.run(
        ["xmlsec1", "--verify", "--enabled-key-data", "x509", "--trusted-pem", str(root), str(document)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def pki_served(dev_pki: DevPki, live_server, settings) -> DevPki:
    """The dev PKI with the certificates issued from now on naming this test's live server for OCSP and CRLs.

    pdfsig (NSS) asks the OCSP responder named in a certificate; with this fixture it is Motcua's own, served
    by ``live_server``. Needs ``django_db(transaction=True)`` so that the server's connection sees the rows.
    """
    settings.PKI_BASE_URL = live_server.url
    return dev_pki
