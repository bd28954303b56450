"""Officials' pages: work queues, processing a dossier, counter intake, forms and the log book.

Every page reads through ``dossiers.selectors`` and every change goes through ``dossiers.services``; the
pages only parse forms and turn ``core.exceptions`` into form errors. A dossier the official may not see
is "not found", as in the API. Each action form carries the state the official saw (``seen_state``) and
the step (``expected_step``): if someone else acted meanwhile, nothing is changed and the page is shown
again, reloaded, with a message that says so.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from motcua.agencies.models import Organisation, Position, Role
from motcua.agencies.selectors import position_active_list
from motcua.core.calendar import WorkingCalendar, calendar_get
from motcua.core.exceptions import (
    InvalidState,
    MotcuaError,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from motcua.core.permissions import user_can
from motcua.dossiers import documents, documents_mapping, selectors, services
from motcua.dossiers.billing import FEES_PURPOSE, OBLIGATION_PURPOSE, open_requests_of
from motcua.dossiers.catalogue import procedure_content
from motcua.dossiers.models import (
    RUNNING_STATUSES,
    DelayNotice,
    Dossier,
    DossierFile,
    DossierStatus,
    OpinionRequest,
    SupplementRequest,
)
from motcua.dossiers.rules import DOSSIER_ROLES, acting_position
from motcua.dossiers.services.fees import fees_paid_before_receipt
from motcua.dossiers.services.result_signing import (
    approver_signs,
    organisation_seals_results,
    result_signatures,
    result_verification,
)
from motcua.dossiers.timeliness import dossier_timeliness_compute
from motcua.dossiers.views.forms_officials import (
    ACTION_FORMS,
    ActionForm,
    ApproveForm,
    CounterIntakeForm,
    CounterPaymentForm,
    CounterProcedureForm,
    LogBookForm,
    PaymentRequestForm,
    ReturnToStepForm,
    SupplyForm,
    form_errors_apply,
    lines,
)
from motcua.dossiers.workflow import STEP_ACTIONS, Action, Actor, decision_step_index
from motcua.procedures.models import Procedure, ProcedureVersion
from motcua.procedures.selectors import procedures_receivable_at

PAGE_SIZE = 50
QUEUE_TABS = [
    ("my_step", "In my step"),
    ("new", "New"),
    ("awaiting_supplement", "Awaiting supplement"),
    ("due_soon", "Due soon"),
    ("overdue", "Overdue"),
    ("open", "In progress"),
    ("all", "All, closed too"),
]
# Errors that mean "the dossier changed since the page was drawn".
STALE_CODES = frozenset(
    {"dossier_step_changed", "dossier_invalid_transition", "dossier_already_claimed", "dossier_assigned_to_another"}
)
LOG_BOOK_ROLES = frozenset({Role.ONE_STOP_CLERK, Role.UNIT_HEAD, Role.AGENCY_LEADER})
RECEIPT_SECRET_KEY = "dossiers:receipt-secrets"
# Order of the actions on the processing page: the usual next move first.
ACTION_ORDER = [
    Action.ACCEPT,
    Action.CLAIM,
    Action.FORWARD,
    Action.APPROVE,
    Action.SIGN_RESULT,
    Action.SEAL_RESULT,
    Action.RETURN_RESULT,
    Action.SUPPLY,
    Action.RECORD_PAYMENT,
    Action.ANSWER_OPINION,
    Action.REQUEST_SUPPLEMENT,
    Action.RETURN_TO_STEP,
    Action.REQUEST_OPINION,
    Action.REQUEST_PAYMENT,
    Action.ANNOUNCE_DELAY,
    Action.REFUSE_RECEIPT,
    Action.REFUSE,
    Action.STOP,
]
# Actions that end or refuse: drawn apart, in red.
DANGEROUS_ACTIONS = frozenset({Action.REFUSE_RECEIPT, Action.REFUSE, Action.STOP})


def _tab_labels() -> list[tuple[str, str]]:
    labels = {
        "my_step": _("In my step"),
        "new": _("New"),
        "awaiting_supplement": _("Awaiting supplement"),
        "due_soon": _("Due soon"),
        "overdue": _("Overdue"),
        "open": _("In progress"),
        "all": _("All, closed too"),
    }
    return [(view, labels[view]) for view, _label in QUEUE_TABS]


def _action_labels() -> dict[str, str]:
    """Short labels of the buttons, in the words of the one-stop desk."""
    return {
        Action.ACCEPT: _("Receive the dossier"),
        Action.REFUSE_RECEIPT: _("Refuse to receive"),
        Action.CLAIM: _("Take this dossier"),
        Action.FORWARD: _("Forward to the next step"),
        Action.RETURN_TO_STEP: _("Return to an earlier step"),
        Action.REQUEST_SUPPLEMENT: _("Request a supplement"),
        Action.SUPPLY: _("Record the supplement handed in"),
        Action.REQUEST_PAYMENT: _("Request the financial obligation"),
        Action.RECORD_PAYMENT: _("Record the payment"),
        Action.REQUEST_OPINION: _("Ask another agency's opinion"),
        Action.ANSWER_OPINION: _("Answer the request for opinion"),
        Action.ANNOUNCE_DELAY: _("Apologise and set a new appointment"),
        Action.REFUSE: _("Refuse to resolve"),
        Action.STOP: _("Stop processing"),
        Action.APPROVE: _("Approve"),
        Action.SIGN_RESULT: _("Sign the result document"),
        Action.SEAL_RESULT: _("Apply the agency seal"),
        Action.RETURN_RESULT: _("Return the result"),
    }


# ------------------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------------------


def _positions(user: Any) -> list[Position]:
    return [p for p in position_active_list(user=user) if p.role in DOSSIER_ROLES]


def _require_official(request: HttpRequest) -> list[Position]:
    positions = _positions(request.user)
    if not positions:
        raise DjangoPermissionDenied
    return positions


def _organisations(positions: list[Position]) -> list[Organisation]:
    seen: dict[Any, Organisation] = {}
    for position in positions:
        seen.setdefault(position.organisation_id, position.organisation)
    return sorted(seen.values(), key=lambda organisation: organisation.name)


def _dossier_for_official(request: HttpRequest, code: str) -> Dossier:
    """The dossier if this official may see it; 404 for anyone else (applicants use their own pages)."""
    if not _positions(request.user):
        raise Http404
    try:
        return selectors.dossier_get(user=request.user, code_or_id=code)
    except (NotFound, NotAuthenticated) as error:
        raise Http404(str(error.message)) from error


def _state_token(dossier: Dossier) -> str:
    return f"{dossier.status}:{dossier.current_step_code}"


def _process_url(dossier: Dossier) -> str:
    return reverse("dossiers:process", kwargs={"code": dossier.code})


def _working_days_text(seconds: float, calendar: WorkingCalendar) -> str:
    per_day = calendar.seconds_per_day or 8 * 3600
    if abs(seconds) < per_day:
        hours = max(1, math.ceil(abs(seconds) / 3600))
        return ngettext("%(count)d working hour", "%(count)d working hours", hours) % {"count": hours}
    days = math.ceil(abs(seconds) / per_day)
    return ngettext("%(count)d working day", "%(count)d working days", days) % {"count": days}


@dataclass(frozen=True)
class DueState:
    """How a dossier stands against its appointment, in words for a row or the summary."""

    kind: str  # overdue | due_soon | running | paused | ended | none
    text: str


def _due_state(dossier: Dossier, now: dt.datetime, calendar: WorkingCalendar) -> DueState:
    if dossier.due_at is None:
        return DueState("none", "")
    if dossier.status in (DossierStatus.SUPPLEMENT_REQUESTED, DossierStatus.FINANCIAL_OBLIGATION):
        return DueState("paused", _("Clock paused while waiting for the applicant"))
    if dossier.status not in RUNNING_STATUSES:
        return DueState("ended", "")
    if dossier.due_at < now:
        seconds = calendar.working_seconds_between(dossier.due_at, now)
        return DueState("overdue", _("Overdue by %(time)s") % {"time": _working_days_text(seconds, calendar)})
    seconds = calendar.working_seconds_between(now, dossier.due_at)
    kind = "due_soon" if seconds <= selectors.DUE_SOON_WORKING_HOURS * 3600 else "running"
    return DueState(kind, _("Due in %(time)s") % {"time": _working_days_text(seconds, calendar)})


def _holds_current_step(positions: list[Position], dossier: Dossier) -> bool:
    """Whether one of the positions is the current step's (same rule as ``rules.acting_position``)."""
    if dossier.current_step_organisation_id is None:
        return False
    for position in positions:
        if position.role != dossier.current_step_role:
            continue
        if position.organisation_id != dossier.current_step_organisation_id:
            continue
        if dossier.current_step_unit_code and (
            position.unit is None or position.unit.code != dossier.current_step_unit_code
        ):
            continue
        return True
    return False


