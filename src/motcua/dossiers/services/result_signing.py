"""Digital signatures on the result document: the approving official signs, then the agency seal is applied.

Order of Decree 30/2020/NĐ-CP (art. 13 and Appendix I): the competent official signs the document with their
personal certificate (chữ ký số của người có thẩm quyền), then the agency's document clerk applies the agency's
seal certificate (chữ ký số của cơ quan). Both are PAdES B-LT signatures appended to the same PDF without
invalidating the earlier one, with a visible stamp: the signer's in the signature block, the seal's in the
room next to the verification QR code. The signed copy replaces the dossier's result file and the copy kept by
the registry of issued documents, so the short code printed on it verifies the very file the applicant gets.

An organisation that has an agency seal key in the key store issues sealed results: its one-stop desk cannot
return a result online before the seal is on it. An approver who holds a personal signing key approves and
signs in one step (``dossier_approve_and_sign``): a wrong PIN leaves the dossier as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from motcua.accounts.models import User
from motcua.core.exceptions import InvalidState, NotFound, ValidationFailed
from motcua.core.permissions import SYSTEM
from motcua.dossiers.models import Dossier, DossierFile
from motcua.dossiers.services._base import actor_label, audited, begin, moment, record
from motcua.dossiers.services.result_documents import dossier_result_document_issue
from motcua.dossiers.services.results import dossier_approve
from motcua.dossiers.workflow import Action
from motcua.signatures.keys import KeySigner, pdf_sign_with, signing_key_find, signing_key_unlock
from motcua.signatures.pdf import StampText
from motcua.signatures.registry import (
    issued_document_file_set,
    issued_document_get,
    issued_document_verification_url,
)

logger = logging.getLogger(__name__)

PERSONAL = "personal"
SEAL = "agency_seal"
SIGNER_FIELD = "ChuKyNguoiCoThamQuyen"
SEAL_FIELD = "ChuKyCoQuan"


def _result_file(dossier: Dossier) -> DossierFile:
    item = DossierFile.objects.filter(dossier=dossier, purpose=DossierFile.Purpose.RESULT).order_by("-created_at")
    found = item.first()
    if found is None:
        raise InvalidState(
            _("The result document has not been issued yet; it is produced right after the approval."),
            code="dossier_result_file_missing",
        )
    return found


def _signed_kinds(dossier: Dossier) -> list[str]:
    return [str(entry.get("kind")) for entry in result_signatures(dossier)]


def _box(dossier: Dossier, name: str) -> tuple[int, tuple[int, int, int, int] | None]:
    value = (dossier.result or {}).get(name)
    if isinstance(value, list) and len(value) == 2 and isinstance(value[1], list) and len(value[1]) == 4:
        return int(value[0]), (int(value[1][0]), int(value[1][1]), int(value[1][2]), int(value[1][3]))
    return 0, None


def _replace_result_file(*, dossier: Dossier, item: DossierFile, data: bytes, actor: Any) -> None:
    """The signed copy takes the place of the result file and of the registry's copy."""
    old_name = item.file.name
    item.file.save(item.name, ContentFile(data), save=False)
    item.size = len(data)
    item.sha256 = hashlib.sha256(data).hexdigest()
    item.save(update_fields=["file", "size", "sha256", "updated_at"])
    storage = item.file.storage
    transaction.on_commit(lambda: storage.delete(old_name) if old_name and storage.exists(old_name) else None)
    code = str((dossier.result or {}).get("issued_document") or "")
    if code:
        issued_document_file_set(document=issued_document_get(short_code=code), data=data, actor=actor)


def _unlock(*, actor: Any, kind: str, organisation_code: str, pin: str) -> KeySigner:
    """The key that signs: the actor's personal key, or the organisation's seal; the PIN opens it."""
    if kind == PERSONAL:
        key = signing_key_find(holder=actor, kind=PERSONAL) if isinstance(actor, User) else None
        missing = _("You have no valid signing certificate. Ask your agency's administrator to register one.")
    else:
        key = signing_key_find(organisation_code=organisation_code, kind=SEAL)
        missing = _("This agency has no valid seal certificate. Ask its administrator to register one.")
    if key is None:
        raise InvalidState(missing, code="signing_key_missing")
    return signing_key_unlock(signing_key=key, pin=pin, actor=actor)


