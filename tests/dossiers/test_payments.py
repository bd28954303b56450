"""A dossier's bills (payments app): fees at application, the financial obligation of status 6, paying online
through the sandbox process or at the counter, the settlement into the dossier, refunds and cancellations, who is
told what, and what the national portal hears."""

from __future__ import annotations

import pytest

from motcua.core.exceptions import InvalidState, NotAuthenticated, NotFound, PermissionDenied, ValidationFailed
from motcua.core.permissions import SYSTEM
from motcua.dossiers import services
from motcua.dossiers.billing import open_requests_of
from motcua.dossiers.models import Dossier, DossierEvent, DossierStatus
from motcua.dossiers.national_portal.records import dossier_sync_record
from motcua.notifications.models import Notification
from motcua.payments.models import (
    PaymentRequest,
    Refund,
    RequestStatus,
    Transaction,
    TransactionFlag,
    TransactionStatus,
)
from tests.dossiers.conftest import Counts, fees_paid_at_counter, received, state_of, submit, upload
from tests.dossiers.factories import (
    MONDAY,
    PNG_BYTES,
    QN_CENTRE,
    QN_JUSTICE,
    at,
    judicial_record_content,
    version_create,
)
from tests.payments.helpers import post_callback

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

ELDERLY = "Người cao tuổi"


# --- fixtures -------------------------------------------------------------------------------------------------


@pytest.fixture
def refundable_version(directory):
    return version_create(judicial_record_content(code="9.000020", fees_refunded_on_refusal=True))


@pytest.fixture
def partial_version(directory):
    return version_create(judicial_record_content(code="9.000021", online_level="partial"))


@pytest.fixture
def copies_version(directory):
    fees = [
        {"code": "LLTP", "name": "Phí cấp Phiếu", "kind": "fee", "amount": 200000, "exempt_categories": [ELDERLY]},
        {"code": "THEM", "name": "Phiếu thêm", "kind": "fee", "amount": 5000, "basis": "per_copy"},
    ]
    return version_create(judicial_record_content(code="9.000022", fees=fees))


def bill_of(dossier, purpose="dossier_fees"):
    return PaymentRequest.objects.get(subject_id=dossier.pk, purpose=purpose)


def actions_of(dossier):
    return list(DossierEvent.objects.filter(dossier=dossier).order_by("sequence").values_list("action", flat=True))


def pay_online(sandbox, client, dossier, bill, *, actor=None, key="k-1"):
    """The applicant pays on the sandbox's hosted page; its signed notification is posted to Motcua's callback."""
    _txn, url = services.dossier_payment_start(
        actor=actor or dossier.applicant, dossier=dossier, payment_request_id=bill.pk, idempotency_key=key
    )
    assert sandbox.pay(url).status_code == 303
    notification = sandbox.state()["collected"][-1]
    answer = post_callback(client, notification)
    assert answer.status_code == 200 and answer.json()["MaLoi"] == "00"
    return notification


def processing_dossier(citizen, version, clerk):
    dossier = received(citizen, version, clerk, at=MONDAY)
    return services.dossier_forward(actor=clerk, dossier=dossier, at=at(2, 10))


def counter_dossier(clerk, version, **applicant):
    return services.dossier_receive_at_counter(
        actor=clerk,
        procedure_version=version,
        applicant={"kind": "citizen", "full_name": "Trần Văn Nam", "identifier": "022085000777", **applicant},
        form_data={"full_name": "Trần Văn Nam", "personal_id": "022085000777", "purpose": "work"},
        paper_components=["to_khai", "cccd"],
        at=MONDAY,
    )


# --- fees at application --------------------------------------------------------------------------------------


def test_submission_bills_the_procedures_fees_with_the_dossier(citizen, version, clerk):
    dossier = submit(citizen, version, paid=False)
    bill = bill_of(dossier)
    assert (bill.amount, bill.status, bill.reference, bill.payer_user) == (200000, "open", dossier.code, citizen)
    assert bill.organisation.code == QN_JUSTICE and bill.counter_organisation.code == QN_CENTRE  # MaDonVi, desk
    assert (bill.procedure_code, bill.payer_identifier, bill.refundable) == ("1.001193", "022190000123", False)
    assert [(line.code, line.amount) for line in bill.lines.all()] == [("LLTP", 200000)]
    assert (dossier.fees_due, dossier.fees_paid) == (200000, 0)
    submitted = DossierEvent.objects.get(dossier=dossier, action="submit")
    assert submitted.details == {"fees_due": 200000, "payment_request": bill.code}
    # The bill is told with the dossier's own message: payments says nothing of it.
    assert not Notification.objects.filter(event="payments.requested").exists()


