"""Reads of feedback, each with its rule: officials see their agency's feedback, submitters their own (by account,
or by code and lookup secret), everyone the published answers."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.accounts.models import User
from motcua.agencies.models import Organisation
from motcua.agencies.search import search_terms
from motcua.agencies.selectors import organisation_find, position_active_all
from motcua.core.calendar import calendar_get
from motcua.core.exceptions import NotAuthenticated, NotFound, RateLimited, ValidationFailed
from motcua.core.permissions import permission_require, user_can
from motcua.dossiers.lookup_secret import secret_matches
from motcua.feedback.deadlines import DUE_SOON_WORKING_HOURS
from motcua.feedback.models import (
    OPEN_STATUSES,
    Feedback,
    FeedbackAttachment,
    FeedbackEvent,
    FeedbackStatus,
    FeedbackVote,
)
from motcua.feedback.ratelimit import rate_limit_hit
from motcua.feedback.rules import HANDLER_ROLES, is_feedback_official, may_act, visible_agencies_condition
from motcua.feedback.services.votes import voter_key_of
from motcua.feedback.workflow import Action, actions_from

S = FeedbackStatus
QUEUE_VIEWS = (
    "open",
    "to_receive",
    "to_assign",
    "mine",
    "to_approve",
    "to_publish",
    "waiting",
    "due_soon",
    "overdue",
    "all",
)
# Statuses with a running deadline (a feedback waiting for information has none).
DEADLINE_STATUSES = (S.NEW, S.ACCEPTED, S.ASSIGNED, S.ANSWERED, S.AWAITING_PUBLICATION)
NOT_FOUND = _("There is no feedback with this code, or you may not see it.")


def _is_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _related(queryset: QuerySet[Feedback]) -> QuerySet[Feedback]:
    return queryset.select_related("agency", "procedure", "dossier", "assigned_to", "submitter")


def feedback_get(*, user: Any, code_or_id: str | uuid.UUID) -> Feedback:
    """One feedback by code or id, for its submitter's account or an official of the competent agency (NotFound for
    anyone else, never "forbidden")."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotAuthenticated()
    identifier = code_or_id if isinstance(code_or_id, uuid.UUID) else _is_uuid(str(code_or_id))
    feedbacks = _related(Feedback.objects.all())
    feedback = (
        feedbacks.filter(pk=identifier).first()
        if identifier is not None
        else feedbacks.filter(code=str(code_or_id).strip().upper()).first()
    )
    if feedback is None or not user_can(user, "feedback.view", feedback):
        raise NotFound(NOT_FOUND)
    return feedback


def feedback_get_for_official(*, user: Any, code_or_id: str | uuid.UUID) -> Feedback:
    """One feedback for an official of the competent agency (its submitter uses the follow-up pages)."""
    feedback = feedback_get(user=user, code_or_id=code_or_id)
    if not is_feedback_official(user, feedback):
        raise NotFound(NOT_FOUND)
    return feedback


def feedback_history(*, user: Any, feedback: Feedback) -> QuerySet[FeedbackEvent]:
    permission_require(user, "feedback.view", feedback)
    return FeedbackEvent.objects.filter(feedback=feedback).select_related("organisation", "actor").order_by("sequence")


def feedback_attachments(*, feedback: Feedback) -> QuerySet[FeedbackAttachment]:
    """The attachments of a feedback the caller already may see (through ``feedback_get`` or ``feedback_follow``)."""
    return FeedbackAttachment.objects.filter(feedback=feedback).select_related("event").order_by("created_at")


def feedback_attachment_get(*, feedback: Feedback, attachment_id: str | uuid.UUID) -> FeedbackAttachment:
    identifier = _is_uuid(str(attachment_id))
    item = FeedbackAttachment.objects.filter(pk=identifier, feedback=feedback).first() if identifier else None
    if item is None:
        raise NotFound()
    return item


def feedback_actions_available(*, user: Any, feedback: Feedback) -> list[str]:
    """The actions the state machine allows now and the user may take (for buttons; services check again).
    Publishing needs the submitter's consent (else the answer is closed without publication)."""
    return [
        action
        for action in actions_from(feedback.status)
        if may_act(user, feedback, action)[0] and (action != Action.PUBLISH or feedback.publication_consent)
    ]


def feedback_assignable_officials(*, feedback: Feedback) -> list[User]:
    """Specialists and unit heads of the competent agency today: who may be assigned the feedback."""
    positions = (
        position_active_all()
        .filter(organisation_id=feedback.agency_id, role__in=list(HANDLER_ROLES))
        .order_by("user__full_name", "user__username")
    )
    users: dict[Any, User] = {}
    for position in positions:
        users.setdefault(position.user_id, position.user)
    return list(users.values())