def _sign(
    *,
    actor: Any,
    dossier: Dossier,
    pin: str,
    action: str,
    kind: str,
    at: dt.datetime | None,
    note: str = "",
    signer: KeySigner | None = None,
) -> Dossier:
    at = moment(at)
    dossier, position, _target = begin(actor=actor, dossier=dossier, action=action)
    kinds = _signed_kinds(dossier)
    if kind in kinds:
        message = (
            _("The result document is already signed.")
            if kind == PERSONAL
            else _("The agency seal is already on the result document.")
        )
        raise InvalidState(message, code="dossier_result_already_signed")
    if kind == SEAL and PERSONAL not in kinds:
        raise InvalidState(
            _("The official who approved must sign the result document before the seal is applied."),
            code="dossier_result_not_signed",
        )
    item = _result_file(dossier)
    organisation = dossier.processing_organisation
    if signer is None:
        signer = _unlock(actor=actor, kind=kind, organisation_code=organisation.code or "", pin=pin)
    before = audited(dossier)
    page, box = _box(dossier, "signer_box" if kind == PERSONAL else "seal_box")
    if kind == PERSONAL:
        stamp = StampText(
            signer_name=actor_label(actor),
            position=str((dossier.result or {}).get("approved_by_title") or (position.title if position else "")),
            agency=organisation.name,
            signed_at=at,
        )
    else:
        stamp = StampText(signer_name=organisation.name, agency=organisation.code or "", signed_at=at)
    with item.file.open("rb") as handle:
        data = handle.read()
    signed = pdf_sign_with(
        data=data,
        signer=signer,
        field_name=SIGNER_FIELD if kind == PERSONAL else SEAL_FIELD,
        stamp=stamp,
        box=box,
        page=page,
        reason="Ký ban hành kết quả giải quyết thủ tục hành chính" if kind == PERSONAL else "Đóng dấu cơ quan",
        location=organisation.name,
        actor=actor,
    )
    _replace_result_file(dossier=dossier, item=item, data=signed, actor=actor)
    entry = {
        "kind": kind,
        # The seal is the agency's signature; who applied it is kept beside it.
        "by": actor_label(actor) if kind == PERSONAL else organisation.name,
        "applied_by": actor_label(actor),
        "at": at.isoformat(),
        "certificate_serial": signer.signing_key.certificate.serial_number,
        "sha256": item.sha256,
    }
    dossier.result = {**(dossier.result or {}), "signatures": [*result_signatures(dossier), entry]}
    record(
        dossier=dossier,
        action=action,
        from_status=dossier.status,
        actor=actor,
        position=position,
        at=at,
        before=before,
        note=note,
        details={"file": str(item.pk), "sha256": item.sha256, "certificate_serial": entry["certificate_serial"]},
    )
    return dossier


@transaction.atomic
def dossier_result_sign(*, actor: Any, dossier: Dossier, pin: str, at: dt.datetime | None = None) -> Dossier:
    """The official who approved signs the result document with their personal certificate (Decree 30/2020)."""
    return _sign(actor=actor, dossier=dossier, pin=pin, action=Action.SIGN_RESULT, kind=PERSONAL, at=at)


@transaction.atomic
def dossier_result_seal(*, actor: Any, dossier: Dossier, pin: str, at: dt.datetime | None = None) -> Dossier:
    """The agency's document clerk (or leader) applies the agency seal certificate after the approver's signature."""
    return _sign(actor=actor, dossier=dossier, pin=pin, action=Action.SEAL_RESULT, kind=SEAL, at=at)


@transaction.atomic
def dossier_approve_and_sign(
    *,
    actor: Any,
    dossier: Dossier,
    pin: str,
    note: str = "",
    result: dict[str, Any] | None = None,
    expected_step: str | None = None,
    at: dt.datetime | None = None,
) -> Dossier:
    """Approve, issue the result document and sign it, all or nothing: a wrong PIN leaves the dossier as it was."""
    if not pin:
        raise ValidationFailed(details={"pin": [str(_("Enter the PIN of your signing key."))]})
    at = moment(at)
    # The key is opened first: a wrong PIN must not leave a rendered result (the applicant's data) in storage,
    # where the database's rollback cannot reach.
    signer = _unlock(actor=actor, kind=PERSONAL, organisation_code="", pin=pin)
    dossier = dossier_approve(
        actor=actor, dossier=dossier, result=result, note=note, expected_step=expected_step, at=at
    )
    issued = dossier_result_document_issue(dossier=dossier, actor=SYSTEM)
    try:
        return _sign(
            actor=actor, dossier=dossier, pin=pin, action=Action.SIGN_RESULT, kind=PERSONAL, at=at, signer=signer
        )
    except Exception:
        # The transaction rolls back; the files it stored would stay (a TSA down, a token unplugged...).
        if issued is not None:
            try:
                _stored_files_delete(dossier=dossier, item=issued)
            except Exception:  # never hide the error that made the signing fail
                logger.exception("files of a failed signing were not removed", extra={"dossier": dossier.code})
        raise


def _stored_files_delete(*, dossier: Dossier, item: DossierFile) -> None:
    names = [(item.file.storage, item.file.name)]
    code = str((Dossier.objects.get(pk=dossier.pk).result or {}).get("issued_document") or "")
    if code:
        document = issued_document_get(short_code=code)
        if document.file:
            names.append((document.file.storage, document.file.name))
    for storage, name in names:
        if name and storage.exists(name):
            storage.delete(name)


def approver_signs(*, user: Any) -> bool:
    """Whether ``user`` holds a personal signing key, so that approving also signs (and asks for the PIN)."""
    return isinstance(user, User) and signing_key_find(holder=user, kind=PERSONAL) is not None


def organisation_seals_results(*, organisation: Any) -> bool:
    """Whether the organisation has an agency seal key, so that its results must be sealed before going online."""
    code = getattr(organisation, "code", "") or ""
    return bool(code) and signing_key_find(organisation_code=code, kind=SEAL) is not None


def result_signatures(dossier: Dossier) -> list[dict[str, Any]]:
    """Who signed the result document and when (kind ``personal`` or ``agency_seal``), in order."""
    return list((dossier.result or {}).get("signatures") or [])


def result_verification(dossier: Dossier) -> dict[str, Any] | None:
    """What the pages show of a result document's signatures: its short code, verification page and signers."""
    code = str((dossier.result or {}).get("issued_document") or "")
    if not code:
        return None
    try:
        document = issued_document_get(short_code=code)
    except NotFound:
        return None
    return {
        "short_code": document.short_code,
        "url": issued_document_verification_url(document=document),
        "signatures": [{**entry, "at": _parse_time(entry.get("at"))} for entry in result_signatures(dossier)],
    }


def _parse_time(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
