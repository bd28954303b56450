"""Payment requests: creation (who, what is valid), the pay link, cancelling; counter payments; refunds."""

import pytest

from motcua.core.exceptions import InvalidState, NotAuthenticated, PermissionDenied, ValidationFailed
from motcua.core.models import AuditEvent
from motcua.core.permissions import SYSTEM
from motcua.payments import selectors, services
from motcua.payments.models import PaymentLine, PaymentRequest, Refund, RequestStatus
from motcua.payments.services import FeeLine
from tests.payments.conftest import PURPOSE, make_request, settlements
from tests.payments.helpers import Counts, history, state_of

pytestmark = pytest.mark.django_db


def test_a_request_keeps_its_lines_account_and_a_pay_link_shown_once(bill, agency, payer):
    assert bill.code.startswith("TT-") and len(bill.code) == 16
    assert bill.amount == 210000 and bill.status == RequestStatus.OPEN and bill.purpose == PURPOSE
    assert list(bill.lines.values_list("code", "amount")) == [("LLTP", 200000), ("BANSAO", 10000)]
    assert bill.account_number == "3511.0.1054321" and bill.treasury_code == "0111"
    assert bill.pay_token and len(bill.pay_token) >= 30 and bill.pay_token not in bill.pay_token_hash
    assert selectors.payment_request_by_token(token=bill.pay_token).pk == bill.pk
    stored = PaymentRequest.objects.get(pk=bill.pk)
    assert stored.pay_token is None  # shown once: only its hash is kept
    event = AuditEvent.objects.get(action="payments.request_created", object_id=str(bill.pk))
    assert "pay_token_hash" not in event.after and bill.pay_token not in str(event.after)
    assert history(bill) == [("", "", "open")]


def test_officials_of_the_agency_may_ask_for_payment_others_not(agency, specialist, clerk, foreign_leader, payer):
    request = services.payment_request_create(
        actor=specialist,
        purpose=PURPOSE,
        subject_id=None,
        reference="HS-1",
        organisation=agency,
        payer_name="Nguyễn Thị Hoa",
        lines=[FeeLine(code="LP", name="Lệ phí", kind="charge", unit_amount=50000, quantity=1, amount=50000)],
    )
    assert request.created_by_label == specialist.username
    counts = Counts()
    for actor in (clerk, foreign_leader, payer):  # the clerk works at the centre, not the department
        with pytest.raises(PermissionDenied):
            services.payment_request_create(
                actor=actor,
                purpose=PURPOSE,
                subject_id=None,
                reference="HS-2",
                organisation=agency,
                payer_name="X",
                lines=[FeeLine(code="LP", name="Lệ phí", kind="charge", unit_amount=1, quantity=1, amount=1)],
            )
    counts.assert_unchanged()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"purpose": "nobody_handles_this"}, "purpose"),
        ({"payer_name": "  "}, "payer_name"),
        ({"lines": []}, "lines"),
        (
            {
                "lines": [
                    FeeLine(code="LP", name="Miễn", kind="charge", unit_amount=5, quantity=1, amount=0, exempt=True)
                ]
            },
            "lines",
        ),
        ({"lines": [FeeLine(code="LP", name="Âm", kind="charge", unit_amount=5, quantity=1, amount=-5)]}, "lines.0"),
        ({"lines": [FeeLine(code="LP", name="Loại", kind="tax", unit_amount=5, quantity=1, amount=5)]}, "lines.0"),
        ({"reference": "x" * 61}, "reference"),
    ],
)
def test_bad_requests_are_refused_and_write_nothing(agency, overrides, field):
    counts = Counts()
    arguments = {
        "actor": SYSTEM,
        "purpose": PURPOSE,
        "subject_id": None,
        "reference": "HS-1",
        "organisation": agency,
        "payer_name": "Nguyễn Thị Hoa",
        "lines": [FeeLine(code="LP", name="Lệ phí", kind="charge", unit_amount=5, quantity=1, amount=5)],
        **overrides,
    }
    with pytest.raises(ValidationFailed) as error:
        services.payment_request_create(**arguments)
    assert field in error.value.details
    counts.assert_unchanged()


def test_exempt_lines_are_kept_at_zero_for_the_receipt(agency, payer):
    request = make_request(
        agency,
        payer,
        lines=[
            FeeLine(code="LP", name="Lệ phí", kind="charge", unit_amount=50000, quantity=1, amount=50000),
            FeeLine(code="BS", name="Phí bản sao", kind="fee", unit_amount=8000, quantity=2, amount=0, exempt=True),
        ],
    )
    assert request.amount == 50000
    assert list(PaymentLine.objects.filter(request=request).values_list("exempt", "amount")) == [
        (False, 50000),
        (True, 0),
    ]


def test_cancel_by_the_counter_or_the_agency_not_by_others(bill, clerk, leader, payer, other_citizen, foreign_leader):
    counts = Counts()
    for actor in (payer, other_citizen, foreign_leader):
        with pytest.raises(PermissionDenied):
            services.payment_request_cancel(actor=actor, request=bill, reason="Hủy")
    with pytest.raises(ValidationFailed):
        services.payment_request_cancel(actor=clerk, request=bill, reason="  ")
    counts.assert_unchanged()
    cancelled = services.payment_request_cancel(actor=clerk, request=bill, reason="Người nộp rút hồ sơ")
    assert cancelled.status == RequestStatus.CANCELLED and cancelled.cancel_reason == "Người nộp rút hồ sơ"
    assert history(bill)[-1] == ("", "open", "cancelled")
    with pytest.raises(InvalidState):
        services.payment_request_cancel(actor=leader, request=bill, reason="Lần hai")