def test_copies_and_the_declared_exemption_make_the_bill(citizen, copies_version):
    three = submit(citizen, copies_version, paid=False, copies=3)
    assert three.fees_due == 215000 and three.fee_copies == 3
    assert [(line.code, line.quantity, line.amount) for line in bill_of(three).lines.all()] == [
        ("LLTP", 1, 200000),
        ("THEM", 3, 15000),
    ]
    exempt = submit(citizen, copies_version, paid=False, applicant_category=ELDERLY)
    assert (exempt.fees_due, exempt.fee_exemption_category) == (5000, ELDERLY)
    lines = list(bill_of(exempt).lines.all())
    assert [(line.code, line.amount, line.exempt) for line in lines] == [("LLTP", 0, True), ("THEM", 5000, False)]


def test_nothing_to_pay_makes_no_bill(citizen, directory):
    free = version_create(judicial_record_content(code="9.000023", fees=[]))
    dossier = submit(citizen, free, paid=False)
    assert dossier.fees_due == 0 and not PaymentRequest.objects.filter(subject_id=dossier.pk).exists()
    all_exempt = version_create(
        judicial_record_content(
            code="9.000024",
            fees=[{"code": "LP", "name": "Lệ phí", "amount": 50000, "exempt_categories": [ELDERLY]}],
        )
    )
    dossier = submit(citizen, all_exempt, paid=False, applicant_category=ELDERLY)
    assert dossier.fees_due == 0 and not PaymentRequest.objects.filter(subject_id=dossier.pk).exists()


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"copies": 0}, "fees.copies"),
        ({"copies": 1001}, "fees.copies"),
        ({"applicant_category": "Sinh viên"}, "fees.applicant_category"),  # not a group this procedure exempts
    ],
)
def test_wrong_fee_answers_are_refused_and_change_nothing(citizen, copies_version, answers, field):
    files = [
        services.FileRef(component_code="to_khai", upload_id=upload(citizen).pk),
        services.FileRef(component_code="cccd", upload_id=upload(citizen, "cccd.png", PNG_BYTES).pk),
    ]
    counts = Counts()
    with pytest.raises(ValidationFailed) as error:
        submit(citizen, copies_version, paid=False, files=files, **answers)
    assert field in error.value.details
    counts.assert_unchanged()
    assert PaymentRequest.objects.count() == 0


# --- receipt and return wait for the money -------------------------------------------------------------------


def test_a_full_process_dossier_is_received_only_once_its_fees_are_paid(citizen, version, clerk):
    dossier = submit(citizen, version, paid=False)
    before = state_of(dossier)
    with pytest.raises(InvalidState) as error:
        services.dossier_accept(actor=clerk, dossier=dossier)
    assert error.value.code == "dossier_fees_unpaid" and state_of(dossier) == before

    paid = services.dossier_payment_record_at_counter(
        actor=clerk, dossier=dossier, amount=200000, paper_receipt_number="0001234"
    )
    assert (paid.status, paid.paid_via, paid.recorded_by, paid.paper_receipt_number) == (
        "paid",
        "counter",
        clerk,
        "0001234",
    )
    dossier.refresh_from_db()
    assert (dossier.status, dossier.fees_paid, dossier.payment_reference) == ("new", 200000, paid.code)
    recorded = DossierEvent.objects.get(dossier=dossier, action="record_fees")
    assert recorded.actor == clerk and recorded.details["paid_via"] == "counter"
    assert services.dossier_accept(actor=clerk, dossier=dossier).status == DossierStatus.ACCEPTED


