"""The signed node directory, node identities, routing, and signed node-to-node requests."""

import time

import pytest
from cryptography.hazmat.primitives import serialization
from django.utils import timezone

from motcua.core.exceptions import Conflict, NotAuthenticated, ValidationFailed
from motcua.core.permissions import SYSTEM
from motcua.exchange.directory import (
    DirectoryDocument,
    NodeItem,
    OrganisationItem,
    directory_apply,
    directory_build,
    directory_member_register,
    directory_publish,
    identity_build,
    identity_read,
)
from motcua.exchange.models import DirectoryEntry, DirectoryVersion, Node
from motcua.exchange.routing import route_for
from motcua.exchange.transport.auth import request_sign, request_verify
from motcua.signatures.services import certificate_issue
from motcua.signatures.xml import xml_sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_key(dev_pki):
    certified = certificate_issue(pki=dev_pki, kind="agency_seal", common_name="Motcua exchange node qn", key_type="ec")
    pem = certified.certificate.public_bytes(serialization.Encoding.PEM).decode()
    return certified, pem


def _member(pem, node_id="qn", codes=("000.00.00.H41",), **extra):
    return directory_member_register(
        actor=SYSTEM,
        member_id=node_id,
        name=f"Node {node_id}",
        url=f"https://{node_id}.example.vn",
        certificate_pem=pem,
        organisations=[OrganisationItem(code=code, name=code) for code in codes],
        **extra,
    )


def test_the_authority_publishes_a_signed_directory_of_itself_and_its_members(node, sender, other_key, settings):
    settings.EXCHANGE_SERVED_ORGANISATIONS = [sender.code]
    _certified, pem = other_key
    _member(pem, via="test-node")
    version = directory_publish(actor=SYSTEM)
    assert version.version == 1
    assert set(Node.objects.values_list("node_id", flat=True)) == {"test-node", "qn"}
    assert Node.objects.get(node_id="test-node").is_hub
    assert DirectoryEntry.objects.get(organisation_code="000.00.00.H41").node.node_id == "qn"
    assert directory_publish(actor=SYSTEM).version == 2


def test_a_directory_signed_by_another_key_or_altered_is_refused(node, other_key):
    certified, pem = other_key
    document = DirectoryDocument(
        version=5,
        issued_at=timezone.now(),
        authority="evil",
        nodes=(NodeItem(node_id="evil", name="Evil", url="https://evil.example", certificate_pem=pem),),
    )
    forged = xml_sign(directory_build(document), key=certified.private_key, certificate=certified.certificate)
    with pytest.raises(ValidationFailed) as error:
        directory_apply(data=forged, actor=SYSTEM)
    assert error.value.code == "directory_wrong_signer"
    directory_publish(actor=SYSTEM)
    genuine = bytes(DirectoryVersion.objects.get().signed)
    altered = genuine.replace(b'version="1"', b'version="9"')
    with pytest.raises(ValidationFailed) as error:
        directory_apply(data=altered, actor=SYSTEM)
    assert error.value.code == "directory_signature_invalid"
    assert DirectoryVersion.objects.count() == 1


def test_an_older_directory_never_rolls_routing_back(node):
    first = directory_publish(actor=SYSTEM)
    directory_publish(actor=SYSTEM)
    assert directory_apply(data=bytes(DirectoryVersion.objects.get(version=2).signed), actor=SYSTEM).version == 2
    with pytest.raises(Conflict) as error:
        directory_apply(data=bytes(first.signed), actor=SYSTEM)
    assert error.value.code == "directory_not_newer"


def test_two_nodes_serving_the_same_code_and_a_pull_node_without_hub_are_refused(node, other_key, sender):
    _certified, pem = other_key
    _member(pem, codes=(sender.code,))
    with pytest.raises(Conflict):
        directory_publish(actor=SYSTEM)
    with pytest.raises(ValidationFailed):
        _member(pem, node_id="pull", mode="pull")


