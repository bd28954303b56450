"""Pages for the public: search the published answers and rate them, send feedback, follow it.

Every page works without JavaScript (HTMX only swaps the results and the vote box in place). Views parse the
request, call a service or selector and render; the rules are in ``feedback.services`` and ``feedback.selectors``.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from motcua.accounts.models import User
from motcua.agencies.selectors import organisation_list
from motcua.core.exceptions import MotcuaError, NotFound, RateLimited
from motcua.core.middleware import client_address
from motcua.feedback import selectors, services
from motcua.feedback.forms import FollowForm, PublicSearchForm, SubmitForm, SupplementForm, form_errors_apply
from motcua.feedback.models import ANSWER_GIVEN_STATUSES, Feedback, FeedbackStatus
from motcua.feedback.services._base import attachments_max
from motcua.feedback.views.common import file_response
from motcua.feedback.workflow import Action
from motcua.procedures.selectors import procedure_public_list

PAGE_SIZE = 20
SECRET_SESSION_KEY = "feedback:new-secrets"
FOLLOWED_SESSION_KEY = "feedback:followed"
VOTER_COOKIE = "motcua_feedback_voter"
VOTER_COOKIE_SALT = "motcua.feedback.voter"
VOTER_COOKIE_SECONDS = 365 * 24 * 3600

# What happened, told to the submitter in one plain sentence per action (no names of officials).
HISTORY_WORDS: dict[str, Any] = {
    Action.SUBMIT: gettext_lazy("You sent the feedback."),
    Action.ACCEPT: gettext_lazy("The agency received your feedback for handling."),
    Action.REFUSE: gettext_lazy("The agency refused your feedback."),
    Action.RETURN: gettext_lazy("The agency returned your feedback: it is not within its competence."),
    Action.FORWARD: gettext_lazy("Your feedback was forwarded to the competent agency."),
    Action.REQUEST_INFO: gettext_lazy("The agency asked you for more information."),
    Action.SUPPLEMENT: gettext_lazy("You supplied the information asked for."),
    Action.ASSIGN: gettext_lazy("An official was put in charge of your feedback."),
    Action.ANSWER: gettext_lazy("An answer was drafted and sent for approval."),
    Action.SEND_BACK: gettext_lazy("The draft answer was sent back to be completed."),
    Action.APPROVE: gettext_lazy("The agency's leader approved the answer."),
    Action.PUBLISH: gettext_lazy("The answer was published."),
    Action.CLOSE: gettext_lazy("The feedback was closed without publication."),
}
# Actions whose note the submitter reads (the question asked, the reasons given, what they supplied).
NOTES_SHOWN = frozenset({Action.REQUEST_INFO, Action.SUPPLEMENT, Action.REFUSE, Action.RETURN, Action.CLOSE})


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _person(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


# ------------------------------------------------------------------------------------------------------
# Published answers: search, one answer, votes
# ------------------------------------------------------------------------------------------------------


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """Search the published answers (with or without diacritics), by agency, procedure and field; paged."""
    filters = selectors.feedback_public_filters()
    form = PublicSearchForm(request.GET or None, filters=filters)
    criteria = {"q": "", "agency": "", "procedure": "", "field": ""}
    if form.is_bound:
        form.is_valid()  # a filter no longer offered (a stale link) is dropped; the others still apply
        criteria.update({key: value or "" for key, value in form.cleaned_data.items()})
    results = selectors.feedback_public_search(
        query=criteria["q"],
        agency_code=criteria["agency"],
        procedure_code=criteria["procedure"],
        field_code=criteria["field"],
    )
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query_string": query.urlencode(),
        "is_searching": any(criteria.values()),
    }
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.target == "answer-results":
        return render(request, "feedback/public/_results.html", context)
    return render(request, "feedback/public/index.html", context)


def _voter_token(request: HttpRequest) -> str:
    return request.get_signed_cookie(VOTER_COOKIE, default="", salt=VOTER_COOKIE_SALT) or ""


def _answer_context(request: HttpRequest, feedback: Feedback, **extra: Any) -> dict[str, Any]:
    return {
        "feedback": feedback,
        "my_vote": selectors.feedback_vote_of(user=request.user, voter_token=_voter_token(request), feedback=feedback),
        **extra,
    }


@require_safe
def answer(request: HttpRequest, code: str) -> HttpResponse:
    """One published answer: the question as published (no personal data), the answer, its rating."""
    try:
        feedback = selectors.feedback_public_get(code=code)
    except NotFound as error:
        raise Http404(str(error.message)) from error
    return render(request, "feedback/public/answer.html", _answer_context(request, feedback))


@require_POST
def vote(request: HttpRequest, code: str) -> HttpResponse:
    """Like or dislike a published answer; a browser without an account is known by a signed random cookie."""
    try:
        feedback = selectors.feedback_public_get(code=code)
    except NotFound as error:
        raise Http404(str(error.message)) from error
    token = _voter_token(request)
    new_token = ""
    if _person(request) is None and not token:
        token = new_token = secrets.token_urlsafe(24)
    problem = ""
    status = 200
    try:
        outcome = services.feedback_vote(
            actor=_person(request),
            feedback=feedback,
            value=request.POST.get("value", ""),
            voter_token=token,
            client_address=client_address(request),
        )
        feedback = outcome.feedback
    except RateLimited:
        problem, status = _("Too many votes from your connection. Please wait a minute."), 429
    except MotcuaError as error:
        problem, status = str(error.message), error.http_status
    htmx = getattr(request, "htmx", None)
    if htmx:
        context = _answer_context(request, feedback, vote_problem=problem)
        if new_token and not problem:
            context["my_vote"] = outcome.value
        response = render(request, "feedback/public/_vote.html", context, status=status)
    else:
        if problem:
            messages.error(request, problem)
        else:
            messages.success(request, _("Thank you for rating this answer."))
        response = HttpResponseRedirect(reverse("feedback:answer", kwargs={"code": feedback.code}), status=303)
    if new_token and not problem:
        response.set_signed_cookie(
            VOTER_COOKIE,
            new_token,
            salt=VOTER_COOKIE_SALT,
            max_age=VOTER_COOKIE_SECONDS,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


# ------------------------------------------------------------------------------------------------------
# Sending feedback
# ------------------------------------------------------------------------------------------------------


def _procedure_choices() -> list[tuple[str, str]]:
    return [
        (procedure.code, f"{procedure.name} ({procedure.code})")
        for procedure in procedure_public_list().order_by("name", "code")
    ]


def _agency_choices() -> list[tuple[str, str]]:
    return [
        (organisation.code, organisation.name)
        for organisation in organisation_list().exclude(code__isnull=True).exclude(code="")
    ]


def _submit_form(request: HttpRequest, data: Any = None, files: Any = None) -> SubmitForm:
    person = _person(request)
    initial: dict[str, Any] = {}
    if data is None:
        for kind in ("procedure", "agency", "dossier"):
            if request.GET.get(kind):
                initial["subject_kind"] = kind
                initial[kind] = request.GET[kind][:60]
        if person is not None:
            initial.update(
                {"name": person.display_name, "phone": person.phone, "email": person.email, "address": person.address}
            )
    return SubmitForm(
        data,
        files,
        initial=initial,
        procedures=_procedure_choices(),
        agencies=_agency_choices(),
        is_signed_in=person is not None,
        attachments_max=attachments_max(),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def send(request: HttpRequest) -> HttpResponse:
    """Send a feedback or recommendation: signed in (name and contact from the account) or not (a name and a phone
    number or an e-mail address)."""
    user = request.user
    if getattr(user, "is_authenticated", False) and getattr(user, "kind", "") == User.Kind.OFFICIAL:
        return render(request, "feedback/public/official_account.html", status=403)
    status = 200
    if request.method == "POST":
        form = _submit_form(request, request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            uploads = [
                services.Upload(content=item, name=item.name or "", size=item.size) for item in data["attachments"]
            ]
            try:
                feedback = services.feedback_submit(
                    actor=_person(request),
                    subject_kind=data["subject_kind"],
                    title=data["title"],
                    content=data["content"],
                    procedure_code=data["procedure"] if data["subject_kind"] == "procedure" else "",
                    agency_code=data["agency"] if data["subject_kind"] == "agency" else "",
                    dossier_code=data["dossier"] if data["subject_kind"] == "dossier" else "",
                    dossier_secret=data.get("dossier_secret", ""),
                    name=data["name"],
                    phone=data["phone"],
                    email=data["email"],
                    address=data["address"],
                    publication_consent=data["publication_consent"],
                    attachments=uploads,
                    language=get_language() or "vi",
                    client_address=client_address(request),
                )
            except RateLimited as error:
                form.add_error(None, str(error.message))
                status = 429
            except MotcuaError as error:
                form_errors_apply(form, error)
                status = error.http_status
            else:
                request.session[SECRET_SESSION_KEY] = {feedback.code: feedback.lookup_secret}
                _remember(request, feedback.code, feedback.lookup_secret or "")
                return redirect("feedback:sent", code=feedback.code)
        else:
            status = 422
    else:
        form = _submit_form(request)
    context = {"form": form, "is_signed_in": _person(request) is not None}
    return render(request, "feedback/public/send.html", context, status=status)


@never_cache
@require_safe
def sent(request: HttpRequest, code: str) -> HttpResponse:
    """The feedback's code and, this once, its lookup secret."""
    secrets_shown = request.session.pop(SECRET_SESSION_KEY, {})
    secret = secrets_shown.get(code)
    feedback = _followed(request, code)
    if feedback is None:
        raise Http404
    context = {"feedback": feedback, "secret": secret}
    return _no_store(render(request, "feedback/public/sent.html", context))