def test_a_partly_online_dossier_is_received_unpaid_but_its_result_waits_for_the_fees(
    citizen, partial_version, clerk, specialist, unit_head, leader
):
    dossier = submit(citizen, partial_version, paid=False)
    dossier = services.dossier_accept(actor=clerk, dossier=dossier, at=MONDAY)
    for actor in (clerk, specialist, unit_head):
        dossier = services.dossier_forward(actor=actor, dossier=dossier, at=at(3))
    dossier = services.dossier_approve(actor=leader, dossier=dossier, at=at(4))
    before = state_of(dossier)
    with pytest.raises(InvalidState) as error:
        services.dossier_return_result(actor=clerk, dossier=dossier, method="counter")
    assert error.value.code == "dossier_fees_unpaid" and state_of(dossier) == before
    services.dossier_payment_record_at_counter(actor=clerk, dossier=dossier, amount=200000)
    dossier = services.dossier_return_result(actor=clerk, dossier=Dossier.objects.get(pk=dossier.pk), method="counter")
    assert dossier.status == DossierStatus.RETURNED


def test_only_a_clerk_of_the_dossier_records_cash_and_only_the_exact_amount_once(
    citizen, other_citizen, version, clerk, specialist, foreign_clerk
):
    dossier = submit(citizen, version, paid=False)
    bill = bill_of(dossier)
    other = submit(other_citizen, version, paid=False)
    before, counts = state_of(dossier), Counts()
    refused = [
        (citizen, PermissionDenied),  # the applicant sees the dossier but takes no cash
        (specialist, PermissionDenied),
        (other_citizen, NotFound),
        (foreign_clerk, NotFound),  # another province's desk: not even told it exists
        (None, NotAuthenticated),
    ]
    for actor, expected in refused:
        with pytest.raises(expected):
            services.dossier_payment_record_at_counter(actor=actor, dossier=dossier, amount=200000)
    with pytest.raises(ValidationFailed) as error:
        services.dossier_payment_record_at_counter(actor=clerk, dossier=dossier, amount=100000)
    assert "200.000" in error.value.details["amount"][0]
    with pytest.raises(NotFound):  # a bill of another dossier
        services.dossier_payment_record_at_counter(
            actor=clerk, dossier=dossier, amount=200000, payment_request_id=bill_of(other).pk
        )
    assert state_of(dossier) == before and bill_of(dossier).status == bill_of(other).status == "open"
    counts.assert_unchanged()

    services.dossier_payment_record_at_counter(actor=clerk, dossier=dossier, amount=200000)
    with pytest.raises(InvalidState) as error:
        services.dossier_payment_record_at_counter(
            actor=clerk, dossier=dossier, amount=200000, payment_request_id=bill.pk
        )
    assert error.value.code == "payment_request_not_open"
    with pytest.raises(InvalidState) as error:
        services.dossier_payment_record_at_counter(actor=clerk, dossier=dossier, amount=200000)
    assert error.value.code == "dossier_nothing_to_pay"
    assert actions_of(dossier).count("record_fees") == 1


# --- paying online through the sandbox ------------------------------------------------------------------------


def test_paid_online_the_dossier_records_it_once_and_the_portal_hears_it(citizen, version, sandbox, client):
    dossier = submit(citizen, version, paid=False)
    bill = bill_of(dossier)
    notification = pay_online(sandbox, client, dossier, bill)
    bill.refresh_from_db()
    dossier.refresh_from_db()
    assert (bill.status, bill.paid_via) == ("paid", "gateway") and dossier.fees_paid == 200000
    recorded = DossierEvent.objects.get(dossier=dossier, action="record_fees")
    assert recorded.actor == citizen and recorded.details["paid_via"] == "gateway"  # the applicant paid
    # The gateway retries: answered, recorded nothing twice.
    assert post_callback(client, notification).json()["MaLoi"] == "00"
    assert actions_of(dossier) == ["submit", "record_fees"]
    record = dossier_sync_record(dossier=dossier)
    assert record.DuocThanhToanTrucTuyen == 1  # the sandbox speaks the national payment platform's protocol
    assert [(line.MaPhiLePhi, line.HinhThucThu, line.Gia) for line in record.DanhSachLePhi] == [("LLTP", 2, 200000)]
    told = Notification.objects.get(user=citizen, event="payments.succeeded", channel="inbox")
    assert dossier.code in told.subject and f"/payments/requests/{bill.pk}/receipt/" in told.body
    assert told.link.endswith(f"/dossiers/mine/{dossier.code}/")


