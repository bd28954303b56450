"""The registry of issued documents: a short code reserved before the file exists, the registered copy, withdrawal.

A document Motcua issues (a dossier's result...) is registered first, so that its short code and the QR code of
its verification page can be printed in it; then its signed copy is stored, and replaced by each later signed
copy (every signature adds an incremental update). Anyone holding the document can open the page with the short
code and compare their copy with the registered one (see ``views.verify_document``).

Short codes are 12 characters of Crockford's base32 (no I, L, O or U, so nothing looks like something else),
60 random bits, stored and shown in groups of four: ``ABCD-EFGH-JKMN``. Reading one is forgiving: case, dashes
and spaces do not matter, and the letters people confuse with digits (I, L, O) are read as 1, 1 and 0.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.agencies.models import Role
from motcua.agencies.selectors import organisation_find, user_is_platform_admin, user_roles_in_subtree_of
from motcua.core.audit import audit_record, snapshot
from motcua.core.exceptions import InvalidState, NotFound, ValidationFailed
from motcua.core.permissions import permission_require, rule_register
from motcua.signatures.models import IssuedDocument
from motcua.signatures.reports import FileReport
from motcua.signatures.verification import DocumentKind, document_kind, document_verify, verify_max_bytes

__all__ = [
    "SHORT_CODE_ALPHABET",
    "SHORT_CODE_LENGTH",
    "issued_document_file_set",
    "issued_document_file_url",
    "issued_document_get",
    "issued_document_register",
    "issued_document_registered_copy",
    "issued_document_verification_url",
    "issued_document_verify",
    "issued_document_withdraw",
    "short_code_generate",
    "short_code_normalise",
]

SHORT_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
SHORT_CODE_LENGTH = 12
SHORT_CODE_GROUP = 4
# Crockford's decoding: letters that look like digits are read as those digits.
_LOOK_ALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})
_REGISTER_ATTEMPTS = 5

logger = logging.getLogger(__name__)

WITHDRAW_ACTION = "signatures.withdraw_issued_document"

_AUDITED_FIELDS = [
    "short_code",
    "kind",
    "title",
    "number",
    "reference",
    "organisation_code",
    "organisation_name",
    "issued_at",
    "file",
    "sha256",
    "size",
    "withdrawn_at",
]


# --- short codes ----------------------------------------------------------------------------------------------


def _grouped(code: str) -> str:
    return "-".join(code[index : index + SHORT_CODE_GROUP] for index in range(0, len(code), SHORT_CODE_GROUP))


def short_code_generate() -> str:
    """A new random short code, grouped (``ABCD-EFGH-JKMN``); 60 bits from the operating system's CSPRNG."""
    return _grouped("".join(secrets.choice(SHORT_CODE_ALPHABET) for _index in range(SHORT_CODE_LENGTH)))


def short_code_normalise(text: str) -> str | None:
    """The stored (grouped, upper-case) form of a short code as someone typed it, or None if it cannot be one."""
    compact = "".join((text or "").split()).replace("-", "").upper().translate(_LOOK_ALIKES)
    if len(compact) != SHORT_CODE_LENGTH or any(character not in SHORT_CODE_ALPHABET for character in compact):
        return None
    return _grouped(compact)


# --- permission ----------------------------------------------------------------------------------------------


def _may_withdraw(user: Any, document: Any) -> bool:
    """Platform administrators; the leader or administrator of the issuing organisation or a body above it."""
    if user_is_platform_admin(user=user):
        return True
    organisation = organisation_find(reference=getattr(document, "organisation_code", "") or None)
    if organisation is None:
        return False
    roles = user_roles_in_subtree_of(user=user, organisation=organisation)
    return bool(roles & {Role.AGENCY_LEADER, Role.AGENCY_ADMIN})


rule_register(WITHDRAW_ACTION, _may_withdraw)


# --- services ------------------------------------------------------------------------------------------------


def _require_text(details: dict[str, list[str]], name: str, value: str, limit: int, *, required: bool) -> str:
    value = " ".join((value or "").split())
    if required and not value:
        details.setdefault(name, []).append(_("This field is required."))
    elif len(value) > limit:
        details.setdefault(name, []).append(_("Use at most %(limit)s characters.") % {"limit": limit})
    return value


@transaction.atomic
def issued_document_register(
    *,
    title: str,
    number: str = "",
    reference: str = "",
    organisation_code: str = "",
    organisation_name: str = "",
    kind: str = IssuedDocument.Kind.PDF,
    issued_at: dt.datetime | None = None,
    actor: Any = None,
) -> IssuedDocument:
    """Register a document about to be issued and reserve its short code (before the file exists, to print it).

    Called by the service that issues the document, after its own permission checks. The code is unique by
    the database constraint; a collision (one in 2^60 per pair) is retried with a new code.
    """
    details: dict[str, list[str]] = {}
    values = {
        "title": _require_text(details, "title", title, 300, required=True),
        "number": _require_text(details, "number", number, 100, required=False),
        "reference": _require_text(details, "reference", reference, 100, required=False),
        "organisation_code": _require_text(details, "organisation_code", organisation_code, 35, required=False),
        "organisation_name": _require_text(details, "organisation_name", organisation_name, 300, required=False),
    }
    if kind not in IssuedDocument.Kind.values:
        details.setdefault("kind", []).append(_("Choose one of the allowed values."))
    if details:
        raise ValidationFailed(details=details)
    for attempt in range(_REGISTER_ATTEMPTS):
        try:
            with transaction.atomic():  # a savepoint: a collision must not break the caller's transaction
                document = IssuedDocument.objects.create(
                    short_code=short_code_generate(), kind=kind, issued_at=issued_at, **values
                )
        except IntegrityError:
            if attempt == _REGISTER_ATTEMPTS - 1:
                raise
            continue
        break
    audit_record(
        action="signatures.issued_document_registered",
        instance=document,
        after=snapshot(document, _AUDITED_FIELDS),
        actor=actor,
    )
    return document


