"""PAdES signing and verification, checked by our verifier and by independent ones (poppler's pdfsig, pyHanko).

The module builds its own small PKI in memory (tests/signatures/certificates.py: root → issuing CA → signers,
a TSA, an expired certificate, one not meant for signing) so it does not depend on the shared dev PKI.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import io
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from fpdf import FPDF
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from motcua.core.exceptions import ValidationFailed
from motcua.core.pdf_fonts import static_font_files
from motcua.signatures.coroutines import coroutine_run
from motcua.signatures.pdf import StampText, pdf_sign, pdf_verify
from motcua.signatures.reports import FileReport, Status
from tests.signatures.certificates import NOW, SIGNING, Identity, crl, issue, name, rsa_key

CRL_URL = "http://127.0.0.1:9/issuing.crl"  # nothing listens there; fetching is off in the tests anyway


@dataclass(frozen=True)
class Pki:
    root: Identity
    issuing: Identity
    leader: Identity
    specialist: Identity
    seal: Identity
    revocable: Identity  # names a CRL distribution point
    revoked: Identity  # names it too, and is on the CRL
    expired: Identity
    not_yet_valid: Identity
    encryption_only: Identity
    tsa: Identity
    stranger_root: Identity
    stranger: Identity  # chains to a root nobody trusts

    def crl(self) -> x509.CertificateRevocationList:
        return crl(self.issuing, [self.revoked.certificate])

    def crl_der(self) -> bytes:
        return self.crl().public_bytes(serialization.Encoding.DER)

    def signer(self, identity: Identity) -> signers.SimpleSigner:
        issuer = self.stranger_root if identity is self.stranger else self.issuing
        root = self.stranger_root if identity is self.stranger else self.root
        return signers.SimpleSigner(
            signing_cert=identity.asn1,
            signing_key=identity.asn1_key,
            cert_registry=SimpleCertificateStore.from_certs([issuer.asn1, root.asn1]),
        )

    def timestamper(self) -> DummyTimeStamper:
        return DummyTimeStamper(
            tsa_cert=self.tsa.asn1,
            tsa_key=self.tsa.asn1_key,
            certs_to_embed=SimpleCertificateStore.from_certs([self.issuing.asn1, self.root.asn1]),
        )


@pytest.fixture(scope="module")
def pki() -> Pki:
    root = issue(name("Motcua Test Root CA", "Motcua"), None, ca=True, not_after=NOW + dt.timedelta(days=3650))
    issuing = issue(name("Motcua Test Issuing CA", "Motcua"), root, ca=True)
    stranger_root = issue(name("Unknown Root CA"), None, ca=True)
    return Pki(
        root=root,
        issuing=issuing,
        leader=issue(name("Hoàng Văn Quân", "Sở Tư pháp tỉnh Quảng Ninh"), issuing, key_usage=SIGNING),
        specialist=issue(name("Nguyễn Thị Lan", "Sở Tư pháp tỉnh Quảng Ninh"), issuing, key_usage=SIGNING),
        seal=issue(name("Sở Tư pháp tỉnh Quảng Ninh", "Sở Tư pháp tỉnh Quảng Ninh"), issuing, key_usage=SIGNING),
        revocable=issue(name("Trần Minh Đức"), issuing, key_usage=SIGNING, crl_url=CRL_URL),
        revoked=issue(name("Lê Văn Bị Thu Hồi"), issuing, key_usage=SIGNING, crl_url=CRL_URL),
        expired=issue(
            name("Phạm Hết Hạn"),
            issuing,
            key_usage=SIGNING,
            not_before=NOW - dt.timedelta(days=400),
            not_after=NOW - dt.timedelta(days=35),
        ),
        not_yet_valid=issue(
            name("Vũ Chưa Hiệu Lực"),
            issuing,
            key_usage=SIGNING,
            not_before=NOW + dt.timedelta(days=10),
            not_after=NOW + dt.timedelta(days=400),
        ),
        encryption_only=issue(name("Đỗ Chỉ Mã Hoá"), issuing, key_usage={"key_encipherment"}),
        tsa=issue(
            name("Motcua Test TSA", "Motcua"),
            issuing,
            key_usage={"digital_signature"},
            extended_key_usage=[ExtendedKeyUsageOID.TIME_STAMPING],
            key=rsa_key(),  # pyHanko's DummyTimeStamper signs with RSA only
        ),
        stranger_root=stranger_root,
        stranger=issue(name("Người Lạ"), stranger_root, key_usage=SIGNING),
    )


# ---------------------------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def document() -> bytes:
    """A one-page decision in Vietnamese, as the platform's own forms are made."""
    pdf = FPDF()
    pdf.set_title("Quyet dinh cap phep")
    pdf.add_font("NotoSans", "", str(static_font_files()[""]))
    pdf.add_page()
    pdf.set_font("NotoSans", size=13)
    pdf.multi_cell(
        0, 8, "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.multi_cell(
        0, 8, "QUYẾT ĐỊNH về việc cấp giấy phép hoạt động cho Công ty TNHH Hạ Long.", new_x="LMARGIN", new_y="NEXT"
    )
    return bytes(pdf.output())


