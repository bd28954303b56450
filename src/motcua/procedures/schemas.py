"""API schemas of the procedure catalogue."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ninja import Field, Schema


class ProcedureSummaryOut(Schema):
    id: uuid.UUID
    code: str
    name: str
    level: str
    online_level: str
    field_code: str
    field_name: str
    implementing_organisation_code: str | None = Field(None, alias="implementing_organisation.code")
    implementing_organisation_name: str | None = Field(None, alias="implementing_organisation.name")
    version: int | None = Field(None, alias="current_version.number")


class ProcedureFilter(Schema):
    q: str = Field("", description="Name, code or field; with or without Vietnamese diacritics")
    organisation: str = Field("", description="Electronic code of an organisation (implementing or receiving)")
    field: str = Field("", description="Field (lĩnh vực) code, see /procedures/fields")
    online_level: str = Field("", description="full, partial or none")
    level: str = Field("", description="ministry, province or commune")


class ProcedureVersionOut(Schema):
    """A published version: its number, when, and the definition (procedures.content.ProcedureContent)."""

    code: str
    version: int
    published_at: dt.datetime
    is_active: bool
    content: dict[str, Any]


class FieldOut(Schema):
    code: str
    name: str
    procedure_count: int


class ProcedureCreateIn(Schema):
    code: str = Field(description="National code, e.g. 1.001193")
    definition: dict[str, Any] = Field(description="The draft definition (the shape of a published version)")


class ProcedureDraftIn(Schema):
    definition: dict[str, Any]


class ProcedureStaffOut(Schema):
    id: uuid.UUID
    code: str
    name: str
    is_active: bool
    version: int | None = Field(None, alias="current_version.number")
    draft: dict[str, Any]
