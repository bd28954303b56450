import datetime as dt

import pytest

from motcua.agencies.models import Organisation, Position, Role, Unit
from motcua.agencies.rules import SYSTEM_ACTOR
from motcua.agencies.search import search_fold
from motcua.agencies.services import (
    organisation_create,
    organisation_deactivate,
    organisation_update,
    position_assign,
    position_end,
    unit_create,
    unit_update,
)
from motcua.core.audit import audit_chain_verify
from motcua.core.exceptions import Conflict, InvalidState, NotAuthenticated, PermissionDenied, ValidationFailed
from motcua.core.models import AuditEvent
from tests.factories import OfficialFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_search_fold_removes_diacritics_case_and_extra_spaces():
    assert search_fold("  Ủy ban nhân dân  tỉnh Quảng Ninh ") == "uy ban nhan dan tinh quang ninh"
    assert search_fold("Uỷ BAN") == search_fold("ủy ban") == "uy ban"
    assert search_fold("Đắk Lắk") == "dak lak"


# --- organisation_create ---------------------------------------------------------------------------


def test_create_places_the_organisation_in_the_tree_and_records_an_audit_event(platform_admin, ministry):
    events_before = AuditEvent.objects.count()
    department = organisation_create(
        actor=platform_admin,
        code=" 000.00.18.g12 ",
        name="Cục Thuế",
        abbreviation="CT",
        kind=Organisation.Kind.CENTRAL_DEPARTMENT,
        parent=ministry,
    )
    department.refresh_from_db()
    assert department.code == "000.00.18.G12"
    assert department.path == f"{ministry.path}{ministry.pk}/"
    assert department.depth == ministry.depth + 1 == 2
    assert department.search_key == "cuc thue ct 000.00.18.g12"
    event = AuditEvent.objects.get(sequence=events_before + 1)
    assert event.action == "agencies.organisation_create"
    assert event.object_id == str(department.pk)
    assert event.actor_id == platform_admin.pk
    assert event.before is None and event.after["code"] == "000.00.18.G12"
    assert audit_chain_verify().intact


def test_a_body_of_another_code_family_may_sit_under_a_parent(platform_admin, ministry):
    # A service centre of a province is not in the ministry's family: no family rule applies.
    other = organisation_create(
        actor=platform_admin,
        code="000.00.00.G22",
        name="Văn phòng Chính phủ",
        kind="government_office",
        parent=ministry,
    )
    assert other.parent == ministry


@pytest.mark.parametrize(
    ("values", "field", "fragment"),
    [
        ({"code": "G12"}, "code", "000.00.00.G22"),
        ({"code": "000.01.00.G12"}, "code", "skips a level"),
        ({"code": ""}, "code", "needs an electronic code"),
        ({"code": "000.00.00.G12"}, "code", "already has the code"),
        ({"code": "000.00.05.G12", "name": ""}, "name", ""),
        ({"code": "000.00.05.G12", "kind": "castle"}, "kind", ""),
        ({"code": "000.00.05.G12", "email": "not-an-address"}, "email", ""),
    ],
)
def test_create_refuses_invalid_data_and_writes_nothing(platform_admin, ministry, counts, values, field, fragment):
    arguments = {"name": "Cục mới", "kind": Organisation.Kind.CENTRAL_DEPARTMENT, "parent": ministry, **values}
    counts.start()
    with pytest.raises(ValidationFailed) as raised:
        organisation_create(actor=platform_admin, **arguments)
    assert field in raised.value.details
    assert fragment in " ".join(raised.value.details[field])
    counts.assert_unchanged()


def test_child_code_must_extend_the_parent_code_in_the_same_family(platform_admin, department, counts):
    counts.start()
    with pytest.raises(ValidationFailed) as raised:
        # 000.00.19.G12 is level 2 like its parent 000.00.18.G12: not deeper.
        organisation_create(actor=platform_admin, code="000.00.19.G12", name="Chi cục", kind="other", parent=department)
    assert "must extend" in raised.value.details["code"][0]
    with pytest.raises(ValidationFailed):
        # Deeper, but under another level-2 body.
        organisation_create(actor=platform_admin, code="000.01.19.G12", name="Chi cục", kind="other", parent=department)
    counts.assert_unchanged()
    child = organisation_create(
        actor=platform_admin, code="000.01.18.G12", name="Chi cục", kind="other", parent=department
    )
    assert child.depth == 3


def test_unknown_or_inactive_parent_is_refused(platform_admin, counts):
    ghost = Organisation(code="000.00.00.T77", name="Ma", kind="other")  # never saved
    counts.start()
    with pytest.raises(ValidationFailed) as raised:
        organisation_create(actor=platform_admin, code="000.00.01.T77", name="Con", kind="other", parent=ghost)
    assert "parent" in raised.value.details
    counts.assert_unchanged()