def _verify(pki: Pki, data: bytes, **kwargs: object) -> FileReport:
    kwargs.setdefault("trust_roots", [pki.root.certificate])
    return pdf_verify(data, **kwargs)  # type: ignore[arg-type]


def _codes(report: FileReport, index: int = 0) -> list[str]:
    return [reason.code for reason in report.signatures[index].reasons]


LEADER_STAMP = StampText(
    signer_name="Hoàng Văn Quân",
    position="Giám đốc Sở",
    agency="Sở Tư pháp tỉnh Quảng Ninh",
    signed_at=dt.datetime(2026, 11, 23, 7, 5, tzinfo=dt.UTC),  # 14:05 in Vietnam
)


def _appended_drawing(data: bytes) -> bytes:
    """An incremental update that draws over page 1 after signing: a change no signature allows."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    stream = generic.StreamObject(stream_data=b"q 1 0 0 rg 100 100 200 50 re f Q")
    writer.add_stream_to_page(0, writer.add_object(stream))
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def _pdfsig(tmp_path: Path, pki: Pki, data: bytes) -> str:
    database = tmp_path / "nss"
    database.mkdir()
    (tmp_path / "root.pem").write_bytes(pki.root.pem)
    subprocess.run(["certutil", "-N", "--empty-password", "-d", f"sql:{database}"], check=True)
    subprocess.run(
        ["certutil", "-A", "-n", "root", "-t", "C,C,C", "-i", str(tmp_path / "root.pem"), "-d", f"sql:{database}"],
        check=True,
    )
    signed = tmp_path / "signed.pdf"
    signed.write_bytes(data)
    result = subprocess.run(
        ["pdfsig", "-nssdir", f"sql:{database}", str(signed)], capture_output=True, text=True, check=False
    )
    return result.stdout + result.stderr


needs_pdfsig = pytest.mark.skipif(
    not (shutil.which("pdfsig") and shutil.which("certutil")),
    reason="poppler-utils and libnss3-tools are installed by scripts/ensure-test-tools.sh",
)


# -------------------------------------------------------------------------------------------------- tests


def test_visible_signature_is_valid_and_its_stamp_shows_vietnamese(pki: Pki, document: bytes) -> None:
    signed = pdf_sign(
        document,
        signer=pki.signer(pki.leader),
        field_name="Leader",
        stamp=LEADER_STAMP,
        box=(330, 40, 560, 110),
        reason="Phê duyệt",
        location="Hạ Long",
    )

    assert signed.startswith(document)  # an incremental update
    report = _verify(pki, signed)
    assert report.status == Status.VALID, report.as_dict()
    signature = report.signatures[0]
    assert signature.reasons == []
    assert signature.field_name == "Leader"
    assert signature.signer_name == "Hoàng Văn Quân"
    assert signature.signer_organisation == "Sở Tư pháp tỉnh Quảng Ninh"
    assert signature.issuer_name == "Motcua Test Issuing CA"
    assert signature.covers_whole_document is True
    assert signature.modifications == "none"
    assert signature.timestamp_time is None
    assert signature.signing_time is not None
    assert signature.signer_certificate_sha256 == pki.leader.certificate.fingerprint(hashes.SHA256()).hex()

    # pdftotext reads the stamp through the embedded font's ToUnicode map: the diacritics survive.
    text = subprocess.run(["pdftotext", "-", "-"], input=signed, capture_output=True, check=True).stdout.decode()
    for line in (
        "Ký bởi: Hoàng Văn Quân",
        "Chức vụ: Giám đốc Sở",
        "Cơ quan: Sở Tư pháp tỉnh Quảng Ninh",
        "Thời gian ký: 14:05 23/11/2026",
    ):
        assert line in text
    assert b"/SubFilter /ETSI.CAdES.detached" in signed
    assert b"/FontFile2" in signed[len(document) :]


def test_three_signatures_in_sequence_keep_the_earlier_ones_valid(pki: Pki, document: bytes, tmp_path: Path) -> None:
    signed = document
    for index, (identity, field_name) in enumerate(
        ((pki.specialist, "Initial"), (pki.leader, "Leader"), (pki.seal, "Seal"))
    ):
        signed = pdf_sign(
            signed,
            signer=pki.signer(identity),
            field_name=field_name,
            stamp=StampText(signer_name=identity.certificate.subject.rfc4514_string()),
            box=(40 + 180 * index, 40, 200 + 180 * index, 100),
        )

    report = _verify(pki, signed)
    assert report.status == Status.VALID, report.as_dict()
    assert [signature.field_name for signature in report.signatures] == ["Initial", "Leader", "Seal"]
    assert [signature.covers_whole_document for signature in report.signatures] == [False, False, True]
    assert [signature.modifications for signature in report.signatures] == ["form_filling", "form_filling", "none"]
    assert all(signature.status == Status.VALID for signature in report.signatures)


@needs_pdfsig
def test_poppler_pdfsig_accepts_every_signature(pki: Pki, document: bytes, tmp_path: Path) -> None:
    signed = pdf_sign(document, signer=pki.signer(pki.specialist), field_name="Initial", box=(40, 40, 200, 100))
    signed = pdf_sign(signed, signer=pki.signer(pki.leader), field_name="Leader", stamp=LEADER_STAMP)

    output = _pdfsig(tmp_path, pki, signed)

    assert output.count("Signature is Valid") == 2, output
    assert "Hoàng Văn Quân" in output
    assert "Certificate is Trusted" in output
    # The earlier signature no longer covers the whole file; pdfsig says so, it does not call it invalid.
    assert "Signature #1" in output and "Signature #2" in output


@needs_pdfsig
def test_poppler_pdfsig_rejects_a_tampered_file(pki: Pki, document: bytes, tmp_path: Path) -> None:
    signed = pdf_sign(document, signer=pki.signer(pki.leader), field_name="Leader", stamp=LEADER_STAMP)
    tampered = _flip_title(signed)

    output = _pdfsig(tmp_path, pki, tampered)

    assert "Signature is Valid" not in output
    assert "Digest Mismatch" in output or "Signature is Invalid" in output, output


def test_pyhanko_validation_agrees(pki: Pki, document: bytes) -> None:
    """pyHanko's CLI is not installed in .venv, so its library validator is called directly."""
    signed = pdf_sign(document, signer=pki.signer(pki.specialist), field_name="Initial")
    signed = pdf_sign(signed, signer=pki.signer(pki.seal), field_name="Seal", stamp=LEADER_STAMP)

    reader = PdfFileReader(io.BytesIO(signed))
    statuses = [
        coroutine_run(  # pyHanko's async API: a browser test may leave an event loop running in this worker
            async_validate_pdf_signature(
                embedded, signer_validation_context=ValidationContext(trust_roots=[pki.root.asn1])
            )
        )
        for embedded in reader.embedded_signatures
    ]
    assert len(statuses) == 2
    assert all(status.intact and status.valid and status.trusted for status in statuses)
    assert all(status.bottom_line for status in statuses)


