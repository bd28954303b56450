"""One document from its draft to its finish between two agencies of this node (local delivery), with the
sender seeing every status."""

import pytest

from motcua.exchange import services
from motcua.exchange.models import IncomingDocument, OutboxMessage, Recipient
from tests.exchange.conftest import deliver, sent

pytestmark = pytest.mark.django_db


def test_full_cycle_between_two_local_agencies(node, sender, receiver):
    document = sent(sender, [receiver.code])
    assert document.status == "sent"
    assert document.number == 1
    assert document.notation == "UBND-VP"
    report = deliver()
    assert report.sent == 1
    recipient = Recipient.objects.get(document=document)
    assert recipient.delivery == Recipient.Delivery.DELIVERED
    assert recipient.status_code == "01"
    assert bytes(recipient.receipt).startswith(b"<?xml")
    incoming = IncomingDocument.objects.get(organisation=receiver.organisation)
    assert incoming.document_id == document.document_id
    assert incoming.status == "arrived"
    assert incoming.files.count() == 2

    services.incoming_register(actor=receiver.clerk, document=incoming)
    incoming.refresh_from_db()
    services.incoming_assign(
        actor=receiver.leader, document=incoming, unit_id=receiver.unit.pk, assignee_id=receiver.specialist.pk
    )
    incoming.refresh_from_db()
    services.incoming_start(actor=receiver.specialist, document=incoming)
    incoming.refresh_from_db()
    services.incoming_finish(actor=receiver.specialist, document=incoming, note="Đã triển khai")
    assert deliver().sent == 4
    recipient.refresh_from_db()
    assert recipient.status_code == "06"
    assert list(recipient.statuses.values_list("status_code", flat=True)) == ["01", "03", "04", "05", "06"]
    assert OutboxMessage.objects.filter(state="pending").count() == 0
