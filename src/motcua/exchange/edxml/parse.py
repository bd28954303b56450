"""Parsing packages and status packages: accepted with warnings, or refused with a reason per field.

A refused package leaves nothing behind: the attachments decoded so far are removed before
:class:`PackageRefused` is raised. An accepted one keeps its attachments in a temporary directory until
:meth:`ParsedPackage.close` (or the end of a ``with`` block, or garbage collection).
"""

from __future__ import annotations

import logging
import re
import shutil
import unicodedata
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import filetype
from django.utils.translation import gettext as _

from motcua.exchange.edxml import codes
from motcua.exchange.edxml.fields import Context, Node, read_text
from motcua.exchange.edxml.header import message_header_read, status_read, trace_read
from motcua.exchange.edxml.interpret import (
    DS_NAMESPACE,
    PACKAGE,
    STATUS,
    Structure,
    content_id_normalise,
    reference_salvage,
    structure_locate,
    xlink_href,
)
from motcua.exchange.edxml.issues import FieldIssue, IssueCollector, PackageRefused, RefusedReference
from motcua.exchange.edxml.limits import ParseLimits
from motcua.exchange.edxml.model import Attachment, MessageHeader, Package, StatusMessage, TraceHeaderList
from motcua.exchange.edxml.reader import ReadAborted, ReadResult, Source, local_name, tree_read

logger = logging.getLogger("motcua.exchange.edxml")

RecipientCheck = Callable[[str], bool]

_CONTENT_TYPE = re.compile(r"^[A-Za-z0-9][\w.+-]*/[A-Za-z0-9][\w.+-]*(\s*;.*)?$")


@dataclass
class ParsedAttachment:
    """One attachment as received: its manifest entry, its decoded size and SHA-256, and where its bytes are.

    ``detected_content_type`` is what the bytes themselves look like (empty when not recognised); the declared
    ``content_type`` is the sender's word only.
    """

    content_id: str
    name: str
    content_type: str
    description: str
    size: int
    sha256: str
    path: Path | None
    detected_content_type: str = ""

    def open(self) -> IO[bytes]:
        if self.path is None:
            raise FileNotFoundError("This attachment was checked but not kept.")
        return self.path.open("rb")

    def read_bytes(self) -> bytes:
        with self.open() as handle:
            return handle.read()

    def as_attachment(self) -> Attachment:
        """The same file, to put in a package that is built (forwarding, round trips)."""
        if self.path is None:
            raise FileNotFoundError("This attachment was checked but not kept.")
        return Attachment(
            name=self.name,
            content=self.path,
            content_type=self.content_type,
            description=self.description,
            content_id=self.content_id,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "content_id": self.content_id,
            "name": self.name,
            "content_type": self.content_type,
            "detected_content_type": self.detected_content_type,
            "description": self.description,
            "size": self.size,
            "sha256": self.sha256,
        }


class _Owned:
    """A temporary directory removed on close, at the end of a ``with`` block, or when garbage collected."""

    directory: Path | None

    def _own(self, directory: Path | None) -> None:
        self.directory = directory
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(directory), True) if directory else None

    def close(self) -> None:
        """Remove the decoded attachments (copy what you keep first)."""
        if self._finalizer is not None:
            self._finalizer()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


@dataclass
class ParsedPackage(_Owned):
    """An accepted document package."""

    header: MessageHeader
    trace: TraceHeaderList
    attachments: list[ParsedAttachment]
    warnings: list[FieldIssue]
    signed: bool  # carries an XML-DSig signature (check it with package_verify)
    size: int
    sha256: str
    directory: Path | None = None
    kind: str = field(default=PACKAGE, init=False)

    def __post_init__(self) -> None:
        self._own(self.directory)

    def package(self) -> Package:
        """The package as a model again, its attachments read from the decoded files (to forward or rebuild it)."""
        return Package(
            header=self.header,
            trace=self.trace,
            attachments=tuple(attachment.as_attachment() for attachment in self.attachments),
        )

    def as_dict(self) -> dict[str, Any]:
        from motcua.exchange.edxml.serialise import jsonable

        return {
            "kind": self.kind,
            "size": self.size,
            "sha256": self.sha256,
            "signed": self.signed,
            "header": jsonable(self.header),
            "trace": jsonable(self.trace),
            "attachments": [attachment.as_dict() for attachment in self.attachments],
            "warnings": [issue.as_dict() for issue in self.warnings],
        }


