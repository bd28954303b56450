"""Every place where payments tells someone something, behind one function.

``payment_notify`` is called inside the transaction that made the change (a bill made, a payment settled, failed
or expired, a refund done) and hands the message to ``notifications.services.notify``, which writes it in that
transaction and delivers it after commit. Payments tells the payer about money: the bill (with the pay link for a
payer without an account), the payment received (with the receipt), a payment that did not go through, a refund.

The app that asked for the payment (a *purpose*, e.g. dossiers) may say who the payer is and where they follow
their business (``payment_notices_register``), and which of these events it tells itself, in its own words, so
that one event never makes two messages (dossiers tells the applicant that a dossier's fees are due, with the
dossier; payments tells the rest)::

    payment_notices_register(
        "dossier_fees",
        recipients=lambda request: [...],           # notifications.services.Recipient or User
        link=lambda request: "/dossiers/mine/<code>/",
        told_by_purpose={PAYMENT_REQUESTED},
    )

Without a registration the payer is told through their account (``payer_user``), or not at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

# The events payments raises (notification templates are keyed by them).
PAYMENT_REQUESTED = "payments.requested"
PAYMENT_SUCCEEDED = "payments.succeeded"
PAYMENT_FAILED = "payments.failed"
PAYMENT_EXPIRED = "payments.expired"
PAYMENT_REFUNDED = "payments.refunded"
EVENTS = (PAYMENT_REQUESTED, PAYMENT_SUCCEEDED, PAYMENT_FAILED, PAYMENT_EXPIRED, PAYMENT_REFUNDED)

# (channels, label) of each event. SMS only for what the payer must act on or would want to know at once.
EVENT_CHANNELS: dict[str, tuple[tuple[str, ...], Any]] = {
    PAYMENT_REQUESTED: (("email", "sms", "inbox"), _("Payment requested")),
    PAYMENT_SUCCEEDED: (("email", "inbox"), _("Payment received, with its receipt")),
    PAYMENT_FAILED: (("email", "inbox"), _("Payment not completed")),
    PAYMENT_EXPIRED: (("email", "inbox"), _("Payment expired")),
    PAYMENT_REFUNDED: (("email", "sms", "inbox"), _("Payment refunded")),
}

Recipients = Callable[[Any], Iterable[Any]]
Link = Callable[[Any], str]


@dataclass(frozen=True)
class PayerNotices:
    """How the payers of one purpose are told: who they are (an account and/or contact details), the page where
    they follow their business, and the events the purpose's own app tells instead of payments."""

    recipients: Recipients | None = None
    link: Link | None = None
    told_by_purpose: frozenset[str] = frozenset()


_notices: dict[str, PayerNotices] = {}


def payment_notices_register(
    purpose: str,
    *,
    recipients: Recipients | None = None,
    link: Link | None = None,
    told_by_purpose: Iterable[str] = (),
) -> PayerNotices:
    """Say how the payers of a purpose are told (registering again replaces it); called in an AppConfig.ready()."""
    told = frozenset(told_by_purpose)
    unknown = told - set(EVENTS)
    if unknown:
        raise ValueError(f"unknown payment events {sorted(unknown)}")
    notices = PayerNotices(recipients=recipients, link=link, told_by_purpose=told)
    _notices[purpose] = notices
    return notices


def payment_notices_unregister(purpose: str) -> None:
    _notices.pop(purpose, None)


def payment_events_register() -> None:
    """Register the payment events with the notifications app (called by ``PaymentsConfig.ready``)."""
    from motcua.notifications.events import PUBLIC, notification_event_register

    for event, (channels, label) in EVENT_CHANNELS.items():
        name = event.split(".", 1)[1]
        notification_event_register(
            event, label=label, template=f"payments/notifications/{name}", channels=channels, audience=PUBLIC
        )


def _receipt_of(request: Any) -> Any:
    from motcua.payments.models import Receipt

    return Receipt.objects.filter(request=request).first()


def payment_context(*, event: str, request: Any, transaction: Any = None, refund: Any = None) -> dict[str, Any]:
    """What the messages may say: JSON values only (the templates translate and format them)."""
    from motcua.notifications.services import link_absolute

    has_account = request.payer_user_id is not None
    context: dict[str, Any] = {
        "code": request.code,
        "reference": request.reference,
        "procedure_name": request.procedure_name,
        "organisation": request.organisation.name,
        "amount": int(request.amount),
        "has_account": has_account,
        "paid_via": request.paid_via,
        "transaction": getattr(transaction, "initiator_transaction_id", "") or "",
        "pay_link": "",
        "receipt_series": "",
        "receipt_number": "",
        "receipt_url": "",
        "refund_amount": 0,
        "refund_kind": "",
        "refund_reason": "",
    }
    if event == PAYMENT_REQUESTED and not has_account and request.pay_token:
        # The pay link of someone without an account: its token exists only now, right after the bill was made.
        context["pay_link"] = link_absolute(reverse("payments:pay_link", args=[request.pay_token]))
    if event == PAYMENT_SUCCEEDED:
        receipt = _receipt_of(request)
        if receipt is not None:
            context["receipt_series"] = receipt.series
            context["receipt_number"] = receipt.number_text
        if has_account:
            context["receipt_url"] = link_absolute(reverse("payments:receipt", args=[request.pk]))
    if refund is not None:
        context["refund_amount"] = int(refund.amount)
        context["refund_kind"] = str(refund.kind)
        context["refund_reason"] = refund.reason
    return context


def _default_link(event: str, request: Any) -> str:
    if request.payer_user_id is not None:
        return reverse("payments:request_detail", args=[request.pk])
    if event == PAYMENT_REQUESTED and request.pay_token:
        return reverse("payments:pay_link", args=[request.pay_token])
    return ""


def payment_notify(*, event: str, request: Any, transaction: Any = None, refund: Any = None) -> None:
    """Tell the payer about a payment event, inside the transaction of the change (delivered after commit).

    Nothing is sent for an event the purpose's own app tells (``told_by_purpose``), nor when the payer can be
    reached neither by account nor by contact details. A repeated call for the same event of the same request
    (and transaction or refund) tells nobody twice.
    """
    if event not in EVENTS:
        raise ValueError(f"unknown payment event {event}")
    from motcua.notifications.services import notify

    notices = _notices.get(request.purpose, PayerNotices())
    if event in notices.told_by_purpose:
        return
    if notices.recipients is not None:
        recipients = [recipient for recipient in notices.recipients(request) if recipient is not None]
    else:
        recipients = [request.payer_user] if request.payer_user_id is not None else []
    if not recipients:
        logger.info("payment notification %s for %s: nobody to tell", event, request.code)
        return
    link = (notices.link(request) if notices.link is not None else "") or _default_link(event, request)
    about = getattr(refund, "pk", None) or getattr(transaction, "pk", None) or ""
    notify(
        event=event,
        recipients=recipients,
        context=payment_context(event=event, request=request, transaction=transaction, refund=refund),
        link=link,
        subject_type="payments.paymentrequest",
        subject_id=str(request.pk),
        dedupe_key=f"{event}:{request.pk}:{about}",
    )
