"""Who hears about a dossier change, and how: the applicant, the officials concerned, the agencies' systems.

``dossier_notify`` runs inside the transaction of every transition (``services._base.record``), so a message is
written with the change it reports and never for a change that rolls back; the notifications app delivers it
after commit. ``dossier_deadlines_notify`` (periodic job ``dossiers.deadlines_notify``) tells officials of
dossiers whose appointment is near or past, once per appointment.

- The applicant (their account, or the contact details of the dossier) hears of every change of status and of
  what is asked of them: receipt, supplement and payment requests, delays (Form 04), refusals, the result.
  The money itself (a payment received with its receipt, failed, expired, refunded) is told by payments, to the
  same person (``dossier_payment_notices_register``): one message for one event.
- Officials hear of what lands in their hands: a dossier arriving at their step, the applicant's supplement
  or payment for a dossier at their step, a request for their organisation's opinion, and deadlines.
- Agency systems subscribed by webhook receive every action (``dossiers.action.<action>``) of the dossiers
  their organisations receive or process.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Role
from motcua.agencies.selectors import organisation_find, position_active_all
from motcua.core.calendar import WorkingCalendar
from motcua.dossiers.catalogue import procedure_content
from motcua.dossiers.models import RUNNING_STATUSES, Dossier, DossierEvent, DossierStatus
from motcua.dossiers.workflow import Action
from motcua.notifications.events import OFFICIALS, PUBLIC, notification_event_register, webhook_event_register
from motcua.notifications.services import Recipient, notify, webhook_emit

# Events told to the applicant, by the action that causes them: (event name, channels).
EMAIL_SMS_INBOX = ("email", "sms", "inbox")
EMAIL_INBOX = ("email", "inbox")
APPLICANT_EVENTS: dict[str, tuple[str, tuple[str, ...], Any]] = {
    Action.SUBMIT: ("submitted", EMAIL_INBOX, _("Application received online")),
    Action.RECEIVE_AT_COUNTER: ("received", EMAIL_SMS_INBOX, _("Dossier received")),
    Action.ACCEPT: ("received", EMAIL_SMS_INBOX, _("Dossier received")),
    Action.REFUSE_RECEIPT: ("receipt_refused", EMAIL_SMS_INBOX, _("Dossier not received")),
    Action.REQUEST_SUPPLEMENT: ("supplement_requested", EMAIL_SMS_INBOX, _("Supplement requested")),
    Action.SUPPLY: ("supplied", EMAIL_INBOX, _("Supplement handed in")),
    Action.REQUEST_PAYMENT: ("payment_requested", EMAIL_SMS_INBOX, _("Payment requested")),
    # A payment received (RECORD_PAYMENT, RECORD_FEES) is told by payments ("payments.succeeded", with the
    # receipt): one message for one event. Dossiers tells what the dossier asks for (fees at submission, the
    # obligation of status 6); payments tells what happens to the money (received, failed, expired, refunded).
    Action.ANNOUNCE_DELAY: ("delayed", EMAIL_SMS_INBOX, _("Result delayed, with apologies")),
    Action.REFUSE: ("refused", EMAIL_SMS_INBOX, _("Request refused")),
    Action.STOP: ("stopped", EMAIL_SMS_INBOX, _("Processing stopped")),
    Action.APPROVE: ("finished", EMAIL_SMS_INBOX, _("Result ready")),
    Action.RETURN_RESULT: ("returned", EMAIL_INBOX, _("Result handed over")),
    Action.WITHDRAW: ("withdrawn", EMAIL_INBOX, _("Dossier withdrawn")),
}
# The start of processing is the only forward the applicant hears of (a status change, 2 → 4).
PROCESSING_STARTED = ("processing", EMAIL_INBOX, _("Processing started"))
# Events told to officials (their inbox and e-mail).
OFFICIAL_EVENTS: dict[str, Any] = {
    "step_arrived": _("A dossier arrived at your step"),
    "applicant_answered": _("The applicant answered"),
    "opinion_requested": _("Your organisation's opinion is asked"),
    "due_soon": _("A dossier is due soon"),
    "overdue": _("A dossier is overdue"),
}
# Roles of the officials told that a dossier is overdue, besides those at its step.
OVERDUE_ALSO_TOLD = frozenset({Role.AGENCY_LEADER})


def dossier_events_register() -> None:
    """Register the dossier events with the notifications app (called by ``DossiersConfig.ready``)."""
    for name, channels, label in {*APPLICANT_EVENTS.values(), PROCESSING_STARTED}:
        notification_event_register(
            f"dossiers.{name}",
            label=label,
            template=f"dossiers/notifications/{name}",
            channels=channels,
            audience=PUBLIC,
        )
    for name, label in OFFICIAL_EVENTS.items():
        notification_event_register(
            f"dossiers.{name}",
            label=label,
            template=f"dossiers/notifications/{name}",
            channels=EMAIL_INBOX,
            audience=OFFICIALS,
        )
    for action, label in Action.choices:
        webhook_event_register(f"dossiers.action.{action}", label=label)


# ------------------------------------------------------------------------------------------------------
# Who
# ------------------------------------------------------------------------------------------------------


def applicant_recipient(dossier: Dossier) -> Recipient | None:
    """The applicant: their account if they have one (its language and inbox), the dossier's contact details
    otherwise; nobody when neither exists (a counter applicant who left no contact)."""
    if dossier.applicant_id is None and not dossier.applicant_email and not dossier.applicant_phone:
        return None
    return Recipient(
        user=dossier.applicant,
        email=dossier.applicant_email,
        phone=dossier.applicant_phone,
        name=dossier.applicant_name,
    )


def _officials(*, organisation_id: Any, roles: set[str] | frozenset[str], unit_code: str = "") -> list[Any]:
    positions = position_active_all().filter(organisation_id=organisation_id, role__in=roles)
    if unit_code:
        positions = positions.filter(unit__code=unit_code)
    return list({position.user_id: position.user for position in positions}.values())


def step_officials(dossier: Dossier) -> list[Any]:
    """Who acts at the dossier's current step: its assignee, or everyone holding the step's role there."""
    if dossier.assigned_to_id is not None:
        return [dossier.assigned_to]
    if dossier.current_step_organisation_id is None or not dossier.current_step_role:
        return []
    return _officials(
        organisation_id=dossier.current_step_organisation_id,
        roles={dossier.current_step_role},
        unit_code=dossier.current_step_unit_code,
    )


# ------------------------------------------------------------------------------------------------------
# What
# ------------------------------------------------------------------------------------------------------


def _when(moment: dt.datetime | None) -> str:
    return moment.isoformat() if moment is not None else ""


def dossier_context(dossier: Dossier, event: DossierEvent | None = None) -> dict[str, Any]:
    """What the messages may say: only JSON values, in the language of nobody (the templates translate)."""
    from motcua.dossiers.services.fees import fees_paid_before_receipt

    return {
        "code": dossier.code,
        "procedure_name": dossier.procedure.name,
        "applicant_name": dossier.applicant_name,
        "receiving_organisation": dossier.receiving_organisation.name,
        "processing_organisation": dossier.processing_organisation.name,
        "due_at": _when(dossier.due_at),
        "fees_due": dossier.fees_due,
        "fees_paid": dossier.fees_paid,
        # The amount of the bill this change made (fees at submission, obligation of status 6), if any.
        "amount": int((event.details or {}).get("amount") or (event.details or {}).get("fees_due") or 0)
        if event is not None
        else 0,
        # Whether the desk receives this dossier only once its fees are paid (full-process online service); said
        # in the message of the submission only (the procedure is not read for every other message).
        "pay_before_receipt": event is not None
        and event.action == Action.SUBMIT
        and fees_paid_before_receipt(content=procedure_content(dossier.procedure_version), channel=dossier.channel),
        # The pay link of a bill just made, for an applicant without an account (never stored by dossiers).
        "pay_link": dossier.pay_link,
        "result_method": dossier.result_method,
        "note": event.note if event is not None else "",
        "details": event.details if event is not None else {},
        "step_name": event.step_name if event is not None else "",
        "at": _when(event.at if event is not None else None),
    }


def _dossier_of(request: Any) -> Dossier | None:
    return (
        Dossier.objects.select_related("applicant", "procedure", "receiving_organisation", "processing_organisation")
        .filter(pk=request.subject_id)
        .first()
    )


def _payer_recipients(request: Any) -> list[Recipient]:
    """The payer of a dossier's bill is its applicant: their account, or the contact details of the dossier."""
    dossier = _dossier_of(request)
    recipient = applicant_recipient(dossier) if dossier is not None else None
    return [recipient] if recipient is not None else []


