"""Typed bodies and answers of the feedback API.

No ``from __future__ import annotations`` here: Ninja and pydantic read the real annotation objects.
"""

import datetime as dt
import uuid
from typing import Literal

from ninja import Schema
from pydantic import Field


class AgencyOut(Schema):
    code: str
    name: str


class FeedbackSubmitIn(Schema):
    """A feedback, sent as multipart/form-data (files in ``attachments``)."""

    subject_kind: Literal["procedure", "agency", "dossier"]
    title: str = Field(max_length=200)
    content: str = Field(max_length=5000)
    procedure: str = Field("", max_length=40, description="national procedure code, for subject_kind=procedure")
    agency: str = Field("", max_length=35, description="organisation code, for subject_kind=agency")
    dossier: str = Field("", max_length=60, description="dossier code, for subject_kind=dossier")
    dossier_secret: str = Field("", max_length=40, description="without an account: the dossier's lookup secret")
    name: str = Field("", max_length=200)
    phone: str = Field("", max_length=20)
    email: str = Field("", max_length=254)
    address: str = Field("", max_length=300)
    publication_consent: bool = False


class FeedbackCreatedOut(Schema):
    id: uuid.UUID
    code: str
    lookup_secret: str = Field(description="shown once: with the code it lets the submitter follow the feedback")
    status: str
    agency: AgencyOut
    receipt_due_at: dt.datetime
    resolve_due_at: dt.datetime | None


class HistoryLineOut(Schema):
    at: dt.datetime
    action: str
    status: str
    note: str = Field(description="the question asked, a reason, or the information supplied")


class FollowOut(Schema):
    """What the submitter sees: no names of officials, the answer once approved."""

    code: str
    status: str
    status_label: str
    title: str
    content: str
    agency: AgencyOut
    procedure: str | None
    dossier: str | None
    submitted_at: dt.datetime
    resolve_due_at: dt.datetime | None
    publication_consent: bool
    question: str = Field(description="what the agency asks, while the status is needs_info")
    answer: str | None = Field(description="the approved answer; null before")
    reason: str = Field(description="why it was refused, returned or closed without publication")
    is_published: bool
    history: list[HistoryLineOut]


class FollowSupplementIn(Schema):
    code: str = Field(max_length=20)
    secret: str = Field(max_length=40)
    text: str = Field(max_length=5000)


class SupplementIn(Schema):
    text: str = Field(max_length=5000)


class FeedbackListOut(Schema):
    id: uuid.UUID
    code: str
    status: str
    title: str
    agency: AgencyOut
    submitter_name: str
    submitted_at: dt.datetime
    received_at: dt.datetime
    due_at: dt.datetime | None
    handler: str | None


class FeedbackDetailOut(Schema):
    """An official's view of a feedback, with its deadlines and the actions open to the caller."""

    id: uuid.UUID
    code: str
    status: str
    subject_kind: str
    title: str
    content: str
    agency: AgencyOut
    procedure: str | None
    dossier: str | None
    field_code: str
    submitter_name: str
    submitter_phone: str
    submitter_email: str
    submitter_address: str
    publication_consent: bool
    submitted_at: dt.datetime
    received_at: dt.datetime
    receipt_due_at: dt.datetime
    info_request_due_at: dt.datetime
    resolve_due_at: dt.datetime | None
    publish_due_at: dt.datetime | None
    due_at: dt.datetime | None
    handler: str | None
    answer: str
    published_title: str
    published_question: str
    approved_at: dt.datetime | None
    resolved_on_time: bool | None
    published_at: dt.datetime | None
    published_on_time: bool | None
    closing_reason: str
    info_request_count: int
    like_count: int
    dislike_count: int
    allowed_actions: list[str]


class ForwardedOut(Schema):
    code: str
    status: str
    agency: AgencyOut


class EventOut(Schema):
    sequence: int
    action: str
    from_status: str
    to_status: str
    at: dt.datetime
    actor_label: str
    actor_title: str
    note: str
    details: dict
    due_at: dt.datetime | None
    is_on_time: bool | None


class QueueFilter(Schema):
    view: str = "open"
    q: str = Field("", max_length=100)
    agency: str = Field("", max_length=35)


class PublicFilter(Schema):
    q: str = Field("", max_length=100)
    agency: str = Field("", max_length=35)
    procedure: str = Field("", max_length=40)
    field: str = Field("", max_length=40)


class PublicAnswerOut(Schema):
    code: str
    title: str
    question: str
    answer: str
    agency: AgencyOut
    procedure: str | None
    procedure_name: str | None
    field_code: str
    field_name: str
    published_at: dt.datetime
    like_count: int
    dislike_count: int


class VoteIn(Schema):
    value: Literal["like", "dislike"]


class VoteOut(Schema):
    code: str
    value: Literal["like", "dislike"]
    like_count: int
    dislike_count: int


class NoteIn(Schema):
    note: str = Field("", max_length=2000)


class ReasonIn(Schema):
    reason: str = Field(max_length=2000)


class OptionalReasonIn(Schema):
    reason: str = Field("", max_length=2000)


class ForwardIn(Schema):
    agency: str = Field(max_length=35, description="organisation code of the competent agency")
    note: str = Field("", max_length=2000)


class QuestionIn(Schema):
    question: str = Field(max_length=2000)


class AssignIn(Schema):
    assignee_id: uuid.UUID
    note: str = Field("", max_length=2000)


class AnswerIn(Schema):
    answer: str = Field(max_length=10000)
    published_title: str = Field("", max_length=200)
    published_question: str = Field("", max_length=5000)


class ApproveIn(Schema):
    answer: str = Field("", max_length=10000, description="the answer's final wording, if the leader changes it")
    note: str = Field("", max_length=2000)


class PublishIn(Schema):
    published_title: str = Field("", max_length=200)
    published_question: str = Field("", max_length=5000)