# ------------------------------------------------------------------------------------------------------
# Officials' queue
# ------------------------------------------------------------------------------------------------------


def feedback_queue(
    *,
    user: Any,
    view: str = "open",
    query: str = "",
    agency: Organisation | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[Feedback]:
    """An official's queue of feedback, for the agencies where they work.

    Views: ``open`` (everything still in hand), ``to_receive`` (new), ``to_assign`` (received, no handler),
    ``mine`` (assigned to me), ``to_approve`` (answers awaiting approval), ``to_publish`` (approved, awaiting
    publication), ``waiting`` (waiting for the submitter's information), ``due_soon`` (current deadline within one
    working day), ``overdue`` and ``all``. Overdue first, then by deadline; ``all`` is newest first. ``query``
    matches the code, the title or the submitter's name, with or without diacritics.
    """
    permission_require(user, "feedback.view_queue")
    if view not in QUEUE_VIEWS:
        raise ValidationFailed(details={"view": [str(_("Unknown view."))]})
    now = now or timezone.now()
    feedbacks = Feedback.objects.filter(visible_agencies_condition(user))
    if agency is not None:
        feedbacks = feedbacks.filter(agency=agency)
    if view == "open":
        feedbacks = feedbacks.filter(status__in=OPEN_STATUSES)
    elif view == "to_receive":
        feedbacks = feedbacks.filter(status=S.NEW)
    elif view == "to_assign":
        feedbacks = feedbacks.filter(status=S.ACCEPTED)
    elif view == "mine":
        feedbacks = feedbacks.filter(status=S.ASSIGNED, assigned_to_id=getattr(user, "pk", None))
    elif view == "to_approve":
        feedbacks = feedbacks.filter(status=S.ANSWERED)
    elif view == "to_publish":
        feedbacks = feedbacks.filter(status=S.AWAITING_PUBLICATION)
    elif view == "waiting":
        feedbacks = feedbacks.filter(status=S.NEEDS_INFO)
    elif view == "due_soon":
        cutoff = calendar_get().add_working_hours(now, DUE_SOON_WORKING_HOURS)
        feedbacks = feedbacks.filter(status__in=DEADLINE_STATUSES, due_at__gte=now, due_at__lte=cutoff)
    elif view == "overdue":
        feedbacks = feedbacks.filter(status__in=DEADLINE_STATUSES, due_at__lt=now)
    for term in search_terms(query):
        feedbacks = feedbacks.filter(search_key__contains=term)
    feedbacks = _related(feedbacks)
    if view == "all":
        return feedbacks.order_by("-submitted_at", "-code")
    return feedbacks.annotate(
        overdue_rank=Case(
            When(Q(status__in=DEADLINE_STATUSES) & Q(due_at__lt=now), then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("overdue_rank", F("due_at").asc(nulls_last=True), "submitted_at", "code")


def feedback_queue_agencies(*, user: Any) -> QuerySet[Organisation]:
    """The agencies whose feedback the official sees, for the queue's filter."""
    permission_require(user, "feedback.view_queue")
    return Organisation.objects.filter(visible_agencies_condition(user, prefix="")).order_by("depth", "name")


def user_is_feedback_official(*, user: Any) -> bool:
    return user_can(user, "feedback.view_queue")


# ------------------------------------------------------------------------------------------------------
# Submitters
# ------------------------------------------------------------------------------------------------------


def feedback_list_for_submitter(*, user: Any) -> QuerySet[Feedback]:
    """The signed-in person's own feedback, newest first."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotAuthenticated()
    return _related(Feedback.objects.filter(submitter_id=getattr(user, "pk", None))).order_by("-submitted_at")


def _lookup_limited(*, code: str, client_address: str | None) -> bool:
    limit = int(settings.FEEDBACK_LOOKUP_RATE_PER_MINUTE)
    limited = rate_limit_hit(scope="lookup-code", value=code.upper(), limit=limit, window_seconds=60)
    if client_address:
        limited = (
            rate_limit_hit(scope="lookup-address", value=client_address, limit=limit, window_seconds=60) or limited
        )
    return limited


def feedback_follow(*, code: str, secret: str, client_address: str | None = None) -> Feedback:
    """A feedback by its code and lookup secret (no account needed), for its submitter's follow-up page.

    Rate-limited per client address and per code; the secret is compared in constant time and a missing feedback
    costs the same as a wrong secret: both are "not found".
    """
    code = (code or "").strip().upper()
    if _lookup_limited(code=code, client_address=client_address):
        raise RateLimited()
    feedback = _related(Feedback.objects.filter(code=code)).first() if code else None
    matches = secret_matches(secret or "", feedback.secret_hash if feedback is not None else "")
    if feedback is None or not matches:
        raise NotFound(_("No feedback matches this code and lookup secret."))
    return feedback


# ------------------------------------------------------------------------------------------------------
# The public: published answers
# ------------------------------------------------------------------------------------------------------


def feedback_public_search(
    *, query: str = "", agency_code: str = "", procedure_code: str = "", field_code: str = ""
) -> QuerySet[Feedback]:
    """Published answers, newest first, searched in their published title, question and answer with or without
    diacritics ("thoi han ly lich tu phap" finds "Thời hạn ... lý lịch tư pháp"), filtered by agency, procedure and
    field."""
    feedbacks = Feedback.objects.filter(status=S.PUBLISHED)
    if agency_code:
        agency = organisation_find(reference=agency_code)
        if agency is None:
            return feedbacks.none()
        feedbacks = feedbacks.filter(agency=agency)
    if procedure_code:
        feedbacks = feedbacks.filter(procedure__code=procedure_code.strip())
    if field_code:
        feedbacks = feedbacks.filter(field_code=field_code.strip())
    for term in search_terms(query):
        feedbacks = feedbacks.filter(public_search_key__contains=term)
    return feedbacks.select_related("agency", "procedure").order_by("-published_at", "-code")


def feedback_public_get(*, code: str) -> Feedback:
    feedback = (
        Feedback.objects.filter(status=S.PUBLISHED, code=(code or "").strip().upper())
        .select_related("agency", "procedure")
        .first()
    )
    if feedback is None:
        raise NotFound(_("There is no published answer with this code."))
    return feedback


@dataclass(frozen=True)
class FilterChoice:
    code: str
    name: str
    count: int


def feedback_public_filters() -> dict[str, list[FilterChoice]]:
    """The agencies, procedures and fields that have published answers, with how many, for the search filters."""
    published = Feedback.objects.filter(status=S.PUBLISHED)
    agencies = published.values("agency__code", "agency__name").annotate(count=Count("pk")).order_by("agency__name")
    procedures = (
        published.exclude(procedure__isnull=True)
        .values("procedure__code", "procedure__name")
        .annotate(count=Count("pk"))
        .order_by("procedure__name")
    )
    fields = published.exclude(field_code="").values("field_code", "field_name").annotate(count=Count("pk"))
    return {
        "agencies": [FilterChoice(row["agency__code"] or "", row["agency__name"], row["count"]) for row in agencies],
        "procedures": [
            FilterChoice(row["procedure__code"], row["procedure__name"], row["count"]) for row in procedures
        ],
        "fields": sorted(
            (FilterChoice(row["field_code"], row["field_name"], row["count"]) for row in fields),
            key=lambda choice: choice.name,
        ),
    }


def feedback_vote_of(*, user: Any, voter_token: str, feedback: Feedback) -> int | None:
    """This person's (or this browser's) vote on a published answer: 1, -1, or None."""
    votes = FeedbackVote.objects.filter(feedback=feedback)
    if user is not None and getattr(user, "is_authenticated", False) and isinstance(user, User):
        vote = votes.filter(user=user).first()
    elif voter_token:
        vote = votes.filter(voter_key=voter_key_of(voter_token)).first()
    else:
        vote = None
    return vote.value if vote is not None else None


# ------------------------------------------------------------------------------------------------------
# For the service quality index (Decision 766/QĐ-TTg): dossiers with complaints or dislikes
# ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DossierFeedback:
    """What feedback says about one dossier: how many feedback name it, how many answers to them were published,
    and the likes and dislikes those answers got."""

    dossier_id: uuid.UUID
    feedback_count: int
    published_count: int
    likes: int
    dislikes: int


def feedback_about_dossiers(*, dossier_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, DossierFeedback]:
    """For a set of dossiers, those that have feedback about them (every status counts: a refused or returned
    feedback is still a complaint), with the votes on the published answers. Counts only, no personal data: for
    the service quality index's "dossiers with complaints or dislikes"."""
    ids = list(dossier_ids)
    if not ids:
        return {}
    published = Q(status=S.PUBLISHED)
    rows = (
        Feedback.objects.filter(dossier_id__in=ids)
        .values("dossier_id")
        .annotate(
            feedback_count=Count("pk"),
            published_count=Count("pk", filter=published),
            likes=Sum("like_count", filter=published, default=0),
            dislikes=Sum("dislike_count", filter=published, default=0),
        )
    )
    return {
        row["dossier_id"]: DossierFeedback(
            dossier_id=row["dossier_id"],
            feedback_count=row["feedback_count"],
            published_count=row["published_count"],
            likes=row["likes"] or 0,
            dislikes=row["dislikes"] or 0,
        )
        for row in rows
    }
