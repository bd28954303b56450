"""Applicant pages: apply online (guided steps with drafts), my dossiers, tracking, public lookup.

Every page works without JavaScript; a small script only hides conditional questions and stops a second
click on "Submit". Views parse the request, call a service or selector and render; the rules are in
``dossiers.services`` (``drafts``, ``submission``, ``processing``) and ``dossiers.selectors``.
"""

from __future__ import annotations

import functools
import secrets
import urllib.parse
import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from motcua.accounts.models import User
from motcua.agencies.models import Organisation
from motcua.core.calendar import calendar_get
from motcua.core.exceptions import InvalidState, MotcuaError, NotFound, RateLimited, ValidationFailed
from motcua.core.middleware import client_address
from motcua.dossiers import selectors, services
from motcua.dossiers.catalogue import procedure_content, procedure_version_for_application
from motcua.dossiers.documents import render_receipt
from motcua.dossiers.documents_mapping import receipt_context
from motcua.dossiers.models import (
    Channel,
    Dossier,
    DossierDraft,
    DossierFile,
    DossierStatus,
    DraftStep,
    ResultMethod,
    SupplementRequest,
)
from motcua.dossiers.services.drafts import (
    DraftUpload,
    draft_discard,
    draft_get,
    draft_list_for_applicant,
    draft_missing_components,
    draft_save_step,
    draft_start,
    draft_submit,
)
from motcua.dossiers.services.fees import (
    dossier_fee_quote,
    exemption_categories,
    fees_paid_before_receipt,
    has_per_copy_fees,
)
from motcua.dossiers.services.form_data import form_data_clean
from motcua.dossiers.services.result_signing import result_verification
from motcua.dossiers.timeliness import dossier_timeliness_compute
from motcua.dossiers.views.forms_citizen import (
    ApplicationForm,
    DocumentsForm,
    FeesForm,
    PayForm,
    RatingForm,
    SupplyForm,
    TrackForm,
    TrackPaymentForm,
    TrackRatingForm,
    WithdrawForm,
)
from motcua.dossiers.views.forms_officials import form_errors_apply
from motcua.dossiers.workflow import Action
from motcua.procedures.content import ProcedureContent

PAGE_SIZE = 20
SECRET_SESSION_PREFIX = "motcua_dossier_secret:"
REUSABLE_CHOICES_MAX = 30
# Printed on a receipt downloaded later: only a hash of the lookup secret is kept.

# The history of a dossier told to its applicant, one plain sentence per action.
HISTORY_WORDS: dict[str, Any] = {
    Action.SUBMIT: gettext_lazy("You submitted the dossier online."),
    Action.RECEIVE_AT_COUNTER: gettext_lazy("The one-stop desk received your dossier at the counter."),
    Action.ACCEPT: gettext_lazy("The one-stop desk received your dossier; the processing time started."),
    Action.REFUSE_RECEIPT: gettext_lazy("The one-stop desk refused to receive your dossier."),
    Action.CLAIM: gettext_lazy("An official took your dossier in hand."),
    Action.FORWARD: gettext_lazy("Your dossier moved on to the next step."),
    Action.RETURN_TO_STEP: gettext_lazy("Your dossier went back to an earlier step to be checked again."),
    Action.REQUEST_SUPPLEMENT: gettext_lazy("You were asked to add or correct documents."),
    Action.SUPPLY: gettext_lazy("The requested documents or information were handed in."),
    Action.REQUEST_PAYMENT: gettext_lazy("You were asked to pay the fees."),
    Action.RECORD_PAYMENT: gettext_lazy("Your payment was recorded."),
    Action.RECORD_FEES: gettext_lazy("Your payment of the fees was recorded."),
    Action.REQUEST_OPINION: gettext_lazy("Another agency was asked for its opinion."),
    Action.ANSWER_OPINION: gettext_lazy("The other agency gave its opinion."),
    Action.ANNOUNCE_DELAY: gettext_lazy("The agency apologised for a delay and set a new date for the result."),
    Action.REFUSE: gettext_lazy("The agency refused to resolve your dossier."),
    Action.STOP: gettext_lazy("Processing of your dossier was stopped."),
    Action.APPROVE: gettext_lazy("The result was approved."),
    Action.ATTACH_RESULT_FILE: gettext_lazy("The result document was issued."),
    Action.SIGN_RESULT: gettext_lazy("The result document was digitally signed."),
    Action.SEAL_RESULT: gettext_lazy("The agency's seal was applied to the result document."),
    Action.RETURN_RESULT: gettext_lazy("The result was handed over to you."),
    Action.WITHDRAW: gettext_lazy("You withdrew the dossier."),
}


# ------------------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------------------


