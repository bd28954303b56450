"""The durable outbox: back-off with jitter up to a limit then failure and an alert, order within a group, leases,
answers, retries by an administrator, messages held for a node that pulls."""

import datetime as dt
import json
import random
import uuid

import pytest
from django.utils import timezone

from motcua.core.exceptions import PermissionDenied
from motcua.exchange.models import Node, OutboxMessage, Recipient
from motcua.exchange.routing import Route
from motcua.exchange.services.answers import answer_apply
from motcua.exchange.transport.outbox import (
    _claim,
    outbox_add,
    outbox_deliver,
    outbox_held_answer,
    outbox_held_get,
    outbox_held_list,
    outbox_retry,
    retry_delay,
)
from motcua.exchange.transport.wire import Answer
from tests.exchange.conftest import sent
from tests.support.exchange_nodes import free_port

pytestmark = pytest.mark.django_db

REMOTE = Route(organisation_code="000.00.00.H41", organisation_name="Nghệ An", destination="na", next_hop="na")


@pytest.fixture
def unreachable(node):
    """A node of the directory at a port where nothing listens."""
    return Node.objects.create(
        node_id="na",
        name="Nghệ An",
        url=f"http://127.0.0.1:{free_port()}",
        certificate_pem=node.certificate_pem(),
        certificate_sha256=node.fingerprint,
    )


def _message(**overrides):
    values = {
        "kind": "status",
        "from_code": "000.00.00.H49",
        "to_code": "000.00.00.H41",
        "document_id": "000.00.00.H41,2025/10/06,1/UBND-VP",
        "body": b"<edXML/>",
        "route": REMOTE,
    }
    values.update(overrides)
    return outbox_add(**values)


def test_retry_delay_grows_exponentially_with_jitter_and_a_cap(settings):
    settings.EXCHANGE_RETRY_BASE_SECONDS, settings.EXCHANGE_RETRY_MAX_SECONDS = 30, 3600
    rng = random.Random(1)
    delays = [retry_delay(attempts=n, rng=rng).total_seconds() for n in (1, 2, 3, 10)]
    assert 15 <= delays[0] <= 30 and 30 <= delays[1] <= 60 and 60 <= delays[2] <= 120
    assert 1800 <= delays[3] <= 3600


def test_an_unreachable_node_is_retried_then_given_up_with_an_alert(unreachable, settings, caplog):
    settings.EXCHANGE_MAX_ATTEMPTS = 2
    message = _message()
    report = outbox_deliver()
    assert report.retried == 1
    message.refresh_from_db()
    assert message.state == "pending" and message.attempts == 1 and message.next_attempt_at > timezone.now()
    assert "ConnectionError" in message.last_error or "NodeUnreachable" in message.last_error or message.last_error
    report = outbox_deliver(now=timezone.now() + dt.timedelta(hours=2))
    assert report.failed == 1
    message.refresh_from_db()
    assert message.state == "failed" and message.alerted_at is not None
    assert "given up" in caplog.text or "delivery failed" in caplog.text


def test_a_given_up_document_shows_on_its_recipient(node, sender, receiver, unreachable, settings):
    settings.EXCHANGE_MAX_ATTEMPTS = 1
    document = sent(sender, [receiver.code])
    OutboxMessage.objects.filter(recipient__document=document).update(next_hop="na")
    outbox_deliver()
    recipient = Recipient.objects.get(document=document)
    assert recipient.delivery == "failed" and recipient.last_error


def test_messages_of_one_group_leave_in_order(unreachable):
    first = _message(order_group="status:1")
    second = _message(order_group="status:1")
    other = _message(order_group="status:2")
    assert (first.order_sequence, second.order_sequence) == (1, 2)
    claimed = {row.pk for row in _claim(now=timezone.now(), limit=10)}
    assert claimed == {first.pk, other.pk}


def test_a_claimed_message_is_leased_until_its_lease_ends(unreachable, settings):
    settings.EXCHANGE_LEASE_SECONDS = 60
    message = _message()
    now = timezone.now()
    assert [row.pk for row in _claim(now=now, limit=10)] == [message.pk]
    assert _claim(now=now + dt.timedelta(seconds=30), limit=10) == []
    assert [row.pk for row in _claim(now=now + dt.timedelta(seconds=61), limit=10)] == [message.pk]


def _json(status, code="refused"):
    return Answer(
        status=status, content_type="application/json", body=json.dumps({"code": code, "message": "no"}).encode()
    )


def test_answers_move_the_message_and_its_recipient(node, sender, receiver):
    document = sent(sender, [receiver.code])
    row = OutboxMessage.objects.get(recipient__document=document)
    assert answer_apply(message=row, answer=_json(202, "relayed")) == "sent"
    assert Recipient.objects.get(document=document).delivery == "in_transit"
    assert answer_apply(message=row, answer=_json(404)) == "sent"  # answered once: the second answer is ignored
    document2 = sent(sender, [receiver.code], subject="Báo cáo khác")
    row2 = OutboxMessage.objects.get(recipient__document=document2)
    assert answer_apply(message=row2, answer=_json(421, "addressed_to_another_node")) == "refused"
    recipient = Recipient.objects.get(document=document2)
    assert recipient.delivery == "refused" and "addressed_to_another_node" in recipient.last_error


def test_only_platform_administrators_put_messages_back(unreachable, sender, platform_admin, settings):
    settings.EXCHANGE_MAX_ATTEMPTS = 1
    message = _message()
    outbox_deliver()
    with pytest.raises(PermissionDenied):
        outbox_retry(actor=sender.clerk, message_ids=[message.pk])
    message.refresh_from_db()
    assert message.state == "failed"
    assert outbox_retry(actor=platform_admin, message_ids=[message.pk]) == 1
    message.refresh_from_db()
    assert (message.state, message.attempts, message.alerted_at) == ("pending", 0, None)


def test_messages_held_for_a_pulling_node_are_listed_fetched_and_answered(unreachable):
    held = _message(route=Route("000.00.00.H41", "Nghệ An", destination="na", next_hop="na", hold=True))
    assert held.state == "held"
    assert outbox_deliver().handled == 0  # never pushed
    assert [row.pk for row in outbox_held_list(node="na")] == [held.pk]
    assert outbox_held_list(node="qn") == []
    assert outbox_held_get(node="qn", message_id=held.pk) is None
    assert outbox_held_answer(node="na", message_id=held.pk, answer=_json(200, "applied"))
    held.refresh_from_db()
    assert held.state == "sent"
    assert outbox_held_list(node="na") == []
    assert not outbox_held_answer(node="na", message_id=uuid.uuid4(), answer=_json(200))