@transaction.atomic
def issued_document_file_set(*, document: IssuedDocument, data: bytes, actor: Any = None) -> IssuedDocument:
    """Store the latest copy of an issued document (each signature gives a new one); the previous file goes.

    Called by the service that signs or issues the document. The copy must be of the registered kind and
    small enough for the public page to verify it (``MOTCUA_VERIFY_MAX_BYTES``).
    """
    document = IssuedDocument.objects.select_for_update().get(pk=document.pk)
    if document.withdrawn_at is not None:
        raise InvalidState(_("This document was withdrawn; its file can no longer change."), code="document_withdrawn")
    if not data:
        raise ValidationFailed(details={"file": [_("The file is empty.")]})
    if len(data) > verify_max_bytes():
        raise ValidationFailed(
            details={"file": [_("The file is too large to be verified on the public page.")]}, code="file_too_large"
        )
    expected = DocumentKind.XML if document.kind == IssuedDocument.Kind.XML else DocumentKind.PDF
    if document_kind(data) != expected:
        raise ValidationFailed(
            details={"file": [_("The file is not a %(kind)s document.") % {"kind": document.get_kind_display()}]},
            code="wrong_kind",
        )
    before = snapshot(document, _AUDITED_FIELDS)
    old_name = document.file.name
    document.file.save(f"{document.kind}", ContentFile(data), save=False)
    document.sha256 = hashlib.sha256(data).hexdigest()
    document.size = len(data)
    document.save(update_fields=["file", "sha256", "size", "updated_at"])
    if old_name and old_name != document.file.name:
        storage = document.file.storage
        transaction.on_commit(lambda: storage.delete(old_name) if storage.exists(old_name) else None)
    audit_record(
        action="signatures.issued_document_file_set",
        instance=document,
        before=before,
        after=snapshot(document, _AUDITED_FIELDS),
        actor=actor,
    )
    return document


@transaction.atomic
def issued_document_withdraw(*, document: IssuedDocument, reason: str, actor: Any) -> IssuedDocument:
    """Withdraw an issued document (thu hồi): its page says so from now on. The reason goes to the audit trail.

    Allowed to platform administrators and to the leader or administrator of the issuing organisation.
    """
    permission_require(actor, WITHDRAW_ACTION, document)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationFailed(details={"reason": [_("Say why the document is withdrawn.")]})
    document = IssuedDocument.objects.select_for_update().get(pk=document.pk)
    if document.withdrawn_at is not None:
        raise InvalidState(_("This document was already withdrawn."), code="already_withdrawn")
    before = snapshot(document, _AUDITED_FIELDS)
    document.withdrawn_at = timezone.now()
    document.save(update_fields=["withdrawn_at", "updated_at"])
    audit_record(
        action="signatures.issued_document_withdrawn",
        instance=document,
        before=before,
        after={**snapshot(document, _AUDITED_FIELDS), "reason": reason[:1000]},
        actor=actor,
    )
    return document


# --- reads ---------------------------------------------------------------------------------------------------


def issued_document_get(*, short_code: str) -> IssuedDocument:
    """The issued document with this short code, however it was typed; ``NotFound`` otherwise (public)."""
    normalised = short_code_normalise(short_code)
    document = IssuedDocument.objects.filter(short_code=normalised).first() if normalised else None
    if document is None:
        raise NotFound(_("No issued document has this code."), code="issued_document_not_found")
    return document


def issued_document_verification_url(*, document: IssuedDocument) -> str:
    """The absolute address of the document's public verification page (for the QR code printed on it)."""
    path = reverse("verify:document", kwargs={"short_code": document.short_code})
    return f"{str(settings.SITE_URL).rstrip('/')}{path}"


def issued_document_file_url(*, document: IssuedDocument) -> str:
    """The absolute address where anyone can download the registered copy."""
    path = reverse("verify:document_file", kwargs={"short_code": document.short_code})
    return f"{str(settings.SITE_URL).rstrip('/')}{path}"


def issued_document_registered_copy(*, document: IssuedDocument) -> bytes | None:
    """The bytes of the registered copy, or None when none was stored yet (or the storage cannot give it now)."""
    if not document.file:
        return None
    try:
        with document.file.open("rb") as stored:
            return bytes(stored.read())
    except OSError:
        logger.exception("The registered copy of %s cannot be read", document.short_code)
        return None


def issued_document_verify(*, document: IssuedDocument) -> tuple[bytes, FileReport] | None:
    """The registered copy and its verification report now (revocations since issue count); None without a copy."""
    data = issued_document_registered_copy(document=document)
    if data is None:
        return None
    # The registry only stores copies within the limit; a limit lowered since must not hide the report.
    return data, document_verify(
        data=data, filename=document.file.name or "", max_bytes=max(len(data), verify_max_bytes())
    )
