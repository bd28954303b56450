"""The contract of a published procedure version (``ProcedureVersion.content``).

A version is immutable: dossiers keep the version they were submitted under and read everything they need
(components, fees, form, internal workflow, processing time) from it. ``ProcedureContent`` validates a
definition before it is published and parses a stored one. Times are in working hours (one working day =
the calendar's office hours, 8 by default), so "½ day" and "3 days" are both exact.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NamedCode(_Strict):
    code: str
    name: str


class Component(_Strict):
    """A document of the dossier (thành phần hồ sơ)."""

    code: str
    name: str
    originals: int = Field(0, ge=0)
    copies: int = Field(0, ge=0)
    required: bool = True
    template_url: str = ""
    # Can be taken from data the state already holds (citizen's e-data store, earlier results): Decree 45/2020.
    reusable: bool = False


class Fee(_Strict):
    """A fee or charge line (phí, lệ phí) in integer đồng."""

    code: str
    name: str
    kind: Literal["fee", "charge"] = "charge"  # phí / lệ phí
    amount: int = Field(ge=0)
    basis: Literal["fixed", "per_copy"] = "fixed"
    exempt_categories: list[str] = Field(default_factory=list)


class FormField(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    type: Literal["text", "textarea", "date", "number", "select", "checkbox", "email", "phone", "personal_id"]
    required: bool = False
    choices: list[NamedCode] = Field(default_factory=list)
    max_length: int | None = None
    pattern: str = ""
    help: str = ""
    # Shown (and validated) only when another field has a value, e.g. {"field": "married", "equals": "yes"}.
    show_if: dict[str, str] | None = None
    # Pre-filled from the applicant's account: full_name, personal_id, tax_code, phone, email, address.
    prefill: str = ""


class WorkflowStep(_Strict):
    """One step of the approved internal process (quy trình nội bộ)."""

    code: str
    name: str
    role: Literal["one_stop_clerk", "specialist", "unit_head", "agency_leader", "document_clerk"]
    unit_code: str = ""  # a unit of the processing organisation; empty = any unit
    allotted_hours: float = Field(gt=0)


class ProcedureContent(_Strict):
    code: str
    name: str
    field: NamedCode  # lĩnh vực
    level: Literal["ministry", "province", "commune"]
    online_level: Literal["full", "partial", "none"]
    implementing_organisation_code: str  # who decides (cơ quan thực hiện); QCVN 102 code
    receiving_organisation_codes: list[str] = Field(default_factory=list)  # where it may be submitted
    legal_bases: list[str] = Field(default_factory=list)
    applicant_kinds: list[Literal["citizen", "business"]] = Field(default_factory=lambda: ["citizen"])
    processing_hours: float = Field(ge=0)  # statutory time in working hours
    result_kind: Literal["electronic", "paper", "both"] = "both"
    result_name: str = ""
    result_template: str = ""  # text with {{ placeholders }} from the form and the dossier
    components: list[Component] = Field(default_factory=list)
    fees: list[Fee] = Field(default_factory=list)
    # The fees and charges paid are refunded when the dossier is refused (where the fee's legal basis says so);
    # added after the first contract, optional.
    fees_refunded_on_refusal: bool = False
    form_fields: list[FormField] = Field(default_factory=list)
    workflow: list[WorkflowStep] = Field(min_length=1)
    plain_guide: str = ""  # what to bring, where to go, in plain words
    who_can_apply: str = ""  # who may apply, in plain words (added after the first contract; optional)
    notes: str = ""  # editors' notes, e.g. facts of a demo definition that are uncertain (optional)
