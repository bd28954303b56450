import pytest

from motcua.core.exceptions import NotAuthenticated, PermissionDenied
from motcua.core.permissions import SYSTEM, permission_require, rule_register, user_can


class _User:
    is_authenticated = True
    is_active = True

    def __init__(self, name):
        self.name = name


def test_unknown_action_is_denied_by_default():
    assert not user_can(_User("a"), "nothing.registered")


def test_a_rule_allows_only_what_it_says():
    rule_register("test.read_own", lambda user, obj: obj == user.name)
    assert user_can(_User("lan"), "test.read_own", "lan")
    assert not user_can(_User("lan"), "test.read_own", "minh")


def test_inactive_or_anonymous_users_are_denied():
    rule_register("test.anything", lambda user, obj: True)
    inactive = _User("x")
    inactive.is_active = False
    assert not user_can(inactive, "test.anything")
    assert not user_can(None, "test.anything")
    with pytest.raises(NotAuthenticated):
        permission_require(None, "test.anything")


def test_permission_require_names_the_action():
    with pytest.raises(PermissionDenied) as error:
        permission_require(_User("x"), "test.never")
    assert error.value.details == {"action": "test.never"}


def test_system_actor_may_act_and_an_imitation_may_not():
    assert user_can(SYSTEM, "test.never")

    class Impostor(_User):
        is_system = True

    assert not user_can(Impostor("x"), "test.never")


@pytest.mark.django_db
def test_system_actor_is_named_in_the_audit_trail():
    from motcua.core.audit import audit_record

    event = audit_record(action="test.system", object_type="thing", actor=SYSTEM)
    assert event.actor_id is None and event.actor_label == "system"
