import math

import pytest

from motcua.core.audit import audit_chain_verify
from motcua.core.models import AuditEvent
from motcua.procedures import selectors
from motcua.procedures.models import Procedure, ProcedureVersion
from motcua.procedures.services import DEMO_PROCEDURES_PATH, definition_problems, procedures_load_demo
from motcua.procedures.transfer import definitions_read

pytestmark = pytest.mark.django_db


def test_demo_catalogue_loads_with_at_least_15_procedures_at_every_level(demo_agencies):
    report = procedures_load_demo()
    assert report.created >= 15 and report.problems == []
    procedures = Procedure.objects.filter(is_active=True, current_version__isnull=False)
    assert procedures.count() == report.created
    assert set(procedures.values_list("level", flat=True)) == {"ministry", "province", "commune"}
    assert set(procedures.values_list("online_level", flat=True)) == {"full", "partial"}
    birth = selectors.procedure_content(selectors.procedure_version_get(procedure_code="1.001193"))
    assert birth.name == "Đăng ký khai sinh" and birth.fees == [] and birth.level == "commune"
    assert birth.implementing_organisation_code == "000.00.31.H49"
    record = selectors.procedure_content(selectors.procedure_version_get(procedure_code="2.000488"))
    assert record.fees[0].amount == 200_000 and record.processing_hours == 80
    assert audit_chain_verify().intact


def test_every_demo_definition_passes_publication_rules_and_its_workflow_sums_to_the_time(demo_agencies):
    definitions = definitions_read(DEMO_PROCEDURES_PATH)
    assert len({item["code"] for item in definitions}) == len(definitions) >= 15
    with_reusable = 0
    for item in definitions:
        content, problems = definition_problems(item, complete=True)
        assert problems == {}, (item["code"], problems)
        assert math.isclose(sum(step.allotted_hours for step in content.workflow), content.processing_hours)
        assert content.components and content.form_fields and content.legal_bases and content.plain_guide
        with_reusable += any(component.reusable for component in content.components)
        assert any(form_field.prefill for form_field in content.form_fields), item["code"]
    # Documents the state already holds (identity, earlier results) are marked re-usable nearly everywhere.
    assert with_reusable >= 15


def test_loading_the_demo_again_changes_nothing(demo_agencies):
    procedures_load_demo()
    before = (Procedure.objects.count(), ProcedureVersion.objects.count(), AuditEvent.objects.count())
    again = procedures_load_demo()
    assert (again.created, again.published, again.unchanged) == (0, 0, before[0])
    assert (Procedure.objects.count(), ProcedureVersion.objects.count(), AuditEvent.objects.count()) == before