def test_a_local_gateway_is_reported_as_such(citizen, version, sandbox, client, settings):
    settings.NATIONAL_PORTAL_PAYMENT_GATEWAYS = []  # the sandbox stands for a provincial gateway here
    dossier = submit(citizen, version, paid=False)
    pay_online(sandbox, client, dossier, bill_of(dossier))
    assert dossier_sync_record(dossier=dossier).DuocThanhToanTrucTuyen == 2
    counter = submit(citizen, version)  # paid at the counter: not online
    assert dossier_sync_record(dossier=counter).DuocThanhToanTrucTuyen == 0
    assert dossier_sync_record(dossier=counter).DanhSachLePhi[0].HinhThucThu == 1


def test_only_the_applicant_pays_their_dossier_online_and_only_an_open_bill(
    citizen, other_citizen, version, clerk, sandbox, client
):
    dossier = submit(citizen, version, paid=False)
    bill = bill_of(dossier)
    for actor, expected in ((other_citizen, NotFound), (clerk, NotFound), (None, NotAuthenticated)):
        with pytest.raises(expected):
            services.dossier_payment_start(actor=actor, dossier=dossier, payment_request_id=bill.pk)
    assert not Transaction.objects.exists()
    fees_paid_at_counter(dossier, actor=clerk)
    with pytest.raises(InvalidState) as error:
        services.dossier_payment_start(actor=citizen, dossier=dossier, payment_request_id=bill.pk)
    assert error.value.code == "payment_request_not_open"
    assert not Transaction.objects.exists()


def test_paying_online_a_bill_already_paid_at_the_counter_is_refunded(citizen, version, clerk, sandbox, client):
    dossier = submit(citizen, version, paid=False)
    bill = bill_of(dossier)
    _txn, url = services.dossier_payment_start(actor=citizen, dossier=dossier, payment_request_id=bill.pk)
    services.dossier_payment_record_at_counter(actor=clerk, dossier=dossier, amount=200000)  # meanwhile, in cash
    sandbox.pay(url)
    assert post_callback(client, sandbox.state()["collected"][-1]).json()["MaLoi"] == "00"
    txn = Transaction.objects.get(request=bill)
    assert (txn.status, txn.flag) == (TransactionStatus.SUCCEEDED, TransactionFlag.DUPLICATE_PAYMENT)
    assert Refund.objects.filter(transaction=txn, kind=Refund.Kind.DUPLICATE).exists()
    assert actions_of(dossier).count("record_fees") == 1 and Dossier.objects.get(pk=dossier.pk).fees_paid == 200000


def test_a_payment_arriving_for_a_withdrawn_dossier_is_refunded_not_recorded(citizen, version, sandbox, client):
    dossier = submit(citizen, version, paid=False)
    bill = bill_of(dossier)
    _txn, url = services.dossier_payment_start(actor=citizen, dossier=dossier, payment_request_id=bill.pk)
    services.dossier_withdraw(actor=citizen, dossier=dossier, reason="Không cần nữa")
    bill.refresh_from_db()
    assert bill.status == RequestStatus.CANCELLED and "Không cần nữa" in bill.cancel_reason
    withdrawn = DossierEvent.objects.get(dossier=dossier, action="withdraw")
    assert withdrawn.details["payments_cancelled"] == [bill.code]

    sandbox.pay(url)  # the payer had the gateway's page open: the money is taken all the same
    assert post_callback(client, sandbox.state()["collected"][-1]).json()["MaLoi"] == "00"
    txn = Transaction.objects.get(request=bill)
    assert txn.flag == TransactionFlag.LATE_AFTER_CANCEL
    assert Refund.objects.get(transaction=txn).kind == Refund.Kind.DUPLICATE
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.WITHDRAWN and dossier.fees_paid == 0
    assert "record_fees" not in actions_of(dossier)


