"""Shared machinery of the feedback services: locking, checks, codes, attachments, history and audit."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.files.base import File
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.accounts.models import User
from motcua.agencies.models import Position
from motcua.agencies.search import search_fold
from motcua.core.audit import audit_record, snapshot
from motcua.core.exceptions import NotAuthenticated, NotFound, ValidationFailed
from motcua.core.files import safe_name
from motcua.core.permissions import SystemActor, permission_require, user_can
from motcua.dossiers.services.files import file_content_check
from motcua.feedback.deadlines import current_due_at
from motcua.feedback.models import Feedback, FeedbackAttachment, FeedbackCounter, FeedbackEvent
from motcua.feedback.rules import may_act
from motcua.feedback.workflow import ACTION_STAGES, transition_targets

Errors = dict[str, list[str]]

# Fields of a feedback written to the audit trail on each transition (creation records all of them).
AUDITED_FIELDS = [
    "status",
    "agency",
    "assigned_to",
    "received_at",
    "due_at",
    "resolve_due_at",
    "resolve_consumed_seconds",
    "resolve_running_since",
    "resolve_paused_at",
    "resume_status",
    "info_request_count",
    "approved_at",
    "resolved_on_time",
    "publish_due_at",
    "published_at",
    "published_on_time",
    "closed_at",
    "publication_consent",
]
TITLE_MAX = 200
CONTENT_MAX = 5000
ANSWER_MAX = 10000
NOTE_MAX = 2000


@dataclass(frozen=True)
class Upload:
    """A file given with a feedback or a supplement, not yet checked."""

    content: IO[bytes]
    name: str
    size: int | None = None


class AnonymousPerson:
    """Names someone without an account in the audit trail ("anonymous"), never as "system"."""

    is_authenticated = True
    pk = None

    def get_username(self) -> str:
        return "anonymous"


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


def clean_text(errors: Errors, field_name: str, value: str, *, maximum: int, required: bool = True) -> str:
    """Text without surrounding spaces or control characters (line breaks kept), checked for presence and length."""
    text = "".join(char for char in (value or "") if char in "\n\t" or unicodedata.category(char)[0] != "C").strip()
    text = unicodedata.normalize("NFC", text)
    if required and not text:
        add_error(errors, field_name, _("This field is required."))
    elif len(text) > maximum:
        add_error(errors, field_name, _("Use at most %(limit)s characters.") % {"limit": maximum})
    return text


def require(value: str, field_name: str, *, maximum: int) -> str:
    errors: Errors = {}
    text = clean_text(errors, field_name, value, maximum=maximum)
    raise_if_any(errors)
    return text


def is_system(actor: Any) -> bool:
    return isinstance(actor, SystemActor)


def audit_actor(actor: Any) -> Any:
    if actor is not None and getattr(actor, "is_authenticated", False):
        return actor
    return AnonymousPerson()


# ------------------------------------------------------------------------------------------------------
# Codes and search keys
# ------------------------------------------------------------------------------------------------------


def feedback_code_next(*, at: dt.datetime) -> str:
    """``PAKN-{yyMMdd}-{sequence:04d}``, the sequence per local day from a counter row locked while it grows."""
    day = timezone.localtime(at).date()
    counter, _created = FeedbackCounter.objects.select_for_update().get_or_create(day=day)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"PAKN-{day:%y%m%d}-{counter.last_number:04d}"


def search_key_of(feedback: Feedback) -> str:
    return search_fold(" ".join(part for part in (feedback.code, feedback.title, feedback.submitter_name) if part))[
        :500
    ]


def public_search_key_of(feedback: Feedback) -> str:
    parts = (feedback.code, feedback.published_title, feedback.published_question, feedback.answer)
    return search_fold(" ".join(part for part in parts if part))


# ------------------------------------------------------------------------------------------------------
# Attachments
# ------------------------------------------------------------------------------------------------------


def attachments_max() -> int:
    return int(settings.FEEDBACK_ATTACHMENTS_MAX)


def attachments_check(uploads: Sequence[Upload], errors: Errors) -> list[tuple[Upload, str, str, str, int]]:
    """Check every file by its real content and size (as dossiers do) before any is kept; nothing is stored."""
    checked: list[tuple[Upload, str, str, str, int]] = []
    if len(uploads) > attachments_max():
        add_error(errors, "attachments", _("Attach at most %(count)d files.") % {"count": attachments_max()})
        return checked
    for number, upload in enumerate(uploads):
        name = safe_name(upload.name)
        try:
            mime, sha256, size = file_content_check(content=upload.content, name=name, size=upload.size)
        except ValidationFailed as error:
            add_error(errors, "attachments", f"{name}: {error.message}")
            add_error(errors, f"attachments.{number}", error.message)
            continue
        checked.append((upload, name, mime, sha256, size))
    return checked


def attachments_store(
    *, feedback: Feedback, event: FeedbackEvent, checked: list[tuple[Upload, str, str, str, int]]
) -> list[FeedbackAttachment]:
    stored = []
    for upload, name, mime, sha256, size in checked:
        item = FeedbackAttachment(
            feedback=feedback, event=event, name=name, size=size, content_type=mime, sha256=sha256
        )
        upload.content.seek(0)
        item.file.save(name, File(upload.content), save=False)
        item.save()
        stored.append(item)
    return stored


# ------------------------------------------------------------------------------------------------------
# Locking and checks
# ------------------------------------------------------------------------------------------------------


def lock(feedback: Feedback) -> Feedback:
    """The feedback as stored now, locked until the transaction ends."""
    locked = Feedback.objects.select_for_update().filter(pk=feedback.pk).first()
    if locked is None:
        raise NotFound()
    return locked


def begin(*, actor: Any, feedback: Feedback, action: str) -> tuple[Feedback, Position | None, tuple[str, ...]]:
    """Lock the feedback and check, in this order: the actor may see it (else 404), the state machine allows the
    action (else 409), the actor may take it (else 403). Returns the locked feedback, the acting position and the
    statuses the action may lead to."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotAuthenticated()
    feedback = lock(feedback)
    if not user_can(actor, "feedback.view", feedback):
        raise NotFound(_("There is no feedback with this code, or you may not see it."))
    targets = transition_targets(feedback.status, action)
    permission_require(actor, f"feedback.{action}", feedback)
    position = None if is_system(actor) else may_act(actor, feedback, action)[1]
    return feedback, position, targets