def test_only_one_government(government, counts):
    counts.start()
    with pytest.raises(ValidationFailed) as raised:
        organisation_create(actor=SYSTEM_ACTOR, name="Chính phủ thứ hai", kind=Organisation.Kind.GOVERNMENT)
    assert "kind" in raised.value.details
    counts.assert_unchanged()


def test_create_needs_permission(government, ministry, ministry_admin, citizen, counts):
    counts.start()
    with pytest.raises(NotAuthenticated):
        organisation_create(actor=None, code="000.00.00.G15", name="Bộ Tư pháp", kind="ministry", parent=government)
    with pytest.raises(PermissionDenied):
        organisation_create(actor=citizen, code="000.00.00.G15", name="Bộ Tư pháp", kind="ministry", parent=government)
    with pytest.raises(PermissionDenied):
        # An agency administrator of the ministry cannot add a body beside it.
        organisation_create(
            actor=ministry_admin, code="000.00.00.G15", name="Bộ Tư pháp", kind="ministry", parent=government
        )
    counts.assert_unchanged()
    # ...but may add one under it.
    created = organisation_create(
        actor=ministry_admin, code="000.00.30.G12", name="Cục mới", kind="central_department", parent=ministry
    )
    assert created.parent == ministry


# --- organisation_update -----------------------------------------------------------------------------


def test_update_changes_fields_and_search_key_with_an_audit_event(platform_admin, ministry):
    updated = organisation_update(
        actor=platform_admin, organisation=ministry, data={"name": "Bộ Tài chính (mới)", "phone": "024 2220 2828"}
    )
    updated.refresh_from_db()
    assert updated.name == "Bộ Tài chính (mới)" and updated.phone == "024 2220 2828"
    assert "bo tai chinh (moi)" in updated.search_key
    event = AuditEvent.objects.order_by("-sequence").first()
    assert event.action == "agencies.organisation_update"
    assert event.before["name"] == "Bộ Tài chính" and event.after["name"] == "Bộ Tài chính (mới)"


def test_update_without_change_writes_no_event(platform_admin, ministry, counts):
    counts.start()
    organisation_update(actor=platform_admin, organisation=ministry, data={"name": "Bộ Tài chính"})
    counts.assert_unchanged()


def test_update_refuses_unknown_fields_and_bad_values(platform_admin, ministry, department, counts):
    counts.start()
    with pytest.raises(ValidationFailed) as raised:
        organisation_update(actor=platform_admin, organisation=ministry, data={"path": "/"})
    assert "path" in raised.value.details
    with pytest.raises(ValidationFailed) as raised:
        organisation_update(actor=platform_admin, organisation=ministry, data={"code": "000.00.05.G12"})
    # The department 000.00.18.G12 would no longer extend the ministry's code.
    assert "no longer extend" in raised.value.details["code"][0]
    with pytest.raises(ValidationFailed) as raised:
        organisation_update(actor=platform_admin, organisation=department, data={"code": "000.00.00.G12"})
    assert "already has the code" in raised.value.details["code"][0]
    counts.assert_unchanged()
    ministry.refresh_from_db()
    assert ministry.code == "000.00.00.G12"


def test_moving_an_organisation_moves_its_whole_subtree(platform_admin, government, ministry, department, province):
    grandchild = organisation_create(
        actor=platform_admin, code="000.01.18.G12", name="Chi cục Thuế", kind="other", parent=department
    )
    # Put the ministry under the province for the test's sake (another family, so the codes allow it).
    organisation_update(actor=platform_admin, organisation=ministry, data={"parent": province})
    for item in (ministry, department, grandchild):
        item.refresh_from_db()
    assert ministry.parent == province
    assert ministry.path == f"/{government.pk}/{province.pk}/" and ministry.depth == 2
    assert department.path == f"/{government.pk}/{province.pk}/{ministry.pk}/" and department.depth == 3
    assert grandchild.path == f"{department.path}{department.pk}/" and grandchild.depth == 4
    event = AuditEvent.objects.order_by("-sequence").first()
    assert event.before["parent_id"] == str(government.pk) and event.after["parent_id"] == str(province.pk)

    # And back to the top level: paths shrink again.
    organisation_update(actor=platform_admin, organisation=ministry, data={"parent": None})
    department.refresh_from_db()
    assert department.path == f"/{ministry.pk}/" and department.depth == 1


