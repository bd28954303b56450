"""Files of dossiers: uploads checked by their real content and size, re-use of earlier documents."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import IO, Any

import filetype
from django.conf import settings
from django.core.files.base import File
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from motcua.accounts.models import User
from motcua.core.audit import audit_record, snapshot
from motcua.core.exceptions import NotAuthenticated, PermissionDenied, ValidationFailed
from motcua.core.files import safe_name as _safe_name
from motcua.dossiers.models import Dossier, DossierFile
from motcua.dossiers.services._base import Errors, add_error
from motcua.procedures.content import ProcedureContent

# Sniffed type -> extensions a file of that type may carry in its name.
ALLOWED_TYPES: dict[str, tuple[str, ...]] = {
    "application/pdf": ("pdf",),
    "image/jpeg": ("jpg", "jpeg"),
    "image/png": ("png",),
}
_CHUNK = 64 * 1024


def upload_max_bytes() -> int:
    return int(settings.DOSSIER_UPLOAD_MAX_BYTES)


@dataclass(frozen=True)
class FileRef:
    """A document given with an application: a fresh upload, or an earlier document re-used."""

    component_code: str
    upload_id: uuid.UUID | None = None
    reuse_file_id: uuid.UUID | None = None


def file_content_check(*, content: IO[bytes], name: str, size: int | None) -> tuple[str, str, int]:
    """Sniff the real type, check the name agrees and the size is allowed; (content type, sha256, size).

    Nothing is stored here: a refused file leaves no trace.
    """
    limit = upload_max_bytes()
    if size is not None and size > limit:
        raise ValidationFailed(
            _("The file is larger than the %(megabytes)s MB allowed.") % {"megabytes": f"{limit / 1048576:g}"},
            code="file_too_large",
            details={"file": [str(_("The file is too large."))]},
        )
    content.seek(0)
    head = content.read(8192)
    content.seek(0)
    kind = filetype.guess(head) if head else None
    mime = kind.mime if kind is not None else ""
    if mime not in ALLOWED_TYPES:
        raise ValidationFailed(
            _("Only PDF, JPEG and PNG files are accepted."),
            code="file_type_not_allowed",
            details={"file": [str(_("Only PDF, JPEG and PNG files are accepted."))]},
        )
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    if extension not in ALLOWED_TYPES[mime]:
        raise ValidationFailed(
            _("The file's name does not match its content (a %(kind)s file named “%(name)s”).")
            % {"kind": kind.extension.upper() if kind else "?", "name": name},
            code="file_type_mismatch",
            details={"file": [str(_("The file's name does not match its content."))]},
        )
    digest = hashlib.sha256()
    total = 0
    while True:
        chunk = content.read(_CHUNK)
        if not chunk:
            break
        total += len(chunk)
        if total > limit:
            raise ValidationFailed(
                _("The file is larger than the %(megabytes)s MB allowed.") % {"megabytes": f"{limit / 1048576:g}"},
                code="file_too_large",
                details={"file": [str(_("The file is too large."))]},
            )
        digest.update(chunk)
    content.seek(0)
    return mime, digest.hexdigest(), total


def file_store(
    *,
    content: IO[bytes],
    name: str,
    size: int | None,
    uploaded_by: User | None,
    dossier: Dossier | None = None,
    purpose: str = DossierFile.Purpose.SUBMITTED,
    component_code: str = "",
) -> DossierFile:
    safe_name = _safe_name(name)
    mime, sha256, total = file_content_check(content=content, name=safe_name, size=size)
    item = DossierFile(
        dossier=dossier,
        purpose=purpose,
        component_code=component_code,
        name=safe_name,
        size=total,
        content_type=mime,
        sha256=sha256,
        uploaded_by=uploaded_by,
    )
    item.file.save(safe_name, File(content), save=False)
    item.save()
    return item


@transaction.atomic
def dossier_file_upload(*, actor: Any, content: IO[bytes], name: str, size: int | None = None) -> DossierFile:
    """Keep an upload for the actor's next application or supplement (checked by real type and size)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotAuthenticated()
    if not isinstance(actor, User):
        raise PermissionDenied(code="user_required")
    item = file_store(content=content, name=name, size=size, uploaded_by=actor)
    audit_record(action="dossiers.file_upload", instance=item, after=snapshot(item), actor=actor)
    return item


def file_refs_attach(
    *,
    refs: list[FileRef],
    dossier: Dossier,
    content: ProcedureContent,
    uploader: Any,
    reuse_owner: User | None,
    errors: Errors,
    digitised: bool = False,
    dry_run: bool = False,
) -> list[DossierFile]:
    """Check (and unless ``dry_run`` attach) the documents of an application or supplement.

    Uploads must be the uploader's own and not yet used; re-used documents must come from the applicant's
    earlier dossiers or results, for components the procedure marks re-usable (Decree 45/2020).
    """
    components = {component.code: component for component in content.components}
    attached: list[DossierFile] = []
    for number, ref in enumerate(refs):
        key = f"files.{number}"
        component = components.get(ref.component_code)
        if component is None:
            add_error(errors, key, _("This procedure has no such dossier component."))
            continue
        if (ref.upload_id is None) == (ref.reuse_file_id is None):
            add_error(errors, key, _("Give either an uploaded file or a document to re-use."))
            continue
        if ref.upload_id is not None:
            upload = DossierFile.objects.filter(
                pk=ref.upload_id,
                dossier__isnull=True,
                purpose=DossierFile.Purpose.SUBMITTED,
                uploaded_by_id=getattr(uploader, "pk", None),
            ).first()
            if upload is None or not isinstance(uploader, User):
                add_error(errors, key, _("This upload does not exist or was already used."))
                continue
            if not dry_run:
                upload.dossier = dossier
                upload.component_code = component.code
                upload.is_digitised = digitised
                upload.save(update_fields=["dossier", "component_code", "is_digitised", "updated_at"])
            attached.append(upload)
            continue
        if not component.reusable:
            add_error(errors, key, _("This component cannot be taken from earlier documents."))
            continue
        source = (
            DossierFile.objects.filter(pk=ref.reuse_file_id, dossier__applicant=reuse_owner).first()
            if reuse_owner is not None and ref.reuse_file_id is not None
            else None
        )
        if source is None:
            add_error(errors, key, _("This document is not one of the applicant's earlier documents."))
            continue
        if not dry_run:
            reused = DossierFile.objects.create(
                dossier=dossier,
                purpose=DossierFile.Purpose.SUBMITTED,
                component_code=component.code,
                file=source.file.name,
                name=source.name,
                size=source.size,
                content_type=source.content_type,
                sha256=source.sha256,
                uploaded_by=uploader if isinstance(uploader, User) else None,
                reused_from=source,
            )
            attached.append(reused)
        else:
            attached.append(source)
    return attached


def required_components_check(
    *, content: ProcedureContent, refs: list[FileRef], paper_components: list[str], errors: Errors
) -> None:
    given = {ref.component_code for ref in refs} | set(paper_components)
    known = {component.code for component in content.components}
    for code in paper_components:
        if code not in known:
            add_error(errors, "paper_components", _("This procedure has no such dossier component."))
    for component in content.components:
        if component.required and component.code not in given:
            add_error(
                errors,
                f"components.{component.code}",
                _("“%(name)s” is required.") % {"name": component.name},
            )
