"""Online payments through the sandbox process: start, idempotency, the state machine, every kind of callback,
the browser's return, the status job, expiry, a second payment of the same request."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest
from django.utils import timezone

from motcua.core.exceptions import (
    Conflict,
    InvalidState,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from motcua.core.models import AuditEvent
from motcua.core.permissions import SYSTEM
from motcua.payments import services
from motcua.payments.errors import GatewayUnavailable
from motcua.payments.gateways import protocol as p
from motcua.payments.models import (
    CallbackRejection,
    CollectionAccount,
    GatewayNotification,
    PaymentEvent,
    Refund,
    RequestStatus,
    Transaction,
    TransactionFlag,
    TransactionStatus,
)
from motcua.payments.workflow import (
    REQUEST_TRANSITIONS,
    TRANSACTION_TRANSITIONS,
    request_transition_check,
    transaction_transition_check,
)
from tests.payments.conftest import make_request, settlements
from tests.payments.helpers import Counts, history, local_path, post_callback, state_of
from tests.support.payment_sandbox import signed_notification

pytestmark = pytest.mark.django_db
T = TransactionStatus


def started(bill, payer, key="key-1"):
    txn, url = services.payment_start(actor=payer, request=bill, idempotency_key=key)
    return txn, url


def paid_at_sandbox(sandbox, url, *, action="pay"):
    """The payer pays (or cancels) on the hosted page; the sandbox keeps its notifications for the test."""
    sandbox.control(callback="collect")
    response = sandbox.pay(url, action=action)
    assert response.status_code == 303
    return sandbox.state()["collected"][-1], response.headers["Location"]


# ------------------------------------------------------------------------------------------------ start


def test_start_creates_a_pending_transaction_at_the_gateway_with_the_bill(bill, payer, sandbox):
    txn, url = started(bill, payer)
    assert txn.status == T.PENDING and url == txn.payment_url and url.startswith(sandbox.url + "/thanh-toan/")
    assert len(txn.initiator_transaction_id) == 20 and txn.initiator_transaction_id.startswith("MC")
    assert txn.amount == bill.amount == 210000
    at_gateway = sandbox.state()["transactions"][-1]
    assert at_gateway["reference"] == txn.initiator_transaction_id and at_gateway["amount"] == 210000
    bill_sent = json.loads(at_gateway["bill"])
    assert bill_sent["MaDonVi"] == "000.00.01.H49" and bill_sent["MaHoSo"] == bill.reference
    assert bill_sent["MaTTHC"] == "1.001193" and bill_sent["TaiKhoanThuHuong"] == "3511.0.1054321"
    assert bill_sent["HoTenNguoiNop"] == "Nguyễn Thị Hoa" and bill_sent["SoDinhDanhNguoiNop"] == "022190000123"
    assert [line["SoTien"] for line in bill_sent["DanhSachPhiLePhi"]] == [200000, 10000]
    assert [line["LoaiPhiLePhi"] for line in bill_sent["DanhSachPhiLePhi"]] == [1, 1]
    assert history(bill) == [
        ("", "", "open"),
        (txn.initiator_transaction_id, "", "created"),
        (txn.initiator_transaction_id, "created", "pending"),
    ]
    assert AuditEvent.objects.filter(action="payments.transaction_started", object_id=str(txn.pk)).exists()


def test_idempotency_key_returns_the_same_transaction_and_refuses_another_payload(bill, payer, sandbox, agency):
    first, url = started(bill, payer, key="same")
    counts = Counts()
    again, again_url = started(bill, payer, key="same")
    assert again.pk == first.pk and again_url == url
    counts.assert_unchanged()
    assert len(sandbox.state()["transactions"]) == 1
    other = make_request(agency, payer, reference="OTHER-1")
    counts = Counts()
    with pytest.raises(Conflict) as error:
        started(other, payer, key="same")
    assert error.value.code == "idempotency_key_reused" and error.value.http_status == 409
    counts.assert_unchanged()
    # Without a key, each call is a new attempt (two tabs).
    third, _url = services.payment_start(actor=payer, request=bill)
    assert third.pk != first.pk


def test_only_the_payer_or_the_pay_link_may_start(bill, payer, other_citizen, clerk, sandbox):
    counts = Counts()
    for actor in (other_citizen, clerk):
        with pytest.raises(PermissionDenied):
            services.payment_start(actor=actor, request=bill)
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(NotAuthenticated):
        services.payment_start(actor=AnonymousUser(), request=bill)
    with pytest.raises(NotFound):
        services.payment_start(actor=AnonymousUser(), request=bill, pay_token="not-the-token-of-this-bill-xx")
    counts.assert_unchanged()
    txn, _url = services.payment_start(actor=AnonymousUser(), request=bill, pay_token=bill.pay_token)
    assert txn.status == T.PENDING and txn.idempotency_scope == ""


def test_start_refused_when_not_open_or_no_treasury_account(bill, payer, agency, sandbox):
    services.payment_request_cancel(actor=SYSTEM, request=bill, reason="Rút hồ sơ")
    counts = Counts()
    with pytest.raises(InvalidState) as error:
        started(bill, payer)
    assert error.value.code == "payment_request_not_open"
    CollectionAccount.objects.all().delete()
    without_account = make_request(agency, payer, reference="NO-ACCOUNT")
    counts = Counts()
    with pytest.raises(InvalidState) as error:
        started(without_account, payer)
    assert error.value.code == "collection_account_missing"
    counts.assert_unchanged()


def test_gateway_down_fails_the_attempt_and_says_so(bill, payer, settings):
    settings.PAYMENT_SANDBOX_URL = "http://127.0.0.1:9"  # nothing listens
    with pytest.raises(GatewayUnavailable) as error:
        started(bill, payer)
    assert error.value.http_status == 503
    txn = Transaction.objects.get(request=bill)
    assert txn.status == T.FAILED and "did not answer" in txn.failure_reason
    bill.refresh_from_db()
    assert bill.status == RequestStatus.OPEN


def test_a_return_url_must_be_a_local_path(bill, payer, sandbox):
    for url in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        with pytest.raises(ValidationFailed):
            services.payment_start(actor=payer, request=bill, return_url=url)
    txn, _url = services.payment_start(actor=payer, request=bill, return_url="/dossiers/mine/")
    assert txn.return_url == "/dossiers/mine/"


# ------------------------------------------------------------------------------------------------ state machine


@pytest.mark.parametrize("pair", sorted(set(itertools.product(T.values, T.values)) - set(TRANSACTION_TRANSITIONS)))
def test_every_transition_not_in_the_table_is_a_409(pair):
    with pytest.raises(InvalidState) as error:
        transaction_transition_check(*pair)
    assert error.value.code == "payment_invalid_transition" and error.value.http_status == 409


@pytest.mark.parametrize(
    "pair", sorted(set(itertools.product(RequestStatus.values, RequestStatus.values)) - set(REQUEST_TRANSITIONS))
)
def test_every_request_transition_not_in_the_table_is_a_409(pair):
    with pytest.raises(InvalidState) as error:
        request_transition_check(*pair)
    assert error.value.code == "payment_request_invalid_transition" and error.value.http_status == 409


def test_wrong_request_transitions_are_409_and_change_nothing(bill, payer, clerk, leader, sandbox):
    services.payment_record_at_counter(actor=clerk, request=bill, amount=bill.amount)
    counts = Counts()
    before = state_of(bill)
    calls = [
        lambda: services.payment_record_at_counter(actor=clerk, request=bill, amount=bill.amount),
        lambda: services.payment_request_cancel(actor=SYSTEM, request=bill, reason="Hủy"),
        lambda: services.payment_start(actor=payer, request=bill),
    ]
    for call in calls:
        with pytest.raises(InvalidState) as error:
            call()
        assert error.value.http_status == 409
    assert state_of(bill) == before
    counts.assert_unchanged()
    cancelled = make_request(bill.organisation, payer, reference="X-2")
    services.payment_request_cancel(actor=SYSTEM, request=cancelled, reason="Hủy")
    with pytest.raises(InvalidState):
        services.payment_refund(actor=leader, request=cancelled, reason="Hoàn")


# ------------------------------------------------------------------------------------------------ callbacks


def test_a_signed_success_settles_once_with_receipt_handler_history_and_audit(bill, payer, sandbox, client):
    txn, url = started(bill, payer)
    body, _return = paid_at_sandbox(sandbox, url)
    response = post_callback(client, body)
    assert response.status_code == 200 and response.json()["MaLoi"] == "00"
    bill.refresh_from_db()
    txn.refresh_from_db()
    assert bill.status == RequestStatus.PAID and bill.paid_via == "gateway" and bill.settled_transaction_id == txn.pk
    assert txn.status == T.SUCCEEDED and txn.bank_code == "VCB" and txn.paid_at is not None
    assert settlements(bill) == 1
    assert bill.receipt.number == 1 and bill.receipt.series.endswith("E")
    assert history(bill)[-2:] == [
        (txn.initiator_transaction_id, "pending", "succeeded"),
        (txn.initiator_transaction_id, "open", "paid"),
    ]
    assert AuditEvent.objects.filter(action="payments.transaction_succeeded", object_id=str(txn.pk)).count() == 1
    assert AuditEvent.objects.filter(action="payments.request_paid", object_id=str(bill.pk)).count() == 1


def test_a_duplicate_is_answered_so_the_gateway_stops_and_settles_nothing_again(bill, payer, sandbox, client):
    _txn, url = started(bill, payer)
    body, _return = paid_at_sandbox(sandbox, url)
    post_callback(client, body)
    counts = Counts()
    # The gateway's retry: same notification, signed again later.
    retry = signed_notification(
        initiator_transaction_id=body["MaThamChieu"],
        amount=body["SoTien"],
        notification_id=body["MaThongBao"],
        gateway_transaction_id=body["MaGiaoDich"],
        paid_at=body["ThoiGianThanhToan"],
    )
    for again in (body, retry):
        response = post_callback(client, again)
        assert response.status_code == 200 and response.json()["MaLoi"] == "00"
    assert counts.changed() == {}
    assert settlements(bill) == 1
    assert CallbackRejection.objects.filter(reason="duplicate", notification_id=body["MaThongBao"]).count() == 2


def test_a_bad_signature_is_refused_logged_and_changes_nothing(bill, payer, sandbox, client):
    txn, url = started(bill, payer)
    body, _return = paid_at_sandbox(sandbox, url)
    counts = Counts()
    forged = signed_notification(
        initiator_transaction_id=txn.initiator_transaction_id, amount=txn.amount, secret="an-attacker-guess"
    )
    response = post_callback(client, forged)
    assert response.status_code == 401 and response.json()["MaLoi"] == p.BAD_CHECKSUM
    counts.assert_unchanged()
    assert CallbackRejection.objects.get(notification_id=forged["MaThongBao"]).reason == "bad_signature"
    # The sandbox told to sign with a wrong key: refused just the same.
    sandbox.control(wrong_signature=True)
    sandbox.notify(body["MaGiaoDich"], p.STATUS_SUCCEEDED)
    response = post_callback(client, sandbox.state()["collected"][-1])
    assert response.status_code == 401
    counts.assert_unchanged()
    assert CallbackRejection.objects.filter(reason="bad_signature").count() == 2
    assert state_of(txn)["status"] == T.PENDING


def test_a_tampered_amount_breaks_the_signature(bill, payer, sandbox, client):
    _txn, url = started(bill, payer)
    body, _return = paid_at_sandbox(sandbox, url)
    counts = Counts()
    response = post_callback(client, {**body, "SoTien": 1000})
    assert response.status_code == 401
    counts.assert_unchanged()
    bill.refresh_from_db()
    assert bill.status == RequestStatus.OPEN


def test_a_correctly_signed_but_different_amount_is_flagged_not_settled(bill, payer, sandbox, client):
    txn, _url = started(bill, payer)
    wrong = signed_notification(initiator_transaction_id=txn.initiator_transaction_id, amount=txn.amount - 1)
    response = post_callback(client, wrong)
    assert response.status_code == 409 and response.json()["MaLoi"] == p.AMOUNT_DIFFERS
    txn.refresh_from_db()
    bill.refresh_from_db()
    assert txn.status == T.PENDING and txn.flag == TransactionFlag.AMOUNT_MISMATCH
    assert bill.status == RequestStatus.OPEN and settlements(bill) == 0
    assert not GatewayNotification.objects.exists()


def test_a_stale_timestamp_is_a_replay_refused(bill, payer, sandbox, client, settings):
    txn, _url = started(bill, payer)
    old = timezone.now() - dt.timedelta(seconds=settings.PAYMENT_CALLBACK_WINDOW_SECONDS + 60)
    stale = signed_notification(
        initiator_transaction_id=txn.initiator_transaction_id, amount=txn.amount, signed_at=p.time_format(old)
    )
    counts = Counts()
    response = post_callback(client, stale)
    assert response.status_code == 409 and response.json()["MaLoi"] == p.STALE_OR_REPLAYED
    counts.assert_unchanged()
    assert CallbackRejection.objects.get(notification_id=stale["MaThongBao"]).reason == "stale"


def test_a_notification_id_reused_with_other_content_is_a_replay_refused(bill, payer, sandbox, client, agency):
    _txn, url = started(bill, payer)
    body, _return = paid_at_sandbox(sandbox, url)
    post_callback(client, body)
    other = make_request(agency, payer, reference="OTHER-9")
    other_txn, _url = services.payment_start(actor=payer, request=other)
    counts = Counts()
    replayed = signed_notification(
        initiator_transaction_id=other_txn.initiator_transaction_id,
        amount=other_txn.amount,
        notification_id=body["MaThongBao"],
    )
    response = post_callback(client, replayed)
    assert response.status_code == 409 and response.json()["MaLoi"] == p.STALE_OR_REPLAYED
    assert counts.changed() == {}
    other.refresh_from_db()
    assert other.status == RequestStatus.OPEN
    assert CallbackRejection.objects.filter(reason="replayed").count() == 1


def test_malformed_and_unknown_callbacks_are_refused(client, bill, payer, sandbox):
    counts = Counts()
    assert client.post(CALLBACK_PATH, data=b"not json", content_type="application/json").status_code == 400
    unknown = signed_notification(initiator_transaction_id="MC000000UNKNOWN00000", amount=1000)
    response = post_callback(client, unknown)
    assert response.status_code == 400 and response.json()["MaLoi"] == p.UNKNOWN_TRANSACTION
    assert (
        client.post("/payments/gateway/nope/callback/", data=b"{}", content_type="application/json").status_code == 404
    )
    assert client.get(CALLBACK_PATH).status_code == 405
    assert counts.changed() == {}
    assert set(CallbackRejection.objects.values_list("reason", flat=True)) == {"malformed", "unknown_transaction"}


CALLBACK_PATH = "/payments/gateway/sandbox/callback/"


def test_out_of_order_failed_or_pending_after_succeeded_change_nothing(bill, payer, sandbox, client):
    txn, url = started(bill, payer)
    body, _return = paid_at_sandbox(sandbox, url)
    post_callback(client, body)
    before = history(bill)
    for status, number in ((p.STATUS_FAILED, "TB-LATE-1"), (p.STATUS_PENDING, "TB-LATE-2")):
        late = signed_notification(
            initiator_transaction_id=txn.initiator_transaction_id,
            amount=txn.amount,
            status=status,
            notification_id=number,
        )
        assert post_callback(client, late).json()["MaLoi"] == "00"
    assert history(bill) == before
    txn.refresh_from_db()
    assert txn.status == T.SUCCEEDED and settlements(bill) == 1
    assert GatewayNotification.objects.filter(outcome="no_change").count() == 2


def test_pending_then_failed_then_a_late_success_still_settles(bill, payer, sandbox, client):
    """The gateway's word that money was taken wins over its earlier failure."""
    txn, _url = started(bill, payer)
    notices = [
        signed_notification(
            initiator_transaction_id=txn.initiator_transaction_id,
            amount=txn.amount,
            status=status,
            notification_id=f"TB-{index}",
        )
        for index, status in enumerate((p.STATUS_PENDING, p.STATUS_FAILED, p.STATUS_SUCCEEDED))
    ]
    for notice in notices:
        assert post_callback(client, notice).json()["MaLoi"] == "00"
    assert [row[1:] for row in history(bill)[3:]] == [("pending", "failed"), ("failed", "succeeded"), ("open", "paid")]
    assert settlements(bill) == 1