def test_a_move_that_would_make_a_cycle_is_refused(platform_admin, ministry, department, counts):
    paths = {o.pk: (o.path, o.parent_id) for o in Organisation.objects.all()}
    counts.start()
    for new_parent in (department, ministry):
        with pytest.raises(ValidationFailed) as raised:
            organisation_update(actor=platform_admin, organisation=ministry, data={"parent": new_parent})
        assert "parent" in raised.value.details
    counts.assert_unchanged()
    assert {o.pk: (o.path, o.parent_id) for o in Organisation.objects.all()} == paths


def test_agency_admin_may_change_own_organisation_but_not_move_it_elsewhere(
    ministry, ministry_admin, province, department, counts
):
    organisation_update(actor=ministry_admin, organisation=department, data={"phone": "024 3959 5959"})
    counts.start()
    with pytest.raises(PermissionDenied):
        organisation_update(actor=ministry_admin, organisation=province, data={"phone": "1"})
    with pytest.raises(PermissionDenied):
        organisation_update(actor=ministry_admin, organisation=department, data={"parent": province})
    counts.assert_unchanged()


# --- organisation_deactivate ---------------------------------------------------------------------------


def test_deactivate_refuses_while_children_or_positions_are_active(platform_admin, ministry, department, counts):
    counts.start()
    with pytest.raises(Conflict) as raised:
        organisation_deactivate(actor=platform_admin, organisation=ministry)
    assert raised.value.code == "has_active_children"
    assert raised.value.details == {"children": ["Cục Thuế"]}
    position = position_assign(
        actor=platform_admin,
        user=OfficialFactory(),
        organisation=department,
        role=Role.SPECIALIST,
        valid_from=dt.date(2024, 1, 1),
    )
    counts.start()
    with pytest.raises(Conflict) as raised:
        organisation_deactivate(actor=platform_admin, organisation=department)
    assert raised.value.code == "has_active_positions"
    counts.assert_unchanged()

    position_end(actor=platform_admin, position=position, on=dt.date(2024, 12, 31))
    organisation_deactivate(actor=platform_admin, organisation=department)
    department.refresh_from_db()
    assert not department.is_active
    assert AuditEvent.objects.order_by("-sequence").first().action == "agencies.organisation_deactivate"
    with pytest.raises(InvalidState):
        organisation_deactivate(actor=platform_admin, organisation=department)
    # With its only child closed, the ministry may close too.
    organisation_deactivate(actor=platform_admin, organisation=ministry)


# --- units ------------------------------------------------------------------------------------------


def test_unit_create_and_update(platform_admin, ministry):
    office = unit_create(actor=platform_admin, organisation=ministry, code="VP", name="Văn phòng Bộ", abbreviation="VP")
    desk = unit_create(actor=platform_admin, organisation=ministry, code="VP-TH", name="Phòng Tổng hợp", parent=office)
    assert desk.parent == office
    assert AuditEvent.objects.filter(action="agencies.unit_create").count() == 2
    unit_update(actor=platform_admin, unit=desk, data={"name": "Phòng Tổng hợp - Thư ký"})
    desk.refresh_from_db()
    assert desk.name == "Phòng Tổng hợp - Thư ký"
    assert AuditEvent.objects.order_by("-sequence").first().action == "agencies.unit_update"


def test_unit_rules(platform_admin, ministry, province, counts):
    office = unit_create(actor=platform_admin, organisation=ministry, code="VP", name="Văn phòng Bộ")
    desk = unit_create(actor=platform_admin, organisation=ministry, code="TH", name="Phòng Tổng hợp", parent=office)
    province_office = unit_create(actor=platform_admin, organisation=province, code="VP", name="Văn phòng UBND")
    counts.start()
    with pytest.raises(ValidationFailed) as raised:
        unit_create(actor=platform_admin, organisation=ministry, code="VP", name="Văn phòng khác")
    assert "code" in raised.value.details
    with pytest.raises(ValidationFailed) as raised:
        unit_create(actor=platform_admin, organisation=ministry, code="X", name="X", parent=province_office)
    assert "parent" in raised.value.details
    with pytest.raises(ValidationFailed) as raised:
        unit_create(actor=platform_admin, organisation=ministry, code="", name="")
    assert {"code", "name"} <= set(raised.value.details)
    with pytest.raises(ValidationFailed) as raised:
        unit_update(actor=platform_admin, unit=office, data={"parent": desk})  # a loop
    assert "parent" in raised.value.details
    counts.assert_unchanged()


def test_agency_admin_may_add_units_to_own_organisation_only(ministry, department, ministry_admin, province, counts):
    unit_create(actor=ministry_admin, organisation=department, code="P1", name="Phòng 1")
    counts.start()
    with pytest.raises(PermissionDenied):
        unit_create(actor=ministry_admin, organisation=province, code="P1", name="Phòng 1")
    counts.assert_unchanged()


