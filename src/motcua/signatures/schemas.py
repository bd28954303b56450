"""API shapes of the signatures app: the verification report and an issued document's public page."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

StatusLiteral = Literal["valid", "invalid", "indeterminate"]


class ReasonOut(Schema):
    code: str = Field(
        description="Stable code for programs, e.g. revoked, expired, unknown_issuer, modified_after_signing, "
        "bad_signature, revocation_unknown, malformed, no_signature, encrypted, too_large, unsupported_format"
    )
    message: str = Field(description="The same in words, in the request's language")


class SignatureReportOut(Schema):
    status: StatusLiteral = Field(description="ETSI EN 319 102-1 main indication of this signature")
    reasons: list[ReasonOut] = Field(description="Why it is not valid (or a note about a valid one)")
    signer_name: str = Field(description="Common name of the signer's certificate")
    signer_organisation: str
    signer_certificate_sha256: str
    issuer_name: str = Field(description="Common name of the CA that issued the signer's certificate")
    signing_time: dt.datetime | None = Field(description="Time claimed by the signer")
    timestamp_time: dt.datetime | None = Field(description="Time from a trusted RFC 3161 timestamp, if any")
    covers_whole_document: bool | None = Field(
        description="PDF: nothing was appended after this signature; XML: the signature covers the whole document"
    )
    modifications: str = Field(
        description="PDF: what was appended after signing: none, lta_updates, form_filling, annotations, other"
    )
    field_name: str = Field(description="PDF signature field, or XML Signature element id")
    algorithm: str


class VerificationReportOut(Schema):
    kind: Literal["pdf", "xml", "unknown"] = Field(description="Recognised from the content, not from the file name")
    status: StatusLiteral = Field(description="valid only when every signature is valid")
    signatures: list[SignatureReportOut]
    errors: list[ReasonOut] = Field(description="Why the file itself could not be checked")
    filename: str
    sha256: str = Field(description="SHA-256 of the bytes checked, hexadecimal")
    size: int
    checked_at: dt.datetime


class IssuedDocumentOut(Schema):
    """What anyone holding the document may know about it (its internal reference is not shown)."""

    short_code: str = Field(description="The code printed on the document, e.g. ABCD-EFGH-JKMN")
    kind: Literal["pdf", "xml"]
    title: str
    number: str = Field(description="Number and notation (số, ký hiệu)")
    organisation_code: str
    organisation_name: str
    issued_at: dt.datetime | None
    withdrawn: bool
    withdrawn_at: dt.datetime | None
    verification_url: str = Field(description="The public page (the QR code on the document leads there)")
    file_url: str | None = Field(description="Download of the registered copy; null until a copy is registered")
    sha256: str = Field(description="SHA-256 of the registered copy; empty until a copy is registered")
    size: int
    report: VerificationReportOut | None = Field(description="Verification of the registered copy, made now")