@dataclass
class ParsedStatus:
    """An accepted status package."""

    status: StatusMessage
    warnings: list[FieldIssue]
    signed: bool
    size: int
    sha256: str
    trace: TraceHeaderList | None = None
    kind: str = field(default=STATUS, init=False)

    def close(self) -> None:
        """Nothing to remove (a status has no attachments); here so that both results are closed alike."""

    def __enter__(self) -> ParsedStatus:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def as_dict(self) -> dict[str, Any]:
        from motcua.exchange.edxml.serialise import jsonable

        return {
            "kind": self.kind,
            "size": self.size,
            "sha256": self.sha256,
            "signed": self.signed,
            "status": jsonable(self.status),
            "trace": jsonable(self.trace) if self.trace is not None else None,
            "warnings": [issue.as_dict() for issue in self.warnings],
        }


def package_parse(
    source: Source,
    *,
    limits: ParseLimits | None = None,
    strict: bool = False,
    recipient_exists: RecipientCheck | None = None,
) -> ParsedPackage:
    """Read a document package (bytes, a path or a binary file); :class:`PackageRefused` when it cannot be accepted.

    ``strict`` turns every warning into an error. ``recipient_exists(code)`` says whether a To/OrganId is known
    here; an unknown recipient is then an error. The signature is not checked here: see ``package_verify``.
    """
    parsed = edxml_parse(source, limits=limits, strict=strict, recipient_exists=recipient_exists, expected=PACKAGE)
    assert isinstance(parsed, ParsedPackage)
    return parsed


def status_parse(source: Source, *, limits: ParseLimits | None = None, strict: bool = False) -> ParsedStatus:
    """Read a status package; :class:`PackageRefused` when it cannot be accepted."""
    parsed = edxml_parse(source, limits=limits, strict=strict, expected=STATUS)
    assert isinstance(parsed, ParsedStatus)
    return parsed


def edxml_parse(
    source: Source,
    *,
    limits: ParseLimits | None = None,
    strict: bool = False,
    recipient_exists: RecipientCheck | None = None,
    expected: str | None = None,
    keep_attachments: bool = True,
) -> ParsedPackage | ParsedStatus:
    """Read a document package or a status package, whichever it is (``expected`` may insist on one kind).

    ``keep_attachments=False`` decodes and hashes the attachments without writing them anywhere (checking only).
    """
    limits = limits or ParseLimits.from_settings()
    try:
        read = tree_read(source, limits=limits, keep_payloads=keep_attachments)
    except ReadAborted as aborted:
        _refusal_log([aborted.issue], size=None)
        reference = RefusedReference()
        if aborted.envelope is not None:  # the header was read before an attachment failed: answer with a 02
            reference = reference_salvage(structure_locate(aborted.envelope, Context(issues=IssueCollector())))
        raise PackageRefused(errors=[aborted.issue], reference=reference) from None
    context = Context(issues=IssueCollector(strict=strict))
    structure: Structure | None = None
    try:
        structure = structure_locate(read.root, context)
        result = _interpret(structure, read, context, expected=expected, recipient_exists=recipient_exists)
    except BaseException:
        _discard(read)
        raise
    issues = context.issues
    if result is None or issues.errors:
        _discard(read)
        _refusal_log(issues.errors, size=read.size, sha256=read.sha256)
        raise PackageRefused(errors=issues.errors, warnings=issues.warnings, reference=reference_salvage(structure))
    if issues.warnings:
        logger.info(
            "edXML package accepted with %d warning(s): %s",
            len(issues.warnings),
            ", ".join(sorted({issue.code for issue in issues.warnings})),
            extra={"sha256": read.sha256, "size": read.size},
        )
    return result


def _discard(read: ReadResult) -> None:
    if read.directory is not None:
        shutil.rmtree(read.directory, ignore_errors=True)


