"""Paying a dossier's bills: online by the applicant, at the counter through the clerk, and what happens when
payments settles one.

- ``dossier_payment_settled`` is the settlement handler of both purposes (registered in
  ``DossiersConfig.ready``): payments calls it inside the settlement transaction, exactly once per bill, and it
  records the payment on the dossier as SYSTEM (``dossier_record_fees``, or ``dossier_record_payment`` which
  resumes processing after status 6). If it raised, the settlement would roll back and the gateway try again.
- ``dossier_payment_record_at_counter``: the clerk takes the money at the desk; payments records it (receipt) and,
  through the handler, the dossier moves on, in one transaction: neither happens alone.
- ``dossier_payment_start`` (the applicant's account) and ``dossier_payment_start_with_secret`` (the code and
  secret of the receipt, for applicants without an account) send the payer to the gateway's page; they come back
  to the dossier's page, or to the tracking page.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from motcua.core.exceptions import InvalidState, NotAuthenticated, NotFound, PermissionDenied
from motcua.core.permissions import SYSTEM, user_can
from motcua.dossiers.billing import FEES_PURPOSE, OBLIGATION_PURPOSE, open_requests_of, request_of_dossier
from motcua.dossiers.models import Dossier
from motcua.dossiers.rules import acting_position, is_applicant
from motcua.dossiers.selectors import dossier_find_by_receipt
from motcua.dossiers.services._base import lock
from motcua.dossiers.services.fees import payment_requests_lock
from motcua.dossiers.services.processing import dossier_record_fees, dossier_record_payment
from motcua.dossiers.workflow import Action, Actor, transition_target
from motcua.payments import services as payments
from motcua.payments.models import PaymentRequest, RequestStatus, Transaction


def dossier_payment_settled(request: PaymentRequest, transaction: Transaction | None) -> None:
    """Settlement handler of ``dossier_fees`` and ``dossier_obligation`` (inside payments' settlement)."""
    dossier = Dossier.objects.filter(pk=request.subject_id).first() if request.subject_id is not None else None
    if dossier is None:
        raise NotFound(_("There is no dossier for this payment request."))
    if request.purpose == OBLIGATION_PURPOSE:
        dossier_record_payment(actor=SYSTEM, dossier=dossier, payment_request=request)
    elif request.purpose == FEES_PURPOSE:
        dossier_record_fees(actor=SYSTEM, dossier=dossier, payment_request=request)
    else:  # pragma: no cover - registered for these two purposes only
        raise ValueError(f"not a dossier purpose: {request.purpose}")


def _bill_to_pay(dossier: Dossier, payment_request_id: uuid.UUID | str | None, purpose: str | None) -> PaymentRequest:
    """The open bill named, or the open bill of ``purpose``, or the only open one (the status-6 obligation first
    when there are two)."""
    if purpose == OBLIGATION_PURPOSE and not payment_request_id:
        transition_target(dossier.status, Action.RECORD_PAYMENT)  # 409 outside status 6
    if payment_request_id:
        request = request_of_dossier(dossier, payment_request_id)
        if request is None:
            raise NotFound(_("This dossier has no such payment request."))
        if request.status != RequestStatus.OPEN:
            raise InvalidState(
                _("This payment request is no longer awaiting payment."), code="payment_request_not_open"
            )
        return request
    waiting = [request for request in open_requests_of(dossier) if purpose is None or request.purpose == purpose]
    if not waiting:
        raise InvalidState(_("Nothing of this dossier is awaiting payment."), code="dossier_nothing_to_pay")
    waiting.sort(key=lambda request: request.purpose != OBLIGATION_PURPOSE)
    return waiting[0]


@transaction.atomic
def dossier_payment_record_at_counter(
    *,
    actor: Any,
    dossier: Dossier,
    amount: int,
    paper_receipt_number: str = "",
    note: str = "",
    payment_request_id: uuid.UUID | str | None = None,
    purpose: str | None = None,
) -> PaymentRequest:
    """A clerk of the desk that received the dossier (or of the processing organisation) records the money paid
    at the counter for one of its bills (the one named, or the open one of ``purpose``): payments settles it and
    issues the receipt, and the dossier records it (fees paid, or processing resumes after status 6), in this
    one transaction. The whole amount, exactly."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotAuthenticated()
    payment_requests_lock(dossier)
    dossier = lock(dossier)
    if not user_can(actor, "dossiers.view", dossier):
        raise NotFound()
    if acting_position(actor, dossier, Actor.CLERK) is None:
        raise PermissionDenied(
            _("Only a one-stop clerk of this dossier's organisations records payments at the counter."),
            code="dossier_counter_payment_denied",
        )
    request = _bill_to_pay(dossier, payment_request_id, purpose)
    paid = payments.payment_record_at_counter(
        actor=actor, request=request, amount=amount, paper_receipt_number=paper_receipt_number, note=note
    )
    return paid


def dossier_payment_start(
    *,
    actor: Any,
    dossier: Dossier,
    payment_request_id: uuid.UUID | str,
    idempotency_key: str = "",
    gateway: str = "",
    language: str = "vi",
) -> tuple[Transaction, str]:
    """The applicant pays a bill of their dossier online: a transaction at the gateway, and the page to send them
    to; afterwards they come back to the dossier's page. Not one database transaction (see ``payment_start``)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotAuthenticated()
    if not is_applicant(actor, dossier):
        raise NotFound()
    request = _bill_to_pay(dossier, payment_request_id, None)
    return payments.payment_start(
        actor=actor,
        request=request,
        gateway=gateway,
        return_url=reverse("dossiers:mine_detail", args=[dossier.code]),
        idempotency_key=idempotency_key,
        language=language,
    )


def dossier_payment_start_with_secret(
    *,
    code: str,
    secret: str,
    payment_request_id: uuid.UUID | str,
    idempotency_key: str = "",
    gateway: str = "",
    language: str = "vi",
    client_address: str | None = None,
) -> tuple[Transaction, str]:
    """Someone holding the receipt's code and secret (an applicant without an account) pays a bill online; they
    come back to the tracking page. The receipt proves who pays (rate-limited, "not found" for a wrong secret,
    as the public lookup), so the payment is started on the platform's behalf."""
    dossier = dossier_find_by_receipt(code=code, secret=secret, client_address=client_address)
    request = _bill_to_pay(dossier, payment_request_id, None)
    return payments.payment_start(
        actor=SYSTEM,
        request=request,
        gateway=gateway,
        return_url=f"{reverse('dossiers:track')}?{urlencode({'code': dossier.code})}",
        idempotency_key=idempotency_key,
        language=language,
    )


__all__ = [
    "dossier_payment_record_at_counter",
    "dossier_payment_settled",
    "dossier_payment_start",
    "dossier_payment_start_with_secret",
]
