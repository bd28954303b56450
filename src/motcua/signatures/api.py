"""Signatures API at /api/v1/signatures: verification for everyone and issued documents' public metadata.

Both endpoints are public (no authentication) and rate-limited per client address with the public page
(``MOTCUA_VERIFY_RATE_PER_MINUTE``). They read nothing of a session and change nothing, so they need no CSRF
token: another system may call them directly.

No ``from __future__ import annotations`` here: Ninja reads the real annotation objects.
"""

from typing import Any

from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from ninja import File, Router
from ninja.files import UploadedFile

from motcua.core.context import current_context
from motcua.core.exceptions import ValidationFailed
from motcua.signatures.registry import (
    issued_document_file_url,
    issued_document_get,
    issued_document_verification_url,
    issued_document_verify,
)
from motcua.signatures.schemas import IssuedDocumentOut, VerificationReportOut
from motcua.signatures.verification import (
    document_verify,
    verification_rate_check,
    verification_result,
    verify_max_bytes,
)

router = Router(tags=["signatures"])


@router.post(
    "/verify",
    response=VerificationReportOut,
    auth=None,
    summary="Verify the signatures of a PDF or XML document (multipart field `file`)",
)
def verify(request: HttpRequest, file: File[UploadedFile]) -> Any:
    verification_rate_check(client_address=current_context().client_address)
    limit = verify_max_bytes()
    if file.size is not None and file.size > limit:
        raise ValidationFailed(
            details={
                "file": [
                    _("The file is too large to be checked: at most %(limit)s are accepted.")
                    % {"limit": filesizeformat(limit)}
                ]
            },
            code="file_too_large",
        )
    data = file.read()
    filename = str(file.name or "")[:200]
    report = document_verify(data=data, filename=filename)
    return verification_result(report=report, data=data, filename=filename)


@router.get(
    "/documents/{short_code}",
    response=IssuedDocumentOut,
    auth=None,
    summary="An issued document's public metadata and the verification of its registered copy",
)
def document_detail(request: HttpRequest, short_code: str) -> Any:
    verification_rate_check(client_address=current_context().client_address)
    document = issued_document_get(short_code=short_code)
    registered = issued_document_verify(document=document)
    report = None
    if registered is not None:
        data, file_report = registered
        report = verification_result(report=file_report, data=data, filename=f"{document.short_code}.{document.kind}")
    return {
        "short_code": document.short_code,
        "kind": document.kind,
        "title": document.title,
        "number": document.number,
        "organisation_code": document.organisation_code,
        "organisation_name": document.organisation_name,
        "issued_at": document.issued_at,
        "withdrawn": document.withdrawn_at is not None,
        "withdrawn_at": document.withdrawn_at,
        "verification_url": issued_document_verification_url(document=document),
        "file_url": issued_document_file_url(document=document) if registered is not None else None,
        "sha256": document.sha256,
        "size": document.size,
        "report": report,
    }
