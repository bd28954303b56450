"""API shapes of payments: amounts in integer đồng, times in UTC (ISO 8601), no pay-link tokens, no secrets."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ninja import Field, Schema


class FeeLineOut(Schema):
    code: str
    name: str
    kind: str = Field(description="fee (phí) or charge (lệ phí)")
    unit_amount: int
    quantity: int
    exempt: bool
    amount: int


class FeeQuoteOut(Schema):
    procedure: str
    copies: int
    applicant_category: str
    lines: list[FeeLineOut]
    total: int


class TransactionOut(Schema):
    id: uuid.UUID
    initiator_transaction_id: str = Field(description="MaThamChieu sent to the gateway")
    gateway: str
    gateway_transaction_id: str
    amount: int
    status: str
    payment_url: str
    expires_at: dt.datetime
    paid_at: dt.datetime | None
    flag: str


class RefundOut(Schema):
    id: uuid.UUID
    refund_id: str
    kind: str
    via: str
    amount: int
    reason: str
    status: str
    completed_at: dt.datetime | None


class ReceiptOut(Schema):
    series: str
    number: str
    issued_at: dt.datetime
    amount: int
    short_code: str


class PaymentRequestOut(Schema):
    id: uuid.UUID
    code: str
    purpose: str
    reference: str
    organisation_code: str
    organisation_name: str
    procedure_code: str
    procedure_name: str
    payer_name: str
    amount: int
    refundable: bool
    due_at: dt.datetime | None
    status: str
    paid_at: dt.datetime | None
    paid_via: str
    created_at: dt.datetime


class PaymentRequestDetailOut(PaymentRequestOut):
    lines: list[FeeLineOut]
    transactions: list[TransactionOut]
    refunds: list[RefundOut]
    receipt: ReceiptOut | None


class StartIn(Schema):
    gateway: str = Field("", description="A gateway of GET /payments/gateways (default: the first)")
    return_url: str = Field("", description="A path on this site where the payer goes after the payment")
    language: str = "vi"


class CounterPaymentIn(Schema):
    amount: int = Field(description="Amount received in đồng: must be the amount requested")
    paper_receipt_number: str = ""
    note: str = ""


class ReasonIn(Schema):
    reason: str


class ReconciliationLineOut(Schema):
    initiator_transaction_id: str
    gateway_transaction_id: str
    reference: str
    motcua_status: str
    gateway_status: str
    motcua_amount: int | None
    gateway_amount: int | None
    result: str
    flag: str


class ReconciliationReportOut(Schema):
    gateway: str
    organisation_code: str
    day: dt.date
    generated_at: dt.datetime
    motcua_count: int
    motcua_total: int
    gateway_count: int
    gateway_total: int
    mismatch_count: int


class ReconciliationReportDetailOut(ReconciliationReportOut):
    lines: list[ReconciliationLineOut]


class GatewayOut(Schema):
    name: str
    label: str


def request_out(request: Any, *, detail: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": request.pk,
        "code": request.code,
        "purpose": request.purpose,
        "reference": request.reference,
        "organisation_code": request.organisation.code or "",
        "organisation_name": request.organisation.name,
        "procedure_code": request.procedure_code,
        "procedure_name": request.procedure_name,
        "payer_name": request.payer_name,
        "amount": request.amount,
        "refundable": request.refundable,
        "due_at": request.due_at,
        "status": request.status,
        "paid_at": request.paid_at,
        "paid_via": request.paid_via,
        "created_at": request.created_at,
    }
    if detail:
        receipt = getattr(request, "receipt", None) if hasattr(request, "receipt") else None
        data["lines"] = list(request.lines.all())
        data["transactions"] = list(request.transactions.all())
        data["refunds"] = list(request.refunds.all())
        data["receipt"] = (
            {
                "series": receipt.series,
                "number": receipt.number_text,
                "issued_at": receipt.issued_at,
                "amount": receipt.amount,
                "short_code": receipt.issued_document.short_code if receipt.issued_document else "",
            }
            if receipt is not None
            else None
        )
    return data