def test_callback_before_the_browser_returns(bill, payer, sandbox, client):
    _txn, url = started(bill, payer)
    body, location = paid_at_sandbox(sandbox, url)
    post_callback(client, body)
    queries_before = sandbox.state()["counts"].get("status", 0)
    page = client.get(local_path(location))
    assert page.status_code == 200 and "210.000 đồng" in page.content.decode()
    assert 'id="result"' in page.content.decode() and "message--success" in page.content.decode()
    assert sandbox.state()["counts"].get("status", 0) == queries_before  # settled: no need to ask
    assert settlements(bill) == 1


def test_browser_returns_before_the_callback_the_return_asks_the_gateway(bill, payer, sandbox, client):
    _txn, url = started(bill, payer)
    body, location = paid_at_sandbox(sandbox, url)
    page = client.get(local_path(location))
    assert page.status_code == 200 and "message--success" in page.content.decode()
    bill.refresh_from_db()
    assert bill.status == RequestStatus.PAID and sandbox.state()["counts"]["status"] == 1
    # The notification arrives afterwards: news to no one, answered so the gateway stops.
    assert post_callback(client, body).json()["MaLoi"] == "00"
    assert settlements(bill) == 1
    assert [row[2] for row in history(bill)].count("succeeded") == 1


def test_a_forged_return_is_not_believed(bill, payer, sandbox, client):
    txn, _url = started(bill, payer)
    forged = p.sign(
        {
            "MaDoiTac": "motcua-test",
            "MaThamChieu": txn.initiator_transaction_id,
            "MaGiaoDich": "SBX",
            "SoTien": txn.amount,
            "TrangThai": p.STATUS_SUCCEEDED,
            "ThoiGianGui": p.now_text(),
        },
        "wrong-secret",
        p.RETURN_FIELDS,
    )
    from urllib.parse import urlencode

    page = client.get(f"/payments/return/{txn.pk}/?{urlencode(forged)}")
    assert page.status_code == 200 and "message--success" not in page.content.decode()
    bill.refresh_from_db()
    assert bill.status == RequestStatus.OPEN  # the gateway, asked, says pending
    assert CallbackRejection.objects.filter(reason="bad_signature").exists()


