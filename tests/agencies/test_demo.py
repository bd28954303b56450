import json

import pytest
from vietnam_provinces import Province, ProvinceCode, Ward

from motcua.agencies.models import Organisation, Unit
from motcua.agencies.rules import SYSTEM_ACTOR
from motcua.agencies.services import (
    DEMO_AGENCIES_PATH,
    PROVINCE_ORGANISATION_CODES,
    agencies_load_demo,
    provinces_import_all,
)
from motcua.core.audit import audit_chain_verify
from motcua.core.exceptions import PermissionDenied
from motcua.core.models import AuditEvent

pytestmark = pytest.mark.django_db

REAL_CODES = {
    "000.00.00.G22": ("Văn phòng Chính phủ", "VPCP"),
    "000.00.00.G12": ("Bộ Tài chính", "BTC"),
    "000.00.00.G15": ("Bộ Tư pháp", "BTP"),
    "000.00.00.G16": ("Bộ Văn hóa, Thể thao và Du lịch", "BVHTTDL"),
    "000.00.00.G17": ("Bộ Xây dựng", "BXD"),
    "000.00.00.G10": ("Bộ Nông nghiệp và Môi trường", "BNNMT"),
    "000.00.18.G12": ("Cục Thuế", "CT"),
    "000.00.00.H29": ("Ủy ban nhân dân Thành phố Hồ Chí Minh", "UBND"),
    "000.00.00.H49": ("Ủy ban nhân dân tỉnh Quảng Ninh", "UBND"),
    "000.00.00.H41": ("Ủy ban nhân dân tỉnh Nghệ An", "UBND"),
    "000.00.00.H14": ("Ủy ban nhân dân tỉnh Cao Bằng", "UBND"),
}


def test_demo_loads_once_and_again_without_changes():
    first = agencies_load_demo()
    events = AuditEvent.objects.count()
    counts = (Organisation.objects.count(), Unit.objects.count())
    second = agencies_load_demo()
    assert first.created == counts[0] and first.units_created == counts[1]
    assert (second.created, second.updated, second.unchanged) == (0, 0, counts[0])
    assert (Organisation.objects.count(), Unit.objects.count()) == counts
    assert AuditEvent.objects.count() == events
    assert audit_chain_verify().intact


def test_demo_has_the_real_codes_and_the_hierarchy():
    agencies_load_demo()
    government = Organisation.objects.get(kind=Organisation.Kind.GOVERNMENT)
    assert government.code is None
    for code, (name, abbreviation) in REAL_CODES.items():
        organisation = Organisation.objects.get(code=code)
        assert (organisation.name, organisation.abbreviation) == (name, abbreviation)
    assert Organisation.objects.get(code="000.00.18.G12").parent.code == "000.00.00.G12"
    for code in ("000.00.00.G22", "000.00.00.G12", "000.00.00.H49"):
        assert Organisation.objects.get(code=code).parent == government
    assert Unit.objects.get(organisation__code="000.00.00.G22", abbreviation="TTĐT")
    assert Unit.objects.filter(organisation__code="000.00.00.G22", name__startswith="Cục Kiểm soát thủ tục").exists()
    for ministry in Organisation.objects.filter(kind=Organisation.Kind.MINISTRY):
        assert ministry.children.filter(kind=Organisation.Kind.CENTRAL_DEPARTMENT).exists()


@pytest.mark.parametrize("province_number", [4, 22, 40, 79])  # the demo provinces
def test_demo_provinces_follow_the_national_list(province_number):
    agencies_load_demo()
    committee = Organisation.objects.get(code=PROVINCE_ORGANISATION_CODES[province_number])
    province = Province.from_code(ProvinceCode(province_number))
    assert committee.administrative_unit_code == f"{province_number:02d}"
    assert province.name in committee.name
    children = committee.children.all()
    assert children.filter(kind=Organisation.Kind.PROVINCIAL_DEPARTMENT).count() >= 2
    assert children.filter(kind=Organisation.Kind.SERVICE_CENTRE).count() == 1
    communes = children.filter(kind=Organisation.Kind.COMMUNE)
    assert communes.count() >= 3
    wards = {f"{ward.code.value:05d}": " ".join(ward.name.split()) for ward in Ward.iter_by_province(province.code)}
    for commune in communes:
        # A real commune or ward of this province, named as in the national list.
        assert commune.administrative_unit_code in wards
        assert commune.name.lower().endswith(wards[commune.administrative_unit_code].lower())


def test_demo_file_says_which_codes_are_illustrative():
    content = json.loads(DEMO_AGENCIES_PATH.read_text(encoding="utf-8"))
    assert "ILLUSTRATIVE" in content["note"]


def test_provinces_import_creates_only_provinces_with_known_codes(platform_admin):
    report = provinces_import_all(actor=platform_admin)
    assert report.created == len(PROVINCE_ORGANISATION_CODES) == 5
    assert len(report.skipped) == 29 and "Thành phố Hà Nội" in report.skipped
    provinces = Organisation.objects.filter(kind=Organisation.Kind.PROVINCE)
    assert set(provinces.values_list("code", flat=True)) == set(PROVINCE_ORGANISATION_CODES.values())
    assert provinces.get(code="000.00.00.H29").name == "Ủy ban nhân dân Thành phố Hồ Chí Minh"
    again = provinces_import_all(actor=platform_admin)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)


def test_provinces_import_with_inferred_codes_creates_all_34(platform_admin):
    report = provinces_import_all(actor=platform_admin, include_inferred=True)
    assert report.created == 34 and report.skipped == []
    provinces = Organisation.objects.filter(kind=Organisation.Kind.PROVINCE)
    assert provinces.values("code").distinct().count() == 34
    assert provinces.get(code="000.00.00.H24").name == "Ủy ban nhân dân Thành phố Hà Nội"
    assert provinces.get(code="000.00.00.H56").name == "Ủy ban nhân dân tỉnh Thanh Hóa"


def test_provinces_import_keeps_the_demo_tree_and_needs_permission(citizen):
    agencies_load_demo()
    with pytest.raises(PermissionDenied):
        provinces_import_all(actor=citizen)
    report = provinces_import_all(actor=SYSTEM_ACTOR)
    assert (report.unchanged, report.created) == (4, 1)  # the demo has four of the five confirmed
    assert Organisation.objects.get(code="000.00.00.H49").parent.kind == Organisation.Kind.GOVERNMENT
