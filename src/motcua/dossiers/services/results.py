"""Approval, the result document and its return to the applicant."""

from __future__ import annotations

import datetime as dt
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from motcua.accounts.models import User
from motcua.core.calendar import calendar_get
from motcua.core.exceptions import InvalidState, ValidationFailed
from motcua.dossiers.catalogue import procedure_content
from motcua.dossiers.models import Dossier, DossierFile, ResultMethod, StepRecord
from motcua.dossiers.services._base import (
    actor_label,
    audited,
    begin,
    clock_stop,
    moment,
    record,
    step_clear,
    step_finish,
    step_start,
)
from motcua.dossiers.services.fees import open_requests_of
from motcua.dossiers.services.files import file_store
from motcua.dossiers.workflow import Action, decision_step_index
from motcua.signatures.keys import signing_key_find


@transaction.atomic
def dossier_approve(
    *,
    actor: Any,
    dossier: Dossier,
    result: dict[str, Any] | None = None,
    note: str = "",
    expected_step: str | None = None,
    at: dt.datetime | None = None,
) -> Dossier:
    """The decision step's official (the agency leader, or the unit head where the process ends there)
    approves: processing is finished (TrangThaiHoSo 9), the result document's data is prepared for the
    template, signature and PDF, and the one-stop desk's hand-over step, if any, starts (Decree 61/2018,
    art. 20). ``result`` holds the decision's own data (number, date, content...)."""
    at = moment(at)
    dossier, position, target = begin(actor=actor, dossier=dossier, action=Action.APPROVE, expected_step=expected_step)
    content = procedure_content(dossier.procedure_version)
    decision = decision_step_index(content)
    if dossier.current_step_index is None or dossier.current_step_index != decision:
        raise InvalidState(
            _("Only the decision step of the internal process approves the dossier."),
            code="dossier_not_at_last_step",
        )
    if result is not None and not isinstance(result, dict):
        raise ValidationFailed(details={"result": [str(_("The result must be a set of named values."))]})
    before, from_status = audited(dossier), dossier.status
    calendar = calendar_get()
    step_finish(dossier=dossier, at=at, calendar=calendar, outcome=StepRecord.Outcome.APPROVED, actor=actor)
    if decision + 1 < len(content.workflow):
        step_start(dossier=dossier, index=decision + 1, at=at, calendar=calendar)  # hand the result over
    else:
        step_clear(dossier)
    dossier.status = target
    dossier.finished_at = at
    clock_stop(dossier=dossier, at=at, calendar=calendar)
    dossier.result = {
        "name": content.result_name,
        "kind": content.result_kind,
        "template": content.result_template,
        "data": dict(result or {}),
        "approved_by": actor_label(actor),
        "approved_by_id": str(actor.pk) if isinstance(actor, User) else "",
        "approved_by_title": (position.title or str(position.get_role_display())) if position is not None else "",
        "approved_at": at.isoformat(),
    }
    record(
        dossier=dossier,
        action=Action.APPROVE,
        from_status=from_status,
        actor=actor,
        position=position,
        at=at,
        before=before,
        note=note,
    )
    return dossier


@transaction.atomic
def dossier_result_file_attach(
    *,
    actor: Any,
    dossier: Dossier,
    content: IO[bytes],
    name: str,
    size: int | None = None,
    result_details: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> DossierFile:
    """Store the result document (GiayToKetQua) of a finished dossier: the slot that the document,
    signature and PDF engines fill (they may act as SYSTEM). ``result_details`` are merged into the
    dossier's result data (the issued document's short code, where its signatures go...)."""
    at = moment(at)
    dossier, position, target = begin(actor=actor, dossier=dossier, action=Action.ATTACH_RESULT_FILE)
    before, from_status = audited(dossier), dossier.status
    if result_details:
        dossier.result = {**(dossier.result or {}), **result_details}
    item = file_store(
        content=content,
        name=name,
        size=size,
        uploaded_by=actor if isinstance(actor, User) else None,
        dossier=dossier,
        purpose=DossierFile.Purpose.RESULT,
    )
    dossier.status = target
    record(
        dossier=dossier,
        action=Action.ATTACH_RESULT_FILE,
        from_status=from_status,
        actor=actor,
        position=position,
        at=at,
        before=before,
        details={"file": str(item.pk), "sha256": item.sha256},
    )
    return item


@transaction.atomic
def dossier_return_result(
    *, actor: Any, dossier: Dossier, method: str, note: str = "", at: dt.datetime | None = None
) -> Dossier:
    """Hand the result to the applicant (TrangThaiHoSo 10): online for download, at the counter or by post.
    Online return needs an electronic result document attached; every bill of the dossier must be paid first
    (at the counter, the clerk records the payment, then hands the result over: ADR 0017)."""
    at = moment(at)
    dossier, position, target = begin(actor=actor, dossier=dossier, action=Action.RETURN_RESULT)
    if open_requests_of(dossier):
        raise InvalidState(
            _("Fees or charges of this dossier are not paid yet: record the payment before handing the result over."),
            code="dossier_fees_unpaid",
        )
    if method not in ResultMethod.values:
        raise ValidationFailed(details={"method": [str(_("Choose online, at the counter or by post."))]})
    if method == ResultMethod.ONLINE:
        if dossier.result.get("kind") == "paper":
            raise ValidationFailed(
                details={"method": [str(_("This procedure's result is on paper only; it cannot be downloaded."))]}
            )
        if not DossierFile.objects.filter(dossier=dossier, purpose=DossierFile.Purpose.RESULT).exists():
            raise InvalidState(
                _("Attach the electronic result document before returning it online."),
                code="dossier_result_file_missing",
            )
        organisation_code = dossier.processing_organisation.code or ""
        sealed = any(entry.get("kind") == "agency_seal" for entry in (dossier.result or {}).get("signatures") or [])
        if (
            organisation_code
            and not sealed
            and signing_key_find(organisation_code=organisation_code, kind="agency_seal") is not None
        ):
            raise InvalidState(
                _("Apply the agency seal to the result document before returning it online."),
                code="dossier_result_not_sealed",
            )
    before, from_status = audited(dossier), dossier.status
    if dossier.current_step_index is not None:  # the hand-over step ends with the return
        step_finish(dossier=dossier, at=at, calendar=calendar_get(), outcome=StepRecord.Outcome.FORWARDED, actor=actor)
        step_clear(dossier)
    dossier.status = target
    dossier.returned_at = at
    dossier.result_method = method
    record(
        dossier=dossier,
        action=Action.RETURN_RESULT,
        from_status=from_status,
        actor=actor,
        position=position,
        at=at,
        before=before,
        note=note,
        details={"method": method},
    )
    return dossier
