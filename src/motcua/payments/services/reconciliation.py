"""Daily reconciliation (đối soát) of online payments per collecting agency: Motcua's records against the
gateway's list of the day. A transaction the gateway says was paid but Motcua has not settled is first asked
about (``payment_status_sync``), so a lost notification is settled here at the latest; what still differs is
flagged: missing on either side, amount differs, status differs.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from motcua.agencies.models import Organisation
from motcua.core.audit import audit_record
from motcua.core.exceptions import ValidationFailed
from motcua.core.permissions import permission_require
from motcua.payments.errors import GatewayUnavailable
from motcua.payments.gateways import REPORTED_REFUNDED, REPORTED_SUCCEEDED, GatewayError, gateway_find, gateways_enabled
from motcua.payments.models import ReconciliationLine, ReconciliationReport, Transaction, TransactionStatus
from motcua.payments.services._common import now
from motcua.payments.services.transactions import payment_status_sync

logger = logging.getLogger(__name__)
L = ReconciliationLine.Result
T = TransactionStatus


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone())
    return start, start + dt.timedelta(days=1)


def _motcua_status(status: str) -> str:
    words: dict[str, str] = {T.SUCCEEDED.value: REPORTED_SUCCEEDED, T.REFUNDED.value: REPORTED_REFUNDED}
    return words.get(status, status)


def reconciliation_run(
    *, actor: Any, day: dt.date, gateway: str = "", organisation: Organisation | None = None
) -> list[ReconciliationReport]:
    """Compare one day (Asia/Ho_Chi_Minh) for every agency (or one); replaces that day's reports. Needs
    ``payments.run_reconciliation`` on the agency (SYSTEM for the daily job)."""
    permission_require(actor, "payments.run_reconciliation", organisation)
    names = [gateway] if gateway else gateways_enabled()
    reports: list[ReconciliationReport] = []
    for name in names:
        plugin = gateway_find(name)
        if plugin is None:
            raise ValidationFailed(details={"gateway": ["unknown gateway"]})
        try:
            entries = plugin.statement(day=day)
        except GatewayError as error:
            logger.warning("reconciliation of %s on %s: no statement: %s", name, day, error)
            raise GatewayUnavailable() from error
        if organisation is not None:
            entries = [entry for entry in entries if entry.organisation_code == organisation.code]
        # What the gateway says was paid but Motcua has not settled: ask, so lost notifications settle now.
        paid = {
            entry.initiator_transaction_id
            for entry in entries
            if entry.status in (REPORTED_SUCCEEDED, REPORTED_REFUNDED)
        }
        for txn in Transaction.objects.filter(gateway=name, initiator_transaction_id__in=paid).exclude(
            status__in=(T.SUCCEEDED, T.REFUNDED)
        ):
            payment_status_sync(transaction=txn)
        reports.extend(_compare(name=name, day=day, entries=entries, organisation=organisation, actor=actor))
    return reports


@transaction.atomic
def _compare(
    *, name: str, day: dt.date, entries: list[Any], organisation: Organisation | None, actor: Any
) -> list[ReconciliationReport]:
    start, end = _day_bounds(day)
    ours = Transaction.objects.filter(gateway=name).filter(
        Q(paid_at__gte=start, paid_at__lt=end)
        | Q(initiator_transaction_id__in=[e.initiator_transaction_id for e in entries])
    )
    ours = ours.select_related("request", "request__organisation")
    if organisation is not None:
        ours = ours.filter(request__organisation=organisation)
    by_id = {txn.initiator_transaction_id: txn for txn in ours}
    groups: dict[str, list[tuple[Any, Transaction | None]]] = defaultdict(list)
    for entry in entries:
        txn = by_id.pop(entry.initiator_transaction_id, None)
        code = txn.request.organisation.code if txn is not None else entry.organisation_code
        groups[code or ""].append((entry, txn))
    for txn in by_id.values():
        if txn.status in (T.SUCCEEDED, T.REFUNDED):
            groups[txn.request.organisation.code or ""].append((None, txn))
    reports = []
    for code, pairs in sorted(groups.items()):
        report, _created = ReconciliationReport.objects.update_or_create(
            gateway=name,
            organisation_code=code,
            day=day,
            defaults={"generated_at": now(), "organisation": Organisation.objects.filter(code=code).first()},
        )
        report.lines.all().delete()
        lines = [_line(report, entry, txn) for entry, txn in pairs]
        ReconciliationLine.objects.bulk_create(lines)
        counted = [txn for _entry, txn in pairs if txn is not None and txn.status in (T.SUCCEEDED, T.REFUNDED)]
        report.motcua_count = len(counted)
        report.motcua_total = sum(txn.amount for txn in counted)
        report.gateway_count = sum(1 for entry, _txn in pairs if entry is not None)
        report.gateway_total = sum(entry.amount for entry, _txn in pairs if entry is not None)
        report.mismatch_count = sum(1 for line in lines if line.result != L.MATCHED)
        report.save()
        audit_record(
            action="payments.reconciliation_made",
            instance=report,
            after={
                "day": day.isoformat(),
                "gateway": name,
                "organisation_code": code,
                "mismatches": report.mismatch_count,
                "gateway_total": report.gateway_total,
                "motcua_total": report.motcua_total,
            },
            actor=actor,
        )
        reports.append(report)
    return reports


def _line(report: ReconciliationReport, entry: Any, txn: Transaction | None) -> ReconciliationLine:
    line = ReconciliationLine(report=report)
    if entry is not None:
        line.initiator_transaction_id = entry.initiator_transaction_id
        line.gateway_transaction_id = entry.gateway_transaction_id
        line.reference = entry.reference
        line.gateway_status = entry.status
        line.gateway_amount = entry.amount
    if txn is not None:
        line.initiator_transaction_id = txn.initiator_transaction_id
        line.gateway_transaction_id = line.gateway_transaction_id or txn.gateway_transaction_id
        line.reference = line.reference or txn.request.reference
        line.motcua_status = _motcua_status(txn.status)
        line.motcua_amount = txn.amount
        line.flag = txn.flag
    if txn is None:
        line.result = L.MISSING_IN_MOTCUA
    elif entry is None:
        line.result = L.MISSING_AT_GATEWAY
    elif entry.amount != txn.amount:
        line.result = L.AMOUNT_DIFFERS
    elif entry.status != line.motcua_status:
        line.result = L.STATUS_DIFFERS
    else:
        line.result = L.MATCHED
    return line


CSV_COLUMNS = (
    "ngay",
    "ma_don_vi",
    "ma_tham_chieu",
    "ma_giao_dich",
    "ma_ho_so",
    "trang_thai_motcua",
    "trang_thai_cong_thanh_toan",
    "so_tien_motcua",
    "so_tien_cong_thanh_toan",
    "ket_qua",
    "luu_y",
)


def reconciliation_csv(*, report: ReconciliationReport) -> str:
    """The report as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the Vietnamese right).
    Callers check ``payments.view_reconciliation`` (``selectors.reconciliation_report_get``)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in report.lines.all():
        writer.writerow(
            [
                report.day.isoformat(),
                report.organisation_code,
                line.initiator_transaction_id,
                line.gateway_transaction_id,
                _safe(line.reference),
                line.motcua_status,
                line.gateway_status,
                "" if line.motcua_amount is None else line.motcua_amount,
                "" if line.gateway_amount is None else line.gateway_amount,
                line.result,
                line.flag,
            ]
        )
    return buffer.getvalue()


def _safe(text: str) -> str:
    """No formula injection: a cell a spreadsheet would evaluate is written as text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
