"""Officials' pages: the feedback queue of their agencies and the handling page with one form per action.

Every page reads through ``feedback.selectors`` and every change goes through ``feedback.services``; the pages only
parse forms and turn ``core.exceptions`` into form errors. A feedback the official may not see is "not found". Each
action form carries the status the official saw (``seen_status``): if someone else acted meanwhile, nothing changes
and the page says so.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from motcua.agencies.selectors import organisation_find, organisation_list
from motcua.core.calendar import WorkingCalendar, calendar_get
from motcua.core.exceptions import InvalidState, MotcuaError, NotAuthenticated, NotFound, PermissionDenied
from motcua.feedback import selectors, services
from motcua.feedback.deadlines import DUE_SOON_WORKING_HOURS, current_due_at
from motcua.feedback.forms import (
    ActionForm,
    AnswerForm,
    ApproveForm,
    AssignForm,
    CloseForm,
    ForwardForm,
    NoteForm,
    PublishForm,
    ReasonForm,
    RequestInfoForm,
    form_errors_apply,
)
from motcua.feedback.models import Feedback, FeedbackStatus
from motcua.feedback.views.common import file_response
from motcua.feedback.workflow import Action

PAGE_SIZE = 50
S = FeedbackStatus
ACTION_FORMS: dict[str, type[ActionForm]] = {
    Action.ACCEPT: NoteForm,
    Action.REFUSE: ReasonForm,
    Action.RETURN: ReasonForm,
    Action.FORWARD: ForwardForm,
    Action.REQUEST_INFO: RequestInfoForm,
    Action.ASSIGN: AssignForm,
    Action.ANSWER: AnswerForm,
    Action.APPROVE: ApproveForm,
    Action.SEND_BACK: ReasonForm,
    Action.PUBLISH: PublishForm,
    Action.CLOSE: CloseForm,
}
# The usual next move first; the ones that end or refuse are drawn apart, in red.
ACTION_ORDER = [
    Action.ACCEPT,
    Action.ASSIGN,
    Action.ANSWER,
    Action.APPROVE,
    Action.PUBLISH,
    Action.CLOSE,
    Action.REQUEST_INFO,
    Action.SEND_BACK,
    Action.FORWARD,
    Action.RETURN,
    Action.REFUSE,
]
DANGEROUS_ACTIONS = frozenset({Action.REFUSE, Action.RETURN})
STALE_CODES = frozenset({"feedback_invalid_transition"})


def _tabs() -> list[tuple[str, str]]:
    return [
        ("open", _("In progress")),
        ("to_receive", _("To receive")),
        ("to_assign", _("To assign")),
        ("mine", _("Assigned to me")),
        ("to_approve", _("Answers to approve")),
        ("to_publish", _("To publish")),
        ("waiting", _("Waiting for the submitter")),
        ("due_soon", _("Due soon")),
        ("overdue", _("Overdue")),
        ("all", _("All, ended too")),
    ]


def _action_labels() -> dict[str, str]:
    return {
        Action.ACCEPT: _("Receive the feedback"),
        Action.REFUSE: _("Refuse the feedback"),
        Action.RETURN: _("Return: not within our competence"),
        Action.FORWARD: _("Forward to the competent agency"),
        Action.REQUEST_INFO: _("Ask the submitter for more information"),
        Action.ASSIGN: _("Assign a handler"),
        Action.ANSWER: _("Send the answer for approval"),
        Action.APPROVE: _("Approve the answer"),
        Action.SEND_BACK: _("Send the answer back to the handler"),
        Action.PUBLISH: _("Publish the answer"),
        Action.CLOSE: _("Close without publication"),
    }


# ------------------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------------------


def _require_official(request: HttpRequest) -> None:
    if not selectors.user_is_feedback_official(user=request.user):
        raise DjangoPermissionDenied


def _feedback_for_official(request: HttpRequest, code: str) -> Feedback:
    try:
        return selectors.feedback_get_for_official(user=request.user, code_or_id=code)
    except (NotFound, NotAuthenticated) as error:
        raise Http404(str(error.message)) from error


def _detail_url(feedback: Feedback) -> str:
    return reverse("feedback:work_detail", kwargs={"code": feedback.code})


def _time_text(seconds: float, calendar: WorkingCalendar) -> str:
    per_day = calendar.seconds_per_day or 8 * 3600
    if abs(seconds) < per_day:
        hours = max(1, math.ceil(abs(seconds) / 3600))
        return ngettext("%(count)d working hour", "%(count)d working hours", hours) % {"count": hours}
    days = math.ceil(abs(seconds) / per_day)
    return ngettext("%(count)d working day", "%(count)d working days", days) % {"count": days}


@dataclass(frozen=True)
class DueState:
    """How a feedback stands against the deadline of its current stage, in words."""

    kind: str  # overdue | due_soon | running | paused | ended
    text: str


def due_state(feedback: Feedback, now: dt.datetime, calendar: WorkingCalendar) -> DueState:
    if feedback.status == S.NEEDS_INFO:
        return DueState("paused", _("Clock paused while waiting for the submitter"))
    due = current_due_at(feedback)
    if due is None:
        return DueState("ended", "")
    if due < now:
        seconds = calendar.working_seconds_between(due, now)
        return DueState("overdue", _("Overdue by %(time)s") % {"time": _time_text(seconds, calendar)})
    seconds = calendar.working_seconds_between(now, due)
    kind = "due_soon" if seconds <= DUE_SOON_WORKING_HOURS * 3600 else "running"
    return DueState(kind, _("Due in %(time)s") % {"time": _time_text(seconds, calendar)})


# ------------------------------------------------------------------------------------------------------
# Queue
# ------------------------------------------------------------------------------------------------------


@require_GET
@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """The feedback of the official's agencies: tabs, search with or without diacritics, overdue first."""
    _require_official(request)
    user = request.user
    view = request.GET.get("view", "open")
    if view not in selectors.QUEUE_VIEWS:
        view = "open"
    query = request.GET.get("q", "").strip()[:100]
    agencies = list(selectors.feedback_queue_agencies(user=user))
    agency = next((item for item in agencies if item.code == request.GET.get("agency")), None)
    now = timezone.now()
    calendar = calendar_get()
    feedbacks = selectors.feedback_queue(user=user, view=view, query=query, agency=agency, now=now)
    page = Paginator(feedbacks, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {"feedback": item, "due": due_state(item, now, calendar), "is_mine": item.assigned_to_id == user.pk}
        for item in page.object_list
    ]
    counts = {
        tab: selectors.feedback_queue(user=user, view=tab, query=query, agency=agency, now=now).count()
        for tab, _label in _tabs()
        if tab != "all"
    }
    base_query = request.GET.copy()
    base_query.pop("page", None)
    tab_query = base_query.copy()
    tab_query.pop("view", None)
    context = {
        "view": view,
        "tabs": [(tab, label, counts.get(tab)) for tab, label in _tabs()],
        "query": query,
        "agencies": agencies,
        "agency": agency,
        "page": page,
        "rows": rows,
        "query_string": base_query.urlencode(),
        "tab_query_string": tab_query.urlencode(),
    }
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.target == "queue-results":
        return render(request, "feedback/officials/_queue_results.html", context)
    return render(request, "feedback/officials/queue.html", context)


