"""Demo feedback (`motcua demo`) and the read-only admin whose actions go through the services."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from motcua.accounts.models import User
from motcua.agencies.models import Role
from motcua.core.audit import audit_chain_verify
from motcua.core.exceptions import PermissionDenied
from motcua.core.permissions import SYSTEM
from motcua.feedback import selectors, services
from motcua.feedback.models import Feedback, FeedbackStatus
from motcua.web.management.commands.demo import DEMO_OFFICIALS
from tests.factories import OfficialFactory, PositionFactory, UserFactory, tax_code
from tests.feedback.conftest import accepted, submit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def demo_accounts(directory):
    from motcua.agencies.models import Organisation

    for username, full_name, role, code, title in DEMO_OFFICIALS:
        user = OfficialFactory(username=username, full_name=full_name)
        PositionFactory(user=user, organisation=Organisation.objects.get(code=code), role=role, title=title)
    UserFactory(username="congdan", full_name="Nguyễn Văn An")
    UserFactory(username="doanhnghiep", kind="business", personal_id="", tax_code=tax_code(), organisation_name="X")


def test_the_demo_has_published_answers_and_open_feedback_in_the_demo_queues(demo_accounts):
    created = services.feedback_load_demo(actor=SYSTEM)
    assert created == 6
    statuses = sorted(Feedback.objects.values_list("status", flat=True))
    assert statuses == sorted(["published", "published", "closed", "assigned", "needs_info", "new"])
    answers = selectors.feedback_public_search(query="ly lich tu phap")
    assert answers.count() == 1 and answers[0].like_count == 2
    specialist = Feedback.objects.get(status=FeedbackStatus.ASSIGNED).assigned_to
    assert specialist.username == "chuyenvien.qn"
    clerk = User.objects.get(username="vanthu.stp")
    assert [f.status for f in selectors.feedback_queue(user=clerk, view="to_receive")] == ["new"]
    assert audit_chain_verify().intact
    # Loading again adds nothing; only the platform itself loads demo data.
    assert services.feedback_load_demo(actor=SYSTEM) == 0
    assert Feedback.objects.count() == 6
    with pytest.raises(PermissionDenied):
        services.feedback_load_demo(actor=clerk)


def test_the_admin_lists_feedback_read_only_and_receives_through_the_service(directory, receiver):
    # A staff member who is also a receiving official of the Department of Justice: the service decides, not the admin.
    admin_user = OfficialFactory(is_staff=True, is_superuser=True)
    PositionFactory(user=admin_user, organisation=receiver.positions.get().organisation, role=Role.DOCUMENT_CLERK)
    new = submit()
    already = accepted(receiver)
    from tests.support.sessions import sign_in_with_second_factor

    client = sign_in_with_second_factor(Client(), admin_user)
    changelist = client.get(reverse("admin:feedback_feedback_changelist"))
    assert changelist.status_code == 200 and new.code in changelist.content.decode()
    page = client.get(reverse("admin:feedback_feedback_change", args=[new.pk]))
    assert page.status_code == 200 and "secret_hash" not in page.content.decode()
    assert client.get(reverse("admin:feedback_feedback_add")).status_code == 403
    response = client.post(
        reverse("admin:feedback_feedback_changelist"),
        {"action": "accept_selected", "_selected_action": [str(new.pk), str(already.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    assert Feedback.objects.get(pk=new.pk).status == FeedbackStatus.ACCEPTED
    # The already received one was refused by the service (a wrong transition), and said so.
    assert already.code in response.content.decode()
    assert Feedback.objects.get(pk=already.pk).status == FeedbackStatus.ACCEPTED
