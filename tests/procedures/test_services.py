import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from motcua.core.audit import audit_chain_verify
from motcua.core.exceptions import InvalidState, NotAuthenticated, PermissionDenied, ValidationFailed
from motcua.core.models import AuditEvent
from motcua.core.permissions import SYSTEM
from motcua.procedures import selectors
from motcua.procedures.models import Procedure, ProcedureVersion
from motcua.procedures.services import (
    procedure_create,
    procedure_deactivate,
    procedure_publish,
    procedure_update_draft,
)
from tests.procedures.conftest import DEFINITION, counts, definition

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(demo_agencies):
    return procedure_create(actor=SYSTEM, code=DEFINITION["code"], definition=definition())


def _refused(draft, **changes):
    procedure_update_draft(actor=SYSTEM, procedure=draft, definition=definition(**changes))
    before = counts()
    with pytest.raises(ValidationFailed) as caught:
        procedure_publish(actor=SYSTEM, procedure=draft)
    assert counts() == before  # nothing written
    draft.refresh_from_db()
    assert draft.current_version is None
    return caught.value


def test_publish_freezes_version_1_and_makes_it_current(draft):
    assert draft.current_version is None and draft.name == DEFINITION["name"]
    version = procedure_publish(actor=SYSTEM, procedure=draft)
    draft.refresh_from_db()
    assert (version.number, draft.current_version) == (1, version)
    assert draft.implementing_organisation.code == "000.00.01.H49"
    assert set(draft.receiving_organisations.values_list("code", flat=True)) == {"000.00.01.H49", "000.00.20.H49"}
    assert draft.search_key.startswith("cap ban sao van bang thu nghiem 9.000001")
    content = selectors.procedure_content(version)
    assert content.fees[0].amount == 1_250_000 and content.workflow[0].allotted_hours == 4
    assert AuditEvent.objects.filter(action="procedures.procedure_publish", object_id=str(draft.pk)).count() == 1
    assert audit_chain_verify().intact


def test_steps_that_do_not_add_up_to_the_statutory_time_are_refused_with_a_translated_message(draft):
    from django.utils import translation

    error = _refused(draft, processing_hours=40)
    assert error.code == "procedure_invalid"
    assert error.details["workflow"] == [
        "The steps of the internal process add up to 24 working hours, but the statutory processing time is "
        "40 working hours; they must be equal."
    ]
    with translation.override("vi"):
        error = _refused(draft, processing_hours=40)
        message = str(error.message)
    assert message == "Chưa thể công bố thủ tục cho đến khi các lỗi nêu dưới đây được khắc phục."
    assert error.details["workflow"] == [
        "Các bước của quy trình nội bộ cộng lại là 24 giờ làm việc, nhưng thời hạn giải quyết theo quy định là "
        "40 giờ làm việc; hai thời gian này phải bằng nhau."
    ]


def test_unknown_or_inactive_organisations_are_refused(draft):
    error = _refused(
        draft, implementing_organisation_code="000.00.99.H49", receiving_organisation_codes=["000.00.20.H49", "X"]
    )
    assert "000.00.99.H49" in error.details["implementing_organisation_code"][0]
    assert "receiving_organisation_codes[2]" in error.details


def test_duplicate_codes_and_field_names_are_refused(draft):
    steps = [*DEFINITION["workflow"][:3], {**DEFINITION["workflow"][3], "code": "TN"}]
    components = [*DEFINITION["components"], {"code": "DON", "name": "Đơn lần hai"}]
    fields = [*DEFINITION["form_fields"], {"name": "married", "label": "Lặp", "type": "text"}]
    error = _refused(draft, workflow=steps, components=components, form_fields=fields)
    assert error.details["workflow"] == ["“TN” appears more than once."]
    assert error.details["components"] == ["“DON” appears more than once."]
    assert error.details["form_fields"] == ["“married” appears more than once."]


def test_a_condition_on_a_field_that_does_not_exist_is_refused(draft):
    fields = [
        *DEFINITION["form_fields"][:2],
        {**DEFINITION["form_fields"][2], "show_if": {"field": "nope", "equals": "x"}},
    ]
    error = _refused(draft, form_fields=fields)
    assert list(error.details) == ["form_fields[3].show_if"]


def test_a_condition_on_a_tick_box_must_compare_with_yes_or_no(draft):
    fields = [
        *DEFINITION["form_fields"][:2],
        {**DEFINITION["form_fields"][2], "show_if": {"field": "married", "equals": "true"}},
    ]
    error = _refused(draft, form_fields=fields)
    assert list(error.details) == ["form_fields[3].show_if"]


def test_shape_errors_are_named_by_field_and_incomplete_drafts_are_allowed(demo_agencies):
    incomplete = {"name": "Thủ tục chưa xong", "implementing_organisation_code": "000.00.01.H49"}
    procedure = procedure_create(actor=SYSTEM, code="9.000002", definition=incomplete)
    with pytest.raises(ValidationFailed) as caught:
        procedure_publish(actor=SYSTEM, procedure=procedure)
    assert {"field", "level", "workflow", "processing_hours"} <= set(caught.value.details)
    with pytest.raises(ValidationFailed) as caught:
        procedure_update_draft(actor=SYSTEM, procedure=procedure, definition={**incomplete, "level": "planet"})
    assert caught.value.details == {"level": ["Choose one of: 'ministry', 'province' or 'commune'."]}


