"""Handling a feedback in the competent agency: one service per transition of ``feedback.workflow``.

Every function is the one door for its change: keyword-only, typed, atomic; it locks the feedback, checks that
the actor may see it (404), that the state machine allows the action (409 ``feedback_invalid_transition``) and
that the actor may take it (403), then writes the new state, the deadline of the new stage, a history line
(with the deadline the action answered to and whether it was met), an audit event and the notifications, all in
the same transaction. Every service takes an optional ``at`` (aware datetime) so tests and imports can say "now".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from motcua.accounts.models import User
from motcua.agencies.models import Organisation
from motcua.agencies.selectors import position_active_list
from motcua.core.calendar import calendar_get
from motcua.core.exceptions import InvalidState, ValidationFailed
from motcua.feedback.deadlines import (
    deadlines_start,
    publish_deadline_start,
    resolve_clock_pause,
    resolve_clock_stop,
)
from motcua.feedback.models import Feedback, FeedbackStatus
from motcua.feedback.notifying import (
    agency_recipients,
    feedback_notify,
    receiver_recipients,
    submitter_link,
    submitter_recipients,
    user_recipients,
    work_link,
)
from motcua.feedback.rules import HANDLER_ROLES, LEADER_ROLES
from motcua.feedback.services._base import (
    ANSWER_MAX,
    CONTENT_MAX,
    NOTE_MAX,
    TITLE_MAX,
    Errors,
    add_error,
    audited,
    begin,
    clean_text,
    judge,
    moment,
    public_search_key_of,
    raise_if_any,
    record,
    require,
)
from motcua.feedback.workflow import Action

S = FeedbackStatus


def _end(feedback: Feedback, status: str, at: dt.datetime, reason: str) -> None:
    feedback.status = status
    feedback.closed_at = at
    feedback.closing_reason = reason
    feedback.due_at = None


# ------------------------------------------------------------------------------------------------------
# Receipt: receive, refuse, return, forward
# ------------------------------------------------------------------------------------------------------


@transaction.atomic
def feedback_accept(*, actor: Any, feedback: Feedback, note: str = "", at: dt.datetime | None = None) -> Feedback:
    """A receiving official receives the feedback for handling, within 2 working days of its arrival (Decree
    20/2008, as amended)."""
    at = moment(at)
    errors: Errors = {}
    note = clean_text(errors, "note", note, maximum=NOTE_MAX, required=False)
    raise_if_any(errors)
    feedback, position, targets = begin(actor=actor, feedback=feedback, action=Action.ACCEPT)
    before, from_status = audited(feedback), feedback.status
    judged = judge(feedback, from_status=from_status, action=Action.ACCEPT, at=at)
    feedback.status = targets[0]
    record(
        feedback=feedback,
        action=Action.ACCEPT,
        from_status=from_status,
        actor=actor,
        position=position,
        at=at,
        before=before,
        note=note,
        judged=judged,
    )
    return feedback


@transaction.atomic
def feedback_refuse(*, actor: Any, feedback: Feedback, reason: str, at: dt.datetime | None = None) -> Feedback:
    """A receiving official refuses the feedback, saying why (it is not feedback on administrative regulations,
    it is anonymous abuse, the information asked for never came...); due within 2 working days of arrival."""
    at = moment(at)
    reason = require(reason, "reason", maximum=NOTE_MAX)
    feedback, position, targets = begin(actor=actor, feedback=feedback, action=Action.REFUSE)
    before, from_status = audited(feedback), feedback.status
    judged = judge(feedback, from_status=from_status, action=Action.REFUSE, at=at)
    _end(feedback, targets[0], at, reason)
    record(
        feedback=feedback,
        action=Action.REFUSE,
        from_status=from_status,
        actor=actor,
        position=position,
        at=at,
        before=before,
        note=reason,
        judged=judged,
    )
    feedback_notify(
        event="feedback.refused",
        feedback=feedback,
        recipients=submitter_recipients(feedback),
        link=submitter_link(feedback),
        context={"reason": reason},
    )
    return feedback


@transaction.atomic
def feedback_return(*, actor: Any, feedback: Feedback, reason: str, at: dt.datetime | None = None) -> Feedback:
    """A receiving official returns a feedback that is not within the agency's competence, telling the submitter
    where to turn (use ``feedback_forward`` instead when the competent agency is in the directory)."""
    at = moment(at)
    reason = require(reason, "reason", maximum=NOTE_MAX)
    feedback, position, targets = begin(actor=actor, feedback=feedback, action=Action.RETURN)
    before, from_status = audited(feedback), feedback.status
    judged = judge(feedback, from_status=from_status, action=Action.RETURN, at=at)
    _end(feedback, targets[0], at, reason)
    feedback.assigned_to = None
    record(
        feedback=feedback,
        action=Action.RETURN,
        from_status=from_status,
        actor=actor,
        position=position,
        at=at,
        before=before,
        note=reason,
        judged=judged,
    )
    feedback_notify(
        event="feedback.returned",
        feedback=feedback,
        recipients=submitter_recipients(feedback),
        link=submitter_link(feedback),
        context={"reason": reason},
    )
    return feedback


@transaction.atomic
def feedback_forward(
    *, actor: Any, feedback: Feedback, agency: Organisation, note: str = "", at: dt.datetime | None = None
) -> Feedback:
    """A receiving official forwards a feedback outside the agency's competence to the competent agency: the same
    feedback (same code and lookup secret) arrives there as new, and its deadlines start again from now."""
    at = moment(at)
    errors: Errors = {}
    note = clean_text(errors, "note", note, maximum=NOTE_MAX, required=False)
    raise_if_any(errors)
    feedback, position, targets = begin(actor=actor, feedback=feedback, action=Action.FORWARD)
    if not agency.is_active or not agency.code:
        raise ValidationFailed(details={"agency": [str(_("Choose an agency of the directory."))]})
    if agency.pk == feedback.agency_id:
        raise ValidationFailed(details={"agency": [str(_("The feedback is already with this agency."))]})
    before, from_status = audited(feedback), feedback.status
    judged = judge(feedback, from_status=from_status, action=Action.FORWARD, at=at)
    previous = feedback.agency
    feedback.agency = agency
    feedback.status = targets[0]
    feedback.assigned_to = None
    feedback.assigned_at = None
    deadlines_start(feedback=feedback, at=at, calendar=calendar_get())
    record(
        feedback=feedback,
        action=Action.FORWARD,
        from_status=from_status,
        actor=actor,
        position=position,
        at=at,
        before=before,
        note=note,
        details={"from_agency": previous.code or "", "to_agency": agency.code or "", "to_agency_name": agency.name},
        judged=judged,
    )
    feedback_notify(
        event="feedback.forwarded",
        feedback=feedback,
        recipients=submitter_recipients(feedback),
        link=submitter_link(feedback),
        context={"from_agency": previous.name},
    )
    feedback_notify(
        event="feedback.new_for_agency",
        feedback=feedback,
        recipients=receiver_recipients(agency),
        link=work_link(feedback),
        dedupe_key=f"feedback.new_for_agency:{feedback.pk}:{agency.pk}",
    )
    return feedback


# ------------------------------------------------------------------------------------------------------
# More information
# ------------------------------------------------------------------------------------------------------


@transaction.atomic
def feedback_request_info(*, actor: Any, feedback: Feedback, question: str, at: dt.datetime | None = None) -> Feedback:
    """Ask the submitter for more information, within 5 working days of arrival; the answer's clock is paused until
    they supply it."""
    at = moment(at)
    question = require(question, "question", maximum=NOTE_MAX)
    feedback, position, targets = begin(actor=actor, feedback=feedback, action=Action.REQUEST_INFO)
    before, from_status = audited(feedback), feedback.status
    judged = judge(feedback, from_status=from_status, action=Action.REQUEST_INFO, at=at)
    feedback.resume_status = S.ASSIGNED if from_status == S.ASSIGNED else S.ACCEPTED
    feedback.status = targets[0]
    feedback.info_request_count += 1
    resolve_clock_pause(feedback=feedback, at=at, calendar=calendar_get())
    record(
        feedback=feedback,
        action=Action.REQUEST_INFO,
        from_status=from_status,
        actor=actor,
        position=position,
        at=at,
        before=before,
        note=question,
        judged=judged,
    )
    feedback_notify(
        event="feedback.info_requested",
        feedback=feedback,
        recipients=submitter_recipients(feedback),
        link=submitter_link(feedback),
        context={"question": question},
    )
    return feedback


# ------------------------------------------------------------------------------------------------------
# Handling and answer
# ------------------------------------------------------------------------------------------------------


def assignee_may_handle(*, assignee: Any, agency: Organisation) -> bool:
    """Whether this official holds a handler's position (specialist, unit head) in the agency today."""
    if not isinstance(assignee, User) or not assignee.is_active:
        return False
    return any(
        position.role in HANDLER_ROLES and position.organisation_id == agency.pk
        for position in position_active_list(user=assignee)
    )


