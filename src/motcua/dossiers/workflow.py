"""The dossier state machine: every allowed (status, action) pair and who may take the action.

One-stop process of Decree 61/2018/NĐ-CP as amended by Decree 107/2021/NĐ-CP (now Decree 118/2025/NĐ-CP
and Circular 03/2025/TT-VPCP): receive → transfer → process → return the result. Statuses are the national
portal's TrangThaiHoSo 1-10. Each action has exactly one service in ``dossiers.services``; anything not in
``TRANSITIONS`` is refused with ``InvalidState`` (HTTP 409, code ``dossier_invalid_transition``).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.core.exceptions import InvalidState
from motcua.dossiers.models import DossierStatus

S = DossierStatus


class Action(models.TextChoices):
    """What can happen to a dossier; also the ``event_kind`` given to ``dossiers.events`` subscribers."""

    SUBMIT = "submit", _("Submit online")
    RECEIVE_AT_COUNTER = "receive_at_counter", _("Receive at the counter")
    ACCEPT = "accept", _("Receive the dossier")
    REFUSE_RECEIPT = "refuse_receipt", _("Refuse to receive")
    CLAIM = "claim", _("Take the dossier")
    FORWARD = "forward", _("Forward to the next step")
    RETURN_TO_STEP = "return_to_step", _("Return to an earlier step")
    REQUEST_SUPPLEMENT = "request_supplement", _("Request a supplement")
    SUPPLY = "supply", _("Supplement the dossier")
    REQUEST_PAYMENT = "request_payment", _("Request the financial obligation")
    RECORD_PAYMENT = "record_payment", _("Record the payment")
    # The fees billed at application were paid (online or at the desk); the status does not change.
    RECORD_FEES = "record_fees", _("Record the payment of the fees")
    REQUEST_OPINION = "request_opinion", _("Ask another agency's opinion")
    ANSWER_OPINION = "answer_opinion", _("Answer a request for opinion")
    ANNOUNCE_DELAY = "announce_delay", _("Apologise and set a new appointment")
    REFUSE = "refuse", _("Refuse to resolve")
    STOP = "stop", _("Stop processing")
    APPROVE = "approve", _("Approve")
    RETURN_RESULT = "return_result", _("Return the result")
    WITHDRAW = "withdraw", _("Withdraw the dossier")
    ATTACH_RESULT_FILE = "attach_result_file", _("Attach the result document")
    SIGN_RESULT = "sign_result", _("Sign the result document")
    SEAL_RESULT = "seal_result", _("Apply the agency seal")


# (status before, action) -> status after. ``None`` before means the dossier does not exist yet.
TRANSITIONS: dict[tuple[str | None, str], str] = {
    (None, Action.SUBMIT): S.NEW,
    # At the counter the clerk checks the papers in front of the applicant: registered = received.
    (None, Action.RECEIVE_AT_COUNTER): S.ACCEPTED,
    (S.NEW, Action.ACCEPT): S.ACCEPTED,
    (S.NEW, Action.REFUSE_RECEIPT): S.REFUSED,
    (S.ACCEPTED, Action.CLAIM): S.ACCEPTED,
    (S.PROCESSING, Action.CLAIM): S.PROCESSING,
    (S.ACCEPTED, Action.FORWARD): S.PROCESSING,
    (S.PROCESSING, Action.FORWARD): S.PROCESSING,
    (S.PROCESSING, Action.RETURN_TO_STEP): S.PROCESSING,
    (S.ACCEPTED, Action.REQUEST_SUPPLEMENT): S.SUPPLEMENT_REQUESTED,
    (S.PROCESSING, Action.REQUEST_SUPPLEMENT): S.SUPPLEMENT_REQUESTED,
    (S.SUPPLEMENT_REQUESTED, Action.SUPPLY): S.PROCESSING,
    (S.PROCESSING, Action.REQUEST_PAYMENT): S.FINANCIAL_OBLIGATION,
    (S.FINANCIAL_OBLIGATION, Action.RECORD_PAYMENT): S.PROCESSING,
    # The fees billed at application may be paid whenever their bill is still open (refusals, withdrawals and
    # stops cancel it; a payment that still arrives is refunded by payments, never recorded here).
    (S.NEW, Action.RECORD_FEES): S.NEW,
    (S.ACCEPTED, Action.RECORD_FEES): S.ACCEPTED,
    (S.PROCESSING, Action.RECORD_FEES): S.PROCESSING,
    (S.SUPPLEMENT_REQUESTED, Action.RECORD_FEES): S.SUPPLEMENT_REQUESTED,
    (S.FINANCIAL_OBLIGATION, Action.RECORD_FEES): S.FINANCIAL_OBLIGATION,
    (S.FINISHED, Action.RECORD_FEES): S.FINISHED,
    (S.PROCESSING, Action.REQUEST_OPINION): S.PROCESSING,
    (S.PROCESSING, Action.ANSWER_OPINION): S.PROCESSING,
    (S.SUPPLEMENT_REQUESTED, Action.ANSWER_OPINION): S.SUPPLEMENT_REQUESTED,
    (S.FINANCIAL_OBLIGATION, Action.ANSWER_OPINION): S.FINANCIAL_OBLIGATION,
    (S.ACCEPTED, Action.ANNOUNCE_DELAY): S.ACCEPTED,
    (S.PROCESSING, Action.ANNOUNCE_DELAY): S.PROCESSING,
    (S.PROCESSING, Action.REFUSE): S.REFUSED,
    (S.ACCEPTED, Action.STOP): S.STOPPED,
    (S.PROCESSING, Action.STOP): S.STOPPED,
    (S.SUPPLEMENT_REQUESTED, Action.STOP): S.STOPPED,
    (S.FINANCIAL_OBLIGATION, Action.STOP): S.STOPPED,
    (S.PROCESSING, Action.APPROVE): S.FINISHED,
    (S.FINISHED, Action.ATTACH_RESULT_FILE): S.FINISHED,
    # The result document is signed by the official who approved it, then sealed (Decree 30/2020, art. 13).
    (S.FINISHED, Action.SIGN_RESULT): S.FINISHED,
    (S.FINISHED, Action.SEAL_RESULT): S.FINISHED,
    (S.FINISHED, Action.RETURN_RESULT): S.RETURNED,
    (S.NEW, Action.WITHDRAW): S.WITHDRAWN,
    (S.ACCEPTED, Action.WITHDRAW): S.WITHDRAWN,
    (S.PROCESSING, Action.WITHDRAW): S.WITHDRAWN,
    (S.SUPPLEMENT_REQUESTED, Action.WITHDRAW): S.WITHDRAWN,
    (S.FINANCIAL_OBLIGATION, Action.WITHDRAW): S.WITHDRAWN,
}


class Actor(models.TextChoices):
    """Who may take an action, relative to the dossier (rules in ``dossiers.rules``)."""

    # The applicant's own account.
    APPLICANT = "applicant", _("Applicant")
    # A one-stop-desk clerk (Role.ONE_STOP_CLERK) of the receiving or of the processing organisation.
    CLERK = "clerk", _("One-stop-desk clerk")
    # An official holding the current step's role in its organisation (and unit, when the step names one).
    STEP_OFFICIAL = "step_official", _("Official of the current step")
    # An agency leader (Role.AGENCY_LEADER) of the processing organisation.
    PROCESSING_LEADER = "processing_leader", _("Leader of the processing organisation")
    # A specialist, unit head or leader of the organisation whose opinion was asked.
    OPINION_ORGANISATION = "opinion_organisation", _("Asked organisation")
    # The official who approved the dossier, through a unit head's or leader's position in the processing
    # organisation.
    APPROVER = "approver", _("Official who approved")
    # Whoever keeps the processing organisation's seal: its document clerk (Role.DOCUMENT_CLERK) or leader.
    SEAL_KEEPER = "seal_keeper", _("Keeper of the agency seal")


ACTION_ACTORS: dict[str, frozenset[str]] = {
    Action.SUBMIT: frozenset({Actor.APPLICANT}),
    Action.RECEIVE_AT_COUNTER: frozenset({Actor.CLERK}),
    Action.ACCEPT: frozenset({Actor.CLERK}),
    Action.REFUSE_RECEIPT: frozenset({Actor.CLERK}),
    Action.CLAIM: frozenset({Actor.STEP_OFFICIAL}),
    Action.FORWARD: frozenset({Actor.STEP_OFFICIAL}),
    Action.RETURN_TO_STEP: frozenset({Actor.STEP_OFFICIAL}),
    Action.REQUEST_SUPPLEMENT: frozenset({Actor.STEP_OFFICIAL}),
    Action.SUPPLY: frozenset({Actor.APPLICANT, Actor.CLERK}),
    Action.REQUEST_PAYMENT: frozenset({Actor.STEP_OFFICIAL}),
    # The clerk records a payment at the counter (``dossier_payment_record_at_counter``, through payments); the
    # transitions themselves are made by the platform when payments settles the bill (SYSTEM, no rule needed).
    Action.RECORD_PAYMENT: frozenset({Actor.CLERK}),
    Action.RECORD_FEES: frozenset(),
    Action.REQUEST_OPINION: frozenset({Actor.STEP_OFFICIAL}),
    Action.ANSWER_OPINION: frozenset({Actor.OPINION_ORGANISATION}),
    Action.ANNOUNCE_DELAY: frozenset({Actor.STEP_OFFICIAL, Actor.PROCESSING_LEADER}),
    Action.REFUSE: frozenset({Actor.STEP_OFFICIAL, Actor.PROCESSING_LEADER}),
    Action.STOP: frozenset({Actor.STEP_OFFICIAL, Actor.PROCESSING_LEADER}),
    # Only at the decision step of the internal process (checked as a state condition).
    Action.APPROVE: frozenset({Actor.STEP_OFFICIAL, Actor.PROCESSING_LEADER}),
    Action.ATTACH_RESULT_FILE: frozenset({Actor.STEP_OFFICIAL, Actor.PROCESSING_LEADER, Actor.CLERK}),
    # The one-stop desk, or the official of the hand-over step (a ministry's document clerk).
    Action.RETURN_RESULT: frozenset({Actor.CLERK, Actor.STEP_OFFICIAL}),
    Action.WITHDRAW: frozenset({Actor.APPLICANT}),
    Action.SIGN_RESULT: frozenset({Actor.APPROVER}),
    Action.SEAL_RESULT: frozenset({Actor.SEAL_KEEPER}),
}

# Actions that act on the current workflow step (the caller may name the step it saw: ``expected_step``).
STEP_ACTIONS = frozenset(
    {
        Action.CLAIM,
        Action.FORWARD,
        Action.RETURN_TO_STEP,
        Action.REQUEST_SUPPLEMENT,
        Action.REQUEST_PAYMENT,
        Action.REQUEST_OPINION,
        Action.REFUSE,
        Action.APPROVE,
    }
)


def transition_target(status: str | None, action: str) -> str:
    """The status after ``action`` from ``status``; InvalidState (409) when the table does not allow it."""
    target = TRANSITIONS.get((status, action))
    if target is None:
        label = DossierStatus(status).label if status else ""
        raise InvalidState(
            _("A dossier in status “%(status)s” cannot be given the action “%(action)s”.")
            % {"status": label, "action": Action(action).label},
            code="dossier_invalid_transition",
            details={"status": status or "", "action": str(action)},
        )
    return target


def actions_from(status: str) -> list[str]:
    """Actions the table allows from a status (before any check of who asks)."""
    return [action for (source, action) in TRANSITIONS if source == status]


# Roles that only receive documents or hand results over; they never decide on a dossier.
HANDOVER_ROLES = frozenset({"one_stop_clerk", "document_clerk"})


def decision_step_index(content: Any) -> int:
    """The step where the dossier is decided (approved or refused): the last step of the internal process
    that is not a hand-over step (the one-stop desk's "trả kết quả" comes after the decision)."""
    for index in range(len(content.workflow) - 1, -1, -1):
        if content.workflow[index].role not in HANDOVER_ROLES:
            return index
    return len(content.workflow) - 1