def judge(
    feedback: Feedback, *, from_status: str, action: str, at: dt.datetime
) -> tuple[dt.datetime | None, bool | None]:
    """The deadline of the stage this action closes (read before the action changes anything), and whether ``at``
    met it."""
    from motcua.feedback.deadlines import stage_due_at

    stage = ACTION_STAGES.get((from_status, action))
    due = stage_due_at(feedback, stage) if stage else None
    return due, (at <= due if due is not None else None)


# ------------------------------------------------------------------------------------------------------
# Writing a transition
# ------------------------------------------------------------------------------------------------------


def actor_label(actor: Any) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return ""
    if isinstance(actor, User):
        return actor.full_name or actor.username
    return actor.get_username() if hasattr(actor, "get_username") else str(actor)


def record(
    *,
    feedback: Feedback,
    action: str,
    from_status: str,
    actor: Any,
    position: Position | None,
    at: dt.datetime,
    before: dict[str, Any] | None,
    note: str = "",
    details: dict[str, Any] | None = None,
    judged: tuple[dt.datetime | None, bool | None] = (None, None),
) -> FeedbackEvent:
    """Save the feedback (with the deadline of its new stage), then write its history line and the audit event."""
    feedback.due_at = current_due_at(feedback)
    feedback.save()
    last = FeedbackEvent.objects.filter(feedback=feedback).aggregate(last=Max("sequence"))["last"] or 0
    title = ""
    if position is not None:
        title = position.title or str(position.get_role_display())
    event = FeedbackEvent.objects.create(
        feedback=feedback,
        sequence=last + 1,
        action=action,
        from_status=from_status,
        to_status=feedback.status,
        actor=actor if isinstance(actor, User) else None,
        actor_label=actor_label(actor)[:200],
        actor_title=title[:200],
        organisation=position.organisation if position is not None else None,
        note=note,
        details=details or {},
        at=at,
        due_at=judged[0],
        is_on_time=judged[1],
    )
    after = snapshot(feedback) if before is None else snapshot(feedback, AUDITED_FIELDS)
    audit_record(
        action=f"feedback.{action}",
        instance=feedback,
        before=before,
        after={**after, "note": note, **({"details": details} if details else {})},
        actor=audit_actor(actor),
    )
    return event


def audited(feedback: Feedback) -> dict[str, Any]:
    return snapshot(feedback, AUDITED_FIELDS)