def test_status_6_paid_online_resumes_processing(citizen, version, clerk, specialist, sandbox, client):
    dossier = processing_dossier(citizen, version, clerk)
    dossier = services.dossier_request_payment(actor=specialist, dossier=dossier, amount=150000, note="Phí xác minh")
    obligation = bill_of(dossier, "dossier_obligation")
    assert [(line.code, line.name, line.amount) for line in obligation.lines.all()] == [
        ("NVTC", "Phí xác minh", 150000)
    ]
    assert dossier.fees_due == 350000 and dossier.status == DossierStatus.FINANCIAL_OBLIGATION
    pay_online(sandbox, client, dossier, obligation)
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.PROCESSING and dossier.fees_paid == 350000
    assert dossier.deadline_paused_at is None and dossier.deadline_running_since is not None
    assert actions_of(dossier)[-2:] == ["request_payment", "record_payment"]


def test_paying_from_the_tracking_page_needs_the_receipts_secret(version, clerk, specialist, sandbox):
    dossier = counter_dossier(clerk, version, email="nam@example.vn")
    secret = dossier.lookup_secret
    dossier = services.dossier_forward(actor=clerk, dossier=dossier, at=at(2, 10))
    services.dossier_request_payment(actor=specialist, dossier=dossier, amount=150000)
    obligation = bill_of(dossier, "dossier_obligation")
    with pytest.raises(NotFound):
        services.dossier_payment_start_with_secret(
            code=dossier.code, secret="WRONGSECRET", payment_request_id=obligation.pk
        )
    assert not Transaction.objects.exists()
    txn, url = services.dossier_payment_start_with_secret(
        code=dossier.code, secret=secret, payment_request_id=obligation.pk, idempotency_key="t-1"
    )
    assert url.startswith(sandbox.url) and txn.return_url == f"/dossiers/track/?code={dossier.code}"


# --- status 6: what is asked --------------------------------------------------------------------------------


def test_an_obligation_is_an_amount_or_lines_of_the_procedures_fees(citizen, copies_version, clerk, specialist):
    dossier = processing_dossier(citizen, copies_version, clerk)
    before, counts = state_of(dossier), Counts()
    wrong = [
        ({}, "amount"),
        ({"amount": 0}, "amount"),
        ({"amount": 1000, "fee_codes": ["LLTP"]}, "amount"),
        ({"fee_codes": ["KHONG"]}, "fee_codes"),
        ({"fee_codes": ["THEM"], "copies": 0}, "copies"),
        ({"amount": 1000, "note": "x" * 301}, "note"),
    ]
    for arguments, field in wrong:
        with pytest.raises(ValidationFailed) as error:
            services.dossier_request_payment(actor=specialist, dossier=dossier, **arguments)
        assert field in error.value.details, arguments
    assert state_of(dossier) == before
    counts.assert_unchanged()
    assert not PaymentRequest.objects.filter(purpose="dossier_obligation").exists()

    dossier = services.dossier_request_payment(actor=specialist, dossier=dossier, fee_codes=["THEM"], copies=4)
    lines = list(bill_of(dossier, "dossier_obligation").lines.all())
    assert [(line.code, line.quantity, line.amount) for line in lines] == [("THEM", 4, 20000)]


def test_someone_without_an_account_is_sent_the_pay_link_an_account_holder_the_dossier(
    citizen, version, clerk, specialist
):
    walk_in = counter_dossier(clerk, version, email="nam@example.vn")
    walk_in = services.dossier_forward(actor=clerk, dossier=walk_in, at=at(2, 10))
    services.dossier_request_payment(actor=specialist, dossier=walk_in, amount=150000)
    mail = Notification.objects.get(event="dossiers.payment_requested", address="nam@example.vn")
    assert "/payments/pay/" in mail.body and "150.000 đồng" in mail.body
    # The link works: it opens the bill of this dossier.
    token = mail.body.split("/payments/pay/", 1)[1].split("/", 1)[0]
    from motcua.payments.selectors import payment_request_by_token

    assert payment_request_by_token(token=token).subject_id == walk_in.pk

    online = processing_dossier(citizen, version, clerk)
    services.dossier_request_payment(actor=specialist, dossier=online, amount=150000)
    told = Notification.objects.get(user=citizen, event="dossiers.payment_requested", channel="email")
    assert "/payments/pay/" not in told.body and told.link.endswith(f"/dossiers/mine/{online.code}/")
    assert not Notification.objects.filter(event="payments.requested").exists()


