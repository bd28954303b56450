"""Writes of feedback and recommendations: one service per transition of ``feedback.workflow``.

Modules: ``submission`` (submit, supplement), ``handling`` (receipt, information, assignment, answer, approval,
publication), ``votes`` (likes and dislikes of published answers), ``reminders`` (deadline reminders of the
periodic job), ``demo`` (demo data).
"""

from motcua.feedback.services._base import Upload
from motcua.feedback.services.demo import feedback_load_demo
from motcua.feedback.services.handling import (
    assignee_may_handle,
    feedback_accept,
    feedback_answer,
    feedback_approve,
    feedback_assign,
    feedback_close,
    feedback_forward,
    feedback_publish,
    feedback_refuse,
    feedback_request_info,
    feedback_return,
    feedback_send_back,
)
from motcua.feedback.services.reminders import feedback_deadline_reminders_send
from motcua.feedback.services.submission import feedback_may_supplement, feedback_submit, feedback_supplement
from motcua.feedback.services.votes import VoteOutcome, feedback_vote, voter_key_of

__all__ = [
    "Upload",
    "VoteOutcome",
    "assignee_may_handle",
    "feedback_accept",
    "feedback_answer",
    "feedback_approve",
    "feedback_assign",
    "feedback_close",
    "feedback_deadline_reminders_send",
    "feedback_forward",
    "feedback_load_demo",
    "feedback_may_supplement",
    "feedback_publish",
    "feedback_refuse",
    "feedback_request_info",
    "feedback_return",
    "feedback_send_back",
    "feedback_submit",
    "feedback_supplement",
    "feedback_vote",
    "voter_key_of",
]
