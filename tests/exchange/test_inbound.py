"""Bad input on the receiving side: each is refused with a signed status 02 (when the package names its document) or
an error, logged and kept as evidence, and nothing else is stored. Also: duplicates and replays never make a
second document."""

from __future__ import annotations

import dataclasses
import re
import uuid

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from motcua.exchange import edxml
from motcua.exchange.models import DirectoryEntry, DocumentFile, InboundMessage, IncomingDocument, Node, OutboxMessage
from motcua.exchange.packages import document_package_build
from motcua.exchange.transport.inbound import inbound_receive
from motcua.exchange.transport.outbox import wire_message
from motcua.signatures.models import Certificate
from motcua.signatures.services import certificate_revoke
from motcua.signatures.xml import xml_sign
from tests.exchange.conftest import sent
from tests.signatures.certificates import SIGNING, issue

pytestmark = pytest.mark.django_db

STATUS_02 = re.compile(rb"<(\w+:)?StatusCode>02<")
STATUS_01 = re.compile(rb"<(\w+:)?StatusCode>01<")


def _queued(sender, receiver, **data):
    """The message the sender's outbox holds for the receiver (not delivered yet)."""
    document = sent(sender, [receiver.code], **data)
    row = OutboxMessage.objects.get(recipient__document=document)
    return document, row, wire_message(row)


def _stored_nothing(receiver):
    assert not IncomingDocument.objects.filter(organisation=receiver.organisation).exists()
    assert not DocumentFile.objects.filter(incoming__isnull=False).exists()


def _refusal(message, code):
    row = InboundMessage.objects.get(message_id=message.message_id)
    assert row.outcome == "refused"
    assert row.reason_code == code, row.reason
    return row


def test_a_package_is_accepted_once_and_answered_with_a_signed_receipt(node, sender, receiver):
    _document, _row, message = _queued(sender, receiver)
    answer = inbound_receive(message=message, previous_hop="")
    assert answer.status == 200 and STATUS_01.search(answer.body)
    again = inbound_receive(message=message, previous_hop="")
    assert (again.status, again.body) == (answer.status, answer.body)
    another_id = dataclasses.replace(message, message_id=uuid.uuid4())
    third = inbound_receive(message=another_id, previous_hop="")
    assert third.status == 200
    assert IncomingDocument.objects.filter(organisation=receiver.organisation).count() == 1
    assert InboundMessage.objects.get(message_id=another_id.message_id).outcome == "duplicate"


def test_a_tampered_package_is_refused_with_a_signed_02(node, sender, receiver):
    _document, _row, message = _queued(sender, receiver, subject="Kế hoạch kiểm tra công vụ")
    body = message.body.replace("Kế hoạch kiểm tra".encode(), "Kế hoạch thanh tra".encode(), 1)
    assert body != message.body
    tampered = dataclasses.replace(message, body=body)
    answer = inbound_receive(message=tampered, previous_hop="")
    assert answer.status == 422 and STATUS_02.search(answer.body)
    _refusal(tampered, "modified_after_signing")
    _stored_nothing(receiver)


def _sealed_with(data: bytes, key, certificate) -> bytes:
    return xml_sign(
        data,
        key=key,
        certificate=certificate,
        signature_parent_xpath="//e:edXMLHeader",
        namespaces={"e": edxml.NAMESPACE},
    )


def _unsigned(document):
    return document_package_build(
        document=document,
        recipients=[(r.organisation_code, r.organisation_name) for r in document.recipients.all()],
        files=list(document.files.all()),
    )


def test_a_seal_from_an_unknown_certificate_is_refused(node, sender, receiver):
    document, _row, message = _queued(sender, receiver)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, sender.organisation.name),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, sender.code),
        ]
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = issue(subject, None, key=key, key_usage=SIGNING)
    body = _sealed_with(_unsigned(document), forged.key, forged.certificate)
    forged_message = dataclasses.replace(message, body=body, message_id=uuid.uuid4())
    answer = inbound_receive(message=forged_message, previous_hop="")
    assert answer.status == 422 and STATUS_02.search(answer.body)
    _refusal(forged_message, "unknown_issuer")
    _stored_nothing(receiver)


def test_a_seal_whose_certificate_was_revoked_is_refused(node, sender, receiver):
    _document, _row, message = _queued(sender, receiver)
    seal = Certificate.objects.get(kind="agency_seal", organisation_code=sender.code)
    certificate_revoke(serial_number=seal.serial_number, reason="keyCompromise")
    answer = inbound_receive(message=message, previous_hop="")
    assert answer.status == 422 and STATUS_02.search(answer.body)
    _refusal(message, "revoked")
    _stored_nothing(receiver)


def test_a_package_sealed_by_another_agency_is_refused(node, sender, receiver, dev_pki):
    from motcua.signatures.services import certificate_issue

    document, _row, message = _queued(sender, receiver)
    other = certificate_issue(
        pki=dev_pki, kind="agency_seal", common_name="Ủy ban nhân dân tỉnh Cao Bằng", organisation_code="000.00.00.H14"
    )
    body = _sealed_with(_unsigned(document), other.private_key, other.certificate)
    other_message = dataclasses.replace(message, body=body, message_id=uuid.uuid4())
    answer = inbound_receive(message=other_message, previous_hop="")
    assert answer.status == 422 and STATUS_02.search(answer.body)
    _refusal(other_message, "signer_not_sender")
    _stored_nothing(receiver)


