"""Officials hear of the documents that concern them, through the notifications app."""

import pytest

from motcua.exchange import services
from motcua.exchange.models import IncomingDocument, OutboxMessage
from motcua.exchange.services.answers import message_failed
from motcua.notifications.models import Notification
from tests.exchange.conftest import deliver, sent

pytestmark = pytest.mark.django_db


def _told(user, event):
    return sorted(Notification.objects.filter(user=user, event=event).values_list("channel", flat=True))


def test_arrival_tells_the_receiving_clerks_and_assignment_the_assignee(node, sender, receiver):
    document = sent(sender, [receiver.code])
    deliver()
    incoming = IncomingDocument.objects.get(organisation=receiver.organisation)
    assert _told(receiver.clerk, "exchange.arrived") == ["email", "inbox"]
    arrived = Notification.objects.get(user=receiver.clerk, event="exchange.arrived", channel="inbox")
    assert document.subject in arrived.body and arrived.link.endswith(f"/exchange/incoming/{incoming.pk}/")
    assert _told(receiver.specialist, "exchange.arrived") == []

    services.incoming_register(actor=receiver.clerk, document=incoming)
    incoming.refresh_from_db()
    services.incoming_assign(
        actor=receiver.leader, document=incoming, unit_id=receiver.unit.pk, assignee_id=receiver.specialist.pk
    )
    assert _told(receiver.specialist, "exchange.assigned") == ["email", "inbox"]


def test_a_given_up_delivery_alerts_the_sending_clerks_once(node, sender, receiver):
    sent(sender, [receiver.code])
    message = OutboxMessage.objects.get(kind="package")
    message.last_error = "connection refused"
    message.attempts = 12
    message_failed(message=message)
    message_failed(message=message)
    alerts = Notification.objects.filter(user=sender.clerk, event="exchange.delivery_failed", channel="inbox")
    assert alerts.count() == 1 and "connection refused" in alerts.get().body
