"""`motcua sign FILE --as CODE`: an agency seal, a personal key or a certificate serial; the PIN from the
environment; signed files that our verifier, pdfsig and xmlsec1 accept; clear errors and exit codes."""

from __future__ import annotations

import io

import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from pyhanko.pdf_utils.reader import PdfFileReader

from motcua.agencies.models import Role
from motcua.core.models import AuditEvent
from motcua.signatures.models import Certificate, SigningKey
from motcua.signatures.pdf import pdf_verify
from motcua.signatures.reports import Status
from motcua.signatures.services import certificate_issue
from tests.factories import OrganisationFactory, PositionFactory
from tests.signatures.conftest import SIGNING_PIN, pdfsig, simple_pdf, xmlsec1_verify

pytestmark = pytest.mark.django_db

XML = '<?xml version="1.0" encoding="UTF-8"?>\n<ThongBao><NoiDung>Thông báo kết quả</NoiDung></ThongBao>'.encode()


@pytest.fixture
def keys(dev_pki):
    """A seal for a service centre and a personal key for its director, both under ``SIGNING_PIN``."""
    organisation = OrganisationFactory(code="000.00.20.H49", name="Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh")
    director = PositionFactory(
        organisation=organisation,
        role=Role.AGENCY_LEADER,
        title="Giám đốc",
        user__username="giamdoc.qn",
        user__full_name="Đỗ Mạnh Cường",
    ).user
    seal = certificate_issue(
        pki=dev_pki,
        kind=Certificate.Kind.AGENCY_SEAL,
        common_name=organisation.name,
        organisation_code=organisation.code,
        organisation=organisation,
        pin=SIGNING_PIN,
    )
    personal = certificate_issue(
        pki=dev_pki,
        kind=Certificate.Kind.PERSONAL,
        common_name=director.full_name,
        title="Giám đốc",
        organisation_name=organisation.name,
        organisation_code=organisation.code,
        organisation=organisation,
        holder=director,
        pin=SIGNING_PIN,
    )
    return organisation, director, seal, personal


def _sign(*arguments: str) -> str:
    out = io.StringIO()
    call_command("sign", *arguments, stdout=out)
    return out.getvalue()


def _rects(data: bytes) -> list[tuple[float, ...]]:
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    return [
        tuple(float(value) for value in embedded.sig_field["/Kids"][0]["/Rect"])
        if "/Kids" in embedded.sig_field
        else tuple(float(value) for value in embedded.sig_field["/Rect"])
        for embedded in reader.embedded_signatures
    ]


def test_a_pdf_is_sealed_then_signed_by_a_person_with_visible_stamps(keys, dev_pki, tmp_path, monkeypatch):
    organisation, director, seal, personal = keys
    monkeypatch.setenv("MOTCUA_SIGNING_PIN", SIGNING_PIN)
    document = tmp_path / "quyet-dinh.pdf"
    document.write_bytes(simple_pdf())

    output = _sign(str(document), "--as", organisation.code.lower())
    sealed_path = tmp_path / "quyet-dinh.signed.pdf"
    assert sealed_path.exists() and seal.serial_number in output
    sealed = sealed_path.read_bytes()

    twice = tmp_path / "hai-chu-ky.pdf"
    _sign(str(sealed_path), "--as", "giamdoc.qn", "--output", str(twice))
    signed = twice.read_bytes()

    report = pdf_verify(signed, trust_roots=[dev_pki.root.certificate])
    assert [signature.status for signature in report.signatures] == [Status.VALID, Status.VALID], report
    assert [signature.signer_name for signature in report.signatures] == [organisation.name, director.full_name]
    assert all(signature.timestamp_time is not None for signature in report.signatures)
    first, second = _rects(signed)
    assert first != second and second[1] > first[3]  # the second stamp sits above the first
    assert all(rect[2] > rect[0] and rect[3] > rect[1] for rect in (first, second))  # visible stamps

    assert pdf_verify(sealed, trust_roots=[dev_pki.root.certificate]).signatures[0].status == Status.VALID
    events = AuditEvent.objects.filter(action="signatures.document_signed")
    assert {event.after["certificate_serial"] for event in events} == {seal.serial_number, personal.serial_number}
    assert {event.actor_label for event in events} == {"system"}


@pytest.mark.django_db(transaction=True)
def test_pdfsig_accepts_a_file_signed_by_the_command(pki_served, tmp_path, monkeypatch):
    organisation = OrganisationFactory(code="000.00.31.H49", name="Ủy ban nhân dân phường Hạ Long")
    certificate_issue(
        pki=pki_served,
        kind=Certificate.Kind.AGENCY_SEAL,
        common_name=organisation.name,
        organisation_code=organisation.code,
        organisation=organisation,
        pin=SIGNING_PIN,
    )
    monkeypatch.setenv("MOTCUA_SIGNING_PIN", SIGNING_PIN)
    document = tmp_path / "giay-xac-nhan.pdf"
    document.write_bytes(simple_pdf("Giấy xác nhận tình trạng hôn nhân"))
    _sign(str(document), "--as", organisation.code)

    output = pdfsig(tmp_path, (tmp_path / "giay-xac-nhan.signed.pdf").read_bytes(), pki_served.root.certificate_pem())
    assert "Signature is Valid" in output and "Certificate is Trusted" in output, output
    assert "ChuKySo1" in output


