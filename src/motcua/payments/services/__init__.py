"""Every write of payments (DESIGN rule 1). The other apps call these; see docs/payments.md for the contract."""

from motcua.payments.services.accounts import collection_account_set, payments_load_demo
from motcua.payments.services.counter import payment_record_at_counter
from motcua.payments.services.fees import FeeLine, FeeQuote, fee_quote
from motcua.payments.services.receipts import receipt_pdf
from motcua.payments.services.reconciliation import reconciliation_csv, reconciliation_run
from motcua.payments.services.refunds import payment_refund, payment_refund_execute, payments_refunds_retry
from motcua.payments.services.requests import (
    pay_token_hash,
    payment_pay_link_renew,
    payment_request_cancel,
    payment_request_create,
)
from motcua.payments.services.transactions import (
    payment_callback_handle,
    payment_return_handle,
    payment_start,
    payment_status_sync,
    payments_status_sweep,
)

__all__ = [
    "FeeLine",
    "FeeQuote",
    "collection_account_set",
    "fee_quote",
    "pay_token_hash",
    "payment_callback_handle",
    "payment_pay_link_renew",
    "payment_record_at_counter",
    "payment_refund",
    "payment_refund_execute",
    "payment_request_cancel",
    "payment_request_create",
    "payment_return_handle",
    "payment_start",
    "payment_status_sync",
    "payments_load_demo",
    "payments_refunds_retry",
    "payments_status_sweep",
    "receipt_pdf",
    "reconciliation_csv",
    "reconciliation_run",
]
