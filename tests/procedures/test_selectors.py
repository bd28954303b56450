import pytest

from motcua.agencies.models import Organisation
from motcua.core.exceptions import NotFound
from motcua.procedures import selectors

pytestmark = pytest.mark.django_db


def _codes(procedures):
    return [procedure.code for procedure in procedures]


@pytest.mark.parametrize("query", ["dang ky khai sinh", "Đăng ký khai sinh", "ĐĂNG KÝ KHAI SINH", "khai sinh"])
def test_search_with_or_without_diacritics(demo_catalogue, query):
    assert _codes(selectors.procedure_search(query=query))[0] == "1.001193"
    assert "1.000894" not in _codes(selectors.procedure_search(query=query))  # marriage does not match


def test_search_by_code_and_field_name_best_match_first(demo_catalogue):
    assert _codes(selectors.procedure_search(query="1.001193")) == ["1.001193"]
    civil_status = _codes(selectors.procedure_search(query="ho tich"))
    assert {"1.001193", "1.000894", "1.000656", "2.000635"} <= set(civil_status)
    # The words as a phrase rank before the same words scattered, whatever the alphabetical order says.
    ranked = [(p.code, p.relevance) for p in selectors.procedure_search(query="dang ky doanh nghiep")]
    assert ranked == [("2.002023", 2), ("2.001610", 0)]
    # A name starting with the words ranks above all, then the exact code.
    first = selectors.procedure_search(query="dang ky ket hon")[0]
    assert (first.code, first.relevance) == ("1.000894", 3)
    assert selectors.procedure_search(query="1.000894")[0].relevance == 4
    assert selectors.procedure_search(query="khong co thu tuc nay").count() == 0


def test_filters_by_agency_field_online_level_and_level(demo_catalogue):
    commune = _codes(selectors.procedure_search(organisation_code="000.00.31.H49"))
    assert set(commune) == {"1.001193", "1.000656"}
    # A province covers its departments and communes; a receiving place counts too.
    province = set(_codes(selectors.procedure_search(organisation_code="000.00.00.H49")))
    assert {"1.001193", "2.000488", "2.002023", "1.002809", "1.012766"} <= province
    assert "1.009972" not in province  # Hồ Chí Minh City's
    centre = set(_codes(selectors.procedure_search(organisation_code="000.00.20.H49")))
    assert "2.000488" in centre and "1.001193" not in centre
    assert set(_codes(selectors.procedure_search(field_code="ho-tich"))) == {
        "1.001193",
        "1.000894",
        "1.000656",
        "2.000635",
    }
    assert all(p.online_level == "partial" for p in selectors.procedure_search(online_level="partial"))
    ministry = set(_codes(selectors.procedure_search(level="ministry")))
    assert ministry == {"1.002051", "1.009962", "1.004623"}
    assert selectors.procedure_search(organisation_code="000.00.00.Z99").count() == 0
    both = _codes(selectors.procedure_search(query="dang ky", field_code="ho-tich", level="commune"))
    assert set(both) == {"1.001193", "1.000894", "1.000656"}


def test_fields_for_filters(demo_catalogue):
    fields = {field["code"]: field for field in selectors.field_list()}
    assert fields["ho-tich"] == {"code": "ho-tich", "name": "Hộ tịch", "procedure_count": 4}


def test_receivable_at_a_service_centre_covers_its_province(demo_catalogue):
    centre = Organisation.objects.get(code="000.00.20.H49")
    receivable = set(_codes(selectors.procedures_receivable_at(organisation=centre)))
    # Deterritorialised: every procedure implemented by an organisation of Quảng Ninh, commune ones included.
    assert {"1.001193", "1.000894", "2.000488", "2.002023", "1.002809", "1.001776", "1.012766"} <= receivable
    assert not receivable & {"1.009972", "2.001610", "1.002051"}
    commune = Organisation.objects.get(code="000.00.32.H49")
    assert _codes(selectors.procedures_receivable_at(organisation=commune)) == ["1.000894"]


def test_get_and_versions(demo_catalogue):
    assert selectors.procedure_get(code="1.001193").name == "Đăng ký khai sinh"
    with pytest.raises(NotFound):
        selectors.procedure_get(code="0.000000")
    with pytest.raises(NotFound):
        selectors.procedure_version_get(procedure_code="1.001193", number=2)
    version = selectors.procedure_version_get(procedure_code="1.001193")
    assert version.number == 1 and selectors.procedure_content(version).code == "1.001193"
