"""The bills of a dossier (payment requests of the payments app) as dossiers reads them: their purposes, and the
bills of one dossier with what a page shows of them. Writes are in ``dossiers.services.fees`` and
``dossiers.services.payments``.

- ``dossier_fees``: the procedure's fees and charges, billed at online submission;
- ``dossier_obligation``: the financial obligation asked during processing (TrangThaiHoSo 6).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from motcua.payments import selectors as payments_selectors
from motcua.payments.models import PaymentRequest, RequestStatus, Transaction, TransactionStatus
from motcua.payments.workflow import UNSETTLED

FEES_PURPOSE = "dossier_fees"
OBLIGATION_PURPOSE = "dossier_obligation"
PURPOSES = (FEES_PURPOSE, OBLIGATION_PURPOSE)
PURPOSE_LABELS = {
    FEES_PURPOSE: _("Fees and charges of the application"),
    OBLIGATION_PURPOSE: _("Financial obligation"),
}


def payment_requests_of(dossier: Any) -> list[PaymentRequest]:
    """The dossier's bills, oldest first."""
    return [
        request
        for request in payments_selectors.payment_request_list_for_subject(subject_id=dossier.pk)
        .select_related("settled_transaction", "receipt")
        .order_by("created_at")
        if request.purpose in PURPOSES
    ]


def open_requests_of(dossier: Any) -> list[PaymentRequest]:
    return [request for request in payment_requests_of(dossier) if request.status == RequestStatus.OPEN]


def request_of_dossier(dossier: Any, request_id: Any) -> PaymentRequest | None:
    for request in payment_requests_of(dossier):
        if str(request.pk) == str(request_id):
            return request
    return None


@dataclass(frozen=True)
class DossierBill:
    """One bill of a dossier as its pages show it (the applicant's, the tracking page, the officials')."""

    request: PaymentRequest
    purpose_label: str
    lines: list[Any]
    receipt: Any
    last_transaction: Transaction | None
    # An online payment was started and the gateway has not said yet how it ended.
    is_being_confirmed: bool
    # The last online payment did not go through (the bill is still to pay).
    last_attempt_failed: bool

    @property
    def is_open(self) -> bool:
        return self.request.status == RequestStatus.OPEN

    @property
    def is_paid(self) -> bool:
        return self.request.status in (RequestStatus.PAID, RequestStatus.REFUNDED)

    @property
    def paid_at(self) -> dt.datetime | None:
        return self.request.paid_at


def bills_of(dossier: Any) -> list[DossierBill]:
    """The dossier's bills with their lines, receipt and last online attempt (the caller checked who may see)."""
    bills = []
    for request in payment_requests_of(dossier):
        transactions = list(request.transactions.order_by("-created_at"))
        last = transactions[0] if transactions else None
        receipt = getattr(request, "receipt", None) if request.status != RequestStatus.OPEN else None
        bills.append(
            DossierBill(
                request=request,
                purpose_label=str(PURPOSE_LABELS.get(request.purpose, request.purpose)),
                lines=list(request.lines.all()),
                receipt=receipt,
                last_transaction=last,
                is_being_confirmed=request.status == RequestStatus.OPEN
                and any(txn.status in UNSETTLED for txn in transactions),
                last_attempt_failed=request.status == RequestStatus.OPEN
                and last is not None
                and last.status in (TransactionStatus.FAILED, TransactionStatus.EXPIRED),
            )
        )
    return bills
