"""Deny unless a rule allows, across the whole API: every operation asks who is calling, except a short list of
public ones named here, so that making an endpoint public is a decision someone writes down."""

import re
import uuid

import pytest
from django.db import connection

from motcua.config.api import api

pytestmark = pytest.mark.django_db

# What anyone may call without signing in, and why.
PUBLIC = {
    ("GET", "/api/v1/agencies/organisations"),  # the official directory of agencies and their codes
    ("GET", "/api/v1/agencies/organisations/{code_or_id}"),
    ("GET", "/api/v1/procedures/fields"),  # the catalogue of administrative procedures
    ("GET", "/api/v1/procedures"),
    ("GET", "/api/v1/procedures/{code}"),
    ("GET", "/api/v1/procedures/{code}/versions/{number}"),
    ("GET", "/api/v1/dossiers/public/lookup"),  # tracking with the receipt's code and secret
    ("POST", "/api/v1/dossiers/public/rating"),  # rating with the receipt's code and secret
    ("POST", "/api/v1/signatures/verify"),  # anyone may check a signed document
    ("GET", "/api/v1/signatures/documents/{short_code}"),  # the register of issued documents (QR codes)
    ("GET", "/api/v1/payments/quote"),  # what a procedure costs
    ("GET", "/api/v1/feedback/public"),  # published answers to feedback
    ("GET", "/api/v1/feedback/public/{code}"),
    ("GET", "/api/v1/feedback/follow"),  # one's feedback, with its code and secret
    ("POST", "/api/v1/feedback/follow/supplement"),
}
# Signed-in callers are recognised, and anyone else is welcome too.
ANONYMOUS_WELCOME = {
    ("POST", "/api/v1/feedback"),  # anyone may send feedback, even without an account (Decree 20/2008)
}


def _operations():
    spec = api.get_openapi_schema(path_prefix="/api/v1")
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            yield method.upper(), path, operation


def _concrete(path):
    """A path with its parameters filled in: the caller is refused before they are looked up."""
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


def test_the_public_operations_are_exactly_the_ones_named():
    public = {(method, path) for method, path, operation in _operations() if not operation.get("security")}
    assert public == PUBLIC


def _table_counts():
    with connection.cursor() as cursor:
        counts = {}
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # names from the database itself
            counts[table] = cursor.fetchone()[0]
        return counts


def test_every_other_operation_refuses_an_anonymous_caller_and_changes_nothing(client):
    before = _table_counts()
    answers = {}
    for method, path, operation in _operations():
        if not operation.get("security"):
            continue
        response = client.generic(method, _concrete(path), "{}", content_type="application/json")
        answers[(method, path)] = response.status_code
        if response.status_code != 401:
            continue
        body = response.json()
        assert set(body) == {"code", "message", "details"} and body["code"] == "not_authenticated", (method, path)
    not_asked = {operation: status for operation, status in answers.items() if status != 401}
    assert answers and not_asked == dict.fromkeys(ANONYMOUS_WELCOME, 422)  # the empty body refused
    assert _table_counts() == before
