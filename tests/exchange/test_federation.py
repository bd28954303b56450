"""Three real nodes exchange documents among their agencies: the hub (directory authority, Government Office),
Quảng Ninh (pushes, through the hub) and Nghệ An (pulls its messages from the hub).

Separate processes (web server, task worker, scheduler per node), separate SQLite databases, real HTTP on
127.0.0.1, one shared development PKI. The scenarios run in order on one federation (one test, so that a parallel
run keeps them on one worker):

1. Quảng Ninh → Nghệ An through the hub, Nghệ An pulling: the full status cycle 01 → 03 → 04 → 05 → 06 seen by the
   sender;
2. Nghệ An → Quảng Ninh while Quảng Ninh is down: the hub retries, the document arrives once it is back;
3. Quảng Ninh → the Government Office, the sender killed with SIGKILL after its request reached the hub and before
   it recorded the answer: delivered exactly once after the restart, the receipt kept;
4. the same package delivered again (a fresh request, the same message id): the first answer, no second document;
   the very same request replayed: refused;
5. a tampered package (one byte of its header changed, the request signed anew): refused with a signed status 02;
6. Quảng Ninh recalls the document of scenario 1, Nghệ An's clerk accepts: the sender sees 15.
"""

from __future__ import annotations

import io
import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from motcua.signatures.services import pki_create
from tests.exchange.conftest import simple_pdf
from tests.support.exchange_nodes import (
    PIN,
    HoldingProxy,
    Node,
    hub_publish,
    migrated_template,
    wait_until,
)

GOVERNMENT_OFFICE = "000.00.00.G22"
QUANG_NINH = "000.00.00.H49"
NGHE_AN = "000.00.00.H41"


@pytest.fixture
def federation(tmp_path, settings):
    settings.PKI_DIR = str(tmp_path / "pki")
    pki_create(directory=tmp_path / "pki", ca_key_size=2048)
    template = migrated_template(tmp_path / "template")
    hub = Node("hub", [GOVERNMENT_OFFICE], tmp_path / "hub", tmp_path / "pki")
    proxy = HoldingProxy(hub.port)
    hub.url = proxy.url
    quang_ninh = Node("qn", [QUANG_NINH], tmp_path / "qn", tmp_path / "pki", via="hub")
    nghe_an = Node("na", [NGHE_AN], tmp_path / "na", tmp_path / "pki", mode="pull", via="hub")
    nodes = (hub, quang_ninh, nghe_an)
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            list(pool.map(lambda node: node.setup(template=template), nodes))
            directory_url = f"{hub.local_url}/exchange/node/directory"
            starts = [pool.submit(hub.start)]
            starts += [
                pool.submit(node.start, authority=hub.fingerprint, directory_url=directory_url)
                for node in (quang_ninh, nghe_an)
            ]
            for started in starts:
                started.result()
        published = hub_publish(hub, [quang_ninh, nghe_an])
        assert published["pushed"] == 2, published
        yield hub, quang_ninh, nghe_an, proxy
    finally:
        proxy.close()
        for node in nodes:
            node.stop()


def _send(node: Node, code: str, recipients: list[str], subject: str) -> dict:
    """Draft, review, sign, register and send, each by the official whose job it is, through the node's API."""
    specialist = node.session(code, "specialist")
    document = specialist.post(
        "/outgoing",
        {"organisation": code, "document_type": "CV", "subject": subject, "recipients": recipients},
    )
    pdf = simple_pdf(subject)
    specialist.call(
        "POST",
        f"/outgoing/{document['id']}/files",
        files={"file": ("cong-van.pdf", io.BytesIO(pdf), "application/pdf")},
        data={"main": "true"},
    )
    specialist.post(f"/outgoing/{document['id']}/submit")
    node.session(code, "head").post(f"/outgoing/{document['id']}/review")
    node.session(code, "leader").post(f"/outgoing/{document['id']}/sign", {"pin": PIN})
    clerk = node.session(code, "clerk")
    clerk.post(f"/outgoing/{document['id']}/register", {})
    return clerk.post(f"/outgoing/{document['id']}/send", {"pin": PIN})


