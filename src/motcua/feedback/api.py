"""Feedback and recommendations API at /api/v1/feedback.

Anyone submits (``POST /feedback``, multipart with the files in ``attachments``) and reads the published answers
(``/public``); the submitter follows their feedback with its code and lookup secret (``/follow``) or through their
account (``/mine``, ``/{code}``); officials work from ``/queue`` and take each transition with
``POST /{code}/actions/{action}``. Errors are core exceptions.

No ``from __future__ import annotations`` here: Ninja reads the real annotation objects.
"""

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate
from ninja.security import SessionAuth

from motcua.accounts.api_auth import ApiClientBearer
from motcua.agencies.selectors import organisation_find
from motcua.core.context import current_context
from motcua.core.exceptions import ValidationFailed
from motcua.feedback import selectors, services
from motcua.feedback.models import ANSWER_GIVEN_STATUSES, Feedback, FeedbackStatus
from motcua.feedback.rules import is_feedback_official
from motcua.feedback.schemas import (
    AnswerIn,
    ApproveIn,
    AssignIn,
    EventOut,
    FeedbackCreatedOut,
    FeedbackDetailOut,
    FeedbackListOut,
    FeedbackSubmitIn,
    FollowOut,
    FollowSupplementIn,
    ForwardedOut,
    ForwardIn,
    NoteIn,
    OptionalReasonIn,
    PublicAnswerOut,
    PublicFilter,
    PublishIn,
    QuestionIn,
    QueueFilter,
    ReasonIn,
    SupplementIn,
    VoteIn,
    VoteOut,
)
from motcua.feedback.workflow import Action

router = Router(tags=["feedback"])


class _SessionIfSignedIn(SessionAuth):
    """A signed-in browser's session (with its CSRF check); lets a browser without a session through to the next
    authentication, so people without an account may submit."""

    def _get_key(self, request: HttpRequest) -> Any:
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)


def _anyone(request: HttpRequest) -> Any:
    # Credentials that did not authenticate are refused (401), never taken for a person without an account.
    if request.headers.get("Authorization"):
        return None
    return AnonymousUser()


# Bearer API clients and signed-in sessions are who they are; anyone else is a person without an account.
SIGNED_IN_OR_ANONYMOUS = [ApiClientBearer(), _SessionIfSignedIn(csrf=True), _anyone]


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _agency(feedback: Feedback) -> dict[str, str]:
    return {"code": feedback.agency.code or "", "name": feedback.agency.name}


def _handler(feedback: Feedback) -> str | None:
    user = feedback.assigned_to
    return (user.full_name or user.username) if user is not None else None


def _list_row(feedback: Feedback) -> dict[str, Any]:
    return {
        "id": feedback.pk,
        "code": feedback.code,
        "status": feedback.status,
        "title": feedback.title,
        "agency": _agency(feedback),
        "submitter_name": feedback.submitter_name,
        "submitted_at": feedback.submitted_at,
        "received_at": feedback.received_at,
        "due_at": feedback.due_at,
        "handler": _handler(feedback),
    }


def _follow_view(feedback: Feedback) -> dict[str, Any]:
    notes_shown = {Action.REQUEST_INFO, Action.SUPPLEMENT, Action.REFUSE, Action.RETURN, Action.CLOSE}
    events = list(feedback.events.order_by("sequence"))
    question = ""
    if feedback.status == FeedbackStatus.NEEDS_INFO:
        question = next((e.note for e in reversed(events) if e.action == Action.REQUEST_INFO), "")
    return {
        "code": feedback.code,
        "status": feedback.status,
        "status_label": str(FeedbackStatus(feedback.status).label),
        "title": feedback.title,
        "content": feedback.content,
        "agency": _agency(feedback),
        "procedure": feedback.procedure.code if feedback.procedure else None,
        "dossier": feedback.dossier.code if feedback.dossier else None,
        "submitted_at": feedback.submitted_at,
        "resolve_due_at": feedback.resolve_due_at,
        "publication_consent": feedback.publication_consent,
        "question": question,
        "answer": feedback.answer if feedback.status in ANSWER_GIVEN_STATUSES else None,
        "reason": feedback.closing_reason,
        "is_published": feedback.status == FeedbackStatus.PUBLISHED,
        "history": [
            {
                "at": event.at,
                "action": event.action,
                "status": event.to_status,
                "note": event.note if event.action in notes_shown else "",
            }
            for event in events
        ],
    }


