"""Shared machinery of the dossier services: locking, checks, clocks, history, audit and events."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.accounts.models import User
from motcua.agencies.models import Organisation, Position, Role
from motcua.agencies.search import search_fold
from motcua.core.audit import audit_record, snapshot
from motcua.core.calendar import Deadline, WorkingCalendar
from motcua.core.codes import organisation_code_parse
from motcua.core.exceptions import InvalidState, NotAuthenticated, NotFound, ValidationFailed
from motcua.core.permissions import SystemActor, permission_require, user_can
from motcua.dossiers.catalogue import procedure_content
from motcua.dossiers.events import dossier_event_emit
from motcua.dossiers.models import Dossier, DossierCounter, DossierEvent, StepRecord
from motcua.dossiers.national_portal.outbox import portal_outbox_add
from motcua.dossiers.notifying import dossier_notify
from motcua.dossiers.rules import may_act
from motcua.dossiers.timeliness import deadline_of, deadline_put, dossier_timeliness_compute
from motcua.dossiers.workflow import STEP_ACTIONS, Action, transition_target
from motcua.procedures.content import ProcedureContent, WorkflowStep

Errors = dict[str, list[str]]

# Fields of a dossier written to the audit trail on each transition (creation records all of them).
AUDITED_FIELDS = [
    "status",
    "current_step_code",
    "assigned_to",
    "received_at",
    "due_at",
    "finished_at",
    "returned_at",
    "closed_at",
    "deadline_consumed_seconds",
    "deadline_running_since",
    "deadline_paused_at",
    "deadline_extended_seconds",
    "supplement_count",
    "is_on_time",
    "fees_due",
    "fees_paid",
    "result_method",
]


def moment(at: dt.datetime | None) -> dt.datetime:
    if at is None:
        return timezone.now()
    if timezone.is_naive(at):
        raise ValueError("times given to services must be timezone-aware")
    return at


def add_error(errors: Errors, field_name: str, message: Any) -> None:
    errors.setdefault(field_name, []).append(str(message))


def raise_if_any(errors: Errors) -> None:
    if errors:
        raise ValidationFailed(details=errors)


def require_text(errors: Errors, field_name: str, value: str, message: Any = None) -> str:
    text = (value or "").strip()
    if not text:
        add_error(errors, field_name, message or _("This field is required."))
    return text


# ------------------------------------------------------------------------------------------------------
# Secrets and codes
# ------------------------------------------------------------------------------------------------------


def dossier_code_next(*, organisation: Organisation, at: dt.datetime) -> str:
    """``{receiving organisation code}-{yyMMdd}-{sequence:04d}``, the sequence per organisation and local day.

    The counter row is locked (``select_for_update``), so concurrent receipts get distinct numbers.
    """
    day = timezone.localtime(at).date()
    counter, _created = DossierCounter.objects.select_for_update().get_or_create(organisation=organisation, day=day)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"{organisation.code}-{day:%y%m%d}-{counter.last_number:04d}"


def search_key_of(dossier: Dossier) -> str:
    return search_fold(
        " ".join(part for part in (dossier.code, dossier.applicant_name, dossier.applicant_identifier) if part)
    )[:400]


# ------------------------------------------------------------------------------------------------------
# Who receives, who processes
# ------------------------------------------------------------------------------------------------------


def _province_family(code: str | None) -> str | None:
    try:
        parsed = organisation_code_parse(code or "")
    except Exception:
        return None
    return parsed.level1 if parsed.level1.startswith("H") else None


def may_receive(*, organisation: Organisation, content: ProcedureContent) -> bool:
    """Whether an organisation may receive dossiers of this procedure.

    The places the procedure names, the implementing organisation itself, and ("deterritorialised"
    receipt, phi địa giới hành chính) any public administration service centre of the same province.
    """
    if not organisation.is_active or not organisation.code:
        return False
    if organisation.code in content.receiving_organisation_codes:
        return True
    if organisation.code == content.implementing_organisation_code:
        return True
    family = _province_family(content.implementing_organisation_code)
    return (
        organisation.kind == Organisation.Kind.SERVICE_CENTRE
        and family is not None
        and _province_family(organisation.code) == family
    )


def implementing_organisation(content: ProcedureContent) -> Organisation:
    organisation = Organisation.objects.filter(code=content.implementing_organisation_code, is_active=True).first()
    if organisation is None:
        raise ValidationFailed(
            _("The organisation that implements this procedure is not in the directory."),
            code="implementing_organisation_missing",
            details={"procedure": [str(_("The organisation that implements this procedure is not in the directory."))]},
        )
    return organisation


# ------------------------------------------------------------------------------------------------------
# Locking and checks
# ------------------------------------------------------------------------------------------------------


def lock(dossier: Dossier) -> Dossier:
    """The dossier as stored now, locked until the transaction ends."""
    locked = Dossier.objects.select_for_update().filter(pk=dossier.pk).first()
    if locked is None:
        raise NotFound()
    return locked


def is_system(actor: Any) -> bool:
    return isinstance(actor, SystemActor)


def begin(
    *, actor: Any, dossier: Dossier, action: str, expected_step: str | None = None
) -> tuple[Dossier, Position | None, str]:
    """Lock the dossier and check, in this order: the actor may see it (else 404), the state machine
    allows the action (else 409), the step is the one the caller saw (else 409), the actor may act
    (else 403). Returns the locked dossier, the acting position and the target status."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotAuthenticated()
    dossier = lock(dossier)
    if not user_can(actor, "dossiers.view", dossier):
        raise NotFound()
    target = transition_target(dossier.status, action)
    if action in STEP_ACTIONS and expected_step and expected_step != dossier.current_step_code:
        raise InvalidState(
            _("The dossier has moved on to another step since you opened it. Reload it and try again."),
            code="dossier_step_changed",
            details={"expected_step": expected_step, "current_step": dossier.current_step_code},
        )
    permission_require(actor, f"dossiers.{action}", dossier)
    position = None if is_system(actor) else may_act(actor, dossier, action)[1]
    if (
        action in STEP_ACTIONS
        and action != Action.CLAIM
        and dossier.assigned_to_id is not None
        and dossier.assigned_to_id != getattr(actor, "pk", None)
        and not is_system(actor)
        and not (position is not None and position.role == Role.AGENCY_LEADER)
    ):
        from motcua.core.exceptions import PermissionDenied

        raise PermissionDenied(_("Another official has taken this dossier."), code="dossier_assigned_to_another")
    return dossier, position, target