def _contents(dossiers: list[Dossier]) -> dict[Any, Any]:
    """Parsed procedure contents of the versions of these dossiers, each parsed once."""
    ids = {dossier.procedure_version_id for dossier in dossiers}
    versions = ProcedureVersion.objects.in_bulk(list(ids))
    return {version_id: procedure_content(version) for version_id, version in versions.items()}


def _step_name(content: Any, dossier: Dossier) -> str:
    if content is None or dossier.current_step_index is None:
        return ""
    if dossier.current_step_index < len(content.workflow):
        return str(content.workflow[dossier.current_step_index].name)
    return dossier.current_step_code


# ------------------------------------------------------------------------------------------------------
# Work queues
# ------------------------------------------------------------------------------------------------------


def _queue_procedures(organisations: list[Organisation]) -> list[Procedure]:
    procedures: dict[Any, Procedure] = {}
    for organisation in organisations:
        for procedure in procedures_receivable_at(organisation=organisation):
            procedures.setdefault(procedure.pk, procedure)
    implemented = Procedure.objects.filter(
        implementing_organisation__in=organisations, current_version__isnull=False
    ).exclude(pk__in=list(procedures))
    for procedure in implemented:
        procedures[procedure.pk] = procedure
    return sorted(procedures.values(), key=lambda procedure: (procedure.name, procedure.code))