def _refusal_log(errors: list[FieldIssue], *, size: int | None, sha256: str = "") -> None:
    logger.warning(
        "edXML package refused: %s",
        "; ".join(f"{issue.path or '-'} {issue.code}" for issue in errors[:20]),
        extra={"sha256": sha256, "size": size, "errors": len(errors)},
    )


def _interpret(
    structure: Structure | None,
    read: ReadResult,
    context: Context,
    *,
    expected: str | None,
    recipient_exists: RecipientCheck | None,
) -> ParsedPackage | ParsedStatus | None:
    issues = context.issues
    if structure is None:
        return None
    if expected is not None and structure.kind != expected:
        issues.error(
            "MessageHeader",
            "wrong_kind",
            _("A status package was expected, not a document package.")
            if expected == STATUS
            else _("A document package was expected, not a status package."),
        )
        return None
    for signature in structure.signatures:
        parent = signature.getparent()
        if parent is None or local_name(parent.tag) not in ("edXMLHeader", "Header"):
            issues.warn(
                "Signature",
                "signature_misplaced",
                _("A signature was found outside the edXML header, where the standard puts it."),
            )
    signed = bool(structure.signatures)
    if structure.message is None:
        return None
    if structure.kind == STATUS:
        status = status_read(structure.message)
        trace = trace_read(structure.header) if structure.header.has("TraceHeaderList") else None
        if read.payloads or structure.attachments is not None:
            issues.warn(
                "AttachmentEncoded", "unexpected_attachments", _("A status package carries no attachments; ignored.")
            )
        return ParsedStatus(
            status=status, warnings=issues.warnings, signed=signed, size=read.size, sha256=read.sha256, trace=trace
        )
    header = message_header_read(structure.message, recipient_exists=recipient_exists)
    trace = trace_read(structure.header)
    attachments = _attachments_join(structure, read, context)
    return ParsedPackage(
        header=header,
        trace=trace,
        attachments=attachments,
        warnings=issues.warnings,
        signed=signed,
        size=read.size,
        sha256=read.sha256,
        directory=read.directory,
    )


@dataclass
class _Entry:
    node: Node
    content_id: str
    name: str
    content_type: str
    description: str


def _entry_read(node: Node, *, manifest: bool) -> _Entry:
    fields = ["ContentId", "ContentType", "Description", "AttachmentName"]
    node.expect([*fields, "ContentTransferEncoded"] if not manifest else fields)
    content_id = read_text(node, "ContentId", max_length=codes.SHORT_TEXT_MAX, identifier=True)
    if manifest:
        href = xlink_href(node.element)
        if href and content_id and content_id_normalise(href) != content_id_normalise(content_id):
            node.issues.error(
                node.sub("ContentId"),
                "content_id_conflict",
                _("The reference's ContentId and its xlink:href name different attachments."),
            )
        content_id = content_id or href
    if not content_id:
        node.issues.error(node.sub("ContentId"), "required", _("This element is required."))
    return _Entry(
        node=node,
        content_id=content_id_normalise(content_id),
        name=read_text(node, "AttachmentName", max_length=codes.ATTACHMENT_NAME_MAX * 4),
        content_type=read_text(node, "ContentType", max_length=codes.SHORT_TEXT_MAX, identifier=True),
        description=read_text(node, "Description", max_length=codes.TEXT_MAX),
    )


