"""Object-level permissions, deny by default.

Each domain registers rules: ``rule_register("agencies.change_organisation", rule)`` where a rule is
``(user, obj) -> bool``. ``user_can`` is true only if some rule for that action says yes. Selectors and
services call ``permission_require`` before reading or writing anything a rule protects.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from motcua.core.exceptions import NotAuthenticated, PermissionDenied

Rule = Callable[[Any, Any], bool]
_rules: dict[str, list[Rule]] = defaultdict(list)


class SystemActor:
    """The platform itself acting: operator commands (import, demo data), scheduled tasks.

    Only code paths that an operator starts on the server may pass ``SYSTEM``; never a request.
    """

    is_authenticated = True
    is_active = True
    is_superuser = False
    is_system = True
    pk = None

    def get_username(self) -> str:
        return "system"

    def __str__(self) -> str:
        return "system"


SYSTEM = SystemActor()


def rule_register(action: str, rule: Rule) -> Rule:
    if rule not in _rules[action]:
        _rules[action].append(rule)
    return rule


def rule(action: str) -> Callable[[Rule], Rule]:
    """Decorator form of ``rule_register``."""

    def decorate(function: Rule) -> Rule:
        return rule_register(action, function)

    return decorate


def user_can(user: Any, action: str, obj: Any = None) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    if getattr(user, "is_system", False) is True and isinstance(user, SystemActor):
        return True
    return any(check(user, obj) for check in _rules.get(action, ()))


def permission_require(user: Any, action: str, obj: Any = None) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotAuthenticated()
    if not user_can(user, action, obj):
        raise PermissionDenied(details={"action": action})


def registered_actions() -> list[str]:
    return sorted(_rules)
