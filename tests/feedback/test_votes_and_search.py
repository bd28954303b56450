"""Published answers: the public search (with or without diacritics, filters), likes and dislikes, and what the
service quality index reads about dossiers."""

from __future__ import annotations

import datetime as dt

import pytest

from motcua.accounts.models import ApiClient
from motcua.core.exceptions import NotFound, PermissionDenied, RateLimited, ValidationFailed
from motcua.core.models import AuditEvent
from motcua.feedback import selectors, services
from motcua.feedback.models import Feedback, FeedbackVote
from tests.dossiers.conftest import submit as dossier_submit
from tests.dossiers.factories import judicial_record_content, version_create
from tests.feedback.conftest import KHAI_SINH, MONDAY, Counts, accepted, answered, official_in, published, submit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def ward_officials(directory):
    from motcua.agencies.models import Role
    from tests.feedback.conftest import QN_HA_LONG

    return (
        official_in(QN_HA_LONG, Role.ONE_STOP_CLERK),
        official_in(QN_HA_LONG, Role.SPECIALIST),
        official_in(QN_HA_LONG, Role.AGENCY_LEADER),
    )


# ----------------------------------------------------------------------------- search


def _published_with(officials, *, answer, question, **overrides):
    receiver, handler, leader = officials
    at = MONDAY + dt.timedelta(days=2)
    feedback = services.feedback_accept(actor=receiver, feedback=submit(at=at, **overrides), at=at)
    feedback = services.feedback_assign(actor=receiver, feedback=feedback, assignee=handler, at=at)
    feedback = services.feedback_answer(
        actor=handler, feedback=feedback, answer=answer, published_question=question, at=at
    )
    feedback = services.feedback_approve(actor=leader, feedback=feedback, at=at + dt.timedelta(hours=1))
    return services.feedback_publish(actor=leader, feedback=feedback, at=at + dt.timedelta(hours=2))


def test_the_public_finds_published_answers_with_or_without_diacritics(
    directory, receiver, handler, leader, ward_officials
):
    lltp = published(receiver, handler, leader)
    khai_sinh = _published_with(
        ward_officials,
        answer="Người đi đăng ký nộp tờ khai và giấy chứng sinh.",
        question="Công dân hỏi giấy tờ đăng ký khai sinh cho con.",
        procedure_code=KHAI_SINH,
        title="Khai sinh cho con",
    )
    # Not published: never found, whatever the words.
    answered(receiver, handler, title="Thời hạn chưa công bố")

    def codes(**criteria):
        return [feedback.code for feedback in selectors.feedback_public_search(**criteria)]

    assert codes() == [khai_sinh.code, lltp.code]  # newest first
    assert codes(query="thoi han ly lich tu phap") == [lltp.code]
    assert codes(query="Thời hạn LÝ LỊCH") == [lltp.code]
    assert codes(query="tiep nhan ho so") == [lltp.code]  # words of the answer count too
    assert codes(query="giay chung sinh") == [khai_sinh.code]
    assert codes(agency_code=lltp.agency.code) == [lltp.code]
    assert codes(procedure_code=KHAI_SINH) == [khai_sinh.code]
    assert codes(field_code="ly-lich-tu-phap") == [lltp.code]
    assert codes(agency_code="000.00.99.H99") == []
    assert codes(query="khong co tu nay") == []


def test_the_published_text_never_carries_the_submitters_name_or_contact(directory, receiver, handler, leader):
    feedback = published(receiver, handler, leader, content="Tôi là Trần Thị Bích, số 0987654321, hỏi về thời hạn.")
    assert "bich" not in feedback.public_search_key and "0987654321" not in feedback.public_search_key
    assert selectors.feedback_public_search(query="Bích").count() == 0
    assert selectors.feedback_public_search(query="0987654321").count() == 0


def test_filters_list_what_has_published_answers(directory, receiver, handler, leader):
    published(receiver, handler, leader)
    filters = selectors.feedback_public_filters()
    assert [(c.code, c.count) for c in filters["agencies"]] == [("000.00.01.H49", 1)]
    assert [(c.code, c.count) for c in filters["procedures"]] == [("2.000488", 1)]
    assert [(c.code, c.name) for c in filters["fields"]] == [("ly-lich-tu-phap", "Lý lịch tư pháp")]


def test_an_unpublished_feedback_is_not_public(directory, receiver):
    feedback = accepted(receiver)
    with pytest.raises(NotFound):
        selectors.feedback_public_get(code=feedback.code)


# ----------------------------------------------------------------------------- votes


