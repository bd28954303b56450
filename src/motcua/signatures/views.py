"""The signatures app's public HTTP endpoints.

``/pki/``: CA certificates, CRLs, the OCSP responder and the time-stamping authority. They are machine endpoints
that validators call without a session, so CSRF does not apply; bodies are capped, and every failure is an
answer in the protocol's own format (or a 4xx), never a 500.

``/verify/``: verification for everyone, pages for people (no account, no JavaScript needed): upload a signed
PDF or XML document and read its report, or open an issued document's page from the short code or QR code
printed on it and compare a copy with the registered one. CSRF on, uploads capped, rate-limited per address.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import urllib.parse
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import serialization
from django import forms
from django.core.cache import cache
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from motcua.core.exceptions import NotFound, RateLimited
from motcua.core.middleware import client_address
from motcua.signatures.models import IssuedDocument
from motcua.signatures.ocsp import ocsp_respond
from motcua.signatures.registry import issued_document_get, issued_document_verify, short_code_normalise
from motcua.signatures.reports import FileReport, SignatureReport, Status
from motcua.signatures.services import CA_NAMES, DevPki, crl_build, pki_load
from motcua.signatures.tsa import REPLY_CONTENT_TYPE, tsa_respond
from motcua.signatures.verification import (
    document_verify,
    verification_rate_check,
    verification_result,
    verify_max_bytes,
)

# An OCSP request or RFC 3161 query is a few hundred bytes; 64 KiB leaves room for signed requests.
MAX_REQUEST_BYTES = 64 * 1024
OCSP_RESPONSE_TYPE = "application/ocsp-response"


def _body(request: HttpRequest) -> bytes | None:
    """The request body, or None when it is larger than MAX_REQUEST_BYTES."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_REQUEST_BYTES:
        return None
    data = request.read(MAX_REQUEST_BYTES + 1)
    return None if len(data) > MAX_REQUEST_BYTES else data


def _plain(status: int, text: str) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