def test_a_new_publication_creates_version_2_and_leaves_version_1_unchanged(draft):
    first = procedure_publish(actor=SYSTEM, procedure=draft)
    first_content = ProcedureVersion.objects.get(pk=first.pk).content
    procedure_update_draft(actor=SYSTEM, procedure=draft, definition=definition(name="Tên mới", processing_hours=24))
    # The public catalogue still shows version 1 while the draft changes.
    assert selectors.procedure_get(code=draft.code).name == DEFINITION["name"]
    second = procedure_publish(actor=SYSTEM, procedure=draft)
    assert second.number == 2
    assert ProcedureVersion.objects.get(pk=first.pk).content == first_content
    assert selectors.procedure_version_get(procedure_code=draft.code, number=1).content["name"] == DEFINITION["name"]
    assert selectors.procedure_version_get(procedure_code=draft.code).number == 2
    assert selectors.procedure_get(code=draft.code).name == "Tên mới"


def test_publishing_an_unchanged_draft_writes_nothing(draft):
    version = procedure_publish(actor=SYSTEM, procedure=draft)
    before = counts()
    assert procedure_publish(actor=SYSTEM, procedure=draft) == version
    assert counts() == before


def test_create_refuses_a_taken_or_malformed_code(draft):
    before = counts()
    for code in (DEFINITION["code"], "", "có dấu cách"):
        with pytest.raises(ValidationFailed) as caught:
            procedure_create(actor=SYSTEM, code=code, definition=definition())
        assert "code" in caught.value.details
    assert counts() == before


def test_agency_admin_manages_own_procedures_only(draft, province_admin, unrelated_admin, citizen):
    procedure_update_draft(actor=province_admin, procedure=draft, definition=definition(name="Sửa bởi tỉnh"))
    procedure_publish(actor=province_admin, procedure=draft)
    before = counts()
    for actor in (unrelated_admin, citizen):
        with pytest.raises(PermissionDenied):
            procedure_update_draft(actor=actor, procedure=draft, definition=definition(name="Không được"))
        with pytest.raises(PermissionDenied):
            procedure_publish(actor=actor, procedure=draft)
        with pytest.raises(PermissionDenied):
            procedure_deactivate(actor=actor, procedure=draft)
        with pytest.raises(PermissionDenied):
            procedure_create(actor=actor, code="9.000003", definition=definition(code="9.000003"))
    with pytest.raises(NotAuthenticated):
        procedure_publish(actor=None, procedure=draft)
    # Moving a procedure to an organisation one does not administer is refused too.
    with pytest.raises(PermissionDenied):
        procedure_update_draft(
            actor=province_admin, procedure=draft, definition=definition(implementing_organisation_code="000.00.01.H41")
        )
    assert counts() == before


def test_deactivate_withdraws_from_the_catalogue_but_keeps_versions(draft, platform_admin):
    procedure_publish(actor=SYSTEM, procedure=draft)
    procedure_deactivate(actor=platform_admin, procedure=draft)
    assert not selectors.procedure_search().filter(pk=draft.pk).exists()
    assert selectors.procedure_version_get(procedure_code=draft.code, number=1, include_inactive=True).number == 1
    with pytest.raises(InvalidState):
        procedure_deactivate(actor=platform_admin, procedure=draft)
    assert AuditEvent.objects.filter(action="procedures.procedure_deactivate").count() == 1


def test_publish_locks_the_procedure_row(draft):
    with CaptureQueriesContext(connection) as queries:
        procedure_publish(actor=SYSTEM, procedure=draft)
    if connection.vendor == "postgresql":
        assert any("FOR UPDATE" in query["sql"] for query in queries)
    assert Procedure.objects.get(pk=draft.pk).current_version.number == 1


def test_a_version_stored_before_an_optional_field_existed_is_still_the_unchanged_draft(draft):
    """Fields added to the contract later (fees_refunded_on_refusal) have defaults: a version stored without them
    is the same definition, so publishing the unchanged draft again makes no version 2."""
    version = procedure_publish(actor=SYSTEM, procedure=draft)
    older = {key: value for key, value in version.content.items() if key != "fees_refunded_on_refusal"}
    ProcedureVersion.objects.filter(pk=version.pk).update(content=older)
    before = counts()
    assert procedure_publish(actor=SYSTEM, procedure=Procedure.objects.get(pk=draft.pk)).pk == version.pk
    assert counts() == before


def test_fees_refunded_on_refusal_is_part_of_the_definition(draft):
    assert procedure_publish(actor=SYSTEM, procedure=draft).content["fees_refunded_on_refusal"] is False
    procedure_update_draft(actor=SYSTEM, procedure=draft, definition=definition(fees_refunded_on_refusal=True))
    second = procedure_publish(actor=SYSTEM, procedure=draft)
    assert second.number == 2 and second.content["fees_refunded_on_refusal"] is True
