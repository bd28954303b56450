"""Pages of the web interface that belong to no single domain: home and the officials' workspace landing."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from motcua.agencies.models import Role
from motcua.agencies.selectors import position_active_list
from motcua.exchange.rules import EXCHANGE_ROLES
from motcua.exchange.selectors import incoming_counts
from motcua.feedback.selectors import user_is_feedback_official

DOSSIER_WORK_ROLES = (Role.ONE_STOP_CLERK, Role.SPECIALIST, Role.UNIT_HEAD, Role.AGENCY_LEADER, Role.DOCUMENT_CLERK)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html")


@require_GET
@login_required
def workspace(request: HttpRequest) -> HttpResponse:
    """Landing page for officials: the positions they hold today."""
    user = request.user
    if not (getattr(user, "is_official", False) or user.is_superuser):
        raise PermissionDenied
    today = timezone.localdate()
    positions = list(position_active_list(user=user, on=today))
    roles = {position.role for position in positions}
    return render(
        request,
        "web/workspace.html",
        {
            "positions": positions,
            "today": today,
            # Links to the one-stop work pages (dossiers app), for the roles that use them.
            "has_dossier_role": bool(roles & set(DOSSIER_WORK_ROLES)),
            "has_clerk_position": Role.ONE_STOP_CLERK in roles,
            "may_keep_log_book": bool(roles & {Role.ONE_STOP_CLERK, Role.UNIT_HEAD, Role.AGENCY_LEADER}),
            # The feedback queue (feedback app), for the roles that receive, handle or approve feedback.
            "has_feedback_role": user_is_feedback_official(user=user),
            # Official documents (exchange app): incoming to register, assigned, due soon; drafts; the books.
            "exchange_counts": incoming_counts(user=user) if roles & set(EXCHANGE_ROLES) else None,
        },
    )
