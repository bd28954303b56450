"""Incoming documents: to register, assigned to me, due soon, all; one document and its actions."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from motcua.accounts.models import User
from motcua.agencies.models import Unit
from motcua.core.exceptions import MotcuaError, NotFound
from motcua.exchange import selectors, services
from motcua.exchange.forms import AssignForm, BookChoiceForm, DecisionForm, NoteForm, ReasonForm, form_errors_apply
from motcua.exchange.labels import events_labelled
from motcua.exchange.models import ChangeRequest, DocumentBook, IncomingDocument
from motcua.exchange.rules import EXCHANGE_ROLES
from motcua.exchange.views.common import STYLESHEETS, ActionForm, officials_only

TABS = (
    ("to_register", gettext_lazy("To register")),
    ("mine", gettext_lazy("Assigned to me")),
    ("due_soon", gettext_lazy("Due soon")),
    ("all", gettext_lazy("All")),
)
LABELS = {
    "register": gettext_lazy("Register"),
    "reject": gettext_lazy("Reject"),
    "assign": gettext_lazy("Assign"),
    "start": gettext_lazy("Start processing"),
    "finish": gettext_lazy("Finish"),
    "accept_change": gettext_lazy("Accept the request"),
    "reject_change": gettext_lazy("Refuse the request"),
}
DONE = {
    "register": gettext_lazy("The document is registered in the incoming book."),
    "reject": gettext_lazy("The document was rejected; its sender is told why."),
    "assign": gettext_lazy("The assignment is recorded."),
    "start": gettext_lazy("Processing started."),
    "finish": gettext_lazy("The document is finished."),
    "accept_change": gettext_lazy("The sender's request is accepted."),
    "reject_change": gettext_lazy("The sender's request is refused."),
}
DANGEROUS = {"reject", "reject_change"}
OUTGOING = False


def _document(request: HttpRequest, document_id: uuid.UUID) -> IncomingDocument:
    try:
        return selectors.incoming_get(user=request.user, document_id=document_id)
    except NotFound as error:
        raise Http404 from error


def _url(document: IncomingDocument) -> str:
    return reverse("exchange:incoming_detail", kwargs={"document_id": document.pk})


@officials_only
def incoming_list(request: HttpRequest) -> HttpResponse:
    view = request.GET.get("view", "")
    counts = selectors.incoming_counts(user=request.user)
    if view not in dict(TABS):
        view = "to_register" if counts["to_register"] else ("mine" if counts["mine"] else "all")
    query = request.GET.get("q", "")[:200]
    documents = selectors.incoming_list(user=request.user, view=view, search=query)[:200]
    return render(
        request,
        "exchange/incoming_list.html",
        {
            "documents": documents,
            "view": view,
            "tabs": [(key, label, counts.get(key)) for key, label in TABS],
            "query": query,
            "today": timezone.localdate(),
            "stylesheets": STYLESHEETS,
        },
    )


def _officials(document: IncomingDocument) -> list[User]:
    today = timezone.localdate()
    return list(
        User.objects.filter(
            positions__organisation_id=document.organisation_id,
            positions__role__in=EXCHANGE_ROLES,
            positions__valid_from__lte=today,
            is_active=True,
        )
        .filter(Q(positions__valid_until__isnull=True) | Q(positions__valid_until__gte=today))
        .distinct()
        .order_by("full_name")
    )


def _form_for(action: str, document: IncomingDocument, data: Any = None) -> Any:
    if action == "register":
        books = DocumentBook.objects.filter(
            organisation_id=document.organisation_id, direction="incoming", is_active=True
        )
        return BookChoiceForm(data, prefix=action, books=list(books))
    if action == "reject":
        return ReasonForm(data, prefix=action)
    if action == "assign":
        units = Unit.objects.filter(organisation_id=document.organisation_id, is_active=True).order_by("name")
        initial = {
            "unit": str(document.assigned_unit_id or ""),
            "processing_due": document.processing_due or document.due_date,
        }
        return AssignForm(data, prefix=action, units=list(units), officials=_officials(document), initial=initial)
    if action == "reject_change":
        form = DecisionForm(data, prefix=action)
        form.fields["note"].required = True
        form.fields["note"].label = gettext_lazy("Reason")
        return form
    if action == "accept_change":
        return DecisionForm(data, prefix=action)
    return NoteForm(data, prefix=action)


def _actions(request: HttpRequest, document: IncomingDocument, bound: tuple[str, Any] | None) -> list[ActionForm]:
    allowed = selectors.incoming_actions(user=request.user, document=document)
    items = []
    for name in [a for a in allowed if a != "decide_change"]:
        form = bound[1] if bound is not None and bound[0] == name else _form_for(name, document)
        if name == "start":
            form = NoteForm(prefix=name)
            form.fields.pop("note")
        items.append(
            ActionForm(
                action=name,
                label=LABELS[name],
                form=form,
                url=reverse("exchange:incoming_action", kwargs={"document_id": document.pk, "action": name}),
                is_dangerous=name in DANGEROUS,
                is_open=bound is not None and bound[0] == name,
            )
        )
    return items


def _page(
    request: HttpRequest, document: IncomingDocument, *, bound: tuple[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    allowed = selectors.incoming_actions(user=request.user, document=document)
    pending = list(document.change_requests.filter(state=ChangeRequest.State.PENDING))
    decisions = []
    if "decide_change" in allowed:
        for item in pending:
            forms_for_item = {}
            for name in ("accept_change", "reject_change"):
                form = (
                    bound[1]
                    if bound is not None
                    and bound[0] == name
                    and str(bound[1].data.get(f"{name}-request")) == str(item.pk)
                    else _form_for(name, document)
                )
                form.initial["request"] = item.pk
                forms_for_item[name] = ActionForm(
                    action=name,
                    label=LABELS[name],
                    form=form,
                    url=reverse("exchange:incoming_action", kwargs={"document_id": document.pk, "action": name}),
                    is_dangerous=name in DANGEROUS,
                    is_open=bound is not None and bound[0] == name,
                )
            decisions.append((item, forms_for_item))
    return render(
        request,
        "exchange/incoming_detail.html",
        {
            "document": document,
            "files": list(document.files.all()),
            "events": events_labelled(list(document.events.all()), outgoing=OUTGOING),
            "change_requests": list(document.change_requests.all()),
            "decisions": decisions,
            "action_forms": _actions(request, document, bound),
            "stylesheets": STYLESHEETS,
        },
        status=status,
    )


@officials_only
def incoming_detail(request: HttpRequest, document_id: uuid.UUID) -> HttpResponse:
    return _page(request, _document(request, document_id))


def _call(action: str, user: Any, document: IncomingDocument, data: dict[str, Any]) -> None:
    if action == "register":
        services.incoming_register(actor=user, document=document, book_id=data.get("book") or None)
    elif action == "reject":
        services.incoming_reject(actor=user, document=document, reason=data["reason"])
    elif action == "assign":
        services.incoming_assign(
            actor=user,
            document=document,
            unit_id=data["unit"],
            assignee_id=data.get("assignee") or None,
            processing_due=data.get("processing_due"),
            note=data.get("note", ""),
        )
    elif action == "start":
        services.incoming_start(actor=user, document=document)
    elif action == "finish":
        services.incoming_finish(actor=user, document=document, note=data.get("note", ""))
    elif action == "accept_change":
        services.change_request_accept(
            actor=user, document=document, request_id=data["request"], note=data.get("note", "")
        )
    elif action == "reject_change":
        services.change_request_reject(actor=user, document=document, request_id=data["request"], reason=data["note"])


@require_POST
@officials_only
def incoming_action(request: HttpRequest, document_id: uuid.UUID, action: str) -> HttpResponse:
    """Take one action on an incoming document through its service; errors come back on the action's form."""
    document = _document(request, document_id)
    if action not in LABELS:
        raise Http404
    form = _form_for(action, document, request.POST)
    if action == "start":
        form = NoteForm(request.POST, prefix=action)
    if not form.is_valid():
        return _page(request, document, bound=(action, form), status=422)
    try:
        _call(action, request.user, document, form.cleaned_data)
    except MotcuaError as error:
        form_errors_apply(form, error)
        return _page(request, _document(request, document_id), bound=(action, form), status=error.http_status)
    messages.success(request, str(DONE[action]))
    return HttpResponseRedirect(_url(document), status=303)