# ------------------------------------------------------------------------------------------------------
# Clocks
# ------------------------------------------------------------------------------------------------------


def deadline_start(*, dossier: Dossier, content: ProcedureContent, at: dt.datetime, calendar: WorkingCalendar) -> None:
    """Start the statutory clock at receipt and set the appointment (Form 01).

    Whole working days end at the close of business of the last day, the day of receipt not counted
    (core.calendar.add_working_days); other durations are counted in working hours from receipt. The
    allotted time is the office time until that appointment, so pausing moves it by exactly the pause.
    """
    hours_per_day = calendar.seconds_per_day / 3600
    days = content.processing_hours / hours_per_day
    if abs(days - round(days)) < 1e-9:
        due = calendar.add_working_days(at, round(days))
    else:
        due = calendar.add_working_hours(at, content.processing_hours)
    allotted = calendar.working_seconds_between(at, due)
    deadline_put(dossier, Deadline(started_at=at, allotted_seconds=allotted, running_since=at))
    dossier.due_at = due


def _appointment(dossier: Dossier, deadline: Deadline, at: dt.datetime, calendar: WorkingCalendar) -> dt.datetime:
    remaining = max(deadline.allotted_seconds - deadline.consumed_seconds, 0) + dossier.deadline_extended_seconds
    return calendar.add_working_seconds(at, remaining)


def clock_pause(*, dossier: Dossier, at: dt.datetime, calendar: WorkingCalendar) -> None:
    deadline = deadline_of(dossier)
    if deadline is not None and not deadline.is_paused and deadline.running_since is not None:
        deadline_put(dossier, deadline.pause(at=at, calendar=calendar))
    step = open_step(dossier)
    if step is not None and step.running_since is not None:
        step.consumed_seconds += calendar.working_seconds_between(step.running_since, at)
        step.running_since = None
        step.save(update_fields=["consumed_seconds", "running_since", "updated_at"])


def clock_resume(*, dossier: Dossier, at: dt.datetime, calendar: WorkingCalendar) -> None:
    """Restart the clocks; the appointment moves later by the working time spent paused."""
    deadline = deadline_of(dossier)
    if deadline is not None and deadline.is_paused:
        deadline = deadline.resume(at=at)
        deadline_put(dossier, deadline)
        dossier.due_at = _appointment(dossier, deadline, at, calendar)
    step = open_step(dossier)
    if step is not None and step.running_since is None:
        step.running_since = at
        step.due_at = calendar.add_working_seconds(at, max(step.allotted_hours * 3600 - step.consumed_seconds, 0))
        step.save(update_fields=["running_since", "due_at", "updated_at"])


def clock_stop(*, dossier: Dossier, at: dt.datetime, calendar: WorkingCalendar) -> None:
    """Freeze the statutory clock at the end of processing and judge timeliness (Decision 766)."""
    deadline = deadline_of(dossier)
    if deadline is None:
        return
    consumed = deadline.consumed(now=at, calendar=calendar)
    deadline_put(
        dossier, Deadline(deadline.started_at, deadline.allotted_seconds, consumed, running_since=None, paused_at=None)
    )
    dossier.is_on_time = dossier_timeliness_compute(dossier=dossier, now=at, calendar=calendar).is_on_time


# ------------------------------------------------------------------------------------------------------
# Steps
# ------------------------------------------------------------------------------------------------------


def open_step(dossier: Dossier) -> StepRecord | None:
    return StepRecord.objects.filter(dossier=dossier, finished_at__isnull=True).first()


def step_organisation(dossier: Dossier, step: WorkflowStep) -> Organisation:
    # The one-stop desk works where the dossier was received; every other step in the processing body.
    return dossier.receiving_organisation if step.role == Role.ONE_STOP_CLERK else dossier.processing_organisation


