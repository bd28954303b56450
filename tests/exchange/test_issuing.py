"""Sending with the agency seal, recall, update and replacement, and what the receiver makes of them."""

import io

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from motcua.core.exceptions import InvalidState, PermissionDenied, ValidationFailed
from motcua.core.models import AuditEvent
from motcua.exchange import services
from motcua.exchange.models import ChangeRequest, IncomingDocument, OutboxMessage, Recipient
from tests.exchange.conftest import PIN, Counts, deliver, sent, signed, simple_pdf

pytestmark = pytest.mark.django_db


def _registered(agency, recipients, **data):
    return services.outgoing_register(actor=agency.clerk, document=signed(agency, recipients, **data))


def test_sending_seals_the_pdf_and_queues_one_message_per_recipient(node, sender, receiver, outsider, dev_pki):
    from motcua.signatures.models import Certificate
    from motcua.signatures.services import certificate_issue

    certificate_issue(
        pki=dev_pki,
        kind=Certificate.Kind.AGENCY_SEAL,
        common_name=outsider.organisation.name,
        organisation_code=outsider.code,
        key_type="ec",
        pin=PIN,
    )
    document = services.outgoing_send(
        actor=sender.clerk, document=_registered(sender, [receiver.code, outsider.code]), pin=PIN
    )
    messages = OutboxMessage.objects.filter(recipient__document=document)
    assert sorted(messages.values_list("to_code", flat=True)) == sorted([receiver.code, outsider.code])
    assert len({bytes(message.body) for message in messages}) == 1  # one sealed package, the same bytes for all
    assert set(Recipient.objects.filter(document=document).values_list("delivery", flat=True)) == {"queued"}
    with document.files.get(purpose="main").file.open("rb") as handle:
        pdf = PdfFileReader(io.BytesIO(handle.read()))
    assert [field.field_name for field in pdf.embedded_signatures] == ["ChuKyNguoiCoThamQuyen", "ChuKyCoQuan"]
    deliver()
    assert IncomingDocument.objects.filter(document_id=document.document_id).count() == 2


def test_a_wrong_seal_pin_queues_nothing(node, sender, receiver):
    document = _registered(sender, [receiver.code])
    counts = Counts(AuditEvent)
    with pytest.raises(ValidationFailed):
        services.outgoing_send(actor=sender.clerk, document=document, pin="135791")
    counts.assert_unchanged()
    document.refresh_from_db()
    assert document.status == "registered"


def test_only_the_clerk_of_the_organisation_sends(node, sender, receiver):
    document = _registered(sender, [receiver.code])
    for actor in (sender.leader, sender.specialist, receiver.clerk):
        with pytest.raises(PermissionDenied):
            services.outgoing_send(actor=actor, document=document, pin=PIN)
    assert not OutboxMessage.objects.exists()


def test_confidential_documents_are_not_sent_electronically(node, sender, receiver):
    document = _registered(sender, [receiver.code], confidentiality="confidential")
    with pytest.raises(InvalidState) as error:
        services.outgoing_send(actor=sender.clerk, document=document, pin=PIN)
    assert error.value.code == "exchange_confidential"


def test_a_document_without_recipients_cannot_be_sent(node, sender):
    document = _registered(sender, [])
    with pytest.raises(InvalidState) as error:
        services.outgoing_send(actor=sender.clerk, document=document, pin=PIN)
    assert error.value.code == "exchange_no_recipient"


def test_a_recall_reaches_the_receiver_and_is_accepted_once(node, sender, receiver):
    document = sent(sender, [receiver.code])
    deliver()
    with pytest.raises(ValidationFailed):
        services.outgoing_recall(actor=sender.clerk, document=document, pin=PIN, reason="")
    services.outgoing_recall(actor=sender.clerk, document=document, pin=PIN, reason="Sai thẩm quyền ký")
    with pytest.raises(InvalidState):
        services.outgoing_recall(actor=sender.clerk, document=document, pin=PIN, reason="Lần nữa")
    assert Recipient.objects.get(document=document).change_status_code == "13"
    deliver()
    incoming = IncomingDocument.objects.get(organisation=receiver.organisation)
    request = ChangeRequest.objects.get(document=incoming)
    assert (request.kind, request.reason, request.state) == (1, "Sai thẩm quyền ký", "pending")
    with pytest.raises(PermissionDenied):
        services.change_request_accept(actor=receiver.specialist, document=incoming, request_id=request.pk)
    services.change_request_accept(actor=receiver.clerk, document=incoming, request_id=request.pk, note="Đồng ý")
    with pytest.raises(InvalidState):
        services.change_request_accept(actor=receiver.clerk, document=incoming, request_id=request.pk)
    incoming.refresh_from_db()
    assert incoming.status == "recalled"
    deliver()
    assert Recipient.objects.get(document=document).change_status_code == "15"


def test_an_update_is_applied_only_when_the_receiver_accepts_it(node, sender, receiver):
    document = sent(sender, [receiver.code], due_date="2030-01-15")
    deliver()
    incoming = IncomingDocument.objects.get(organisation=receiver.organisation)
    services.outgoing_update_send(
        actor=sender.clerk,
        document=document,
        pin=PIN,
        reason="Đính chính thời hạn",
        data={"due_date": "2030-02-15"},
        new_files=[(io.BytesIO(simple_pdf("Phụ lục bổ sung")), "phu-luc-2.pdf", None)],
    )
    deliver()
    request = ChangeRequest.objects.get(document=incoming)
    incoming.refresh_from_db()
    assert str(incoming.due_date) == "2030-01-15"  # not before the clerk accepts
    assert request.files.count() == 3 and not request.files.filter(is_current=True).exists()
    services.change_request_reject(actor=receiver.clerk, document=incoming, request_id=request.pk, reason="Chưa rõ")
    deliver()
    recipient = Recipient.objects.get(document=document)
    assert recipient.change_status_code == "16"
    incoming.refresh_from_db()
    assert str(incoming.due_date) == "2030-01-15"


def test_a_replacement_arrives_as_a_new_document_naming_the_old_one(node, sender, receiver):
    old = sent(sender, [receiver.code])
    deliver()
    replacement = services.outgoing_create(
        actor=sender.specialist,
        organisation=sender.organisation,
        data={"document_type": "CV", "subject": "V/v thay thế công văn", "recipients": [receiver.code]},
        replaces=old,
    )
    services.outgoing_file_add(
        actor=sender.specialist, document=replacement, content=io.BytesIO(simple_pdf()), name="thay-the.pdf", main=True
    )
    services.outgoing_submit(actor=sender.specialist, document=replacement)
    services.outgoing_review(actor=sender.unit_head, document=replacement)
    services.outgoing_approve_and_sign(actor=sender.leader, document=replacement, pin=PIN)
    services.outgoing_register(actor=sender.clerk, document=replacement)
    services.outgoing_send(actor=sender.clerk, document=replacement, pin=PIN)
    deliver()
    arrived = IncomingDocument.objects.get(organisation=receiver.organisation, business_type=3)
    assert arrived.replaces == IncomingDocument.objects.get(document_id=old.document_id)
