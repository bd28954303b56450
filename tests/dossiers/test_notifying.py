"""Who hears about a dossier change: the applicant, the officials concerned, agency systems (webhooks)."""

from __future__ import annotations

import datetime as dt

import pytest

from motcua.agencies.models import Organisation, Role
from motcua.core.exceptions import InvalidState
from motcua.core.permissions import SYSTEM
from motcua.dossiers import services
from motcua.dossiers.models import Dossier
from motcua.dossiers.notifying import dossier_deadlines_notify
from motcua.notifications.models import Notification, WebhookDelivery
from motcua.notifications.services import webhook_subscription_create
from tests.dossiers.conftest import fees_paid_at_counter, received, submit
from tests.dossiers.factories import MONDAY, QN_JUSTICE, at, official_in

pytestmark = pytest.mark.django_db


def _told(user=None, **filters):
    rows = Notification.objects.filter(**filters)
    if user is not None:
        rows = rows.filter(user=user)
    return sorted(rows.values_list("event", "channel"))


def test_the_applicant_hears_of_each_change_in_their_language(citizen, version, clerk, specialist):
    citizen.preferred_language = "en"
    citizen.save()
    dossier = submit(citizen, version, paid=False)
    assert _told(citizen) == [("dossiers.submitted", "email"), ("dossiers.submitted", "inbox")]
    inbox = Notification.objects.get(user=citizen, channel="inbox")
    assert inbox.subject == f"Application {dossier.code} received online" and inbox.language == "en"
    assert inbox.link.endswith(f"/dossiers/mine/{dossier.code}/")
    # The fees billed with it are in the same message (payments does not tell the bill a second time).
    assert "200,000 đồng are due" in inbox.body and "once they are paid" in inbox.body
    dossier = fees_paid_at_counter(dossier, actor=clerk)
    paid = Notification.objects.get(user=citizen, event="payments.succeeded", channel="inbox")
    assert dossier.code in paid.subject and "200.000 đồng" in paid.body and "at the one-stop desk" in paid.body

    dossier = services.dossier_accept(actor=clerk, dossier=dossier, at=MONDAY)
    received_sms = Notification.objects.get(user=citizen, event="dossiers.received", channel="sms")
    assert received_sms.address == "+84912345678" and dossier.code in received_sms.body
    dossier = services.dossier_forward(actor=clerk, dossier=dossier, at=at(2, 10))
    assert ("dossiers.processing", "inbox") in _told(citizen)
    services.dossier_request_supplement(
        actor=specialist, dossier=dossier, items=["Bản sao CCCD rõ nét"], reason="Ảnh mờ", at=at(3)
    )
    supplement = Notification.objects.get(user=citizen, event="dossiers.supplement_requested", channel="email")
    assert "Bản sao CCCD rõ nét" in supplement.body and "Ảnh mờ" in supplement.body


def test_officials_hear_of_what_lands_at_their_step_but_not_of_their_own_actions(
    citizen, version, clerk, specialist, second_specialist
):
    dossier = received(citizen, version, clerk)
    # The clerk received it at their own step: they are not told of it.
    assert _told(clerk) == []
    services.dossier_forward(actor=clerk, dossier=dossier, at=at(2, 10))
    for official in (specialist, second_specialist):
        assert _told(official) == [("dossiers.step_arrived", "email"), ("dossiers.step_arrived", "inbox")]
    note = Notification.objects.get(user=specialist, channel="inbox")
    assert note.language == "vi" and note.link.endswith(f"/dossiers/work/{dossier.code}/")

    dossier = services.dossier_claim(actor=specialist, dossier=Dossier.objects.get(pk=dossier.pk), at=at(2, 11))
    services.dossier_request_supplement(actor=specialist, dossier=dossier, items=["x"], reason="y", at=at(3))
    services.dossier_supply(actor=citizen, dossier=Dossier.objects.get(pk=dossier.pk), note="Đã bổ sung", at=at(4))
    # Only the official who took the dossier hears that the applicant answered.
    assert ("dossiers.applicant_answered", "inbox") in _told(specialist)
    assert ("dossiers.applicant_answered", "inbox") not in _told(second_specialist)