@transaction.atomic
def feedback_assign(
    *, actor: Any, feedback: Feedback, assignee: Any, note: str = "", at: dt.datetime | None = None
) -> Feedback:
    """A receiving official assigns the feedback (again, if need be) to a specialist or unit head of the agency."""
    at = moment(at)
    errors: Errors = {}
    note = clean_text(errors, "note", note, maximum=NOTE_MAX, required=False)
    raise_if_any(errors)
    feedback, position, targets = begin(actor=actor, feedback=feedback, action=Action.ASSIGN)
    if not assignee_may_handle(assignee=assignee, agency=feedback.agency):
        raise ValidationFailed(details={"assignee": [str(_("Choose a specialist or unit head of the agency."))]})
    if feedback.assigned_to_id == assignee.pk:
        raise ValidationFailed(details={"assignee": [str(_("The feedback is already assigned to this official."))]})
    before, from_status = audited(feedback), feedback.status
    feedback.status = targets[0]
    feedback.assigned_to = assignee
    feedback.assigned_at = at
    record(
        feedback=feedback,
        action=Action.ASSIGN,
        from_status=from_status,
        actor=actor,
        position=position,
        at=at,
        before=before,
        note=note,
        details={"assignee": assignee.full_name or assignee.username},
    )
    feedback_notify(
        event="feedback.assigned",
        feedback=feedback,
        recipients=user_recipients(assignee),
        link=work_link(feedback),
        dedupe_key=f"feedback.assigned:{feedback.pk}:{assignee.pk}:{at.isoformat()}",
    )
    return feedback


