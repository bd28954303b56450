"""Payments at the counter (nộp tiền mặt tại Bộ phận Một cửa), recorded by the one-stop clerk."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from motcua.core.audit import audit_record
from motcua.core.exceptions import ValidationFailed
from motcua.core.permissions import permission_require
from motcua.payments.models import PaidVia, PaymentRequest, RequestStatus
from motcua.payments.services._common import now, request_lock, request_snapshot, user_or_none
from motcua.payments.services.transactions import request_settle
from motcua.payments.workflow import request_transition_check


@transaction.atomic
def payment_record_at_counter(
    *, actor: Any, request: PaymentRequest, amount: int, paper_receipt_number: str = "", note: str = ""
) -> PaymentRequest:
    """The payer paid the whole amount in cash (or by card at the desk): the request is settled as online ones
    are (receipt, settlement handler, notice). An online payment that succeeds afterwards is refunded."""
    request = request_lock(request.pk)
    permission_require(actor, "payments.record_at_counter", request)
    request_transition_check(request.status, RequestStatus.PAID)
    errors: dict[str, list[str]] = {}
    if isinstance(amount, bool) or not isinstance(amount, int) or amount != request.amount:
        errors["amount"] = [
            str(
                _("The amount paid must be the amount requested: %(amount)s đồng.")
                % {"amount": f"{request.amount:,}".replace(",", ".")}
            )
        ]
    number = " ".join(str(paper_receipt_number or "").split())
    text = " ".join(str(note or "").split())
    if len(number) > 50:
        errors["paper_receipt_number"] = [str(_("Use at most %(limit)s characters.") % {"limit": 50})]
    if len(text) > 300:
        errors["note"] = [str(_("Use at most %(limit)s characters.") % {"limit": 300})]
    if errors:
        raise ValidationFailed(details=errors)
    before = request_snapshot(request)
    request.recorded_by = user_or_none(actor)
    request.paper_receipt_number = number
    request.counter_note = text
    request_settle(request=request, txn=None, paid_via=PaidVia.COUNTER, actor=actor, at=now())
    request.save()
    audit_record(
        action="payments.request_paid_at_counter",
        instance=request,
        before=before,
        after=request_snapshot(request),
        actor=actor,
    )
    return request
