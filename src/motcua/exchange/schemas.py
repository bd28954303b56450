"""API shapes of the document exchange: one input schema per action, outputs without secrets."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from ninja import Field, Schema


class DraftIn(Schema):
    """A new draft. ``recipients`` are organisation codes from ``GET /exchange/directory``."""

    organisation: str = Field(description="Code of the issuing organisation (one where you may draft)")
    document_type: str = Field(description="Key of the type (Decree 30/2020): CV, QD, TB, BC, KH...")
    subject: str
    content_summary: str = ""
    notation: str = Field("", description="Default: from the type and the organisation (QĐ-UBND, UBND-VP)")
    drafting_unit: uuid.UUID | None = None
    intended_signer: uuid.UUID | None = None
    priority: int = 0
    confidentiality: Literal["normal", "confidential", "secret", "top_secret"] = "normal"
    steering_type: int = 0
    due_date: dt.date | None = None
    place: str = ""
    signer_competence: str = ""
    recipients: list[str] = Field(default_factory=list)
    answers: list[uuid.UUID] = Field(default_factory=list, description="Incoming documents this one answers")
    replaces: uuid.UUID | None = Field(None, description="A sent document this one replaces")


class DraftPatchIn(Schema):
    document_type: str | None = None
    subject: str | None = None
    content_summary: str | None = None
    notation: str | None = None
    drafting_unit: uuid.UUID | None = None
    intended_signer: uuid.UUID | None = None
    priority: int | None = None
    confidentiality: Literal["normal", "confidential", "secret", "top_secret"] | None = None
    steering_type: int | None = None
    due_date: dt.date | None = None
    place: str | None = None
    signer_competence: str | None = None
    recipients: list[str] | None = None
    answers: list[uuid.UUID] | None = None


class NoteIn(Schema):
    note: str = ""


class ReturnIn(Schema):
    note: str = Field(description="What the drafter should change")


class PinIn(Schema):
    pin: str = Field(description="PIN of the signing key (the leader's personal key, or the agency seal's)")
    note: str = ""


class BookIn(Schema):
    book: uuid.UUID | None = Field(None, description="The book to register in (default: the organisation's default)")


class RecallIn(Schema):
    pin: str
    reason: str


class UpdateIn(Schema):
    pin: str
    reason: str
    subject: str | None = None
    content_summary: str | None = None
    due_date: dt.date | None = None


class ReasonIn(Schema):
    reason: str


class AssignIn(Schema):
    unit: uuid.UUID
    assignee: uuid.UUID | None = None
    processing_due: dt.date | None = None
    note: str = ""


class BookCreateIn(Schema):
    organisation: str
    direction: Literal["outgoing", "incoming"]
    code: str
    name: str


class OutgoingFilter(Schema):
    status: str = ""
    q: str = ""


class IncomingFilter(Schema):
    view: Literal["to_register", "mine", "due_soon", "all"] = "all"
    q: str = ""


class BookFilter(Schema):
    year: int | None = None
    q: str = ""


class ExportFilter(BookFilter):
    format: Literal["csv", "pdf"] = "csv"


# --- outputs -------------------------------------------------------------------------------------------------------


class FileOut(Schema):
    id: uuid.UUID
    name: str
    purpose: str
    description: str
    content_type: str
    size: int
    sha256: str
    is_current: bool


class RecipientStatusOut(Schema):
    status_code: str
    description: str
    staff: str
    occurred_at: dt.datetime
    received_at: dt.datetime
    applied: bool


class RecipientOut(Schema):
    organisation_code: str
    organisation_name: str
    delivery: str
    delivered_at: dt.datetime | None
    status_code: str
    status_at: dt.datetime | None
    status_description: str
    change_status_code: str
    change_status_at: dt.datetime | None
    last_error: str
    has_receipt: bool
    statuses: list[RecipientStatusOut]

    @staticmethod
    def resolve_has_receipt(obj: Any) -> bool:
        return bool(obj.receipt)

    @staticmethod
    def resolve_statuses(obj: Any) -> list[Any]:
        return list(obj.statuses.all())


class EventOut(Schema):
    action: str
    from_status: str
    to_status: str
    actor_label: str
    at: dt.datetime
    note: str


class OutgoingListOut(Schema):
    id: uuid.UUID
    organisation: str
    status: str
    document_type: str
    number_and_notation: str
    document_id: str
    subject: str
    issued_on: dt.date | None
    updated_at: dt.datetime

    @staticmethod
    def resolve_organisation(obj: Any) -> str:
        return obj.organisation.code or ""


class OutgoingOut(OutgoingListOut):
    organisation_name: str
    notation: str
    number: int | None
    year: int | None
    content_summary: str
    place: str
    priority: int
    confidentiality: str
    steering_type: int
    due_date: dt.date | None
    signer_name: str
    signer_position: str
    signer_competence: str
    drafted_by: str
    signed_at: dt.datetime | None
    registered_at: dt.datetime | None
    registered_late: bool
    sent_at: dt.datetime | None
    recalled_at: dt.datetime | None
    recall_reason: str
    replaces: uuid.UUID | None
    recipients: list[RecipientOut]
    files: list[FileOut]
    history: list[EventOut]
    allowed_actions: list[str] = Field(default_factory=list)

    @staticmethod
    def resolve_organisation_name(obj: Any) -> str:
        return obj.organisation.name

    @staticmethod
    def resolve_drafted_by(obj: Any) -> str:
        return getattr(obj.drafted_by, "full_name", "") or obj.drafted_by.get_username()

    @staticmethod
    def resolve_replaces(obj: Any) -> uuid.UUID | None:
        return obj.replaces_id

    @staticmethod
    def resolve_recipients(obj: Any) -> list[Any]:
        return list(obj.recipients.all())

    @staticmethod
    def resolve_files(obj: Any) -> list[Any]:
        return list(obj.files.all())

    @staticmethod
    def resolve_history(obj: Any) -> list[Any]:
        return list(obj.events.all())


class ChangeRequestOut(Schema):
    id: uuid.UUID
    kind: int
    reason: str
    changes: dict[str, Any]
    state: str
    decided_at: dt.datetime | None
    decision_note: str


class IncomingListOut(Schema):
    id: uuid.UUID
    organisation: str
    status: str
    sender_code: str
    sender_name: str
    number_and_notation: str
    document_id: str
    subject: str
    issued_on: dt.date | None
    arrived_at: dt.datetime
    arrival_number: int | None
    due_date: dt.date | None
    processing_due: dt.date | None

    @staticmethod
    def resolve_organisation(obj: Any) -> str:
        return obj.organisation.code or ""


class IncomingOut(IncomingListOut):
    organisation_name: str
    document_type: str
    type_name: str
    content_summary: str
    place: str
    priority: int
    steering_type: int
    signer_name: str
    signer_position: str
    business_type: int
    year: int | None
    registered_at: dt.datetime | None
    registered_late: bool
    rejection_reason: str
    assigned_unit: str
    assigned_to: str
    assigned_at: dt.datetime | None
    assignment_note: str
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    finish_note: str
    recalled_at: dt.datetime | None
    replaces: uuid.UUID | None
    files: list[FileOut]
    change_requests: list[ChangeRequestOut]
    history: list[EventOut]
    allowed_actions: list[str] = Field(default_factory=list)

    @staticmethod
    def resolve_organisation_name(obj: Any) -> str:
        return obj.organisation.name

    @staticmethod
    def resolve_assigned_unit(obj: Any) -> str:
        return obj.assigned_unit.name if obj.assigned_unit else ""

    @staticmethod
    def resolve_assigned_to(obj: Any) -> str:
        return (getattr(obj.assigned_to, "full_name", "") or obj.assigned_to.get_username()) if obj.assigned_to else ""

    @staticmethod
    def resolve_replaces(obj: Any) -> uuid.UUID | None:
        return obj.replaces_id

    @staticmethod
    def resolve_files(obj: Any) -> list[Any]:
        return list(obj.files.all())

    @staticmethod
    def resolve_change_requests(obj: Any) -> list[Any]:
        return list(obj.change_requests.all())

    @staticmethod
    def resolve_history(obj: Any) -> list[Any]:
        return list(obj.events.all())


class BookOut(Schema):
    id: uuid.UUID
    organisation: str
    direction: str
    code: str
    name: str
    is_default: bool

    @staticmethod
    def resolve_organisation(obj: Any) -> str:
        return obj.organisation.code or ""


class DirectoryOut(Schema):
    code: str
    name: str
    node: str


class OutboxOut(Schema):
    id: uuid.UUID
    kind: str
    state: str
    from_code: str
    to_code: str
    document_id: str
    next_hop: str
    attempts: int
    next_attempt_at: dt.datetime
    sent_at: dt.datetime | None
    last_error: str
    created_at: dt.datetime