# Fields of the officials' view copied as they are stored.
DETAIL_FIELDS = (
    "id",
    "code",
    "status",
    "subject_kind",
    "title",
    "content",
    "field_code",
    "submitter_name",
    "submitter_phone",
    "submitter_email",
    "submitter_address",
    "publication_consent",
    "submitted_at",
    "received_at",
    "receipt_due_at",
    "info_request_due_at",
    "resolve_due_at",
    "publish_due_at",
    "due_at",
    "answer",
    "published_title",
    "published_question",
    "approved_at",
    "resolved_on_time",
    "published_at",
    "published_on_time",
    "closing_reason",
    "info_request_count",
    "like_count",
    "dislike_count",
)


def _detail(request: HttpRequest, feedback: Feedback) -> dict[str, Any]:
    user = _user(request)
    feedback = selectors.feedback_get_for_official(user=user, code_or_id=feedback.pk)
    return {
        **{name: getattr(feedback, name) for name in DETAIL_FIELDS},
        "agency": _agency(feedback),
        "procedure": feedback.procedure.code if feedback.procedure else None,
        "dossier": feedback.dossier.code if feedback.dossier else None,
        "handler": _handler(feedback),
        "allowed_actions": selectors.feedback_actions_available(user=user, feedback=feedback),
    }


def _public(feedback: Feedback) -> dict[str, Any]:
    return {
        "code": feedback.code,
        "title": feedback.published_title,
        "question": feedback.published_question,
        "answer": feedback.answer,
        "agency": _agency(feedback),
        "procedure": feedback.procedure.code if feedback.procedure else None,
        "procedure_name": feedback.procedure.name if feedback.procedure else None,
        "field_code": feedback.field_code,
        "field_name": feedback.field_name,
        "published_at": feedback.published_at,
        "like_count": feedback.like_count,
        "dislike_count": feedback.dislike_count,
    }


def _for_official(request: HttpRequest, code: str) -> Feedback:
    return selectors.feedback_get_for_official(user=_user(request), code_or_id=code)


# ------------------------------------------------------------------------------------------------------
# Submission, published answers, following (static paths first: they must not be read as codes)
# ------------------------------------------------------------------------------------------------------


