"""The HTTP transport to the national portal against a real local stand-in process."""

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from motcua.dossiers.national_portal.clients import (
    HttpPortalClient,
    PortalRejected,
    PortalUnavailable,
    client_get,
)
from motcua.dossiers.national_portal.payloads import DossierSync, FeeLine, ProgressUpdate, portal_datetime

STAND_IN = Path(__file__).resolve().parents[1] / "support" / "national_portal.py"
TOKEN = "portal-token-for-tests"


@pytest.fixture(scope="module")
def portal():
    process = subprocess.Popen(
        [sys.executable, str(STAND_IN), "--port", "0", "--token", TOKEN], stdout=subprocess.PIPE, text=True
    )
    try:
        port = int(process.stdout.readline().split()[1])
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def configured(portal, settings):
    requests.post(
        f"{portal}/_control", json={"dossiers": [], "progress": [], "fail_next": 0, "rejected": []}, timeout=5
    )
    settings.NATIONAL_PORTAL_URL = portal
    settings.NATIONAL_PORTAL_TOKEN = TOKEN
    settings.NATIONAL_PORTAL_CLIENT = "http"
    return portal


def _state(portal):
    return requests.get(f"{portal}/_control", timeout=5).json()


RECEIVED = dt.datetime(2026, 11, 23, 2, 15, 0, tzinfo=dt.UTC)  # 09:15 in Hà Nội


def _dossier(**changes):
    values = {
        "MaHoSo": "000.00.20.H49-261123-0001",
        "MaTTHC": "1.001193",
        "TenTTHC": "Đăng ký khai sinh",
        "MaLinhVuc": "HT",
        "TenLinhVuc": "Hộ tịch",
        "KenhThucHien": 2,
        "ChuHoSo": "Nguyễn Văn An",
        "LoaiDoiTuong": 1,
        "MaDoiTuong": "022090000123",
        "TrichYeuHoSo": "Đăng ký khai sinh cho con",
        "NgayTiepNhan": portal_datetime(RECEIVED),
        "NgayHenTra": portal_datetime(RECEIVED + dt.timedelta(hours=6)),
        "TrangThaiHoSo": 2,
        "DonViXuLy": "000.00.20.H49",
        "DanhSachLePhi": [FeeLine(TenPhiLePhi="Lệ phí", MaPhiLePhi="LP01", HinhThucThu=2, Gia=8000, LoaiPhiLePhi=2)],
    }
    values.update(changes)
    return DossierSync(**values)


def test_portal_dates_are_vietnam_local_time():
    assert portal_datetime(RECEIVED) == "20261123091500"
    assert portal_datetime(None) == ""
    with pytest.raises(ValueError):
        portal_datetime(dt.datetime(2026, 11, 23, 9, 15))


def test_dossier_and_progress_records_arrive_field_by_field(configured):
    client = client_get()
    assert isinstance(client, HttpPortalClient)
    client.dossier_sync(_dossier())
    client.progress_update(
        ProgressUpdate(
            MaHoSo="000.00.20.H49-261123-0001",
            NguoiXuLy="Nguyễn Thị Lan",
            ChucDanh="Công chức tiếp nhận",
            ThoiDiemXuLy=portal_datetime(RECEIVED),
            PhongBanXuLy="Bộ phận Một cửa",
            NoiDungXuLy="Tiếp nhận hồ sơ",
            TrangThai=2,
            NgayBatDau=portal_datetime(RECEIVED),
            NgayKetThucTheoQuyDinh=portal_datetime(RECEIVED + dt.timedelta(hours=6)),
        )
    )
    state = _state(configured)
    assert state["rejected"] == []
    (dossier,) = state["dossiers"]
    assert dossier["MaHoSo"] == "000.00.20.H49-261123-0001" and dossier["NgayTiepNhan"] == "20261123091500"
    assert dossier["DanhSachLePhi"][0]["Gia"] == 8000 and dossier["TenTTHC"] == "Đăng ký khai sinh"
    assert state["progress"][0]["NguoiXuLy"] == "Nguyễn Thị Lan"


def test_a_record_the_portal_refuses_raises_rejected(configured):
    with pytest.raises(PortalRejected):
        HttpPortalClient()._post("DongBoHoSoMC", {"data": [{**_dossier().model_dump(), "NgayHenTra": "23/11/2026"}]})
    assert _state(configured)["rejected"][0]["problems"] == ["NgayHenTra not yyyyMMddHHmmss"]


def test_unavailable_portal_is_retryable_and_a_wrong_token_is_refused(configured, settings):
    requests.post(f"{configured}/_control", json={"fail_next": 1}, timeout=5)
    with pytest.raises(PortalUnavailable):
        client_get().dossier_sync(_dossier())
    client_get().dossier_sync(_dossier())  # the retry goes through
    assert len(_state(configured)["dossiers"]) == 1
    settings.NATIONAL_PORTAL_TOKEN = "wrong"
    with pytest.raises(PortalRejected):
        client_get().dossier_sync(_dossier())


def test_unreachable_portal_is_unavailable(settings):
    settings.NATIONAL_PORTAL_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    settings.NATIONAL_PORTAL_CLIENT = "http"
    with pytest.raises(PortalUnavailable):
        client_get().dossier_sync(_dossier())
