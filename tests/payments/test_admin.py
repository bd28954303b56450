"""The admin: payments are read-only with their history; its actions and the treasury accounts go through services."""

import pytest
from django.test import Client

from motcua.core.models import AuditEvent
from motcua.core.schedule import periodic_jobs
from motcua.payments import services
from motcua.payments.models import CollectionAccount, Refund, Transaction
from motcua.payments.tasks import payments_reconciliation_task, payments_refunds_retry_task, payments_status_sweep_task
from tests.support.sessions import sign_in_with_second_factor

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(platform_admin):
    platform_admin.is_staff = platform_admin.is_superuser = True
    platform_admin.save()
    return sign_in_with_second_factor(Client(), platform_admin)


def test_requests_and_transactions_are_read_only_with_their_history(admin_client, bill, payer, sandbox):
    txn, _url = services.payment_start(actor=payer, request=bill)
    page = admin_client.get(f"/admin/payments/transaction/{txn.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200 and txn.initiator_transaction_id in html and "pending" in html
    assert 'name="_save"' not in html  # no save button: read-only
    assert admin_client.get("/admin/payments/transaction/add/").status_code == 403
    request_page = admin_client.get(f"/admin/payments/paymentrequest/{bill.pk}/change/").content.decode()
    assert "Phí cấp Phiếu lý lịch tư pháp" in request_page and "pay_token_hash" not in request_page
    for model in ("callbackrejection", "gatewaynotification", "refund", "receipt", "reconciliationreport"):
        assert admin_client.get(f"/admin/payments/{model}/").status_code == 200, model


def test_the_ask_the_gateway_action_settles_through_the_service(admin_client, bill, payer, sandbox):
    txn, url = services.payment_start(actor=payer, request=bill)
    sandbox.control(callback="drop")
    sandbox.pay(url)
    response = admin_client.post(
        "/admin/payments/transaction/", {"action": "status_query", "_selected_action": [str(txn.pk)]}
    )
    assert response.status_code == 302
    txn.refresh_from_db()
    assert txn.status == "succeeded" and AuditEvent.objects.filter(action="payments.request_paid").exists()


def test_a_collection_account_saved_in_the_admin_goes_through_the_service(admin_client, directory):
    from motcua.agencies.models import Organisation

    organisation = Organisation.objects.get(code="000.00.02.H49")
    response = admin_client.post(
        "/admin/payments/collectionaccount/add/",
        {
            "organisation": str(organisation.pk),
            "account_number": "3511.0.2000000",
            "account_name": "Sở Xây dựng – thu phí",
            "treasury_code": "0111",
            "treasury_name": "Kho bạc Nhà nước khu vực V",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert CollectionAccount.objects.get(organisation=organisation).account_number == "3511.0.2000000"
    assert AuditEvent.objects.filter(action="payments.collection_account_set").count() == 1
    refused = admin_client.post(
        "/admin/payments/collectionaccount/add/",
        {"organisation": str(organisation.pk), "account_number": "a|b", "account_name": "x", "treasury_code": "1",
         "treasury_name": "y", "is_active": "on"},
    )  # fmt: skip
    assert refused.status_code == 200 and CollectionAccount.objects.count() == 1


def test_demo_accounts_for_every_agency_once(directory):
    created = services.payments_load_demo()
    assert created > 10 and CollectionAccount.objects.count() == created
    assert services.payments_load_demo() == 0


def test_the_periodic_jobs_are_registered_and_their_tasks_run(bill, payer, sandbox, leader):
    names = {job.name: job.task for job in periodic_jobs()}
    assert names["payments.status_sweep"].endswith("payments_status_sweep_task")
    assert {"payments.refunds_retry", "payments.reconciliation"} <= set(names)
    txn, url = services.payment_start(actor=payer, request=bill)
    sandbox.control(callback="drop")
    sandbox.pay(url)
    result = payments_status_sweep_task.enqueue()
    assert result.return_value["succeeded"] == 1
    assert Transaction.objects.get(pk=txn.pk).status == "succeeded"
    assert payments_refunds_retry_task.enqueue().return_value == Refund.objects.count() == 0
    assert payments_reconciliation_task.enqueue().return_value == 0  # nothing was paid yesterday
