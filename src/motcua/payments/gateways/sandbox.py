"""The ``sandbox`` gateway: the national payment platform's protocol (``protocol``), spoken over HTTP.

It talks to ``MOTCUA_PAYMENT_SANDBOX_URL`` (the local sandbox, ``motcua paysandbox``); pointed at the real
platform with its client id and secret, the same code would speak to it, as far as ADR 0010's inferred
protocol is right.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

import requests
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from motcua.payments.gateways import (
    REPORTED_EXPIRED,
    REPORTED_FAILED,
    REPORTED_PENDING,
    REPORTED_REFUNDED,
    REPORTED_SUCCEEDED,
    Bill,
    CallbackAnswer,
    GatewayError,
    Notification,
    NotificationRefused,
    PaymentGateway,
    Refunded,
    Report,
    Started,
    StatementEntry,
)
from motcua.payments.gateways import protocol as p

STATUS_WORDS = {
    p.STATUS_SUCCEEDED: REPORTED_SUCCEEDED,
    p.STATUS_FAILED: REPORTED_FAILED,
    p.STATUS_PENDING: REPORTED_PENDING,
    p.STATUS_EXPIRED: REPORTED_EXPIRED,
    p.STATUS_REFUNDED: REPORTED_REFUNDED,
}
FEE_KIND_CODES = {"fee": 1, "charge": 2}  # LoaiPhiLePhi, as in the national portal's DanhSachLePhi
# Why a notification was refused -> the MaLoi answered.
ANSWER_CODES = {
    "bad_signature": p.BAD_CHECKSUM,
    "stale": p.STALE_OR_REPLAYED,
    "replayed": p.STALE_OR_REPLAYED,
    "malformed": p.MALFORMED,
    "unknown_transaction": p.UNKNOWN_TRANSACTION,
    "amount_differs": p.AMOUNT_DIFFERS,
}


def _clean(text: str, limit: int) -> str:
    """A value the protocol accepts: no ``|``, no line breaks, at most ``limit`` characters."""
    return " ".join(str(text or "").replace(p.SEPARATOR, "/").split())[:limit]


class SandboxGateway(PaymentGateway):
    name = "sandbox"
    label = _("National payment platform (sandbox)")

    # ------------------------------------------------------------- configuration

    @property
    def base_url(self) -> str:
        return str(settings.PAYMENT_SANDBOX_URL).rstrip("/")

    @property
    def client_id(self) -> str:
        return str(settings.PAYMENT_SANDBOX_CLIENT_ID)

    @property
    def secret(self) -> str:
        return str(settings.PAYMENT_SANDBOX_SECRET)

    def _post(self, path: str, message: dict[str, Any]) -> dict[str, Any]:
        try:
            response = requests.post(
                self.base_url + path,
                data=json.dumps(message, ensure_ascii=False).encode("utf-8"),
                headers={"Content-Type": "application/json; charset=utf-8"},
                timeout=settings.PAYMENT_HTTP_TIMEOUT_SECONDS,
            )
            answer = response.json()
        except (requests.RequestException, ValueError) as error:
            raise GatewayError(f"the payment platform did not answer: {error}") from error
        if not isinstance(answer, dict):
            raise GatewayError("the payment platform's answer is not a JSON object")
        if answer.get("MaLoi") != p.OK:
            raise GatewayError(
                f"the payment platform refused: {answer.get('MaLoi')} {answer.get('MoTa', '')}",
                code="unknown_transaction"
                if answer.get("MaLoi") == p.UNKNOWN_TRANSACTION
                else str(answer.get("MaLoi", "")),
            )
        return answer

    def _verified(self, answer: dict[str, Any], fields: tuple[str, ...], **shape: Any) -> dict[str, Any]:
        try:
            p.verify(answer, self.secret, fields, **shape)
        except p.ProtocolError as error:
            raise GatewayError(f"the payment platform's answer is not signed right: {error}") from error
        return answer

    # ------------------------------------------------------------- the plugin

    def start(self, *, bill: Bill, return_url: str, callback_url: str) -> Started:
        message: dict[str, Any] = {
            "MaDoiTac": self.client_id,
            "MaThamChieu": bill.initiator_transaction_id,
            "SoTien": bill.amount,
            "MaTienTe": p.CURRENCY,
            "ThoiGianTao": p.time_format(bill.created_at),
            "UrlTraVe": return_url,
            "UrlThongBao": callback_url,
            "NoiDung": _clean(bill.description, 200),
            "NgonNgu": bill.language if bill.language in ("vi", "en") else "vi",
            p.BILL: {
                "MaDonVi": _clean(bill.organisation_code, 35),
                "TenDonVi": _clean(bill.organisation_name, 200),
                "MaHoSo": _clean(bill.reference, 60),
                "MaTTHC": _clean(bill.procedure_code, 40),
                "TenTTHC": _clean(bill.procedure_name, 300),
                "HoTenNguoiNop": _clean(bill.payer_name, 200),
                "SoDinhDanhNguoiNop": _clean(bill.payer_identifier, 20),
                "TaiKhoanThuHuong": _clean(bill.account_number, 40),
                "TenTaiKhoanThuHuong": _clean(bill.account_name, 200),
                "MaKhoBac": _clean(bill.treasury_code, 20),
                "TenKhoBac": _clean(bill.treasury_name, 200),
                p.FEE_LINES: [
                    {
                        "LoaiPhiLePhi": FEE_KIND_CODES.get(line.kind, 2),
                        "MaPhiLePhi": _clean(line.code, 40),
                        "TenPhiLePhi": _clean(line.name, 300),
                        "SoTien": line.amount,
                    }
                    for line in bill.lines
                ],
            },
        }
        answer = self._verified(
            self._post("/api/giao-dich", p.create_sign(message, self.secret)), p.CREATE_ANSWER_FIELDS
        )
        if answer.get("MaThamChieu") != bill.initiator_transaction_id or not answer.get("UrlThanhToan"):
            raise GatewayError("the payment platform answered for another transaction")
        return Started(payment_url=str(answer["UrlThanhToan"]), gateway_transaction_id=str(answer["MaGiaoDich"]))

    def _report(self, values: Mapping[str, Any], *, paid_at_key: str = "ThoiGianThanhToan") -> Report:
        status = STATUS_WORDS.get(str(values.get("TrangThai", "")))
        amount = values.get("SoTien")
        if status is None or isinstance(amount, bool) or not isinstance(amount, int):
            raise p.ProtocolError(p.MALFORMED, "TrangThai or SoTien is not valid")
        paid_text = str(values.get(paid_at_key) or "")
        refunded = values.get("SoTienHoanTra", 0)
        return Report(
            initiator_transaction_id=str(values.get("MaThamChieu", "")),
            status=status,
            amount=amount,
            gateway_transaction_id=str(values.get("MaGiaoDich", "")),
            paid_at=p.time_parse(paid_text) if paid_text else None,
            bank_code=str(values.get("MaNganHang", "") or "")[:20],
            refunded_amount=refunded if isinstance(refunded, int) and not isinstance(refunded, bool) else 0,
        )

    def notification_parse(self, *, body: bytes, content_type: str) -> Notification:
        try:
            message = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise NotificationRefused("malformed", "the body is not JSON") from error
        if not isinstance(message, dict):
            raise NotificationRefused("malformed", "the body is not a JSON object")
        notification_id = str(message.get("MaThongBao", ""))[:80]
        try:
            if message.get("MaDoiTac") != self.client_id:
                raise p.ProtocolError(p.BAD_CHECKSUM, "another client's notification")
            p.verify(message, self.secret, p.NOTIFY_FIELDS)
            if not notification_id:
                raise p.ProtocolError(p.MALFORMED, "MaThongBao is empty")
            if message.get("MaTienTe") != p.CURRENCY:
                raise p.ProtocolError(p.MALFORMED, "MaTienTe must be VND")
            signed_at = p.time_parse(str(message["ThoiGianGui"]))
            report = self._report(message)
        except p.ProtocolError as error:
            reason = "bad_signature" if error.code == p.BAD_CHECKSUM else "malformed"
            raise NotificationRefused(reason, str(error), notification_id=notification_id) from error
        # What the notification says, without when this attempt was signed: retries have the same digest.
        content = p.canonical(message, [name for name in p.NOTIFY_FIELDS if name != "ThoiGianGui"])
        digest = hashlib.sha256(content.encode("utf-8")).hexdigest()
        return Notification(notification_id=notification_id, report=report, digest=digest, signed_at=signed_at)

    def notification_answer(self, *, accepted: bool, reason: str = "") -> CallbackAnswer:
        if accepted:
            return CallbackAnswer(200, {"MaLoi": p.OK, "MoTa": "Đã nhận"})
        code = ANSWER_CODES.get(reason, p.MALFORMED)
        status = 401 if code == p.BAD_CHECKSUM else 409 if code in (p.STALE_OR_REPLAYED, p.AMOUNT_DIFFERS) else 400
        return CallbackAnswer(status, {"MaLoi": code, "MoTa": reason})

    def return_parse(self, *, query: Mapping[str, str]) -> Report:
        values: dict[str, Any] = {name: query.get(name, "") for name in (*p.RETURN_FIELDS, p.CHECKSUM)}
        try:
            values["SoTien"] = int(str(values["SoTien"]))
        except ValueError as error:
            raise NotificationRefused("malformed", "SoTien is not a whole number") from error
        try:
            if values["MaDoiTac"] != self.client_id:
                raise p.ProtocolError(p.BAD_CHECKSUM, "another client's return")
            p.verify(values, self.secret, p.RETURN_FIELDS)
            if not p.within_window(str(values["ThoiGianGui"]), seconds=settings.PAYMENT_CALLBACK_WINDOW_SECONDS):
                raise NotificationRefused("stale", "the return was signed too long ago")
            return self._report(values, paid_at_key="-")
        except p.ProtocolError as error:
            reason = "bad_signature" if error.code == p.BAD_CHECKSUM else "malformed"
            raise NotificationRefused(reason, str(error)) from error

    def status_query(self, *, initiator_transaction_id: str) -> Report:
        message = {"MaDoiTac": self.client_id, "MaThamChieu": initiator_transaction_id, "ThoiGianGui": p.now_text()}
        answer = self._verified(
            self._post("/api/giao-dich/trang-thai", p.sign(message, self.secret, p.QUERY_FIELDS)), p.QUERY_ANSWER_FIELDS
        )
        try:
            report = self._report(answer)
        except p.ProtocolError as error:
            raise GatewayError(str(error)) from error
        if report.initiator_transaction_id != initiator_transaction_id:
            raise GatewayError("the payment platform answered for another transaction")
        return report

    def refund(self, *, initiator_transaction_id: str, refund_id: str, amount: int, reason: str) -> Refunded:
        message = {
            "MaDoiTac": self.client_id,
            "MaThamChieu": initiator_transaction_id,
            "MaHoanTien": refund_id,
            "SoTien": amount,
            "LyDo": _clean(reason, 300),
            "ThoiGianGui": p.now_text(),
        }
        answer = self._verified(
            self._post("/api/hoan-tien", p.sign(message, self.secret, p.REFUND_FIELDS)), p.REFUND_ANSWER_FIELDS
        )
        if answer.get("MaHoanTien") != refund_id or answer.get("SoTien") != amount:
            raise GatewayError("the payment platform answered for another refund")
        return Refunded(gateway_refund_id=str(answer["MaHoanTien"]), amount=int(answer["SoTien"]))

    def statement(self, *, day: dt.date) -> list[StatementEntry]:
        message = {"MaDoiTac": self.client_id, "Ngay": day.strftime(p.DAY_FORMAT), "ThoiGianGui": p.now_text()}
        answer = self._verified(
            self._post("/api/doi-soat", p.sign(message, self.secret, p.STATEMENT_FIELDS)),
            p.STATEMENT_ANSWER_FIELDS,
            **p.statement_shape(),
        )
        entries = []
        try:
            for item in answer.get(p.STATEMENT_ENTRIES) or []:
                report = self._report(item)
                entries.append(
                    StatementEntry(
                        initiator_transaction_id=report.initiator_transaction_id,
                        gateway_transaction_id=report.gateway_transaction_id,
                        organisation_code=str(item.get("MaDonVi", "")),
                        reference=str(item.get("MaHoSo", "")),
                        amount=report.amount or 0,
                        status=report.status,
                        paid_at=report.paid_at,
                        refunded_amount=report.refunded_amount,
                    )
                )
        except p.ProtocolError as error:
            raise GatewayError(str(error)) from error
        if len(entries) != answer.get("SoGiaoDich"):
            raise GatewayError("the statement's count does not match its entries")
        return entries
