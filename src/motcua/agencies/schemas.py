"""API schemas of the agency directory."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ninja import Field, Schema


class OrganisationSummaryOut(Schema):
    id: uuid.UUID
    code: str | None
    name: str
    short_name: str
    abbreviation: str
    kind: str


class OrganisationOut(OrganisationSummaryOut):
    parent_id: uuid.UUID | None
    parent_code: str | None = Field(None, alias="parent.code")
    depth: int
    administrative_unit_code: str
    address: str
    email: str
    phone: str
    website: str
    is_active: bool


class UnitOut(Schema):
    id: uuid.UUID
    code: str
    name: str
    abbreviation: str
    parent_id: uuid.UUID | None
    is_active: bool


class OrganisationDetailOut(OrganisationOut):
    ancestors: list[OrganisationSummaryOut]
    children: list[OrganisationSummaryOut]
    units: list[UnitOut]


class OrganisationFilter(Schema):
    q: str = Field("", description="Name, short name, abbreviation or code; with or without diacritics")
    kind: str = ""
    parent: str = Field("", description="Code or id of the parent organisation")


class OrganisationCreateIn(Schema):
    name: str
    kind: str
    code: str | None = None
    parent: str | None = Field(None, description="Code or id of the parent, or “government”")
    short_name: str = ""
    abbreviation: str = ""
    administrative_unit_code: str = ""
    address: str = ""
    email: str = ""
    phone: str = ""
    website: str = ""


class OrganisationPatchIn(Schema):
    """Only the fields sent are changed; ``parent: null`` makes the organisation top-level."""

    name: str | None = None
    kind: str | None = None
    code: str | None = None
    parent: str | None = None
    short_name: str | None = None
    abbreviation: str | None = None
    administrative_unit_code: str | None = None
    address: str | None = None
    email: str | None = None
    phone: str | None = None
    website: str | None = None


class UnitCreateIn(Schema):
    code: str
    name: str
    abbreviation: str = ""
    parent_code: str | None = None


class PositionOut(Schema):
    id: uuid.UUID
    user_id: uuid.UUID
    user_name: str
    organisation_id: uuid.UUID
    unit_id: uuid.UUID | None
    role: str
    title: str
    valid_from: dt.date
    valid_until: dt.date | None

    @staticmethod
    def resolve_user_name(position: Any) -> str:
        return str(position.user)


class PositionAssignIn(Schema):
    user_id: uuid.UUID
    organisation: str = Field(description="Code or id of the organisation")
    unit_id: uuid.UUID | None = None
    role: str
    title: str = ""
    valid_from: dt.date
    valid_until: dt.date | None = None


class PositionEndIn(Schema):
    on: dt.date | None = Field(None, description="Last day of the position (today if omitted)")
