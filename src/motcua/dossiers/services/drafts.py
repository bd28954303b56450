"""Drafts of online applications: started, saved at every step, resumed, discarded or submitted.

A draft belongs to its applicant alone: anyone else is told it does not exist (``NotFound``), as for
dossiers. Every write is audited. Submission goes through ``dossier_submit_online`` with the draft's id as
the Idempotency-Key, so a double click or a browser retry never makes two dossiers.

The two reads at the end (``draft_get``, ``draft_list_for_applicant``) sit here beside the writes they
serve; they apply the same owner rule.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from motcua.accounts.models import User
from motcua.core.audit import audit_record, snapshot
from motcua.core.exceptions import InvalidState, NotAuthenticated, NotFound, PermissionDenied, ValidationFailed
from motcua.core.permissions import permission_require
from motcua.dossiers.catalogue import procedure_content
from motcua.dossiers.models import Dossier, DossierDraft, DossierFile, DraftStep
from motcua.dossiers.services._base import Errors, add_error, moment, raise_if_any
from motcua.dossiers.services.fees import dossier_fee_quote
from motcua.dossiers.services.files import FileRef, file_content_check, file_refs_attach, file_store
from motcua.dossiers.services.form_data import form_data_clean
from motcua.dossiers.services.submission import dossier_submit_online
from motcua.procedures.content import ProcedureContent
from motcua.procedures.models import ProcedureVersion

STEP_ORDER: tuple[str, ...] = tuple(DraftStep.values)
# Account attributes a form field may be pre-filled from (FormField.prefill).
PREFILL_SOURCES = ("full_name", "personal_id", "tax_code", "phone", "email", "address")


@dataclass(frozen=True)
class DraftUpload:
    """A file the applicant chose for a dossier component in the documents step."""

    content: IO[bytes]
    name: str
    size: int | None = None


def _applicant(actor: Any) -> User:
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotAuthenticated()
    if not isinstance(actor, User):
        raise PermissionDenied(code="user_required")
    return actor


def _own(actor: User, draft: DossierDraft, *, for_update: bool = False) -> DossierDraft:
    drafts = DossierDraft.objects.select_related("procedure_version", "procedure_version__procedure")
    if for_update:
        drafts = drafts.select_for_update(of=("self",))
    found = drafts.filter(pk=draft.pk, applicant_id=actor.pk).first()
    if found is None:
        raise NotFound(_("There is no application draft with this number, or it is not yours."))
    return found


def _open(draft: DossierDraft) -> None:
    if draft.dossier_id is not None:
        raise InvalidState(_("This application has already been submitted."), code="draft_submitted")


def _later(step: str, other: str) -> str:
    return step if STEP_ORDER.index(step) >= STEP_ORDER.index(other) else other


def _earlier(step: str, other: str) -> str:
    return step if STEP_ORDER.index(step) <= STEP_ORDER.index(other) else other


def prefill_value(*, user: User, source: str) -> str:
    """The account's value for a form field's ``prefill`` source (a business's name for ``full_name``)."""
    if source not in PREFILL_SOURCES:
        return ""
    if source == "full_name" and user.kind == User.Kind.BUSINESS and user.organisation_name:
        return user.organisation_name
    return str(getattr(user, source, "") or "")


def draft_prefill(*, user: User, content: ProcedureContent) -> dict[str, Any]:
    """Form values taken from the applicant's account, for fields that ask for them."""
    values: dict[str, Any] = {}
    for field in content.form_fields:
        value = prefill_value(user=user, source=field.prefill) if field.prefill else ""
        if value:
            values[field.name] = value
    return values


@transaction.atomic
def draft_start(*, actor: Any, procedure_version: ProcedureVersion, at: dt.datetime | None = None) -> DossierDraft:
    """A citizen or business starts applying online; the form is pre-filled from their account."""
    user = _applicant(actor)
    permission_require(user, "dossiers.submit", procedure_version)
    content = procedure_content(procedure_version)
    errors: Errors = {}
    if not procedure_version.procedure.is_active:
        add_error(errors, "procedure", _("This procedure is no longer offered."))
    if content.online_level == "none":
        add_error(errors, "procedure", _("This procedure cannot be applied for online."))
    if user.kind not in content.applicant_kinds:
        add_error(errors, "applicant", _("This procedure is not for your kind of account."))
    raise_if_any(errors)
    draft = DossierDraft.objects.create(
        applicant=user,
        procedure_version=procedure_version,
        current_step=DraftStep.FORM,
        form_data=draft_prefill(user=user, content=content),
    )
    audit_record(action="dossiers.draft_start", instance=draft, actor=user, after=snapshot(draft))
    return draft


def _check_uploads(uploads: Mapping[str, DraftUpload], errors: Errors) -> None:
    """Check every new file before storing any, so that a refused file leaves nothing behind."""
    for code, upload in uploads.items():
        try:
            file_content_check(content=upload.content, name=upload.name, size=upload.size)
        except ValidationFailed as error:
            add_error(errors, f"documents.{code}", str(error.message))


def _documents_refs(documents: Mapping[str, Mapping[str, str]]) -> list[FileRef]:
    refs: list[FileRef] = []
    for code, chosen in documents.items():
        upload_id = chosen.get("upload_id")
        reuse_id = chosen.get("reuse_file_id")
        refs.append(
            FileRef(
                component_code=code,
                upload_id=uuid.UUID(upload_id) if upload_id else None,
                reuse_file_id=uuid.UUID(reuse_id) if reuse_id else None,
            )
        )
    return refs


def _upload_release(*, actor: User, documents: Mapping[str, Any], code: str) -> None:
    """Delete the draft's own upload for a component (never a re-used document, never an attached file)."""
    upload_id = (documents.get(code) or {}).get("upload_id")
    if not upload_id:
        return
    for item in DossierFile.objects.filter(pk=upload_id, dossier__isnull=True, uploaded_by=actor):
        name = item.file.name
        item.delete()
        if name and not DossierFile.objects.filter(file=name).exists():
            item.file.storage.delete(name)


def _save_documents(
    *,
    actor: User,
    draft: DossierDraft,
    content: ProcedureContent,
    uploads: Mapping[str, DraftUpload],
    reuses: Mapping[str, str],
    removed: Sequence[str],
) -> dict[str, dict[str, str]]:
    components = {component.code: component for component in content.components}
    errors: Errors = {}
    for code in [*uploads, *reuses, *removed]:
        if code not in components:
            add_error(errors, f"documents.{code}", _("This procedure has no such dossier component."))
    raise_if_any(errors)
    _check_uploads(uploads, errors)
    chosen_reuses: dict[str, str] = {}
    for code, file_id in reuses.items():
        if code in uploads:
            continue  # a new upload wins over a re-use chosen in the same form
        try:
            reuse_id = uuid.UUID(str(file_id))
        except ValueError:
            add_error(errors, f"documents.{code}", _("This document is not one of the applicant's earlier documents."))
            continue
        reuse_errors: Errors = {}
        file_refs_attach(
            refs=[FileRef(component_code=code, reuse_file_id=reuse_id)],
            dossier=Dossier(),
            content=content,
            uploader=actor,
            reuse_owner=actor,
            errors=reuse_errors,
            dry_run=True,
        )
        for messages in reuse_errors.values():
            for message in messages:
                add_error(errors, f"documents.{code}", message)
        chosen_reuses[code] = str(reuse_id)
    raise_if_any(errors)
    documents: dict[str, dict[str, str]] = {code: dict(value) for code, value in (draft.documents or {}).items()}
    for code in removed:
        if code in uploads or code in chosen_reuses:
            continue
        _upload_release(actor=actor, documents=documents, code=code)
        documents.pop(code, None)
    for code, upload in uploads.items():
        _upload_release(actor=actor, documents=documents, code=code)
        item = file_store(
            content=upload.content, name=upload.name, size=upload.size, uploaded_by=actor, component_code=code
        )
        audit_record(action="dossiers.file_upload", instance=item, after=snapshot(item), actor=actor)
        documents[code] = {"upload_id": str(item.pk)}
    for code, chosen_id in chosen_reuses.items():
        _upload_release(actor=actor, documents=documents, code=code)
        documents[code] = {"reuse_file_id": chosen_id}
    return documents


def draft_missing_components(*, draft: DossierDraft) -> list[str]:
    """Codes of the required components the draft has no document for yet."""
    content = procedure_content(draft.procedure_version)
    chosen = set((draft.documents or {}).keys())
    return [component.code for component in content.components if component.required and component.code not in chosen]


@transaction.atomic
def draft_save_step(
    *,
    actor: Any,
    draft: DossierDraft,
    step: str,
    form_data: dict[str, Any] | None = None,
    uploads: Mapping[str, DraftUpload] | None = None,
    reuses: Mapping[str, str] | None = None,
    removed: Sequence[str] = (),
    copies: int | None = None,
    applicant_category: str | None = None,
    advance: bool = True,
    at: dt.datetime | None = None,
) -> DossierDraft:
    """Save one step of the applicant's draft and move it on to the next step.

    The form is validated against the procedure version's form (nothing is saved when it is invalid); new
    files are checked by their real content type and size before any is stored; re-used documents must
    be the applicant's own earlier documents, for components the procedure marks re-usable (Decree
    45/2020). The documents step moves on only when every required component has a document. The fees
    step keeps the number of copies and the exemption group the applicant declares (validated by the quote);
    with ``advance=False`` the step is saved without moving on (the fees page recomputes the amount).
    """
    user = _applicant(actor)
    draft = _own(user, draft, for_update=True)
    _open(draft)
    if step not in STEP_ORDER:
        raise ValidationFailed(details={"step": [str(_("Unknown step."))]})
    content = procedure_content(draft.procedure_version)
    before = snapshot(draft)
    next_step = STEP_ORDER[min(STEP_ORDER.index(step) + 1, len(STEP_ORDER) - 1)]
    if step == DraftStep.FORM:
        cleaned, errors = form_data_clean(fields=list(content.form_fields), data=form_data or {})
        raise_if_any(errors)
        draft.form_data = cleaned
    elif step == DraftStep.FEES:
        chosen_copies = draft.fee_copies if copies is None else copies
        chosen_category = draft.fee_exemption_category if applicant_category is None else applicant_category
        dossier_fee_quote(content=content, copies=chosen_copies, applicant_category=chosen_category)
        draft.fee_copies = chosen_copies
        draft.fee_exemption_category = (chosen_category or "").strip()
    elif step == DraftStep.DOCUMENTS:
        draft.documents = _save_documents(
            actor=user,
            draft=draft,
            content=content,
            uploads=uploads or {},
            reuses=reuses or {},
            removed=removed,
        )
    if step == DraftStep.DOCUMENTS and draft_missing_components(draft=draft):
        # A required document is missing: the application cannot go further than this step.
        draft.current_step = _earlier(DraftStep.DOCUMENTS, draft.current_step)
    elif not advance:
        draft.current_step = _later(step, draft.current_step)
    else:
        draft.current_step = _later(next_step, draft.current_step)
    draft.save()
    audit_record(action="dossiers.draft_save", instance=draft, actor=user, before=before, after=snapshot(draft))
    return draft


@transaction.atomic
def draft_discard(*, actor: Any, draft: DossierDraft) -> None:
    """The applicant abandons a draft; the files uploaded for it (and used nowhere else) are deleted."""
    user = _applicant(actor)
    draft = _own(user, draft, for_update=True)
    _open(draft)
    before = snapshot(draft)
    documents = dict(draft.documents or {})
    for code in list(documents):
        _upload_release(actor=user, documents=documents, code=code)
    audit_record(action="dossiers.draft_discard", instance=draft, actor=user, before=before)
    draft.delete()


@transaction.atomic
def draft_submit(*, actor: Any, draft: DossierDraft, at: dt.datetime | None = None) -> Dossier:
    """Submit the draft as an online dossier (``dossier_submit_online``), idempotently.

    The draft's id is the Idempotency-Key: submitting the same draft again (a double click, a retried
    request) returns the dossier already made, with a newly issued lookup secret.
    """
    at = moment(at)
    user = _applicant(actor)
    draft = _own(user, draft, for_update=True)
    before = snapshot(draft)
    dossier = dossier_submit_online(
        actor=user,
        procedure_version=draft.procedure_version,
        form_data=dict(draft.form_data or {}),
        files=_documents_refs(draft.documents or {}),
        idempotency_key=f"draft:{draft.pk}",
        copies=draft.fee_copies,
        applicant_category=draft.fee_exemption_category,
        at=at,
    )
    if draft.dossier_id is None:
        draft.dossier = dossier
        draft.submitted_at = at
        draft.current_step = DraftStep.REVIEW
        draft.save(update_fields=["dossier", "submitted_at", "current_step", "updated_at"])
        audit_record(action="dossiers.draft_submit", instance=draft, actor=user, before=before, after=snapshot(draft))
    return dossier


# ------------------------------------------------------------------------------------------------------
# Reads (the owner rule of the writes above)
# ------------------------------------------------------------------------------------------------------


def draft_get(*, user: Any, draft_id: uuid.UUID | str) -> DossierDraft:
    """One of the user's drafts (NotFound for anyone else's, or an unknown id)."""
    applicant = _applicant(user)
    try:
        identifier = uuid.UUID(str(draft_id))
    except ValueError as error:
        raise NotFound(_("There is no application draft with this number, or it is not yours.")) from error
    return _own(applicant, DossierDraft(pk=identifier))


def draft_list_for_applicant(*, user: Any) -> QuerySet[DossierDraft]:
    """The user's applications not submitted yet, the most recently saved first."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotAuthenticated()
    return (
        DossierDraft.objects.filter(applicant_id=getattr(user, "pk", None), dossier__isnull=True)
        .select_related("procedure_version", "procedure_version__procedure")
        .order_by("-updated_at")
    )
