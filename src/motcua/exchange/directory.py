"""The signed node directory: which node serves which organisation code, where it is, with which certificate.

The directory authority (the national axis, or a hub) registers member nodes (``directory_member_register``),
reads from each the organisations it serves (its identity, signed with its node key), and publishes numbered
versions signed with its own node key (``directory_publish``). Every node applies the newest version whose
signature chains to its trust anchors and was made with the authority's certificate
(``MOTCUA_EXCHANGE_DIRECTORY_AUTHORITY``): received by push from the authority or fetched from it
(``directory_fetch``, periodic). A node without an authority is its own: it publishes and applies its own.

Both documents are small XML files of Motcua's own format (not edXML), signed with an enveloped XML-DSig over
the whole document (``signatures.xml``); they are read back from the bytes the signature covers.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from lxml import etree

from motcua.agencies.search import search_fold
from motcua.core.audit import audit_record
from motcua.core.exceptions import Conflict, NotFound, ValidationFailed
from motcua.core.permissions import permission_require
from motcua.exchange.identity import NodeKey, node_id, node_key_load, node_url, pem_fingerprint, served_organisations
from motcua.exchange.models import DirectoryEntry, DirectoryMember, DirectoryVersion, Node
from motcua.exchange.models.directory import DeliveryMode
from motcua.exchange.trust import trust_get
from motcua.signatures.reports import Status
from motcua.signatures.xml import xml_sign, xml_verify_signed_content

logger = logging.getLogger(__name__)

DIRECTORY_NS = "urn:motcua:exchange:directory:1"
IDENTITY_NS = "urn:motcua:exchange:identity:1"
MAX_DIRECTORY_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class OrganisationItem:
    code: str
    name: str


@dataclass(frozen=True)
class NodeItem:
    node_id: str
    name: str
    url: str
    certificate_pem: str
    is_hub: bool = False
    mode: str = DeliveryMode.PUSH
    via: str = ""
    organisations: tuple[OrganisationItem, ...] = ()


@dataclass(frozen=True)
class DirectoryDocument:
    version: int
    issued_at: dt.datetime
    authority: str
    nodes: tuple[NodeItem, ...] = field(default_factory=tuple)


# --- signing and reading --------------------------------------------------------------------------------------


def _sign(data: bytes, key: NodeKey) -> bytes:
    return xml_sign(data, key=key.private_key, certificate=key.certificate, chain=list(key.chain))


def _certificate_b64(pem: str) -> str:
    from motcua.exchange.identity import certificate_from_pem

    return base64.b64encode(certificate_from_pem(pem).public_bytes(serialization.Encoding.DER)).decode("ascii")


def _certificate_pem(b64: str) -> str:
    from cryptography import x509

    certificate = x509.load_der_x509_certificate(base64.b64decode(b64, validate=True))
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _verified(data: bytes, *, expected_fingerprint: str, what: str) -> etree._Element:
    """The signed root element, when one valid signature by the expected certificate covers the whole document."""
    trust = trust_get()
    verification = xml_verify_signed_content(
        data,
        trust_roots=trust.anchors,
        intermediates=trust.intermediates,
        crls=trust.crls,
        max_bytes=MAX_DIRECTORY_BYTES,
    )
    report = verification.report
    if report.errors or len(report.signatures) != 1:
        raise ValidationFailed(
            _("The %(what)s is not a signed document.") % {"what": what},
            code="directory_unsigned",
            details={"errors": [error.message for error in report.errors]},
        )
    signature = report.signatures[0]
    element = verification.signed_elements[0]
    if signature.status != Status.VALID or element is None or not signature.covers_whole_document:
        raise ValidationFailed(
            _("The signature of the %(what)s is not valid.") % {"what": what},
            code="directory_signature_invalid",
            details={"reasons": [reason.message for reason in signature.reasons]},
        )
    if signature.signer_certificate_sha256.lower() != expected_fingerprint.lower():
        raise ValidationFailed(
            _("The %(what)s was not signed by the expected node.") % {"what": what},
            code="directory_wrong_signer",
            details={"signer": signature.signer_certificate_sha256},
        )
    return element


def _text(element: etree._Element, name: str) -> str:
    return str(element.get(name) or "").strip()


def directory_build(document: DirectoryDocument) -> bytes:
    root = etree.Element(
        f"{{{DIRECTORY_NS}}}NodeDirectory",
        nsmap={None: DIRECTORY_NS},
        version=str(document.version),
        issued=document.issued_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
        authority=document.authority,
    )
    for node in sorted(document.nodes, key=lambda item: item.node_id):
        element = etree.SubElement(
            root,
            f"{{{DIRECTORY_NS}}}Node",
            id=node.node_id,
            name=node.name,
            url=node.url,
            hub="true" if node.is_hub else "false",
            mode=node.mode,
            via=node.via,
        )
        etree.SubElement(element, f"{{{DIRECTORY_NS}}}Certificate").text = _certificate_b64(node.certificate_pem)
        for organisation in sorted(node.organisations, key=lambda item: item.code):
            etree.SubElement(element, f"{{{DIRECTORY_NS}}}Organisation", code=organisation.code, name=organisation.name)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def directory_read(data: bytes, *, expected_fingerprint: str) -> DirectoryDocument:
    """The directory in ``data``, if it is signed by the certificate with ``expected_fingerprint``."""
    root = _verified(data, expected_fingerprint=expected_fingerprint, what=str(_("node directory")))
    if root.tag != f"{{{DIRECTORY_NS}}}NodeDirectory":
        raise ValidationFailed(_("This is not a node directory."), code="directory_malformed")
    try:
        nodes = []
        for element in root.iterfind(f"{{{DIRECTORY_NS}}}Node"):
            certificate = element.find(f"{{{DIRECTORY_NS}}}Certificate")
            nodes.append(
                NodeItem(
                    node_id=_text(element, "id"),
                    name=_text(element, "name"),
                    url=_text(element, "url"),
                    certificate_pem=_certificate_pem((certificate.text or "") if certificate is not None else ""),
                    is_hub=_text(element, "hub") == "true",
                    mode=_text(element, "mode") or DeliveryMode.PUSH,
                    via=_text(element, "via"),
                    organisations=tuple(
                        OrganisationItem(code=_text(item, "code").upper(), name=_text(item, "name"))
                        for item in element.iterfind(f"{{{DIRECTORY_NS}}}Organisation")
                    ),
                )
            )
        return DirectoryDocument(
            version=int(_text(root, "version")),
            issued_at=dt.datetime.fromisoformat(_text(root, "issued")),
            authority=_text(root, "authority"),
            nodes=tuple(nodes),
        )
    except (ValueError, TypeError) as error:
        raise ValidationFailed(_("The node directory cannot be read."), code="directory_malformed") from error


def identity_build() -> bytes:
    """This node's identity: its id, URL and the organisations it serves, signed with its node key."""
    key = node_key_load()
    root = etree.Element(
        f"{{{IDENTITY_NS}}}NodeIdentity",
        nsmap={None: IDENTITY_NS},
        id=node_id(),
        url=node_url(),
        issued=timezone.now().isoformat(timespec="seconds"),
    )
    for organisation in served_organisations():
        etree.SubElement(root, f"{{{IDENTITY_NS}}}Organisation", code=organisation.code or "", name=organisation.name)
    return _sign(bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8")), key)


def identity_read(data: bytes, *, expected_fingerprint: str) -> tuple[str, list[OrganisationItem]]:
    """The node id and organisations of a node's signed identity, if signed by the expected certificate."""
    root = _verified(data, expected_fingerprint=expected_fingerprint, what=str(_("node identity")))
    if root.tag != f"{{{IDENTITY_NS}}}NodeIdentity":
        raise ValidationFailed(_("This is not a node identity."), code="directory_malformed")
    organisations = [
        OrganisationItem(code=_text(item, "code").upper(), name=_text(item, "name"))
        for item in root.iterfind(f"{{{IDENTITY_NS}}}Organisation")
    ]
    return _text(root, "id"), organisations


# --- applying ---------------------------------------------------------------------------------------------------


def authority_fingerprint() -> str:
    """The certificate the directory must be signed with: the configured authority, or this node's own."""
    configured = str(settings.EXCHANGE_DIRECTORY_AUTHORITY or "")
    return configured or node_key_load().fingerprint


def is_authority() -> bool:
    configured = str(settings.EXCHANGE_DIRECTORY_AUTHORITY or "")
    return not configured or node_key_load().fingerprint == configured


def directory_version_current() -> int:
    latest = DirectoryVersion.objects.order_by("-version").values_list("version", flat=True).first()
    return int(latest or 0)


def _check_consistent(document: DirectoryDocument) -> None:
    seen: dict[str, str] = {}
    ids = {node.node_id for node in document.nodes}
    for node in document.nodes:
        if not node.node_id or not node.url:
            raise ValidationFailed(_("A node of the directory has no id or URL."), code="directory_malformed")
        if node.mode == DeliveryMode.PULL and node.via not in ids:
            raise ValidationFailed(
                _("Node %(node)s pulls its messages but names no hub of the directory.") % {"node": node.node_id},
                code="directory_malformed",
            )
        for organisation in node.organisations:
            if organisation.code in seen and seen[organisation.code] != node.node_id:
                raise Conflict(
                    _("Organisation %(code)s is served by two nodes (%(first)s and %(second)s).")
                    % {"code": organisation.code, "first": seen[organisation.code], "second": node.node_id},
                    code="directory_code_conflict",
                )
            seen[organisation.code] = node.node_id


@transaction.atomic
def directory_apply(*, data: bytes, actor: Any) -> DirectoryVersion:
    """Accept a signed directory newer than the current one and route by it from now on (older or equal
    versions are refused: a replayed directory never rolls routing back)."""
    document = directory_read(data, expected_fingerprint=authority_fingerprint())
    _check_consistent(document)
    current = DirectoryVersion.objects.select_for_update().order_by("-version").first()
    if current is not None and document.version <= current.version:
        if current.version == document.version and bytes(current.signed) == data:
            return current
        raise Conflict(
            _("This node directory (version %(version)s) is not newer than the one in use (version %(current)s).")
            % {"version": document.version, "current": current.version},
            code="directory_not_newer",
        )
    Node.objects.all().delete()
    for item in document.nodes:
        node = Node.objects.create(
            node_id=item.node_id,
            name=item.name,
            url=item.url,
            certificate_pem=item.certificate_pem,
            certificate_sha256=pem_fingerprint(item.certificate_pem),
            is_hub=item.is_hub,
            mode=item.mode,
            via=item.via,
        )
        DirectoryEntry.objects.bulk_create(
            [
                DirectoryEntry(
                    organisation_code=organisation.code,
                    organisation_name=organisation.name,
                    node=node,
                    search_key=search_fold(f"{organisation.name} {organisation.code}"),
                )
                for organisation in item.organisations
            ]
        )
    from motcua.exchange.identity import digest

    version = DirectoryVersion.objects.create(
        version=document.version,
        issued_at=document.issued_at,
        authority=document.authority,
        signed=data,
        sha256=digest(data),
    )
    audit_record(
        action="exchange.directory_applied",
        instance=version,
        after={"version": document.version, "nodes": [node.node_id for node in document.nodes]},
        actor=actor,
    )
    logger.info("node directory version %s applied (%s nodes)", document.version, len(document.nodes))
    return version


# --- the authority ----------------------------------------------------------------------------------------------


@transaction.atomic
def directory_member_register(
    *,
    actor: Any,
    member_id: str,
    name: str,
    url: str,
    certificate_pem: str,
    is_hub: bool = False,
    mode: str = DeliveryMode.PUSH,
    via: str = "",
    organisations: Iterable[OrganisationItem] | None = None,
) -> DirectoryMember:
    """Register (or update) a node the authority publishes; its certificate is pinned here."""
    permission_require(actor, "exchange.manage_directory")
    if mode not in DeliveryMode.values:
        raise ValidationFailed(details={"mode": [str(_("Choose push or pull."))]})
    if mode == DeliveryMode.PULL and not via:
        raise ValidationFailed(details={"via": [str(_("A node that pulls its messages needs a hub."))]})
    try:
        fingerprint = pem_fingerprint(certificate_pem)
    except ValueError as error:
        raise ValidationFailed(details={"certificate": [str(_("This is not a PEM certificate."))]}) from error
    member, _created = DirectoryMember.objects.select_for_update().get_or_create(
        node_id=member_id,
        defaults={"name": name, "url": url, "certificate_pem": certificate_pem, "certificate_sha256": fingerprint},
    )
    member.name, member.url, member.certificate_pem, member.certificate_sha256 = (
        name,
        url.rstrip("/"),
        certificate_pem,
        fingerprint,
    )
    member.is_hub, member.mode, member.via, member.is_active = is_hub, mode, via, True
    if organisations is not None:
        member.organisations = [{"code": item.code, "name": item.name} for item in organisations]
    member.save()
    audit_record(
        action="exchange.directory_member_registered",
        instance=member,
        after={"node_id": member_id, "url": url, "certificate_sha256": fingerprint, "mode": mode, "via": via},
        actor=actor,
    )
    return member


@transaction.atomic
def directory_member_identity_set(*, actor: Any, member: DirectoryMember, identity: bytes) -> DirectoryMember:
    """Record the organisations a member serves, from its signed identity (checked against its pinned certificate)."""
    permission_require(actor, "exchange.manage_directory")
    member = DirectoryMember.objects.select_for_update().get(pk=member.pk)
    declared_id, organisations = identity_read(identity, expected_fingerprint=member.certificate_sha256)
    if declared_id != member.node_id:
        raise ValidationFailed(
            _("The identity names node %(declared)s, not %(member)s.")
            % {"declared": declared_id, "member": member.node_id},
            code="directory_wrong_signer",
        )
    member.organisations = [{"code": item.code, "name": item.name} for item in organisations]
    member.identity_checked_at = timezone.now()
    member.save(update_fields=["organisations", "identity_checked_at"])
    audit_record(
        action="exchange.directory_member_identity",
        instance=member,
        after={"organisations": len(organisations)},
        actor=actor,
    )
    return member


def _self_item() -> NodeItem:
    key = node_key_load()
    return NodeItem(
        node_id=node_id(),
        name=str(settings.EXCHANGE_NODE_NAME),
        url=node_url(),
        certificate_pem=key.certificate_pem(),
        is_hub=DirectoryMember.objects.filter(is_active=True).exists(),
        organisations=tuple(
            OrganisationItem(code=organisation.code or "", name=organisation.name)
            for organisation in served_organisations()
        ),
    )


@transaction.atomic
def directory_publish(*, actor: Any) -> DirectoryVersion:
    """Sign the next version of the directory (this node and its active members), apply it here and push it to
    the members after the commit. Only the authority publishes."""
    permission_require(actor, "exchange.manage_directory")
    if not is_authority():
        raise ValidationFailed(
            _("Only the directory authority publishes the node directory; this node follows another."),
            code="not_directory_authority",
        )
    items = [_self_item()]
    for member in DirectoryMember.objects.filter(is_active=True).exclude(node_id=node_id()):
        items.append(
            NodeItem(
                node_id=member.node_id,
                name=member.name,
                url=member.url,
                certificate_pem=member.certificate_pem,
                is_hub=member.is_hub,
                mode=member.mode,
                via=member.via,
                organisations=tuple(
                    OrganisationItem(code=str(item["code"]).upper(), name=str(item["name"]))
                    for item in member.organisations
                ),
            )
        )
    document = DirectoryDocument(
        version=directory_version_current() + 1, issued_at=timezone.now(), authority=node_id(), nodes=tuple(items)
    )
    _check_consistent(document)
    signed = _sign(directory_build(document), node_key_load())
    version = directory_apply(data=signed, actor=actor)

    def push() -> None:
        from motcua.exchange.tasks import directory_push_task

        try:
            directory_push_task.enqueue(version=version.version)
        except Exception:  # members also fetch it periodically
            logger.exception("could not enqueue the directory push")

    transaction.on_commit(push)
    return version


def directory_signed_current() -> bytes:
    version = DirectoryVersion.objects.order_by("-version").first()
    if version is None:
        raise NotFound(_("This node has no node directory yet."), code="directory_missing")
    return bytes(version.signed)