def test_transport_headers_that_disagree_with_the_package_are_refused(node, sender, receiver, outsider):
    _document, _row, message = _queued(sender, receiver)
    wrong_sender = dataclasses.replace(message, from_code=outsider.code)
    answer = inbound_receive(message=wrong_sender, previous_hop="")
    assert answer.status == 422 and STATUS_02.search(answer.body)
    _refusal(wrong_sender, "headers_mismatch")
    wrong_recipient = dataclasses.replace(message, to_code=outsider.code, message_id=uuid.uuid4())
    answer = inbound_receive(message=wrong_recipient, previous_hop="")
    assert answer.status == 422
    _refusal(wrong_recipient, "headers_mismatch")
    _stored_nothing(receiver)


def test_an_unknown_recipient_code_is_refused(node, sender, receiver):
    _document, _row, message = _queued(sender, receiver)
    unknown = dataclasses.replace(message, to_code="000.00.00.H99")
    answer = inbound_receive(message=unknown, previous_hop="hub")
    assert answer.status == 404
    _refusal(unknown, "unknown_recipient")
    _stored_nothing(receiver)


def test_a_package_for_an_organisation_of_another_node_is_refused(node, sender, receiver, settings):
    _document, _row, message = _queued(sender, receiver)
    settings.EXCHANGE_SERVED_ORGANISATIONS = [sender.code]  # the receiver is now another node's
    other = Node.objects.create(
        node_id="na",
        name="Nghệ An",
        url="http://127.0.0.1:9",
        certificate_pem=node.certificate_pem(),
        certificate_sha256="x",
    )
    DirectoryEntry.objects.create(organisation_code=receiver.code, organisation_name="Nghệ An", node=other)
    answer = inbound_receive(message=message, previous_hop="hub")
    assert answer.status == 421
    _refusal(message, "addressed_to_another_node")
    _stored_nothing(receiver)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">&lol3;</edXML>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, b"\x00\x01garbage", b"<edXML><unclosed></edXML>"])
def test_xml_bombs_and_garbage_are_refused_without_a_status(node, sender, receiver, body):
    _document, _row, message = _queued(sender, receiver)
    bad = dataclasses.replace(message, body=body)
    answer = inbound_receive(message=bad, previous_hop="")
    assert answer.status == 422
    assert answer.content_type == "application/json"
    assert InboundMessage.objects.get(message_id=bad.message_id).outcome == "refused"
    _stored_nothing(receiver)


def test_an_oversized_package_is_refused_before_it_is_read(node, sender, receiver, settings):
    _document, _row, message = _queued(sender, receiver)
    settings.EDXML_MAX_PACKAGE_BYTES = 1000
    answer = inbound_receive(message=message, previous_hop="")
    assert answer.status == 413
    row = _refusal(message, "package_too_large")
    assert bytes(row.body) == b""  # not kept
    _stored_nothing(receiver)


def test_an_oversized_attachment_is_refused_with_a_signed_02(node, sender, receiver, settings):
    _document, _row, message = _queued(sender, receiver)
    settings.EDXML_MAX_ATTACHMENT_BYTES = 1000
    answer = inbound_receive(message=message, previous_hop="")
    assert answer.status == 422 and STATUS_02.search(answer.body)
    assert InboundMessage.objects.get(message_id=message.message_id).outcome == "refused"
    _stored_nothing(receiver)


def test_a_recall_of_a_document_never_received_is_refused(node, sender, receiver):
    from motcua.exchange import services
    from tests.exchange.conftest import PIN

    document, row, _message = _queued(sender, receiver)
    row.delete()  # the document itself never left
    services.outgoing_recall(actor=sender.clerk, document=document, pin=PIN, reason="Sai thể thức")
    recall = wire_message(OutboxMessage.objects.get(recipient__document=document))
    answer = inbound_receive(message=recall, previous_hop="")
    assert answer.status == 404
    _refusal(recall, "exchange_unknown_document")
    _stored_nothing(receiver)


def test_a_status_signed_by_another_key_is_refused(node, sender, receiver, dev_pki):
    from motcua.exchange import services
    from tests.exchange.conftest import deliver

    document = sent(sender, [receiver.code])
    deliver()
    incoming = IncomingDocument.objects.get(organisation=receiver.organisation)
    services.incoming_register(actor=receiver.clerk, document=incoming)
    status_row = OutboxMessage.objects.get(kind="status")
    status = wire_message(status_row)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Someone else")])
    other = issue(subject, None, key_usage=SIGNING)
    body = re.sub(rb"<ds:Signature.*</ds:Signature>", b"", status.body, flags=re.DOTALL)
    forged = dataclasses.replace(status, body=_sealed_with(body, other.key, other.certificate), message_id=uuid.uuid4())
    answer = inbound_receive(message=forged, previous_hop="")
    assert answer.status == 422
    assert InboundMessage.objects.get(message_id=forged.message_id).outcome == "refused"
    recipient = document.recipients.get()
    assert recipient.status_code == "01"  # the registration (03) was not applied from the forgery
