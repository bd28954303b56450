"""Core API: the audit trail for auditors."""

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from motcua.core.audit import audit_chain_verify
from motcua.core.permissions import permission_require
from motcua.core.selectors import audit_event_list

router = Router(tags=["audit"])


class AuditEventOut(Schema):
    sequence: int
    occurred_at: dt.datetime
    actor_label: str
    action: str
    object_type: str
    object_id: str
    object_label: str
    before: Any = None
    after: Any = None
    request_id: str
    client_address: str | None = None
    hash: str
    previous_hash: str


class AuditFilter(Schema):
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    actor: str = ""
    since: dt.datetime | None = None
    until: dt.datetime | None = None


class ChainReportOut(Schema):
    intact: bool
    events_checked: int
    first_bad_sequence: int | None
    problem: str


@router.get("/audit/events", response=list[AuditEventOut], summary="List audit events (auditors)")
@paginate(PageNumberPagination, page_size=settings.API_PAGE_SIZE)
def audit_events(request: HttpRequest, filters: Query[AuditFilter]) -> Any:
    return audit_event_list(
        user=request.auth,  # type: ignore[attr-defined]
        action=filters.action,
        object_type=filters.object_type,
        object_id=filters.object_id,
        actor_label=filters.actor,
        since=filters.since,
        until=filters.until,
    )


@router.get("/audit/verify", response=ChainReportOut, summary="Verify the audit hash chain (auditors)")
def audit_verify(request: HttpRequest) -> Any:
    permission_require(request.auth, "core.view_audit")  # type: ignore[attr-defined]
    return audit_chain_verify()