@require_GET
@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """Work queues: tabs, search (code or applicant, with or without diacritics), filters, overdue first."""
    user = request.user
    positions = _require_official(request)
    if not user_can(user, "dossiers.view_queue"):
        raise DjangoPermissionDenied
    organisations = _organisations(positions)
    procedures = _queue_procedures(organisations)
    view = request.GET.get("view", "my_step")
    if view not in selectors.QUEUE_VIEWS:
        view = "my_step"
    query = request.GET.get("q", "").strip()[:100]
    organisation = next((o for o in organisations if o.code == request.GET.get("organisation")), None)
    procedure_code = request.GET.get("procedure", "")
    procedure = next((p for p in procedures if p.code == procedure_code), None)
    if procedure is None and procedure_code:
        # Any procedure may filter: the queue is limited to the official's organisations anyway.
        procedure = Procedure.objects.filter(code=procedure_code[:20]).first()
    now = timezone.now()
    calendar = calendar_get()
    dossiers = selectors.dossier_queue(
        user=user, view=view, query=query, organisation=organisation, procedure=procedure, now=now
    )
    page = Paginator(dossiers, PAGE_SIZE).get_page(request.GET.get("page"))
    items = list(page.object_list)
    contents = _contents(items)
    leader_of = {p.organisation_id for p in positions if p.role == Role.AGENCY_LEADER}
    rows = []
    for dossier in items:
        is_mine = dossier.assigned_to_id == user.pk
        may_claim = (
            dossier.status in RUNNING_STATUSES
            and dossier.assigned_to_id is None
            and _holds_current_step(positions, dossier)
        )
        rows.append(
            {
                "dossier": dossier,
                "step_name": _step_name(contents.get(dossier.procedure_version_id), dossier),
                "due": _due_state(dossier, now, calendar),
                "is_mine": is_mine,
                "may_claim": may_claim,
                "is_leader": dossier.processing_organisation_id in leader_of,
            }
        )
    counts = {
        tab: selectors.dossier_queue(
            user=user, view=tab, query=query, organisation=organisation, procedure=procedure, now=now
        ).count()
        for tab in ("my_step", "new", "awaiting_supplement", "due_soon", "overdue", "open")
    }
    base_query = request.GET.copy()
    base_query.pop("page", None)
    tab_query = base_query.copy()
    tab_query.pop("view", None)
    is_clerk = any(p.role == Role.ONE_STOP_CLERK for p in positions)
    context = {
        "view": view,
        "tabs": [(tab, label, counts.get(tab)) for tab, label in _tab_labels()],
        "query": query,
        "organisations": organisations,
        "organisation": organisation,
        "procedures": procedures,
        "procedure": procedure,
        "page": page,
        "rows": rows,
        "query_string": base_query.urlencode(),
        "tab_query_string": tab_query.urlencode(),
        "is_clerk": is_clerk,
        "may_keep_log_book": any(p.role in LOG_BOOK_ROLES for p in positions),
        "now": now,
    }
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.target == "queue-results":
        return render(request, "dossiers/officials/_queue_results.html", context)
    return render(request, "dossiers/officials/queue.html", context)


@require_POST
@login_required
def claim(request: HttpRequest, code: str) -> HttpResponse:
    """Take a dossier from the queue (or the processing page) into one's own work."""
    dossier = _dossier_for_official(request, code)
    expected = request.POST.get("expected_step", "")
    try:
        services.dossier_claim(actor=request.user, dossier=dossier, expected_step=expected or None)
    except (InvalidState, PermissionDenied) as error:
        if error.code in STALE_CODES:
            messages.error(request, _stale_message())
        else:
            messages.error(request, str(error.message))
    else:
        messages.success(request, _("You took dossier %(code)s.") % {"code": dossier.code})
    target = request.POST.get("next", "")
    if target.startswith("/dossiers/work/") and "//" not in target:
        return HttpResponseRedirect(target, status=303)
    return HttpResponseRedirect(_process_url(dossier), status=303)


# ------------------------------------------------------------------------------------------------------
# Processing page
# ------------------------------------------------------------------------------------------------------


def _stale_message() -> str:
    return _("Someone else acted on this dossier, the page was reloaded. Check its state and try again.")


