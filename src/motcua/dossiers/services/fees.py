"""Fees and financial obligations of a dossier as bills of the payments app (payment requests).

Two purposes, each with its settlement handler (``dossiers.services.payments.dossier_payment_settled``):

- ``dossier_fees``: the procedure's fees and charges (phí, lệ phí), billed when an online application is
  submitted, from the quote of the applicant's answers (copies, exemption group);
- ``dossier_obligation``: the financial obligation an official asks for during processing (nghĩa vụ tài chính,
  TrangThaiHoSo 6): one line with an amount, or lines chosen from the procedure's fees.

The collecting agency is the processing organisation (MaDonVi); the desk that received the dossier may take the
money in cash too. A bill is refundable when the procedure says its fees are refunded when the dossier is refused.

Locks: a service of dossiers that touches a dossier's bills locks them (``payment_requests_lock``) *before* the
dossier, the order in which a payment's settlement takes them (the bill, then the dossier through the handler),
so that the two never wait for each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from motcua.core.exceptions import InvalidState, ValidationFailed
from motcua.core.permissions import SYSTEM
from motcua.dossiers.billing import (
    FEES_PURPOSE,
    OBLIGATION_PURPOSE,
    PURPOSES,
    open_requests_of,
    payment_requests_of,
    request_of_dossier,
)
from motcua.dossiers.models import Channel, Dossier
from motcua.payments import services as payments
from motcua.payments.models import PaymentRequest, RequestStatus
from motcua.payments.services import FeeLine, FeeQuote
from motcua.procedures.content import ProcedureContent

# The bill line of an obligation asked as one amount (mã, tên on the bill sent to the payment platform).
OBLIGATION_LINE_CODE = "NVTC"
OBLIGATION_LINE_NAME = "Nghĩa vụ tài chính"
NOTE_LIMIT = 300


def exemption_categories(content: ProcedureContent) -> list[str]:
    """The exemption groups of a procedure's fee lines, each once, in the order they are first named."""
    seen: dict[str, None] = {}
    for fee in content.fees:
        for category in fee.exempt_categories:
            seen.setdefault(category, None)
    return list(seen)


def has_per_copy_fees(content: ProcedureContent) -> bool:
    return any(fee.basis == "per_copy" for fee in content.fees)


def dossier_fee_quote(*, content: ProcedureContent, copies: int = 1, applicant_category: str = "") -> FeeQuote:
    """The quote of a procedure's fees for the applicant's answers; the group must be one the procedure names
    (the applicant declares it, the one-stop desk checks the proof). ``ValidationFailed`` otherwise."""
    category = (applicant_category or "").strip()
    errors: dict[str, list[str]] = {}
    if category and category not in exemption_categories(content):
        errors["applicant_category"] = [str(_("Choose one of the groups listed, or “No”."))]
    try:
        quote = payments.fee_quote(content=content, copies=copies, applicant_category=category)
    except ValidationFailed as error:
        errors.update({key: list(value) for key, value in (error.details or {}).items()})
        quote = FeeQuote(lines=())
    if errors:
        raise ValidationFailed(details=errors)
    return quote


def _payer(dossier: Dossier) -> dict[str, Any]:
    return {
        "payer_name": dossier.applicant_name,
        "payer_identifier": dossier.applicant_identifier,
        "payer_user": dossier.applicant,
    }


def _counter(dossier: Dossier) -> Any:
    same = dossier.receiving_organisation_id == dossier.processing_organisation_id
    return None if same else dossier.receiving_organisation


def fee_request_create(*, dossier: Dossier, content: ProcedureContent, quote: FeeQuote) -> PaymentRequest:
    """The bill of the procedure's fees, made with the dossier (same transaction), on behalf of the platform."""
    return payments.payment_request_create(
        actor=SYSTEM,
        purpose=FEES_PURPOSE,
        subject_id=dossier.pk,
        reference=dossier.code,
        organisation=dossier.processing_organisation,
        counter_organisation=_counter(dossier),
        procedure_code=content.code,
        procedure_name=content.name,
        lines=quote.lines,
        refundable=content.fees_refunded_on_refusal,
        description=f"Phí, lệ phí hồ sơ {dossier.code}",
        **_payer(dossier),
    )