def _recipient(node: Node, code: str, document_id: str) -> dict:
    return node.session(code, "clerk").get(f"/outgoing/{document_id}")["recipients"][0]


def _arrived(node: Node, code: str, subject: str) -> list[dict]:
    items = node.session(code, "clerk").get("/incoming", params={"view": "all", "q": subject})["items"]
    return [item for item in items if item["subject"] == subject]


def _statuses(recipient: dict) -> list[str]:
    return [status["status_code"] for status in recipient["statuses"]]


def _as_node(settings, node: Node) -> None:
    """Sign requests in this test process with the node's key, as the node itself would."""
    settings.EXCHANGE_NODE_ID = node.name
    settings.EXCHANGE_NODE_KEY_FILE = node.key_file
    settings.EXCHANGE_NODE_CERTIFICATE_FILE = node.certificate_file


def test_three_nodes_exchange_documents(federation, settings):
    hub, quang_ninh, nghe_an, proxy = federation
    from motcua.exchange.transport.client import message_post
    from motcua.exchange.transport.wire import WireMessage

    # 1. Quảng Ninh → Nghệ An through the hub; Nghệ An pulls. The full status cycle, seen by the sender.
    first = _send(quang_ninh, QUANG_NINH, [NGHE_AN], "V/v phối hợp cải cách hành chính")
    assert first["status"] == "sent"
    wait_until(lambda: _arrived(nghe_an, NGHE_AN, first["subject"]), timeout=30, what="the pull of scenario 1")
    wait_until(
        lambda: _recipient(quang_ninh, QUANG_NINH, first["id"])["status_code"] == "01", timeout=30, what="receipt 01"
    )
    receipt_holder = _recipient(quang_ninh, QUANG_NINH, first["id"])
    assert receipt_holder["delivery"] == "delivered" and receipt_holder["has_receipt"]
    incoming = _arrived(nghe_an, NGHE_AN, first["subject"])[0]
    assert incoming["document_id"] == first["document_id"]
    clerk, leader = nghe_an.session(NGHE_AN, "clerk"), nghe_an.session(NGHE_AN, "leader")
    specialist = nghe_an.session(NGHE_AN, "specialist")
    clerk.post(f"/incoming/{incoming['id']}/register", {})
    leader.post(
        f"/incoming/{incoming['id']}/assign",
        {"unit": nghe_an.users[NGHE_AN]["unit_id"], "assignee": nghe_an.users[NGHE_AN]["specialist_id"]},
    )
    specialist.post(f"/incoming/{incoming['id']}/start")
    specialist.post(f"/incoming/{incoming['id']}/finish", {"note": "Đã phối hợp thực hiện"})
    wait_until(
        lambda: _statuses(_recipient(quang_ninh, QUANG_NINH, first["id"])) == ["01", "03", "04", "05", "06"],
        timeout=40,
        what="the status cycle at the sender",
    )
    assert _recipient(quang_ninh, QUANG_NINH, first["id"])["status_code"] == "06"

    # 2. Nghệ An → Quảng Ninh while Quảng Ninh is down; delivered after it returns.
    quang_ninh.stop()
    second = _send(nghe_an, NGHE_AN, [QUANG_NINH], "Báo cáo tình hình triển khai")
    wait_until(
        lambda: _recipient(nghe_an, NGHE_AN, second["id"])["delivery"] == "in_transit",
        timeout=30,
        what="the hub to take the message",
    )
    quang_ninh.restart()
    wait_until(lambda: _arrived(quang_ninh, QUANG_NINH, second["subject"]), timeout=40, what="delivery after restart")
    wait_until(
        lambda: _recipient(nghe_an, NGHE_AN, second["id"])["status_code"] == "01",
        timeout=30,
        what="receipt after restart",
    )

    # 3. Quảng Ninh → Government Office, the sender killed mid-send: exactly once after restart.
    proxy.hold.set()
    third = _send(quang_ninh, QUANG_NINH, [GOVERNMENT_OFFICE], "Tờ trình về đề án chuyển đổi số")
    assert proxy.held.wait(timeout=30), "the hub never answered the sender"
    quang_ninh.kill()
    proxy.hold.clear()
    proxy.released.set()
    assert len(_arrived(hub, GOVERNMENT_OFFICE, third["subject"])) == 1
    quang_ninh.restart()
    wait_until(
        lambda: _recipient(quang_ninh, QUANG_NINH, third["id"])["delivery"] == "delivered",
        timeout=40,
        what="delivery after the sender's restart",
    )
    assert _recipient(quang_ninh, QUANG_NINH, third["id"])["has_receipt"]
    assert len(_arrived(hub, GOVERNMENT_OFFICE, third["subject"])) == 1

    # 4. The same package again: a fresh request with the same message id gets the first answer; the very same
    #    request replayed is refused; still one document.
    headers, body = next((h, b) for h, b in reversed(proxy.captured) if third["document_id"] in _document_id(h))
    message = WireMessage.from_headers(headers, body)
    _as_node(settings, quang_ninh)
    again = message_post(base_url=hub.local_url, message=message)
    assert again.status == 200 and re.search(rb"<(\w+:)?StatusCode>01<", again.body)
    import requests

    replay = requests.post(f"{hub.local_url}/exchange/node/messages", data=body, headers=headers, timeout=10)
    assert replay.status_code == 401
    assert len(_arrived(hub, GOVERNMENT_OFFICE, third["subject"])) == 1

    # 5. A tampered package (a byte of its subject changed, the request signed anew): refused with a signed 02.
    tampered_body = body.replace("Tờ trình về đề án".encode(), "Tờ trình về dự án".encode(), 1)
    assert tampered_body != body
    tampered = WireMessage(
        message_id=uuid.uuid4(),
        kind=message.kind,
        from_code=message.from_code,
        to_code=message.to_code,
        document_id=message.document_id,
        origin_node=message.origin_node,
        body=tampered_body,
    )
    refused = message_post(base_url=hub.local_url, message=tampered)
    assert refused.status == 422
    assert re.search(rb"<(\w+:)?StatusCode>02<", refused.body)
    assert len(_arrived(hub, GOVERNMENT_OFFICE, third["subject"])) == 1

    # 6. Quảng Ninh recalls the first document; Nghệ An's clerk accepts; the sender sees 15.
    quang_ninh.session(QUANG_NINH, "clerk").post(
        f"/outgoing/{first['id']}/recall", {"pin": PIN, "reason": "Văn bản ban hành sai thể thức"}
    )

    def recall_request():
        detail = clerk.get(f"/incoming/{incoming['id']}")
        pending = [item for item in detail["change_requests"] if item["state"] == "pending"]
        return pending[0] if pending else None

    request = wait_until(recall_request, timeout=30, what="the recall at the receiver")
    assert request["kind"] == 1 and request["reason"] == "Văn bản ban hành sai thể thức"
    clerk.post(f"/incoming/{incoming['id']}/changes/{request['id']}/accept", {"note": "Đồng ý thu hồi"})
    assert clerk.get(f"/incoming/{incoming['id']}")["status"] == "recalled"
    wait_until(
        lambda: _recipient(quang_ninh, QUANG_NINH, first["id"])["change_status_code"] == "15",
        timeout=30,
        what="15 at the sender",
    )


def _document_id(headers: dict) -> str:
    from urllib.parse import unquote

    return unquote(next((value for name, value in headers.items() if name.lower() == "x-motcua-document-id"), ""))
