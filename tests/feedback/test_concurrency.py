"""Real concurrency: threads with their own database connections released at once by a barrier. The locked
counter gives distinct codes, the locked feedback lets one of two leaders act, the locked vote keeps one per person.

Run on PostgreSQL (CI does), or on SQLite with a file database (MOTCUA_TEST_SQLITE_NAME)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from motcua.core.exceptions import MotcuaError
from motcua.feedback import services
from motcua.feedback.models import Feedback, FeedbackEvent, FeedbackVote
from tests.feedback.conftest import LLTP, MONDAY, QN_JUSTICE, answered, official_in, published

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("english")]


@pytest.fixture(autouse=True)
def _needs_real_connections():
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip(
            "an in-memory SQLite test database is shared between threads with table locks that fail at once instead "
            "of waiting; set MOTCUA_TEST_SQLITE_NAME to a file to run this on SQLite"
        )


def _at_once(count: int, work) -> dict[int, str]:
    barrier = threading.Barrier(count)
    outcomes: dict[int, str] = {}

    def run(number: int) -> None:
        barrier.wait(timeout=10)
        try:
            outcomes[number] = work(number)
        except MotcuaError as error:
            outcomes[number] = error.code
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_codes_submitted_at_the_same_moment_are_distinct_and_consecutive(directory, settings):
    settings.FEEDBACK_SUBMIT_RATE_PER_HOUR = 100

    def submit(number: int) -> str:
        feedback = services.feedback_submit(
            actor=None,
            subject_kind="procedure",
            procedure_code=LLTP,
            title=f"Phản ánh số {number}",
            content="Nội dung phản ánh.",
            name="Người dân",
            phone="0912345678",
            client_address=f"192.0.2.{number + 1}",
            at=MONDAY,
        )
        return feedback.code

    outcomes = _at_once(8, submit)
    assert sorted(outcomes.values()) == [f"PAKN-260302-{n:04d}" for n in range(1, 9)]
    assert Feedback.objects.count() == 8


def test_two_leaders_approving_at_once_one_wins(directory, receiver, handler, leader):
    second_leader = official_in(QN_JUSTICE, "agency_leader")
    feedback = answered(receiver, handler)
    leaders = [leader, second_leader]

    def approve(number: int) -> str:
        copy = Feedback.objects.get(pk=feedback.pk)
        services.feedback_approve(actor=leaders[number], feedback=copy)
        return "ok"

    outcomes = _at_once(2, approve)
    assert sorted(outcomes.values()) == ["feedback_invalid_transition", "ok"]
    actions = list(FeedbackEvent.objects.filter(feedback_id=feedback.pk).values_list("action", flat=True))
    assert actions.count("approve") == 1


def test_one_person_voting_twice_at_once_keeps_one_vote(directory, receiver, handler, leader, citizen):
    feedback = published(receiver, handler, leader)

    def vote(number: int) -> str:
        services.feedback_vote(actor=citizen, feedback=feedback, value="like" if number else "dislike")
        return "ok"

    outcomes = _at_once(2, vote)
    assert list(outcomes.values()) == ["ok", "ok"]
    assert FeedbackVote.objects.filter(feedback=feedback).count() == 1
    stored = Feedback.objects.get(pk=feedback.pk)
    assert stored.like_count + stored.dislike_count == 1
