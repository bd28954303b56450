"""Payment requests (the bill): create one, cancel it, renew its pay link."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Organisation
from motcua.core.audit import audit_record
from motcua.core.exceptions import ValidationFailed
from motcua.core.permissions import permission_require
from motcua.payments.handlers import payment_settlement_handler_get
from motcua.payments.models import CollectionAccount, PaymentLine, PaymentRequest, RequestStatus
from motcua.payments.notifying import PAYMENT_REQUESTED, payment_notify
from motcua.payments.services._common import (
    actor_label,
    event_record,
    now,
    random_code,
    request_lock,
    request_snapshot,
)
from motcua.payments.services.fees import FeeLine
from motcua.payments.workflow import request_transition_check

Errors = dict[str, list[str]]
_CODE_ATTEMPTS = 5


def pay_token_hash(token: str) -> str:
    """SHA-256 of a pay-link token: 192 random bits need no salt nor slow hash, and the hash is looked up."""
    return hashlib.sha256((token or "").strip().encode("utf-8")).hexdigest()


def pay_token_matches(token: str, request: PaymentRequest) -> bool:
    return (
        bool(token)
        and bool(request.pay_token_hash)
        and hmac.compare_digest(pay_token_hash(token), request.pay_token_hash)
    )


def _error(errors: Errors, field: str, message: Any) -> None:
    errors.setdefault(field, []).append(str(message))


def _text(errors: Errors, field: str, value: str, limit: int, *, required: bool = False) -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        _error(errors, field, _("This field is required."))
    if len(text) > limit:
        _error(errors, field, _("Use at most %(limit)s characters.") % {"limit": limit})
    return text


def _code_new(at: dt.datetime) -> str:
    """``TT-yyMMdd-XXXXXX``: the local date and six characters no one mistakes for others, unique by constraint."""
    return f"TT-{timezone.localtime(at):%y%m%d}-{random_code(6)}"


@transaction.atomic
def payment_request_create(
    *,
    actor: Any,
    purpose: str,
    subject_id: uuid.UUID | None,
    reference: str,
    organisation: Organisation,
    payer_name: str,
    lines: Sequence[FeeLine],
    procedure_code: str = "",
    procedure_name: str = "",
    payer_identifier: str = "",
    payer_user: Any = None,
    refundable: bool = False,
    due_at: dt.datetime | None = None,
    counter_organisation: Organisation | None = None,
    description: str = "",
) -> PaymentRequest:
    """Ask a payer for fees and charges owed to a collecting agency (the bill sent to the payment platform).

    ``lines`` come from ``fee_quote`` (exempt lines are kept at 0 for the receipt); the total must be above 0.
    ``purpose`` must have a settlement handler (``payments.handlers``). The pay link's token is on the returned
    object (``pay_token``) and nowhere else: show it to a payer without an account (the tracking page).
    """
    permission_require(actor, "payments.create_request", organisation)
    errors: Errors = {}
    if payment_settlement_handler_get(purpose) is None:
        _error(errors, "purpose", _("No settlement is registered for this purpose."))
    values = {
        "reference": _text(errors, "reference", reference, 60),
        "procedure_code": _text(errors, "procedure_code", procedure_code, 40),
        "procedure_name": _text(errors, "procedure_name", procedure_name, 500),
        "payer_name": _text(errors, "payer_name", payer_name, 300, required=True),
        "payer_identifier": _text(errors, "payer_identifier", payer_identifier, 20),
        "description": _text(errors, "description", description, 300),
    }
    if not organisation.is_active or not organisation.code:
        _error(errors, "organisation", _("The collecting agency must be active and have an electronic code."))
    if due_at is not None and timezone.is_naive(due_at):
        raise ValueError("times given to services must be timezone-aware")
    cleaned: list[FeeLine] = []
    for index, line in enumerate(lines):
        amounts = (line.unit_amount, line.quantity, line.amount)
        if any(isinstance(value, bool) or not isinstance(value, int) or value < 0 for value in amounts) or (
            line.kind not in ("fee", "charge") or not line.code or not line.name
        ):
            _error(errors, f"lines.{index}", _("This fee line is not valid."))
            continue
        cleaned.append(line)
    total = sum(line.amount for line in cleaned)
    if not errors and total <= 0:
        _error(errors, "lines", _("There is nothing to pay: the total must be above 0 đồng."))
    if errors:
        raise ValidationFailed(details=errors)

    at = now()
    account = CollectionAccount.objects.filter(organisation=organisation, is_active=True).first()
    token = secrets.token_urlsafe(24)
    request = PaymentRequest(
        purpose=purpose,
        subject_id=subject_id,
        organisation=organisation,
        counter_organisation=counter_organisation,
        payer_user=payer_user,
        amount=total,
        refundable=bool(refundable),
        due_at=due_at,
        status=RequestStatus.OPEN,
        pay_token_hash=pay_token_hash(token),
        account_number=account.account_number if account else "",
        account_name=account.account_name if account else "",
        treasury_code=account.treasury_code if account else "",
        treasury_name=account.treasury_name if account else "",
        created_by_label=actor_label(actor),
        **values,
    )
    for attempt in range(_CODE_ATTEMPTS):
        request.code = _code_new(at)
        try:
            with transaction.atomic():
                request.save(force_insert=True)
        except IntegrityError:
            if attempt == _CODE_ATTEMPTS - 1:
                raise
            continue
        break
    PaymentLine.objects.bulk_create(
        [
            PaymentLine(
                request=request,
                position=position,
                code=line.code[:40],
                name=line.name[:300],
                kind=line.kind,
                unit_amount=line.unit_amount,
                quantity=line.quantity,
                exempt=line.exempt,
                amount=line.amount,
            )
            for position, line in enumerate(cleaned, start=1)
        ]
    )
    event_record(request=request, from_status="", to_status=RequestStatus.OPEN, source="request", actor=actor, at=at)
    audit_record(
        action="payments.request_created",
        instance=request,
        after={**request_snapshot(request), "lines": [line.amount for line in cleaned], "purpose": purpose},
        actor=actor,
    )
    request.pay_token = token  # before the notice: a payer without an account is sent the pay link
    payment_notify(event=PAYMENT_REQUESTED, request=request)
    return request


@transaction.atomic
def payment_request_cancel(*, actor: Any, request: PaymentRequest, reason: str) -> PaymentRequest:
    """Cancel an unpaid request (the dossier was withdrawn or stopped). Payments still in progress are not
    stopped at the gateway: one that succeeds later is refunded automatically."""
    request = request_lock(request.pk)
    permission_require(actor, "payments.cancel_request", request)
    errors: Errors = {}
    reason_text = _text(errors, "reason", reason, 500, required=True)
    if errors:
        raise ValidationFailed(details=errors)
    request_transition_check(request.status, RequestStatus.CANCELLED)
    before = request_snapshot(request)
    at = now()
    request.status = RequestStatus.CANCELLED
    request.cancelled_at = at
    request.cancel_reason = reason_text
    request.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
    event_record(
        request=request,
        from_status=RequestStatus.OPEN,
        to_status=RequestStatus.CANCELLED,
        source="cancel",
        actor=actor,
        details={"reason": reason_text},
        at=at,
    )
    audit_record(
        action="payments.request_cancelled",
        instance=request,
        before=before,
        after=request_snapshot(request),
        actor=actor,
    )
    return request


@transaction.atomic
def payment_pay_link_renew(*, actor: Any, request: PaymentRequest) -> PaymentRequest:
    """A new pay link for a payer without an account (the old one stops working); the token is on the result."""
    request = request_lock(request.pk)
    permission_require(actor, "payments.cancel_request", request)
    request_transition_check(request.status, RequestStatus.PAID)  # only an open request can still be paid
    token = secrets.token_urlsafe(24)
    request.pay_token_hash = pay_token_hash(token)
    request.save(update_fields=["pay_token_hash", "updated_at"])
    audit_record(action="payments.pay_link_renewed", instance=request, actor=actor)
    request.pay_token = token
    return request