def _available_actions(user: Any, dossier: Dossier, content: Any) -> list[str]:
    actions = set(selectors.dossier_actions_available(user=user, dossier=dossier))
    actions.discard(Action.WITHDRAW)
    positions = _positions(user)
    is_leader = any(
        p.role == Role.AGENCY_LEADER and p.organisation_id == dossier.processing_organisation_id for p in positions
    )
    if dossier.assigned_to_id is not None:
        actions.discard(Action.CLAIM)
        if dossier.assigned_to_id != user.pk and not is_leader:
            actions -= STEP_ACTIONS
    if not _holds_current_step(positions, dossier):
        actions.discard(Action.CLAIM)
    decision = decision_step_index(content)
    if dossier.current_step_index is None or dossier.current_step_index >= decision:
        actions.discard(Action.FORWARD)
    if dossier.current_step_index != decision:
        actions.discard(Action.APPROVE)
    if not dossier.current_step_index:
        actions.discard(Action.RETURN_TO_STEP)
    if actions & {Action.SIGN_RESULT, Action.SEAL_RESULT}:
        signed = {entry.get("kind") for entry in result_signatures(dossier)}
        has_file = DossierFile.objects.filter(dossier=dossier, purpose=DossierFile.Purpose.RESULT).exists()
        if not has_file or "personal" in signed or not approver_signs(user=user):
            actions.discard(Action.SIGN_RESULT)
        if (
            not has_file
            or "personal" not in signed
            or "agency_seal" in signed
            or not organisation_seals_results(organisation=dossier.processing_organisation)
        ):
            actions.discard(Action.SEAL_RESULT)
    return [action for action in ACTION_ORDER if action in actions]


def _form_for(
    action: str,
    dossier: Dossier,
    content: Any,
    data: Any = None,
    files: Any = None,
    *,
    initial: Any = None,
    user: Any = None,
) -> ActionForm:
    form_class = ACTION_FORMS[action]
    kwargs: dict[str, Any] = {"dossier": dossier, "prefix": action}
    if form_class is ApproveForm:
        kwargs["signs"] = approver_signs(user=user)
    if form_class is ReturnToStepForm:
        index = dossier.current_step_index or 0
        kwargs["steps"] = [(step.code, step.name) for step in content.workflow[:index]]
    if form_class in (SupplyForm, PaymentRequestForm):
        kwargs["content"] = content
    if data is None:
        start = {"seen_state": _state_token(dossier), "expected_step": dossier.current_step_code}
        start.update(initial or {})
        if action == Action.RECORD_PAYMENT:
            obligation = next((r for r in open_requests_of(dossier) if r.purpose == OBLIGATION_PURPOSE), None)
            start["amount"] = obligation.amount if obligation is not None else 0
        return form_class(initial=start, **kwargs)
    return form_class(data, files, **kwargs)


def _documents(dossier: Dossier) -> list[dict[str, str]]:
    """The one-stop forms this dossier has, as PDF links."""
    url = reverse
    items: list[dict[str, str]] = []
    if dossier.received_at is not None:
        items.append(
            {
                "label": _("Receipt and appointment slip (Form 01)"),
                "url": url("dossiers:official_document", kwargs={"code": dossier.code, "kind": "receipt"}),
            }
        )
        items.append(
            {
                "label": _("Processing control slip (Form 05)"),
                "url": url("dossiers:official_document", kwargs={"code": dossier.code, "kind": "control-slip"}),
            }
        )
    for number, request in enumerate(dossier.supplement_requests.all(), start=1):
        items.append(
            {
                "label": _("Request to supplement the dossier (Form 02) no. %(number)d") % {"number": number},
                "url": url(
                    "dossiers:official_document_item",
                    kwargs={"code": dossier.code, "kind": "supplement-request", "item": request.pk},
                ),
            }
        )
    if dossier.status == DossierStatus.REFUSED:
        items.append(
            {
                "label": _("Refusal to receive and process (Form 03)"),
                "url": url("dossiers:official_document", kwargs={"code": dossier.code, "kind": "refusal"}),
            }
        )
    for number, notice in enumerate(dossier.delays.all(), start=1):
        items.append(
            {
                "label": _("Apology and new appointment (Form 04) no. %(number)d") % {"number": number},
                "url": url(
                    "dossiers:official_document_item",
                    kwargs={"code": dossier.code, "kind": "delay-notice", "item": notice.pk},
                ),
            }
        )
    return items


def _form_rows(dossier: Dossier, content: Any) -> list[tuple[str, str]]:
    rows = []
    data = dossier.form_data or {}
    for field in content.form_fields:
        if field.name not in data:
            continue
        value = data[field.name]
        if field.type == "checkbox":
            text = _("Yes") if value else _("No")
        elif field.type == "select":
            text = next((choice.name for choice in field.choices if choice.code == str(value)), str(value))
        else:
            text = str(value)
        rows.append((field.label, text))
    return rows


def _bills(
    user: Any, dossier: Dossier, counter: tuple[str, CounterPaymentForm] | None
) -> tuple[list[dict[str, Any]], bool]:
    """The dossier's bills; for a clerk of its organisations, a counter payment form on the fees still to pay (the
    financial obligation of status 6 is recorded with the "Record the payment" action)."""
    is_clerk = acting_position(user, dossier, Actor.CLERK) is not None
    rows = []
    for bill in selectors.dossier_bills(user=user, dossier=dossier):
        form = None
        if is_clerk and bill.is_open and bill.request.purpose == FEES_PURPOSE:
            key = str(bill.request.pk)
            if counter is not None and counter[0] == key:
                form = counter[1]
            else:
                form = CounterPaymentForm(prefix=f"counter-{key}", initial={"amount": bill.request.amount})
        rows.append({"bill": bill, "counter_form": form})
    return rows, is_clerk