def test_a_renewed_pay_link_replaces_the_old_one(bill, clerk):
    old = bill.pay_token
    renewed = services.payment_pay_link_renew(actor=clerk, request=bill)
    assert renewed.pay_token != old
    from motcua.core.exceptions import NotFound

    with pytest.raises(NotFound):
        selectors.payment_request_by_token(token=old)
    assert selectors.payment_request_by_token(token=renewed.pay_token).pk == bill.pk


# ------------------------------------------------------------------------------------------------ counter


def test_the_clerk_records_a_counter_payment_which_settles_once(bill, clerk):
    paid = services.payment_record_at_counter(actor=clerk, request=bill, amount=210000, paper_receipt_number="0000123")
    assert paid.status == RequestStatus.PAID and paid.paid_via == "counter" and paid.recorded_by == clerk
    assert paid.paper_receipt_number == "0000123" and settlements(bill) == 1 and paid.receipt.number == 1
    assert history(bill)[-1] == ("", "open", "paid")
    assert AuditEvent.objects.filter(action="payments.request_paid_at_counter", object_id=str(bill.pk)).exists()


def test_counter_payment_needs_the_clerk_and_the_exact_amount(bill, clerk, leader, payer, foreign_leader):
    counts = Counts()
    before = state_of(bill)
    for actor in (payer, leader, foreign_leader):
        with pytest.raises(PermissionDenied):
            services.payment_record_at_counter(actor=actor, request=bill, amount=210000)
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(NotAuthenticated):
        services.payment_record_at_counter(actor=AnonymousUser(), request=bill, amount=210000)
    for amount in (200000, 0, True, "210000"):
        with pytest.raises(ValidationFailed) as error:
            services.payment_record_at_counter(actor=clerk, request=bill, amount=amount)
        assert "amount" in error.value.details
    assert state_of(bill) == before
    counts.assert_unchanged()


# ------------------------------------------------------------------------------------------------ refunds


def test_a_counter_payment_is_refunded_in_cash_by_the_agency_leader(bill, clerk, leader, payer, province_admin):
    services.payment_record_at_counter(actor=clerk, request=bill, amount=210000)
    counts = Counts()
    for actor in (clerk, payer):
        with pytest.raises(PermissionDenied):
            services.payment_refund(actor=actor, request=bill, reason="Từ chối giải quyết")
    counts.assert_unchanged()
    refund = services.payment_refund(actor=province_admin, request=bill, reason="Từ chối giải quyết hồ sơ")
    assert refund.status == Refund.Status.SUCCEEDED and refund.via == "counter" and refund.amount == 210000
    bill.refresh_from_db()
    assert bill.status == RequestStatus.REFUNDED and history(bill)[-1] == ("", "paid", "refunded")
    with pytest.raises(InvalidState):
        services.payment_refund(actor=leader, request=bill, reason="Lần hai")


def test_a_request_that_is_not_refundable_is_not_refunded(agency, payer, clerk, leader, counter_organisation):
    request = make_request(agency, payer, refundable=False, counter=counter_organisation)
    services.payment_record_at_counter(actor=clerk, request=request, amount=request.amount)
    counts = Counts()
    with pytest.raises(InvalidState) as error:
        services.payment_refund(actor=leader, request=request, reason="Từ chối")
    assert error.value.code == "payment_not_refundable"
    with pytest.raises(ValidationFailed):
        services.payment_refund(actor=leader, request=request, reason="")
    counts.assert_unchanged()


def test_an_online_payment_is_refunded_through_the_gateway_after_commit(bill, payer, leader, sandbox, client, commits):
    import json

    from tests.payments.helpers import post_callback

    txn, url = services.payment_start(actor=payer, request=bill)
    sandbox.control(callback="collect")
    sandbox.pay(url)
    post_callback(client, sandbox.state()["collected"][-1])
    with commits(execute=False) as callbacks:
        refund = services.payment_refund(actor=leader, request=bill, reason="Hồ sơ bị từ chối giải quyết")
    assert refund.status == Refund.Status.REQUESTED and len(callbacks) == 1  # nothing sent before the commit
    bill.refresh_from_db()
    assert bill.status == RequestStatus.PAID
    with pytest.raises(InvalidState) as error:
        services.payment_refund(actor=leader, request=bill, reason="Lần hai")
    assert error.value.code == "payment_refund_in_progress"
    callbacks[0]()  # the commit happens: the refund goes to the gateway
    refund.refresh_from_db()
    bill.refresh_from_db()
    txn.refresh_from_db()
    assert (
        refund.status == Refund.Status.SUCCEEDED and txn.status == "refunded" and bill.status == RequestStatus.REFUNDED
    )
    at_gateway = json.loads(json.dumps(sandbox.state()["transactions"][-1]))
    assert at_gateway["refunded"] == 210000 and at_gateway["status"] == "04"
    # Sent again (the retry job after a lost answer): the gateway refunds once per refund id.
    services.payment_refund_execute(refund_id=refund.pk)
    assert sandbox.state()["transactions"][-1]["refunded"] == 210000