def test_timestamped_signature_reports_the_timestamp_time(pki: Pki, document: bytes) -> None:
    signed = pdf_sign(
        document, signer=pki.signer(pki.leader), field_name="Leader", stamp=LEADER_STAMP, timestamper=pki.timestamper()
    )

    report = _verify(pki, signed)

    assert report.status == Status.VALID, report.as_dict()
    timestamp_time = report.signatures[0].timestamp_time
    assert timestamp_time is not None
    assert abs(timestamp_time - dt.datetime.now(tz=dt.UTC)) < dt.timedelta(minutes=5)


def test_certificate_expired_after_a_trusted_timestamp_still_counts(pki: Pki, document: bytes) -> None:
    """B-T: the certificate must be valid when the trusted timestamp was made, not when someone checks later."""
    short_lived = issue(
        name("Đinh Ngắn Hạn"),
        pki.issuing,
        key_usage=SIGNING,
        not_after=dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=3),
    )
    with_timestamp = pdf_sign(
        document, signer=pki.signer(short_lived), field_name="Leader", timestamper=pki.timestamper()
    )
    without_timestamp = pdf_sign(document, signer=pki.signer(short_lived), field_name="Leader")
    time.sleep(max(0.0, (short_lived.certificate.not_valid_after_utc - dt.datetime.now(tz=dt.UTC)).total_seconds() + 2))

    assert _verify(pki, with_timestamp).status == Status.VALID
    report = _verify(pki, without_timestamp)
    assert report.status == Status.INVALID
    assert _codes(report) == ["expired"]