def holds_step(user: Any, dossier: Dossier, step: WorkflowStep) -> bool:
    from motcua.agencies.selectors import position_active_list

    organisation = step_organisation(dossier, step)
    for position in position_active_list(user=user):
        if position.role != step.role or position.organisation_id != organisation.pk:
            continue
        if step.unit_code and (position.unit is None or position.unit.code != step.unit_code):
            continue
        return True
    return False


def step_start(
    *,
    dossier: Dossier,
    index: int,
    at: dt.datetime,
    calendar: WorkingCalendar,
    assignee: User | None = None,
) -> StepRecord:
    content = procedure_content(dossier.procedure_version)
    step = content.workflow[index]
    organisation = step_organisation(dossier, step)
    record = StepRecord.objects.create(
        dossier=dossier,
        index=index,
        code=step.code,
        name=step.name,
        role=step.role,
        unit_code=step.unit_code,
        organisation=organisation,
        assignee=assignee,
        started_at=at,
        due_at=calendar.add_working_hours(at, step.allotted_hours),
        allotted_hours=step.allotted_hours,
        running_since=at,
    )
    dossier.current_step_index = index
    dossier.current_step_code = step.code
    dossier.current_step_role = step.role
    dossier.current_step_unit_code = step.unit_code
    dossier.current_step_organisation = organisation
    dossier.assigned_to = assignee
    return record


def step_finish(
    *, dossier: Dossier, at: dt.datetime, calendar: WorkingCalendar, outcome: str, actor: Any
) -> StepRecord | None:
    record = open_step(dossier)
    if record is None:
        return None
    if record.running_since is not None:
        record.consumed_seconds += calendar.working_seconds_between(record.running_since, at)
        record.running_since = None
    record.finished_at = at
    record.is_on_time = record.consumed_seconds <= record.allotted_hours * 3600
    record.outcome = outcome
    record.finished_by = actor if isinstance(actor, User) else None
    if record.assignee is None and isinstance(actor, User):
        record.assignee = actor
    record.save()
    return record


def step_clear(dossier: Dossier) -> None:
    dossier.current_step_index = None
    dossier.current_step_code = ""
    dossier.current_step_role = ""
    dossier.current_step_unit_code = ""
    dossier.current_step_organisation = None
    dossier.assigned_to = None


# ------------------------------------------------------------------------------------------------------
# Writing a transition
# ------------------------------------------------------------------------------------------------------


def actor_label(actor: Any) -> str:
    if actor is None:
        return ""
    if isinstance(actor, User):
        return actor.full_name or actor.username
    return actor.get_username() if hasattr(actor, "get_username") else str(actor)


def history_add(
    *,
    dossier: Dossier,
    action: str,
    from_status: str,
    actor: Any,
    position: Position | None,
    at: dt.datetime,
    note: str = "",
    details: dict[str, Any] | None = None,
) -> DossierEvent:
    last = DossierEvent.objects.filter(dossier=dossier).aggregate(last=Max("sequence"))["last"] or 0
    step_name = ""
    if dossier.current_step_index is not None:
        content = procedure_content(dossier.procedure_version)
        step_name = content.workflow[dossier.current_step_index].name
    title = ""
    if position is not None:
        title = position.title or str(position.get_role_display())
    return DossierEvent.objects.create(
        dossier=dossier,
        sequence=last + 1,
        action=action,
        from_status=from_status,
        to_status=dossier.status,
        step_code=dossier.current_step_code,
        step_name=step_name,
        actor=actor if isinstance(actor, User) else None,
        actor_label=actor_label(actor)[:200],
        actor_title=title[:200],
        organisation=position.organisation if position is not None else None,
        note=note,
        details=details or {},
        at=at,
        due_at=dossier.due_at,
    )


def record(
    *,
    dossier: Dossier,
    action: str,
    from_status: str,
    actor: Any,
    position: Position | None,
    at: dt.datetime,
    before: dict[str, Any] | None,
    note: str = "",
    details: dict[str, Any] | None = None,
) -> DossierEvent:
    """Save the dossier, then write its history line, its national portal records (outbox), the messages to
    the people and systems concerned (``dossiers.notifying``), the audit event and the on-commit event."""
    dossier.save()
    event = history_add(
        dossier=dossier,
        action=action,
        from_status=from_status,
        actor=actor,
        position=position,
        at=at,
        note=note,
        details=details,
    )
    portal_outbox_add(dossier=dossier, event=event, position=position)
    dossier_notify(dossier=dossier, event=event)
    after = snapshot(dossier) if before is None else snapshot(dossier, AUDITED_FIELDS)
    audit_record(
        action=f"dossiers.{action}",
        instance=dossier,
        before=before,
        after={**after, "note": note, **({"details": details} if details else {})},
        actor=actor,
    )
    dossier_event_emit(dossier_id=dossier.pk, event_kind=action)
    return event


def audited(dossier: Dossier) -> dict[str, Any]:
    return snapshot(dossier, AUDITED_FIELDS)
