"""Feedback messages go through the notifications app for real: rendered in the recipient's language, on the
channels of the event, in the transaction of the change."""

from __future__ import annotations

import pytest

from motcua.core.exceptions import InvalidState
from motcua.feedback import services
from motcua.notifications.models import Notification
from tests.feedback.conftest import answered, submit

pytestmark = pytest.mark.django_db


def _rows(event, **filters):
    return Notification.objects.filter(event=event, **filters)


def test_someone_without_an_account_hears_by_sms_and_the_agency_by_its_inbox(receiver, handler):
    feedback = submit()  # anonymous, phone only
    sms = _rows("feedback.received").get()
    assert (sms.channel, sms.address, sms.user_id) == ("sms", "+84987654321", None)
    assert feedback.code in sms.body and sms.body.isascii()  # folded to fit one GSM SMS
    new = _rows("feedback.new_for_agency", user=receiver)
    assert sorted(new.values_list("channel", flat=True)) == ["email", "inbox"]
    assert new.get(channel="inbox").link.endswith(f"/feedback/work/{feedback.code}/")
    assert not _rows("feedback.new_for_agency", user=handler).exists()


def test_the_submitter_reads_the_answer_in_their_language(citizen, receiver, handler, leader):
    citizen.preferred_language = "fr"
    citizen.save()
    feedback = answered(receiver, handler, actor=citizen)
    services.feedback_approve(actor=leader, feedback=feedback)
    inbox = _rows("feedback.answered", user=citizen, channel="inbox").get()
    assert inbox.language == "fr" and inbox.subject == f"Signalement {feedback.code} : la réponse"
    assert "Sở Tư pháp tiếp nhận hồ sơ hợp lệ" in inbox.body
    assert _rows("feedback.answer_to_approve", user=leader, channel="inbox").exists()


def test_a_refused_transition_tells_nobody(receiver):
    feedback = submit()
    before = Notification.objects.count()
    with pytest.raises(InvalidState):
        services.feedback_publish(actor=receiver, feedback=feedback)
    assert Notification.objects.count() == before
