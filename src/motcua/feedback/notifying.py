"""Every message the feedback app sends goes through ``feedback_notify``, called by the services inside the
transaction of the change it reports (so a rolled-back change notifies nobody), and handed to
``notifications.services.notify``, which writes the messages in each recipient's language and delivers them
after commit. The events are registered by ``feedback_events_register`` (``FeedbackConfig.ready``); their
wording is in ``templates/feedback/notifications/<name>/``.

Tests may wrap the sender with ``notification_sender_set`` to see what was sent (they still call the real one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Organisation, Role
from motcua.agencies.selectors import position_active_all
from motcua.feedback.models import Feedback
from motcua.notifications.events import OFFICIALS, PUBLIC, notification_event_register
from motcua.notifications.services import Recipient, notify

# Event name -> what it tells, to whom (for the notifications app's registry and its templates).
EVENTS: dict[str, Any] = {
    "feedback.received": _("Your feedback was sent: its code, and how to follow it (to the submitter)."),
    "feedback.new_for_agency": _("A new feedback reached your agency (to its receiving officials)."),
    "feedback.info_requested": _("The agency asks for more information (to the submitter)."),
    "feedback.supplemented": _("The submitter supplied the information (to the handler or the receiving officials)."),
    "feedback.assigned": _("A feedback was assigned to you (to the handler)."),
    "feedback.answer_to_approve": _("An answer awaits your approval (to the agency's leaders)."),
    "feedback.sent_back": _("Your answer was sent back (to the handler)."),
    "feedback.answered": _("The agency answered your feedback (to the submitter)."),
    "feedback.published": _("The answer to your feedback was published (to the submitter)."),
    "feedback.refused": _("Your feedback was refused, with the reason (to the submitter)."),
    "feedback.returned": _("Your feedback is not within the agency's competence (to the submitter)."),
    "feedback.forwarded": _("Your feedback was forwarded to the competent agency (to the submitter)."),
    "feedback.deadline_due_soon": _("A feedback's deadline is near (to those who must act)."),
    "feedback.deadline_overdue": _("A feedback's deadline has passed (to those who must act)."),
}

# Events told to the submitter (the rest go to officials), and those worth an SMS too.
SUBMITTER_EVENTS = frozenset(
    {
        "feedback.received",
        "feedback.info_requested",
        "feedback.answered",
        "feedback.published",
        "feedback.refused",
        "feedback.returned",
        "feedback.forwarded",
    }
)
SMS_EVENTS = frozenset(
    {"feedback.received", "feedback.info_requested", "feedback.answered", "feedback.refused", "feedback.returned"}
)

Sender = Callable[..., None]


def feedback_events_register() -> None:
    """Register the feedback events with the notifications app (``FeedbackConfig.ready``)."""
    for event, label in EVENTS.items():
        name = event.split(".", 1)[1]
        notification_event_register(
            event,
            label=label,
            template=f"feedback/notifications/{name}",
            channels=("email", "sms", "inbox") if event in SMS_EVENTS else ("email", "inbox"),
            audience=PUBLIC if event in SUBMITTER_EVENTS else OFFICIALS,
        )


def _deliver(
    *, event: str, recipients: list[Recipient], context: dict[str, Any], link: str, dedupe_key: str, subject_id: str
) -> None:
    """Hand the message to the notifications app, in the caller's transaction."""
    notify(
        event=event,
        recipients=recipients,
        context=context,
        link=link,
        subject_type="feedback.feedback",
        subject_id=subject_id,
        dedupe_key=dedupe_key,
    )


_sender: Sender = _deliver


def notification_sender_set(sender: Sender | None) -> Sender:
    """Install a sender (``None`` restores the default); returns the one it replaces."""
    global _sender
    previous = _sender
    _sender = sender if sender is not None else _deliver
    return previous


def feedback_notify(
    *,
    event: str,
    feedback: Feedback,
    recipients: Iterable[Recipient],
    link: str,
    dedupe_key: str = "",
    context: dict[str, Any] | None = None,
) -> None:
    """Tell ``recipients`` about ``event`` on ``feedback``; call it inside the transaction of the change."""
    if event not in EVENTS:
        raise ValueError(f"unknown feedback event {event!r}")
    unique: list[Recipient] = []
    seen: set[Any] = set()
    for recipient in recipients:
        key = (getattr(recipient.user, "pk", None), recipient.email, recipient.phone)
        if key == (None, "", "") or key in seen:
            continue
        seen.add(key)
        unique.append(recipient)
    if not unique:
        return
    data = {
        "code": feedback.code,
        "title": feedback.title,
        "status": feedback.status,
        "agency": feedback.agency.name,
        **(context or {}),
    }
    _sender(
        event=event,
        recipients=unique,
        context=data,
        link=link,
        dedupe_key=dedupe_key or f"{event}:{feedback.pk}:{feedback.updated_at.isoformat()}",
        subject_id=str(feedback.pk),
    )


# ------------------------------------------------------------------------------------------------------
# Who
# ------------------------------------------------------------------------------------------------------


def submitter_recipients(feedback: Feedback) -> list[Recipient]:
    """The submitter: their account when they have one, else the contact they gave (never both)."""
    user = feedback.submitter
    if user is not None:
        return [Recipient(user=user, language=getattr(user, "preferred_language", "") or feedback.language)]
    return [
        Recipient(
            email=feedback.submitter_email,
            phone=feedback.submitter_phone,
            language=feedback.language,
            name=feedback.submitter_name,
        )
    ]


def _user_recipient(user: Any) -> Recipient:
    return Recipient(user=user)


def agency_recipients(agency: Organisation, roles: Iterable[str]) -> list[Recipient]:
    """The officials holding one of ``roles`` in the agency today."""
    positions = position_active_all().filter(organisation=agency, role__in=list(roles)).order_by("user__username")
    return [_user_recipient(position.user) for position in positions]


# Who is told of new feedback and of the receipt deadline: the agency's desk; its leaders when it has none.
DESK_ROLES = (Role.ONE_STOP_CLERK, Role.DOCUMENT_CLERK)


def receiver_recipients(agency: Organisation) -> list[Recipient]:
    return agency_recipients(agency, DESK_ROLES) or agency_recipients(agency, (Role.AGENCY_LEADER,))


def user_recipients(*users: Any) -> list[Recipient]:
    return [_user_recipient(user) for user in users if user is not None]


# ------------------------------------------------------------------------------------------------------
# Where the message points
# ------------------------------------------------------------------------------------------------------


def submitter_link(feedback: Feedback) -> str:
    """The submitter's follow-up page (the code only: the secret is never put in a message)."""
    if feedback.submitter_id is not None:
        return reverse("feedback:follow_detail", kwargs={"code": feedback.code})
    return reverse("feedback:follow") + f"?code={feedback.code}"


def work_link(feedback: Feedback) -> str:
    return reverse("feedback:work_detail", kwargs={"code": feedback.code})
