import json

import pytest

from motcua.payments import services
from motcua.payments.models import RequestStatus, TransactionStatus
from tests.payments.conftest import settlements

pytestmark = pytest.mark.django_db


def test_flow(bill, payer, sandbox, client):
    txn, url = services.payment_start(actor=payer, request=bill, idempotency_key="k1")
    assert txn.status == TransactionStatus.PENDING and url.startswith(sandbox.url)
    sandbox.control(callback="collect")
    response = sandbox.pay(url)
    assert response.status_code == 303, response.content
    body = sandbox.state()["collected"][0]
    answer = client.post("/payments/gateway/sandbox/callback/", data=json.dumps(body), content_type="application/json")
    assert answer.status_code == 200, answer.content
    bill.refresh_from_db()
    assert bill.status == RequestStatus.PAID
    assert settlements(bill) == 1
    answer = client.post("/payments/gateway/sandbox/callback/", data=json.dumps(body), content_type="application/json")
    assert answer.json()["MaLoi"] == "00"
    assert settlements(bill) == 1
    pdf = services.receipt_pdf(receipt=bill.receipt)
    assert pdf.startswith(b"%PDF")