# ------------------------------------------------------------------------------------------------------
# Following one's feedback
# ------------------------------------------------------------------------------------------------------


def _remember(request: HttpRequest, code: str, secret: str) -> None:
    """Keep the code and secret in the (server-side) session, so the follow-up pages open without retyping them."""
    followed = dict(request.session.get(FOLLOWED_SESSION_KEY, {}))
    followed[code] = secret
    request.session[FOLLOWED_SESSION_KEY] = dict(list(followed.items())[-20:])


def _secret_for(request: HttpRequest, code: str) -> str:
    return str(request.session.get(FOLLOWED_SESSION_KEY, {}).get(code, ""))


def _followed(request: HttpRequest, code: str) -> Feedback | None:
    """The feedback if this browser speaks for its submitter: their account, or a secret checked this session."""
    code = (code or "").strip().upper()
    person = _person(request)
    feedback = (
        Feedback.objects.select_related("agency", "procedure", "dossier", "assigned_to").filter(code=code).first()
    )
    if feedback is None:
        return None
    if services.feedback_may_supplement(actor=person, feedback=feedback, secret=_secret_for(request, code)):
        return feedback
    return None


@never_cache
@require_http_methods(["GET", "POST"])
def follow(request: HttpRequest) -> HttpResponse:
    """Follow a feedback with its code and lookup secret (no account needed)."""
    problem = ""
    status = 200
    if request.method == "POST":
        form = FollowForm(request.POST)
        if form.is_valid():
            code, secret = form.cleaned_data["code"].strip().upper(), form.cleaned_data["secret"]
            try:
                feedback = selectors.feedback_follow(code=code, secret=secret, client_address=client_address(request))
            except RateLimited:
                problem, status = _("Too many attempts. Please wait a minute and try again."), 429
            except NotFound:
                problem, status = _("No feedback matches this code and lookup secret. Check both and try again."), 404
            else:
                _remember(request, feedback.code, secret)
                return redirect("feedback:follow_detail", code=feedback.code)
        else:
            status = 422
    else:
        form = FollowForm(initial={"code": request.GET.get("code", "")[:20]})
    context = {"form": form, "problem": problem}
    return _no_store(render(request, "feedback/public/follow.html", context, status=status))


