"""The applicant's satisfaction rating: once, after the result was returned, by the applicant only."""

from __future__ import annotations

import pytest
from django.test import Client

from motcua.core.exceptions import InvalidState, NotFound, PermissionDenied, RateLimited, ValidationFailed
from motcua.core.models import AuditEvent
from motcua.core.permissions import SYSTEM
from motcua.dossiers import services
from motcua.dossiers.models import DossierRating
from tests.dossiers.conftest import received, submit
from tests.dossiers.factories import at
from tests.support.sessions import sign_in_with_second_factor

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

BASE = "/api/v1/dossiers"


def _returned(citizen, version, clerk):
    """A dossier applied for online and taken to "result returned"; its lookup secret kept on it."""
    dossier = submit(citizen, version)
    secret = dossier.lookup_secret
    dossier = services.dossier_accept(actor=clerk, dossier=dossier, at=at(2, 10))
    for _step in range(3):
        dossier = services.dossier_forward(actor=SYSTEM, dossier=dossier, at=at(3))
    dossier = services.dossier_approve(actor=SYSTEM, dossier=dossier, at=at(4))
    dossier = services.dossier_return_result(actor=SYSTEM, dossier=dossier, method="counter", at=at(5))
    dossier.lookup_secret = secret
    return dossier


def _english(client):
    client.cookies["django_language"] = "en"  # the pages are in Vietnamese unless chosen
    return client


@pytest.fixture
def returned(citizen, version, clerk):
    return _returned(citizen, version, clerk)


def test_the_applicant_rates_once_and_it_is_audited(returned, citizen):
    rating = services.dossier_rate(actor=citizen, dossier=returned, score=4, comment="  Nhanh, chu đáo ", at=at(6))
    assert (rating.score, rating.comment, rating.channel, rating.rated_by) == (4, "Nhanh, chu đáo", "account", citizen)
    event = AuditEvent.objects.get(action="dossiers.rate")
    assert event.object_id == str(rating.pk) and event.after["score"] == 4
    with pytest.raises(InvalidState) as again:
        services.dossier_rate(actor=citizen, dossier=returned, score=1)
    assert again.value.code == "dossier_already_rated"
    assert DossierRating.objects.get().score == 4


def test_only_a_returned_dossier_can_be_rated(citizen, version, clerk):
    dossier = received(citizen, version, clerk)
    with pytest.raises(InvalidState) as early:
        services.dossier_rate(actor=citizen, dossier=dossier, score=5)
    assert early.value.code == "dossier_not_returned"
    assert not DossierRating.objects.exists()


@pytest.mark.parametrize("score", [0, 6, "5", None, True, 3.5])
def test_a_score_outside_one_to_five_is_refused(returned, citizen, score):
    with pytest.raises(ValidationFailed) as refused:
        services.dossier_rate(actor=citizen, dossier=returned, score=score)
    assert "score" in refused.value.details
    assert not DossierRating.objects.exists()


def test_a_long_comment_is_refused(returned, citizen):
    with pytest.raises(ValidationFailed) as refused:
        services.dossier_rate(actor=citizen, dossier=returned, score=3, comment="x" * 2001)
    assert "comment" in refused.value.details


def test_officials_who_see_the_dossier_cannot_rate_it_and_strangers_do_not_see_it(returned, clerk, other_citizen):
    with pytest.raises(PermissionDenied):
        services.dossier_rate(actor=clerk, dossier=returned, score=5)
    with pytest.raises(NotFound):
        services.dossier_rate(actor=other_citizen, dossier=returned, score=1)
    assert not DossierRating.objects.exists()


def test_without_an_account_the_receipt_code_and_secret_rate_it(returned, settings):
    rating = services.dossier_rate_with_secret(code=returned.code, secret=returned.lookup_secret, score=2)
    assert rating.channel == "lookup" and rating.rated_by is None
    with pytest.raises(NotFound):
        services.dossier_rate_with_secret(code=returned.code, secret="WRONG00000", score=5)
    settings.DOSSIER_LOOKUP_RATE_PER_MINUTE = 1
    with pytest.raises(RateLimited):
        services.dossier_rate_with_secret(code=returned.code, secret="WRONG00000", score=5)
    assert DossierRating.objects.get().score == 2


