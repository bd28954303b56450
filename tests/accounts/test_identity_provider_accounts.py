"""Mapping the national portal's userinfo to accounts, and accounts created by services (demo data, officials)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from motcua.accounts.models import User
from motcua.accounts.services import (
    user_create_business,
    user_create_citizen,
    user_create_official,
    user_from_identity_provider,
    user_update,
)
from motcua.core.exceptions import Conflict, NotAuthenticated, PermissionDenied, ValidationFailed
from motcua.core.models import AuditEvent
from motcua.core.permissions import SYSTEM
from tests.accounts.conftest import PASSWORD
from tests.factories import UserFactory, personal_id, tax_code

pytestmark = pytest.mark.django_db
ISSUER = "https://sso.dichvucong.example.vn"


def test_citizen_is_created_then_matched_by_account_key():
    claims = {"sub": "k1", "LoaiTaiKhoan": "1", "SoDinhDanh": "001090000777", "HoVaTen": "Phạm Thu Hà"}
    created = user_from_identity_provider(issuer=ISSUER, claims=claims)
    again = user_from_identity_provider(issuer=ISSUER, claims={**claims, "HoVaTen": "Phạm Thu Hà (đổi tên)"})
    assert created.pk == again.pk and again.full_name == "Phạm Thu Hà (đổi tên)"
    assert created.username == "001090000777"


def test_account_key_can_come_as_ma_dinh_danh():
    user = user_from_identity_provider(
        issuer=ISSUER, claims={"MaDinhDanh": "md-9", "LoaiTaiKhoan": 1, "SoDinhDanh": "001090000778"}
    )
    assert user.oidc_subject == "md-9"


@pytest.mark.parametrize(
    ("claims", "field"),
    [
        ({"sub": "a", "LoaiTaiKhoan": 1, "SoDinhDanh": "12345"}, "SoDinhDanh"),
        ({"sub": "a", "LoaiTaiKhoan": 1}, "SoDinhDanh"),
        ({"sub": "a", "LoaiTaiKhoan": 2, "MaSoThue": "0100109107"}, "MaSoThue"),
    ],
)
def test_invalid_identifiers_are_refused_with_nothing_written(claims, field):
    with pytest.raises(ValidationFailed) as refused:
        user_from_identity_provider(issuer=ISSUER, claims=claims)
    assert field in refused.value.details
    assert not User.objects.exists() and not AuditEvent.objects.exists()


def test_missing_account_key_and_unknown_account_kinds_are_refused():
    with pytest.raises(ValidationFailed):
        user_from_identity_provider(issuer=ISSUER, claims={"LoaiTaiKhoan": 1, "SoDinhDanh": "001090000779"})
    with pytest.raises(PermissionDenied):
        user_from_identity_provider(issuer=ISSUER, claims={"sub": "x", "LoaiTaiKhoan": 3, "SoDinhDanh": "001090000779"})
    assert not User.objects.exists()


def test_a_personal_id_linked_to_another_account_key_is_a_conflict():
    pid = personal_id()
    user_from_identity_provider(issuer=ISSUER, claims={"sub": "first", "LoaiTaiKhoan": 1, "SoDinhDanh": pid})
    with pytest.raises(Conflict):
        user_from_identity_provider(issuer=ISSUER, claims={"sub": "second", "LoaiTaiKhoan": 1, "SoDinhDanh": pid})
    assert User.objects.get(personal_id=pid).oidc_subject == "first"


def test_staff_and_disabled_accounts_are_refused():
    staff = UserFactory(is_staff=True)
    with pytest.raises(PermissionDenied):
        user_from_identity_provider(
            issuer=ISSUER, claims={"sub": "s", "LoaiTaiKhoan": 1, "SoDinhDanh": staff.personal_id}
        )
    disabled = UserFactory(is_active=False)
    with pytest.raises(PermissionDenied):
        user_from_identity_provider(
            issuer=ISSUER, claims={"sub": "d", "LoaiTaiKhoan": 1, "SoDinhDanh": disabled.personal_id}
        )


def test_business_matched_by_tax_code_with_a_branch_suffix():
    code = f"{tax_code(99)}001"  # 13 digits: a branch
    business = user_create_business(
        actor=SYSTEM, username="songhong", organisation_name="Sông Hồng", tax_code=code, password=None
    )
    assert business.tax_code == f"{code[:10]}-{code[10:]}"
    linked = user_from_identity_provider(issuer=ISSUER, claims={"sub": "b", "LoaiTaiKhoan": 2, "MaSoThue": code})
    assert linked.pk == business.pk and linked.verified_by_identity_provider


def test_create_official_and_citizen_for_the_system_and_for_admins(platform_admin):
    official = user_create_official(
        actor=SYSTEM, username="canbo01", full_name="Cán bộ Một", email="canbo01@example.vn", password=PASSWORD
    )
    assert official.is_official and official.check_password(PASSWORD)
    citizen = user_create_citizen(
        actor=platform_admin, username="congdan01", full_name="Công dân", personal_id=personal_id(), password=PASSWORD
    )
    assert citizen.kind == User.Kind.CITIZEN
    business = user_create_business(
        actor=SYSTEM, username="dn01", organisation_name="Công ty A", tax_code=tax_code(7), password=PASSWORD
    )
    assert business.kind == User.Kind.BUSINESS
    created = AuditEvent.objects.filter(action="accounts.user_created").order_by("sequence")
    assert [event.actor_label for event in created] == ["system", platform_admin.username, "system"]
    with pytest.raises(Conflict):
        user_create_official(actor=SYSTEM, username="CANBO01", full_name="x", email="", password=PASSWORD)
    with pytest.raises(ValidationFailed) as weak:
        user_create_official(actor=SYSTEM, username="canbo02", full_name="x", email="", password="123")
    assert "password" in weak.value.details
    with pytest.raises(ValidationFailed) as bad_id:
        user_create_citizen(actor=SYSTEM, username="cd2", full_name="x", personal_id="123", password=PASSWORD)
    assert "personal_id" in bad_id.value.details


def test_only_platform_admins_create_accounts_for_others(citizen):
    with pytest.raises(PermissionDenied):
        user_create_official(actor=citizen, username="rogue", full_name="x", email="", password=PASSWORD)
    with pytest.raises(NotAuthenticated):
        user_create_citizen(
            actor=AnonymousUser(), username="r2", full_name="x", personal_id=personal_id(), password=PASSWORD
        )
    assert not User.objects.filter(username__in=["rogue", "r2"]).exists()


def test_users_change_only_their_preferences_admins_the_safe_fields(citizen, platform_admin):
    with pytest.raises(PermissionDenied):
        user_update(actor=citizen, user=citizen, changes={"full_name": "Tên khác"})
    with pytest.raises(PermissionDenied):
        user_update(actor=UserFactory(), user=citizen, changes={"preferred_language": "en"})
    with pytest.raises(PermissionDenied):
        user_update(actor=platform_admin, user=citizen, changes={"is_superuser": True})
    citizen.refresh_from_db()
    assert citizen.full_name != "Tên khác" and citizen.preferred_language == "vi" and not citizen.is_superuser
    user_update(actor=platform_admin, user=citizen, changes={"full_name": "Tên khác", "is_active": False})
    citizen.refresh_from_db()
    assert citizen.full_name == "Tên khác" and not citizen.is_active
