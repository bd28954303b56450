"""Permission rules of the agency directory (deny by default; see core.permissions)."""

from __future__ import annotations

from typing import Any

from motcua.agencies.models import Role
from motcua.agencies.selectors import user_has_role, user_is_platform_admin, user_roles_in_subtree_of
from motcua.core.permissions import SYSTEM, SystemActor, rule_register

# Operator commands act as the platform itself (core.permissions.SYSTEM).
SYSTEM_ACTOR = SYSTEM

# Roles that reach beyond one organisation (the whole platform, the whole audit trail): only platform
# administrators may grant or end them, so an agency administrator cannot raise their own rights.
PRIVILEGED_ROLES = frozenset({Role.PLATFORM_ADMIN, Role.AUDITOR})


def _is_system(user: Any, obj: Any = None) -> bool:
    return isinstance(user, SystemActor)


def _is_platform_admin(user: Any, obj: Any = None) -> bool:
    return user_is_platform_admin(user=user)


def _is_auditor(user: Any, obj: Any = None) -> bool:
    return user_has_role(user=user, role=Role.AUDITOR)


def _administers_organisation(user: Any, organisation: Any) -> bool:
    # An agency administrator manages their organisation and everything under it.
    return organisation is not None and Role.AGENCY_ADMIN in user_roles_in_subtree_of(
        user=user, organisation=organisation
    )


for action in ("core.view_audit",):
    rule_register(action, _is_platform_admin)
    rule_register(action, _is_auditor)
rule_register("core.manage_calendar", _is_platform_admin)
for action in ("agencies.import", "agencies.assign_privileged_role"):
    rule_register(action, _is_platform_admin)
    rule_register(action, _is_system)
for action in (
    # For creation the object is the future parent: an agency administrator may add bodies under their
    # own organisation; only platform administrators may add a top-level one.
    "agencies.create_organisation",
    "agencies.change_organisation",
    "agencies.manage_units",
    "agencies.manage_positions",
    "agencies.view_staff",
):
    rule_register(action, _is_platform_admin)
    rule_register(action, _administers_organisation)
    rule_register(action, _is_system)