# ------------------------------------------------------------------------------------------------------
# Handling page
# ------------------------------------------------------------------------------------------------------


def _available_actions(user: Any, feedback: Feedback) -> list[str]:
    actions = set(selectors.feedback_actions_available(user=user, feedback=feedback))
    return [action for action in ACTION_ORDER if action in actions]


def _forward_choices(feedback: Feedback) -> list[tuple[str, str]]:
    return [
        (organisation.code, organisation.name)
        for organisation in organisation_list()
        .exclude(code__isnull=True)
        .exclude(code="")
        .exclude(pk=feedback.agency_id)
    ]


def _form_for(action: str, feedback: Feedback, data: Any = None) -> ActionForm:
    form_class = ACTION_FORMS[action]
    kwargs: dict[str, Any] = {"feedback": feedback, "prefix": action}
    if form_class is AssignForm:
        kwargs["officials"] = [
            (str(official.pk), official.full_name or official.username)
            for official in selectors.feedback_assignable_officials(feedback=feedback)
            if official.pk != feedback.assigned_to_id
        ]
    if form_class is ForwardForm:
        kwargs["agencies"] = _forward_choices(feedback)
    if data is not None:
        return form_class(data, **kwargs)
    initial: dict[str, Any] = {"seen_status": feedback.status}
    if action == Action.ANSWER:
        initial.update(
            {
                "answer": feedback.answer,
                "published_title": feedback.published_title,
                "published_question": feedback.published_question,
            }
        )
    elif action == Action.APPROVE:
        initial["answer"] = feedback.answer
    elif action == Action.PUBLISH:
        initial.update(
            {
                "published_title": feedback.published_title or feedback.title,
                "published_question": feedback.published_question,
            }
        )
    return form_class(initial=initial, **kwargs)


