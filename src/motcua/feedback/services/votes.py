"""Likes and dislikes of published answers (the citizens' rating of the national PAKN system)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from motcua.accounts.models import User
from motcua.core.audit import audit_record
from motcua.core.exceptions import NotFound, PermissionDenied, RateLimited, ValidationFailed
from motcua.feedback.models import Feedback, FeedbackStatus, FeedbackVote
from motcua.feedback.ratelimit import rate_limit_hit
from motcua.feedback.services._base import AnonymousPerson

VOTE_VALUES = {"like": FeedbackVote.Value.LIKE, "dislike": FeedbackVote.Value.DISLIKE}


def voter_key_of(token: str) -> str:
    """What is stored for an anonymous browser: a hash of its random token, never the token."""
    return hashlib.sha256(f"feedback-voter:{token}".encode()).hexdigest()


@dataclass(frozen=True)
class VoteOutcome:
    feedback: Feedback
    value: int  # the voter's vote now: 1 like, -1 dislike
    is_changed: bool


def _counts_add(feedback: Feedback, value: int, step: int) -> None:
    column = "like_count" if value == FeedbackVote.Value.LIKE else "dislike_count"
    Feedback.objects.filter(pk=feedback.pk).update(**{column: F(column) + step})


@transaction.atomic
def feedback_vote(
    *, actor: Any, feedback: Feedback, value: str, voter_token: str = "", client_address: str | None = None
) -> VoteOutcome:
    """Like or dislike a published answer: one vote per signed-in person, or per anonymous browser (``voter_token``,
    the random token of its signed cookie, with at most ``MOTCUA_FEEDBACK_VOTE_RATE_PER_MINUTE`` votes a minute
    from one client address). Voting again changes the vote; the same vote twice changes nothing."""
    if value not in VOTE_VALUES:
        raise ValidationFailed(details={"value": [str(_("Choose like or dislike."))]})
    chosen = int(VOTE_VALUES[value])
    locked = Feedback.objects.select_for_update().filter(pk=feedback.pk, status=FeedbackStatus.PUBLISHED).first()
    if locked is None:
        raise NotFound(_("There is no published answer with this code."))
    person = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    if person is not None and not isinstance(person, User):
        raise PermissionDenied(_("Answers are rated by people, not by other systems."), code="feedback_person_required")
    if person is None:
        if not voter_token:
            raise ValidationFailed(
                _("Your browser must accept cookies to rate an answer without signing in."),
                code="feedback_voter_unknown",
            )
        limited = rate_limit_hit(
            scope="vote",
            value=client_address or "unknown",
            limit=int(settings.FEEDBACK_VOTE_RATE_PER_MINUTE),
            window_seconds=60,
        )
        if limited:
            raise RateLimited()
        existing = FeedbackVote.objects.select_for_update().filter(feedback=locked, voter_key=voter_key_of(voter_token))
    else:
        existing = FeedbackVote.objects.select_for_update().filter(feedback=locked, user=person)
    vote = existing.first()
    if vote is not None and vote.value == chosen:
        return VoteOutcome(feedback=locked, value=chosen, is_changed=False)
    before = {"value": vote.value} if vote is not None else None
    if vote is None:
        vote = FeedbackVote.objects.create(
            feedback=locked,
            user=person,
            voter_key="" if person is not None else voter_key_of(voter_token),
            value=chosen,
        )
    else:
        _counts_add(locked, vote.value, -1)
        vote.value = chosen
        vote.save(update_fields=["value", "updated_at"])
    _counts_add(locked, chosen, 1)
    locked.refresh_from_db(fields=["like_count", "dislike_count"])
    audit_record(
        action="feedback.vote",
        instance=vote,
        object_label=f"{locked.code} {value}",
        before=before,
        after={"feedback": locked.code, "value": chosen},
        actor=person if person is not None else AnonymousPerson(),
    )
    return VoteOutcome(feedback=locked, value=chosen, is_changed=True)
