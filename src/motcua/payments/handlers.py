"""Settlement handlers: how a higher app learns, inside the settlement transaction, that a request was paid.

Payments sits below dossiers in the import layers, so dossiers registers a handler for its purpose in its
``AppConfig.ready()``::

    from motcua.payments.handlers import payment_settlement_handler_register

    def dossier_fee_settled(request, transaction):   # transaction is None for a counter payment
        ...  # e.g. dossier_record_payment(actor=SYSTEM, dossier=..., amount=request.amount, reference=request.code)

    payment_settlement_handler_register("dossier_fee", dossier_fee_settled)

The handler runs exactly once per request: in the same database transaction that moves the request from open
to paid, under its row lock. If it raises, the settlement rolls back with it (the gateway retries its
notification, the status job asks again), so a handler must refuse only what can never succeed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SettlementHandler = Callable[[Any, Any], None]
_handlers: dict[str, SettlementHandler] = {}


def payment_settlement_handler_register(purpose: str, handler: SettlementHandler) -> SettlementHandler:
    """Register the handler of a purpose (registering again replaces it)."""
    if not purpose or len(purpose) > 50:
        raise ValueError("a purpose is 1 to 50 characters")
    _handlers[purpose] = handler
    return handler


def payment_settlement_handler_unregister(purpose: str) -> None:
    _handlers.pop(purpose, None)


def payment_settlement_handler_get(purpose: str) -> SettlementHandler | None:
    return _handlers.get(purpose)


def payment_purposes() -> list[str]:
    return sorted(_handlers)
