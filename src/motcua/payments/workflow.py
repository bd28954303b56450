"""The state machines of payments: every allowed (from, to) pair; anything else is ``InvalidState`` (409).

Transactions: created → pending (the gateway gave a payment page) → succeeded / failed / expired; succeeded →
refunded. The gateway's word that money was taken always wins: a success reported after a failure or after
Motcua's expiry still settles (``failed → succeeded``, ``expired → succeeded``, ``created → succeeded`` when the
creation answer was lost). Requests: open → paid → refunded; open → cancelled.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from motcua.core.exceptions import InvalidState
from motcua.payments.models import RequestStatus, TransactionStatus

T = TransactionStatus
R = RequestStatus

TRANSACTION_TRANSITIONS: frozenset[tuple[str, str]] = frozenset(
    {
        (T.CREATED, T.PENDING),
        (T.CREATED, T.FAILED),
        (T.CREATED, T.EXPIRED),
        (T.CREATED, T.SUCCEEDED),
        (T.PENDING, T.SUCCEEDED),
        (T.PENDING, T.FAILED),
        (T.PENDING, T.EXPIRED),
        (T.FAILED, T.SUCCEEDED),
        (T.EXPIRED, T.SUCCEEDED),
        (T.SUCCEEDED, T.REFUNDED),
    }
)
REQUEST_TRANSITIONS: frozenset[tuple[str, str]] = frozenset(
    {
        (R.OPEN, R.PAID),
        (R.OPEN, R.CANCELLED),
        (R.PAID, R.REFUNDED),
    }
)
# Transactions still waiting for the gateway's word: the status-query job looks at these.
UNSETTLED = (T.CREATED, T.PENDING)
# Statuses with money taken.
MONEY_TAKEN = (T.SUCCEEDED, T.REFUNDED)


def transaction_transition_check(current: str, target: str) -> None:
    if (current, target) not in TRANSACTION_TRANSITIONS:
        raise InvalidState(
            _("This payment cannot go from “%(current)s” to “%(target)s”.")
            % {"current": T(current).label, "target": T(target).label},
            code="payment_invalid_transition",
            details={"from": current, "to": target},
        )


def request_transition_check(current: str, target: str) -> None:
    if (current, target) not in REQUEST_TRANSITIONS:
        raise InvalidState(
            _("This payment request cannot go from “%(current)s” to “%(target)s”.")
            % {"current": R(current).label, "target": R(target).label},
            code="payment_request_invalid_transition",
            details={"from": current, "to": target},
        )


def transaction_may_move(current: str, target: str) -> bool:
    return (current, target) in TRANSACTION_TRANSITIONS
