"""Statuses at the sender: applied in order of the receiver's time, an older one arriving late kept but never
applied over a newer one, a status delivered twice recorded once."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from motcua.core.exceptions import NotFound
from motcua.exchange.models import Recipient
from motcua.exchange.services.statuses import status_apply
from tests.exchange.conftest import deliver, sent

pytestmark = pytest.mark.django_db


def _apply(document, receiver, code, at, message_id=None, **extra):
    return status_apply(
        document_id=document.document_id,
        document_sender=document.organisation.code,
        from_code=receiver.code,
        code=code,
        timestamp=at,
        message_id=message_id or uuid.uuid4(),
        **extra,
    )


@pytest.fixture
def delivered(node, sender, receiver):
    document = sent(sender, [receiver.code])
    deliver()
    return document


# Statuses a few minutes after the technical receipt (01) the delivery recorded.
T0 = timezone.now().replace(microsecond=0) + dt.timedelta(minutes=10)


def test_a_late_older_status_is_kept_but_not_applied(delivered, receiver):
    _apply(delivered, receiver, "03", T0 + dt.timedelta(minutes=1))
    _apply(delivered, receiver, "05", T0 + dt.timedelta(minutes=3))
    late = _apply(delivered, receiver, "04", T0 + dt.timedelta(minutes=2))
    recipient = Recipient.objects.get(document=delivered)
    assert recipient.status_code == "05"
    assert late.applied is False
    assert list(recipient.statuses.values_list("status_code", flat=True)) == ["01", "03", "04", "05"]
    _apply(delivered, receiver, "06", T0 + dt.timedelta(minutes=4))
    recipient.refresh_from_db()
    assert recipient.status_code == "06"


def test_at_the_same_second_the_later_step_wins(delivered, receiver):
    moment = T0 + dt.timedelta(minutes=5)
    _apply(delivered, receiver, "04", moment)
    _apply(delivered, receiver, "03", moment.replace(microsecond=500))
    recipient = Recipient.objects.get(document=delivered)
    assert recipient.status_code == "04"


def test_a_status_delivered_twice_is_recorded_once(delivered, receiver):
    message_id = uuid.uuid4()
    assert _apply(delivered, receiver, "03", T0, message_id=message_id) is not None
    assert _apply(delivered, receiver, "03", T0, message_id=message_id) is None
    recipient = Recipient.objects.get(document=delivered)
    assert recipient.statuses.filter(status_code="03").count() == 1


def test_recall_answers_are_tracked_apart_from_the_progress(delivered, receiver):
    _apply(delivered, receiver, "05", T0 + dt.timedelta(minutes=1))
    _apply(delivered, receiver, "15", T0 + dt.timedelta(minutes=2))
    recipient = Recipient.objects.get(document=delivered)
    assert (recipient.status_code, recipient.change_status_code) == ("05", "15")


def test_a_status_about_an_unknown_document_or_from_a_stranger_is_refused(delivered, receiver, outsider):
    with pytest.raises(NotFound):
        status_apply(
            document_id="000.00.00.H49,2025/10/06,999/UBND-VP",
            document_sender=delivered.organisation.code,
            from_code=receiver.code,
            code="03",
            timestamp=T0,
        )
    with pytest.raises(NotFound):
        _apply(delivered, outsider, "03", T0)


def test_a_rejection_on_arrival_marks_the_delivery_refused(node, sender, receiver):
    document = sent(sender, [receiver.code])
    _apply(document, receiver, "02", T0, refused_in_transit=True, description="Sai nơi nhận")
    recipient = Recipient.objects.get(document=document)
    assert (recipient.delivery, recipient.status_code, recipient.status_description) == (
        "refused",
        "02",
        "Sai nơi nhận",
    )
