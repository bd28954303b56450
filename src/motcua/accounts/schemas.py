"""API schemas of accounts."""

from __future__ import annotations

import datetime as dt
import uuid

from ninja import Field, Schema


class MeOut(Schema):
    id: uuid.UUID
    username: str
    kind: str
    full_name: str
    display_name: str
    personal_id: str
    tax_code: str
    organisation_name: str
    email: str
    phone: str
    address: str
    preferred_language: str
    verified_by_identity_provider: bool
    second_factor_enabled: bool
    roles: list[str]


class ApiClientIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    scopes: list[str] = Field(default_factory=list, max_length=50)
    organisation_code: str = Field(default="", max_length=35)


class ApiClientOut(Schema):
    id: uuid.UUID
    name: str
    client_id: str
    organisation_code: str
    scopes: list[str]
    is_active: bool
    created_at: dt.datetime
    rotated_at: dt.datetime | None
    last_used_at: dt.datetime | None
    previous_secret_valid_until: dt.datetime | None


class ApiClientSecretOut(Schema):
    """Returned once, when the secret is created or rotated: it is stored only as a hash."""

    client: ApiClientOut
    secret: str
    token: str = Field(description="The value for the header Authorization: Bearer <token>.")
