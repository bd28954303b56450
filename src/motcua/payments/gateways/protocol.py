"""The national payment platform's protocol as Motcua speaks it (and as the sandbox answers it).

Pure Python (no Django): ``motcua.payments.sandbox`` imports it too. Every message is a flat JSON object of
the fields below (the create message also carries the bill, ``ThongTinBienLai``, with its fee lines); its
``MaXacThuc`` is HMAC-SHA256, keyed with the shared secret, over the UTF-8 bytes of the values of the listed
fields joined by ``|`` in the listed order (the bill's fields, then each fee line's fields, where the table
says so), written as 64 lower-case hexadecimal digits. Integers are written in decimal digits; no value may
contain ``|`` (the sender replaces it, the receiver refuses it), so the joined string names one message only.
Times are ``yyyyMMddHHmmss`` in Asia/Ho_Chi_Minh. docs/payments.md documents each field; ADR 0010 says which
parts of the real platform's specification are inferred.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
TIME_FORMAT = "%Y%m%d%H%M%S"
DAY_FORMAT = "%Y%m%d"
CURRENCY = "VND"
SEPARATOR = "|"
CHECKSUM = "MaXacThuc"

# TrangThai: a transaction's state at the platform.
STATUS_SUCCEEDED = "00"
STATUS_FAILED = "01"  # declined by the bank or cancelled by the payer
STATUS_PENDING = "02"
STATUS_EXPIRED = "03"
STATUS_REFUNDED = "04"
STATUSES = (STATUS_SUCCEEDED, STATUS_FAILED, STATUS_PENDING, STATUS_EXPIRED, STATUS_REFUNDED)

# MaLoi: the outcome of a call (both directions).
OK = "00"
UNKNOWN_TRANSACTION = "01"
AMOUNT_DIFFERS = "02"
INVALID_AMOUNT = "07"
DUPLICATE_REFERENCE = "09"
NOT_REFUNDABLE = "11"
SIMULATED_FAILURE = "13"
UNKNOWN_PARTNER = "96"
BAD_CHECKSUM = "97"
STALE_OR_REPLAYED = "98"
MALFORMED = "99"

# Motcua -> platform: create a transaction (POST /api/giao-dich).
CREATE_FIELDS = (
    "MaDoiTac",  # client id of the initiator (Motcua's deployment)
    "MaThamChieu",  # initiator's transaction id, unique
    "SoTien",  # amount in đồng
    "MaTienTe",  # VND
    "ThoiGianTao",  # when the initiator created it
    "UrlTraVe",  # where the payer's browser comes back
    "UrlThongBao",  # where the platform posts its server-to-server notifications
    "NoiDung",  # what is paid, shown on the hosted page
    "NgonNgu",  # vi / en
)
BILL = "ThongTinBienLai"
BILL_FIELDS = (
    "MaDonVi",  # collecting agency code (QCVN 102)
    "TenDonVi",
    "MaHoSo",  # dossier code
    "MaTTHC",  # procedure code
    "TenTTHC",
    "HoTenNguoiNop",  # payer name
    "SoDinhDanhNguoiNop",  # payer's personal identification number or tax code
    "TaiKhoanThuHuong",  # beneficiary account at the State Treasury (KBNN)
    "TenTaiKhoanThuHuong",
    "MaKhoBac",  # State Treasury office code
    "TenKhoBac",
)
FEE_LINES = "DanhSachPhiLePhi"
FEE_LINE_FIELDS = (
    "LoaiPhiLePhi",  # 1 fee (phí), 2 charge (lệ phí)
    "MaPhiLePhi",
    "TenPhiLePhi",
    "SoTien",
)
CREATE_ANSWER_FIELDS = ("MaLoi", "MaThamChieu", "MaGiaoDich", "UrlThanhToan")

# Platform -> Motcua: server-to-server notification (POST UrlThongBao), retried until Motcua answers MaLoi 00.
NOTIFY_FIELDS = (
    "MaDoiTac",
    "MaThongBao",  # notification id: the same for every delivery attempt of one notification
    "MaThamChieu",
    "MaGiaoDich",  # the platform's transaction id
    "SoTien",
    "MaTienTe",
    "TrangThai",
    "MaNganHang",  # the payer's bank
    "ThoiGianThanhToan",  # when the money was taken (empty unless TrangThai 00)
    "ThoiGianGui",  # when this delivery attempt was signed (replay window)
)
NOTIFY_ANSWER_FIELDS = ("MaLoi",)
# Platform -> browser -> Motcua: the return (GET UrlTraVe?...), signed, never trusted alone.
RETURN_FIELDS = ("MaDoiTac", "MaThamChieu", "MaGiaoDich", "SoTien", "TrangThai", "ThoiGianGui")
# Motcua -> platform: status query (POST /api/giao-dich/trang-thai).
QUERY_FIELDS = ("MaDoiTac", "MaThamChieu", "ThoiGianGui")
QUERY_ANSWER_FIELDS = (
    "MaLoi",
    "MaThamChieu",
    "MaGiaoDich",
    "SoTien",
    "TrangThai",
    "MaNganHang",
    "ThoiGianThanhToan",
    "SoTienHoanTra",
)
# Motcua -> platform: refund (POST /api/hoan-tien), idempotent on MaHoanTien.
REFUND_FIELDS = ("MaDoiTac", "MaThamChieu", "MaHoanTien", "SoTien", "LyDo", "ThoiGianGui")
REFUND_ANSWER_FIELDS = ("MaLoi", "MaHoanTien", "MaThamChieu", "SoTien", "TrangThai")
# Motcua -> platform: the day's transactions for reconciliation (POST /api/doi-soat).
STATEMENT_FIELDS = ("MaDoiTac", "Ngay", "ThoiGianGui")
STATEMENT_ENTRIES = "DanhSachGiaoDich"
STATEMENT_ANSWER_FIELDS = ("MaLoi", "Ngay", "SoGiaoDich")
STATEMENT_ENTRY_FIELDS = (
    "MaThamChieu",
    "MaGiaoDich",
    "MaDonVi",
    "MaHoSo",
    "SoTien",
    "TrangThai",
    "ThoiGianThanhToan",
    "SoTienHoanTra",
)


class ProtocolError(ValueError):
    """A message that does not follow the protocol; ``code`` is the MaLoi to answer."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _text(name: str, value: Any) -> str:
    if isinstance(value, bool) or value is None:
        raise ProtocolError(MALFORMED, f"{name} must be text or a whole number")
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str):
        raise ProtocolError(MALFORMED, f"{name} must be text or a whole number")
    if SEPARATOR in value:
        raise ProtocolError(MALFORMED, f"{name} must not contain {SEPARATOR}")
    return value