@router.post(
    "",
    response={201: FeedbackCreatedOut},
    auth=SIGNED_IN_OR_ANONYMOUS,
    summary="Send feedback (multipart/form-data; signed in or not)",
)
def feedback_submit(
    request: HttpRequest,
    payload: Form[FeedbackSubmitIn],
    attachments: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Any:
    uploads = [services.Upload(content=item, name=item.name or "", size=item.size) for item in (attachments or [])]
    feedback = services.feedback_submit(
        actor=_user(request),
        subject_kind=payload.subject_kind,
        title=payload.title,
        content=payload.content,
        procedure_code=payload.procedure,
        agency_code=payload.agency,
        dossier_code=payload.dossier,
        dossier_secret=payload.dossier_secret,
        name=payload.name,
        phone=payload.phone,
        email=payload.email,
        address=payload.address,
        publication_consent=payload.publication_consent,
        attachments=uploads,
        language=get_language() or "vi",
        client_address=current_context().client_address,
    )
    return Status(
        201,
        {
            "id": feedback.pk,
            "code": feedback.code,
            "lookup_secret": feedback.lookup_secret,
            "status": feedback.status,
            "agency": _agency(feedback),
            "receipt_due_at": feedback.receipt_due_at,
            "resolve_due_at": feedback.resolve_due_at,
        },
    )


@router.get("/public", response=list[PublicAnswerOut], auth=None, summary="Search the published answers")
@paginate(PageNumberPagination, page_size=settings.API_PAGE_SIZE)
def public_search(request: HttpRequest, filters: Query[PublicFilter]) -> Any:
    results = selectors.feedback_public_search(
        query=filters.q, agency_code=filters.agency, procedure_code=filters.procedure, field_code=filters.field
    )
    return [_public(feedback) for feedback in results]


@router.get("/public/{code}", response=PublicAnswerOut, auth=None, summary="One published answer")
def public_get(request: HttpRequest, code: str) -> Any:
    return _public(selectors.feedback_public_get(code=code))


@router.post("/public/{code}/vote", response=VoteOut, summary="Like or dislike a published answer (signed in)")
def public_vote(request: HttpRequest, code: str, payload: VoteIn) -> Any:
    feedback = selectors.feedback_public_get(code=code)
    outcome = services.feedback_vote(actor=_user(request), feedback=feedback, value=payload.value)
    return {
        "code": outcome.feedback.code,
        "value": "like" if outcome.value == 1 else "dislike",
        "like_count": outcome.feedback.like_count,
        "dislike_count": outcome.feedback.dislike_count,
    }


@router.get("/follow", response=FollowOut, auth=None, summary="Follow a feedback with its code and lookup secret")
def follow(request: HttpRequest, code: str = "", secret: str = "") -> Any:
    feedback = selectors.feedback_follow(code=code, secret=secret, client_address=current_context().client_address)
    return _follow_view(feedback)


@router.post(
    "/follow/supplement", response=FollowOut, auth=None, summary="Supply the information asked for (code + secret)"
)
def follow_supplement(request: HttpRequest, payload: FollowSupplementIn) -> Any:
    feedback = selectors.feedback_follow(
        code=payload.code, secret=payload.secret, client_address=current_context().client_address
    )
    feedback = services.feedback_supplement(actor=None, feedback=feedback, text=payload.text, secret=payload.secret)
    return _follow_view(feedback)


@router.get("/mine", response=list[FeedbackListOut], summary="My feedback (signed-in submitters)")
@paginate(PageNumberPagination, page_size=settings.API_PAGE_SIZE)
def mine(request: HttpRequest) -> Any:
    return [_list_row(feedback) for feedback in selectors.feedback_list_for_submitter(user=_user(request))]


@router.get("/queue", response=list[FeedbackListOut], summary="My agencies' feedback (officials)")
@paginate(PageNumberPagination, page_size=settings.API_PAGE_SIZE)
def queue(request: HttpRequest, filters: Query[QueueFilter]) -> Any:
    agency = None
    if filters.agency:
        agency = organisation_find(reference=filters.agency)
        if agency is None:
            raise ValidationFailed(details={"agency": [str(_("There is no organisation with this code."))]})
    feedbacks = selectors.feedback_queue(user=_user(request), view=filters.view, query=filters.q, agency=agency)
    return [_list_row(feedback) for feedback in feedbacks]


# ------------------------------------------------------------------------------------------------------
# One feedback
# ------------------------------------------------------------------------------------------------------


@router.get(
    "/{code}",
    response={200: FeedbackDetailOut | FollowOut},
    summary="One feedback: the officials' view, or the submitter's view for their own account",
)
def feedback_get(request: HttpRequest, code: str) -> Any:
    user = _user(request)
    feedback = selectors.feedback_get(user=user, code_or_id=code)
    if is_feedback_official(user, feedback):
        return FeedbackDetailOut(**_detail(request, feedback))
    return FollowOut(**_follow_view(feedback))


@router.get("/{code}/history", response=list[EventOut], summary="History of a feedback (officials)")
def feedback_history(request: HttpRequest, code: str) -> Any:
    feedback = _for_official(request, code)
    return list(selectors.feedback_history(user=_user(request), feedback=feedback))


@router.post("/{code}/actions/supplement", response=FollowOut, summary="Supply the information asked for (submitter)")
def action_supplement(request: HttpRequest, code: str, payload: SupplementIn) -> Any:
    feedback = selectors.feedback_get(user=_user(request), code_or_id=code)
    feedback = services.feedback_supplement(actor=_user(request), feedback=feedback, text=payload.text)
    return _follow_view(feedback)


@router.post("/{code}/actions/accept", response=FeedbackDetailOut, summary="Receive the feedback")
def action_accept(request: HttpRequest, code: str, payload: NoteIn) -> Any:
    feedback = services.feedback_accept(actor=_user(request), feedback=_for_official(request, code), note=payload.note)
    return _detail(request, feedback)


@router.post("/{code}/actions/refuse", response=FeedbackDetailOut, summary="Refuse the feedback")
def action_refuse(request: HttpRequest, code: str, payload: ReasonIn) -> Any:
    feedback = services.feedback_refuse(
        actor=_user(request), feedback=_for_official(request, code), reason=payload.reason
    )
    return _detail(request, feedback)


@router.post("/{code}/actions/return", response=FeedbackDetailOut, summary="Return: not within the competence")
def action_return(request: HttpRequest, code: str, payload: ReasonIn) -> Any:
    feedback = services.feedback_return(
        actor=_user(request), feedback=_for_official(request, code), reason=payload.reason
    )
    return _detail(request, feedback)


@router.post(
    "/{code}/actions/forward", response=ForwardedOut, summary="Forward to the competent agency (it leaves yours)"
)
def action_forward(request: HttpRequest, code: str, payload: ForwardIn) -> Any:
    feedback = _for_official(request, code)
    agency = organisation_find(reference=payload.agency)
    if agency is None:
        raise ValidationFailed(details={"agency": [str(_("There is no organisation with this code."))]})
    feedback = services.feedback_forward(actor=_user(request), feedback=feedback, agency=agency, note=payload.note)
    return {"code": feedback.code, "status": feedback.status, "agency": _agency(feedback)}


@router.post("/{code}/actions/request_info", response=FeedbackDetailOut, summary="Ask for more information")
def action_request_info(request: HttpRequest, code: str, payload: QuestionIn) -> Any:
    feedback = services.feedback_request_info(
        actor=_user(request), feedback=_for_official(request, code), question=payload.question
    )
    return _detail(request, feedback)


@router.post("/{code}/actions/assign", response=FeedbackDetailOut, summary="Assign a handler")
def action_assign(request: HttpRequest, code: str, payload: AssignIn) -> Any:
    feedback = _for_official(request, code)
    assignee = get_user_model().objects.filter(pk=payload.assignee_id).first()
    feedback = services.feedback_assign(actor=_user(request), feedback=feedback, assignee=assignee, note=payload.note)
    return _detail(request, feedback)


@router.post("/{code}/actions/answer", response=FeedbackDetailOut, summary="Answer (sent to the leader for approval)")
def action_answer(request: HttpRequest, code: str, payload: AnswerIn) -> Any:
    feedback = services.feedback_answer(
        actor=_user(request),
        feedback=_for_official(request, code),
        answer=payload.answer,
        published_title=payload.published_title,
        published_question=payload.published_question,
    )
    return _detail(request, feedback)


@router.post("/{code}/actions/approve", response=FeedbackDetailOut, summary="Approve the answer (leader)")
def action_approve(request: HttpRequest, code: str, payload: ApproveIn) -> Any:
    feedback = services.feedback_approve(
        actor=_user(request), feedback=_for_official(request, code), answer=payload.answer, note=payload.note
    )
    return _detail(request, feedback)


@router.post("/{code}/actions/send_back", response=FeedbackDetailOut, summary="Send the answer back (leader)")
def action_send_back(request: HttpRequest, code: str, payload: ReasonIn) -> Any:
    feedback = services.feedback_send_back(
        actor=_user(request), feedback=_for_official(request, code), reason=payload.reason
    )
    return _detail(request, feedback)


@router.post("/{code}/actions/publish", response=FeedbackDetailOut, summary="Publish the answer (leader)")
def action_publish(request: HttpRequest, code: str, payload: PublishIn) -> Any:
    feedback = services.feedback_publish(
        actor=_user(request),
        feedback=_for_official(request, code),
        published_title=payload.published_title,
        published_question=payload.published_question,
    )
    return _detail(request, feedback)


@router.post("/{code}/actions/close", response=FeedbackDetailOut, summary="Close without publication (leader)")
def action_close(request: HttpRequest, code: str, payload: OptionalReasonIn) -> Any:
    feedback = services.feedback_close(
        actor=_user(request), feedback=_for_official(request, code), reason=payload.reason
    )
    return _detail(request, feedback)
