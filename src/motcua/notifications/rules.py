"""Permission rules of notifications (deny by default; see core.permissions)."""

from __future__ import annotations

from typing import Any

from motcua.accounts.models import User
from motcua.agencies.models import Role
from motcua.agencies.selectors import user_is_platform_admin, user_roles_in_subtree_of
from motcua.core.permissions import rule_register


def _is_person(user: Any) -> bool:
    return isinstance(user, User) and user.is_active


def _is_platform_admin(user: Any, obj: Any = None) -> bool:
    return _is_person(user) and user_is_platform_admin(user=user)


def _is_recipient(user: Any, notification: Any) -> bool:
    return _is_person(user) and notification is not None and notification.user_id == user.pk


def _is_self(user: Any, person: Any) -> bool:
    return _is_person(user) and person is not None and getattr(person, "pk", None) == user.pk


def _administers(user: Any, organisation: Any) -> bool:
    """An agency administrator manages the webhooks of their organisation and of every body under it."""
    return (
        _is_person(user)
        and organisation is not None
        and Role.AGENCY_ADMIN in user_roles_in_subtree_of(user=user, organisation=organisation)
    )


# One's own inbox: read a notification, mark it read.
rule_register("notifications.read", _is_recipient)
# One's own choice of channels.
rule_register("notifications.set_preferences", _is_self)
# Webhook subscriptions of an organisation (the object), their delivery log, "retry now".
rule_register("notifications.manage_webhooks", _is_platform_admin)
rule_register("notifications.manage_webhooks", _administers)
# Wording of the events (template overrides) and re-sending given-up e-mails and SMS: the whole platform.
rule_register("notifications.manage_templates", _is_platform_admin)
rule_register("notifications.retry", _is_platform_admin)
