"""Helpers of the payment tests: posting signed notifications, counting what a refused call must not write."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from motcua.core.models import AuditEvent
from motcua.payments.models import (
    GatewayNotification,
    PaymentEvent,
    PaymentRequest,
    Receipt,
    Refund,
    Transaction,
)

CALLBACK = "/payments/gateway/sandbox/callback/"


def post_callback(client, body):
    return client.post(CALLBACK, data=json.dumps(body, ensure_ascii=False), content_type="application/json")


def local_path(url: str) -> str:
    """The path and query of an absolute URL of this site (the test client speaks paths)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class Counts:
    """Row counts of everything the payment services write, to prove a refused call wrote nothing."""

    MODELS = (PaymentRequest, Transaction, PaymentEvent, GatewayNotification, Receipt, Refund, AuditEvent)

    def __init__(self):
        self.before = self.now()

    @classmethod
    def now(cls):
        return {model.__name__: model.objects.count() for model in cls.MODELS}

    def assert_unchanged(self):
        assert self.now() == self.before

    def changed(self):
        now = self.now()
        return {name: now[name] - self.before[name] for name in now if now[name] != self.before[name]}


def state_of(obj):
    obj.refresh_from_db()
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


def history(request):
    return [
        (event.transaction.initiator_transaction_id if event.transaction else "", event.from_status, event.to_status)
        for event in PaymentEvent.objects.filter(request=request).select_related("transaction").order_by("sequence")
    ]