# --- positions ----------------------------------------------------------------------------------------


def test_position_assign_and_end(platform_admin, ministry):
    unit = unit_create(actor=platform_admin, organisation=ministry, code="VP", name="Văn phòng Bộ")
    official = OfficialFactory()
    position = position_assign(
        actor=platform_admin,
        user=official,
        organisation=ministry,
        unit=unit,
        role=Role.DOCUMENT_CLERK,
        title="Văn thư",
        valid_from=dt.date(2025, 7, 1),
    )
    assert position.valid_until is None
    assert AuditEvent.objects.order_by("-sequence").first().action == "agencies.position_assign"
    ended = position_end(actor=platform_admin, position=position, on=dt.date(2025, 12, 31))
    assert ended.valid_until == dt.date(2025, 12, 31)
    event = AuditEvent.objects.order_by("-sequence").first()
    assert event.action == "agencies.position_end"
    assert event.before["valid_until"] is None and event.after["valid_until"] == "2025-12-31"
    with pytest.raises(InvalidState):
        position_end(actor=platform_admin, position=ended, on=dt.date(2026, 1, 5))


def test_position_assign_validation(platform_admin, ministry, province, counts):
    province_unit = unit_create(actor=platform_admin, organisation=province, code="VP", name="Văn phòng UBND")
    existing = position_assign(
        actor=platform_admin,
        user=OfficialFactory(),
        organisation=ministry,
        role=Role.SPECIALIST,
        valid_from=dt.date(2025, 1, 1),
    )
    base = {"organisation": ministry, "role": Role.SPECIALIST, "valid_from": dt.date(2025, 1, 1)}
    cases = [
        ({"user": UserFactory()}, "user"),  # a citizen
        ({"user": OfficialFactory(is_active=False)}, "user"),
        ({"user": OfficialFactory(), "valid_until": dt.date(2024, 12, 31)}, "valid_until"),
        ({"user": OfficialFactory(), "unit": province_unit}, "unit"),
        ({"user": OfficialFactory(), "role": "emperor"}, "role"),
    ]
    counts.start()
    for values, field in cases:
        with pytest.raises(ValidationFailed) as raised:
            position_assign(actor=platform_admin, **{**base, **values})
        assert field in raised.value.details
    with pytest.raises(Conflict):
        position_assign(actor=platform_admin, **{**base, "user": existing.user, "valid_from": dt.date(2025, 6, 1)})
    with pytest.raises(ValidationFailed) as raised:
        position_end(actor=platform_admin, position=existing, on=dt.date(2024, 1, 1))
    assert "on" in raised.value.details
    counts.assert_unchanged()


def test_agency_admin_cannot_grant_platform_wide_roles(ministry, ministry_admin, counts):
    official = OfficialFactory()
    counts.start()
    for role in (Role.PLATFORM_ADMIN, Role.AUDITOR):
        with pytest.raises(PermissionDenied):
            position_assign(
                actor=ministry_admin, user=official, organisation=ministry, role=role, valid_from=dt.date(2025, 1, 1)
            )
    counts.assert_unchanged()
    position = position_assign(
        actor=ministry_admin,
        user=official,
        organisation=ministry,
        role=Role.ONE_STOP_CLERK,
        valid_from=dt.date(2025, 1, 1),
    )
    assert Position.objects.filter(pk=position.pk).exists()


def test_unrelated_official_cannot_manage_positions(ministry, unrelated_official, counts):
    counts.start()
    with pytest.raises(PermissionDenied):
        position_assign(
            actor=unrelated_official,
            user=OfficialFactory(),
            organisation=ministry,
            role=Role.SPECIALIST,
            valid_from=dt.date(2025, 1, 1),
        )
    counts.assert_unchanged()


def test_unit_with_active_positions_cannot_be_closed(platform_admin, ministry, counts):
    unit = unit_create(actor=platform_admin, organisation=ministry, code="VP", name="Văn phòng Bộ")
    position_assign(
        actor=platform_admin,
        user=OfficialFactory(),
        organisation=ministry,
        unit=unit,
        role=Role.SPECIALIST,
        valid_from=dt.date(2025, 1, 1),
    )
    counts.start()
    with pytest.raises(ValidationFailed) as raised:
        unit_update(actor=platform_admin, unit=unit, data={"is_active": False})
    assert "is_active" in raised.value.details
    counts.assert_unchanged()
    assert Unit.objects.get(pk=unit.pk).is_active


def test_system_actor_is_named_system_in_the_audit_trail(government):
    event = AuditEvent.objects.get(object_id=str(government.pk))
    assert event.actor_id is None and event.actor_label == "system"
