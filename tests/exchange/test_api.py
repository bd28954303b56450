"""The exchange API: the journey through every endpoint, and for every endpoint a wrong actor refused with nothing
changed."""

import io

import pytest

from motcua.exchange.models import ChangeRequest, DocumentBook, IncomingDocument, OutboxMessage
from tests.exchange.conftest import PIN, Counts, deliver, draft, sent, signed, simple_pdf
from tests.support.sessions import sign_in_with_second_factor

pytestmark = pytest.mark.django_db

API = "/api/v1/exchange"


def _as(client, user):
    return sign_in_with_second_factor(client, user)


def test_the_journey_through_the_api(client, node, sender, receiver):
    api = _as(client, sender.specialist)
    response = api.post(
        f"{API}/outgoing",
        {
            "organisation": sender.code,
            "document_type": "KH",
            "subject": "Kế hoạch chuyển đổi số",
            "recipients": [receiver.code],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    document = response.json()
    assert document["notation"] == "KH-UBND" and document["allowed_actions"] == ["edit", "submit", "cancel"]
    assert (
        api.patch(
            f"{API}/outgoing/{document['id']}",
            {"subject": "Kế hoạch chuyển đổi số năm 2026"},
            content_type="application/json",
        ).status_code
        == 200
    )
    upload = api.post(
        f"{API}/outgoing/{document['id']}/files", {"file": _named(simple_pdf(), "ke-hoach.pdf"), "main": "true"}
    )
    assert upload.status_code == 201, upload.content
    extra = api.post(f"{API}/outgoing/{document['id']}/files", {"file": _named(simple_pdf(), "phu-luc.pdf")})
    assert api.delete(f"{API}/outgoing/{document['id']}/files/{extra.json()['id']}").status_code == 204
    assert api.post(f"{API}/outgoing/{document['id']}/submit", {}, content_type="application/json").status_code == 200
    head = _as(client, sender.unit_head)
    assert (
        head.post(
            f"{API}/outgoing/{document['id']}/return", {"note": "Sửa tiêu đề"}, content_type="application/json"
        ).status_code
        == 200
    )
    api = _as(client, sender.specialist)
    api.post(f"{API}/outgoing/{document['id']}/submit", {}, content_type="application/json")
    head = _as(client, sender.unit_head)
    head.post(f"{API}/outgoing/{document['id']}/review", {}, content_type="application/json")
    leader = _as(client, sender.leader)
    wrong = leader.post(f"{API}/outgoing/{document['id']}/sign", {"pin": "000000"}, content_type="application/json")
    assert wrong.status_code == 422 and wrong.json()["code"] == "wrong_pin"
    assert (
        leader.post(f"{API}/outgoing/{document['id']}/sign", {"pin": PIN}, content_type="application/json").status_code
        == 200
    )
    clerk = _as(client, sender.clerk)
    registered = clerk.post(f"{API}/outgoing/{document['id']}/register", {}, content_type="application/json").json()
    assert registered["number_and_notation"] == "1/KH-UBND"
    assert (
        clerk.post(f"{API}/outgoing/{document['id']}/send", {"pin": PIN}, content_type="application/json").status_code
        == 200
    )
    deliver()
    detail = clerk.get(f"{API}/outgoing/{document['id']}").json()
    assert detail["recipients"][0]["status_code"] == "01" and detail["recipients"][0]["has_receipt"]
    assert detail["allowed_actions"] == ["recall", "update"]

    receiving = _as(client, receiver.clerk)
    items = receiving.get(f"{API}/incoming", {"view": "to_register"}).json()["items"]
    incoming_id = items[0]["id"]
    assert (
        receiving.post(f"{API}/incoming/{incoming_id}/register", {}, content_type="application/json").json()[
            "arrival_number"
        ]
        == 1
    )
    assigned = receiving.post(
        f"{API}/incoming/{incoming_id}/assign",
        {"unit": str(receiver.unit.pk), "assignee": str(receiver.specialist.pk)},
        content_type="application/json",
    )
    assert assigned.status_code == 200
    worker = _as(client, receiver.specialist)
    assert worker.post(f"{API}/incoming/{incoming_id}/start").status_code == 200
    finished = worker.post(f"{API}/incoming/{incoming_id}/finish", {"note": "Xong"}, content_type="application/json")
    assert finished.json()["status"] == "finished"
    file_id = finished.json()["files"][0]["id"]
    assert worker.get(f"{API}/files/{file_id}").status_code == 200
    deliver()
    clerk = _as(client, sender.clerk)
    assert [
        s["status_code"] for s in clerk.get(f"{API}/outgoing/{document['id']}").json()["recipients"][0]["statuses"]
    ] == ["01", "03", "04", "05", "06"]
    books = clerk.get(f"{API}/books").json()
    outgoing_book = next(book for book in books if book["direction"] == "outgoing")
    entries = clerk.get(f"{API}/books/{outgoing_book['id']}/entries", {"q": "chuyen doi so"}).json()
    assert entries["count"] == 1
    csv = clerk.get(f"{API}/books/{outgoing_book['id']}/export", {"format": "csv"})
    assert csv.status_code == 200 and "1/KH-UBND" in csv.content.decode("utf-8-sig")
    pdf = clerk.get(f"{API}/books/{outgoing_book['id']}/export", {"format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert any(item["code"] == receiver.code for item in clerk.get(f"{API}/directory", {"q": "nghe an"}).json())


def _named(data, name):
    handle = io.BytesIO(data)
    handle.name = name
    return handle


def test_recall_and_change_decisions_through_the_api(client, node, sender, receiver):
    document = sent(sender, [receiver.code])
    deliver()
    clerk = _as(client, sender.clerk)
    response = clerk.post(
        f"{API}/outgoing/{document.pk}/recall", {"pin": PIN, "reason": "Sai sót"}, content_type="application/json"
    )
    assert response.status_code == 200
    deliver()
    incoming = IncomingDocument.objects.get(organisation=receiver.organisation)
    request = ChangeRequest.objects.get(document=incoming)
    receiving = _as(client, receiver.clerk)
    refused = receiving.post(
        f"{API}/incoming/{incoming.pk}/changes/{request.pk}/reject",
        {"reason": "Đã xử lý xong"},
        content_type="application/json",
    )
    assert refused.status_code == 200 and refused.json()["change_requests"][0]["state"] == "rejected"


def test_administrators_see_the_outbox_and_put_messages_back(client, node, sender, receiver, platform_admin, settings):
    settings.EXCHANGE_MAX_ATTEMPTS = 1
    document = sent(sender, [receiver.code])
    message = OutboxMessage.objects.get(recipient__document=document)
    OutboxMessage.objects.filter(pk=message.pk).update(state="failed")
    admin = _as(client, platform_admin)
    assert admin.get(f"{API}/outbox", {"state": "failed"}).json()["count"] == 1
    assert admin.post(f"{API}/outbox/{message.pk}/retry").json() == {"queued": 1}
    other = _as(client, sender.clerk)
    assert other.get(f"{API}/outbox").status_code == 403
    assert other.post(f"{API}/outbox/{message.pk}/retry").status_code == 403


# --- every endpoint refuses a wrong actor, and changes nothing -------------------------------------------------------


def _endpoints(sender, receiver):
    """(method, path, body) of every endpoint, on documents of ``sender`` and ``receiver`` at every stage."""
    draft_document = draft(sender, [receiver.code])
    main = draft_document.files.first()
    signed_document = signed(sender, [receiver.code])
    sent_document = sent(sender, [receiver.code])
    deliver()
    incoming = IncomingDocument.objects.get(organisation=receiver.organisation)
    book = DocumentBook.objects.filter(organisation=receiver.organisation).first() or DocumentBook.objects.create(
        organisation=receiver.organisation, direction="incoming", code="VBDEN", name="Sổ", is_default=True
    )
    request = ChangeRequest.objects.create(document=incoming, kind=1, reason="x")
    return [
        ("get", f"/outgoing/{draft_document.pk}", None),
        ("patch", f"/outgoing/{draft_document.pk}", {"subject": "Đổi"}),
        ("post", f"/outgoing/{draft_document.pk}/files", "file"),
        ("delete", f"/outgoing/{draft_document.pk}/files/{main.pk}", None),
        ("post", f"/outgoing/{draft_document.pk}/submit", {}),
        ("post", f"/outgoing/{draft_document.pk}/cancel", {}),
        ("post", f"/outgoing/{signed_document.pk}/register", {}),
        ("post", f"/outgoing/{sent_document.pk}/recall", {"pin": PIN, "reason": "x"}),
        ("post", f"/outgoing/{sent_document.pk}/update", {"pin": PIN, "reason": "x", "subject": "y"}),
        ("post", f"/outgoing/{signed_document.pk}/send", {"pin": PIN}),
        ("post", f"/outgoing/{signed_document.pk}/sign", {"pin": PIN}),
        ("post", f"/outgoing/{signed_document.pk}/review", {}),
        ("post", f"/outgoing/{signed_document.pk}/return", {"note": "x"}),
        ("get", f"/incoming/{incoming.pk}", None),
        ("post", f"/incoming/{incoming.pk}/register", {}),
        ("post", f"/incoming/{incoming.pk}/reject", {"reason": "x"}),
        ("post", f"/incoming/{incoming.pk}/assign", {"unit": str(receiver.unit.pk)}),
        ("post", f"/incoming/{incoming.pk}/start", None),
        ("post", f"/incoming/{incoming.pk}/finish", {}),
        ("post", f"/incoming/{incoming.pk}/changes/{request.pk}/accept", {}),
        ("post", f"/incoming/{incoming.pk}/changes/{request.pk}/reject", {"reason": "x"}),
        ("get", f"/files/{main.pk}", None),
        ("get", f"/books/{book.pk}/entries", None),
        ("get", f"/books/{book.pk}/export", None),
        ("post", "/books", {"organisation": receiver.code, "direction": "incoming", "code": "X", "name": "X"}),
        ("post", "/outgoing", {"organisation": sender.code, "document_type": "CV", "subject": "x"}),
        ("get", "/outbox", None),
    ]


def _call(api, method, path, body):
    if body == "file":
        return api.post(f"{API}{path}", {"file": _named(simple_pdf(), "a.pdf")})
    if body is None:
        return getattr(api, method)(f"{API}{path}")
    return getattr(api, method)(f"{API}{path}", body, content_type="application/json")


def test_every_endpoint_refuses_an_official_of_another_organisation(client, node, sender, receiver, outsider):
    endpoints = _endpoints(sender, receiver)
    api = _as(client, outsider.clerk)
    counts = Counts()
    for method, path, body in endpoints:
        response = _call(api, method, path, body)
        assert response.status_code in (403, 404, 422), (method, path, response.status_code, response.content[:300])
    counts.assert_unchanged()
    assert api.get(f"{API}/outgoing").json()["count"] == 0
    assert api.get(f"{API}/incoming").json()["count"] == 0
    assert api.get(f"{API}/books").json() == []


def test_every_endpoint_asks_to_sign_in(client, node, sender, receiver):
    lists = [("get", "/outgoing", None), ("get", "/incoming", None), ("get", "/directory", None)]
    endpoints = [*_endpoints(sender, receiver), *lists]
    counts = Counts()
    for method, path, body in endpoints:
        assert _call(client, method, path, body).status_code == 401, (method, path)
    counts.assert_unchanged()


def test_a_specialist_may_not_do_the_clerk_s_or_the_leader_s_work(client, node, sender, receiver):
    document = signed(sender, [receiver.code])
    api = _as(client, sender.specialist)
    counts = Counts()
    assert api.post(f"{API}/outgoing/{document.pk}/register", {}, content_type="application/json").status_code == 403
    assert (
        api.post(
            f"{API}/books",
            {"organisation": sender.code, "direction": "incoming", "code": "X", "name": "X"},
            content_type="application/json",
        ).status_code
        == 403
    )
    counts.assert_unchanged()
