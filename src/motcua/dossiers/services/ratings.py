"""The applicant's satisfaction rating, once the result has been returned.

Decision 766/QĐ-TTg (2022) measures satisfaction from what applicants say of the service; the rating is one
per dossier and cannot be changed afterwards, so the index computed from it is stable. It is not a workflow
transition: the dossier stays "result returned" and nothing is sent to the national portal.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from motcua.accounts.models import User
from motcua.core.audit import audit_record, snapshot
from motcua.core.exceptions import InvalidState, NotAuthenticated, NotFound, ValidationFailed
from motcua.core.permissions import permission_require, user_can
from motcua.dossiers.models import Dossier, DossierRating, DossierStatus, RatingScore
from motcua.dossiers.selectors import dossier_find_by_receipt
from motcua.dossiers.services._base import lock, moment

COMMENT_MAX_LENGTH = 2000


def _clean(*, score: Any, comment: str) -> tuple[int, str]:
    errors: dict[str, list[str]] = {}
    if isinstance(score, bool) or not isinstance(score, int) or score not in RatingScore.values:
        errors["score"] = [str(_("Choose how satisfied you are, from 1 to 5."))]
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        errors["comment"] = [str(_("Use at most %(limit)s characters.") % {"limit": COMMENT_MAX_LENGTH})]
    if errors:
        raise ValidationFailed(details=errors)
    return int(score), comment


def _rate(
    *, dossier: Dossier, score: Any, comment: str, channel: str, user: User | None, actor: Any, at: dt.datetime
) -> DossierRating:
    score, comment = _clean(score=score, comment=comment)
    if dossier.status != DossierStatus.RETURNED:
        raise InvalidState(
            _("You can rate the service once the result has been handed over to you."), code="dossier_not_returned"
        )
    if DossierRating.objects.filter(dossier=dossier).exists():
        raise InvalidState(_("This dossier has already been rated."), code="dossier_already_rated")
    rating = DossierRating.objects.create(
        dossier=dossier, score=score, comment=comment, channel=channel, rated_by=user, rated_at=at
    )
    audit_record(action="dossiers.rate", instance=rating, after=snapshot(rating), actor=actor)
    return rating


@transaction.atomic
def dossier_rate(
    *, actor: Any, dossier: Dossier, score: int, comment: str = "", at: dt.datetime | None = None
) -> DossierRating:
    """The applicant rates the service of a returned dossier, once (Decision 766/QĐ-TTg, satisfaction)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotAuthenticated()
    dossier = lock(dossier)
    if not user_can(actor, "dossiers.view", dossier):
        raise NotFound()
    permission_require(actor, "dossiers.rate", dossier)
    return _rate(
        dossier=dossier,
        score=score,
        comment=comment,
        channel=DossierRating.Channel.ACCOUNT,
        user=actor if isinstance(actor, User) else None,
        actor=actor,
        at=moment(at),
    )


@transaction.atomic
def dossier_rate_with_secret(
    *,
    code: str,
    secret: str,
    score: int,
    comment: str = "",
    client_address: str | None = None,
    at: dt.datetime | None = None,
) -> DossierRating:
    """An applicant without an account rates with the code and secret printed on the receipt (rate-limited
    like the public lookup; a wrong secret is "not found")."""
    dossier = lock(dossier_find_by_receipt(code=code, secret=secret, client_address=client_address))
    return _rate(
        dossier=dossier,
        score=score,
        comment=comment,
        channel=DossierRating.Channel.LOOKUP,
        user=None,
        actor=None,
        at=moment(at),
    )