def _ca_file(name: str, *, content: Callable[[DevPki], bytes], content_type: str, extension: str) -> HttpResponse:
    """A file of one of the PKI's CAs, DER-encoded, or 404 for an unknown CA or a PKI not yet initialised."""
    if name not in CA_NAMES:
        return _plain(404, _("There is no such certification authority."))
    try:
        pki = pki_load()
    except NotFound:
        return _plain(404, _("The PKI has not been initialised. Run `motcua pki init`."))
    response = HttpResponse(content(pki), content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{name}.{extension}"'
    return response


@require_GET
@cache_control(max_age=86400, public=True)
def ca_certificate(request: HttpRequest, name: str) -> HttpResponse:
    """A CA certificate, DER-encoded (RFC 2585), for the caIssuers URL of the certificates below it."""
    return _ca_file(
        name,
        content=lambda pki: pki.ca(name=name).certificate.public_bytes(serialization.Encoding.DER),
        content_type="application/pkix-cert",
        extension="crt",
    )


@require_GET
@cache_control(max_age=300, public=True)
def crl(request: HttpRequest, name: str) -> HttpResponse:
    """The CA's current CRL, DER-encoded (RFC 5280, RFC 2585)."""
    return _ca_file(
        name, content=lambda pki: crl_build(pki=pki, ca_name=name), content_type="application/pkix-crl", extension="crl"
    )


@csrf_exempt
@require_POST
def ocsp(request: HttpRequest) -> HttpResponse:
    """RFC 6960 § A.1: POST an application/ocsp-request, get an application/ocsp-response."""
    body = _body(request)
    if body is None:
        return _plain(413, _("The request is too large."))
    return HttpResponse(ocsp_respond(request_der=body), content_type=OCSP_RESPONSE_TYPE)


@require_GET
def ocsp_get(request: HttpRequest, encoded: str) -> HttpResponse:
    """RFC 6960 § A.1: GET {url}/{url-encoding of base-64 encoding of the DER request}; cacheable."""
    if len(encoded) > MAX_REQUEST_BYTES:
        return _plain(414, _("The request is too large."))
    try:
        body = base64.b64decode(urllib.parse.unquote(encoded), validate=True)
    except (binascii.Error, ValueError):
        body = b""  # answered as malformedRequest below
    response = HttpResponse(ocsp_respond(request_der=body), content_type=OCSP_RESPONSE_TYPE)
    response["Cache-Control"] = "max-age=60, public"
    return response


@csrf_exempt
@require_http_methods(["POST"])
def tsa(request: HttpRequest) -> HttpResponse:
    """RFC 3161 § 3.4: POST an application/timestamp-query, get an application/timestamp-reply."""
    body = _body(request)
    if body is None:
        return _plain(413, _("The request is too large."))
    return HttpResponse(tsa_respond(request_der=body), content_type=REPLY_CONTENT_TYPE)


# ------------------------------------------------------------------------------------------------------
# Verification for everyone: /verify/
# ------------------------------------------------------------------------------------------------------

REPORT_CACHE_SECONDS = 15 * 60  # how long the "download the report" link of an uploaded file keeps working
JSON_CONTENT_TYPE = "application/json; charset=utf-8"


class VerifyUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Signed document (PDF or XML)"),
        help_text=gettext_lazy("The file is checked and then forgotten: it is not kept."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.xml,application/pdf,application/xml,text/xml"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = verify_max_bytes()
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is too large to be checked: at most %(limit)s are accepted.")
                % {"limit": filesizeformat(limit)},
                code="too_large",
            )
        return upload


class ShortCodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code printed on the document"),
        help_text=gettext_lazy("Twelve letters and digits, for example ABCD-EFGH-JKMN; dashes and case do not matter."),
        max_length=40,
    )

    def clean_code(self) -> str:
        normalised = short_code_normalise(self.cleaned_data["code"])
        if normalised is None:
            raise forms.ValidationError(
                _("This is not a document code: it has twelve letters and digits, like ABCD-EFGH-JKMN."),
                code="invalid_code",
            )
        return normalised


_VERDICTS = {
    Status.VALID: (
        gettext_lazy("Valid"),
        gettext_lazy(
            "Every signature in this document is valid: the document has not been changed since it was signed, "
            "and each signer's certificate comes from a trusted certification authority and was not revoked."
        ),
        "message--success",
    ),
    Status.INVALID: (
        gettext_lazy("Not valid"),
        gettext_lazy(
            "At least one signature is not valid, or the file could not be checked. Do not rely on this document "
            "as it is; ask the organisation that issued it."
        ),
        "message--error",
    ),
    Status.INDETERMINATE: (
        gettext_lazy("Cannot be confirmed"),
        gettext_lazy(
            "Nothing shows that the document was changed, but its signatures cannot be confirmed, for instance "
            "because the signer's certification authority is not one this service trusts."
        ),
        "message--warning",
    ),
}

_SIGNATURE_STATUS = {
    Status.VALID: gettext_lazy("Valid signature"),
    Status.INVALID: gettext_lazy("Signature not valid"),
    Status.INDETERMINATE: gettext_lazy("Signature cannot be confirmed"),
}

_CHANGES_AFTER = {
    "none": gettext_lazy("A later version of the document was added after this signature, without changes to it."),
    "lta_updates": gettext_lazy(
        "Only validation data (certificates, revocation information, timestamps) was added after this signature."
    ),
    "form_filling": gettext_lazy(
        "Later signatures or form fields were added after this signature; that is allowed and changes nothing "
        "it signed."
    ),
    "annotations": gettext_lazy("Comments or annotations were added after this signature."),
    "other": gettext_lazy("The document was changed after this signature in a way that is not allowed."),
}