def _history(feedback: Feedback) -> list[dict[str, Any]]:
    lines = []
    for event in feedback.events.order_by("sequence"):
        lines.append(
            {
                "at": event.at,
                "words": HISTORY_WORDS.get(event.action, event.action),
                "status_label": FeedbackStatus(event.to_status).label,
                "note": event.note if event.action in NOTES_SHOWN else "",
                "agency": event.details.get("to_agency_name", "") if event.action == Action.FORWARD else "",
            }
        )
    return lines


def _follow_context(request: HttpRequest, feedback: Feedback, **extra: Any) -> dict[str, Any]:
    question = ""
    if feedback.status == FeedbackStatus.NEEDS_INFO:
        last = feedback.events.filter(action=Action.REQUEST_INFO).order_by("-sequence").first()
        question = last.note if last is not None else ""
    context = {
        "feedback": feedback,
        "status_label": FeedbackStatus(feedback.status).label,
        "history": _history(feedback),
        "attachments": list(selectors.feedback_attachments(feedback=feedback)),
        "question": question,
        "answer_given": feedback.status in ANSWER_GIVEN_STATUSES,
        "supplement_form": SupplementForm() if feedback.status == FeedbackStatus.NEEDS_INFO else None,
    }
    context.update(extra)
    return context


@never_cache
@require_safe
def follow_detail(request: HttpRequest, code: str) -> HttpResponse:
    feedback = _followed(request, code)
    if feedback is None:
        if _person(request) is None:
            return redirect(reverse("feedback:follow") + f"?code={code[:20]}")
        raise Http404(_("There is no feedback with this code, or you may not see it."))
    return _no_store(render(request, "feedback/public/follow_detail.html", _follow_context(request, feedback)))


