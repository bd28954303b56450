"""Daily reconciliation against the sandbox's list of the day, with mismatches injected on both sides."""

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from motcua.core.exceptions import PermissionDenied
from motcua.core.permissions import SYSTEM
from motcua.payments import selectors, services
from motcua.payments.models import ReconciliationLine, ReconciliationReport, RequestStatus, Transaction
from tests.payments.conftest import make_request
from tests.payments.helpers import post_callback

pytestmark = pytest.mark.django_db
L = ReconciliationLine.Result


def paid_online(agency, payer, sandbox, client, reference, *, deliver=True):
    request = make_request(agency, payer, reference=reference)
    txn, url = services.payment_start(actor=payer, request=request)
    sandbox.control(callback="collect")
    sandbox.pay(url)
    if deliver:
        post_callback(client, sandbox.state()["collected"][-1])
    return request, Transaction.objects.get(pk=txn.pk)


def test_reconciliation_matches_settles_lost_notifications_and_flags_mismatches(agency, payer, sandbox, client, leader):
    today = timezone.localdate()
    _matched, _ = paid_online(agency, payer, sandbox, client, "HS-OK")
    lost, _lost_txn = paid_online(agency, payer, sandbox, client, "HS-LOST", deliver=False)
    _wrong, wrong_txn = paid_online(agency, payer, sandbox, client, "HS-AMOUNT")
    # Injected: Motcua's record of an amount differs from the gateway's, and Motcua knows a payment the gateway
    # does not (as if a record had been written by hand).
    Transaction.objects.filter(pk=wrong_txn.pk).update(amount=wrong_txn.amount + 1000)
    _ghost, ghost_txn = paid_online(agency, payer, sandbox, client, "HS-GHOST")
    Transaction.objects.filter(pk=ghost_txn.pk).update(initiator_transaction_id="MC000000GHOSTGHOST00")

    (report,) = services.reconciliation_run(actor=leader, day=today, organisation=agency)

    lost.refresh_from_db()
    assert lost.status == RequestStatus.PAID  # the lost notification was settled by asking the gateway
    results = {line.reference: line.result for line in report.lines.exclude(reference="HS-GHOST")}
    assert results == {"HS-OK": L.MATCHED, "HS-LOST": L.MATCHED, "HS-AMOUNT": L.AMOUNT_DIFFERS}
    ghost_lines = report.lines.filter(reference="HS-GHOST")
    assert sorted(ghost_lines.values_list("result", flat=True)) == [L.MISSING_AT_GATEWAY, L.MISSING_IN_MOTCUA]
    assert report.mismatch_count == 3 and report.gateway_count == 4 and report.organisation_code == agency.code
    assert report.gateway_total == 4 * 210000

    rows = list(csv.reader(io.StringIO(services.reconciliation_csv(report=report).lstrip("\ufeff"))))
    assert rows[0][:3] == ["ngay", "ma_don_vi", "ma_tham_chieu"] and len(rows) == 1 + report.lines.count()
    assert {row[9] for row in rows[1:]} == {L.MATCHED, L.AMOUNT_DIFFERS, L.MISSING_AT_GATEWAY, L.MISSING_IN_MOTCUA}

    # Run again: the day's report is replaced, not doubled.
    services.reconciliation_run(actor=SYSTEM, day=today)
    assert ReconciliationReport.objects.filter(day=today, organisation_code=agency.code).count() == 1


def test_a_refund_done_behind_motcuas_back_shows_as_a_status_difference(agency, payer, sandbox, client, leader):
    from motcua.payments.gateways import gateway_find

    _request, txn = paid_online(agency, payer, sandbox, client, "HS-REFUNDED")
    gateway_find("sandbox").refund(
        initiator_transaction_id=txn.initiator_transaction_id, refund_id="HT-OUTSIDE", amount=txn.amount, reason="x"
    )
    (report,) = services.reconciliation_run(actor=leader, day=timezone.localdate(), organisation=agency)
    line = report.lines.get()
    assert line.result == L.STATUS_DIFFERS and line.gateway_status == "refunded" and line.motcua_status == "succeeded"


def test_who_may_see_and_run_reconciliation(
    agency, payer, leader, clerk, foreign_leader, province_admin, auditor, sandbox
):
    services.reconciliation_run(actor=leader, day=timezone.localdate() - dt.timedelta(days=1), organisation=agency)
    for actor in (clerk, foreign_leader, payer, auditor):
        with pytest.raises(PermissionDenied):
            services.reconciliation_run(actor=actor, day=timezone.localdate(), organisation=agency)
    with pytest.raises(PermissionDenied):
        services.reconciliation_run(actor=leader, day=timezone.localdate())  # every agency: platform only
    for actor in (leader, province_admin, auditor):
        assert list(selectors.reconciliation_report_list(user=actor, organisation=agency)) == []
    for actor in (clerk, foreign_leader, payer):
        with pytest.raises(PermissionDenied):
            selectors.reconciliation_report_list(user=actor, organisation=agency)


def test_no_statement_no_report(agency, leader, settings):
    from motcua.payments.errors import GatewayUnavailable

    settings.PAYMENT_SANDBOX_URL = "http://127.0.0.1:9"
    with pytest.raises(GatewayUnavailable):
        services.reconciliation_run(actor=leader, day=timezone.localdate(), organisation=agency)
    assert not ReconciliationReport.objects.exists()