def test_a_refused_action_tells_nobody(citizen, version, clerk):
    dossier = submit(citizen, version)
    before = Notification.objects.count()
    with pytest.raises(InvalidState):
        services.dossier_approve(actor=SYSTEM, dossier=dossier)
    assert Notification.objects.count() == before


def test_someone_without_an_account_hears_by_the_contacts_on_the_dossier(version, clerk):
    applicant = {
        "kind": "citizen",
        "full_name": "Trần Văn Nam",
        "identifier": "022090000777",
        "email": "nam@example.vn",
        "phone": "",
    }
    from tests.dossiers.factories import valid_form

    dossier = services.dossier_receive_at_counter(
        actor=clerk,
        procedure_version=version,
        applicant=applicant,
        form_data=valid_form(full_name="Trần Văn Nam", personal_id="022090000777"),
        files=[],
        paper_components=["to_khai", "cccd"],
        at=MONDAY,
    )
    told = Notification.objects.filter(event="dossiers.received")
    assert [(row.channel, row.address, row.user_id) for row in told] == [("email", "nam@example.vn", None)]
    assert f"?code={dossier.code}" in told.get().link


def test_agency_systems_receive_every_action_by_webhook(citizen, version, clerk, directory):
    from motcua.notifications.events import event_types

    admin = official_in(QN_JUSTICE, Role.AGENCY_ADMIN)
    justice = Organisation.objects.get(code=QN_JUSTICE)
    subscription, _secret = webhook_subscription_create(
        actor=admin,
        organisation=justice,
        name="Phần mềm một cửa của Sở",
        target_url="http://127.0.0.1:9/hooks",
        events=["dossiers.action.accept", "dossiers.action.forward"],
    )
    assert {"dossiers.action.submit", "dossiers.action.approve"} <= {event.key for event in event_types()}
    dossier = received(citizen, version, clerk)
    services.dossier_forward(actor=clerk, dossier=dossier, at=at(2, 10))
    deliveries = WebhookDelivery.objects.filter(subscription=subscription).order_by("created_at")
    assert [row.event for row in deliveries] == ["dossiers.action.accept", "dossiers.action.forward"]
    payload = deliveries.last().payload
    assert payload["code"] == dossier.code and payload["status"] == "processing" and payload["portal_status"] == 4
    assert payload["from_status"] == "accepted" and payload["step"] == "tham_dinh"


def test_deadlines_tell_the_step_officials_then_the_leaders_once_per_appointment(
    citizen, version, clerk, specialist, leader
):
    dossier = received(citizen, version, clerk)
    dossier = services.dossier_forward(actor=clerk, dossier=dossier, at=at(2, 10))
    dossier = services.dossier_claim(actor=specialist, dossier=dossier, at=at(2, 11))
    due = dossier.due_at
    a_working_day_before = due - dt.timedelta(hours=2)
    assert dossier_deadlines_notify(now=MONDAY) == {"due_soon": 0, "overdue": 0}
    assert dossier_deadlines_notify(now=a_working_day_before) == {"due_soon": 1, "overdue": 0}
    assert dossier_deadlines_notify(now=a_working_day_before) == {"due_soon": 0, "overdue": 0}
    assert _told(specialist, event="dossiers.due_soon") == [
        ("dossiers.due_soon", "email"),
        ("dossiers.due_soon", "inbox"),
    ]
    assert _told(leader, event="dossiers.due_soon") == []

    late = due + dt.timedelta(hours=1)
    assert dossier_deadlines_notify(now=late) == {"due_soon": 0, "overdue": 1}
    assert dossier_deadlines_notify(now=late + dt.timedelta(days=1)) == {"due_soon": 0, "overdue": 0}
    assert ("dossiers.overdue", "inbox") in _told(specialist) and ("dossiers.overdue", "inbox") in _told(leader)

    # A paused clock is not overdue: waiting for the applicant does not count.
    services.dossier_request_supplement(actor=specialist, dossier=dossier, items=["x"], reason="y", at=late)
    assert dossier_deadlines_notify(now=late + dt.timedelta(days=3)) == {"due_soon": 0, "overdue": 0}