@require_POST
def follow_supplement(request: HttpRequest, code: str) -> HttpResponse:
    """The submitter supplies the information asked for, with files if need be."""
    feedback = _followed(request, code)
    if feedback is None:
        raise Http404
    form = SupplementForm(request.POST, request.FILES)
    status = 422
    if form.is_valid():
        uploads = [
            services.Upload(content=item, name=item.name or "", size=item.size)
            for item in form.cleaned_data["attachments"]
        ]
        try:
            services.feedback_supplement(
                actor=_person(request),
                feedback=feedback,
                text=form.cleaned_data["text"],
                attachments=uploads,
                secret=_secret_for(request, feedback.code),
            )
        except MotcuaError as error:
            form_errors_apply(form, error)
            status = error.http_status
            feedback.refresh_from_db()
        else:
            messages.success(request, _("Thank you. The information was sent to the agency."))
            return HttpResponseRedirect(reverse("feedback:follow_detail", kwargs={"code": feedback.code}), status=303)
    context = _follow_context(request, feedback, supplement_form=form)
    return _no_store(render(request, "feedback/public/follow_detail.html", context, status=status))


@require_safe
def follow_file(request: HttpRequest, code: str, attachment_id: uuid.UUID) -> FileResponse:
    feedback = _followed(request, code)
    if feedback is None:
        raise Http404
    try:
        item = selectors.feedback_attachment_get(feedback=feedback, attachment_id=attachment_id)
    except NotFound as error:
        raise Http404 from error
    return file_response(item)


@login_required
@never_cache
@require_safe
def mine(request: HttpRequest) -> HttpResponse:
    """The signed-in person's feedback, newest first."""
    page = Paginator(selectors.feedback_list_for_submitter(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "feedback/public/mine.html", {"page": page})