def _coverage(kind: str, signature: SignatureReport) -> str:
    """What the signature covers and what changed after it, in a sentence."""
    if signature.covers_whole_document is None:
        return ""
    if kind == "xml":
        if signature.covers_whole_document:
            return _("This signature covers the whole document.")
        return _("This signature covers only a part of the document.")
    if signature.covers_whole_document:
        return _("This signature covers the whole document: nothing was changed after it.")
    explanation = _CHANGES_AFTER.get(signature.modifications)
    if explanation is None:
        return _("The document was changed after this signature; what changed could not be determined.")
    return str(explanation)


def _present(report: FileReport) -> dict[str, Any]:
    """The report in the words the page shows."""
    title, explanation, css = _VERDICTS[report.status]
    return {
        "status": report.status.value,
        "title": title,
        "explanation": explanation,
        "css": css,
        "kind": report.kind,
        "errors": [error.message for error in report.errors],
        "signatures": [
            {
                "status": signature.status.value,
                "status_label": _SIGNATURE_STATUS[signature.status],
                "css": _VERDICTS[signature.status][2],
                "signer_name": signature.signer_name,
                "signer_organisation": signature.signer_organisation,
                "issuer_name": signature.issuer_name,
                "signing_time": signature.signing_time,
                "timestamp_time": signature.timestamp_time,
                "coverage": _coverage(report.kind, signature),
                "reasons": [reason.message for reason in signature.reasons],
                "field_name": signature.field_name,
            }
            for signature in report.signatures
        ],
    }


