"""Permission rules for accounts and API clients."""

from __future__ import annotations

from typing import Any

from motcua.accounts.models import ApiClient
from motcua.agencies.models import Role
from motcua.agencies.selectors import organisation_find, user_has_role
from motcua.core.permissions import rule_register


def _is_platform_admin(user: Any, obj: Any = None) -> bool:
    return bool(getattr(user, "is_superuser", False)) or user_has_role(user=user, role=Role.PLATFORM_ADMIN)


def _is_self(user: Any, obj: Any = None) -> bool:
    return obj is not None and getattr(obj, "pk", None) == getattr(user, "pk", object())


rule_register("accounts.manage_api_clients", _is_platform_admin)
rule_register("accounts.view_user", _is_platform_admin)
rule_register("accounts.view_user", _is_self)
rule_register("accounts.change_user", _is_self)
rule_register("accounts.change_user", _is_platform_admin)
# Creating accounts for others, unlocking them, resetting their second factor, editing their safe fields.
rule_register("accounts.manage_users", _is_platform_admin)


# API clients of other agencies' systems act only within the scopes they were granted:
#   audit:read     read the audit trail (e.g. an inspectorate's archiving system)
#   agencies:read  read staff positions of the client's own organisation and the bodies under it
def _api_client_has(user: Any, scope: str) -> bool:
    return isinstance(user, ApiClient) and user.is_active and user.has_scope(scope)


def _api_client_reads_audit(user: Any, obj: Any = None) -> bool:
    return _api_client_has(user, "audit:read")


def _api_client_reads_own_staff(user: Any, organisation: Any) -> bool:
    if organisation is None or not _api_client_has(user, "agencies:read") or not user.organisation_code:
        return False
    own = organisation_find(reference=user.organisation_code)
    return own is not None and (organisation.pk == own.pk or f"/{own.pk}/" in organisation.path)


rule_register("core.view_audit", _api_client_reads_audit)
rule_register("agencies.view_staff", _api_client_reads_own_staff)