def _detail_page(
    request: HttpRequest, feedback: Feedback, *, bound: tuple[str, ActionForm] | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    now = timezone.now()
    calendar = calendar_get()
    labels = _action_labels()
    action_forms = []
    for action in _available_actions(user, feedback):
        form = bound[1] if bound is not None and bound[0] == action else _form_for(action, feedback)
        action_forms.append(
            {
                "action": action,
                "label": labels[action],
                "form": form,
                "is_open": (bound is not None and bound[0] == action)
                or (bound is None and not action_forms and action not in DANGEROUS_ACTIONS),
                "is_dangerous": action in DANGEROUS_ACTIONS,
                "url": reverse("feedback:work_action", kwargs={"code": feedback.code, "action": action}),
            }
        )
    attachments = list(selectors.feedback_attachments(feedback=feedback))
    context = {
        "feedback": feedback,
        "status_label": FeedbackStatus(feedback.status).label,
        "due": due_state(feedback, now, calendar),
        "history": list(selectors.feedback_history(user=user, feedback=feedback)),
        "attachments": attachments,
        "action_forms": action_forms,
        "action_labels": {str(key): value for key, value in Action.choices},
        "now": now,
    }
    return render(request, "feedback/officials/detail.html", context, status=status)


@require_GET
@login_required
def detail(request: HttpRequest, code: str) -> HttpResponse:
    """One feedback: the question, the submitter, the deadlines, the history, and the actions open to this official."""
    _require_official(request)
    return _detail_page(request, _feedback_for_official(request, code))


def _stale_message() -> str:
    return _("Someone else acted on this feedback, the page was reloaded. Check its state and try again.")


def _call_service(action: str, *, user: Any, feedback: Feedback, data: dict[str, Any]) -> str:
    """Call the action's service; returns the success message."""
    if action == Action.ACCEPT:
        services.feedback_accept(actor=user, feedback=feedback, note=data.get("note", ""))
        return _("The feedback was received. Assign it to a handler.")
    if action == Action.REFUSE:
        services.feedback_refuse(actor=user, feedback=feedback, reason=data["reason"])
        return _("The feedback was refused; the submitter is told why.")
    if action == Action.RETURN:
        services.feedback_return(actor=user, feedback=feedback, reason=data["reason"])
        return _("The feedback was returned to the submitter.")
    if action == Action.FORWARD:
        agency = organisation_find(reference=data["agency"])
        if agency is None:
            raise NotFound()
        services.feedback_forward(actor=user, feedback=feedback, agency=agency, note=data.get("note", ""))
        return _("The feedback was forwarded to %(agency)s.") % {"agency": agency.name}
    if action == Action.REQUEST_INFO:
        services.feedback_request_info(actor=user, feedback=feedback, question=data["question"])
        return _("The submitter was asked for more information; the deadline is paused until they reply.")
    if action == Action.ASSIGN:
        assignee = get_user_model().objects.filter(pk=data["assignee"]).first()
        services.feedback_assign(actor=user, feedback=feedback, assignee=assignee, note=data.get("note", ""))
        return _("The feedback was assigned.")
    if action == Action.ANSWER:
        services.feedback_answer(
            actor=user,
            feedback=feedback,
            answer=data["answer"],
            published_title=data.get("published_title", ""),
            published_question=data.get("published_question", ""),
        )
        return _("The answer was sent to the agency's leader for approval.")
    if action == Action.APPROVE:
        services.feedback_approve(
            actor=user, feedback=feedback, answer=data.get("answer", ""), note=data.get("note", "")
        )
        return _("The answer was approved and sent to the submitter.")
    if action == Action.SEND_BACK:
        services.feedback_send_back(actor=user, feedback=feedback, reason=data["reason"])
        return _("The answer was sent back to its handler.")
    if action == Action.PUBLISH:
        services.feedback_publish(
            actor=user,
            feedback=feedback,
            published_title=data.get("published_title", ""),
            published_question=data.get("published_question", ""),
        )
        return _("The answer was published.")
    if action == Action.CLOSE:
        services.feedback_close(actor=user, feedback=feedback, reason=data.get("reason", ""))
        return _("The feedback was closed without publication.")
    raise Http404


@require_POST
@login_required
def action(request: HttpRequest, code: str, action: str) -> HttpResponse:
    """Take one action on a feedback through its service; errors come back on the action's form."""
    _require_official(request)
    feedback = _feedback_for_official(request, code)
    if action not in ACTION_FORMS:
        raise Http404
    if action not in _available_actions(request.user, feedback):
        # Not open to this official in this state (someone acted meanwhile, or a forged form): nothing to do.
        messages.error(request, _("This action is not open to you on this feedback now."))
        return HttpResponseRedirect(_detail_url(feedback), status=303)
    form = _form_for(action, feedback, request.POST)
    if not form.is_valid():
        return _detail_page(request, feedback, bound=(action, form), status=422)
    seen = form.cleaned_data.get("seen_status")
    if seen and seen != feedback.status:
        messages.error(request, _stale_message())
        return HttpResponseRedirect(_detail_url(feedback), status=303)
    try:
        message = _call_service(action, user=request.user, feedback=feedback, data=form.cleaned_data)
    except (InvalidState, PermissionDenied) as error:
        if error.code in STALE_CODES:
            messages.error(request, _stale_message())
            return HttpResponseRedirect(_detail_url(feedback), status=303)
        form.add_error(None, str(error.message))
        feedback.refresh_from_db()
        return _detail_page(request, feedback, bound=(action, form), status=error.http_status)
    except NotFound as error:
        raise Http404(str(error.message)) from error
    except MotcuaError as error:
        form_errors_apply(form, error)
        feedback.refresh_from_db()
        return _detail_page(request, feedback, bound=(action, form), status=error.http_status)
    messages.success(request, message)
    return HttpResponseRedirect(_detail_url(feedback), status=303)


@require_GET
@login_required
def work_file(request: HttpRequest, code: str, attachment_id: uuid.UUID) -> FileResponse:
    _require_official(request)
    feedback = _feedback_for_official(request, code)
    try:
        item = selectors.feedback_attachment_get(feedback=feedback, attachment_id=attachment_id)
    except NotFound as error:
        raise Http404 from error
    return file_response(item)