def _applicant_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in with a citizen or business account; officials are told why they cannot apply."""

    @functools.wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not isinstance(user, User) or user.kind not in (User.Kind.CITIZEN, User.Kind.BUSINESS):
            return render(request, "dossiers/citizen/refused.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _draft(request: HttpRequest, draft_id: uuid.UUID) -> DossierDraft:
    try:
        return draft_get(user=request.user, draft_id=draft_id)
    except NotFound as error:
        raise Http404(str(error.message)) from error


def _own_dossier(request: HttpRequest, code: str) -> Dossier:
    """A dossier of the signed-in applicant (404 for anyone else's, as the selectors do)."""
    try:
        dossier = selectors.dossier_get(user=request.user, code_or_id=code)
    except NotFound as error:
        raise Http404(str(error.message)) from error
    if not selectors.is_applicant_of(user=request.user, dossier=dossier):
        raise Http404(_("There is no dossier with this code, or you may not see it."))
    return dossier


STEP_URL_NAMES = {
    DraftStep.FORM: "dossiers:draft_form",
    DraftStep.DOCUMENTS: "dossiers:draft_documents",
    DraftStep.FEES: "dossiers:draft_fees",
    DraftStep.REVIEW: "dossiers:draft_review",
}


def _step_url(draft: DossierDraft, step: str) -> str:
    if step == DraftStep.GUIDE:
        return reverse("dossiers:apply", args=[draft.procedure_version.procedure.code])
    return reverse(STEP_URL_NAMES[step], args=[draft.pk])


def _steps(draft: DossierDraft, current: str) -> list[dict[str, Any]]:
    order = list(DraftStep.values)
    reached = order.index(draft.current_step)
    return [
        {
            "number": index + 1,
            "label": DraftStep(step).label,
            "url": _step_url(draft, step),
            "is_current": step == current,
            "is_reachable": index <= reached,
            "is_done": index < reached and step != current,
        }
        for index, step in enumerate(order)
    ]


def _step_context(draft: DossierDraft, current: str, **extra: Any) -> dict[str, Any]:
    content = procedure_content(draft.procedure_version)
    order = list(DraftStep.values)
    return {
        "draft": draft,
        "content": content,
        "steps": _steps(draft, current),
        "step_number": order.index(current) + 1,
        "step_count": len(order),
        "step_label": DraftStep(current).label,
        **extra,
    }


def _after_save(request: HttpRequest, draft: DossierDraft, default_step: str) -> HttpResponse:
    """Where the applicant goes after saving a step: later, back to the review, or on."""
    if request.POST.get("action") == "later":
        messages.success(request, _("Your application is saved. You can continue it from “My dossiers”."))
        return redirect("dossiers:mine")
    if request.POST.get("return_to") == "review" and draft.current_step == DraftStep.REVIEW:
        return redirect(_step_url(draft, DraftStep.REVIEW))
    return redirect(_step_url(draft, default_step))


def _submitted_redirect(draft: DossierDraft) -> HttpResponse | None:
    if draft.dossier_id is not None:
        return redirect("dossiers:mine_detail", code=draft.dossier.code if draft.dossier else "")
    return None


def _reusable_choices(user: Any) -> list[tuple[str, str]]:
    """The applicant's earlier documents and results, each once (by content), newest first."""
    choices: list[tuple[str, str]] = []
    seen: set[str] = set()
    for item in selectors.dossier_files_reusable(user=user)[:200]:
        if item.sha256 in seen or item.dossier is None:
            continue
        seen.add(item.sha256)
        kind = _("result") if item.purpose == DossierFile.Purpose.RESULT else _("submitted")
        label = _("%(name)s – dossier %(code)s (%(kind)s, %(date)s)") % {
            "name": item.name,
            "code": item.dossier.code,
            "kind": kind,
            "date": timezone.localtime(item.created_at).strftime("%d/%m/%Y"),
        }
        choices.append((str(item.pk), label))
        if len(choices) >= REUSABLE_CHOICES_MAX:
            break
    return choices


def _chosen_documents(draft: DossierDraft, content: ProcedureContent) -> dict[str, dict[str, Any]]:
    """Per component code: the file chosen in the draft (name, whether re-used, from which dossier)."""
    documents = draft.documents or {}
    ids = [value.get("upload_id") or value.get("reuse_file_id") for value in documents.values()]
    files = {
        str(item.pk): item
        for item in DossierFile.objects.filter(pk__in=[i for i in ids if i]).select_related("dossier")
        if item.uploaded_by_id == draft.applicant_id
        or (item.dossier and item.dossier.applicant_id == draft.applicant_id)
    }
    chosen: dict[str, dict[str, Any]] = {}
    for code, value in documents.items():
        is_reused = bool(value.get("reuse_file_id"))
        item = files.get(str(value.get("reuse_file_id") or value.get("upload_id")))
        if item is None:
            continue
        chosen[code] = {
            "name": item.name,
            "size": item.size,
            "is_reused": is_reused,
            "from_code": item.dossier.code if is_reused and item.dossier else "",
            "file_id": item.pk,
        }
    return chosen


def _form_answers(content: ProcedureContent, form_data: dict[str, Any]) -> list[dict[str, str]]:
    answers = []
    for spec in content.form_fields:
        if spec.name not in form_data:
            continue
        value = form_data[spec.name]
        if spec.type == "checkbox":
            shown = _("Yes") if value else _("No")
        elif spec.type == "select":
            shown = next((choice.name for choice in spec.choices if choice.code == value), str(value))
        elif spec.type == "date":
            shown = "/".join(reversed(str(value).split("-"))) if value else ""
        else:
            shown = str(value)
        answers.append({"label": spec.label, "value": shown, "name": spec.name})
    return answers


def _fees(content: ProcedureContent) -> dict[str, Any]:
    fixed = sum(fee.amount for fee in content.fees if fee.basis == "fixed")
    return {
        "fees": content.fees,
        "fees_fixed_total": fixed,
        "has_per_copy": has_per_copy_fees(content),
        "pay_before_receipt": fees_paid_before_receipt(content=content, channel=Channel.ONLINE),
    }


def _draft_quote(draft: DossierDraft, content: ProcedureContent) -> Any:
    """The quote of the draft's answers (None if they no longer fit the procedure: the fees step says why)."""
    try:
        return dossier_fee_quote(
            content=content, copies=draft.fee_copies, applicant_category=draft.fee_exemption_category
        )
    except ValidationFailed:
        return None


def _pay_forms(bills: list[Any]) -> list[dict[str, Any]]:
    """Each bill with, when it is still to pay, a "Pay online now" form carrying a fresh idempotency key."""
    return [
        {
            "bill": bill,
            "form": PayForm(initial={"idempotency_key": secrets.token_urlsafe(16)}) if bill.is_open else None,
        }
        for bill in bills
    ]


def _error_list(details: dict[str, Any], content: ProcedureContent, draft: DossierDraft) -> list[dict[str, str]]:
    """Submission errors said in words, each linking to the step where it is put right."""
    labels = {spec.name: spec.label for spec in content.form_fields}
    names = {component.code: component.name for component in content.components}
    errors = []
    for key, messages_ in details.items():
        for message in messages_ if isinstance(messages_, list) else [messages_]:
            if key.startswith("form."):
                name = key.removeprefix("form.")
                errors.append(
                    {
                        "text": f"{labels.get(name, name)}: {message}",
                        "url": _step_url(draft, DraftStep.FORM) + f"#id_{name}",
                    }
                )
            elif key.startswith(("components.", "files.")):
                code = key.split(".", 1)[1]
                prefix = f"{names[code]}: " if code in names else ""
                errors.append({"text": f"{prefix}{message}", "url": _step_url(draft, DraftStep.DOCUMENTS)})
            elif key.startswith("fees."):
                errors.append({"text": str(message), "url": _step_url(draft, DraftStep.FEES)})
            else:
                errors.append({"text": str(message), "url": ""})
    return errors


# ------------------------------------------------------------------------------------------------------
# Apply online: guide, then the draft's steps
# ------------------------------------------------------------------------------------------------------


@_applicant_required
@require_http_methods(["GET", "POST"])
def apply_start(request: HttpRequest, procedure_code: str) -> HttpResponse:
    """The guide (what to bring, fees, time) and the button that starts an application."""
    try:
        version = procedure_version_for_application(procedure_code=procedure_code)
    except NotFound as error:
        raise Http404(str(error.message)) from error
    content = procedure_content(version)
    errors: list[str] = []
    if request.method == "POST":
        try:
            draft = draft_start(actor=request.user, procedure_version=version)
        except ValidationFailed as error:
            errors = [str(message) for messages_ in error.details.values() for message in messages_]
        except MotcuaError as error:
            errors = [str(error.message)]
        else:
            return redirect("dossiers:draft_form", draft_id=draft.pk)
    drafts = [
        draft
        for draft in draft_list_for_applicant(user=request.user)
        if draft.procedure_version.procedure.code == procedure_code
    ]
    receiving = (content.receiving_organisation_codes or [content.implementing_organisation_code])[0]
    context = {
        "content": content,
        "version": version,
        "drafts": drafts,
        "errors": errors,
        "is_offered_online": content.online_level != "none",
        "is_for_this_account": request.user.kind in content.applicant_kinds,  # type: ignore[union-attr]
        "receiving_organisation": Organisation.objects.filter(code=receiving).first(),
        **_fees(content),
    }
    return render(request, "dossiers/citizen/apply_guide.html", context, status=422 if errors else 200)


@_applicant_required
def draft_continue(request: HttpRequest, draft_id: uuid.UUID) -> HttpResponse:
    draft = _draft(request, draft_id)
    return _submitted_redirect(draft) or redirect(_step_url(draft, draft.current_step))


@_applicant_required
@never_cache
@require_http_methods(["GET", "POST"])
def draft_form(request: HttpRequest, draft_id: uuid.UUID) -> HttpResponse:
    draft = _draft(request, draft_id)
    if done := _submitted_redirect(draft):
        return done
    content = procedure_content(draft.procedure_version)
    fields = list(content.form_fields)
    status = 200
    if request.method == "POST":
        form = ApplicationForm(request.POST, form_fields=fields)
        if form.is_valid():
            try:
                draft = draft_save_step(
                    actor=request.user, draft=draft, step=DraftStep.FORM, form_data=form.service_data()
                )
            except ValidationFailed as error:
                form.add_service_errors(error.details)
            else:
                return _after_save(request, draft, DraftStep.DOCUMENTS)
        else:
            # Say everything that is wrong at once, the service's checks included (nothing is saved).
            _cleaned, service_errors = form_data_clean(fields=fields, data=form.service_data())
            form.add_service_errors(service_errors)
        status = 422
    else:
        form = ApplicationForm(initial=draft.form_data, form_fields=fields)
    context = _step_context(draft, DraftStep.FORM, form=form, return_to=request.GET.get("return_to", ""))
    if request.method == "POST":
        context["return_to"] = request.POST.get("return_to", "")
    return render(request, "dossiers/citizen/draft_form.html", context, status=status)


def _documents_context(
    request: HttpRequest, draft: DossierDraft, content: ProcedureContent, form: DocumentsForm, missing: list[str]
) -> dict[str, Any]:
    chosen = _chosen_documents(draft, content)
    groups = [
        {
            "component": component,
            "chosen": chosen.get(component.code),
            "file_field": form[f"file_{component.code}"],
            "reuse_field": form[f"reuse_{component.code}"] if f"reuse_{component.code}" in form.fields else None,
            "remove_field": form[f"remove_{component.code}"] if f"remove_{component.code}" in form.fields else None,
            "is_missing": component.code in missing,
        }
        for component in content.components
    ]
    missing_components = [component for component in content.components if component.code in missing]
    return _step_context(
        draft,
        DraftStep.DOCUMENTS,
        form=form,
        groups=groups,
        missing_components=missing_components,
        return_to=request.POST.get("return_to") or request.GET.get("return_to", ""),
    )


@_applicant_required
@never_cache
@require_http_methods(["GET", "POST"])
def draft_documents(request: HttpRequest, draft_id: uuid.UUID) -> HttpResponse:
    draft = _draft(request, draft_id)
    if done := _submitted_redirect(draft):
        return done
    content = procedure_content(draft.procedure_version)
    choices = _reusable_choices(request.user)
    current = dict(draft.documents or {})
    status = 200
    missing: list[str] = []
    if request.method == "POST":
        form = DocumentsForm(
            request.POST, request.FILES, components=list(content.components), reusable_choices=choices, current=current
        )
        if form.is_valid():
            new_files, reuses, removed = form.chosen()
            uploads = {
                code: DraftUpload(content=upload, name=upload.name or "", size=upload.size)
                for code, upload in new_files.items()
            }
            try:
                draft = draft_save_step(
                    actor=request.user,
                    draft=draft,
                    step=DraftStep.DOCUMENTS,
                    uploads=uploads,
                    reuses=reuses,
                    removed=removed,
                )
            except ValidationFailed as error:
                form.add_service_errors(error.details)
            else:
                if request.POST.get("action") == "later":
                    return _after_save(request, draft, DraftStep.DOCUMENTS)
                if draft_missing_components(draft=draft):
                    # Saved; show the page again with what is still missing.
                    url = reverse("dossiers:draft_documents", args=[draft.pk]) + "?check=1"
                    if request.POST.get("return_to") == "review":
                        url += "&return_to=review"
                    return HttpResponseRedirect(url)
                return _after_save(request, draft, DraftStep.FEES)
        status = 422
    else:
        if request.GET.get("check"):
            missing = draft_missing_components(draft=draft)
    form = (
        form
        if request.method == "POST"
        else DocumentsForm(components=list(content.components), reusable_choices=choices, current=current)
    )
    context = _documents_context(request, draft, content, form, missing)
    context["max_megabytes"] = f"{services.files.upload_max_bytes() / 1048576:g}"
    return render(request, "dossiers/citizen/draft_documents.html", context, status=status)


@_applicant_required
@never_cache
@require_http_methods(["GET", "POST"])
def draft_fees(request: HttpRequest, draft_id: uuid.UUID) -> HttpResponse:
    draft = _draft(request, draft_id)
    if done := _submitted_redirect(draft):
        return done
    content = procedure_content(draft.procedure_version)
    categories = exemption_categories(content)
    per_copy = has_per_copy_fees(content)
    status = 200
    if request.method == "POST":
        form = FeesForm(request.POST, categories=categories, per_copy=per_copy)
        if form.is_valid():
            recompute = request.POST.get("action") == "update"
            try:
                draft = draft_save_step(
                    actor=request.user,
                    draft=draft,
                    step=DraftStep.FEES,
                    copies=form.cleaned_data.get("copies") or 1,
                    applicant_category=form.cleaned_data.get("applicant_category") or "",
                    advance=not recompute,
                )
            except ValidationFailed as error:
                form_errors_apply(form, error)
            else:
                if recompute:
                    return redirect(_step_url(draft, DraftStep.FEES))
                return _after_save(request, draft, DraftStep.REVIEW)
        status = 422
    else:
        form = FeesForm(
            initial={"copies": draft.fee_copies, "applicant_category": draft.fee_exemption_category},
            categories=categories,
            per_copy=per_copy,
        )
    context = _step_context(
        draft,
        DraftStep.FEES,
        form=form,
        quote=_draft_quote(draft, content),
        return_to=request.POST.get("return_to") or request.GET.get("return_to", ""),
        **_fees(content),
    )
    return render(request, "dossiers/citizen/draft_fees.html", context, status=status)


def _review_context(draft: DossierDraft, errors: list[dict[str, str]]) -> dict[str, Any]:
    content = procedure_content(draft.procedure_version)
    chosen = _chosen_documents(draft, content)
    documents = [{"component": component, "chosen": chosen.get(component.code)} for component in content.components]
    receiving = (content.receiving_organisation_codes or [content.implementing_organisation_code])[0]
    missing = draft_missing_components(draft=draft)
    return _step_context(
        draft,
        DraftStep.REVIEW,
        answers=_form_answers(content, draft.form_data or {}),
        documents=documents,
        missing=missing,
        errors=errors,
        receiving_organisation=Organisation.objects.filter(code=receiving).first(),
        quote=_draft_quote(draft, content),
        **_fees(content),
    )


@_applicant_required
@never_cache
def draft_review(request: HttpRequest, draft_id: uuid.UUID) -> HttpResponse:
    draft = _draft(request, draft_id)
    if done := _submitted_redirect(draft):
        return done
    if draft.current_step != DraftStep.REVIEW:
        return redirect(_step_url(draft, draft.current_step))
    return render(request, "dossiers/citizen/draft_review.html", _review_context(draft, []))


@_applicant_required
@require_POST
def draft_submit_view(request: HttpRequest, draft_id: uuid.UUID) -> HttpResponse:
    """Submit the draft; a second click or a retried request gets the same dossier (the draft is the key)."""
    draft = _draft(request, draft_id)
    try:
        dossier = draft_submit(actor=request.user, draft=draft)
    except ValidationFailed as error:
        draft.refresh_from_db()
        content = procedure_content(draft.procedure_version)
        errors = _error_list(error.details or {"": [error.message]}, content, draft)
        return render(request, "dossiers/citizen/draft_review.html", _review_context(draft, errors), status=422)
    except (InvalidState, MotcuaError) as error:
        draft.refresh_from_db()
        errors = [{"text": str(error.message), "url": ""}]
        return render(request, "dossiers/citizen/draft_review.html", _review_context(draft, errors), status=409)
    if dossier.lookup_secret:
        request.session[f"{SECRET_SESSION_PREFIX}{dossier.code}"] = dossier.lookup_secret
    return redirect("dossiers:submitted", code=dossier.code)


@_applicant_required
@require_http_methods(["GET", "POST"])
def draft_discard_view(request: HttpRequest, draft_id: uuid.UUID) -> HttpResponse:
    draft = _draft(request, draft_id)
    if done := _submitted_redirect(draft):
        return done
    if request.method == "POST":
        draft_discard(actor=request.user, draft=draft)
        messages.success(request, _("The application was deleted."))
        return redirect("dossiers:mine")
    content = procedure_content(draft.procedure_version)
    return render(request, "dossiers/citizen/draft_discard.html", {"draft": draft, "content": content})


# ------------------------------------------------------------------------------------------------------
# After submission: confirmation, receipt (Form 01)
# ------------------------------------------------------------------------------------------------------


@login_required
@never_cache
def submitted(request: HttpRequest, code: str) -> HttpResponse:
    """The dossier code and, this once, the lookup secret."""
    dossier = _own_dossier(request, code)
    secret = request.session.pop(f"{SECRET_SESSION_PREFIX}{dossier.code}", None)
    content = procedure_content(dossier.procedure_version)
    context = {
        "dossier": dossier,
        "secret": secret,
        "status_label": DossierStatus(dossier.status).label,
        "has_receipt": dossier.received_at is not None,
        "track_url": _track_url(request, dossier.code),
        "bills": _pay_forms(selectors.dossier_bills(user=request.user, dossier=dossier)),
        "pay_before_receipt": fees_paid_before_receipt(content=content, channel=dossier.channel)
        and dossier.status == DossierStatus.NEW,
    }
    return _no_store(render(request, "dossiers/citizen/submitted.html", context))


def _track_url(request: HttpRequest, code: str) -> str:
    return request.build_absolute_uri(reverse("dossiers:track")) + "?" + urllib.parse.urlencode({"code": code})


@login_required
def receipt_download(request: HttpRequest, code: str) -> HttpResponse:
    """Form 01 as a PDF, for the applicant and the officials who may see the dossier, once received."""
    try:
        dossier = selectors.dossier_get(user=request.user, code_or_id=code)
        selectors.dossier_receipt(user=request.user, dossier=dossier)  # the receipt's own permission check
    except (NotFound, MotcuaError) as error:
        raise Http404(str(error.message)) from error
    if dossier.received_at is None or dossier.due_at is None:
        context = {"dossier": dossier, "status_label": DossierStatus(dossier.status).label}
        return render(request, "dossiers/citizen/receipt_unavailable.html", context, status=409)
    pdf = render_receipt(receipt_context(dossier, tracking_url=_track_url(request, dossier.code)))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="phieu-tiep-nhan-{dossier.code}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return _no_store(response)


@login_required
def file_download(request: HttpRequest, file_id: uuid.UUID) -> HttpResponse:
    try:
        item = selectors.dossier_file_get(user=request.user, file_id=file_id)
    except MotcuaError as error:
        raise Http404(str(error.message)) from error
    response = FileResponse(
        item.file.open("rb"), as_attachment=True, filename=item.name, content_type=item.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ------------------------------------------------------------------------------------------------------
# My dossiers
# ------------------------------------------------------------------------------------------------------


def _timeliness_words(dossier: Dossier, now: Any) -> tuple[str, str]:
    """("on_time" | "late" | "", words) for the list of dossiers."""
    figures = dossier_timeliness_compute(dossier=dossier, now=now, calendar=calendar_get())
    if not figures.is_counted:
        return "", ""
    if figures.is_overdue or figures.is_on_time is False:
        return "late", _("Late")
    return "on_time", _("On time")


@login_required
@never_cache
def mine(request: HttpRequest) -> HttpResponse:
    """The applicant's dossiers and the applications they have not submitted yet."""
    now = timezone.now()
    page = Paginator(selectors.dossier_list_for_applicant(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = []
    for dossier in page.object_list:
        timeliness, timeliness_words = _timeliness_words(dossier, now)
        rows.append(
            {
                "dossier": dossier,
                "status_label": DossierStatus(dossier.status).label,
                "timeliness": timeliness,
                "timeliness_words": timeliness_words,
                "needs_action": dossier.status == DossierStatus.SUPPLEMENT_REQUESTED,
            }
        )
    drafts = list(draft_list_for_applicant(user=request.user)) if isinstance(request.user, User) else []
    for draft in drafts:
        draft.step_label = DraftStep(draft.current_step).label  # type: ignore[attr-defined]
        draft.procedure_name = procedure_content(draft.procedure_version).name  # type: ignore[attr-defined]
    is_official = getattr(request.user, "kind", "") == User.Kind.OFFICIAL
    return render(
        request,
        "dossiers/citizen/mine_list.html",
        {"rows": rows, "page": page, "drafts": drafts, "is_official": is_official},
    )


def _history(request: HttpRequest, dossier: Dossier) -> list[dict[str, Any]]:
    lines = []
    for event in selectors.dossier_history(user=request.user, dossier=dossier):
        words = HISTORY_WORDS.get(event.action, event.action)
        lines.append(
            {
                "at": event.at,
                "words": words,
                "status_label": DossierStatus(event.to_status).label,
                "step_name": event.step_name if event.action == Action.FORWARD else "",
                "note": event.note
                if event.action
                in (Action.REQUEST_SUPPLEMENT, Action.REFUSE_RECEIPT, Action.REFUSE, Action.STOP, Action.ANNOUNCE_DELAY)
                else "",
            }
        )
    return lines


def _detail_context(request: HttpRequest, dossier: Dossier, **extra: Any) -> dict[str, Any]:
    content = procedure_content(dossier.procedure_version)
    component_names = {component.code: component.name for component in content.components}
    supplement = (
        SupplementRequest.objects.filter(dossier=dossier, supplied_at__isnull=True).order_by("-requested_at").first()
        if dossier.status == DossierStatus.SUPPLEMENT_REQUESTED
        else None
    )
    actions = selectors.dossier_actions_available(user=request.user, dossier=dossier)
    result_files = (
        list(dossier.files.filter(purpose=DossierFile.Purpose.RESULT))
        if dossier.status == DossierStatus.RETURNED and dossier.result_method == ResultMethod.ONLINE
        else []
    )
    timeliness, timeliness_words = _timeliness_words(dossier, timezone.now())
    context: dict[str, Any] = {
        "dossier": dossier,
        "content": content,
        "status_label": DossierStatus(dossier.status).label,
        "history": _history(request, dossier),
        "supplement": supplement,
        "can_supply": supplement is not None and Action.SUPPLY in actions,
        "can_withdraw": Action.WITHDRAW in actions,
        "result_files": result_files,
        "result_verification": result_verification(dossier) if result_files else None,
        "submitted_files": [
            {"file": item, "component_name": component_names.get(item.component_code, "")}
            for item in dossier.files.filter(purpose=DossierFile.Purpose.SUBMITTED)
        ],
        "has_receipt": dossier.received_at is not None and dossier.due_at is not None,
        "timeliness": timeliness,
        "timeliness_words": timeliness_words,
        "is_waiting_for_desk": dossier.status == DossierStatus.NEW,
        "bills": _pay_forms(selectors.dossier_bills(user=request.user, dossier=dossier)),
        "pay_before_receipt": fees_paid_before_receipt(content=content, channel=dossier.channel)
        and dossier.status == DossierStatus.NEW,
    }
    if dossier.status == DossierStatus.RETURNED:
        context["rating"] = selectors.dossier_rating_of(dossier=dossier)
        is_applicant = selectors.is_applicant_of(user=request.user, dossier=dossier)
        context["can_rate"] = context["rating"] is None and is_applicant
        if context["can_rate"] and "rating_form" not in extra:
            context["rating_form"] = RatingForm()
    if context["can_supply"] and "supply_form" not in extra:
        choices = _reusable_choices(request.user)
        context["documents_form"] = DocumentsForm(
            components=list(content.components), reusable_choices=choices, current={}, prefix="supply"
        )
        context["supply_form"] = SupplyForm()
    context.update(extra)
    if context.get("documents_form") is not None:
        form = context["documents_form"]
        context["supply_groups"] = [
            {
                "component": component,
                "file_field": form[f"file_{component.code}"],
                "reuse_field": form[f"reuse_{component.code}"] if f"reuse_{component.code}" in form.fields else None,
            }
            for component in content.components
        ]
    return context


@login_required
@never_cache
def mine_detail(request: HttpRequest, code: str) -> HttpResponse:
    dossier = _own_dossier(request, code)
    return render(request, "dossiers/citizen/mine_detail.html", _detail_context(request, dossier))


@_applicant_required
@require_POST
def mine_supply(request: HttpRequest, code: str) -> HttpResponse:
    """Hand in what the agency asked for: new files or earlier documents per component, and a note."""
    dossier = _own_dossier(request, code)
    content = procedure_content(dossier.procedure_version)
    choices = _reusable_choices(request.user)
    documents_form = DocumentsForm(
        request.POST,
        request.FILES,
        components=list(content.components),
        reusable_choices=choices,
        current={},
        prefix="supply",
    )
    supply_form = SupplyForm(request.POST)
    if documents_form.is_valid() and supply_form.is_valid():
        new_files, reuses, _removed = documents_form.chosen()
        try:
            refs: list[services.FileRef] = []
            for upload in new_files.values():
                # Every file is checked before any is kept, so a refused file leaves nothing behind.
                services.files.file_content_check(content=upload, name=upload.name or "", size=upload.size)
            for component_code, upload in new_files.items():
                item = services.dossier_file_upload(
                    actor=request.user, content=upload, name=upload.name or "", size=upload.size
                )
                refs.append(services.FileRef(component_code=component_code, upload_id=item.pk))
            for component_code, file_id in reuses.items():
                if component_code not in new_files:
                    refs.append(services.FileRef(component_code=component_code, reuse_file_id=uuid.UUID(file_id)))
            services.dossier_supply(
                actor=request.user, dossier=dossier, files=refs, note=supply_form.cleaned_data.get("note") or ""
            )
        except ValidationFailed as error:
            message = str(error.message)
            details = error.details or {}
            if details:
                for key, messages_ in details.items():
                    for text in messages_ if isinstance(messages_, list) else [messages_]:
                        supply_form.add_error("note" if key in ("files", "note") else None, str(text))
            else:
                supply_form.add_error(None, message)
        except MotcuaError as error:
            supply_form.add_error(None, str(error.message))
        else:
            messages.success(request, _("Thank you. What you added was sent to the agency."))
            return redirect("dossiers:mine_detail", code=dossier.code)
    context = _detail_context(request, dossier, documents_form=documents_form, supply_form=supply_form)
    return render(request, "dossiers/citizen/mine_detail.html", context, status=422)


@_applicant_required
@require_http_methods(["GET", "POST"])
def mine_withdraw(request: HttpRequest, code: str) -> HttpResponse:
    """Withdraw a dossier (status 7), after a confirmation page."""
    dossier = _own_dossier(request, code)
    form = WithdrawForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.dossier_withdraw(actor=request.user, dossier=dossier, reason=form.cleaned_data["reason"])
        except MotcuaError as error:
            form.add_error(None, str(error.message))
            status = 409
        else:
            messages.success(request, _("Your dossier was withdrawn."))
            return redirect("dossiers:mine_detail", code=dossier.code)
    context = {"dossier": dossier, "form": form, "content": procedure_content(dossier.procedure_version)}
    return render(request, "dossiers/citizen/withdraw_confirm.html", context, status=status)


# ------------------------------------------------------------------------------------------------------
# Public tracking, without an account
# ------------------------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    """Look a dossier up with the code and the secret on the receipt (the QR code prefills the code)."""
    lookup = None
    problem = ""
    status = 200
    if request.method == "POST":
        form = TrackForm(request.POST)
        if form.is_valid():
            try:
                lookup = selectors.dossier_lookup_public(
                    code=form.cleaned_data["code"],
                    secret=form.cleaned_data["secret"],
                    client_address=client_address(request),
                )
            except RateLimited:
                problem = _("Too many attempts. Please wait a minute and try again.")
                status = 429
            except NotFound:
                problem = _("No dossier matches this code and lookup secret. Check both on your receipt and try again.")
                status = 404
        else:
            status = 422
    else:
        form = TrackForm(initial={"code": request.GET.get("code", "")[:60]})
    if lookup is not None:
        history = [
            {
                "at": line.at,
                "words": HISTORY_WORDS.get(line.action, line.action_label),
                "status_label": line.status_label,
            }
            for line in lookup.history
        ]
        payment_forms = [
            {
                "bill": bill,
                "form": TrackPaymentForm(
                    initial={
                        **form.cleaned_data,
                        "payment_request": bill.id,
                        "idempotency_key": secrets.token_urlsafe(16),
                    }
                ),
            }
            for bill in lookup.bills
        ]
        context = {"lookup": lookup, "history": history, "bills": payment_forms}
        if lookup.can_rate:
            context["rating_form"] = TrackRatingForm(initial=form.cleaned_data)
        return _no_store(render(request, "dossiers/citizen/track.html", context))
    context = {"form": form, "problem": problem}
    return _no_store(render(request, "dossiers/citizen/track.html", context, status=status))


urlpatterns = [
    path("apply/<str:procedure_code>/", apply_start, name="apply"),
    path("drafts/<uuid:draft_id>/", draft_continue, name="draft_continue"),
    path("drafts/<uuid:draft_id>/form/", draft_form, name="draft_form"),
    path("drafts/<uuid:draft_id>/documents/", draft_documents, name="draft_documents"),
    path("drafts/<uuid:draft_id>/fees/", draft_fees, name="draft_fees"),
    path("drafts/<uuid:draft_id>/review/", draft_review, name="draft_review"),
    path("drafts/<uuid:draft_id>/submit/", draft_submit_view, name="draft_submit"),
    path("drafts/<uuid:draft_id>/delete/", draft_discard_view, name="draft_discard"),
    path("mine/", mine, name="mine"),
    path("mine/files/<uuid:file_id>/", file_download, name="mine_file"),
    path("mine/<str:code>/", mine_detail, name="mine_detail"),
    path("mine/<str:code>/submitted/", submitted, name="submitted"),
    path("mine/<str:code>/receipt/", receipt_download, name="receipt"),
    path("mine/<str:code>/supplement/", mine_supply, name="mine_supply"),
    path("mine/<str:code>/withdraw/", mine_withdraw, name="mine_withdraw"),
    path("track/", track, name="track"),
]
