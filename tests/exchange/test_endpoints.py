"""The node-to-node endpoints (/exchange/node/...): signed requests only, size limits, the pull protocol, the
identity and the directory; and the `motcua exchange` command."""

import io
import json
import re

import pytest
from django.core.management import call_command

from motcua.core.permissions import SYSTEM
from motcua.exchange.directory import directory_publish
from motcua.exchange.models import IncomingDocument, Node, OutboxMessage
from motcua.exchange.routing import Route
from motcua.exchange.transport.auth import request_sign
from motcua.exchange.transport.outbox import outbox_add, wire_message
from tests.exchange.conftest import sent

pytestmark = pytest.mark.django_db

BASE = "/exchange/node"


@pytest.fixture
def known(node):
    """This node, as its own directory knows it (so its signed requests to itself are accepted)."""
    return Node.objects.create(
        node_id="test-node",
        name="me",
        url="http://testserver",
        certificate_pem=node.certificate_pem(),
        certificate_sha256=node.fingerprint,
    )


def _signed(node, method, path, body=b"", headers=None):
    headers = dict(headers or {})
    headers.update(request_sign(key=node, method=method, path=path, body=body, headers=headers))
    return {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}


def test_a_message_needs_a_signed_request(client, node, known, sender, receiver):
    document = sent(sender, [receiver.code])
    message = wire_message(OutboxMessage.objects.get(recipient__document=document))
    unsigned = client.post(
        f"{BASE}/messages",
        message.body,
        content_type="application/xml",
        **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in message.headers().items()},
    )
    assert unsigned.status_code == 401
    assert not IncomingDocument.objects.exists()
    headers = _signed(node, "POST", f"{BASE}/messages", message.body, message.headers())
    answer = client.post(f"{BASE}/messages", message.body, content_type="application/xml", **headers)
    assert answer.status_code == 200 and re.search(rb"StatusCode>01<", answer.content)
    assert IncomingDocument.objects.count() == 1


def test_a_package_larger_than_the_limit_is_refused_before_it_is_read(client, node, known, settings):
    settings.EDXML_MAX_PACKAGE_BYTES = 10
    body = b"x" * 100
    response = client.post(
        f"{BASE}/messages", body, content_type="application/xml", **_signed(node, "POST", f"{BASE}/messages", body)
    )
    assert response.status_code == 413
    # A caller that names no node of the directory is refused before its body is read at all.
    stranger = client.post(f"{BASE}/messages", body, content_type="application/xml", HTTP_X_MOTCUA_NODE="stranger")
    assert stranger.status_code == 401


def test_a_node_that_is_not_a_hub_may_not_relay_for_another(client, node, known, sender, receiver):
    document = sent(sender, [receiver.code])
    message = wire_message(OutboxMessage.objects.get(recipient__document=document))
    headers = {**message.headers(), "X-Motcua-Origin-Node": "somebody-else"}
    response = client.post(
        f"{BASE}/messages",
        message.body,
        content_type="application/xml",
        **_signed(node, "POST", f"{BASE}/messages", message.body, headers),
    )
    assert response.status_code == 403
    assert not IncomingDocument.objects.exists()


def test_the_pull_protocol_lists_fetches_and_records_the_answer(client, node, known):
    held = outbox_add(
        kind="status",
        from_code="000.00.00.H49",
        to_code="000.00.00.H41",
        document_id="000.00.00.H41,2025/10/06,1/UBND-VP",
        body=b"<edXML/>",
        route=Route("000.00.00.H41", "Nghệ An", destination="test-node", next_hop="test-node", hold=True),
    )
    assert client.get(f"{BASE}/pending").status_code == 401
    listed = client.get(f"{BASE}/pending", **_signed(node, "GET", f"{BASE}/pending"))
    assert [item["message_id"] for item in listed.json()["messages"]] == [str(held.pk)]
    fetched = client.get(f"{BASE}/messages/{held.pk}", **_signed(node, "GET", f"{BASE}/messages/{held.pk}"))
    assert fetched.status_code == 200 and fetched.content == b"<edXML/>"
    assert fetched["X-Motcua-Message-Id"] == str(held.pk)
    body = json.dumps({"code": "applied"}).encode()
    path = f"{BASE}/messages/{held.pk}/answer"
    answered = client.post(path, body, content_type="application/json", **_signed(node, "POST", path, body))
    assert answered.status_code == 200
    held.refresh_from_db()
    assert held.state == "sent"


def test_identity_and_directory_endpoints(client, node, sender, settings):
    settings.EXCHANGE_SERVED_ORGANISATIONS = [sender.code]
    identity = client.get(f"{BASE}/identity")
    assert identity.status_code == 200 and sender.code.encode() in identity.content
    assert client.get(f"{BASE}/directory").status_code == 404
    version = directory_publish(actor=SYSTEM)
    current = client.get(f"{BASE}/directory")
    assert current.status_code == 200 and current.content == bytes(version.signed)
    again = client.post(f"{BASE}/directory", current.content, content_type="application/xml")
    assert again.status_code == 200  # the same version again: nothing changes
    forged = client.post(
        f"{BASE}/directory", current.content.replace(b'version="1"', b'version="2"'), content_type="application/xml"
    )
    assert forged.status_code == 422


def test_the_exchange_command(node, sender, settings, capsys):
    settings.EXCHANGE_SERVED_ORGANISATIONS = [sender.code]
    call_command("exchange", "node-show")
    shown = json.loads(capsys.readouterr().out)
    assert shown["node_id"] == "test-node" and shown["organisations"] == [sender.code]
    assert shown["certificate_sha256"] == node.fingerprint
    call_command("exchange", "publish")
    assert json.loads(capsys.readouterr().out)["version"] == 1
    call_command("exchange", "deliver")
    assert json.loads(capsys.readouterr().out)["sent"] == 0
    call_command("exchange", "status")
    assert "pending: 0" in capsys.readouterr().out
    out = io.StringIO()
    call_command("exchange", "node-init", stdout=out)
    assert json.loads(out.getvalue())["certificate_sha256"] == node.fingerprint  # kept: no --force
