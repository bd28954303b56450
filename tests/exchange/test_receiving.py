"""Incoming documents from registration to the finish: who does each step, the lists officials see, the statuses
queued for the sender in order."""

import datetime as dt

import pytest
from django.utils import timezone

from motcua.core.exceptions import InvalidState, PermissionDenied, ValidationFailed
from motcua.exchange import selectors, services
from motcua.exchange.models import IncomingDocument, OutboxMessage
from tests.exchange.conftest import Counts, deliver, sent

pytestmark = pytest.mark.django_db


@pytest.fixture
def arrived(node, sender, receiver):
    sent(sender, [receiver.code], due_date=(timezone.localdate() + dt.timedelta(days=1)).isoformat())
    deliver()
    return IncomingDocument.objects.get(organisation=receiver.organisation)


def _statuses_queued():
    return list(
        OutboxMessage.objects.filter(kind="status").order_by("order_sequence").values_list("order_sequence", flat=True)
    )


def test_the_clerk_registers_with_an_arrival_number(arrived, receiver):
    for actor in (receiver.specialist, receiver.unit_head, receiver.leader):
        with pytest.raises(PermissionDenied):
            services.incoming_register(actor=actor, document=arrived)
    document = services.incoming_register(actor=receiver.clerk, document=arrived)
    assert (document.status, document.arrival_number, document.registered_late) == ("registered", 1, False)
    with pytest.raises(InvalidState):
        services.incoming_register(actor=receiver.clerk, document=document)


def test_rejection_needs_a_reason_and_queues_a_02(arrived, receiver, sender):
    counts = Counts()
    with pytest.raises(ValidationFailed):
        services.incoming_reject(actor=receiver.clerk, document=arrived, reason=" ")
    counts.assert_unchanged()
    services.incoming_reject(actor=receiver.clerk, document=arrived, reason="Gửi nhầm nơi nhận")
    deliver()
    recipient = arrived.__class__.objects.get(pk=arrived.pk)
    assert recipient.status == "rejected"
    from motcua.exchange.models import Recipient

    seen = Recipient.objects.get(document__organisation=sender.organisation)
    assert (seen.status_code, seen.status_description) == ("02", "Gửi nhầm nơi nhận")


def test_assignment_processing_and_finish_by_the_right_people(arrived, receiver):
    services.incoming_register(actor=receiver.clerk, document=arrived)
    with pytest.raises(PermissionDenied):
        services.incoming_assign(actor=receiver.specialist, document=arrived, unit_id=receiver.unit.pk)
    with pytest.raises(ValidationFailed) as error:
        services.incoming_assign(actor=receiver.leader, document=arrived, unit_id="nonsense", assignee_id="nonsense")
    assert set(error.value.details) == {"unit", "assignee"}
    services.incoming_assign(actor=receiver.leader, document=arrived, unit_id=receiver.unit.pk, note="Tham mưu trả lời")
    # The unit's head hands it to an official of the unit, but not to another unit.
    services.incoming_assign(
        actor=receiver.unit_head, document=arrived, unit_id=receiver.unit.pk, assignee_id=receiver.specialist.pk
    )
    with pytest.raises(ValidationFailed):
        services.incoming_assign(actor=receiver.unit_head, document=arrived, unit_id=receiver.other_unit.pk)
    with pytest.raises(PermissionDenied):
        services.incoming_start(actor=receiver.other_specialist, document=arrived)
    services.incoming_start(actor=receiver.specialist, document=arrived)
    with pytest.raises(InvalidState):
        services.incoming_start(actor=receiver.specialist, document=arrived)
    document = services.incoming_finish(actor=receiver.specialist, document=arrived, note="Đã trả lời")
    assert (document.status, document.finish_note) == ("finished", "Đã trả lời")
    assert _statuses_queued() == [1, 2, 3, 4, 5]  # 03, 04, 04, 05, 06 in sequence


def test_the_lists_show_each_official_their_work(arrived, receiver, outsider):
    assert list(selectors.incoming_list(user=receiver.clerk, view="to_register")) == [arrived]
    assert list(selectors.incoming_list(user=receiver.specialist, view="all")) == []  # not assigned yet
    assert list(selectors.incoming_list(user=outsider.clerk, view="all")) == []
    services.incoming_register(actor=receiver.clerk, document=arrived)
    services.incoming_assign(
        actor=receiver.clerk, document=arrived, unit_id=receiver.unit.pk, assignee_id=receiver.specialist.pk
    )
    assert list(selectors.incoming_list(user=receiver.specialist, view="mine")) == [arrived]
    assert list(selectors.incoming_list(user=receiver.other_specialist, view="mine")) == []
    assert list(selectors.incoming_list(user=receiver.specialist, view="due_soon")) == [arrived]
    assert list(selectors.incoming_list(user=receiver.clerk, view="all", search="trien khai dich vu")) == [arrived]
    assert list(selectors.incoming_list(user=receiver.clerk, view="all", search="không có")) == []
    assert selectors.incoming_counts(user=receiver.specialist) == {"to_register": 0, "mine": 1, "due_soon": 1}


def test_an_official_of_another_organisation_sees_nothing(arrived, outsider):
    from motcua.core.exceptions import NotFound

    with pytest.raises(NotFound):
        selectors.incoming_get(user=outsider.clerk, document_id=arrived.pk)
    with pytest.raises(PermissionDenied):
        services.incoming_register(actor=outsider.clerk, document=arrived)