def _process_page(
    request: HttpRequest,
    dossier: Dossier,
    *,
    bound: tuple[str, ActionForm] | None = None,
    counter: tuple[str, CounterPaymentForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    now = timezone.now()
    calendar = calendar_get()
    content = procedure_content(dossier.procedure_version)
    timeliness = dossier_timeliness_compute(dossier=dossier, now=now, calendar=calendar)
    actions = _available_actions(user, dossier, content)
    labels = _action_labels()
    action_forms = []
    positions = _positions(user)
    my_organisations = {p.organisation_id for p in positions}
    open_opinions = list(
        OpinionRequest.objects.filter(dossier=dossier, answered_at__isnull=True, organisation_id__in=my_organisations)
    )
    for action in actions:
        if bound is not None and bound[0] == action:
            form = bound[1]
        elif action == Action.ANSWER_OPINION and open_opinions:
            form = _form_for(action, dossier, content, initial={"opinion_request": open_opinions[0].pk}, user=user)
        else:
            form = _form_for(action, dossier, content, user=user)
        action_forms.append(
            {
                "action": action,
                "label": labels.get(action, action),
                "form": form,
                # The usual next move (first in ACTION_ORDER) is drawn open: one click for the common case.
                "is_open": (bound is not None and bound[0] == action)
                or (bound is None and not action_forms and action not in DANGEROUS_ACTIONS),
                "is_dangerous": action in DANGEROUS_ACTIONS,
                "has_fields": any(not field.is_hidden for field in form),
                "url": reverse("dossiers:official_action", kwargs={"code": dossier.code, "action": action}),
                "multipart": action == Action.SUPPLY,
            }
        )
    files = list(DossierFile.objects.filter(dossier=dossier).order_by("purpose", "component_code", "created_at"))
    component_names = {component.code: component.name for component in content.components}
    secrets = request.session.get(RECEIPT_SECRET_KEY, {})
    bills, is_clerk = _bills(user, dossier, counter)
    context = {
        "bills": bills,
        "is_clerk": is_clerk,
        "pay_before_receipt": fees_paid_before_receipt(content=content, channel=dossier.channel),
        "dossier": dossier,
        "content": content,
        "version": dossier.procedure_version,
        "status_label": DossierStatus(dossier.status).label,
        "portal_status": dossier.portal_status,
        "step_name": _step_name(content, dossier),
        "timeliness": timeliness,
        "due": _due_state(dossier, now, calendar),
        "used_text": _working_days_text(timeliness.consumed_seconds, calendar) if timeliness.is_counted else "",
        "left_text": (
            _working_days_text(timeliness.remaining_seconds, calendar)
            if timeliness.is_counted and timeliness.remaining_seconds > 0
            else ""
        ),
        "form_rows": _form_rows(dossier, content),
        "submitted_files": [
            (item, component_names.get(item.component_code, item.component_code))
            for item in files
            if item.purpose == DossierFile.Purpose.SUBMITTED
        ],
        "result_files": [item for item in files if item.purpose == DossierFile.Purpose.RESULT],
        "result_verification": result_verification(dossier),
        "steps": list(selectors.dossier_steps(user=user, dossier=dossier)),
        "history": list(selectors.dossier_history(user=user, dossier=dossier).select_related("actor")),
        "supplements": list(SupplementRequest.objects.filter(dossier=dossier).select_related("requested_by")),
        "delays": list(DelayNotice.objects.filter(dossier=dossier).select_related("announced_by")),
        "opinions": list(
            OpinionRequest.objects.filter(dossier=dossier).select_related("organisation", "requested_by", "answered_by")
        ),
        "action_forms": action_forms,
        "documents": _documents(dossier),
        "just_registered": dossier.code in secrets,
        "action_labels": {str(key): value for key, value in Action.choices},
        "status_labels": dict(DossierStatus.choices),
        "now": now,
    }
    return render(request, "dossiers/officials/process.html", context, status=status)


@require_GET
@login_required
def process(request: HttpRequest, code: str) -> HttpResponse:
    """One dossier: everything about it, and only the actions open to this official now."""
    dossier = _dossier_for_official(request, code)
    return _process_page(request, dossier)


def _call_service(action: str, *, user: Any, dossier: Dossier, form: ActionForm, files: list[Any]) -> str:
    """Call the action's service; returns the success message."""
    data = form.cleaned_data
    expected = data.get("expected_step") or None
    if action == Action.ACCEPT:
        services.dossier_accept(actor=user, dossier=dossier, note=data.get("note", ""))
        return _("The dossier was received; the appointment is set. Print the receipt (Form 01) if needed.")
    if action == Action.REFUSE_RECEIPT:
        services.dossier_refuse_receipt(actor=user, dossier=dossier, reasons=lines(data["reasons"]))
        return _("The dossier was refused. Print the refusal (Form 03) for the applicant.")
    if action == Action.CLAIM:
        services.dossier_claim(actor=user, dossier=dossier, expected_step=expected)
        return _("You took dossier %(code)s.") % {"code": dossier.code}
    if action == Action.FORWARD:
        services.dossier_forward(actor=user, dossier=dossier, expected_step=expected, note=data.get("note", ""))
        return _("The dossier was forwarded to the next step.")
    if action == Action.RETURN_TO_STEP:
        services.dossier_return_to_step(
            actor=user, dossier=dossier, step_code=data["step_code"], reason=data["reason"], expected_step=expected
        )
        return _("The dossier was returned to an earlier step.")
    if action == Action.REQUEST_SUPPLEMENT:
        services.dossier_request_supplement(
            actor=user, dossier=dossier, items=lines(data["items"]), reason=data["reason"], expected_step=expected
        )
        return _("The supplement was requested and the clock paused. Print the request (Form 02) for the applicant.")
    if action == Action.SUPPLY:
        services.dossier_supply(actor=user, dossier=dossier, files=files, note=data.get("note", ""))
        return _("The supplement was recorded; the clock runs again and the appointment moved.")
    if action == Action.REQUEST_PAYMENT:
        services.dossier_request_payment(
            actor=user,
            dossier=dossier,
            amount=data.get("amount"),
            fee_codes=data.get("fee_codes") or [],
            copies=data.get("copies") or 1,
            note=data.get("note", ""),
            expected_step=expected,
        )
        return _("The applicant was asked to pay; the clock is paused until the payment is recorded.")
    if action == Action.RECORD_PAYMENT:
        services.dossier_payment_record_at_counter(
            actor=user,
            dossier=dossier,
            amount=data["amount"],
            paper_receipt_number=data.get("reference", ""),
            purpose=OBLIGATION_PURPOSE,
        )
        return _("The payment was recorded and its receipt issued; processing resumes.")
    if action == Action.REQUEST_OPINION:
        services.dossier_request_opinion(
            actor=user,
            dossier=dossier,
            organisation=data["organisation"],
            question=data["question"],
            expected_step=expected,
        )
        return _("The request for opinion was sent.")
    if action == Action.ANSWER_OPINION:
        services.dossier_answer_opinion(
            actor=user, dossier=dossier, opinion_request_id=data["opinion_request"], answer=data["answer"]
        )
        return _("Your organisation's opinion was recorded.")
    if action == Action.ANNOUNCE_DELAY:
        due = timezone.localtime(dossier.due_at) if dossier.due_at else timezone.localtime()
        new_due_at = dt.datetime.combine(data["new_date"], due.time(), tzinfo=due.tzinfo)
        services.dossier_announce_delay(actor=user, dossier=dossier, new_due_at=new_due_at, reason=data["reason"])
        return _("The new appointment was recorded. Print the apology (Form 04) for the applicant.")
    if action == Action.REFUSE:
        services.dossier_refuse(actor=user, dossier=dossier, reasons=lines(data["reasons"]), expected_step=expected)
        return _("The dossier was refused. Print the refusal (Form 03) for the applicant.")
    if action == Action.STOP:
        services.dossier_stop(actor=user, dossier=dossier, reason=data["reason"])
        return _("Processing was stopped.")
    if action == Action.APPROVE:
        if "pin" in form.fields:
            services.dossier_approve_and_sign(
                actor=user, dossier=dossier, pin=data.get("pin", ""), note=data.get("note", ""), expected_step=expected
            )
            return _("The dossier was approved and the result document signed with your certificate.")
        services.dossier_approve(actor=user, dossier=dossier, note=data.get("note", ""), expected_step=expected)
        return _("The dossier was approved; the result document is being issued.")
    if action == Action.SIGN_RESULT:
        services.dossier_result_sign(actor=user, dossier=dossier, pin=data["pin"])
        return _("The result document was signed with your certificate.")
    if action == Action.SEAL_RESULT:
        services.dossier_result_seal(actor=user, dossier=dossier, pin=data["pin"])
        return _("The agency seal was applied to the result document.")
    if action == Action.RETURN_RESULT:
        services.dossier_return_result(actor=user, dossier=dossier, method=data["method"], note=data.get("note", ""))
        return _("The result was returned to the applicant.")
    raise Http404


def _uploads(request: HttpRequest, form: SupplyForm) -> list[services.FileRef]:
    refs = []
    for component in form.components:
        upload = form.cleaned_data.get(f"file_{component.code}")
        if not upload:
            continue
        try:
            item = services.dossier_file_upload(actor=request.user, content=upload, name=upload.name, size=upload.size)
        except ValidationFailed as error:
            form.add_error(f"file_{component.code}", str(error.message))
            continue
        refs.append(services.FileRef(component_code=component.code, upload_id=item.pk))
    return refs


@require_POST
@login_required
def action(request: HttpRequest, code: str, action: str) -> HttpResponse:
    """Take one action on a dossier through its service; errors come back on the action's form."""
    dossier = _dossier_for_official(request, code)
    if action not in ACTION_FORMS:
        raise Http404
    content = procedure_content(dossier.procedure_version)
    form = _form_for(action, dossier, content, request.POST, request.FILES, user=request.user)
    if not form.is_valid():
        return _process_page(request, dossier, bound=(action, form), status=422)
    seen = form.cleaned_data.get("seen_state")
    if seen and seen != _state_token(dossier):
        messages.error(request, _stale_message())
        return HttpResponseRedirect(_process_url(dossier), status=303)
    files: list[services.FileRef] = []
    if isinstance(form, SupplyForm):
        files = _uploads(request, form)
        if form.errors:
            return _process_page(request, dossier, bound=(action, form), status=422)
    try:
        message = _call_service(action, user=request.user, dossier=dossier, form=form, files=files)
    except (InvalidState, PermissionDenied) as error:
        if error.code in STALE_CODES:
            messages.error(request, _stale_message())
            return HttpResponseRedirect(_process_url(dossier), status=303)
        form.add_error(None, str(error.message))
        dossier.refresh_from_db()
        return _process_page(request, dossier, bound=(action, form), status=error.http_status)
    except NotFound as error:
        raise Http404(str(error.message)) from error
    except MotcuaError as error:
        form_errors_apply(form, error)
        dossier.refresh_from_db()
        return _process_page(request, dossier, bound=(action, form), status=error.http_status)
    messages.success(request, message)
    return HttpResponseRedirect(_process_url(dossier), status=303)


# ------------------------------------------------------------------------------------------------------
# Files and forms as PDF
# ------------------------------------------------------------------------------------------------------


@require_GET
@login_required
def file_download(request: HttpRequest, code: str, file_id: uuid.UUID) -> FileResponse:
    """A document of the dossier, for an official who may see the dossier."""
    dossier = _dossier_for_official(request, code)
    try:
        item = selectors.dossier_file_get(user=request.user, file_id=file_id)
    except (NotFound, NotAuthenticated) as error:
        raise Http404 from error
    if item.dossier_id != dossier.pk:
        raise Http404
    response = FileResponse(
        item.file.open("rb"), as_attachment=True, filename=item.name, content_type=item.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@login_required
def official_document(request: HttpRequest, code: str, kind: str, item: uuid.UUID | None = None) -> HttpResponse:
    """A one-stop form of the dossier as PDF (01 receipt, 02 supplement, 03 refusal, 04 delay, 05 slip)."""
    dossier = _dossier_for_official(request, code)
    safe_code = dossier.code.replace(".", "-")
    if kind == "receipt" and dossier.received_at is not None:
        secret = request.session.get(RECEIPT_SECRET_KEY, {}).get(dossier.code, "")
        context = documents_mapping.receipt_context(dossier, lookup_secret=secret)
        return _pdf(documents.render_receipt(context), f"phieu-tiep-nhan-{safe_code}.pdf")
    if kind == "control-slip" and dossier.received_at is not None:
        slip = documents_mapping.control_slip_context(dossier)
        return _pdf(documents.render_control_slip(slip), f"phieu-kiem-soat-{safe_code}.pdf")
    if kind == "refusal" and dossier.status == DossierStatus.REFUSED:
        refusal = documents_mapping.refusal_context(dossier)
        if refusal is not None:
            return _pdf(documents.render_refusal(refusal), f"phieu-tu-choi-{safe_code}.pdf")
    if kind == "supplement-request" and item is not None:
        request_row = SupplementRequest.objects.filter(dossier=dossier, pk=item).select_related("requested_by").first()
        if request_row is not None:
            supplement = documents_mapping.supplement_request_context(dossier, request_row)
            return _pdf(documents.render_supplement_request(supplement), f"phieu-bo-sung-{safe_code}.pdf")
    if kind == "delay-notice" and item is not None:
        notice = DelayNotice.objects.filter(dossier=dossier, pk=item).select_related("announced_by").first()
        if notice is not None:
            delay = documents_mapping.delay_notice_context(dossier, notice)
            return _pdf(documents.render_delay_notice(delay), f"phieu-hen-lai-{safe_code}.pdf")
    raise Http404


# ------------------------------------------------------------------------------------------------------
# Counter intake
# ------------------------------------------------------------------------------------------------------


def _clerk_organisations(user: Any) -> list[Organisation]:
    positions = [p for p in position_active_list(user=user) if p.role == Role.ONE_STOP_CLERK]
    return _organisations(positions)


@login_required
def counter(request: HttpRequest) -> HttpResponse:
    """Register a dossier brought to the desk in person or by post; then print the receipt (Form 01)."""
    organisations = _clerk_organisations(request.user)
    if not organisations:
        raise DjangoPermissionDenied
    source = request.POST if request.method == "POST" else request.GET
    organisation = next((o for o in organisations if o.code == source.get("organisation")), None)
    if organisation is None and len(organisations) == 1:
        organisation = organisations[0]
    procedures = list(procedures_receivable_at(organisation=organisation)) if organisation is not None else []
    if organisation is None:
        procedures = []
        for each in organisations:
            procedures += [p for p in procedures_receivable_at(organisation=each) if p not in procedures]
    choices = [(p.code, f"{p.name} ({p.code})") for p in procedures]
    chooser = CounterProcedureForm(
        {"organisation": organisation.code if organisation else "", "procedure": source.get("procedure", "")},
        organisations=organisations,
        procedures=choices,
    )
    procedure = next((p for p in procedures if p.code == source.get("procedure")), None)
    if procedure is None or organisation is None or procedure.current_version is None:
        if source.get("procedure") and organisation is not None:
            chooser.is_valid()
        return render(
            request,
            "dossiers/officials/counter.html",
            {"chooser": chooser, "form": None, "organisations": organisations},
            status=200 if request.method == "GET" else 422,
        )
    version = procedure.current_version
    content = procedure_content(version)
    if request.method != "POST":
        form = CounterIntakeForm(content=content)
        return render(
            request,
            "dossiers/officials/counter.html",
            {
                "chooser": chooser,
                "form": form,
                "procedure": procedure,
                "content": content,
                "organisation": organisation,
            },
        )
    form = CounterIntakeForm(request.POST, request.FILES, content=content)
    if form.is_valid():
        refs: list[services.FileRef] = []
        paper: list[str] = []
        for component, file_name, paper_name in form.component_fields:
            upload = form.cleaned_data.get(file_name)
            if upload:
                try:
                    item = services.dossier_file_upload(
                        actor=request.user, content=upload, name=upload.name, size=upload.size
                    )
                except ValidationFailed as error:
                    form.add_error(file_name, str(error.message))
                    continue
                refs.append(services.FileRef(component_code=component.code, upload_id=item.pk))
            elif form.cleaned_data.get(paper_name):
                paper.append(component.code)
        if not form.errors:
            try:
                dossier = services.dossier_receive_at_counter(
                    actor=request.user,
                    procedure_version=version,
                    applicant=form.applicant(),
                    form_data=form.form_data(),
                    files=refs,
                    paper_components=paper,
                    channel=form.cleaned_data["channel"],
                    receiving_organisation=organisation,
                )
            except PermissionDenied as error:
                form.add_error(None, str(error.message))
            except MotcuaError as error:
                form_errors_apply(form, error)
            else:
                secrets = dict(request.session.get(RECEIPT_SECRET_KEY, {}))
                secrets[dossier.code] = dossier.lookup_secret or ""
                request.session[RECEIPT_SECRET_KEY] = dict(list(secrets.items())[-20:])
                messages.success(
                    request,
                    _("Dossier %(code)s was registered. Print the receipt (Form 01) and hand it to the applicant.")
                    % {"code": dossier.code},
                )
                return HttpResponseRedirect(_process_url(dossier), status=303)
    return render(
        request,
        "dossiers/officials/counter.html",
        {"chooser": chooser, "form": form, "procedure": procedure, "content": content, "organisation": organisation},
        status=422,
    )


# ------------------------------------------------------------------------------------------------------
# Log book (Form 06)
# ------------------------------------------------------------------------------------------------------


@require_GET
@login_required
def log_book(request: HttpRequest) -> HttpResponse:
    """The dossier log book of an organisation for a period, on screen and as PDF (Form 06)."""
    positions = [p for p in position_active_list(user=request.user) if p.role in LOG_BOOK_ROLES]
    organisations = _organisations(positions)
    if not organisations:
        raise DjangoPermissionDenied
    today = timezone.localdate()
    data = {
        "organisation": request.GET.get("organisation", organisations[0].code),
        "start": request.GET.get("start", today.replace(day=1).isoformat()),
        "end": request.GET.get("end", today.isoformat()),
    }
    form = LogBookForm(data, organisations=organisations)
    entries: list[Any] = []
    organisation = None
    if form.is_valid():
        organisation = next(o for o in organisations if o.code == form.cleaned_data["organisation"])
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        if request.GET.get("format") == "pdf":
            book = documents_mapping.log_book_context(organisation, start, end)
            name = f"so-theo-doi-{(organisation.code or '').replace('.', '-')}-{start:%Y%m%d}-{end:%Y%m%d}.pdf"
            return _pdf(documents.render_log_book(book), name)
        entries = documents_mapping.log_book_dossiers(organisation, start, end)
    query = request.GET.copy()
    query["format"] = "pdf"
    return render(
        request,
        "dossiers/officials/log_book.html",
        {
            "form": form,
            "entries": entries,
            "organisation": organisation,
            "pdf_query": query.urlencode(),
            "status_labels": dict(DossierStatus.choices),
        },
        status=200 if form.is_valid() else 422,
    )


urlpatterns = [
    path("work/", queue, name="queue"),
    path("work/counter/", counter, name="counter"),
    path("work/log-book/", log_book, name="log_book"),
    path("work/<str:code>/", process, name="process"),
    path("work/<str:code>/claim/", claim, name="official_claim"),
    path("work/<str:code>/actions/<str:action>/", action, name="official_action"),
    path("work/<str:code>/files/<uuid:file_id>/", file_download, name="official_file"),
    path("work/<str:code>/documents/<str:kind>/", official_document, name="official_document"),
    path("work/<str:code>/documents/<str:kind>/<uuid:item>/", official_document, name="official_document_item"),
]

__all__ = ["urlpatterns"]
