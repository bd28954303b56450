"""The payment pages: who sees what, paying from a bill or a pay link, the officials' actions, reconciliation."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from motcua.payments import services
from motcua.payments.models import RequestStatus, Transaction
from tests.payments.helpers import Counts, post_callback, state_of
from tests.support.sessions import sign_in_with_second_factor

pytestmark = pytest.mark.django_db


def as_user(user):
    client = Client()
    if user is not None:
        if getattr(user, "is_official", False):
            sign_in_with_second_factor(client, user)
        else:
            client.force_login(user)
    return client


def page(client, url, **kwargs):
    response = client.get(url, **kwargs)
    return response.status_code, response.content.decode()


def test_my_payments_and_a_bill_for_the_payer(bill, payer, other_citizen):
    status, html = page(as_user(payer), "/payments/")
    assert status == 200 and bill.code in html and "210.000 đồng" in html
    status, html = page(as_user(payer), f"/payments/requests/{bill.pk}/")
    assert status == 200 and 'id="pay-online"' in html and "Phí cấp Phiếu lý lịch tư pháp" in html
    assert "Record a payment at the counter" not in html and 'name="amount"' not in html
    assert page(as_user(other_citizen), f"/payments/requests/{bill.pk}/")[0] == 404
    assert bill.code not in page(as_user(other_citizen), "/payments/")[1]
    response = Client().get("/payments/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_paying_from_the_bill_goes_to_the_gateway_once_per_form(bill, payer, sandbox):
    client = as_user(payer)
    data = {"idempotency_key": "form-1", "gateway": "sandbox"}
    first = client.post(f"/payments/requests/{bill.pk}/start/", data)
    assert first.status_code == 302 and first["Location"].startswith(sandbox.url + "/thanh-toan/")
    again = client.post(f"/payments/requests/{bill.pk}/start/", data)
    assert again["Location"] == first["Location"] and Transaction.objects.filter(request=bill).count() == 1
    expired = client.post(f"/payments/requests/{bill.pk}/start/", {})
    assert expired.status_code == 302 and expired["Location"] == f"/payments/requests/{bill.pk}/"


def test_others_cannot_start_a_payment_from_the_page(bill, other_citizen, clerk, sandbox):
    counts = Counts()
    for user in (other_citizen, clerk):
        response = as_user(user).post(f"/payments/requests/{bill.pk}/start/", {"idempotency_key": "x"})
        assert response.status_code in (302, 404)
        assert not response.get("Location", "").startswith(sandbox.url)
    counts.assert_unchanged()


def test_the_pay_link_works_without_an_account(bill, sandbox, settings):
    client = Client()
    status, html = page(client, f"/payments/pay/{bill.pay_token}/")
    assert status == 200 and "210.000 đồng" in html and 'id="pay-online"' in html
    response = client.post(f"/payments/pay/{bill.pay_token}/start/", {"idempotency_key": "link-1", "gateway": ""})
    assert response.status_code == 302 and response["Location"].startswith(sandbox.url)
    txn = Transaction.objects.get(request=bill)
    assert txn.idempotency_scope == f"token:{bill.pk}"
    assert page(client, "/payments/pay/not-a-real-token-of-any-bill/")[0] == 404
    settings.PAYMENT_LINK_RATE_PER_MINUTE = 3
    cache.clear()  # the look-ups above counted too
    statuses = [page(Client(), f"/payments/pay/{bill.pay_token}-wrong/")[0] for _attempt in range(8)]
    assert statuses[:3] == [404, 404, 404] and 429 in statuses  # (8 in one or two minute windows: one is over)


def test_return_page_leads_a_pay_link_payer_back_to_the_link(bill, sandbox):
    client = Client()
    client.get(f"/payments/pay/{bill.pay_token}/")
    response = client.post(f"/payments/pay/{bill.pay_token}/start/", {"idempotency_key": "link-2"})
    sandbox.control(callback="before_redirect")
    paid = sandbox.pay(response["Location"])
    from tests.payments.helpers import local_path

    status, html = page(client, local_path(paid.headers["Location"]))
    assert status == 200 and f"/payments/pay/{bill.pay_token}/" in html
    bill.refresh_from_db()
    assert bill.status == RequestStatus.PAID  # the sandbox could not call back this in-process test: asked instead
    status, html = page(client, f"/payments/pay/{bill.pay_token}/")
    assert f"/payments/pay/{bill.pay_token}/receipt/" in html
    receipt = client.get(f"/payments/pay/{bill.pay_token}/receipt/")
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"


def test_the_clerk_records_a_counter_payment_from_the_page(bill, clerk, payer, leader):
    status, html = page(as_user(clerk), f"/payments/requests/{bill.pk}/")
    assert status == 200 and 'action="/payments/requests/' in html and 'name="amount"' in html
    counts = Counts()
    before = state_of(bill)
    for user in (payer, leader):
        as_user(user).post(f"/payments/requests/{bill.pk}/counter/", {"amount": 210000})
    wrong = as_user(clerk).post(f"/payments/requests/{bill.pk}/counter/", {"amount": 1000}, follow=True)
    assert "210.000" in wrong.content.decode()
    assert state_of(bill) == before
    counts.assert_unchanged()
    done = as_user(clerk).post(
        f"/payments/requests/{bill.pk}/counter/", {"amount": 210000, "note": "Tiền mặt"}, follow=True
    )
    assert done.status_code == 200
    bill.refresh_from_db()
    assert bill.status == RequestStatus.PAID and bill.counter_note == "Tiền mặt"
    receipt = as_user(payer).get(f"/payments/requests/{bill.pk}/receipt/")
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")
    assert as_user(leader).get(f"/payments/requests/{bill.pk}/").status_code == 200


def test_cancel_and_refund_from_the_page(bill, clerk, leader, payer):
    as_user(payer).post(f"/payments/requests/{bill.pk}/cancel/", {"reason": "Hủy"})
    bill.refresh_from_db()
    assert bill.status == RequestStatus.OPEN
    services.payment_record_at_counter(actor=clerk, request=bill, amount=210000)
    _status, html = page(as_user(leader), f"/payments/requests/{bill.pk}/")
    assert f"/payments/requests/{bill.pk}/refund/" in html
    as_user(clerk).post(f"/payments/requests/{bill.pk}/refund/", {"reason": "Từ chối"})
    bill.refresh_from_db()
    assert bill.status == RequestStatus.PAID
    as_user(leader).post(f"/payments/requests/{bill.pk}/refund/", {"reason": "Hồ sơ bị từ chối giải quyết"})
    bill.refresh_from_db()
    assert bill.status == RequestStatus.REFUNDED


def test_the_officials_list_shows_the_agencies_requests(bill, clerk, foreign_leader):
    status, html = page(as_user(clerk), "/payments/officials/")
    assert status == 200 and bill.code in html
    status, html = page(as_user(clerk), "/payments/officials/?status=paid")
    assert bill.code not in html
    assert bill.code not in page(as_user(foreign_leader), "/payments/officials/")[1]


def test_reconciliation_pages_and_csv(agency, payer, leader, clerk, auditor, sandbox, client):
    from tests.payments.conftest import make_request

    request = make_request(agency, payer, reference="HS-PAGE")
    _txn, url = services.payment_start(actor=payer, request=request)
    sandbox.control(callback="collect")
    sandbox.pay(url)
    post_callback(client, sandbox.state()["collected"][-1])
    day = timezone.localdate().isoformat()
    leader_client = as_user(leader)
    status, html = page(leader_client, "/payments/reconciliation/")
    assert status == 200 and f"/payments/reconciliation/{agency.code}/" in html
    made = leader_client.post(f"/payments/reconciliation/{agency.code}/", {"day": day})
    assert made.status_code == 302 and made["Location"] == f"/payments/reconciliation/{agency.code}/{day}/"
    status, html = page(leader_client, made["Location"])
    assert status == 200 and "HS-PAGE" in html and 'id="mismatches"><strong>0</strong>' in html
    csv = leader_client.get(f"/payments/reconciliation/{agency.code}/{day}/csv/")
    assert csv.status_code == 200 and "HS-PAGE" in csv.content.decode("utf-8-sig")
    assert page(as_user(auditor), f"/payments/reconciliation/{agency.code}/{day}/")[0] == 200
    auditor_run = as_user(auditor).post(f"/payments/reconciliation/{agency.code}/", {"day": day})
    assert auditor_run.status_code == 403
    for url in (
        "/payments/reconciliation/",
        f"/payments/reconciliation/{agency.code}/",
        f"/payments/reconciliation/{agency.code}/{day}/csv/",
    ):
        assert as_user(clerk).get(url).status_code == 404
        assert as_user(payer).get(url).status_code == 404