def test_an_xml_document_is_signed_by_certificate_serial_with_the_pin_in_another_variable(
    keys, dev_pki, tmp_path, monkeypatch
):
    _organisation, _director, _seal, personal = keys
    monkeypatch.delenv("MOTCUA_SIGNING_PIN", raising=False)
    monkeypatch.setenv("MA_PIN_RIENG", SIGNING_PIN)
    document = tmp_path / "thong-bao.xml"
    document.write_bytes(XML)

    _sign(str(document), "--as", personal.serial_number.upper(), "--pin-env", "MA_PIN_RIENG")

    signed = (tmp_path / "thong-bao.signed.xml").read_bytes()
    accepted = xmlsec1_verify(tmp_path, signed, dev_pki.root.certificate_pem())
    assert accepted.returncode == 0, accepted.stderr
    assert b"<ds:Signature" in signed and "Thông báo kết quả".encode() in signed


def test_a_wrong_pin_fails_with_exit_status_3_writes_nothing_and_is_counted(keys, tmp_path, monkeypatch):
    organisation, _director, seal, _personal = keys
    monkeypatch.setenv("MOTCUA_SIGNING_PIN", "999999")
    document = tmp_path / "van-ban.pdf"
    document.write_bytes(simple_pdf())

    with pytest.raises(CommandError) as failed:
        _sign(str(document), "--as", organisation.code)

    assert failed.value.returncode == 3
    assert "PIN" in str(failed.value)
    assert not (tmp_path / "van-ban.signed.pdf").exists()
    key = SigningKey.objects.get(certificate__serial_number=seal.serial_number)
    assert key.failed_attempts == 1

    SigningKey.objects.filter(pk=key.pk).update(failed_attempts=4)
    with pytest.raises(CommandError) as locked:
        _sign(str(document), "--as", organisation.code)
    assert locked.value.returncode == 4
    monkeypatch.setenv("MOTCUA_SIGNING_PIN", SIGNING_PIN)
    with pytest.raises(CommandError) as still_locked:
        _sign(str(document), "--as", organisation.code)
    assert still_locked.value.returncode == 4 and not (tmp_path / "van-ban.signed.pdf").exists()


@pytest.mark.django_db(transaction=True)
def test_the_command_line_exits_with_status_3_on_a_wrong_pin(keys, tmp_path, monkeypatch, capsys):
    organisation, _director, _seal, _personal = keys
    monkeypatch.setenv("MOTCUA_SIGNING_PIN", "999999")
    document = tmp_path / "van-ban.pdf"
    document.write_bytes(simple_pdf())

    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["motcua", "sign", str(document), "--as", organisation.code]).execute()

    assert exited.value.code == 3
    assert "PIN" in capsys.readouterr().err


def test_unknown_codes_missing_pins_and_unreadable_files_are_clear_errors(keys, tmp_path, monkeypatch):
    organisation, _director, _seal, _personal = keys
    document = tmp_path / "van-ban.pdf"
    document.write_bytes(simple_pdf())
    monkeypatch.setenv("MOTCUA_SIGNING_PIN", SIGNING_PIN)

    with pytest.raises(CommandError, match="neither an organisation"):
        _sign(str(document), "--as", "khong-ai-ca")
    PositionFactory(user__username="chuaco.khoa")
    with pytest.raises(CommandError, match="no personal signing key"):
        _sign(str(document), "--as", "chuaco.khoa")
    with pytest.raises(CommandError, match="no agency seal key"):
        _sign(str(document), "--as", OrganisationFactory(code="000.00.99.H49").code)
    with pytest.raises(CommandError, match="Cannot read"):
        _sign(str(tmp_path / "missing.pdf"), "--as", organisation.code)
    text = tmp_path / "ghi-chu.txt"
    text.write_text("không phải PDF hay XML")
    with pytest.raises(CommandError, match="neither a PDF nor an XML"):
        _sign(str(text), "--as", organisation.code)

    monkeypatch.delenv("MOTCUA_SIGNING_PIN")
    monkeypatch.setattr("sys.stdin", io.StringIO())  # not a terminal: nobody to ask
    with pytest.raises(CommandError, match="MOTCUA_SIGNING_PIN") as no_pin:
        _sign(str(document), "--as", organisation.code)
    assert no_pin.value.returncode == 1
    assert not list(tmp_path.glob("*.signed.*"))
    assert not AuditEvent.objects.filter(action="signatures.document_signed").exists()
