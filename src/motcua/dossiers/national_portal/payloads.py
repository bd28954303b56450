"""The national portal's dossier records, with its field names, codes and date format.

Field names follow the portal's integration specification as published by the Government Office
(DongBoHoSoMC: synchronise a one-stop dossier; CapNhatTienDoHoSoMC: update its processing progress).
Dates are ``yyyyMMddHHmmss`` in Asia/Ho_Chi_Minh; an answer with ``error_code`` 0 means success.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

PORTAL_TIME_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def portal_datetime(value: dt.datetime | None) -> str:
    """``yyyyMMddHHmmss`` in Vietnam's time; empty when there is no such moment yet."""
    if value is None:
        return ""
    if value.tzinfo is None:
        raise ValueError("portal dates need an aware datetime")
    return value.astimezone(PORTAL_TIME_ZONE).strftime("%Y%m%d%H%M%S")


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class FeeLine(_Record):
    """DanhSachLePhi item."""

    TenPhiLePhi: str
    MaPhiLePhi: str
    HinhThucThu: int = Field(description="1 in cash at the counter, 2 online, 3 bank transfer (portal code list)")
    Gia: int = Field(ge=0, description="amount in đồng")
    LoaiPhiLePhi: int = Field(description="1 fee (phí), 2 charge (lệ phí)")


class SupplementRecord(_Record):
    """DanhSachHoSoBoSung item."""

    HoSoBoSungId: str
    NguoiYeuCauBoSung: str
    NoiDungBoSung: str
    NgayBoSung: str
    NguoiTiepNhanBoSung: str = ""
    ThongTinTiepNhan: str = ""
    NgayTiepNhanBoSung: str = ""
    TrangThaiBoSung: int = Field(description="1 requested, 2 supplied")
    DanhSachGiayToBoSung: list[dict[str, str]] = Field(default_factory=list)
    DanhSachLePhiBoSung: list[FeeLine] = Field(default_factory=list)
    NgayHenTraTruoc: str = ""
    NgayHenTraMoi: str = ""


class ResultDocument(_Record):
    """DanhSachGiayToKetQua item."""

    TenGiayTo: str
    GiayToId: str
    DuongDanTepTinKetQua: str


class SubmittedFile(_Record):
    """TaiLieuNop item."""

    TepDinhKemId: str
    TenTepDinhKem: str
    MaThanhPhanHoSo: str
    DuongDanTaiTepTin: str
    DuocSoHoa: int = 0
    DuocLayTuKhoDMQG: int = 0


class DossierSync(_Record):
    """DongBoHoSoMC: the whole dossier, sent when it is created and whenever its status changes."""

    MaHoSo: str
    MaTTHC: str
    TenTTHC: str
    MaLinhVuc: str
    TenLinhVuc: str
    KenhThucHien: int = Field(description="1 in person, 2 online, 3 public postal service")
    ChuHoSo: str
    LoaiDoiTuong: int = Field(description="1 citizen, 2 business")
    MaDoiTuong: str
    ThongTinKhac: str = ""
    Email: str = ""
    Fax: str = ""
    SoDienThoai: str = ""
    TrichYeuHoSo: str
    NgayTiepNhan: str
    NgayHenTra: str
    TrangThaiHoSo: int = Field(ge=1, le=10)
    NgayTra: str = ""
    ThongTinTra: str = ""
    HinhThuc: int = Field(0, description="how the result is returned: 0 at the counter, 1 by post, 2 online")
    NgayKetThucXuLy: str = ""
    DonViXuLy: str
    GhiChu: str = ""
    SoBienNhan: str = ""
    DuocThanhToanTrucTuyen: int = Field(0, description="0 no, 1 via the national portal, 2 via a local gateway")
    HoSoCoThanhPhanSoHoa: int = 0
    TaiKhoanDuocXacThucVoiVNeID: int = 0
    DanhSachLePhi: list[FeeLine] = Field(default_factory=list)
    DanhSachHoSoBoSung: list[SupplementRecord] = Field(default_factory=list)
    DanhSachGiayToKetQua: list[ResultDocument] = Field(default_factory=list)
    TaiLieuNop: list[SubmittedFile] = Field(default_factory=list)


class ProgressUpdate(_Record):
    """CapNhatTienDoHoSoMC: one processing step of a dossier."""

    MaHoSo: str
    NguoiXuLy: str
    ChucDanh: str
    ThoiDiemXuLy: str
    PhongBanXuLy: str
    NoiDungXuLy: str
    TrangThai: int = Field(ge=1, le=10)
    NgayBatDau: str
    NgayKetThucTheoQuyDinh: str
