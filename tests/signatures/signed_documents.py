"""Signed PDF and XML documents for the verification tests, made with Motcua's own signers (pdf_sign, xml_sign).

The dev PKI's certificates (``CertifiedKey``) and the in-memory ones of ``certificates.py`` (``Identity``) both
work: ``signer_for`` takes the certificate, its key and the chain above it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fpdf import FPDF
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from motcua.signatures.pdf import StampText, pdf_sign
from motcua.signatures.services import CertifiedKey, DevPki
from motcua.signatures.xml import xml_sign
from tests.signatures.certificates import PrivateKey

TITLE = "Giay phep hoat dong"
XML_DOCUMENT = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<KetQua xmlns="urn:motcua:test" Id="ket-qua">'
    "<SoKyHieu>123/GP-SCT</SoKyHieu><NoiDung>Cấp giấy phép hoạt động cho Công ty TNHH Hạ Long.</NoiDung>"
    "</KetQua>"
).encode()


def asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def asn1_key(key: PrivateKey) -> asn1_keys.PrivateKeyInfo:
    return asn1_keys.PrivateKeyInfo.load(
        key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


def unsigned_pdf(title: str = TITLE) -> bytes:
    """A one-page PDF whose title (in the document information, inside the signed bytes) tests can alter."""
    pdf = FPDF()
    pdf.set_title(title)
    pdf.add_page()
    pdf.set_font("helvetica", size=13)
    pdf.multi_cell(0, 8, "GIAY PHEP HOAT DONG - Cong ty TNHH Ha Long", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def signer_for(
    certificate: x509.Certificate, key: PrivateKey, chain: Sequence[x509.Certificate]
) -> signers.SimpleSigner:
    return signers.SimpleSigner(
        signing_cert=asn1_certificate(certificate),
        signing_key=asn1_key(key),
        cert_registry=SimpleCertificateStore.from_certs([asn1_certificate(item) for item in chain]),
    )


def dev_signer(certified: CertifiedKey, pki: DevPki) -> signers.SimpleSigner:
    return signer_for(certified.certificate, certified.private_key, pki.chain)


def dev_timestamper(pki: DevPki) -> DummyTimeStamper:
    """RFC 3161 timestamps from the dev PKI's TSA key, made in-process."""
    return DummyTimeStamper(
        tsa_cert=asn1_certificate(pki.tsa.certificate),
        tsa_key=asn1_key(pki.tsa.private_key),
        certs_to_embed=SimpleCertificateStore.from_certs([asn1_certificate(item) for item in pki.chain]),
    )


def signed_pdf(certified: CertifiedKey, pki: DevPki, *, data: bytes | None = None, **options: object) -> bytes:
    """``data`` (a new unsigned PDF by default) signed in a visible field by the dev PKI certificate."""
    return pdf_sign(
        data if data is not None else unsigned_pdf(),
        signer=dev_signer(certified, pki),
        field_name=str(options.pop("field_name", "Seal")),
        stamp=StampText(signer_name="Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh"),
        **options,  # type: ignore[arg-type]
    )


def signed_xml(certified: CertifiedKey, pki: DevPki, *, data: bytes = XML_DOCUMENT) -> bytes:
    return xml_sign(data, key=certified.private_key, certificate=certified.certificate, chain=[pki.issuing.certificate])


def tampered(signed: bytes, title: str = TITLE) -> bytes:
    """The signed PDF with one letter of its title changed: inside the signed byte range."""
    match = re.search(re.escape(f"({title})").encode(), signed)
    assert match is not None, "the title is not in the PDF as a literal string"
    position = match.start() + 1
    return signed[:position] + b"X" + signed[position + 1 :]


def with_drawing_appended(signed: bytes) -> bytes:
    """An incremental update that draws over page 1 after signing: a change no signature allows."""
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    stream = generic.StreamObject(stream_data=b"q 1 0 0 rg 100 100 200 50 re f Q")
    writer.add_stream_to_page(0, writer.add_object(stream))
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def encrypted_pdf(data: bytes) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password="mat-khau", owner_password="chu-so-huu", algorithm="AES-256")
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()