def obligation_lines(
    *, content: ProcedureContent, amount: int | None, fee_codes: Sequence[str], copies: int, note: str
) -> list[FeeLine]:
    """The lines of a financial obligation: one line of ``amount`` đồng named by the note, or the procedure's fee
    lines named by ``fee_codes`` (per-copy lines × ``copies``)."""
    codes = [code for code in dict.fromkeys(str(code).strip() for code in fee_codes) if code]
    errors: dict[str, list[str]] = {}
    if len(note) > NOTE_LIMIT:
        errors["note"] = [str(_("Use at most %(limit)s characters.") % {"limit": NOTE_LIMIT})]
    if codes and amount is not None:
        errors["amount"] = [str(_("Give either an amount or fee lines of the procedure, not both."))]
    elif codes:
        known = {fee.code for fee in content.fees}
        unknown = [code for code in codes if code not in known]
        if unknown:
            errors["fee_codes"] = [str(_("This procedure has no fee line %(codes)s.") % {"codes": ", ".join(unknown)})]
        else:
            chosen = content.model_copy(update={"fees": [fee for fee in content.fees if fee.code in codes]})
            try:
                quote = payments.fee_quote(content=chosen, copies=copies)
            except ValidationFailed as error:
                errors.update({key: list(value) for key, value in (error.details or {}).items()})
            else:
                if quote.total <= 0:
                    errors["fee_codes"] = [str(_("These fee lines come to nothing to pay."))]
                if not errors:
                    return list(quote.lines)
    elif isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        errors["amount"] = [str(_("Enter an amount in đồng greater than zero."))]
    if errors:
        raise ValidationFailed(details=errors)
    assert amount is not None
    name = " ".join(note.split()) or OBLIGATION_LINE_NAME
    return [FeeLine(code=OBLIGATION_LINE_CODE, name=name, kind="fee", unit_amount=amount, quantity=1, amount=amount)]


def obligation_request_create(
    *, dossier: Dossier, content: ProcedureContent, lines: Sequence[FeeLine], note: str
) -> PaymentRequest:
    """The bill of a financial obligation (status 6), made in the transaction of the request."""
    return payments.payment_request_create(
        actor=SYSTEM,
        purpose=OBLIGATION_PURPOSE,
        subject_id=dossier.pk,
        reference=dossier.code,
        organisation=dossier.processing_organisation,
        counter_organisation=_counter(dossier),
        procedure_code=content.code,
        procedure_name=content.name,
        lines=lines,
        refundable=content.fees_refunded_on_refusal,
        description=(" ".join(note.split()) or f"Nghĩa vụ tài chính hồ sơ {dossier.code}")[:NOTE_LIMIT],
        **_payer(dossier),
    )


def payment_requests_lock(dossier: Dossier) -> list[PaymentRequest]:
    """Lock the dossier's bills (in a fixed order) before the dossier itself: see the module's note on locks."""
    return list(
        PaymentRequest.objects.select_for_update().filter(subject_id=dossier.pk, purpose__in=PURPOSES).order_by("pk")
    )


def fees_paid_before_receipt(*, content: Any, channel: int) -> bool:
    """Whether the desk receives a dossier only once its fees are paid: a full-process online service (level 4)
    applied for online (ADR 0017). At the counter the clerk takes the money with the dossier."""
    return content.online_level == "full" and channel == Channel.ONLINE


def fees_unpaid(dossier: Dossier) -> bool:
    """Whether the fees billed at application are still unpaid."""
    return any(request.purpose == FEES_PURPOSE for request in open_requests_of(dossier))


def payments_close(*, dossier: Dossier, reason: str, refund: bool) -> dict[str, list[str]]:
    """When a dossier ends (refused, withdrawn, stopped): its unpaid bills are cancelled (a payment that still
    arrives is refunded automatically by payments); with ``refund`` (a refusal), the paid bills the procedure
    makes refundable are refunded (after commit, through the gateway that took the money). In the caller's
    transaction; returns the codes of the bills cancelled and refunded, for the dossier's history."""
    cancelled: list[str] = []
    refunded: list[str] = []
    text = " ".join(reason.split())[:500] or str(_("The dossier was closed."))
    for request in payment_requests_of(dossier):
        if request.status == RequestStatus.OPEN:
            payments.payment_request_cancel(actor=SYSTEM, request=request, reason=text)
            cancelled.append(request.code)
        elif refund and request.status == RequestStatus.PAID and request.refundable:
            try:
                payments.payment_refund(actor=SYSTEM, request=request, reason=text)
            except InvalidState:
                continue  # a refund of it is already under way
            refunded.append(request.code)
    return {key: value for key, value in (("payments_cancelled", cancelled), ("payments_refunded", refunded)) if value}


def pay_link_absolute(request: PaymentRequest) -> str:
    """The pay link of a bill just made (its token exists only now), for someone without an account."""
    if not request.pay_token:
        return ""
    return f"{settings.SITE_URL}{reverse('payments:pay_link', args=[request.pay_token])}"


__all__ = [
    "FEES_PURPOSE",
    "OBLIGATION_PURPOSE",
    "PURPOSES",
    "dossier_fee_quote",
    "exemption_categories",
    "fee_request_create",
    "fees_unpaid",
    "has_per_copy_fees",
    "obligation_lines",
    "obligation_request_create",
    "open_requests_of",
    "pay_link_absolute",
    "payment_requests_lock",
    "payment_requests_of",
    "payments_close",
    "request_of_dossier",
]
