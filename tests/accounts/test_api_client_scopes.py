"""API clients act only within their scopes (and, for staff, within their own organisation's subtree)."""

import pytest

from motcua.accounts.services import api_client_create
from motcua.agencies.services import agencies_load_demo
from motcua.core.audit import audit_record
from motcua.core.permissions import SYSTEM

pytestmark = pytest.mark.django_db


def _bearer(client_and_secret):
    client, secret = client_and_secret
    return {"Authorization": f"Bearer {client.client_id}.{secret}"}


def test_audit_scope_opens_the_audit_trail_and_nothing_else(client):
    audit_record(action="test.event", object_type="thing")
    with_scope = _bearer(api_client_create(actor=SYSTEM, name="Thanh tra", scopes=["audit:read"]))
    without = _bearer(api_client_create(actor=SYSTEM, name="Khác", scopes=["dossiers:read"]))
    assert client.get("/api/v1/audit/events", headers=with_scope).status_code == 200
    assert client.get("/api/v1/audit/events", headers=without).status_code == 403
    assert client.get("/api/v1/audit/events", headers={"Authorization": "Bearer nope.nope"}).status_code == 401


def test_agencies_scope_reads_staff_of_its_own_subtree_only(client):
    agencies_load_demo(actor=SYSTEM)
    quang_ninh = _bearer(
        api_client_create(actor=SYSTEM, name="HTTT tỉnh", scopes=["agencies:read"], organisation_code="000.00.00.H49")
    )
    assert client.get("/api/v1/agencies/organisations/000.00.00.H49/positions", headers=quang_ninh).status_code == 200
    assert client.get("/api/v1/agencies/organisations/000.00.01.H49/positions", headers=quang_ninh).status_code == 200
    assert client.get("/api/v1/agencies/organisations/000.00.00.H41/positions", headers=quang_ninh).status_code == 403
    unscoped = _bearer(
        api_client_create(actor=SYSTEM, name="Không phạm vi", scopes=[], organisation_code="000.00.00.H49")
    )
    assert client.get("/api/v1/agencies/organisations/000.00.00.H49/positions", headers=unscoped).status_code == 403
