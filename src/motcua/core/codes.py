"""Official identifiers: their formats and validators.

- Organisation electronic code (mã định danh điện tử), QCVN 102:2016/BTTTT and Decision 20/2020/QĐ-TTg:
  ``V1V2V3.Z1Z2.Y1Y2.X1X2X3``; X is the level-1 code (G.. central bodies, H.. provinces), Y level 2,
  Z level 3, V level 4; zeros mean "no such level". Example: 000.00.00.G22 (Government Office),
  000.00.18.G12 (a level-2 body of the Ministry of Finance).
- Personal identification number (số định danh cá nhân, Decree 137/2015, Circular 59/2021/TT-BCA): 12
  digits; 3-digit code of the province of birth registration, 1 digit century+sex, 2 digits of the birth
  year, 6 random digits.
- Enterprise / tax code (mã số doanh nghiệp, mã số thuế): 10 digits with a check digit, or 13 digits
  (10 + 3-digit branch suffix, written ``0100109106-001``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ORGANISATION_CODE_PATTERN = re.compile(
    r"^(?P<v>[0-9A-Z]{3})\.(?P<z>[0-9A-Z]{2})\.(?P<y>[0-9A-Z]{2})\.(?P<x>[A-Z][0-9A-Z]{2})$"
)


@dataclass(frozen=True)
class OrganisationCode:
    level4: str
    level3: str
    level2: str
    level1: str

    @property
    def level(self) -> int:
        if self.level4 != "000":
            return 4
        if self.level3 != "00":
            return 3
        if self.level2 != "00":
            return 2
        return 1

    def is_ancestor_of(self, other: OrganisationCode) -> bool:
        """True if ``other`` is deeper in the same level-1 family and extends this code's levels."""
        if self.level1 != other.level1 or other.level <= self.level:
            return False
        mine = [self.level2, self.level3, self.level4][: self.level - 1]
        theirs = [other.level2, other.level3, other.level4][: self.level - 1]
        return mine == theirs

    def __str__(self) -> str:
        return f"{self.level4}.{self.level3}.{self.level2}.{self.level1}"


def organisation_code_parse(value: str) -> OrganisationCode:
    match = ORGANISATION_CODE_PATTERN.match(value or "")
    if not match:
        raise ValidationError(
            _("“%(value)s” is not an organisation code of the form 000.00.00.G22 (QCVN 102)."),
            code="invalid_organisation_code",
            params={"value": value},
        )
    code = OrganisationCode(match["v"], match["z"], match["y"], match["x"])
    # Levels fill from the top: a level-3 part without a level-2 part is not a real code.
    if (code.level3 != "00" and code.level2 == "00") or (code.level4 != "000" and code.level3 == "00"):
        raise ValidationError(
            _("“%(value)s” skips a level: lower levels need the levels above them."),
            code="invalid_organisation_code",
            params={"value": value},
        )
    return code


def validate_organisation_code(value: str) -> None:
    organisation_code_parse(value)


# Province codes used in personal identification numbers (Circular 59/2021/TT-BCA, the 63 provinces
# before the 2025 merger; numbers already issued keep them).
BIRTH_PROVINCE_CODES = frozenset(
    [
        "001",
        "002",
        "004",
        "006",
        "008",
        "010",
        "011",
        "012",
        "014",
        "015",
        "017",
        "019",
        "020",
        "022",
        "024",
        "025",
        "026",
        "027",
        "030",
        "031",
        "033",
        "034",
        "035",
        "036",
        "037",
        "038",
        "040",
        "042",
        "044",
        "045",
        "046",
        "048",
        "049",
        "051",
        "052",
        "054",
        "056",
        "058",
        "060",
        "062",
        "064",
        "066",
        "067",
        "068",
        "070",
        "072",
        "074",
        "075",
        "077",
        "079",
        "080",
        "082",
        "083",
        "084",
        "086",
        "087",
        "089",
        "091",
        "092",
        "093",
        "094",
        "095",
        "096",
    ]
)
_CENTURY_BY_DIGIT = {0: 1900, 1: 1900, 2: 2000, 3: 2000, 4: 2100, 5: 2100, 6: 2200, 7: 2200, 8: 2300, 9: 2300}


def validate_personal_id(value: str, *, today: dt.date | None = None) -> None:
    if not re.fullmatch(r"\d{12}", value or ""):
        raise ValidationError(_("A personal identification number has exactly 12 digits."), code="invalid_personal_id")
    if value[:3] not in BIRTH_PROVINCE_CODES:
        raise ValidationError(
            _("The first three digits of a personal identification number must be a province code."),
            code="invalid_personal_id",
        )
    birth_year = _CENTURY_BY_DIGIT[int(value[3])] + int(value[4:6])
    if birth_year > (today or dt.date.today()).year:
        raise ValidationError(
            _("The birth year in this personal identification number is in the future."),
            code="invalid_personal_id",
        )


_TAX_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def tax_code_check_digit(first_nine: str) -> int | None:
    remainder = sum(int(d) * w for d, w in zip(first_nine, _TAX_WEIGHTS, strict=True)) % 11
    check = 10 - remainder
    return check if check < 10 else (0 if remainder == 10 else None)


def normalise_tax_code(value: str) -> str:
    value = (value or "").strip().replace(" ", "")
    if re.fullmatch(r"\d{13}", value):
        value = f"{value[:10]}-{value[10:]}"
    return value


def validate_tax_code(value: str) -> None:
    value = normalise_tax_code(value)
    if not re.fullmatch(r"\d{10}(-\d{3})?", value):
        raise ValidationError(
            _("A tax or enterprise code has 10 digits, or 13 digits for a branch (0100109106-001)."),
            code="invalid_tax_code",
        )
    if tax_code_check_digit(value[:9]) != int(value[9]):
        raise ValidationError(_("This tax or enterprise code has a wrong check digit."), code="invalid_tax_code")