def test_the_api_rates_and_shows_the_rating(returned, citizen, clerk):
    applicant = _english(Client())
    applicant.force_login(citizen)
    created = applicant.post(
        f"{BASE}/{returned.code}/rating", {"score": 5, "comment": "Tốt"}, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["score_label"] == "Very satisfied"
    assert applicant.get(f"{BASE}/{returned.code}").json()["rating"]["score"] == 5
    again = applicant.post(f"{BASE}/{returned.code}/rating", {"score": 1}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "dossier_already_rated"
    # An official sees the rating but may not give one.
    desk = sign_in_with_second_factor(Client(), clerk)
    assert desk.get(f"{BASE}/{returned.code}").json()["rating"]["comment"] == "Tốt"


@pytest.mark.parametrize("who", ["anonymous", "other_citizen", "clerk"])
def test_the_rating_endpoint_refuses_everyone_but_the_applicant(who, returned, other_citizen, clerk):
    client = Client()
    if who == "other_citizen":
        client.force_login(other_citizen)
    elif who == "clerk":
        client = sign_in_with_second_factor(client, clerk)
    response = client.post(f"{BASE}/{returned.code}/rating", {"score": 5}, content_type="application/json")
    assert response.status_code == {"anonymous": 401, "other_citizen": 404, "clerk": 403}[who]
    assert not DossierRating.objects.exists()


def test_the_public_rating_endpoint_needs_the_secret(returned):
    client = Client()
    wrong = client.post(
        f"{BASE}/public/rating",
        {"code": returned.code, "secret": "NOPE000000", "score": 5},
        content_type="application/json",
    )
    assert wrong.status_code == 404 and not DossierRating.objects.exists()
    right = client.post(
        f"{BASE}/public/rating",
        {"code": returned.code, "secret": returned.lookup_secret, "score": 3, "comment": "Bình thường"},
        content_type="application/json",
    )
    assert right.status_code == 201 and right.json()["channel"] == "lookup"


def test_the_dossier_page_offers_the_form_then_shows_the_rating(returned, citizen):
    client = _english(Client())
    client.force_login(citizen)
    page = client.get(f"/dossiers/mine/{returned.code}/")
    assert b"Rate the service" in page.content and b'name="score"' in page.content
    refused = client.post(f"/dossiers/mine/{returned.code}/rating/", {"score": "9"})
    assert refused.status_code == 422 and not DossierRating.objects.exists()
    done = client.post(f"/dossiers/mine/{returned.code}/rating/", {"score": "5", "comment": "Cảm ơn"}, follow=True)
    assert done.status_code == 200 and b"Thank you for your rating" in done.content
    assert b"Your rating" in done.content and b"Very satisfied" in done.content
    assert b'name="score"' not in done.content


def test_the_tracking_page_lets_someone_without_an_account_rate(returned):
    client = _english(Client())
    found = client.post("/dossiers/track/", {"code": returned.code, "secret": returned.lookup_secret})
    assert found.status_code == 200 and b'name="score"' in found.content
    tampered = client.post("/dossiers/track/rating/", {"code": returned.code, "secret": "BAD0000000", "score": "4"})
    assert tampered.status_code == 404 and not DossierRating.objects.exists()
    rated = client.post(
        "/dossiers/track/rating/", {"code": returned.code, "secret": returned.lookup_secret, "score": "4"}
    )
    assert rated.status_code == 200 and b"Thank you for your rating" in rated.content
    again = client.post("/dossiers/track/", {"code": returned.code, "secret": returned.lookup_secret})
    assert b'name="score"' not in again.content
    assert DossierRating.objects.get().channel == "lookup"
