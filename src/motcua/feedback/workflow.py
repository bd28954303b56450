"""The feedback state machine: every allowed (status, action) pair, who may take the action, and the stage
deadline the action answers to.

Decree 20/2008/NĐ-CP on receiving and handling feedback and recommendations of individuals and organisations
on administrative regulations, as amended by Decree 92/2017/NĐ-CP; the national public service portal's PAKN
system. Each action has exactly one service in ``feedback.services``; anything not in ``TRANSITIONS`` is
refused with ``InvalidState`` (HTTP 409, code ``feedback_invalid_transition``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.core.exceptions import InvalidState
from motcua.feedback.models import FeedbackStatus

S = FeedbackStatus


class Action(models.TextChoices):
    """What can happen to a feedback."""

    SUBMIT = "submit", _("Submit")
    ACCEPT = "accept", _("Receive")
    REFUSE = "refuse", _("Refuse")
    RETURN = "return", _("Return: not within our competence")
    FORWARD = "forward", _("Forward to the competent agency")
    REQUEST_INFO = "request_info", _("Ask for more information")
    SUPPLEMENT = "supplement", _("Supply the information")
    ASSIGN = "assign", _("Assign a handler")
    ANSWER = "answer", _("Answer")
    APPROVE = "approve", _("Approve the answer")
    SEND_BACK = "send_back", _("Send the answer back to the handler")
    PUBLISH = "publish", _("Publish the answer")
    CLOSE = "close", _("Close without publication")


# (status before, action) -> possible statuses after, the usual one first. ``None`` before: not yet submitted.
TRANSITIONS: dict[tuple[str | None, str], tuple[str, ...]] = {
    (None, Action.SUBMIT): (S.NEW,),
    (S.NEW, Action.ACCEPT): (S.ACCEPTED,),
    (S.NEW, Action.REFUSE): (S.REFUSED,),
    # Asked for information and never given it: the agency may refuse the feedback.
    (S.NEEDS_INFO, Action.REFUSE): (S.REFUSED,),
    (S.NEW, Action.RETURN): (S.RETURNED,),
    (S.ACCEPTED, Action.RETURN): (S.RETURNED,),
    # Forwarding hands the same feedback (same code, same secret) to the competent agency, where it is new.
    (S.NEW, Action.FORWARD): (S.NEW,),
    (S.ACCEPTED, Action.FORWARD): (S.NEW,),
    (S.NEW, Action.REQUEST_INFO): (S.NEEDS_INFO,),
    (S.ACCEPTED, Action.REQUEST_INFO): (S.NEEDS_INFO,),
    (S.ASSIGNED, Action.REQUEST_INFO): (S.NEEDS_INFO,),
    # Back to where it was asked from (a feedback asked about before receipt counts as received).
    (S.NEEDS_INFO, Action.SUPPLEMENT): (S.ACCEPTED, S.ASSIGNED),
    (S.ACCEPTED, Action.ASSIGN): (S.ASSIGNED,),
    (S.ASSIGNED, Action.ASSIGN): (S.ASSIGNED,),
    (S.ASSIGNED, Action.ANSWER): (S.ANSWERED,),
    (S.ANSWERED, Action.APPROVE): (S.AWAITING_PUBLICATION,),
    (S.ANSWERED, Action.SEND_BACK): (S.ASSIGNED,),
    (S.AWAITING_PUBLICATION, Action.PUBLISH): (S.PUBLISHED,),
    (S.AWAITING_PUBLICATION, Action.CLOSE): (S.CLOSED,),
}


class Actor(models.TextChoices):
    """Who may take an action, relative to the feedback (rules in ``feedback.rules``)."""

    # A one-stop-desk clerk, document clerk, agency leader or agency administrator of the competent agency (an
    # agency administrator's authority flows down the organisation tree).
    RECEIVER = "receiver", _("Receiving official")
    # The official the feedback is assigned to, still holding a specialist's or unit head's position there.
    HANDLER = "handler", _("Handler")
    # An agency leader of the competent agency.
    LEADER = "leader", _("Agency leader")
    # The submitter: their account, or whoever holds the code and the lookup secret.
    SUBMITTER = "submitter", _("Submitter")


ACTION_ACTORS: dict[str, frozenset[str]] = {
    Action.ACCEPT: frozenset({Actor.RECEIVER}),
    Action.REFUSE: frozenset({Actor.RECEIVER}),
    Action.RETURN: frozenset({Actor.RECEIVER}),
    Action.FORWARD: frozenset({Actor.RECEIVER}),
    Action.REQUEST_INFO: frozenset({Actor.RECEIVER, Actor.HANDLER}),
    Action.SUPPLEMENT: frozenset({Actor.SUBMITTER}),
    Action.ASSIGN: frozenset({Actor.RECEIVER}),
    Action.ANSWER: frozenset({Actor.HANDLER}),
    Action.APPROVE: frozenset({Actor.LEADER}),
    Action.SEND_BACK: frozenset({Actor.LEADER}),
    Action.PUBLISH: frozenset({Actor.LEADER}),
    Action.CLOSE: frozenset({Actor.LEADER}),
}


class Stage(models.TextChoices):
    """The legal deadline an action answers to (each stored on the feedback)."""

    RECEIPT = "receipt", _("Decide on receipt (2 working days)")
    INFO_REQUEST = "info_request", _("Ask for more information (5 working days)")
    RESOLVE = "resolve", _("Answer (15 working days, waiting for information excluded)")
    PUBLISH = "publish", _("Publish the answer (2 working days)")


# The deadline judged when the action is taken (recorded on its history line, with whether it was met).
ACTION_STAGES: dict[tuple[str, str], str] = {
    (S.NEW, Action.ACCEPT): Stage.RECEIPT,
    (S.NEW, Action.REFUSE): Stage.RECEIPT,
    (S.NEW, Action.RETURN): Stage.RECEIPT,
    (S.NEW, Action.FORWARD): Stage.RECEIPT,
    (S.NEW, Action.REQUEST_INFO): Stage.INFO_REQUEST,
    (S.ACCEPTED, Action.REQUEST_INFO): Stage.INFO_REQUEST,
    (S.ASSIGNED, Action.REQUEST_INFO): Stage.INFO_REQUEST,
    (S.ASSIGNED, Action.ANSWER): Stage.RESOLVE,
    (S.ANSWERED, Action.APPROVE): Stage.RESOLVE,
    (S.AWAITING_PUBLICATION, Action.PUBLISH): Stage.PUBLISH,
    (S.AWAITING_PUBLICATION, Action.CLOSE): Stage.PUBLISH,
}


def transition_targets(status: str | None, action: str) -> tuple[str, ...]:
    """The statuses ``action`` may lead to from ``status``; InvalidState (409) when the table does not allow it."""
    targets = TRANSITIONS.get((status, action))
    if targets is None:
        label = FeedbackStatus(status).label if status else ""
        raise InvalidState(
            _("A feedback in status “%(status)s” cannot be given the action “%(action)s”.")
            % {"status": label, "action": Action(action).label},
            code="feedback_invalid_transition",
            details={"status": status or "", "action": str(action)},
        )
    return targets


def transition_target(status: str | None, action: str) -> str:
    """The usual status after ``action`` from ``status`` (see ``transition_targets``)."""
    return transition_targets(status, action)[0]


def actions_from(status: str) -> list[str]:
    """Actions the table allows from a status (before any check of who asks)."""
    return [action for (source, action) in TRANSITIONS if source == status]
