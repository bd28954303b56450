"""Who payments tells, and what: the bill (with the pay link for someone without an account), the payment
received with its receipt, a payment that did not go through or expired, a refund; once per event, in the
payer's language; nothing for what the purpose's own app tells."""

from __future__ import annotations

import pytest

from motcua.notifications.models import Notification
from motcua.notifications.services import Recipient
from motcua.payments import services
from motcua.payments.notifying import (
    PAYMENT_REQUESTED,
    PAYMENT_SUCCEEDED,
    payment_notices_register,
    payment_notices_unregister,
    payment_notify,
)
from tests.payments.conftest import PURPOSE, make_request
from tests.payments.helpers import post_callback

pytestmark = pytest.mark.django_db


def told(**filters):
    return sorted(Notification.objects.filter(**filters).values_list("event", "channel"))


@pytest.fixture
def contact_purpose():
    """The test purpose tells a payer without an account by the contact it knows (as dossiers does)."""
    payment_notices_register(
        PURPOSE,
        recipients=lambda request: [Recipient(email="nam@example.vn", phone="0987654321", name=request.payer_name)],
        link=lambda request: f"/track/{request.reference}/",
    )
    yield
    payment_notices_unregister(PURPOSE)


def test_the_payer_with_an_account_is_told_of_the_bill_and_of_the_payment_with_its_receipt(
    agency, payer, clerk, counter_organisation
):
    payer.preferred_language = "en"
    payer.save()
    bill = make_request(agency, payer, counter=counter_organisation)
    assert {event for event, _channel in told(user=payer)} == {"payments.requested"}
    assert {("payments.requested", "email"), ("payments.requested", "inbox")} <= set(told(user=payer))
    asked = Notification.objects.get(user=payer, event="payments.requested", channel="inbox")
    assert asked.subject == f"Payment {bill.code} requested by Sở Tư pháp tỉnh Quảng Ninh"
    assert asked.link.endswith(f"/payments/requests/{bill.pk}/") and "/payments/pay/" not in asked.body
    assert "210.000 đồng" in asked.body

    services.payment_record_at_counter(actor=clerk, request=bill, amount=bill.amount)
    paid = Notification.objects.get(user=payer, event="payments.succeeded", channel="inbox")
    bill.refresh_from_db()
    assert paid.subject == f"Payment received for {bill.reference}"
    assert f"series {bill.receipt.series}, No. {bill.receipt.number_text}" in paid.body
    assert f"/payments/requests/{bill.pk}/receipt/" in paid.body and "at the one-stop desk" in paid.body


def test_in_vietnamese_by_default(agency, payer):
    make_request(agency, payer)
    asked = Notification.objects.get(user=payer, event="payments.requested", channel="inbox")
    assert asked.language == "vi" and "requested by" not in asked.subject


def test_someone_without_an_account_is_told_only_by_the_contact_the_purpose_gives(agency, contact_purpose):
    bill = make_request(agency, None)
    mail = Notification.objects.get(event="payments.requested", channel="email")
    assert mail.address == "nam@example.vn" and mail.user is None
    assert f"/payments/pay/{bill.pay_token}/" in mail.body  # the pay link: its token exists only now
    assert Notification.objects.filter(event="payments.requested", channel="sms").exists()
    assert not Notification.objects.filter(channel="inbox").exists()  # no account, no inbox


def test_without_an_account_or_a_contact_nobody_is_told(agency):
    make_request(agency, None)
    assert not Notification.objects.exists()


def test_an_event_the_purpose_tells_itself_is_not_told_twice(agency, payer, clerk, counter_organisation):
    payment_notices_register(PURPOSE, told_by_purpose={PAYMENT_REQUESTED})
    try:
        bill = make_request(agency, payer, counter=counter_organisation)
        assert not Notification.objects.filter(event="payments.requested").exists()
        services.payment_record_at_counter(actor=clerk, request=bill, amount=bill.amount)
        assert Notification.objects.filter(event="payments.succeeded", user=payer).exists()
    finally:
        payment_notices_unregister(PURPOSE)


def test_the_same_event_is_told_once(bill, clerk):
    services.payment_record_at_counter(actor=clerk, request=bill, amount=bill.amount)
    before = Notification.objects.count()
    payment_notify(event=PAYMENT_SUCCEEDED, request=bill)  # a repeated call (a retried job) tells nobody again
    assert Notification.objects.count() == before


def test_a_failed_and_an_expired_payment_are_told(bill, payer, sandbox, client):
    from tests.payments.test_transactions import paid_at_sandbox, started

    _txn, url = started(bill, payer)
    body, _return = paid_at_sandbox(sandbox, url, action="cancel")
    assert post_callback(client, body).json()["MaLoi"] == "00"
    failed = Notification.objects.get(user=payer, event="payments.failed", channel="inbox")
    assert bill.code in failed.subject and failed.link.endswith(f"/payments/requests/{bill.pk}/")
    assert told(user=payer, event="payments.failed") == [("payments.failed", "email"), ("payments.failed", "inbox")]


def test_a_refund_is_told_with_its_reason(bill, payer, clerk, leader):
    services.payment_record_at_counter(actor=clerk, request=bill, amount=bill.amount)
    services.payment_refund(actor=leader, request=bill, reason="Hồ sơ bị từ chối giải quyết")
    refunded = Notification.objects.get(user=payer, event="payments.refunded", channel="inbox")
    assert "Hồ sơ bị từ chối giải quyết" in refunded.body and "210.000 đồng" in refunded.body


def test_unknown_events_are_programming_errors(agency, payer):
    bill = make_request(agency, payer)
    with pytest.raises(ValueError):
        payment_notify(event="payments.nothing", request=bill)
    with pytest.raises(ValueError):
        payment_notices_register(PURPOSE, told_by_purpose={"payments.nothing"})