def canonical(
    message: Mapping[str, Any],
    fields: Sequence[str],
    *,
    nested: Sequence[tuple[str, Sequence[str]]] = (),
    lists: Sequence[tuple[str, Sequence[str]]] = (),
) -> str:
    """The string that is signed: ``fields`` of ``message``, then each nested object's fields, then each item's
    fields of each list, all joined by ``|``. A missing field is an error (an empty one is written empty)."""
    values: list[str] = []

    def take(source: Mapping[str, Any], names: Iterable[str], where: str) -> None:
        for name in names:
            if name not in source:
                raise ProtocolError(MALFORMED, f"{where}{name} is missing")
            values.append(_text(where + name, source[name]))

    take(message, fields, "")
    for key, names in nested:
        inner = message.get(key)
        if not isinstance(inner, Mapping):
            raise ProtocolError(MALFORMED, f"{key} is missing")
        take(inner, names, f"{key}.")
    for key, names in lists:
        items = message.get(key)
        if not isinstance(items, list):
            raise ProtocolError(MALFORMED, f"{key} must be a list")
        for index, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise ProtocolError(MALFORMED, f"{key}[{index}] must be an object")
            take(item, names, f"{key}[{index}].")
    return SEPARATOR.join(values)


def checksum(secret: str, text: str) -> str:
    return hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()


def sign(message: dict[str, Any], secret: str, fields: Sequence[str], **shape: Any) -> dict[str, Any]:
    """``message`` with its ``MaXacThuc`` set."""
    message[CHECKSUM] = checksum(secret, canonical(message, fields, **shape))
    return message


def verify(message: Mapping[str, Any], secret: str, fields: Sequence[str], **shape: Any) -> None:
    """Raise ``ProtocolError`` unless ``MaXacThuc`` is right (compared in constant time)."""
    given = message.get(CHECKSUM)
    if not isinstance(given, str):
        raise ProtocolError(BAD_CHECKSUM, "MaXacThuc is missing")
    expected = checksum(secret, canonical(message, fields, **shape))
    if not hmac.compare_digest(expected.encode("ascii"), given.strip().lower().encode("ascii", "replace")):
        raise ProtocolError(BAD_CHECKSUM, "MaXacThuc does not match")


def create_canonical(message: Mapping[str, Any]) -> str:
    """The create message: its fields, the bill's fields, then each fee line's fields."""
    bill = message.get(BILL)
    if not isinstance(bill, Mapping):
        raise ProtocolError(MALFORMED, f"{BILL} is missing")
    head = canonical(message, CREATE_FIELDS, nested=[(BILL, BILL_FIELDS)])
    lines = canonical(bill, (), lists=[(FEE_LINES, FEE_LINE_FIELDS)])
    return head + (SEPARATOR + lines if lines else "")


def create_sign(message: dict[str, Any], secret: str) -> dict[str, Any]:
    message[CHECKSUM] = checksum(secret, create_canonical(message))
    return message


def create_verify(message: Mapping[str, Any], secret: str) -> None:
    given = message.get(CHECKSUM)
    if not isinstance(given, str):
        raise ProtocolError(BAD_CHECKSUM, "MaXacThuc is missing")
    expected = checksum(secret, create_canonical(message))
    if not hmac.compare_digest(expected.encode("ascii"), given.strip().lower().encode("ascii", "replace")):
        raise ProtocolError(BAD_CHECKSUM, "MaXacThuc does not match")


def statement_shape() -> dict[str, Any]:
    return {"lists": [(STATEMENT_ENTRIES, STATEMENT_ENTRY_FIELDS)]}


def time_format(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("aware datetime required")
    return moment.astimezone(LOCAL_TZ).strftime(TIME_FORMAT)


def time_parse(text: str) -> dt.datetime:
    try:
        return dt.datetime.strptime(text, TIME_FORMAT).replace(tzinfo=LOCAL_TZ)
    except (TypeError, ValueError) as error:
        raise ProtocolError(MALFORMED, f"not a yyyyMMddHHmmss time: {text!r}") from error


def now_text() -> str:
    return time_format(dt.datetime.now(dt.UTC))


def within_window(text: str, *, seconds: int, now: dt.datetime | None = None) -> bool:
    """Whether a signed time is at most ``seconds`` away from now (either way: clocks drift)."""
    moment = time_parse(text)
    now = now or dt.datetime.now(dt.UTC)
    return abs((now - moment).total_seconds()) <= seconds