def _json_download(result: dict[str, Any], filename: str) -> HttpResponse:
    response = HttpResponse(json.dumps(result, ensure_ascii=False, indent=2), content_type=JSON_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _wants_json(request: HttpRequest) -> bool:
    return request.GET.get("format") == "json" or request.POST.get("format") == "json"


def _remember(result: dict[str, Any]) -> str:
    """Keep an uploaded file's report for a while, so the page can offer it as a download without the file."""
    token = secrets.token_urlsafe(24)
    cache.set(f"motcua:signatures:report:{token}", result, timeout=REPORT_CACHE_SECONDS)
    return token


def _check_upload(upload: Any) -> tuple[bytes, FileReport, dict[str, Any]]:
    data = upload.read()
    filename = str(upload.name or "")[:200]
    report = document_verify(data=data, filename=filename)
    return data, report, verification_result(report=report, data=data, filename=filename)


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    context.setdefault("upload_form", VerifyUploadForm())
    context.setdefault("code_form", ShortCodeForm())
    context.setdefault("max_size", filesizeformat(verify_max_bytes()))
    return render(request, template, context, status=status)


def _rate_limited(request: HttpRequest, template: str, context: dict[str, Any], error: RateLimited) -> HttpResponse:
    if _wants_json(request):
        response = HttpResponse(json.dumps(error.as_dict(), ensure_ascii=False), content_type=JSON_CONTENT_TYPE)
        response.status_code = 429
    else:
        context["problem"] = str(error.message)
        response = _page(request, template, context, status=429)
    response["Retry-After"] = "60"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def verify_index(request: HttpRequest) -> HttpResponse:
    """Verify a signed document: upload it, or type the code printed on an issued document."""
    template = "signatures/verify/index.html"
    context: dict[str, Any] = {}
    if request.method == "GET":
        if "code" not in request.GET:
            return _page(request, template, context)
        code_form = ShortCodeForm(request.GET)
        if code_form.is_valid():
            return redirect("verify:document", short_code=code_form.cleaned_data["code"])
        return _page(request, template, {"code_form": code_form}, status=422)

    try:
        verification_rate_check(client_address=client_address(request))
    except RateLimited as error:
        return _rate_limited(request, template, context, error)
    upload_form = VerifyUploadForm(request.POST, request.FILES)
    if not upload_form.is_valid():
        return _page(request, template, {"upload_form": upload_form}, status=422)
    _data, report, result = _check_upload(upload_form.cleaned_data["file"])
    if _wants_json(request):
        return _json_download(result, "verification-report.json")
    context.update(
        {
            "report": _present(report),
            "checked_file": {"name": result["filename"], "size": result["size"], "sha256": result["sha256"]},
            "report_token": _remember(result),
        }
    )
    return _page(request, template, context)


@never_cache
@require_GET
def verify_report_download(request: HttpRequest, token: str) -> HttpResponse:
    """The report of a file checked a moment ago on the page, as JSON."""
    result = cache.get(f"motcua:signatures:report:{token}")
    if result is None:
        return _page(
            request,
            "signatures/verify/index.html",
            {"problem": _("This report is no longer available. Check the file again to get a new one.")},
            status=404,
        )
    return _json_download(result, "verification-report.json")


def _document_context(document: IssuedDocument) -> dict[str, Any]:
    return {
        "document": document,
        "file_name": f"{document.short_code}.{document.kind}",
    }


@never_cache
@require_http_methods(["GET", "POST"])
def verify_document(request: HttpRequest, short_code: str) -> HttpResponse:
    """An issued document's page: who issued it, its status, the registered copy's report, and a copy compared."""
    try:
        verification_rate_check(client_address=client_address(request))
    except RateLimited as error:
        return _rate_limited(request, "signatures/verify/index.html", {}, error)
    try:
        document = issued_document_get(short_code=short_code)
    except NotFound:
        if _wants_json(request):
            return HttpResponse(
                json.dumps(NotFound(_("No issued document has this code.")).as_dict(), ensure_ascii=False),
                content_type=JSON_CONTENT_TYPE,
                status=404,
            )
        return _page(request, "signatures/verify/not_found.html", {"short_code": short_code[:40]}, status=404)
    if request.method == "GET" and short_code != document.short_code:
        return redirect("verify:document", short_code=document.short_code)

    context = _document_context(document)
    status = 200
    if request.method == "POST":
        upload_form = VerifyUploadForm(request.POST, request.FILES)
        if upload_form.is_valid():
            _data, report, result = _check_upload(upload_form.cleaned_data["file"])
            identical = bool(document.sha256) and result["sha256"] == document.sha256
            result["registered_copy"] = {"short_code": document.short_code, "identical": identical}
            if _wants_json(request):
                return _json_download(result, f"{document.short_code}-copy-report.json")
            context.update(
                {
                    "compared": True,
                    "identical": identical,
                    "checked_file": {"name": result["filename"], "size": result["size"], "sha256": result["sha256"]},
                }
            )
            if not identical:
                context["copy_report"] = _present(report)
                context["report_token"] = _remember(result)
        else:
            context["upload_form"] = upload_form
            status = 422

    registered_copy = issued_document_verify(document=document)
    registered = registered_copy[1] if registered_copy is not None else None
    if request.method == "GET" and _wants_json(request):
        registered_result = (
            verification_result(report=registered_copy[1], data=registered_copy[0], filename=context["file_name"])
            if registered_copy is not None
            else None
        )
        return _json_download(
            {
                "short_code": document.short_code,
                "withdrawn": document.withdrawn_at is not None,
                "report": registered_result,
            },
            f"{document.short_code}-report.json",
        )
    context["registered_report"] = _present(registered) if registered is not None else None
    return _page(request, "signatures/verify/document.html", context, status=status)


@never_cache
@require_GET
def verify_document_file(request: HttpRequest, short_code: str) -> HttpResponseBase:
    """Download the registered copy of an issued document."""
    try:
        verification_rate_check(client_address=client_address(request))
    except RateLimited as error:
        return _rate_limited(request, "signatures/verify/index.html", {}, error)
    try:
        document = issued_document_get(short_code=short_code)
        if not document.file:
            raise NotFound()
        stored = document.file.open("rb")
    except (NotFound, OSError):
        return _page(request, "signatures/verify/not_found.html", {"short_code": short_code[:40]}, status=404)
    content_type = "application/xml" if document.kind == IssuedDocument.Kind.XML else "application/pdf"
    response = FileResponse(
        stored, as_attachment=True, filename=f"{document.short_code}.{document.kind}", content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
