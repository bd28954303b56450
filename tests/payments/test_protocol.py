"""The protocol's checksum, checked against a value computed by hand from the documented order, and the sandbox
process refusing what the platform would refuse."""

import hashlib
import hmac

import pytest
import requests

from motcua.payments.gateways import protocol as p
from tests.support.payment_sandbox import CLIENT_ID, SECRET


def test_the_notification_checksum_is_hmac_sha256_over_the_documented_fields_in_order():
    body = {
        "MaDoiTac": "motcua",
        "MaThongBao": "TB01",
        "MaThamChieu": "MC260302ABCDEFGHJKLM",
        "MaGiaoDich": "SB01",
        "SoTien": 210000,
        "MaTienTe": "VND",
        "TrangThai": "00",
        "MaNganHang": "VCB",
        "ThoiGianThanhToan": "20260302091500",
        "ThoiGianGui": "20260302091501",
    }
    text = "motcua|TB01|MC260302ABCDEFGHJKLM|SB01|210000|VND|00|VCB|20260302091500|20260302091501"
    expected = hmac.new(b"secret", text.encode(), hashlib.sha256).hexdigest()
    assert p.sign(dict(body), "secret", p.NOTIFY_FIELDS)["MaXacThuc"] == expected
    # The worked example of docs/payments.md, so that an integrator can check their own implementation.
    assert expected == "469edc3a01b6ce37abbdba2d094dd3324ac33c1a773ff4e48aef8925d0a3beef"


def test_the_create_checksum_covers_the_bill_and_each_fee_line():
    message = {
        "MaDoiTac": "motcua",
        "MaThamChieu": "MC1",
        "SoTien": 10000,
        "MaTienTe": "VND",
        "ThoiGianTao": "20260302090000",
        "UrlTraVe": "https://x/r",
        "UrlThongBao": "https://x/c",
        "NoiDung": "Lệ phí",
        "NgonNgu": "vi",
        "ThongTinBienLai": {
            "MaDonVi": "000.00.01.H49",
            "TenDonVi": "Sở Tư pháp",
            "MaHoSo": "HS1",
            "MaTTHC": "1.001193",
            "TenTTHC": "Cấp phiếu",
            "HoTenNguoiNop": "Nguyễn Thị Hoa",
            "SoDinhDanhNguoiNop": "022190000123",
            "TaiKhoanThuHuong": "3511",
            "TenTaiKhoanThuHuong": "Thu phí",
            "MaKhoBac": "0111",
            "TenKhoBac": "KBNN",
            "DanhSachPhiLePhi": [{"LoaiPhiLePhi": 2, "MaPhiLePhi": "LP", "TenPhiLePhi": "Lệ phí", "SoTien": 10000}],
        },
    }
    text = (
        "motcua|MC1|10000|VND|20260302090000|https://x/r|https://x/c|Lệ phí|vi|000.00.01.H49|Sở Tư pháp|HS1|1.001193|"
        "Cấp phiếu|Nguyễn Thị Hoa|022190000123|3511|Thu phí|0111|KBNN|2|LP|Lệ phí|10000"
    )
    assert p.create_canonical(message) == text
    signed = p.create_sign(dict(message), "k")
    p.create_verify(signed, "k")
    signed["ThongTinBienLai"] = {
        **message["ThongTinBienLai"],
        "DanhSachPhiLePhi": [{**message["ThongTinBienLai"]["DanhSachPhiLePhi"][0], "SoTien": 1}],
    }
    with pytest.raises(p.ProtocolError) as error:
        p.create_verify(signed, "k")
    assert error.value.code == p.BAD_CHECKSUM


def test_values_with_the_separator_or_of_the_wrong_type_are_refused():
    for value in ("a|b", True, None, 1.5):
        with pytest.raises(p.ProtocolError) as error:
            p.canonical({"A": value}, ["A"])
        assert error.value.code == p.MALFORMED
    with pytest.raises(p.ProtocolError):
        p.canonical({}, ["A"])


def test_the_sandbox_refuses_bad_checksums_unknown_clients_stale_queries_and_reused_references(sandbox_process):
    url = sandbox_process.url
    query = p.sign(
        {"MaDoiTac": CLIENT_ID, "MaThamChieu": "MC-NONE", "ThoiGianGui": p.now_text()}, SECRET, p.QUERY_FIELDS
    )
    assert (
        requests.post(f"{url}/api/giao-dich/trang-thai", json=query, timeout=10).json()["MaLoi"]
        == p.UNKNOWN_TRANSACTION
    )
    assert (
        requests.post(f"{url}/api/giao-dich/trang-thai", json={**query, "MaThamChieu": "X"}, timeout=10).json()["MaLoi"]
        == p.BAD_CHECKSUM
    )
    stranger = p.sign(
        {"MaDoiTac": "other", "MaThamChieu": "MC-NONE", "ThoiGianGui": p.now_text()}, SECRET, p.QUERY_FIELDS
    )
    assert (
        requests.post(f"{url}/api/giao-dich/trang-thai", json=stranger, timeout=10).json()["MaLoi"] == p.UNKNOWN_PARTNER
    )
    stale = p.sign(
        {"MaDoiTac": CLIENT_ID, "MaThamChieu": "MC-NONE", "ThoiGianGui": "20200101000000"}, SECRET, p.QUERY_FIELDS
    )
    assert (
        requests.post(f"{url}/api/giao-dich/trang-thai", json=stale, timeout=10).json()["MaLoi"] == p.STALE_OR_REPLAYED
    )
    assert requests.post(f"{url}/api/giao-dich", data=b"[1,2]", timeout=10).json()["MaLoi"] == p.MALFORMED
