"""Applications: online submission and registration at the counter (receive)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from motcua.accounts.models import User
from motcua.agencies.models import Organisation, Position, Role
from motcua.agencies.selectors import position_active_list
from motcua.core.audit import audit_record
from motcua.core.calendar import calendar_get
from motcua.core.codes import normalise_tax_code, validate_personal_id, validate_tax_code
from motcua.core.exceptions import Conflict, NotAuthenticated, PermissionDenied, ValidationFailed
from motcua.core.permissions import permission_require
from motcua.dossiers.catalogue import procedure_content
from motcua.dossiers.lookup_secret import secret_hash, secret_new
from motcua.dossiers.models import ApplicantKind, Channel, Dossier, DossierStatus
from motcua.dossiers.services._base import (
    Errors,
    add_error,
    deadline_start,
    dossier_code_next,
    implementing_organisation,
    may_receive,
    moment,
    raise_if_any,
    record,
    search_key_of,
    step_start,
)
from motcua.dossiers.services.fees import dossier_fee_quote, fee_request_create
from motcua.dossiers.services.files import FileRef, file_refs_attach, required_components_check
from motcua.dossiers.services.form_data import form_data_clean
from motcua.dossiers.workflow import Action, transition_target
from motcua.procedures.content import ProcedureContent
from motcua.procedures.models import ProcedureVersion


def _fingerprint(payload: dict[str, Any]) -> str:
    encoded = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def _idempotency_scope(actor: Any) -> str:
    if isinstance(actor, User):
        return f"user:{actor.pk}"
    return f"client:{getattr(actor, 'client_id', '')}"


def _replay(*, dossier: Dossier, fingerprint: str, actor: Any) -> Dossier:
    """The dossier an earlier request with the same Idempotency-Key created, if the payload is the same."""
    if dossier.idempotency_fingerprint != fingerprint:
        raise Conflict(
            _("This Idempotency-Key was already used for a different application."),
            code="idempotency_key_reused",
            details={"dossier": dossier.code},
        )
    # Only a hash of the lookup secret is kept: the replayed answer carries a newly issued one.
    secret = secret_new()
    dossier.secret_hash = secret_hash(secret)
    dossier.save(update_fields=["secret_hash", "updated_at"])
    audit_record(action="dossiers.secret_reissue", instance=dossier, actor=actor, after={"reason": "idempotent_replay"})
    dossier.lookup_secret = secret
    dossier.idempotent_replay = True
    return dossier


def _applicant_from_account(user: User) -> dict[str, Any]:
    is_business = user.kind == User.Kind.BUSINESS
    return {
        "applicant_kind": ApplicantKind.BUSINESS if is_business else ApplicantKind.CITIZEN,
        "applicant_name": (user.organisation_name if is_business and user.organisation_name else user.full_name)
        or user.username,
        "applicant_identifier": user.tax_code if is_business else user.personal_id,
        "applicant_phone": user.phone,
        "applicant_email": user.email,
        "applicant_address": user.address,
    }


def _check_procedure(*, content: ProcedureContent, version: ProcedureVersion, errors: Errors) -> None:
    if not version.procedure.is_active:
        add_error(errors, "procedure", _("This procedure is no longer offered."))


def _new_dossier(
    *,
    version: ProcedureVersion,
    receiving: Organisation,
    processing: Organisation,
    channel: int,
    form_data: dict[str, Any],
    summary: str,
    at: dt.datetime,
    applicant: User | None,
    applicant_fields: dict[str, Any],
) -> tuple[Dossier, str]:
    secret = secret_new()
    dossier = Dossier(
        code=dossier_code_next(organisation=receiving, at=at),
        secret_hash=secret_hash(secret),
        procedure_version=version,
        procedure=version.procedure,
        applicant=applicant,
        channel=channel,
        status=DossierStatus.NEW,
        receiving_organisation=receiving,
        processing_organisation=processing,
        form_data=form_data,
        summary=summary[:500],
        submitted_at=at,
        **applicant_fields,
    )
    dossier.search_key = search_key_of(dossier)
    return dossier, secret


@transaction.atomic
def dossier_submit_online(
    *,
    actor: Any,
    procedure_version: ProcedureVersion,
    form_data: dict[str, Any],
    files: list[FileRef],
    receiving_organisation: Organisation | None = None,
    summary: str = "",
    idempotency_key: str = "",
    copies: int = 1,
    applicant_category: str = "",
    at: dt.datetime | None = None,
) -> Dossier:
    """A citizen or business applies online (Decree 45/2020 on online administrative procedures).

    The dossier starts as "newly submitted" (TrangThaiHoSo 1), even for full-process online services:
    under Decree 61/2018 (art. 19, as amended by Decree 107/2021) an official of the one-stop desk checks
    an online dossier and receives it (or asks for a supplement, or refuses it), and the statutory time
    runs from that receipt. With an ``idempotency_key`` a retried request returns the same dossier; the
    same key with a different payload is a 409 ``idempotency_key_reused``.

    The procedure's fees are quoted for ``copies`` (per-copy lines) and the exemption group the applicant says
    they belong to (``applicant_category``, checked by the desk later); when they come to more than nothing,
    the dossier's bill is made in the same transaction (``fees_due``; payments purpose ``dossier_fees``), to
    pay online or at the desk. A full-process dossier is received once its fees are paid (ADR 0017).
    """
    at = moment(at)
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotAuthenticated()
    permission_require(actor, "dossiers.submit", procedure_version)
    assert isinstance(actor, User)  # the rule admits citizens and businesses only
    content = procedure_content(procedure_version)
    receiving = receiving_organisation
    if receiving is None:
        first_code = (content.receiving_organisation_codes or [content.implementing_organisation_code])[0]
        receiving = Organisation.objects.filter(code=first_code, is_active=True).first()
    key = (idempotency_key or "").strip()[:200]
    fingerprint = _fingerprint(
        {
            "version": str(procedure_version.pk),
            "receiving": receiving.code if receiving else None,
            "form": form_data,
            "files": sorted(
                [ref.component_code, str(ref.upload_id or ""), str(ref.reuse_file_id or "")] for ref in files
            ),
            "summary": summary,
            "copies": copies,
            "category": applicant_category,
        }
    )
    scope = _idempotency_scope(actor)
    if key:
        earlier = Dossier.objects.select_for_update().filter(idempotency_scope=scope, idempotency_key=key).first()
        if earlier is not None:
            return _replay(dossier=earlier, fingerprint=fingerprint, actor=actor)

    transition_target(None, Action.SUBMIT)
    errors: Errors = {}
    _check_procedure(content=content, version=procedure_version, errors=errors)
    if content.online_level == "none":
        add_error(errors, "procedure", _("This procedure cannot be applied for online."))
    if actor.kind not in content.applicant_kinds:
        add_error(errors, "applicant", _("This procedure is not for your kind of account."))
    if receiving is None or not may_receive(organisation=receiving, content=content):
        add_error(errors, "receiving_organisation", _("This organisation does not receive this procedure."))
    cleaned, form_errors = form_data_clean(fields=list(content.form_fields), data=form_data)
    errors.update(form_errors)
    required_components_check(content=content, refs=files, paper_components=[], errors=errors)
    file_refs_attach(
        refs=files,
        dossier=Dossier(),
        content=content,
        uploader=actor,
        reuse_owner=actor,
        errors=errors,
        dry_run=True,
    )
    quote = None
    try:
        quote = dossier_fee_quote(content=content, copies=copies, applicant_category=applicant_category)
    except ValidationFailed as error:
        errors.update({f"fees.{key}": list(value) for key, value in (error.details or {}).items()})
    raise_if_any(errors)
    assert receiving is not None and quote is not None
    processing = implementing_organisation(content)

    try:
        with transaction.atomic():
            dossier, secret = _new_dossier(
                version=procedure_version,
                receiving=receiving,
                processing=processing,
                channel=Channel.ONLINE,
                form_data=cleaned,
                summary=summary.strip() or content.name,
                at=at,
                applicant=actor,
                applicant_fields=_applicant_from_account(actor),
            )
            dossier.idempotency_scope, dossier.idempotency_key = (scope, key) if key else ("", "")
            dossier.idempotency_fingerprint = fingerprint if key else ""
            dossier.save()
    except IntegrityError:
        # The same key arrived twice at once: the other request created the dossier first.
        earlier = Dossier.objects.select_for_update().filter(idempotency_scope=scope, idempotency_key=key).first()
        if key and earlier is not None:
            return _replay(dossier=earlier, fingerprint=fingerprint, actor=actor)
        raise
    file_refs_attach(refs=files, dossier=dossier, content=content, uploader=actor, reuse_owner=actor, errors=errors)
    raise_if_any(errors)
    dossier.fee_copies = copies
    dossier.fee_exemption_category = (applicant_category or "").strip()[:200]
    dossier.fees_due = quote.total
    bill = fee_request_create(dossier=dossier, content=content, quote=quote) if quote.total > 0 else None
    record(
        dossier=dossier,
        action=Action.SUBMIT,
        from_status="",
        actor=actor,
        position=None,
        at=at,
        before=None,
        details={"fees_due": quote.total, "payment_request": bill.code} if bill is not None else None,
    )
    dossier.lookup_secret = secret
    return dossier


def _clerk_organisation(*, actor: Any, receiving_organisation: Organisation | None) -> tuple[Organisation, Position]:
    clerk_positions = [p for p in position_active_list(user=actor) if p.role == Role.ONE_STOP_CLERK]
    if receiving_organisation is not None:
        permission_require(actor, "dossiers.receive_at_counter", receiving_organisation)
        position = next(p for p in clerk_positions if p.organisation_id == receiving_organisation.pk)
        return receiving_organisation, position
    if not clerk_positions:
        raise PermissionDenied(details={"action": "dossiers.receive_at_counter"})
    if len({p.organisation_id for p in clerk_positions}) > 1:
        raise ValidationFailed(
            details={"receiving_organisation": [str(_("Say at which organisation's desk you receive it."))]}
        )
    return clerk_positions[0].organisation, clerk_positions[0]


def _applicant_at_counter(
    *, applicant: dict[str, Any], errors: Errors, content: ProcedureContent
) -> tuple[dict[str, Any], User | None]:
    kind = str(applicant.get("kind") or ApplicantKind.CITIZEN)
    if kind not in ApplicantKind.values:
        add_error(errors, "applicant.kind", _("Choose citizen or business."))
        kind = ApplicantKind.CITIZEN
    if kind not in content.applicant_kinds:
        add_error(errors, "applicant.kind", _("This procedure is not for this kind of applicant."))
    name = str(applicant.get("full_name") or "").strip()
    if not name:
        add_error(errors, "applicant.full_name", _("This field is required."))
    identifier = str(applicant.get("identifier") or "").strip()
    account: User | None = None
    if identifier:
        try:
            if kind == ApplicantKind.BUSINESS:
                identifier = normalise_tax_code(identifier)
                validate_tax_code(identifier)
                account = User.objects.filter(kind=User.Kind.BUSINESS, tax_code=identifier, is_active=True).first()
            else:
                validate_personal_id(identifier)
                account = (
                    User.objects.filter(personal_id=identifier, is_active=True).exclude(kind=User.Kind.OFFICIAL).first()
                )
        except Exception as error:
            for message in getattr(error, "messages", [str(error)]):
                add_error(errors, "applicant.identifier", message)
    else:
        add_error(errors, "applicant.identifier", _("This field is required."))
    email = str(applicant.get("email") or "").strip()
    fields = {
        "applicant_kind": kind,
        "applicant_name": name[:300],
        "applicant_identifier": identifier[:20],
        "applicant_phone": str(applicant.get("phone") or "").strip()[:20],
        "applicant_email": email[:254],
        "applicant_address": str(applicant.get("address") or "").strip()[:300],
    }
    return fields, account


@transaction.atomic
def dossier_receive_at_counter(
    *,
    actor: Any,
    procedure_version: ProcedureVersion,
    applicant: dict[str, Any],
    form_data: dict[str, Any],
    files: list[FileRef] | None = None,
    paper_components: list[str] | None = None,
    channel: int = Channel.IN_PERSON,
    receiving_organisation: Organisation | None = None,
    summary: str = "",
    at: dt.datetime | None = None,
) -> Dossier:
    """A one-stop-desk clerk registers and receives a dossier brought in person or by post (Decree 61/2018,
    art. 18-19), printing the receipt and appointment slip (Form 01).

    Any public administration service centre of a province may receive a dossier of a procedure that an
    organisation of that province implements; the dossier is routed to that organisation (receipt
    regardless of administrative boundaries, Decree 118/2025). The applicant's account, if one exists
    for the personal ID or tax code, is linked so they can follow the dossier online. ``applicant`` has
    ``kind`` (citizen/business), ``full_name``, ``identifier`` (personal ID or tax code), ``phone``,
    ``email``, ``address``; ``paper_components`` are the components received on paper without a scan.
    """
    at = moment(at)
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotAuthenticated()
    receiving, position = _clerk_organisation(actor=actor, receiving_organisation=receiving_organisation)
    transition_target(None, Action.RECEIVE_AT_COUNTER)
    content = procedure_content(procedure_version)
    files = files or []
    paper = list(paper_components or [])
    errors: Errors = {}
    if channel not in (Channel.IN_PERSON, Channel.POST):
        add_error(errors, "channel", _("At the counter a dossier comes in person or by post."))
    if not may_receive(organisation=receiving, content=content):
        raise PermissionDenied(
            _("Your organisation does not receive dossiers of this procedure."),
            code="dossier_receiving_not_allowed",
        )
    _check_procedure(content=content, version=procedure_version, errors=errors)
    applicant_fields, account = _applicant_at_counter(applicant=applicant, errors=errors, content=content)
    cleaned, form_errors = form_data_clean(fields=list(content.form_fields), data=form_data)
    errors.update(form_errors)
    required_components_check(content=content, refs=files, paper_components=paper, errors=errors)
    file_refs_attach(
        refs=files, dossier=Dossier(), content=content, uploader=actor, reuse_owner=account, errors=errors, dry_run=True
    )
    raise_if_any(errors)
    processing = implementing_organisation(content)
    dossier, secret = _new_dossier(
        version=procedure_version,
        receiving=receiving,
        processing=processing,
        channel=channel,
        form_data=cleaned,
        summary=summary.strip() or content.name,
        at=at,
        applicant=account,
        applicant_fields=applicant_fields,
    )
    calendar = calendar_get()
    dossier.status = DossierStatus.ACCEPTED
    dossier.received_at = at
    dossier.received_by = actor
    deadline_start(dossier=dossier, content=content, at=at, calendar=calendar)
    dossier.save()
    file_refs_attach(
        refs=files,
        dossier=dossier,
        content=content,
        uploader=actor,
        reuse_owner=account,
        errors=errors,
        digitised=True,
    )
    raise_if_any(errors)
    step_start(
        dossier=dossier, index=0, at=at, calendar=calendar, assignee=actor if _holds_first(actor, dossier) else None
    )
    record(
        dossier=dossier,
        action=Action.RECEIVE_AT_COUNTER,
        from_status="",
        actor=actor,
        position=position,
        at=at,
        before=None,
        details={"paper_components": paper},
    )
    dossier.lookup_secret = secret
    return dossier


def _holds_first(actor: Any, dossier: Dossier) -> bool:
    from motcua.dossiers.services._base import holds_step

    step = procedure_content(dossier.procedure_version).workflow[0]
    return holds_step(actor, dossier, step)
