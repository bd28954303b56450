import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from motcua.core.codes import (
    normalise_tax_code,
    organisation_code_parse,
    validate_organisation_code,
    validate_personal_id,
    validate_tax_code,
)


@pytest.mark.parametrize(
    ("code", "level"),
    [("000.00.00.G22", 1), ("000.00.18.G12", 2), ("000.01.18.G12", 3), ("001.01.18.G12", 4), ("000.00.00.H49", 1)],
)
def test_valid_organisation_codes(code, level):
    assert organisation_code_parse(code).level == level


@pytest.mark.parametrize(
    "code",
    [
        "",
        "000.00.00.g22",
        "00.00.00.G22",
        "000.00.00.G2",
        "000-00-00-G22",
        "000.01.00.G12",
        "001.00.18.G12",
        "000.00.00.122",
    ],
)
def test_invalid_organisation_codes(code):
    with pytest.raises(ValidationError):
        validate_organisation_code(code)


def test_ancestry_of_codes():
    ministry = organisation_code_parse("000.00.00.G12")
    department = organisation_code_parse("000.00.18.G12")
    branch = organisation_code_parse("000.05.18.G12")
    other = organisation_code_parse("000.05.19.G12")
    assert ministry.is_ancestor_of(department) and department.is_ancestor_of(branch)
    assert not department.is_ancestor_of(other) and not branch.is_ancestor_of(department)
    assert not ministry.is_ancestor_of(organisation_code_parse("000.00.18.H49"))


def test_valid_personal_id():
    validate_personal_id("001090123456")  # Hà Nội, male, 1990
    validate_personal_id("079303000001")  # Hồ Chí Minh City, female, 2003


@pytest.mark.parametrize(
    "value",
    ["00109012345", "0010901234567", "00109012345A", "003090123456", "999090123456"],
)
def test_invalid_personal_ids(value):
    with pytest.raises(ValidationError):
        validate_personal_id(value)


def test_personal_id_with_future_birth_year_is_refused():
    with pytest.raises(ValidationError):
        validate_personal_id("001299000001", today=dt.date(2026, 11, 23))  # male born 2099


def test_tax_codes():
    validate_tax_code("0100109106")  # Viettel
    validate_tax_code("0100109106-001")
    validate_tax_code("0100109106001")
    assert normalise_tax_code("0100109106001") == "0100109106-001"
    for wrong in ["0100109107", "010010910", "01001091060", "abc"]:
        with pytest.raises(ValidationError):
            validate_tax_code(wrong)
