"""Reads of payments with object-level permission (payers see their own; officials their agencies')."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.utils import timezone

from motcua.agencies.models import Organisation, Role
from motcua.agencies.selectors import position_active_list, user_has_role, user_is_platform_admin
from motcua.core.exceptions import NotFound, RateLimited
from motcua.core.permissions import permission_require, user_can
from motcua.payments.models import (
    PaymentEvent,
    PaymentRequest,
    Receipt,
    ReconciliationReport,
    RequestStatus,
    Transaction,
)
from motcua.payments.rules import MANAGING_ROLES, VIEWING_ROLES
from motcua.payments.services.requests import pay_token_hash


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def payment_request_get(*, user: Any, request_id: Any) -> PaymentRequest:
    """One request the user may see (payer, officials of the agency or its counter, auditors, platform admins);
    NotFound for anything else, so that others cannot learn it exists."""
    pk = _uuid(request_id)
    request = (
        PaymentRequest.objects.select_related("organisation", "counter_organisation", "payer_user")
        .filter(pk=pk)
        .first()
        if pk
        else None
    )
    if request is None or not user_can(user, "payments.view_request", request):
        raise NotFound()
    return request


def _rate_limited(*, client_address: str | None) -> bool:
    window = int(timezone.now().timestamp() // 60)
    digest = hashlib.sha256(f"paylink\x1f{client_address or 'unknown'}\x1f{window}".encode()).hexdigest()[:40]
    key = f"motcua:payments:link:{digest}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=120)
        count = 1
    return count > int(settings.PAYMENT_LINK_RATE_PER_MINUTE)


def payment_request_by_token(*, token: str, client_address: str | None = None) -> PaymentRequest:
    """The request of a pay link (payers without an account). Rate-limited per client address; a wrong token
    and a missing request both answer NotFound."""
    if _rate_limited(client_address=client_address):
        raise RateLimited()
    token = (token or "").strip()
    if not 20 <= len(token) <= 64:
        raise NotFound()
    request = (
        PaymentRequest.objects.select_related("organisation", "counter_organisation")
        .filter(pay_token_hash=pay_token_hash(token))
        .first()
    )
    if request is None:
        raise NotFound()
    return request


def payment_request_for_subject(*, subject_id: Any, purpose: str) -> PaymentRequest | None:
    """The latest request for a subject (e.g. a dossier) and purpose, whatever its status: for the integrating
    app, which checks its own permissions on the subject."""
    return (
        PaymentRequest.objects.select_related("organisation")
        .filter(subject_id=subject_id, purpose=purpose)
        .order_by("-created_at")
        .first()
    )


def payment_request_list_for_subject(*, subject_id: Any, purpose: str = "") -> QuerySet[PaymentRequest]:
    requests = PaymentRequest.objects.filter(subject_id=subject_id)
    if purpose:
        requests = requests.filter(purpose=purpose)
    return requests.select_related("organisation").order_by("-created_at")


def payment_request_list_mine(*, user: Any) -> QuerySet[PaymentRequest]:
    """The user's own requests, newest first."""
    if not getattr(user, "is_authenticated", False) or getattr(user, "pk", None) is None:
        return PaymentRequest.objects.none()
    return (
        PaymentRequest.objects.filter(payer_user_id=user.pk)
        .select_related("organisation", "receipt")
        .order_by("-created_at")
    )


def payment_request_list_for_officials(
    *, user: Any, status: str = "", search: str = "", organisation: Organisation | None = None
) -> QuerySet[PaymentRequest]:
    """Requests of the agencies (and counters) where the user works; all for auditors and platform admins."""
    requests = PaymentRequest.objects.select_related("organisation", "counter_organisation")
    if not (user_is_platform_admin(user=user) or user_has_role(user=user, role=Role.AUDITOR)):
        positions = position_active_list(user=user).filter(role__in=VIEWING_ROLES)
        ids = set(positions.values_list("organisation_id", flat=True))
        # Authority of leaders and administrators flows down the tree.
        paths = [
            f"{position.organisation.path}{position.organisation_id}/"
            for position in positions
            if position.role in MANAGING_ROLES
        ]
        scope = Q(organisation_id__in=ids) | Q(counter_organisation_id__in=ids)
        for path in paths:
            scope |= Q(organisation__path__startswith=path)
        requests = requests.filter(scope) if ids else requests.none()
    if organisation is not None:
        requests = requests.filter(Q(organisation=organisation) | Q(counter_organisation=organisation))
    if status in RequestStatus.values:
        requests = requests.filter(status=status)
    text = (search or "").strip()
    if text:
        requests = requests.filter(
            Q(code__icontains=text) | Q(reference__icontains=text) | Q(payer_name__icontains=text)
        )
    return requests.order_by("-created_at")


def transaction_get(*, user: Any, transaction_id: Any) -> Transaction:
    pk = _uuid(transaction_id)
    txn = Transaction.objects.select_related("request", "request__organisation").filter(pk=pk).first() if pk else None
    if txn is None or not user_can(user, "payments.view_request", txn.request):
        raise NotFound()
    return txn


def payment_events(*, request: PaymentRequest) -> QuerySet[PaymentEvent]:
    return PaymentEvent.objects.filter(request=request).select_related("transaction").order_by("sequence")


def receipt_for_request(*, request: PaymentRequest) -> Receipt | None:
    return Receipt.objects.filter(request=request).select_related("issued_document", "organisation").first()


def reconciliation_organisations(*, user: Any) -> QuerySet[Organisation]:
    """Agencies whose reconciliation the user may see."""
    if user_is_platform_admin(user=user) or user_has_role(user=user, role=Role.AUDITOR):
        return Organisation.objects.filter(is_active=True).exclude(code__isnull=True).order_by("name")
    positions = position_active_list(user=user).filter(role__in=MANAGING_ROLES)
    scope = Q(pk__in=[position.organisation_id for position in positions])
    for position in positions:
        scope |= Q(path__startswith=f"{position.organisation.path}{position.organisation_id}/")
    return Organisation.objects.filter(scope).order_by("name") if positions else Organisation.objects.none()


def reconciliation_report_list(
    *, user: Any, organisation: Organisation, since: dt.date | None = None
) -> QuerySet[ReconciliationReport]:
    permission_require(user, "payments.view_reconciliation", organisation)
    reports = ReconciliationReport.objects.filter(organisation_code=organisation.code)
    if since is not None:
        reports = reports.filter(day__gte=since)
    return reports.order_by("-day")


def reconciliation_report_get(
    *, user: Any, organisation: Organisation, day: dt.date, gateway: str = ""
) -> ReconciliationReport:
    permission_require(user, "payments.view_reconciliation", organisation)
    reports = ReconciliationReport.objects.filter(organisation_code=organisation.code, day=day)
    if gateway:
        reports = reports.filter(gateway=gateway)
    report = reports.order_by("gateway").first()
    if report is None:
        raise NotFound()
    return report
