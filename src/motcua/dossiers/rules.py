"""Who may see and act on a dossier (deny by default; see core.permissions).

Officials act through their positions: a clerk (Role.ONE_STOP_CLERK) of the receiving or processing
organisation; the official holding the current step's role in the step's organisation (the receiving one
for a one-stop-desk step, the processing one otherwise) and unit, when the step names one; an agency
leader of the processing organisation; officials of an organisation whose opinion was asked. Applicants
act on their own dossiers. Registered as ``dossiers.view`` and ``dossiers.<action>`` for every action of
``dossiers.workflow``.
"""

from __future__ import annotations

from typing import Any

from motcua.agencies.models import Organisation, Position, Role
from motcua.agencies.selectors import position_active_list
from motcua.core.permissions import rule_register
from motcua.dossiers.models import Dossier, OpinionRequest
from motcua.dossiers.workflow import ACTION_ACTORS, Action, Actor

# Roles that take part in processing dossiers (and so may see the dossiers of their organisation).
DOSSIER_ROLES = frozenset(
    {Role.ONE_STOP_CLERK, Role.SPECIALIST, Role.UNIT_HEAD, Role.AGENCY_LEADER, Role.DOCUMENT_CLERK}
)
OPINION_ROLES = frozenset({Role.SPECIALIST, Role.UNIT_HEAD, Role.AGENCY_LEADER})
# Who may approve at a decision step, and so sign the result; who keeps the agency's seal.
APPROVER_ROLES = frozenset({Role.UNIT_HEAD, Role.AGENCY_LEADER})
SEAL_KEEPER_ROLES = frozenset({Role.DOCUMENT_CLERK, Role.AGENCY_LEADER})


def is_applicant(user: Any, dossier: Dossier) -> bool:
    from motcua.accounts.models import User

    return isinstance(user, User) and dossier.applicant_id is not None and dossier.applicant_id == user.pk


def _positions(user: Any) -> list[Position]:
    return list(position_active_list(user=user))


def step_organisation_id(dossier: Dossier) -> Any:
    return dossier.current_step_organisation_id


def acting_position(user: Any, dossier: Dossier, actor_kind: str, *, organisation: Any = None) -> Position | None:
    """The position through which ``user`` acts as ``actor_kind`` on ``dossier``, or None."""
    positions = _positions(user)
    if actor_kind == Actor.CLERK:
        allowed = {dossier.receiving_organisation_id, dossier.processing_organisation_id}
        return next(
            (p for p in positions if p.role == Role.ONE_STOP_CLERK and p.organisation_id in allowed),
            None,
        )
    if actor_kind == Actor.STEP_OFFICIAL:
        if dossier.current_step_index is None or dossier.current_step_organisation_id is None:
            return None
        for position in positions:
            if position.role != dossier.current_step_role:
                continue
            if position.organisation_id != dossier.current_step_organisation_id:
                continue
            if dossier.current_step_unit_code and (
                position.unit is None or position.unit.code != dossier.current_step_unit_code
            ):
                continue
            return position
        return None
    if actor_kind == Actor.PROCESSING_LEADER:
        return next(
            (
                p
                for p in positions
                if p.role == Role.AGENCY_LEADER and p.organisation_id == dossier.processing_organisation_id
            ),
            None,
        )
    if actor_kind == Actor.APPROVER:
        approver = str((dossier.result or {}).get("approved_by_id") or "")
        if not approver or approver != str(getattr(user, "pk", "")):
            return None
        return next(
            (
                p
                for p in positions
                if p.role in APPROVER_ROLES and p.organisation_id == dossier.processing_organisation_id
            ),
            None,
        )
    if actor_kind == Actor.SEAL_KEEPER:
        return next(
            (
                p
                for p in positions
                if p.role in SEAL_KEEPER_ROLES and p.organisation_id == dossier.processing_organisation_id
            ),
            None,
        )
    if actor_kind == Actor.OPINION_ORGANISATION:
        if organisation is not None:
            organisation_ids = {organisation.pk if isinstance(organisation, Organisation) else organisation}
        else:
            organisation_ids = set(
                OpinionRequest.objects.filter(dossier=dossier, answered_at__isnull=True).values_list(
                    "organisation_id", flat=True
                )
            )
        return next((p for p in positions if p.role in OPINION_ROLES and p.organisation_id in organisation_ids), None)
    return None


def may_act(user: Any, dossier: Dossier, action: str, *, organisation: Any = None) -> tuple[bool, Position | None]:
    """Whether ``user`` may take ``action`` on ``dossier`` (ignoring its status), and through which position."""
    for actor_kind in sorted(ACTION_ACTORS.get(action, frozenset())):
        if actor_kind == Actor.APPLICANT:
            if is_applicant(user, dossier):
                return True, None
            continue
        position = acting_position(user, dossier, actor_kind, organisation=organisation)
        if position is not None:
            return True, position
    return False, None


def may_view(user: Any, dossier: Dossier) -> bool:
    if is_applicant(user, dossier):
        return True
    positions = [p for p in _positions(user) if p.role in DOSSIER_ROLES]
    if not positions:
        return False
    organisation_ids = {p.organisation_id for p in positions}
    if organisation_ids & {dossier.receiving_organisation_id, dossier.processing_organisation_id}:
        return True
    asked = OpinionRequest.objects.filter(dossier=dossier, organisation_id__in=organisation_ids)
    return asked.exists()


def _view_rule(user: Any, dossier: Any) -> bool:
    return isinstance(dossier, Dossier) and may_view(user, dossier)


def _action_rule(action: str) -> Any:
    def rule(user: Any, dossier: Any) -> bool:
        return isinstance(dossier, Dossier) and may_act(user, dossier, action)[0]

    rule.__name__ = f"dossier_{action}_rule"
    return rule


def _may_receive_at_counter(user: Any, organisation: Any) -> bool:
    """A clerk of the receiving organisation (the object is the organisation that receives)."""
    return isinstance(organisation, Organisation) and any(
        p.role == Role.ONE_STOP_CLERK and p.organisation_id == organisation.pk for p in _positions(user)
    )


def _may_submit(user: Any, obj: Any = None) -> bool:
    from motcua.accounts.models import User

    return isinstance(user, User) and user.kind in (User.Kind.CITIZEN, User.Kind.BUSINESS)


def _is_official_with_dossier_role(user: Any, obj: Any = None) -> bool:
    return any(p.role in DOSSIER_ROLES for p in _positions(user))


def _may_rate(user: Any, dossier: Any) -> bool:
    """Only the applicant's own account rates the service (others may see the dossier, not judge it)."""
    return isinstance(dossier, Dossier) and is_applicant(user, dossier)


rule_register("dossiers.view", _view_rule)
rule_register("dossiers.rate", _may_rate)
rule_register("dossiers.submit", _may_submit)
rule_register("dossiers.receive_at_counter", _may_receive_at_counter)
rule_register("dossiers.view_queue", _is_official_with_dossier_role)
_ACTION_RULES = {action: _action_rule(action) for action in Action.values if action not in ("submit",)}
for _action, _rule in _ACTION_RULES.items():
    if _action == Action.RECEIVE_AT_COUNTER:
        continue
    rule_register(f"dossiers.{_action}", _rule)
