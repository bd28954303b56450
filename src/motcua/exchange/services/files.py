"""Files of official documents: checked by their real content and size before they are stored."""

from __future__ import annotations

import hashlib
from typing import IO, Any

import filetype
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.utils.translation import gettext_lazy as _

from motcua.core.exceptions import ValidationFailed
from motcua.core.files import safe_name
from motcua.exchange.models import DocumentFile

PDF = "application/pdf"
# Real types accepted for attachments, with the file name extensions that may carry them.
ALLOWED_TYPES: dict[str, set[str]] = {
    PDF: {"pdf"},
    "image/jpeg": {"jpg", "jpeg"},
    "image/png": {"png"},
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {"docx"},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"xlsx"},
    "application/vnd.oasis.opendocument.text": {"odt"},
    "application/vnd.oasis.opendocument.spreadsheet": {"ods"},
}
_CHUNK = 64 * 1024


def attachment_max_bytes() -> int:
    return int(settings.EXCHANGE_ATTACHMENT_MAX_BYTES)


def _too_large() -> ValidationFailed:
    limit = attachment_max_bytes()
    return ValidationFailed(
        _("The file is larger than the %(megabytes)s MB allowed.") % {"megabytes": f"{limit / 1048576:g}"},
        code="file_too_large",
        details={"file": [str(_("The file is too large."))]},
    )


def file_check(*, content: IO[bytes], name: str, size: int | None, main: bool) -> tuple[str, str, int]:
    """Sniff the real type (the document itself must be a PDF), check the name and size: (type, sha256, size)."""
    limit = attachment_max_bytes()
    if size is not None and size > limit:
        raise _too_large()
    content.seek(0)
    head = content.read(8192)
    content.seek(0)
    kind = filetype.guess(head) if head else None
    mime = kind.mime if kind is not None else ""
    allowed = {PDF: ALLOWED_TYPES[PDF]} if main else ALLOWED_TYPES
    if mime not in allowed:
        message = (
            _("The document itself must be a PDF file.")
            if main
            else _("Only PDF, JPEG, PNG, Word, Excel and OpenDocument files are accepted.")
        )
        raise ValidationFailed(message, code="file_type_not_allowed", details={"file": [str(message)]})
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    if extension not in allowed[mime]:
        message = _("The file's name does not match its content.")
        raise ValidationFailed(message, code="file_type_mismatch", details={"file": [str(message)]})
    digest = hashlib.sha256()
    total = 0
    while chunk := content.read(_CHUNK):
        total += len(chunk)
        if total > limit:
            raise _too_large()
        digest.update(chunk)
    content.seek(0)
    return mime, digest.hexdigest(), total


def file_store(
    *,
    content: IO[bytes] | bytes,
    name: str,
    content_type: str,
    sha256: str,
    size: int,
    purpose: str,
    uploaded_by: Any = None,
    description: str = "",
    **owner: Any,
) -> DocumentFile:
    """Write the file to storage and its row (in the caller's transaction; the caller removes the stored file
    if its transaction fails, see ``stored_files_remove``)."""
    item = DocumentFile(
        purpose=purpose,
        name=safe_name(name),
        description=description[:300],
        content_type=content_type,
        size=size,
        sha256=sha256,
        uploaded_by=uploaded_by,
        **owner,
    )
    data = ContentFile(content) if isinstance(content, bytes) else File(content)
    item.file.save(item.name, data, save=False)
    item.save()
    return item


def sniffed_type(data: bytes) -> str:
    kind = filetype.guess(data[:8192]) if data else None
    return kind.mime if kind is not None else "application/octet-stream"


def stored_files_remove(items: list[DocumentFile]) -> None:
    """Remove files a failed transaction stored (its rollback cannot reach the storage)."""
    for item in items:
        name = item.file.name
        if name and item.file.storage.exists(name):
            item.file.storage.delete(name)