def test_one_vote_per_person_which_they_may_change(directory, receiver, handler, leader, citizen, other_citizen):
    feedback = published(receiver, handler, leader)
    first = services.feedback_vote(actor=citizen, feedback=feedback, value="like")
    assert first.is_changed and (first.feedback.like_count, first.feedback.dislike_count) == (1, 0)
    again = services.feedback_vote(actor=citizen, feedback=feedback, value="like")
    assert not again.is_changed and again.feedback.like_count == 1
    changed = services.feedback_vote(actor=citizen, feedback=feedback, value="dislike")
    assert changed.is_changed and (changed.feedback.like_count, changed.feedback.dislike_count) == (0, 1)
    services.feedback_vote(actor=other_citizen, feedback=feedback, value="dislike")
    stored = Feedback.objects.get(pk=feedback.pk)
    assert (stored.like_count, stored.dislike_count) == (0, 2)
    assert FeedbackVote.objects.filter(feedback=feedback).count() == 2
    assert selectors.feedback_vote_of(user=citizen, voter_token="", feedback=feedback) == -1
    assert AuditEvent.objects.filter(action="feedback.vote").count() == 3  # the unchanged vote wrote nothing


def test_an_anonymous_browser_votes_once_with_its_token_and_is_rate_limited(
    directory, receiver, handler, leader, settings
):
    feedback = published(receiver, handler, leader)
    services.feedback_vote(actor=None, feedback=feedback, value="like", voter_token="browser-1", client_address="x")
    services.feedback_vote(actor=None, feedback=feedback, value="like", voter_token="browser-1", client_address="x")
    services.feedback_vote(actor=None, feedback=feedback, value="like", voter_token="browser-2", client_address="x")
    assert Feedback.objects.get(pk=feedback.pk).like_count == 2
    vote = FeedbackVote.objects.filter(feedback=feedback).first()
    assert vote.user is None and "browser" not in vote.voter_key and len(vote.voter_key) == 64
    assert selectors.feedback_vote_of(user=None, voter_token="browser-1", feedback=feedback) == 1
    assert selectors.feedback_vote_of(user=None, voter_token="browser-3", feedback=feedback) is None

    settings.FEEDBACK_VOTE_RATE_PER_MINUTE = 3
    counts = Counts()
    with pytest.raises(RateLimited):
        services.feedback_vote(
            actor=None, feedback=feedback, value="dislike", voter_token="browser-4", client_address="x"
        )
    counts.assert_unchanged()


def test_votes_that_cannot_count_are_refused(directory, receiver, handler, leader, citizen):
    feedback = published(receiver, handler, leader)
    not_published = answered(receiver, handler)
    counts = Counts()
    with pytest.raises(ValidationFailed):
        services.feedback_vote(actor=citizen, feedback=feedback, value="love")
    with pytest.raises(ValidationFailed) as no_cookie:
        services.feedback_vote(actor=None, feedback=feedback, value="like")
    assert no_cookie.value.code == "feedback_voter_unknown"
    with pytest.raises(PermissionDenied):
        services.feedback_vote(
            actor=ApiClient(name="x", client_id="x", secret_hash="x"), feedback=feedback, value="like"
        )
    with pytest.raises(NotFound):
        services.feedback_vote(actor=citizen, feedback=not_published, value="like")
    counts.assert_unchanged()


# ----------------------------------------------------------------------------- for the service quality index


def test_which_dossiers_have_feedback_and_the_votes_on_their_published_answers(
    directory, citizen, other_citizen, receiver, handler, leader
):
    version = version_create(judicial_record_content(code="9.000002"))
    complained, liked, quiet = (dossier_submit(citizen, version) for _ in range(3))
    submit(citizen, subject_kind="dossier", dossier_code=complained.code)
    submit(citizen, subject_kind="dossier", dossier_code=complained.code)
    about_liked = submit(citizen, subject_kind="dossier", dossier_code=liked.code)
    about_liked = services.feedback_accept(actor=receiver, feedback=about_liked)
    about_liked = services.feedback_assign(actor=receiver, feedback=about_liked, assignee=handler)
    about_liked = services.feedback_answer(
        actor=handler, feedback=about_liked, answer="Đã xử lý.", published_question="Câu hỏi về hồ sơ."
    )
    about_liked = services.feedback_approve(actor=leader, feedback=about_liked)
    about_liked = services.feedback_publish(actor=leader, feedback=about_liked)
    services.feedback_vote(actor=citizen, feedback=about_liked, value="dislike")
    services.feedback_vote(actor=other_citizen, feedback=about_liked, value="like")

    summary = selectors.feedback_about_dossiers(dossier_ids=[complained.pk, liked.pk, quiet.pk])
    assert set(summary) == {complained.pk, liked.pk}
    assert (summary[complained.pk].feedback_count, summary[complained.pk].published_count) == (2, 0)
    assert (summary[complained.pk].likes, summary[complained.pk].dislikes) == (0, 0)
    assert (summary[liked.pk].feedback_count, summary[liked.pk].published_count) == (1, 1)
    assert (summary[liked.pk].likes, summary[liked.pk].dislikes) == (1, 1)
    assert selectors.feedback_about_dossiers(dossier_ids=[]) == {}
