"""Who may use and manage signing keys."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Role
from motcua.agencies.selectors import (
    organisation_find,
    position_active_list,
    user_has_role,
    user_roles_in_subtree_of,
)
from motcua.core.exceptions import NotAuthenticated, PermissionDenied
from motcua.core.permissions import SystemActor
from motcua.signatures.models import Certificate

# Roles whose holders may apply their organisation's seal (con dấu điện tử): leaders sign in its name, clerks
# of the document office and the one-stop desk seal what the organisation issues.
SEAL_ROLES = (Role.AGENCY_LEADER, Role.DOCUMENT_CLERK, Role.ONE_STOP_CLERK)


def actor_require(actor: Any) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotAuthenticated()


def _is_system(actor: Any) -> bool:
    return isinstance(actor, SystemActor)


def organisation_of(certificate_row: Certificate) -> Any:
    if certificate_row.organisation_id is not None:
        return certificate_row.organisation
    if certificate_row.organisation_code:
        return organisation_find(reference=certificate_row.organisation_code)
    return None


def may_use(actor: Any, certificate_row: Certificate) -> bool:
    """A personal key is its holder's alone; a seal belongs to its organisation's leaders and clerks."""
    if _is_system(actor):
        return True
    if not getattr(actor, "is_active", False):
        return False
    if certificate_row.kind == Certificate.Kind.PERSONAL:
        return certificate_row.holder_id is not None and certificate_row.holder_id == actor.pk
    if certificate_row.kind == Certificate.Kind.AGENCY_SEAL:
        organisation = organisation_of(certificate_row)
        if organisation is None:
            return False
        return position_active_list(user=actor).filter(organisation=organisation, role__in=SEAL_ROLES).exists()
    return False


def may_manage(actor: Any, organisation: Any) -> bool:
    """Platform administrators manage every key; agency administrators those of their organisation's subtree."""
    if _is_system(actor):
        return True
    if not getattr(actor, "is_active", False):
        return False
    if user_has_role(user=actor, role=Role.PLATFORM_ADMIN):
        return True
    return organisation is not None and Role.AGENCY_ADMIN in user_roles_in_subtree_of(
        user=actor, organisation=organisation
    )


def forbidden() -> PermissionDenied:
    return PermissionDenied(_("You may not use or manage this signing key."), code="signing_key_forbidden")
