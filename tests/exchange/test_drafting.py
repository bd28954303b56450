"""Outgoing drafts to the leader's signature: validation, who may do each step, wrong transitions, a wrong PIN."""

import io

import pytest

from motcua.core.exceptions import InvalidState, PermissionDenied, ValidationFailed
from motcua.core.models import AuditEvent
from motcua.exchange import services
from motcua.signatures.models import SigningKey
from tests.exchange.conftest import PIN, Counts, draft, simple_pdf

pytestmark = pytest.mark.django_db


def _create(agency, **data):
    values = {"document_type": "CV", "subject": "V/v báo cáo", "recipients": []}
    values.update(data)
    return services.outgoing_create(actor=agency.specialist, organisation=agency.organisation, data=values)


def test_a_draft_takes_its_notation_unit_and_place(node, sender, receiver):
    document = _create(sender, recipients=[receiver.code, receiver.code])
    assert document.notation == "UBND-VP"  # công văn: agency - drafting unit
    assert document.drafting_unit == sender.unit
    assert document.place == "Quảng Ninh"
    assert list(document.recipients.values_list("organisation_code", flat=True)) == [receiver.code]
    decision = _create(sender, document_type="QD", notation="")
    assert decision.notation == "QĐ-UBND"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"subject": ""}, "subject"),
        ({"subject": "x" * 501}, "subject"),
        ({"document_type": "XX"}, "document_type"),
        ({"notation": "QĐ/UBND"}, "notation"),
        ({"priority": 9}, "priority"),
        ({"due_date": "31/12/2025"}, "due_date"),
        ({"recipients": ["000.00.00.H99"]}, "recipients"),
        ({"recipients": ["000.00.00.H49"]}, "recipients"),  # itself
        ({"unknown": 1}, "unknown"),
    ],
)
def test_bad_draft_data_is_refused_field_by_field(node, sender, data, field):
    counts = Counts()
    with pytest.raises(ValidationFailed) as error:
        _create(sender, **data)
    assert field in error.value.details
    counts.assert_unchanged()


def test_the_drafting_unit_must_be_of_the_organisation_and_the_signer_one_of_its_leaders(node, sender, receiver):
    with pytest.raises(ValidationFailed) as error:
        _create(sender, drafting_unit=receiver.unit.pk, intended_signer=receiver.leader.pk)
    assert set(error.value.details) == {"drafting_unit", "intended_signer"}


def test_only_officials_of_the_organisation_draft(node, sender, receiver):
    with pytest.raises(PermissionDenied):
        services.outgoing_create(
            actor=receiver.specialist, organisation=sender.organisation, data={"document_type": "CV", "subject": "x"}
        )
    with pytest.raises(PermissionDenied):
        services.outgoing_create(
            actor=sender.clerk, organisation=sender.organisation, data={"document_type": "CV", "subject": "x"}
        )


def test_the_text_must_be_a_pdf_and_only_the_drafter_changes_a_draft(node, sender, receiver):
    document = _create(sender)
    word = b"PK\x03\x04" + b"\x00" * 100
    with pytest.raises(ValidationFailed):
        services.outgoing_file_add(
            actor=sender.specialist, document=document, content=io.BytesIO(word), name="a.docx", main=True
        )
    with pytest.raises(ValidationFailed):
        services.outgoing_file_add(
            actor=sender.specialist, document=document, content=io.BytesIO(simple_pdf()), name="van-ban.docx", main=True
        )
    with pytest.raises(PermissionDenied):
        services.outgoing_file_add(
            actor=sender.other_specialist, document=document, content=io.BytesIO(simple_pdf()), name="a.pdf", main=True
        )
    with pytest.raises(PermissionDenied):
        services.outgoing_update(actor=sender.unit_head, document=document, data={"subject": "Khác"})
    assert document.files.count() == 0


def test_submitting_needs_the_text_and_a_wrong_transition_is_an_error(node, sender, receiver):
    document = _create(sender)
    with pytest.raises(InvalidState) as error:
        services.outgoing_submit(actor=sender.specialist, document=document)
    assert error.value.code == "exchange_main_file_missing"
    document = draft(sender, [receiver.code])
    services.outgoing_submit(actor=sender.specialist, document=document)
    with pytest.raises(InvalidState) as error:
        services.outgoing_submit(actor=sender.specialist, document=document)
    assert error.value.http_status == 409 and error.value.code == "exchange_wrong_status"
    with pytest.raises(InvalidState):
        services.outgoing_approve_and_sign(actor=sender.leader, document=document, pin=PIN)


def test_the_head_of_the_drafting_unit_reviews_and_returns_with_a_note(node, sender, receiver):
    from tests.factories import OfficialFactory, PositionFactory

    document = draft(sender, [receiver.code])
    services.outgoing_submit(actor=sender.specialist, document=document)
    other_head = OfficialFactory()
    PositionFactory(user=other_head, organisation=sender.organisation, role="unit_head", unit=sender.other_unit)
    with pytest.raises(PermissionDenied):
        services.outgoing_review(actor=other_head, document=document)
    with pytest.raises(ValidationFailed):
        services.outgoing_return(actor=sender.unit_head, document=document, note="  ")
    services.outgoing_return(actor=sender.unit_head, document=document, note="Bổ sung số liệu quý III")
    document.refresh_from_db()
    assert document.status == "draft"
    assert document.events.filter(action="outgoing_returned", note="Bổ sung số liệu quý III").exists()


def test_a_wrong_pin_leaves_the_document_and_its_file_as_they_were(node, sender, receiver):
    document = draft(sender, [receiver.code])
    services.outgoing_submit(actor=sender.specialist, document=document)
    services.outgoing_review(actor=sender.unit_head, document=document)
    main = document.files.get(purpose="main")
    counts = Counts(AuditEvent)
    with pytest.raises(ValidationFailed):
        services.outgoing_approve_and_sign(actor=sender.leader, document=document, pin="999999")
    counts.assert_unchanged()
    document.refresh_from_db()
    main.refresh_from_db()
    assert document.status == "awaiting_signature" and document.signed_by is None
    assert SigningKey.objects.get(certificate__holder=sender.leader).failed_attempts == 1
    signed = services.outgoing_approve_and_sign(actor=sender.leader, document=document, pin=PIN)
    assert signed.status == "signed" and signed.signer_position == "Chủ tịch"
    assert signed.files.get(purpose="main").sha256 != main.sha256


def test_only_the_named_signer_signs(node, sender, receiver):
    from tests.factories import OfficialFactory, PositionFactory

    deputy = OfficialFactory()
    PositionFactory(user=deputy, organisation=sender.organisation, role="agency_leader", title="Phó Chủ tịch")
    document = draft(sender, [receiver.code], intended_signer=deputy.pk)
    services.outgoing_submit(actor=sender.specialist, document=document)
    services.outgoing_review(actor=sender.unit_head, document=document)
    with pytest.raises(PermissionDenied):
        services.outgoing_approve_and_sign(actor=sender.leader, document=document, pin=PIN)
    with pytest.raises(InvalidState) as error:  # the deputy has no signing certificate
        services.outgoing_approve_and_sign(actor=deputy, document=document, pin=PIN)
    assert error.value.code == "signing_key_missing"


def test_a_draft_is_cancelled_by_its_drafter(node, sender, receiver):
    document = _create(sender)
    with pytest.raises(PermissionDenied):
        services.outgoing_cancel(actor=sender.leader, document=document)
    services.outgoing_cancel(actor=sender.specialist, document=document)
    document.refresh_from_db()
    assert document.status == "cancelled"