@transaction.atomic
def feedback_answer(
    *,
    actor: Any,
    feedback: Feedback,
    answer: str,
    published_question: str = "",
    published_title: str = "",
    at: dt.datetime | None = None,
) -> Feedback:
    """The handler writes the answer (and, for publication, the question rewritten without personal data); it
    goes to the agency's leader for approval."""
    at = moment(at)
    errors: Errors = {}
    answer = clean_text(errors, "answer", answer, maximum=ANSWER_MAX)
    published_question = clean_text(
        errors, "published_question", published_question, maximum=CONTENT_MAX, required=False
    )
    published_title = clean_text(errors, "published_title", published_title, maximum=TITLE_MAX, required=False)
    raise_if_any(errors)
    feedback, position, targets = begin(actor=actor, feedback=feedback, action=Action.ANSWER)
    before, from_status = audited(feedback), feedback.status
    judged = judge(feedback, from_status=from_status, action=Action.ANSWER, at=at)
    feedback.status = targets[0]
    feedback.answer = answer
    feedback.answered_at = at
    if published_question:
        feedback.published_question = published_question
    if published_title:
        feedback.published_title = published_title
    record(
        feedback=feedback,
        action=Action.ANSWER,
        from_status=from_status,
        actor=actor,
        position=position,
        at=at,
        before=before,
        judged=judged,
    )
    feedback_notify(
        event="feedback.answer_to_approve",
        feedback=feedback,
        recipients=agency_recipients(feedback.agency, LEADER_ROLES),
        link=work_link(feedback),
        dedupe_key=f"feedback.answer_to_approve:{feedback.pk}:{at.isoformat()}",
    )
    return feedback


@transaction.atomic
def feedback_send_back(*, actor: Any, feedback: Feedback, reason: str, at: dt.datetime | None = None) -> Feedback:
    """The agency's leader sends the draft answer back to its handler, saying what to change."""
    at = moment(at)
    reason = require(reason, "reason", maximum=NOTE_MAX)
    feedback, position, targets = begin(actor=actor, feedback=feedback, action=Action.SEND_BACK)
    before, from_status = audited(feedback), feedback.status
    feedback.status = targets[0]
    record(
        feedback=feedback,
        action=Action.SEND_BACK,
        from_status=from_status,
        actor=actor,
        position=position,
        at=at,
        before=before,
        note=reason,
    )
    feedback_notify(
        event="feedback.sent_back",
        feedback=feedback,
        recipients=user_recipients(feedback.assigned_to),
        link=work_link(feedback),
        context={"reason": reason},
        dedupe_key=f"feedback.sent_back:{feedback.pk}:{at.isoformat()}",
    )
    return feedback