def test_a_node_identity_names_what_it_serves_and_is_checked_against_its_certificate(node, sender, other_key, settings):
    settings.EXCHANGE_SERVED_ORGANISATIONS = [sender.code]
    data = identity_build()
    node_id, organisations = identity_read(data, expected_fingerprint=node.fingerprint)
    assert node_id == "test-node" and [item.code for item in organisations] == [sender.code]
    certified, _pem = other_key
    from motcua.signatures.services import certificate_fingerprint

    with pytest.raises(ValidationFailed):
        identity_read(data, expected_fingerprint=certificate_fingerprint(certified.certificate))


def _directory(node, spoke_pem, *, hub_is_me: bool):
    """A directory with a hub, this node and a pulling node."""
    me = Node.objects.create(
        node_id="test-node",
        name="me",
        url="https://me",
        certificate_pem=node.certificate_pem(),
        certificate_sha256=node.fingerprint,
        via="" if hub_is_me else "hub",
        is_hub=hub_is_me,
    )
    hub = (
        me
        if hub_is_me
        else Node.objects.create(
            node_id="hub", name="hub", url="https://hub", certificate_pem=spoke_pem, certificate_sha256="a", is_hub=True
        )
    )
    pull = Node.objects.create(
        node_id="na",
        name="na",
        url="https://na",
        certificate_pem=spoke_pem,
        certificate_sha256="b",
        mode="pull",
        via=hub.node_id,
    )
    push = Node.objects.create(
        node_id="hn", name="hn", url="https://hn", certificate_pem=spoke_pem, certificate_sha256="c"
    )
    DirectoryEntry.objects.create(organisation_code="000.00.00.H41", organisation_name="Nghệ An", node=pull)
    DirectoryEntry.objects.create(organisation_code="000.00.00.H14", organisation_name="Cao Bằng", node=push)
    return me


def test_routing_by_the_directory(node, sender, other_key, settings):
    settings.EXCHANGE_SERVED_ORGANISATIONS = [sender.code]
    _certified, pem = other_key
    _directory(node, pem, hub_is_me=True)
    assert route_for(sender.code).is_local
    held = route_for("000.00.00.H41")
    assert (held.next_hop, held.hold) == ("na", True)
    direct = route_for("000.00.00.h14")
    assert (direct.next_hop, direct.hold) == ("hn", False)
    assert route_for("000.00.00.H99") is None
    Node.objects.all().delete()
    _directory(node, pem, hub_is_me=False)
    assert route_for("000.00.00.H41").next_hop == "hub"
    assert route_for("000.00.00.H14").next_hop == "hub"


@pytest.fixture
def known_to_itself(node):
    return Node.objects.create(
        node_id="test-node",
        name="me",
        url="https://me",
        certificate_pem=node.certificate_pem(),
        certificate_sha256=node.fingerprint,
    )


def _headers(node, *, body=b"<x/>", path="/exchange/node/messages"):
    message = {"X-Motcua-Message-Id": "0f8fad5b-d9cb-469f-a165-70867728950e", "X-Motcua-To": "000.00.00.H41"}
    return message, {**message, **request_sign(key=node, method="POST", path=path, body=body, headers=message)}


def test_a_signed_request_names_its_node_and_cannot_be_replayed(node, known_to_itself):
    _message, headers = _headers(node)
    assert (
        request_verify(method="POST", path="/exchange/node/messages", body=b"<x/>", headers=headers).node_id
        == "test-node"
    )
    with pytest.raises(NotAuthenticated):
        request_verify(method="POST", path="/exchange/node/messages", body=b"<x/>", headers=headers)


@pytest.mark.parametrize(
    "change",
    [
        {"body": b"<y/>"},
        {"path": "/exchange/node/pending"},
        {"header": ("X-Motcua-To", "000.00.00.H49")},
        {"header": ("X-Motcua-Node", "stranger")},
        {"header": ("X-Motcua-Timestamp", str(int(time.time()) - 3600))},
        {"header": ("X-Motcua-Signature", "AAAA")},
    ],
)
def test_a_request_changed_in_any_part_is_refused(node, known_to_itself, change):
    _message, headers = _headers(node)
    body, path = change.get("body", b"<x/>"), change.get("path", "/exchange/node/messages")
    if "header" in change:
        name, value = change["header"]
        headers[name] = value
    with pytest.raises(NotAuthenticated):
        request_verify(method="POST", path=path, body=body, headers=headers)
