"""How dates, amounts and counts are written on the forms.

Times are stored in UTC and shown in Asia/Ho_Chi_Minh (DESIGN rule 7). The place-and-date line follows
Decree 30/2020/NĐ-CP, Appendix I: "Quảng Ninh, ngày 05 tháng 3 năm 2026", a day below 10 and the months
January and February written with a leading zero, other months without.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import Decimal
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def local(moment: dt.datetime) -> dt.datetime:
    """The moment in Vietnam's time zone; a naive datetime is refused rather than guessed."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"aware datetime required, got naive {moment!r}")
    return moment.astimezone(LOCAL_TZ)


def hour_minute_date(moment: dt.datetime) -> str:
    """``08 giờ 30 phút, ngày 23/11/2026`` (the receipt's and the apology's appointment times)."""
    moment = local(moment)
    return f"{moment:%H} giờ {moment:%M} phút, ngày {moment:%d/%m/%Y}"


def numeric_date(day: dt.date) -> str:
    """``23/11/2026``."""
    return f"{day:%d/%m/%Y}"


def local_date(moment: dt.datetime) -> dt.date:
    return local(moment).date()


def short_datetime(moment: dt.datetime | None) -> str:
    """``08:30 23/11/2026`` for table cells; empty when the event has not happened."""
    if moment is None:
        return ""
    moment = local(moment)
    return f"{moment:%H:%M} {moment:%d/%m/%Y}"


def long_date(day: dt.date) -> str:
    """``ngày 05 tháng 3 năm 2026`` (Decree 30/2020: leading zero for days < 10 and for months 1 and 2)."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def place_and_date(place: str, day: dt.date) -> str:
    """``Quảng Ninh, ngày 23 tháng 11 năm 2026``."""
    return f"{place}, {long_date(day)}"


def money(amount: int) -> str:
    """Integer đồng with dots between thousands: ``1.250.000 đồng``."""
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount):,}".replace(",", ".") + " đồng"


def count(number: int) -> str:
    """Small counts as the forms write them: ``01``, ``02``, ``12``."""
    return f"{number:02d}"


def working_days(days: Decimal | float | int) -> str:
    """``5``, ``0,5``, ``1,25`` (Vietnamese decimal comma, no trailing zeros)."""
    text = format(Decimal(str(days)).normalize(), "f")
    return text.replace(".", ",")


def clean(text: str) -> str:
    """NFC text without control characters: what is printed is what a search for it will match."""
    text = unicodedata.normalize("NFC", text)
    return "".join(char if char == "\n" or unicodedata.category(char)[0] != "C" else " " for char in text)