@transaction.atomic
def feedback_approve(
    *, actor: Any, feedback: Feedback, answer: str = "", note: str = "", at: dt.datetime | None = None
) -> Feedback:
    """The agency's leader approves the answer (editing its wording if need be): it is the agency's answer, sent to
    the submitter. The answer had to come within 15 working days of arrival, waiting for information excluded; the
    2 working days to publish it start now."""
    at = moment(at)
    errors: Errors = {}
    answer = clean_text(errors, "answer", answer, maximum=ANSWER_MAX, required=False)
    note = clean_text(errors, "note", note, maximum=NOTE_MAX, required=False)
    raise_if_any(errors)
    feedback, position, targets = begin(actor=actor, feedback=feedback, action=Action.APPROVE)
    before, from_status = audited(feedback), feedback.status
    calendar = calendar_get()
    judged = judge(feedback, from_status=from_status, action=Action.APPROVE, at=at)
    resolve_clock_stop(feedback=feedback, at=at, calendar=calendar)
    if answer:
        feedback.answer = answer
    feedback.status = targets[0]
    feedback.approved_at = at
    feedback.approved_by = actor if isinstance(actor, User) else None
    feedback.resolved_on_time = judged[1]
    publish_deadline_start(feedback=feedback, at=at, calendar=calendar)
    record(
        feedback=feedback,
        action=Action.APPROVE,
        from_status=from_status,
        actor=actor,
        position=position,
        at=at,
        before=before,
        note=note,
        judged=judged,
    )
    feedback_notify(
        event="feedback.answered",
        feedback=feedback,
        recipients=submitter_recipients(feedback),
        link=submitter_link(feedback),
        context={"answer": feedback.answer},
    )
    return feedback


# ------------------------------------------------------------------------------------------------------
# Publication
# ------------------------------------------------------------------------------------------------------


@transaction.atomic
def feedback_publish(
    *,
    actor: Any,
    feedback: Feedback,
    published_title: str = "",
    published_question: str = "",
    at: dt.datetime | None = None,
) -> Feedback:
    """The agency's leader publishes the answer with the question rewritten without personal data, within 2 working
    days of its approval; only when the submitter agreed to the publication of their question."""
    at = moment(at)
    errors: Errors = {}
    title = clean_text(errors, "published_title", published_title, maximum=TITLE_MAX, required=False)
    question = clean_text(errors, "published_question", published_question, maximum=CONTENT_MAX, required=False)
    raise_if_any(errors)
    feedback, position, targets = begin(actor=actor, feedback=feedback, action=Action.PUBLISH)
    if not feedback.publication_consent:
        raise InvalidState(
            _("The submitter did not agree to the publication of their question: close it without publication."),
            code="feedback_publication_not_consented",
        )
    title = title or feedback.published_title or feedback.title
    question = question or feedback.published_question
    if not question:
        add_error(errors, "published_question", _("Write the question as it will be published, without personal data."))
    raise_if_any(errors)
    before, from_status = audited(feedback), feedback.status
    judged = judge(feedback, from_status=from_status, action=Action.PUBLISH, at=at)
    feedback.published_title = title
    feedback.published_question = question
    feedback.published_at = at
    feedback.published_on_time = judged[1]
    _end(feedback, targets[0], at, "")
    feedback.public_search_key = public_search_key_of(feedback)
    record(
        feedback=feedback,
        action=Action.PUBLISH,
        from_status=from_status,
        actor=actor,
        position=position,
        at=at,
        before=before,
        judged=judged,
    )
    feedback_notify(
        event="feedback.published",
        feedback=feedback,
        recipients=submitter_recipients(feedback),
        link=submitter_link(feedback),
    )
    return feedback


@transaction.atomic
def feedback_close(*, actor: Any, feedback: Feedback, reason: str = "", at: dt.datetime | None = None) -> Feedback:
    """The agency's leader ends an answered feedback without publishing it: the submitter did not agree to
    publication (said by default), or the content is not for the public (say why)."""
    at = moment(at)
    errors: Errors = {}
    reason = clean_text(errors, "reason", reason, maximum=NOTE_MAX, required=False)
    raise_if_any(errors)
    feedback, position, targets = begin(actor=actor, feedback=feedback, action=Action.CLOSE)
    if not reason:
        if feedback.publication_consent:
            raise ValidationFailed(details={"reason": [str(_("Say why this answer is not published."))]})
        reason = str(_("The submitter did not agree to the publication of their question."))
    before, from_status = audited(feedback), feedback.status
    judged = judge(feedback, from_status=from_status, action=Action.CLOSE, at=at)
    feedback.published_on_time = judged[1]
    _end(feedback, targets[0], at, reason)
    record(
        feedback=feedback,
        action=Action.CLOSE,
        from_status=from_status,
        actor=actor,
        position=position,
        at=at,
        before=before,
        note=reason,
        judged=judged,
    )
    return feedback
