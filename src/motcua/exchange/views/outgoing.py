"""Outgoing documents: the list, a draft's form, and one document with what can be done to it now."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from motcua.accounts.models import User
from motcua.agencies.models import Organisation, Role, Unit
from motcua.agencies.selectors import organisation_find
from motcua.core.exceptions import MotcuaError, NotFound
from motcua.exchange import selectors, services
from motcua.exchange.forms import (
    BookChoiceForm,
    DraftForm,
    FileForm,
    NoteForm,
    PinForm,
    RecallForm,
    ReturnForm,
    SealForm,
    UpdateForm,
    form_errors_apply,
)
from motcua.exchange.labels import events_labelled
from motcua.exchange.models import DocumentBook, OutgoingDocument
from motcua.exchange.views.common import STYLESHEETS, ActionForm, officials_only

Status = OutgoingDocument.Status
OUTGOING = True

LABELS = {
    "submit": gettext_lazy("Submit for review"),
    "cancel": gettext_lazy("Cancel the draft"),
    "review": gettext_lazy("Approve the review"),
    "return": gettext_lazy("Return to the drafter"),
    "sign": gettext_lazy("Approve and sign"),
    "register": gettext_lazy("Number and register"),
    "send": gettext_lazy("Seal and send"),
    "recall": gettext_lazy("Recall the document"),
    "update": gettext_lazy("Send an update"),
    "file": gettext_lazy("Add a file"),
}
DONE = {
    "submit": gettext_lazy("The draft was submitted for review."),
    "cancel": gettext_lazy("The draft was cancelled."),
    "review": gettext_lazy("The draft goes to the leader to sign."),
    "return": gettext_lazy("The draft was returned to its drafter."),
    "sign": gettext_lazy("The document is signed."),
    "register": gettext_lazy("The document is numbered and registered."),
    "send": gettext_lazy("The document is sealed and queued for its recipients."),
    "recall": gettext_lazy("The recall was sent to the recipients."),
    "update": gettext_lazy("The update was sent to the recipients."),
    "file": gettext_lazy("The file was added."),
}
DANGEROUS = {"cancel", "return", "recall"}


def _document(request: HttpRequest, document_id: uuid.UUID) -> OutgoingDocument:
    try:
        return selectors.outgoing_get(user=request.user, document_id=document_id)
    except NotFound as error:
        raise Http404 from error


def _url(document: OutgoingDocument) -> str:
    return reverse("exchange:outgoing_detail", kwargs={"document_id": document.pk})


def _leaders(organisation: Organisation) -> list[User]:
    from django.db.models import Q
    from django.utils import timezone

    today = timezone.localdate()
    return list(
        User.objects.filter(
            positions__organisation=organisation,
            positions__role=Role.AGENCY_LEADER,
            positions__valid_from__lte=today,
            is_active=True,
        )
        .filter(Q(positions__valid_until__isnull=True) | Q(positions__valid_until__gte=today))
        .distinct()
        .order_by("full_name")
    )


def _draft_form(request: HttpRequest, *, document: OutgoingDocument | None = None, data: Any = None) -> DraftForm:
    organisations = selectors.drafting_organisations(user=request.user)
    organisation = document.organisation if document is not None else None
    if organisation is None:
        chosen = organisation_find(reference=str((data or {}).get("organisation") or "")) if data else None
        organisation = chosen if chosen in organisations else (organisations[0] if organisations else None)
    units = (
        list(Unit.objects.filter(organisation=organisation, is_active=True).order_by("name")) if organisation else []
    )
    initial: dict[str, Any] = {}
    if document is not None:
        initial = {
            "organisation": document.organisation.code,
            "document_type": document.document_type,
            "subject": document.subject,
            "content_summary": document.content_summary,
            "notation": document.notation,
            "drafting_unit": str(document.drafting_unit_id or ""),
            "intended_signer": str(document.intended_signer_id or ""),
            "signer_competence": document.signer_competence,
            "priority": document.priority,
            "confidentiality": document.confidentiality,
            "steering_type": document.steering_type,
            "due_date": document.due_date,
            "recipients": list(document.recipients.values_list("organisation_code", flat=True)),
        }
    return DraftForm(
        data,
        initial=initial,
        organisations=[document.organisation] if document is not None else organisations,
        units=units,
        leaders=_leaders(organisation) if organisation else [],
        reachable=selectors.directory_search(limit=5000),
        editing=document is not None,
    )


@officials_only
def outgoing_list(request: HttpRequest) -> HttpResponse:
    """Outgoing documents the official may see, and what waits for them."""
    status = request.GET.get("status", "")
    if status and status not in Status.values:
        status = ""
    query = request.GET.get("q", "")[:200]
    documents = selectors.outgoing_list(user=request.user, status=status, search=query)[:200]
    return render(
        request,
        "exchange/outgoing_list.html",
        {
            "documents": documents,
            "status": status,
            "statuses": Status.choices,
            "query": query,
            "waiting": {key: value.count() for key, value in selectors.outgoing_waiting_for(user=request.user).items()},
            "may_draft": bool(selectors.drafting_organisations(user=request.user)),
            "stylesheets": STYLESHEETS,
        },
    )


@require_http_methods(["GET", "POST"])
@officials_only
def outgoing_new(request: HttpRequest) -> HttpResponse:
    """A new draft (for a replacement, ``?replaces=<id>`` names the sent document it replaces)."""
    if not selectors.drafting_organisations(user=request.user):
        raise DjangoPermissionDenied
    replaces = None
    replaces_id = request.GET.get("replaces") or request.POST.get("replaces")
    if replaces_id:
        replaces = _document(request, replaces_id)  # type: ignore[arg-type]
    form = _draft_form(request, data=request.POST if request.method == "POST" else None)
    if replaces is not None and request.method == "GET":
        form.initial.update(
            {
                "organisation": replaces.organisation.code,
                "document_type": replaces.document_type,
                "subject": replaces.subject,
                "recipients": list(replaces.recipients.values_list("organisation_code", flat=True)),
            }
        )
    if request.method == "POST" and form.is_valid():
        organisation = organisation_find(reference=form.cleaned_data["organisation"])
        try:
            document = services.outgoing_create(
                actor=request.user, organisation=organisation, data=form.service_data(), replaces=replaces
            )
        except MotcuaError as error:
            form_errors_apply(form, error)
        else:
            messages.success(request, _("The draft is saved. Add its text as a PDF, then submit it."))
            return HttpResponseRedirect(_url(document), status=303)
    return render(
        request,
        "exchange/outgoing_form.html",
        {"form": form, "replaces": replaces, "stylesheets": STYLESHEETS},
        status=422 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
@officials_only
def outgoing_edit(request: HttpRequest, document_id: uuid.UUID) -> HttpResponse:
    document = _document(request, document_id)
    if "edit" not in selectors.outgoing_actions(user=request.user, document=document):
        raise DjangoPermissionDenied
    form = _draft_form(request, document=document, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.outgoing_update(actor=request.user, document=document, data=form.service_data())
        except MotcuaError as error:
            form_errors_apply(form, error)
        else:
            messages.success(request, _("The draft is saved."))
            return HttpResponseRedirect(_url(document), status=303)
    return render(
        request,
        "exchange/outgoing_form.html",
        {"form": form, "document": document, "stylesheets": STYLESHEETS},
        status=422 if form.is_bound else 200,
    )


def _books(document: OutgoingDocument) -> list[DocumentBook]:
    return list(DocumentBook.objects.filter(organisation=document.organisation, direction="outgoing", is_active=True))


def _form_for(action: str, document: OutgoingDocument, data: Any = None, files: Any = None) -> Any:
    if action == "return":
        return ReturnForm(data, prefix=action)
    if action == "sign":
        return PinForm(data, prefix=action)
    if action == "register":
        return BookChoiceForm(data, prefix=action, books=_books(document))
    if action == "send":
        return SealForm(data, prefix=action)
    if action == "recall":
        return RecallForm(data, prefix=action)
    if action == "update":
        return UpdateForm(data, files, prefix=action)
    if action == "file":
        return FileForm(data, files, prefix=action)
    return NoteForm(data, prefix=action)


def _actions(request: HttpRequest, document: OutgoingDocument, bound: tuple[str, Any] | None) -> list[ActionForm]:
    allowed = selectors.outgoing_actions(user=request.user, document=document)
    items = []
    names = [name for name in allowed if name not in ("edit", "replace")]
    if "edit" in allowed:
        names.insert(0, "file")
    for name in names:
        form = bound[1] if bound is not None and bound[0] == name else _form_for(name, document)
        items.append(
            ActionForm(
                action=name,
                label=LABELS[name],
                form=form,
                url=reverse("exchange:outgoing_action", kwargs={"document_id": document.pk, "action": name}),
                is_dangerous=name in DANGEROUS,
                multipart=name in ("file", "update"),
                is_open=bound is not None and bound[0] == name,
            )
        )
    return items


def _page(
    request: HttpRequest, document: OutgoingDocument, *, bound: tuple[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    allowed = selectors.outgoing_actions(user=request.user, document=document)
    return render(
        request,
        "exchange/outgoing_detail.html",
        {
            "document": document,
            "recipients": list(document.recipients.prefetch_related("statuses")),
            "files": list(document.files.all()),
            "events": events_labelled(list(document.events.all()), outgoing=OUTGOING),
            "answers": list(document.answers.all()),
            "action_forms": _actions(request, document, bound),
            "may_edit": "edit" in allowed,
            "may_replace": "replace" in allowed,
            "stylesheets": STYLESHEETS,
        },
        status=status,
    )


@officials_only
def outgoing_detail(request: HttpRequest, document_id: uuid.UUID) -> HttpResponse:
    return _page(request, _document(request, document_id))


def _call(action: str, user: Any, document: OutgoingDocument, form: Any, request: HttpRequest) -> None:
    data = form.cleaned_data
    if action == "submit":
        services.outgoing_submit(actor=user, document=document, note=data.get("note", ""))
    elif action == "cancel":
        services.outgoing_cancel(actor=user, document=document, note=data.get("note", ""))
    elif action == "review":
        services.outgoing_review(actor=user, document=document, note=data.get("note", ""))
    elif action == "return":
        services.outgoing_return(actor=user, document=document, note=data["note"])
    elif action == "sign":
        services.outgoing_approve_and_sign(actor=user, document=document, pin=data["pin"])
    elif action == "register":
        services.outgoing_register(actor=user, document=document, book_id=data.get("book") or None)
    elif action == "send":
        services.outgoing_send(actor=user, document=document, pin=data["pin"])
    elif action == "recall":
        services.outgoing_recall(actor=user, document=document, pin=data["pin"], reason=data["reason"])
    elif action == "update":
        changes = {key: data[key] for key in ("subject", "content_summary", "due_date") if data.get(key)}
        upload = data.get("attachment")
        new_files = [(upload, upload.name, upload.size)] if upload else []
        services.outgoing_update_send(
            actor=user, document=document, pin=data["pin"], reason=data["reason"], data=changes, new_files=new_files
        )
    elif action == "file":
        upload = data["file"]
        services.outgoing_file_add(
            actor=user,
            document=document,
            content=upload,
            name=upload.name,
            size=upload.size,
            main=data.get("main", False),
            description=data.get("description", ""),
        )


@require_POST
@officials_only
def outgoing_action(request: HttpRequest, document_id: uuid.UUID, action: str) -> HttpResponse:
    """Take one action on an outgoing document through its service; errors come back on the action's form."""
    document = _document(request, document_id)
    if action not in LABELS:
        raise Http404
    form = _form_for(action, document, request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, document, bound=(action, form), status=422)
    try:
        _call(action, request.user, document, form, request)
    except MotcuaError as error:
        form_errors_apply(form, error)
        return _page(request, _document(request, document_id), bound=(action, form), status=error.http_status)
    messages.success(request, str(DONE[action]))
    return HttpResponseRedirect(_url(document), status=303)
