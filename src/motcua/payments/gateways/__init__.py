"""Payment gateways are plugins: a subclass of ``PaymentGateway`` registered under its name.

A gateway starts a payment (server-to-server, answering the page where the payer pays), reads the browser's
return and the server's notifications (checking their signatures), answers the status of a transaction,
refunds, and lists a day's transactions for reconciliation. Motcua ships ``sandbox`` (the national payment
platform's protocol, spoken to the local sandbox); a real gateway is one more subclass::

    class MyGateway(PaymentGateway):
        name = "mybank"
        ...
    gateway_register(MyGateway())   # in an AppConfig.ready(), and add "mybank" to MOTCUA_PAYMENT_GATEWAYS

Gateways raise ``GatewayError`` when the other side cannot be reached or refuses, ``NotificationRefused`` for a
notification or return that must not be believed.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# What a gateway says about a transaction, in Motcua's words (``TransactionStatus`` values).
REPORTED_PENDING = "pending"
REPORTED_SUCCEEDED = "succeeded"
REPORTED_FAILED = "failed"
REPORTED_EXPIRED = "expired"
REPORTED_REFUNDED = "refunded"


class GatewayError(Exception):
    """The gateway could not be reached, or refused the call (``code`` is its error code, if any)."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class NotificationRefused(Exception):
    """A notification or browser return that must not be believed. ``reason`` is a ``CallbackRejection.Reason``."""

    def __init__(self, reason: str, message: str, *, notification_id: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.notification_id = notification_id


@dataclass(frozen=True)
class BillLine:
    kind: str  # "fee" (phí) or "charge" (lệ phí)
    code: str
    name: str
    amount: int


@dataclass(frozen=True)
class Bill:
    """What the gateway is asked to collect (the national platform's bill fields)."""

    initiator_transaction_id: str
    amount: int
    created_at: dt.datetime
    description: str
    language: str
    organisation_code: str
    organisation_name: str
    reference: str
    procedure_code: str
    procedure_name: str
    payer_name: str
    payer_identifier: str
    account_number: str
    account_name: str
    treasury_code: str
    treasury_name: str
    lines: tuple[BillLine, ...]


@dataclass(frozen=True)
class Started:
    payment_url: str
    gateway_transaction_id: str


@dataclass(frozen=True)
class Report:
    """The gateway's word on one transaction (from a notification, a return or a status query)."""

    initiator_transaction_id: str
    status: str  # REPORTED_*
    amount: int | None = None
    gateway_transaction_id: str = ""
    paid_at: dt.datetime | None = None
    bank_code: str = ""
    refunded_amount: int = 0


@dataclass(frozen=True)
class Notification:
    """A verified server-to-server notification. ``digest`` covers its content, not its delivery time."""

    notification_id: str
    report: Report
    digest: str
    signed_at: dt.datetime


@dataclass(frozen=True)
class Refunded:
    gateway_refund_id: str
    amount: int


@dataclass(frozen=True)
class StatementEntry:
    initiator_transaction_id: str
    gateway_transaction_id: str
    organisation_code: str
    reference: str
    amount: int
    status: str  # REPORTED_*
    paid_at: dt.datetime | None
    refunded_amount: int = 0


@dataclass(frozen=True)
class CallbackAnswer:
    """What to answer the gateway's server: HTTP status and body."""

    http_status: int
    body: dict[str, Any] = field(default_factory=dict)


class PaymentGateway(ABC):
    name: str = ""
    label: Any = ""

    @abstractmethod
    def start(self, *, bill: Bill, return_url: str, callback_url: str) -> Started:
        """Create the transaction at the gateway; the payer is sent to ``Started.payment_url``."""

    @abstractmethod
    def notification_parse(self, *, body: bytes, content_type: str) -> Notification:
        """Check and read a server-to-server notification; ``NotificationRefused`` if it must not be believed."""

    @abstractmethod
    def notification_answer(self, *, accepted: bool, reason: str = "") -> CallbackAnswer:
        """The answer that tells the gateway to stop retrying (``accepted``) or that its call was refused."""

    @abstractmethod
    def return_parse(self, *, query: Mapping[str, str]) -> Report:
        """Check and read the browser's return; ``NotificationRefused`` if it must not be believed."""

    @abstractmethod
    def status_query(self, *, initiator_transaction_id: str) -> Report:
        """Ask the gateway, server-to-server, what became of a transaction."""

    @abstractmethod
    def refund(self, *, initiator_transaction_id: str, refund_id: str, amount: int, reason: str) -> Refunded:
        """Give money back (idempotent on ``refund_id``)."""

    @abstractmethod
    def statement(self, *, day: dt.date) -> list[StatementEntry]:
        """The gateway's transactions paid on a day (Asia/Ho_Chi_Minh), for reconciliation."""


_gateways: dict[str, PaymentGateway] = {}


def gateway_register(gateway: PaymentGateway) -> PaymentGateway:
    if not gateway.name:
        raise ValueError("a gateway needs a name")
    _gateways[gateway.name] = gateway
    return gateway


def gateway_unregister(name: str) -> None:
    _gateways.pop(name, None)


def gateway_find(name: str) -> PaymentGateway | None:
    """The registered gateway of that name if the deployment enables it (``MOTCUA_PAYMENT_GATEWAYS``)."""
    if name not in gateways_enabled():
        return None
    return _gateways.get(name)


def gateways_enabled() -> list[str]:
    from django.conf import settings

    return [name for name in settings.PAYMENT_GATEWAYS if name in _gateways]