def _payer_link(request: Any) -> str:
    """Where the applicant follows the payment: the dossier's page, or the tracking page without an account."""
    dossier = _dossier_of(request)
    return _applicant_link(dossier) if dossier is not None else ""


def dossier_payment_notices_register() -> None:
    """Tell payments who pays a dossier's bills and where they follow them; the bill itself is told by dossiers
    (with the dossier's own message), so payments does not send its "payment requested" for them."""
    from motcua.dossiers.billing import PURPOSES
    from motcua.payments.notifying import PAYMENT_REQUESTED, payment_notices_register

    for purpose in PURPOSES:
        payment_notices_register(
            purpose, recipients=_payer_recipients, link=_payer_link, told_by_purpose={PAYMENT_REQUESTED}
        )


def _applicant_link(dossier: Dossier) -> str:
    if dossier.applicant_id is not None:
        return reverse("dossiers:mine_detail", args=[dossier.code])
    return reverse("dossiers:track") + f"?code={dossier.code}"


def _official_link(dossier: Dossier) -> str:
    return reverse("dossiers:process", args=[dossier.code])


def dossier_notify(*, dossier: Dossier, event: DossierEvent) -> None:
    """Tell the applicant, the officials concerned and the subscribed agency systems about one history line;
    inside the transaction of the change."""
    context = dossier_context(dossier, event)
    subject = {"subject_type": "dossiers.dossier", "subject_id": str(dossier.pk)}
    once = f"dossier:{dossier.pk}:{event.sequence}"
    applicant_event = APPLICANT_EVENTS.get(event.action)
    if event.action == Action.FORWARD and event.from_status == DossierStatus.ACCEPTED:
        applicant_event = PROCESSING_STARTED
    applicant = applicant_recipient(dossier)
    if applicant_event is not None and applicant is not None:
        notify(
            event=f"dossiers.{applicant_event[0]}",
            recipients=[applicant],
            context=context,
            link=_applicant_link(dossier),
            dedupe_key=once,
            **subject,
        )
    officials_event, officials = _officials_told(dossier=dossier, event=event)
    if officials:
        notify(
            event=f"dossiers.{officials_event}",
            recipients=officials,
            context=context,
            link=_official_link(dossier),
            dedupe_key=once,
            **subject,
        )
    webhook_emit(
        event=f"dossiers.action.{event.action}",
        organisation_ids=[dossier.receiving_organisation_id, dossier.processing_organisation_id],
        payload={
            "code": dossier.code,
            "procedure_code": dossier.procedure.code,
            "action": event.action,
            "from_status": event.from_status,
            "status": dossier.status,
            "portal_status": dossier.portal_status,
            "step": dossier.current_step_code,
            "due_at": _when(dossier.due_at),
            "at": _when(event.at),
            "sequence": event.sequence,
        },
        dedupe_key=once,
    )


