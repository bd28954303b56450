"""Reading an untrusted package as a stream: bounded, without DTDs or entities, attachments decoded to files.

The bytes are fed in chunks to lxml's parser with a *target* (the SAX-like interface): the header elements go to
a ``TreeBuilder`` (a small tree), while the text of each ``Attachment/ContentTransferEncoded`` goes, chunk by
chunk as libxml2 delivers it, to a base64 decoder that writes a temporary file and hashes it. So a 50 MB package
never holds its attachments in memory, not even once (``iterparse`` would build each attachment's text node whole
before handing it over). Every limit is checked while reading, and the first one crossed stops the parse.
"""

from __future__ import annotations

import binascii
import hashlib
import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _
from lxml import etree

from motcua.exchange.edxml.issues import FieldIssue
from motcua.exchange.edxml.limits import ParseLimits

Source = bytes | bytearray | memoryview | str | os.PathLike[str] | IO[bytes]

CHUNK_BYTES = 64 * 1024
DETECTION_BYTES = 512  # kept from each attachment's start to recognise its real type

# Markers of a DOCTYPE or an entity declaration, in the encodings an XML parser detects by itself: refused before
# the parser sees them (the parser target's doctype() refuses what a byte scan could miss).
_FORBIDDEN_MARKERS = tuple(
    marker.encode(encoding)
    for marker in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("ascii", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
)
_MARKER_OVERLAP = max(len(marker) for marker in _FORBIDDEN_MARKERS)
_BASE64_WHITESPACE = str.maketrans("", "", " \t\r\n\f\v")
# Paths name fields from the part of the package they belong to (MessageHeader/..., AttachmentEncoded/...).
_ENVELOPE_PARTS = ("edXMLEnvelope", "edXMLHeader", "edXMLBody")


class ReadAborted(Exception):
    """Reading stopped: ``issue`` says where and why; ``envelope`` is the edXMLEnvelope when it was read whole."""

    def __init__(self, issue: FieldIssue) -> None:
        super().__init__(str(issue))
        self.issue = issue
        self.envelope: etree._Element | None = None


def local_name(tag: Any) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


@dataclass
class Payload:
    """One attachment's content as read: where it was written (None when not kept), its size and SHA-256."""

    path: Path | None
    size: int
    sha256: str
    head: bytes  # the first bytes, to recognise the real type of the file
    padding_added: bool = False  # the base64 text lacked its final '=' padding


@dataclass
class ReadResult:
    root: etree._Element
    size: int
    sha256: str
    payloads: list[tuple[etree._Element, Payload]] = field(default_factory=list)
    directory: Path | None = None  # holds the decoded attachments; the caller removes it

    def payload_of(self, element: etree._Element) -> Payload | None:
        return next((payload for owner, payload in self.payloads if owner is element), None)


class _Base64Sink:
    """Decodes base64 text given in pieces (whitespace allowed anywhere) into a file, hashing and counting."""

    def __init__(self, *, path: Path | None, limit: int, where: str) -> None:
        self.where = where
        self.limit = limit
        self.path = path
        self.file: IO[bytes] | None = path.open("xb") if path is not None else None
        self.hash = hashlib.sha256()
        self.size = 0
        self.pending = ""
        self.padded = False
        self.head = b""

    def _invalid(self) -> ReadAborted:
        return ReadAborted(
            FieldIssue(self.where, "invalid_base64", _("The attachment's content is not valid base64 text."))
        )

    def feed(self, text: str) -> None:
        cleaned = text.translate(_BASE64_WHITESPACE)
        if not cleaned:
            return
        if self.padded:  # something after the final padding
            raise self._invalid()
        buffered = self.pending + cleaned
        cut = len(buffered) - len(buffered) % 4
        self.pending = buffered[cut:]
        if cut:
            self._decode(buffered[:cut])

    def _decode(self, text: str) -> None:
        try:
            data = binascii.a2b_base64(text.encode("ascii"), strict_mode=True)
        except (UnicodeEncodeError, binascii.Error) as error:
            raise self._invalid() from error
        if "=" in text:
            self.padded = True
        self.size += len(data)
        if self.size > self.limit:
            raise ReadAborted(
                FieldIssue(
                    self.where,
                    "attachment_too_large",
                    _("The attachment is larger than the %(limit)s bytes accepted.") % {"limit": f"{self.limit:,}"},
                )
            )
        if len(self.head) < DETECTION_BYTES:
            self.head += data[: DETECTION_BYTES - len(self.head)]
        self.hash.update(data)
        if self.file is not None:
            self.file.write(data)

    def finish(self) -> Payload:
        padding_added = False
        if self.pending:
            # Missing padding ("QUI" for "QUI=") is recoverable; a single character left over is not base64.
            if self.padded or len(self.pending) == 1:
                raise self._invalid()
            self._decode(self.pending + "=" * (4 - len(self.pending)))
            padding_added = True
        self.close()
        return Payload(
            path=self.path,
            size=self.size,
            sha256=self.hash.hexdigest(),
            head=self.head,
            padding_added=padding_added,
        )

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


class _Target:
    """The parser target: builds the header tree, streams attachment content, enforces the limits."""

    def __init__(self, *, limits: ParseLimits, directory: Path | None) -> None:
        self.limits = limits
        self.directory = directory
        self.builder = etree.TreeBuilder()
        self.stack: list[str] = []
        self.elements = 0
        self.text_chars = 0
        self.total_text_chars = 0
        self.attachments = 0
        self.files = 0
        self.sink: _Base64Sink | None = None
        self.payloads: list[tuple[etree._Element, Payload]] = []
        self.root_started = False
        self.aborted: ReadAborted | None = None
        self.envelope: etree._Element | None = None

    def _abort(self, issue: FieldIssue) -> ReadAborted:
        """Remember why reading stops: lxml may report the failure later, as a syntax error of its own."""
        if self.aborted is None:
            self.aborted = ReadAborted(issue)
        return self.aborted

    def _path(self, name: str = "") -> str:
        parts = self.stack[1:] + ([name] if name else [])
        while parts and parts[0] in _ENVELOPE_PARTS:
            parts = parts[1:]
        return "/".join(parts)

    def doctype(self, *_arguments: Any) -> None:
        raise self._abort(FieldIssue("", "dtd_forbidden", _("Packages with a DOCTYPE or DTD are not accepted.")))

    def start(self, tag: str, attrib: Any, nsmap: Any = None) -> None:
        self.root_started = True
        if self.sink is not None:
            raise self._abort(
                FieldIssue(self._path(), "unexpected_element", _("The attachment's content must be text only."))
            )
        self.elements += 1
        if self.elements > self.limits.max_elements:
            raise self._abort(
                FieldIssue("", "too_many_elements", _("The package has too many XML elements to be an edXML package."))
            )
        if len(self.stack) >= self.limits.max_depth:
            raise self._abort(
                FieldIssue(self._path(), "too_deep", _("The package is nested too deeply to be an edXML package."))
            )
        name = local_name(tag)
        attributes = dict(attrib)
        if len(attributes) > self.limits.max_attributes or (
            sum(len(key) + len(value) for key, value in attributes.items()) > self.limits.max_text_chars
        ):
            raise self._abort(
                FieldIssue(
                    self._path(name), "too_many_attributes", _("An element has too many or too long XML attributes.")
                )
            )
        self.builder.start(tag, attributes)
        parent = self.stack[-1] if self.stack else ""
        if name == "Attachment" and parent == "AttachmentEncoded":
            self.attachments += 1
            if self.attachments > self.limits.max_attachments:
                raise self._abort(
                    FieldIssue(
                        "AttachmentEncoded",
                        "too_many_attachments",
                        _("The package has more than %(limit)d attachments.") % {"limit": self.limits.max_attachments},
                    )
                )
        if name == "ContentTransferEncoded" and parent == "Attachment":
            self.files += 1
            path = self.directory / f"attachment-{self.files}.bin" if self.directory is not None else None
            where = f"AttachmentEncoded/Attachment[{self.attachments}]/ContentTransferEncoded"
            self.sink = _Base64Sink(path=path, limit=self.limits.max_attachment_bytes, where=where)
        self.stack.append(name)
        self.text_chars = 0

    def data(self, text: str) -> None:
        if self.sink is not None:
            try:
                self.sink.feed(text)
            except ReadAborted as aborted:
                raise self._abort(aborted.issue) from None
            return
        self.text_chars += len(text)
        self.total_text_chars += len(text)
        if self.text_chars > self.limits.max_text_chars or self.total_text_chars > self.limits.max_total_text_chars:
            raise self._abort(
                FieldIssue(self._path(), "text_too_long", _("This text is far too long for an edXML field."))
            )
        self.builder.data(text)

    def end(self, tag: str) -> etree._Element:
        name = self.stack.pop()
        element = self.builder.end(tag)
        if name == "edXMLEnvelope" and len(self.stack) <= 1:
            self.envelope = element
        if self.sink is not None:
            sink, self.sink = self.sink, None
            try:
                self.payloads.append((element, sink.finish()))
            except ReadAborted as aborted:
                raise self._abort(aborted.issue) from None
        self.text_chars = 0
        return element

    def close(self) -> etree._Element:
        if self.sink is not None:
            self.sink.close()
        return self.builder.close()


def _chunks(source: Source, limits: ParseLimits) -> Iterator[bytes]:
    if isinstance(source, bytes | bytearray | memoryview):
        view = memoryview(source)
        for start in range(0, len(view), CHUNK_BYTES):
            yield bytes(view[start : start + CHUNK_BYTES])
        return
    if isinstance(source, str | os.PathLike):
        with Path(source).open("rb") as handle:
            yield from _chunks(handle, limits)
        return
    try:
        size = os.fstat(source.fileno()).st_size
    except (AttributeError, OSError, io.UnsupportedOperation):
        size = None
    if size is not None and size > limits.max_package_bytes:
        raise _too_large(limits)
    while chunk := source.read(CHUNK_BYTES):
        yield chunk


def _too_large(limits: ParseLimits) -> ReadAborted:
    return ReadAborted(
        FieldIssue(
            "",
            "too_large",
            _("The package is larger than the %(limit)s bytes accepted.") % {"limit": f"{limits.max_package_bytes:,}"},
        )
    )


def tree_read(source: Source, *, limits: ParseLimits, keep_payloads: bool = True) -> ReadResult:
    """Read ``source`` (bytes, a path, or a binary file) into a header tree and attachment files.

    With ``keep_payloads`` the attachments are written to a new temporary directory (``ReadResult.directory``,
    which the caller removes); without, they are decoded, counted and hashed only. Raises :class:`ReadAborted`,
    after removing anything written, when the package cannot be read or crosses a limit.
    """
    directory = Path(tempfile.mkdtemp(prefix="motcua-edxml-", dir=limits.temp_dir or None)) if keep_payloads else None
    target = _Target(limits=limits, directory=directory)
    parser = etree.XMLParser(
        target=target,
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    digest = hashlib.sha256()
    size = 0
    tail = b""
    try:
        try:
            for chunk in _chunks(source, limits):
                size += len(chunk)
                if size > limits.max_package_bytes:
                    raise _too_large(limits)
                if not target.root_started:
                    window = tail + chunk
                    if any(marker in window for marker in _FORBIDDEN_MARKERS):
                        raise ReadAborted(
                            FieldIssue("", "dtd_forbidden", _("Packages with a DOCTYPE or DTD are not accepted."))
                        )
                    tail = window[-_MARKER_OVERLAP:]
                digest.update(chunk)
                parser.feed(chunk)
                if target.aborted is not None:
                    raise target.aborted
            if size == 0:
                raise ReadAborted(FieldIssue("", "empty", _("The package is empty.")))
            root = parser.close()
            if target.aborted is not None:
                raise target.aborted
        except etree.LxmlError as error:
            if target.aborted is not None:
                raise target.aborted from None
            message = getattr(error, "msg", "") or str(error)
            raise ReadAborted(
                FieldIssue("", "malformed", _("The package is not well-formed XML: %(error)s") % {"error": message})
            ) from error
        except OSError as error:
            raise ReadAborted(
                FieldIssue("", "unreadable", _("The package could not be read: %(error)s") % {"error": error})
            ) from error
        if root is None:
            raise ReadAborted(FieldIssue("", "empty", _("The package is empty.")))
    except BaseException as error:
        if isinstance(error, ReadAborted):
            error.envelope = target.envelope
        if target.sink is not None:
            target.sink.close()
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)
        raise
    return ReadResult(root=root, size=size, sha256=digest.hexdigest(), payloads=target.payloads, directory=directory)