def test_timestamp_from_an_untrusted_authority_is_not_accepted(pki: Pki, document: bytes) -> None:
    rogue = issue(
        name("Rogue TSA"),
        pki.stranger_root,
        key_usage={"digital_signature"},
        extended_key_usage=[ExtendedKeyUsageOID.TIME_STAMPING],
        key=rsa_key(),
    )
    stranger_tsa = DummyTimeStamper(tsa_cert=rogue.asn1, tsa_key=rogue.asn1_key)
    signed = pdf_sign(document, signer=pki.signer(pki.leader), field_name="Leader", timestamper=stranger_tsa)

    report = _verify(pki, signed)

    assert report.status != Status.VALID
    assert "timestamp_invalid" in _codes(report)
    assert report.signatures[0].timestamp_time is None


def test_long_term_signature_embeds_revocation_data(pki: Pki, document: bytes) -> None:
    context = ValidationContext(
        trust_roots=[pki.root.asn1],
        other_certs=[pki.issuing.asn1],
        crls=[pki.crl_der()],
        allow_fetching=False,
        revocation_mode="hard-fail",
    )
    signed = pdf_sign(
        document,
        signer=pki.signer(pki.revocable),
        field_name="Leader",
        stamp=LEADER_STAMP,
        timestamper=pki.timestamper(),
        validation_context=context,
    )

    assert b"/DSS" in signed
    reader = PdfFileReader(io.BytesIO(signed))
    assert len(reader.root["/DSS"]["/CRLs"]) >= 1
    # No CRL is handed to the verifier: the one in the document's security store is enough.
    report = _verify(pki, signed)
    assert report.status == Status.VALID, report.as_dict()
    assert report.signatures[0].timestamp_time is not None
    assert report.signatures[0].modifications in {"none", "lta_updates"}


def test_missing_revocation_data_is_indeterminate(pki: Pki, document: bytes) -> None:
    signed = pdf_sign(document, signer=pki.signer(pki.revocable), field_name="Leader")

    without = _verify(pki, signed)
    with_crl = _verify(pki, signed, crls=[pki.crl()])

    assert without.status == Status.INDETERMINATE
    assert _codes(without) == ["revocation_unknown"]
    assert with_crl.status == Status.VALID, with_crl.as_dict()


def test_revoked_certificate(pki: Pki, document: bytes) -> None:
    signed = pdf_sign(document, signer=pki.signer(pki.revoked), field_name="Leader")

    report = _verify(pki, signed, crls=[pki.crl_der()])

    assert report.status == Status.INVALID
    assert _codes(report) == ["revoked"]


def test_tampering_inside_the_signed_range_breaks_the_signature(pki: Pki, document: bytes) -> None:
    signed = pdf_sign(document, signer=pki.signer(pki.leader), field_name="Leader", stamp=LEADER_STAMP)

    report = _verify(pki, _flip_title(signed))

    assert report.status == Status.INVALID
    assert "bad_signature" in _codes(report)


def _flip_title(signed: bytes) -> bytes:
    match = re.search(rb"\(Quyet dinh cap phep\)", signed)
    assert match is not None
    start = match.start() + 1
    return signed[:start] + b"X" + signed[start + 1 :]


def test_content_appended_after_signing_is_reported(pki: Pki, document: bytes) -> None:
    signed = pdf_sign(document, signer=pki.signer(pki.leader), field_name="Leader", stamp=LEADER_STAMP)

    report = _verify(pki, _appended_drawing(signed))

    assert report.status == Status.INVALID
    signature = report.signatures[0]
    assert _codes(report) == ["modified_after_signing"]
    assert signature.covers_whole_document is False
    assert signature.modifications == "other"


