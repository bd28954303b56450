"""Who may see and act on a feedback (deny by default; see core.permissions).

Officials act through their positions in the competent agency:

- **receiving officials** (``RECEIVER_ROLES``: one-stop-desk clerk, document clerk, agency leader, agency
  administrator) receive, refuse, return or forward a new feedback, ask the submitter for more information
  and assign a handler; an agency administrator's authority flows down the organisation tree, as everywhere;
- **handlers** (``HANDLER_ROLES``: specialist, unit head) answer the feedback assigned to them and may ask for
  more information while they handle it;
- **agency leaders** approve an answer or send it back, then publish it or close it without publication.

Submitters act on their own feedback (supplying information): through their account, or (checked by the
services) with the code and the lookup secret. Registered as ``feedback.view``, ``feedback.view_queue`` and
``feedback.<action>`` for every action of ``feedback.workflow`` but submission (open to anyone).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from motcua.agencies.models import Organisation, Position, Role
from motcua.agencies.selectors import position_active_list
from motcua.core.permissions import rule_register
from motcua.feedback.models import Feedback
from motcua.feedback.workflow import ACTION_ACTORS, Actor

RECEIVER_ROLES = frozenset({Role.ONE_STOP_CLERK, Role.DOCUMENT_CLERK, Role.AGENCY_LEADER, Role.AGENCY_ADMIN})
HANDLER_ROLES = frozenset({Role.SPECIALIST, Role.UNIT_HEAD})
LEADER_ROLES = frozenset({Role.AGENCY_LEADER})
# Roles that see the feedback of their agency.
FEEDBACK_ROLES = RECEIVER_ROLES | HANDLER_ROLES


def _ancestor_ids(organisation: Organisation) -> list[str]:
    return [part for part in organisation.path.strip("/").split("/") if part]


def agency_positions(user: Any, agency: Organisation) -> list[Position]:
    """The user's positions that count in this agency: those held in it, and an agency administrator's
    position in any organisation above it (authority flows down)."""
    positions = position_active_list(user=user)
    return [
        position
        for position in positions
        if position.organisation_id == agency.pk
        or (position.role == Role.AGENCY_ADMIN and str(position.organisation_id) in _ancestor_ids(agency))
    ]


def is_submitter(user: Any, feedback: Feedback) -> bool:
    from motcua.accounts.models import User

    return isinstance(user, User) and feedback.submitter_id is not None and feedback.submitter_id == user.pk


def acting_position(user: Any, feedback: Feedback, actor_kind: str) -> Position | None:
    """The position through which ``user`` acts as ``actor_kind`` on ``feedback``, or None."""
    positions = agency_positions(user, feedback.agency)
    if actor_kind == Actor.RECEIVER:
        return next((p for p in positions if p.role in RECEIVER_ROLES), None)
    if actor_kind == Actor.HANDLER:
        if feedback.assigned_to_id is None or feedback.assigned_to_id != getattr(user, "pk", None):
            return None
        return next((p for p in positions if p.role in HANDLER_ROLES and p.organisation_id == feedback.agency_id), None)
    if actor_kind == Actor.LEADER:
        return next((p for p in positions if p.role in LEADER_ROLES and p.organisation_id == feedback.agency_id), None)
    return None


def may_act(user: Any, feedback: Feedback, action: str) -> tuple[bool, Position | None]:
    """Whether ``user`` may take ``action`` on ``feedback`` (ignoring its status), and through which position."""
    for actor_kind in sorted(ACTION_ACTORS.get(action, frozenset())):
        if actor_kind == Actor.SUBMITTER:
            if is_submitter(user, feedback):
                return True, None
            continue
        position = acting_position(user, feedback, actor_kind)
        if position is not None:
            return True, position
    return False, None


def is_feedback_official(user: Any, feedback: Feedback) -> bool:
    return any(p.role in FEEDBACK_ROLES for p in agency_positions(user, feedback.agency))


def may_view(user: Any, feedback: Feedback) -> bool:
    return is_submitter(user, feedback) or is_feedback_official(user, feedback)


def visible_agencies_condition(user: Any, *, prefix: str = "agency") -> Q:
    """A condition on ``<prefix>`` (an organisation itself when empty) that holds for the agencies whose feedback
    the official may see."""
    id_field = f"{prefix}_id" if prefix else "id"
    path_field = f"{prefix}__path__startswith" if prefix else "path__startswith"
    condition = Q(pk__in=[])
    for position in position_active_list(user=user):
        if position.role not in FEEDBACK_ROLES:
            continue
        condition |= Q(**{id_field: position.organisation_id})
        if position.role == Role.AGENCY_ADMIN:
            organisation = position.organisation
            condition |= Q(**{path_field: f"{organisation.path}{organisation.pk}/"})
    return condition


def user_is_feedback_official(user: Any, obj: Any = None) -> bool:
    return any(p.role in FEEDBACK_ROLES for p in position_active_list(user=user))


def _view_rule(user: Any, feedback: Any) -> bool:
    return isinstance(feedback, Feedback) and may_view(user, feedback)


def _action_rule(action: str) -> Any:
    def rule(user: Any, feedback: Any) -> bool:
        return isinstance(feedback, Feedback) and may_act(user, feedback, action)[0]

    rule.__name__ = f"feedback_{action}_rule"
    return rule


rule_register("feedback.view", _view_rule)
rule_register("feedback.view_queue", user_is_feedback_official)
for _action in ACTION_ACTORS:
    rule_register(f"feedback.{_action}", _action_rule(_action))