# --- ends: cancellations and refunds --------------------------------------------------------------------------


def test_stopping_cancels_the_unpaid_obligation(citizen, version, clerk, specialist, leader):
    dossier = processing_dossier(citizen, version, clerk)
    dossier = services.dossier_request_payment(actor=specialist, dossier=dossier, amount=150000)
    services.dossier_stop(actor=leader, dossier=dossier, reason="Người yêu cầu đã mất")
    assert bill_of(dossier, "dossier_obligation").status == RequestStatus.CANCELLED
    assert bill_of(dossier).status == RequestStatus.PAID  # the fees paid earlier stay paid (no refund on a stop)


def test_a_refusal_refunds_the_fees_where_the_procedure_says_so(citizen, refundable_version, version, clerk, leader):
    refused = services.dossier_refuse(
        actor=leader, dossier=processing_dossier(citizen, refundable_version, clerk), reasons=["Không đủ điều kiện"]
    )
    bill = bill_of(refused)
    # Paid in cash: handed back in cash at once.
    assert bill.status == RequestStatus.REFUNDED and bill.refunds.get().status == Refund.Status.SUCCEEDED
    assert DossierEvent.objects.get(dossier=refused, action="refuse").details["payments_refunded"] == [bill.code]
    told = Notification.objects.get(user=refused.applicant, event="payments.refunded", channel="inbox")
    assert "Không đủ điều kiện" in told.body

    kept = services.dossier_refuse(
        actor=leader, dossier=processing_dossier(citizen, version, clerk), reasons=["Không đủ điều kiện"]
    )
    assert bill_of(kept).status == RequestStatus.PAID and not bill_of(kept).refunds.exists()


def test_refusing_to_receive_cancels_an_unpaid_bill_and_refunds_a_paid_refundable_one(
    citizen, refundable_version, clerk
):
    unpaid = submit(citizen, refundable_version, paid=False)
    services.dossier_refuse_receipt(actor=clerk, dossier=unpaid, reasons=["Thiếu tờ khai"])
    assert bill_of(unpaid).status == RequestStatus.CANCELLED
    paid = submit(citizen, refundable_version)
    services.dossier_refuse_receipt(actor=clerk, dossier=paid, reasons=["Thiếu tờ khai"])
    assert bill_of(paid).status == RequestStatus.REFUNDED


def test_a_refusal_rolled_back_refunds_and_cancels_nothing(citizen, refundable_version, clerk, leader):
    from django.db import transaction

    dossier = processing_dossier(citizen, refundable_version, clerk)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.dossier_refuse(actor=leader, dossier=dossier, reasons=["x"])
        raise RuntimeError("the process dies before the commit")
    assert bill_of(dossier).status == RequestStatus.PAID and not Refund.objects.exists()


# --- the settlement handler -----------------------------------------------------------------------------------


def test_the_transition_is_never_made_without_its_bill_being_settled(citizen, version, clerk, specialist):
    dossier = processing_dossier(citizen, version, clerk)
    dossier = services.dossier_request_payment(actor=specialist, dossier=dossier, amount=150000)
    obligation = bill_of(dossier, "dossier_obligation")
    fees = bill_of(dossier)
    before = state_of(dossier)
    for call in (
        lambda: services.dossier_record_payment(actor=SYSTEM, dossier=dossier, payment_request=obligation),
        lambda: services.dossier_record_payment(actor=SYSTEM, dossier=dossier, payment_request=fees),
        lambda: services.dossier_record_fees(actor=SYSTEM, dossier=dossier, payment_request=obligation),
    ):
        with pytest.raises(InvalidState) as error:
            call()
        assert error.value.code in ("dossier_payment_not_settled", "dossier_invalid_transition")
    with pytest.raises(PermissionDenied):  # a clerk cannot make the transition by hand either
        services.dossier_record_payment(actor=specialist, dossier=dossier, payment_request=obligation)
    assert state_of(dossier) == before and open_requests_of(dossier) == [obligation]