def test_unknown_root(pki: Pki, document: bytes) -> None:
    signed = pdf_sign(document, signer=pki.signer(pki.stranger), field_name="Leader")

    report = _verify(pki, signed)

    assert report.status == Status.INDETERMINATE
    assert _codes(report) == ["unknown_issuer"]


@pytest.mark.parametrize(("attribute", "code"), [("expired", "expired"), ("not_yet_valid", "not_yet_valid")])
def test_certificate_outside_its_validity(pki: Pki, document: bytes, attribute: str, code: str) -> None:
    signed = pdf_sign(document, signer=pki.signer(getattr(pki, attribute)), field_name="Leader")

    report = _verify(pki, signed)

    assert report.status == Status.INVALID
    assert _codes(report) == [code]


def test_certificate_not_meant_for_signing(pki: Pki, document: bytes) -> None:
    with pytest.raises(ValidationFailed):
        pdf_sign(document, signer=pki.signer(pki.encryption_only), field_name="Leader")

    # Someone else's software might sign anyway: the verifier must refuse it.
    writer = IncrementalPdfFileWriter(io.BytesIO(document))
    metadata = signers.PdfSignatureMetadata(
        field_name="Leader", subfilter=fields.SigSeedSubFilter.PADES, signer_key_usage=set()
    )
    pdf_signer = signers.PdfSigner(metadata, signer=pki.signer(pki.encryption_only))
    signed = coroutine_run(pdf_signer.async_sign_pdf(writer)).getvalue()
    report = _verify(pki, signed)

    assert report.status == Status.INVALID
    assert _codes(report) == ["wrong_key_usage"]


def test_signing_an_already_signed_field_is_refused(pki: Pki, document: bytes) -> None:
    signed = pdf_sign(document, signer=pki.signer(pki.leader), field_name="Leader")

    with pytest.raises(ValidationFailed) as caught:
        pdf_sign(signed, signer=pki.signer(pki.seal), field_name="Leader")
    assert caught.value.code == "field_already_signed"


def test_encrypted_pdf(pki: Pki, document: bytes) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(document)))
    writer.encrypt(user_password="mat-khau", owner_password="chu-so-huu", algorithm="AES-256")
    encrypted = io.BytesIO()
    writer.write(encrypted)

    report = _verify(pki, encrypted.getvalue())

    assert report.status == Status.INVALID
    assert [error.code for error in report.errors] == ["encrypted"]
    with pytest.raises(ValidationFailed):
        pdf_sign(encrypted.getvalue(), signer=pki.signer(pki.leader), field_name="Leader")


def test_unsigned_pdf(pki: Pki, document: bytes) -> None:
    report = _verify(pki, document)

    assert report.status == Status.INVALID
    assert [error.code for error in report.errors] == ["no_signature"]
    assert report.signatures == []


def test_png_renamed_to_pdf(pki: Pki) -> None:
    from PIL import Image

    image = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(image, format="PNG")

    report = _verify(pki, image.getvalue())

    assert report.status == Status.INVALID
    assert [error.code for error in report.errors] == ["malformed"]


@pytest.mark.parametrize("cut", [0.5, 0.98])
def test_truncated_pdf_is_never_valid(pki: Pki, document: bytes, cut: float) -> None:
    signed = pdf_sign(document, signer=pki.signer(pki.leader), field_name="Leader", stamp=LEADER_STAMP)

    report = _verify(pki, signed[: int(len(signed) * cut)])

    assert report.status != Status.VALID
    assert report.errors or any(signature.reasons for signature in report.signatures)


def test_garbage_and_empty_input(pki: Pki) -> None:
    for data in (b"", b"%PDF-1.7\n garbage \x00\xff", b"%PDF-1.4\n%%EOF"):
        report = _verify(pki, data)
        assert report.status == Status.INVALID
        assert report.errors


def test_signing_and_verifying_work_inside_a_running_event_loop(pki: Pki, document: bytes) -> None:
    # As in an async view: pyHanko's sync wrappers would call asyncio.run inside the running loop and fail.
    async def sign_and_verify() -> Status:
        signed = pdf_sign(document, signer=pki.signer(pki.leader), field_name="Leader", stamp=LEADER_STAMP)
        return _verify(pki, signed).status

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(asyncio.run, sign_and_verify()).result() == Status.VALID
