"""Permission rules of the procedure catalogue (deny by default; see core.permissions).

The object of ``procedures.create_procedure`` and ``procedures.change_procedure`` is the implementing
organisation: an agency administrator manages the procedures of their organisation and of the bodies under
it; platform administrators manage them all. Whole-catalogue imports are for platform administrators and
operator commands (``SYSTEM``, allowed by core.permissions itself).
"""

from __future__ import annotations

from typing import Any

from motcua.agencies.models import Organisation, Role
from motcua.agencies.selectors import user_has_role, user_roles_in_subtree_of
from motcua.core.permissions import rule_register


def _is_platform_admin(user: Any, obj: Any = None) -> bool:
    return bool(getattr(user, "is_superuser", False)) or user_has_role(user=user, role=Role.PLATFORM_ADMIN)


def _administers_implementing_organisation(user: Any, organisation: Any) -> bool:
    return isinstance(organisation, Organisation) and Role.AGENCY_ADMIN in user_roles_in_subtree_of(
        user=user, organisation=organisation
    )


for action in ("procedures.create_procedure", "procedures.change_procedure"):
    rule_register(action, _is_platform_admin)
    rule_register(action, _administers_implementing_organisation)
rule_register("procedures.import", _is_platform_admin)