def test_browser_never_comes_back_the_status_job_settles(bill, payer, sandbox):
    txn, url = started(bill, payer)
    sandbox.control(callback="drop")
    assert sandbox.pay(url).status_code == 303  # paid; no callback, and the redirect is never followed
    counts = services.payments_status_sweep()
    assert counts["checked"] == 1 and counts["succeeded"] == 1
    bill.refresh_from_db()
    assert bill.status == RequestStatus.PAID and settlements(bill) == 1
    assert PaymentEvent.objects.filter(transaction=txn, to_status="succeeded", source="status_query").count() == 1


def test_the_status_job_expires_a_payment_past_its_time_and_a_late_success_still_settles(bill, payer, sandbox, client):
    txn, url = started(bill, payer)
    Transaction.objects.filter(pk=txn.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    services.payments_status_sweep()
    txn.refresh_from_db()
    assert txn.status == T.EXPIRED
    assert PaymentEvent.objects.filter(transaction=txn, to_status="expired", source="expiry").count() == 1
    # The payer had the page open and pays after Motcua gave up: the money was taken, so it settles.
    body, _location = paid_at_sandbox(sandbox, url)
    assert post_callback(client, body).json()["MaLoi"] == "00"
    txn.refresh_from_db()
    bill.refresh_from_db()
    assert txn.status == T.SUCCEEDED and bill.status == RequestStatus.PAID and settlements(bill) == 1


def test_an_unreachable_gateway_never_expires_a_payment(bill, payer, sandbox, settings):
    txn, _url = started(bill, payer)
    Transaction.objects.filter(pk=txn.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    settings.PAYMENT_SANDBOX_URL = "http://127.0.0.1:9"
    services.payments_status_sweep()
    txn.refresh_from_db()
    assert txn.status == T.PENDING and txn.last_checked_at is not None


def test_a_cancelled_payment_at_the_gateway_fails_the_attempt_and_another_can_pay(bill, payer, sandbox, client):
    txn, url = started(bill, payer)
    body, location = paid_at_sandbox(sandbox, url, action="cancel")
    assert post_callback(client, body).json()["MaLoi"] == "00"
    txn.refresh_from_db()
    assert txn.status == T.FAILED
    page = client.get(local_path(location))
    assert "message--error" in page.content.decode()
    second, second_url = started(bill, payer, key="key-2")
    body, _location = paid_at_sandbox(sandbox, second_url)
    post_callback(client, body)
    bill.refresh_from_db()
    assert bill.status == RequestStatus.PAID and bill.settled_transaction_id == second.pk


# ------------------------------------------------------------------------------------------------ paid twice


def test_two_tabs_both_paid_the_second_is_refunded_automatically(bill, payer, sandbox, client, commits):
    first, first_url = started(bill, payer, key="tab-1")
    second, second_url = started(bill, payer, key="tab-2")
    body_one, _l1 = paid_at_sandbox(sandbox, first_url)
    body_two, _l2 = paid_at_sandbox(sandbox, second_url)
    post_callback(client, body_one)
    with commits(execute=True):
        post_callback(client, body_two)  # the refund is sent to the sandbox when this commits
    first.refresh_from_db()
    second.refresh_from_db()
    bill.refresh_from_db()
    assert bill.status == RequestStatus.PAID and bill.settled_transaction_id == first.pk and settlements(bill) == 1
    assert second.flag == TransactionFlag.DUPLICATE_PAYMENT and second.status == T.REFUNDED
    refund = Refund.objects.get(transaction=second)
    assert refund.kind == "duplicate" and refund.status == "succeeded" and refund.amount == second.amount
    at_gateway = {row["reference"]: row for row in sandbox.state()["transactions"]}
    assert at_gateway[second.initiator_transaction_id]["status"] == p.STATUS_REFUNDED
    assert at_gateway[first.initiator_transaction_id]["status"] == p.STATUS_SUCCEEDED


def test_paid_at_the_counter_then_online_is_refunded(bill, payer, clerk, sandbox, client, commits):
    txn, url = started(bill, payer)
    services.payment_record_at_counter(actor=clerk, request=bill, amount=bill.amount)
    body, _location = paid_at_sandbox(sandbox, url)
    with commits(execute=True):
        post_callback(client, body)
    txn.refresh_from_db()
    assert txn.flag == TransactionFlag.DUPLICATE_PAYMENT and txn.status == T.REFUNDED and settlements(bill) == 1


def test_a_late_success_for_a_cancelled_request_is_flagged_and_refunded(bill, payer, sandbox, client, commits):
    txn, url = started(bill, payer)
    services.payment_request_cancel(actor=SYSTEM, request=bill, reason="Người nộp rút hồ sơ")
    body, _location = paid_at_sandbox(sandbox, url)
    with commits(execute=True):
        post_callback(client, body)
    txn.refresh_from_db()
    bill.refresh_from_db()
    assert bill.status == RequestStatus.CANCELLED and settlements(bill) == 0
    assert txn.flag == TransactionFlag.LATE_AFTER_CANCEL and txn.status == T.REFUNDED


def test_an_automatic_refund_that_keeps_failing_is_flagged(bill, payer, sandbox, client, settings, commits):
    _first, first_url = started(bill, payer, key="tab-1")
    second, second_url = started(bill, payer, key="tab-2")
    body_one, _l1 = paid_at_sandbox(sandbox, first_url)
    body_two, _l2 = paid_at_sandbox(sandbox, second_url)
    post_callback(client, body_one)
    settings.PAYMENT_SANDBOX_URL = "http://127.0.0.1:9"
    settings.PAYMENT_REFUND_MAX_ATTEMPTS = 2
    with commits(execute=True):
        post_callback(client, body_two)
    refund = Refund.objects.get(transaction=second)
    assert refund.status == "requested" and refund.attempts == 1 and "did not answer" in refund.last_error
    assert services.payments_refunds_retry() == 1
    refund.refresh_from_db()
    second.refresh_from_db()
    assert refund.status == "failed" and second.flag == TransactionFlag.REFUND_FAILED and second.status == T.SUCCEEDED