def _officials_told(*, dossier: Dossier, event: DossierEvent) -> tuple[str, list[Any]]:
    actor_id = event.actor_id
    if event.action in (Action.FORWARD, Action.RETURN_TO_STEP, Action.ACCEPT, Action.RECEIVE_AT_COUNTER):
        told = step_officials(dossier)
        name = "step_arrived"
    elif event.action in (Action.SUPPLY, Action.RECORD_PAYMENT, Action.RECORD_FEES):
        told = step_officials(dossier)
        name = "applicant_answered"
    elif event.action == Action.REQUEST_OPINION:
        organisation = organisation_find(reference=(event.details or {}).get("organisation", ""))
        told = (
            _officials(organisation_id=organisation.pk, roles={Role.AGENCY_LEADER, Role.UNIT_HEAD})
            if organisation is not None
            else []
        )
        name = "opinion_requested"
    else:
        return "", []
    # Nobody is told of what they did themselves.
    return name, [user for user in told if user.pk != actor_id]


# ------------------------------------------------------------------------------------------------------
# Deadlines (periodic)
# ------------------------------------------------------------------------------------------------------


def dossier_deadlines_notify(
    *, now: dt.datetime | None = None, calendar: WorkingCalendar | None = None
) -> dict[str, int]:
    """Tell the officials at the step of each running dossier due within a working day ("due soon": time to
    finish, or to send the Form 04 apology at least a day ahead), and of each overdue one, together with the
    processing organisation's leaders; once per appointment (a new appointment tells them again)."""
    from motcua.core.calendar import calendar_get

    now = now or timezone.now()
    calendar = calendar or calendar_get()
    soon_limit = calendar.add_working_hours(now, calendar.seconds_per_day / 3600)
    running = (
        Dossier.objects.filter(
            status__in=RUNNING_STATUSES, deadline_running_since__isnull=False, due_at__lte=soon_limit
        )
        .select_related("procedure", "receiving_organisation", "processing_organisation", "assigned_to")
        .order_by("due_at")
    )
    counts = {"due_soon": 0, "overdue": 0}
    for dossier in running.iterator(chunk_size=200):
        assert dossier.due_at is not None
        overdue = dossier.due_at <= now
        name = "overdue" if overdue else "due_soon"
        told = step_officials(dossier)
        if overdue:
            told += _officials(organisation_id=dossier.processing_organisation_id, roles=OVERDUE_ALSO_TOLD)
        if not told:
            continue
        written = notify(
            event=f"dossiers.{name}",
            recipients=list({user.pk: user for user in told}.values()),
            context=dossier_context(dossier),
            link=_official_link(dossier),
            subject_type="dossiers.dossier",
            subject_id=str(dossier.pk),
            dedupe_key=f"{name}:{dossier.pk}:{dossier.due_at.isoformat()}",
        )
        if written:
            counts[name] += 1
    return counts
