"""The payments API: every endpoint with the actors allowed and refused (refused ones change nothing)."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from motcua.payments import services
from motcua.payments.models import RequestStatus
from motcua.procedures.services import procedures_load_demo
from tests.payments.helpers import Counts, post_callback, state_of
from tests.support.sessions import sign_in_with_second_factor

pytestmark = pytest.mark.django_db
API = "/api/v1/payments"


def as_user(user):
    client = Client()
    if user is None:
        return client
    if getattr(user, "is_official", False):
        return sign_in_with_second_factor(client, user)
    client.force_login(user)
    return client


@pytest.fixture
def actors(payer, other_citizen, clerk, leader, foreign_leader, auditor, platform_admin, specialist):
    return {
        "anonymous": None,
        "payer": payer,
        "other_citizen": other_citizen,
        "clerk": clerk,
        "specialist": specialist,
        "leader": leader,
        "foreign_leader": foreign_leader,
        "auditor": auditor,
        "platform_admin": platform_admin,
    }


def test_the_fee_quote_is_public(directory):
    from motcua.core.permissions import SYSTEM

    procedures_load_demo(actor=SYSTEM)
    response = Client().get(f"{API}/quote", {"procedure": "2.000635", "copies": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 24000 and body["lines"][0]["quantity"] == 3 and body["lines"][0]["kind"] == "fee"
    assert Client().get(f"{API}/quote", {"procedure": "2.000635", "copies": 0}).status_code == 422
    assert Client().get(f"{API}/quote", {"procedure": "9.999999"}).status_code == 404


def test_reading_a_request_payer_and_officials_of_the_agency_only(bill, actors):
    allowed = {"payer", "clerk", "specialist", "leader", "auditor", "platform_admin"}
    for name, user in actors.items():
        response = as_user(user).get(f"{API}/requests/{bill.pk}")
        expected = 200 if name in allowed else 401 if user is None else 404
        assert response.status_code == expected, name
    body = as_user(actors["payer"]).get(f"{API}/requests/{bill.pk}").json()
    assert body["amount"] == 210000 and [line["amount"] for line in body["lines"]] == [200000, 10000]
    assert "pay_token" not in str(body) and bill.pay_token not in str(body)


def test_lists_mine_and_my_agencies(bill, actors, agency, payer):
    assert [item["id"] for item in as_user(actors["payer"]).get(f"{API}/requests").json()["items"]] == [str(bill.pk)]
    assert as_user(actors["other_citizen"]).get(f"{API}/requests").json()["items"] == []
    for name in ("clerk", "leader", "specialist", "auditor", "platform_admin"):
        items = as_user(actors[name]).get(f"{API}/officials/requests").json()["items"]
        assert [item["code"] for item in items] == [bill.code], name
    for name in ("foreign_leader", "payer"):
        assert as_user(actors[name]).get(f"{API}/officials/requests").json()["items"] == [], name
    assert as_user(None).get(f"{API}/requests").status_code == 401


def test_starting_a_payment_only_the_payer_with_an_idempotency_key(bill, actors, sandbox):
    counts = Counts()
    for name, user in actors.items():
        if name == "payer":
            continue
        response = as_user(user).post(f"{API}/requests/{bill.pk}/transactions", {}, content_type="application/json")
        assert response.status_code in (401, 403, 404), name
    counts.assert_unchanged()
    client = as_user(actors["payer"])
    first = client.post(
        f"{API}/requests/{bill.pk}/transactions",
        {"return_url": "/payments/"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="abc",
    )
    assert first.status_code == 201 and first.json()["payment_url"].startswith(sandbox.url)
    again = client.post(
        f"{API}/requests/{bill.pk}/transactions",
        {"return_url": "/payments/"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="abc",
    )
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    reused = client.post(
        f"{API}/requests/{bill.pk}/transactions",
        {"return_url": "/other/"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="abc",
    )
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"
    bad = client.post(f"{API}/requests/{bill.pk}/transactions", {"gateway": "nope"}, content_type="application/json")
    assert bad.status_code == 422 and "gateway" in bad.json()["details"]
    transaction_id = first.json()["id"]
    for name, user in actors.items():
        response = as_user(user).get(f"{API}/transactions/{transaction_id}")
        allowed = {"payer", "clerk", "specialist", "leader", "auditor", "platform_admin"}
        assert response.status_code == (200 if name in allowed else 401 if user is None else 404), name


def test_counter_payment_only_the_clerk(bill, actors):
    counts = Counts()
    before = state_of(bill)
    for name, user in actors.items():
        if name in ("clerk", "platform_admin"):
            continue
        response = as_user(user).post(
            f"{API}/requests/{bill.pk}/counter-payment", {"amount": 210000}, content_type="application/json"
        )
        assert response.status_code in (401, 403, 404), name
    wrong = as_user(actors["clerk"]).post(
        f"{API}/requests/{bill.pk}/counter-payment", {"amount": 1}, content_type="application/json"
    )
    assert wrong.status_code == 422 and "amount" in wrong.json()["details"]
    assert state_of(bill) == before
    counts.assert_unchanged()
    paid = as_user(actors["clerk"]).post(
        f"{API}/requests/{bill.pk}/counter-payment",
        {"amount": 210000, "paper_receipt_number": "12"},
        content_type="application/json",
    )
    assert paid.status_code == 200 and paid.json()["status"] == RequestStatus.PAID
    again = as_user(actors["clerk"]).post(
        f"{API}/requests/{bill.pk}/counter-payment", {"amount": 210000}, content_type="application/json"
    )
    assert again.status_code == 409 and again.json()["code"] == "payment_request_invalid_transition"
    receipt = as_user(actors["payer"]).get(f"{API}/requests/{bill.pk}/receipt")
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"
    assert as_user(actors["other_citizen"]).get(f"{API}/requests/{bill.pk}/receipt").status_code == 404


def test_refund_only_leaders_and_administrators_of_the_agency(bill, actors, clerk):
    services.payment_record_at_counter(actor=clerk, request=bill, amount=210000)
    counts = Counts()
    for name, user in actors.items():
        if name in ("leader", "platform_admin"):
            continue
        response = as_user(user).post(
            f"{API}/requests/{bill.pk}/refund", {"reason": "Từ chối"}, content_type="application/json"
        )
        assert response.status_code in (401, 403, 404), name
    counts.assert_unchanged()
    response = as_user(actors["leader"]).post(
        f"{API}/requests/{bill.pk}/refund", {"reason": "Hồ sơ bị từ chối"}, content_type="application/json"
    )
    assert response.status_code == 201 and response.json()["status"] == "succeeded"


def test_cancel_only_the_counter_and_the_agency(bill, actors):
    counts = Counts()
    for name, user in actors.items():
        if name in ("clerk", "leader", "platform_admin"):
            continue
        response = as_user(user).post(
            f"{API}/requests/{bill.pk}/cancel", {"reason": "Hủy"}, content_type="application/json"
        )
        assert response.status_code in (401, 403, 404), name
    missing = as_user(actors["clerk"]).post(f"{API}/requests/{bill.pk}/cancel", {}, content_type="application/json")
    assert missing.status_code == 422
    counts.assert_unchanged()
    response = as_user(actors["clerk"]).post(
        f"{API}/requests/{bill.pk}/cancel", {"reason": "Rút hồ sơ"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["status"] == "cancelled"


def test_reconciliation_endpoints(agency, payer, sandbox, actors, client):
    from tests.payments.conftest import make_request

    request = make_request(agency, payer, reference="HS-API")
    _txn, url = services.payment_start(actor=payer, request=request)
    sandbox.control(callback="collect")
    sandbox.pay(url)
    post_callback(client, sandbox.state()["collected"][-1])
    day = timezone.localdate().isoformat()
    code = agency.code
    counts = Counts()
    for name, user in actors.items():
        if name in ("leader", "platform_admin"):
            continue
        response = as_user(user).post(f"{API}/reconciliation/{code}/{day}/run")
        assert response.status_code in (401, 403), name
    counts.assert_unchanged()
    made = as_user(actors["leader"]).post(f"{API}/reconciliation/{code}/{day}/run")
    assert made.status_code == 200 and made.json()[0]["mismatch_count"] == 0 and made.json()[0]["gateway_count"] == 1
    readers = {"leader", "auditor", "platform_admin"}
    for name, user in actors.items():
        listing = as_user(user).get(f"{API}/reconciliation/{code}")
        detail = as_user(user).get(f"{API}/reconciliation/{code}/{day}")
        csv = as_user(user).get(f"{API}/reconciliation/{code}/{day}/csv")
        expected = 200 if name in readers else 401 if user is None else 403
        assert (listing.status_code, detail.status_code, csv.status_code) == (expected,) * 3, name
    csv = as_user(actors["auditor"]).get(f"{API}/reconciliation/{code}/{day}/csv")
    assert csv["Content-Type"].startswith("text/csv") and "HS-API" in csv.content.decode("utf-8-sig")
    assert as_user(actors["leader"]).get(f"{API}/reconciliation/{code}/not-a-day").status_code == 422
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    assert as_user(actors["leader"]).get(f"{API}/reconciliation/{code}/{yesterday}").status_code == 404


def test_gateways_listed_for_signed_in_users(payer):
    (gateway,) = as_user(payer).get(f"{API}/gateways").json()
    assert gateway["name"] == "sandbox" and gateway["label"]
    assert as_user(None).get(f"{API}/gateways").status_code == 401