def _attachments_join(structure: Structure, read: ReadResult, context: Context) -> list[ParsedAttachment]:
    """The manifest's references joined with the encoded attachments by content id."""
    issues = context.issues
    manifest = structure.body.child("edXMLManifest") if structure.body is not None else None
    references: list[_Entry] = []
    if manifest is not None:
        manifest.path = "edXMLManifest"
        manifest.expect(["Reference"])
        references = [_entry_read(node, manifest=True) for node in manifest.children("Reference")]
    encoded: list[tuple[_Entry, Any]] = []
    if structure.attachments is not None:
        structure.attachments.expect(["Attachment"])
        for node in structure.attachments.children("Attachment"):
            entry = _entry_read(node, manifest=False)
            content = node.child("ContentTransferEncoded", required=True)
            payload = read.payload_of(content.element) if content is not None else None
            if content is not None and payload is not None and payload.padding_added:
                issues.warn(content.path, "base64_padding", _("The base64 text lacked its final padding; added."))
            encoded.append((entry, payload))
    if encoded and manifest is None:
        issues.warn(
            "edXMLManifest", "missing_optional", _("The manifest is missing; the attachments describe themselves.")
        )
    _duplicates_check(list(references), issues)
    _duplicates_check([entry for entry, _payload in encoded], issues)
    by_id = {entry.content_id: (entry, payload) for entry, payload in reversed(encoded) if entry.content_id}
    result: list[ParsedAttachment] = []
    used: set[str] = set()
    for reference in references or [entry for entry, _payload in encoded]:
        match = by_id.get(reference.content_id)
        if match is None:
            if reference.content_id:
                issues.error(
                    reference.node.path,
                    "missing_content",
                    _("The manifest names the attachment %(id)s, but the package does not carry it.")
                    % {"id": reference.content_id},
                )
            continue
        used.add(reference.content_id)
        entry, payload = match
        if payload is None:
            continue
        result.append(_attachment_make(reference, entry, payload, index=len(result) + 1, issues=issues))
    for entry, payload in encoded:
        if references and entry.content_id and entry.content_id not in used:
            issues.warn(
                entry.node.path,
                "not_in_manifest",
                _("This attachment is not listed in the manifest; it was kept all the same."),
            )
            if payload is not None:
                result.append(_attachment_make(entry, entry, payload, index=len(result) + 1, issues=issues))
    if not result and not issues.errors:
        issues.warn("AttachmentEncoded", "no_attachments", _("The package carries no attachment."))
    return result


def _duplicates_check(entries: list[_Entry], issues: IssueCollector) -> None:
    seen: set[str] = set()
    for entry in entries:
        if entry.content_id and entry.content_id in seen:
            issues.error(
                entry.node.sub("ContentId"),
                "duplicate_content_id",
                _("Two attachments have the content id %(id)s.") % {"id": entry.content_id},
            )
        seen.add(entry.content_id)


def _attachment_make(
    reference: _Entry, encoded: _Entry, payload: Any, *, index: int, issues: IssueCollector
) -> ParsedAttachment:
    raw_name = reference.name or encoded.name
    name = attachment_name_clean(raw_name) or f"attachment-{index}"
    if name != raw_name:
        issues.warn(
            reference.node.sub("AttachmentName"),
            "name_cleaned",
            _("The attachment's name “%(raw)s” was kept as “%(name)s”.") % {"raw": raw_name[:100], "name": name},
        )
    content_type = reference.content_type or encoded.content_type
    if not content_type:
        issues.warn(
            reference.node.sub("ContentType"), "missing_optional", _("The attachment's content type is not given.")
        )
        content_type = "application/octet-stream"
    elif not _CONTENT_TYPE.match(content_type):
        issues.warn(
            reference.node.sub("ContentType"),
            "invalid_content_type",
            _("“%(value)s” is not a content type; application/octet-stream was used.") % {"value": content_type},
        )
        content_type = "application/octet-stream"
    kind = filetype.guess(payload.head) if payload.head else None
    return ParsedAttachment(
        content_id=reference.content_id,
        name=name,
        content_type=content_type,
        description=reference.description or encoded.description,
        size=payload.size,
        sha256=payload.sha256,
        path=payload.path,
        detected_content_type=kind.mime if kind is not None else "",
    )


def attachment_name_clean(name: str) -> str:
    """A file name safe to show and store: no folders, no control characters, at most 255 characters."""
    text = unicodedata.normalize("NFC", name)
    text = re.split(r"[/\\]", text)[-1]
    text = "".join(character for character in text if unicodedata.category(character)[0] != "C")
    text = text.strip().strip(".").strip()
    if len(text) > codes.ATTACHMENT_NAME_MAX:
        stem, dot, extension = text.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            text = stem[: codes.ATTACHMENT_NAME_MAX - len(extension) - 1] + "." + extension
        else:
            text = text[: codes.ATTACHMENT_NAME_MAX]
    return text


__all__ = [
    "DS_NAMESPACE",
    "ParsedAttachment",
    "ParsedPackage",
    "ParsedStatus",
    "attachment_name_clean",
    "edxml_parse",
    "package_parse",
    "status_parse",
]
