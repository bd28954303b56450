"""Procedure versions for dossier tests, built directly from a ``ProcedureContent`` (the procedures app's
publishing service is not needed to test dossiers), and officials placed in real demo organisations."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from motcua.agencies.models import Organisation, Role, Unit
from motcua.procedures.content import ProcedureContent
from motcua.procedures.models import Procedure, ProcedureVersion
from tests.factories import OfficialFactory, PositionFactory

# Quảng Ninh, from agencies' demo directory (real province code H49; level-2 codes illustrative).
QN_PROVINCE = "000.00.00.H49"
QN_JUSTICE = "000.00.01.H49"  # Sở Tư pháp tỉnh Quảng Ninh
QN_CONSTRUCTION = "000.00.02.H49"  # Sở Xây dựng tỉnh Quảng Ninh
QN_CENTRE = "000.00.20.H49"  # Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh
QN_HA_LONG = "000.00.31.H49"  # Ủy ban nhân dân phường Hạ Long
NA_CENTRE = "000.00.20.H41"  # Trung tâm Phục vụ hành chính công tỉnh Nghệ An
NA_JUSTICE = "000.00.01.H41"

# Monday 2 March 2026, 09:00 in Hà Nội time: a week with no public holiday.
LOCAL = dt.timezone(dt.timedelta(hours=7))
MONDAY = dt.datetime(2026, 3, 2, 9, 0, tzinfo=LOCAL)


def at(day: int, hour: int = 9, minute: int = 0, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=LOCAL)


def judicial_record_content(**overrides: Any) -> dict[str, Any]:
    """Cấp Phiếu lý lịch tư pháp (judicial record certificate), Sở Tư pháp, 10 working days."""
    content: dict[str, Any] = {
        "code": "1.001193",
        "name": "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
        "field": {"code": "LLTP", "name": "Lý lịch tư pháp"},
        "level": "province",
        "online_level": "full",
        "implementing_organisation_code": QN_JUSTICE,
        "receiving_organisation_codes": [QN_CENTRE],
        "legal_bases": ["Luật Lý lịch tư pháp 2009"],
        "applicant_kinds": ["citizen"],
        "processing_hours": 80,
        "result_kind": "both",
        "result_name": "Phiếu lý lịch tư pháp",
        "result_template": "Phiếu lý lịch tư pháp số {{ number }} cấp cho {{ full_name }}",
        "components": [
            {"code": "to_khai", "name": "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp", "originals": 1},
            {"code": "cccd", "name": "Bản chụp Căn cước công dân", "copies": 1, "reusable": True},
            {"code": "uy_quyen", "name": "Văn bản ủy quyền", "originals": 1, "required": False},
        ],
        "fees": [{"code": "LLTP", "name": "Phí cấp Phiếu lý lịch tư pháp", "kind": "fee", "amount": 200000}],
        "form_fields": [
            {"name": "full_name", "label": "Họ và tên", "type": "text", "required": True, "max_length": 100},
            {"name": "personal_id", "label": "Số định danh cá nhân", "type": "personal_id", "required": True},
            {
                "name": "purpose",
                "label": "Mục đích",
                "type": "select",
                "required": True,
                "choices": [{"code": "work", "name": "Xin việc"}, {"code": "study", "name": "Du học"}],
            },
            {"name": "email", "label": "Thư điện tử", "type": "email"},
            {"name": "married", "label": "Đã kết hôn", "type": "checkbox"},
            {
                "name": "spouse_name",
                "label": "Họ tên vợ/chồng",
                "type": "text",
                "required": True,
                "show_if": {"field": "married", "equals": "yes"},
            },
            {"name": "postcode", "label": "Mã bưu chính", "type": "text", "pattern": r"\d{6}"},
        ],
        "workflow": [
            {"code": "tiep_nhan", "name": "Tiếp nhận hồ sơ", "role": "one_stop_clerk", "allotted_hours": 4},
            {"code": "tham_dinh", "name": "Thẩm định hồ sơ", "role": "specialist", "allotted_hours": 60},
            {"code": "kiem_tra", "name": "Trưởng phòng kiểm tra", "role": "unit_head", "allotted_hours": 8},
            {"code": "phe_duyet", "name": "Lãnh đạo Sở phê duyệt", "role": "agency_leader", "allotted_hours": 8},
        ],
    }
    content.update(overrides)
    return ProcedureContent.model_validate(content).model_dump(mode="json")


def version_create(content: dict[str, Any] | None = None, *, number: int = 1) -> ProcedureVersion:
    content = content or judicial_record_content()
    procedure, _created = Procedure.objects.get_or_create(
        code=content["code"],
        defaults={"name": content["name"], "level": content["level"], "online_level": content["online_level"]},
    )
    version = ProcedureVersion.objects.create(
        procedure=procedure,
        number=number,
        content=content,
        published_at=dt.datetime(2025, 7, 1, tzinfo=dt.UTC),
    )
    if procedure.current_version_id is None or procedure.current_version.number < number:
        procedure.current_version = version
        procedure.save(update_fields=["current_version"])
    return version


def official_in(code: str, role: str, *, unit_code: str = "", title: str = "", **user_fields: Any):
    organisation = Organisation.objects.get(code=code)
    unit = Unit.objects.get(organisation=organisation, code=unit_code) if unit_code else None
    user = OfficialFactory(**user_fields)
    PositionFactory(user=user, organisation=organisation, unit=unit, role=role, title=title)
    return user


def valid_form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "full_name": "Nguyễn Thị Hoa",
        "personal_id": "022190000123",
        "purpose": "work",
        "email": "hoa@example.vn",
        "married": False,
    }
    data.update(overrides)
    return data


# Smallest valid files of each kind.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489") + b"\x00" * 32
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32


def pdf(name: str = "to-khai.pdf", content: bytes = PDF_BYTES) -> tuple[io.BytesIO, str, int]:
    return io.BytesIO(content), name, len(content)


ROLES = Role
