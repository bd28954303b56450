"""The officials' pages: each journey step through the page, and who may see or do what."""

import io

import pytest
from django.urls import reverse

from motcua.core.models import AuditEvent
from motcua.exchange.models import IncomingDocument, OutgoingDocument
from tests.exchange.conftest import PIN, Counts, deliver, sent, signed, simple_pdf
from tests.support.sessions import sign_in_with_second_factor

pytestmark = pytest.mark.django_db


def _client(client, user):
    return sign_in_with_second_factor(client, user)


def test_overview_lists_and_books_render(client, node, sender, receiver):
    document = sent(sender, [receiver.code])
    deliver()
    browser = _client(client, receiver.clerk)
    assert browser.get(reverse("exchange:home")).status_code == 200
    page = browser.get(reverse("exchange:incoming") + "?view=to_register")
    assert page.status_code == 200
    assert document.subject in page.content.decode()
    assert browser.get(reverse("exchange:books")).status_code == 200


def test_draft_page_creates_a_draft_and_the_action_forms_move_it(client, node, sender, receiver):
    browser = _client(client, sender.specialist)
    response = browser.post(
        reverse("exchange:outgoing_new"),
        {
            "organisation": sender.code,
            "document_type": "TB",
            "subject": "Thông báo lịch làm việc",
            "priority": "0",
            "confidentiality": "normal",
            "steering_type": "0",
            "recipients": [receiver.code],
        },
    )
    assert response.status_code == 303
    document = OutgoingDocument.objects.get(subject="Thông báo lịch làm việc")
    assert document.notation == "TB-UBND"
    pdf = simple_pdf()
    url = reverse("exchange:outgoing_action", kwargs={"document_id": document.pk, "action": "file"})
    upload = io.BytesIO(pdf)
    upload.name = "thong-bao.pdf"
    assert browser.post(url, {"file-file": upload, "file-main": "on"}).status_code == 303
    url = reverse("exchange:outgoing_action", kwargs={"document_id": document.pk, "action": "submit"})
    assert browser.post(url, {"submit-note": ""}).status_code == 303
    document.refresh_from_db()
    assert document.status == "in_review"


def test_wrong_pin_on_the_sign_form_is_shown_and_changes_nothing(client, node, sender, receiver):
    from motcua.exchange import services
    from tests.exchange.conftest import draft

    document = draft(sender, [receiver.code])
    services.outgoing_submit(actor=sender.specialist, document=document)
    services.outgoing_review(actor=sender.unit_head, document=document)
    browser = _client(client, sender.leader)
    counts = Counts(AuditEvent)  # the wrong PIN itself is audited (and counted on the key)
    url = reverse("exchange:outgoing_action", kwargs={"document_id": document.pk, "action": "sign"})
    response = browser.post(url, {"sign-pin": "000000"})
    assert response.status_code == 422
    document.refresh_from_db()
    assert document.status == "awaiting_signature"
    counts.assert_unchanged()


def test_an_outsider_cannot_see_a_document_page(client, node, sender, receiver, outsider):
    document = signed(sender, [receiver.code])
    browser = _client(client, outsider.clerk)
    assert browser.get(reverse("exchange:outgoing_detail", kwargs={"document_id": document.pk})).status_code == 404
    url = reverse("exchange:outgoing_action", kwargs={"document_id": document.pk, "action": "register"})
    assert browser.post(url, {}).status_code == 404
    document.refresh_from_db()
    assert document.status == "signed"


def test_clerk_registers_and_sends_through_the_pages(client, node, sender, receiver):
    document = signed(sender, [receiver.code])
    browser = _client(client, sender.clerk)
    url = reverse("exchange:outgoing_action", kwargs={"document_id": document.pk, "action": "register"})
    assert browser.post(url, {"register-book": ""}).status_code == 303
    url = reverse("exchange:outgoing_action", kwargs={"document_id": document.pk, "action": "send"})
    assert browser.post(url, {"send-pin": PIN}).status_code == 303
    deliver()
    incoming = IncomingDocument.objects.get(document_id=document.__class__.objects.get(pk=document.pk).document_id)
    receiving = _client(client, receiver.clerk)
    url = reverse("exchange:incoming_action", kwargs={"document_id": incoming.pk, "action": "register"})
    assert receiving.post(url, {"register-book": ""}).status_code == 303
    page = receiving.get(reverse("exchange:incoming_detail", kwargs={"document_id": incoming.pk}))
    assert page.status_code == 200
    book = incoming.__class__.objects.get(pk=incoming.pk).book
    export = receiving.get(reverse("exchange:book_detail", kwargs={"book_id": book.pk}) + "?format=csv")
    assert export.status_code == 200
    assert document.subject in export.content.decode("utf-8-sig")
