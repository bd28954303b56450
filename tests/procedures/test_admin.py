import re

import pytest
import yaml
from django.urls import reverse

from motcua.core.models import AuditEvent
from motcua.procedures.models import Procedure
from tests.procedures.conftest import DEFINITION, counts, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, demo_agencies, platform_admin):
    platform_admin.is_staff = True
    platform_admin.is_superuser = True
    platform_admin.save()
    client.cookies["django_language"] = "en"
    return signed_in(client, platform_admin)


def _form_data(**changes):
    data = {
        "code": DEFINITION["code"],
        "name": DEFINITION["name"],
        "field_code": DEFINITION["field"]["code"],
        "field_name": DEFINITION["field"]["name"],
        "level": DEFINITION["level"],
        "online_level": DEFINITION["online_level"],
        "implementing_organisation_code": DEFINITION["implementing_organisation_code"],
        "receiving_organisation_codes": "\n".join(DEFINITION["receiving_organisation_codes"]),
        "applicant_kinds": ["citizen"],
        "processing_hours": "24",
        "legal_bases": "\n".join(DEFINITION["legal_bases"]),
        "result_kind": "both",
        "result_name": DEFINITION["result_name"],
        "result_template": "",
        "plain_guide": DEFINITION["plain_guide"],
        "who_can_apply": "",
        "notes": "",
        "components": yaml.safe_dump(DEFINITION["components"], allow_unicode=True),
        "fees": yaml.safe_dump(DEFINITION["fees"], allow_unicode=True),
        "form_fields": yaml.safe_dump(DEFINITION["form_fields"], allow_unicode=True),
        "workflow": yaml.safe_dump(DEFINITION["workflow"], allow_unicode=True),
    }
    data.update(changes)
    return data


def test_admin_adds_a_draft_through_the_service_then_publishes_it(admin_client):
    response = admin_client.post(reverse("admin:procedures_procedure_add"), _form_data())
    assert response.status_code == 302, response.content.decode()[:3000]
    procedure = Procedure.objects.get(code=DEFINITION["code"])
    assert procedure.current_version is None and procedure.draft["fees"][0]["amount"] == 1250000
    assert AuditEvent.objects.filter(action="procedures.procedure_create").count() == 1
    # The change form shows the draft again.
    page = admin_client.get(reverse("admin:procedures_procedure_change", args=[procedure.pk])).content.decode()
    assert "allotted_hours: 12" in page
    response = admin_client.post(
        reverse("admin:procedures_procedure_changelist"),
        {"action": "publish_drafts", "_selected_action": [procedure.pk]},
        follow=True,
    )
    assert "version 1 published" in response.content.decode()
    procedure.refresh_from_db()
    assert procedure.current_version.number == 1
    assert procedure.current_version.content["fees_refunded_on_refusal"] is False


def test_admin_sets_whether_the_fees_are_refunded_on_refusal(admin_client):
    response = admin_client.post(reverse("admin:procedures_procedure_add"), _form_data(fees_refunded_on_refusal="on"))
    assert response.status_code == 302, response.content.decode()[:3000]
    procedure = Procedure.objects.get(code=DEFINITION["code"])
    assert procedure.draft["fees_refunded_on_refusal"] is True
    page = admin_client.get(reverse("admin:procedures_procedure_change", args=[procedure.pk])).content.decode()
    (box,) = re.findall(r'<input[^>]*name="fees_refunded_on_refusal"[^>]*>', page)
    assert "checked" in box


def test_admin_shows_refusals_as_form_errors_and_writes_nothing(admin_client):
    before = counts()
    bad = _form_data(workflow="- {code: TN, name: Tiếp nhận, role: robot, allotted_hours: 4}", components="- [not")
    response = admin_client.post(reverse("admin:procedures_procedure_add"), bad)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "components" in errors  # unreadable YAML
    assert counts() == before
    response = admin_client.post(
        reverse("admin:procedures_procedure_add"),
        _form_data(workflow="- {code: TN, name: Tiếp nhận, role: robot, allotted_hours: 4}"),
    )
    assert "workflow[1].role" in str(response.context["adminform"].form.errors["workflow"])
    assert counts() == before


def test_admin_publish_action_reports_problems(admin_client):
    admin_client.post(reverse("admin:procedures_procedure_add"), _form_data(processing_hours="40"))
    procedure = Procedure.objects.get(code=DEFINITION["code"])
    before = counts()
    response = admin_client.post(
        reverse("admin:procedures_procedure_changelist"),
        {"action": "publish_drafts", "_selected_action": [procedure.pk]},
        follow=True,
    )
    assert "add up to 24 working hours" in response.content.decode()
    assert counts() == before
