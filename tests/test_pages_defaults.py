"""Deny unless a rule allows, across the HTML pages: every page but a named public list sends a caller who has not
signed in to the sign-in page (or refuses them), whether they read or post, and changes nothing. The API has its
own check (test_api_defaults.py); the admin is Django's."""

import re
import uuid

import pytest
from django.db import connection
from django.urls import URLResolver, get_resolver

pytestmark = pytest.mark.django_db

# Pages anyone may open, and why.
PUBLIC = {
    "",  # the portal's home
    "healthz",  # probes
    "readyz",
    "metrics",  # the scraper's addresses only (a rule of its own, tested in core)
    "i18n/setlang/",  # choosing a language
    "accounts/",  # signing in, registering, resetting a password, the identity provider's return
    "agencies/",  # the directory of agencies
    "procedures/",  # the catalogue of procedures
    "dossiers/track/",  # following a dossier with its receipt's code and secret
    "pki/",  # CA certificates, CRLs, OCSP and time stamps: what validators fetch
    "verify/",  # checking a signed document, the register of issued documents
    "payments/pay/",  # paying a bill with the link sent to the payer
    "payments/return/",  # the payment platform sends the payer's browser back here
    "payments/gateway/",  # the payment platform's signed server callback
    "feedback/",  # sending feedback, published answers, following one's feedback with its code
    "exchange/node/",  # other nodes, authenticated by their signed requests (tests/exchange)
}
SIGNED_IN_ONLY = {"feedback/mine/", "feedback/work/"}  # under a public prefix, yet for signed-in people


def _routes():
    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern)

    for route in walk(get_resolver().url_patterns):
        if route.startswith(("api/", "admin/", "static/", "media/")) or route.startswith("^"):
            continue
        yield route


def _is_public(route):
    if any(route.startswith(prefix) for prefix in SIGNED_IN_ONLY):
        return False
    return route in PUBLIC or any(prefix and route.startswith(prefix) for prefix in PUBLIC if prefix.endswith("/"))


def _concrete(route):
    path = re.sub(r"<uuid:[^>]+>", str(uuid.uuid4()), route)
    return "/" + re.sub(r"<[^>]+>", "x", path)


def _table_counts():
    with connection.cursor() as cursor:
        counts = {}
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # names from the database itself
            counts[table] = cursor.fetchone()[0]
        return counts


def _refused(response):
    if response.status_code in (302, 303):
        return response["Location"].startswith("/accounts/login/")
    return response.status_code in (401, 403, 404, 405)


def test_every_page_but_the_public_ones_turns_away_a_caller_who_has_not_signed_in(client):
    private = [route for route in _routes() if not _is_public(route)]
    assert len(private) > 50  # the walk found the pages
    before = _table_counts()
    let_through = {}
    for route in private:
        path = _concrete(route)
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            if not _refused(response):
                let_through[(method, route)] = (response.status_code, response.get("Location", ""))
    assert let_through == {}
    assert _table_counts() == before


def test_the_public_pages_answer_without_a_server_error(client):
    for route in _routes():
        if _is_public(route):
            for method in ("get", "post"):
                response = getattr(client, method)(_concrete(route))
                assert response.status_code < 500, (method, route, response.status_code)


@pytest.mark.parametrize(
    "path",
    ["/agencies/", "/procedures/", "/feedback/"],
)
def test_pages_that_only_show_refuse_a_post(client, path):
    assert client.post(path).status_code == 405
    assert client.head(path).status_code in (200, 302)
