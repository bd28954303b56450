"""The PKI's public HTTP endpoints: CA certificates, CRLs, the OCSP responder and the time-stamping authority.

They are machine endpoints that validators call without a session, so CSRF does not apply; bodies are
capped, and every failure is an answer in the protocol's own format (or a 4xx), never a 500.
"""

from __future__ import annotations

import base64
import binascii
import urllib.parse
from collections.abc import Callable

from cryptography.hazmat.primitives import serialization
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from motcua.core.exceptions import NotFound
from motcua.signatures.ocsp import ocsp_respond
from motcua.signatures.services import CA_NAMES, DevPki, crl_build, pki_load
from motcua.signatures.tsa import REPLY_CONTENT_TYPE, tsa_respond

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
