"""The result document (văn bản kết quả) of an approved dossier, produced from the procedure's template.

When the leader approves (``dossier_approve``), the procedure version's ``result_template`` is filled with
the form data and the dossier's own values, laid out as a Decree 30/2020 administrative document by
``documents.render_result`` (issuing agency: the processing organisation) and stored as the dossier's result
file with ``dossier_result_file_attach``; it is then ready to be signed, and the applicant downloads it once
the result is returned online.

Placeholders are ``{{ name }}``: any field of the application form, or ``code``, ``number``,
``applicant_name``, ``applicant_identifier``, ``applicant_address``, ``procedure_name``, ``procedure_code``,
``organisation``, ``result_name``, ``received_date``, ``approved_date``. Substitution is strict and plain
text (no template language, no escaping): ``result_template_placeholders_unknown`` lists the names a
template uses that are neither, for a publishing check; at approval an unknown name is printed as a blank
to fill (……) and logged, never a crash.

Document number: ``{dossier code}/{abbreviation of the processing organisation}``, e.g.
``000.00.20.H49-260302-0007/STP``. The dossier code is unique, so the number is unique per agency and year
without a counter of its own (a yearly sequence needs a counter table: see the lead's notes).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import re
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from motcua.core.permissions import SYSTEM
from motcua.dossiers.catalogue import procedure_content
from motcua.dossiers.documents import PlacedResult, ResultContext, render_result_placed
from motcua.dossiers.documents_mapping import agency_of
from motcua.dossiers.models import Dossier, DossierFile, DossierStatus
from motcua.dossiers.services.results import dossier_result_file_attach
from motcua.dossiers.workflow import Action
from motcua.signatures.models import IssuedDocument
from motcua.signatures.registry import (
    issued_document_file_set,
    issued_document_register,
    issued_document_verification_url,
)

logger = logging.getLogger(__name__)

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
BLANK = "……"
DOSSIER_PLACEHOLDERS = (
    "code",
    "number",
    "applicant_name",
    "applicant_identifier",
    "applicant_address",
    "procedure_name",
    "procedure_code",
    "organisation",
    "result_name",
    "received_date",
    "approved_date",
)
DEFAULT_TITLE = "KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"


def result_template_placeholders_unknown(*, template: str, form_field_names: Iterable[str]) -> list[str]:
    """Names used in ``template`` that neither the form nor the dossier provides (empty when valid)."""
    known = set(form_field_names) | set(DOSSIER_PLACEHOLDERS)
    unknown: list[str] = []
    for name in PLACEHOLDER.findall(template or ""):
        if name not in known and name not in unknown:
            unknown.append(name)
    return unknown


def result_document_number(dossier: Dossier) -> str:
    """Number and notation of the result document: unique because the dossier code is."""
    abbreviation = dossier.processing_organisation.abbreviation or "KQ"
    return f"{dossier.code}/{abbreviation}"


def _date(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%d/%m/%Y")
    if isinstance(value, str) and value:
        try:
            return timezone.localtime(dt.datetime.fromisoformat(value)).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return ""


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if value is None:
        return ""
    text = str(value)
    # Dates of the form (YYYY-MM-DD) print as Vietnamese dates.
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return dt.date.fromisoformat(text).strftime("%d/%m/%Y")
        except ValueError:
            return text
    return text


def result_placeholder_values(dossier: Dossier) -> dict[str, str]:
    """Every value a result template may name, as printed text."""
    content = procedure_content(dossier.procedure_version)
    values: dict[str, str] = {}
    choices = {field.name: {choice.code: choice.name for choice in field.choices} for field in content.form_fields}
    for name, value in (dossier.form_data or {}).items():
        labels = choices.get(name) or {}
        values[name] = labels.get(str(value), _text(value))
    values.update(
        {
            "code": dossier.code,
            "number": result_document_number(dossier),
            "applicant_name": dossier.applicant_name,
            "applicant_identifier": dossier.applicant_identifier,
            "applicant_address": dossier.applicant_address,
            "procedure_name": content.name,
            "procedure_code": content.code,
            "organisation": dossier.processing_organisation.name,
            "result_name": content.result_name,
            "received_date": _date(dossier.received_at),
            "approved_date": _date((dossier.result or {}).get("approved_at") or dossier.finished_at),
        }
    )
    return values


def result_text_fill(*, template: str, values: dict[str, str]) -> tuple[str, list[str]]:
    """The template with every ``{{ name }}`` replaced; unknown names become a blank. (text, unknown names)"""
    unknown: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values:
            return values[name]
        if name not in unknown:
            unknown.append(name)
        return BLANK

    return PLACEHOLDER.sub(replace, template or ""), unknown


def result_document_render(dossier: Dossier, *, issued: IssuedDocument | None = None) -> PlacedResult:
    """The PDF of the result document of an approved dossier (with the QR code and short code of ``issued``)."""
    content = procedure_content(dossier.procedure_version)
    values = result_placeholder_values(dossier)
    template = str((dossier.result or {}).get("template") or content.result_template)
    if template.strip():
        text, unknown = result_text_fill(template=template, values=values)
        if unknown:
            logger.warning(
                "result template names unknown placeholders", extra={"dossier": dossier.code, "unknown": unknown}
            )
    else:
        text = (
            f"{content.name} của {dossier.applicant_name} (mã hồ sơ {dossier.code}) "
            f"đã được {dossier.processing_organisation.name} giải quyết."
        )
    body = [paragraph.strip() for paragraph in re.split(r"\n\s*\n|\n", text) if paragraph.strip()]
    result = dossier.result or {}
    approved_at = result.get("approved_at")
    issued_at = dossier.finished_at or timezone.now()
    if isinstance(approved_at, str) and approved_at:
        with contextlib.suppress(ValueError):
            issued_at = dt.datetime.fromisoformat(approved_at)
    context = ResultContext(
        agency=agency_of(dossier.processing_organisation),
        document_number=result_document_number(dossier),
        title=(content.result_name or DEFAULT_TITLE).upper(),
        body=tuple(body),
        signer_position=str(result.get("approved_by_title") or "Thủ trưởng cơ quan"),
        signer_name=str(result.get("approved_by") or ""),
        issued_at=issued_at,
        subject=f"Giải quyết hồ sơ {dossier.code}",
        recipients=(dossier.applicant_name, "Lưu: VT"),
        dossier_code=dossier.code,
        verification_url=_verification_url(issued),
        verification_code=issued.short_code if issued is not None else "",
    )
    return render_result_placed(context)


def _verification_url(issued: IssuedDocument | None) -> str:
    return issued_document_verification_url(document=issued) if issued is not None else ""


def result_file_name(dossier: Dossier) -> str:
    return f"ket-qua-{dossier.code}.pdf"


@transaction.atomic
def dossier_result_document_issue(*, dossier: Dossier, actor: Any = SYSTEM) -> DossierFile | None:
    """Produce and attach the result document of a finished dossier, once (None if already there); it is
    registered as an issued document whose QR code and short code lead to its public verification page."""
    dossier = Dossier.objects.select_related(
        "procedure_version", "processing_organisation", "receiving_organisation"
    ).get(pk=dossier.pk)
    if dossier.status != DossierStatus.FINISHED:
        return None
    if DossierFile.objects.filter(dossier=dossier, purpose=DossierFile.Purpose.RESULT).exists():
        return None
    content = procedure_content(dossier.procedure_version)
    organisation = dossier.processing_organisation
    issued = issued_document_register(
        title=content.result_name or DEFAULT_TITLE.capitalize(),
        number=result_document_number(dossier),
        reference=dossier.code,
        organisation_code=organisation.code or "",
        organisation_name=organisation.name,
        issued_at=dossier.finished_at,
        actor=actor,
    )
    placed = result_document_render(dossier, issued=issued)
    issued_document_file_set(document=issued, data=placed.pdf, actor=actor)
    return dossier_result_file_attach(
        actor=actor,
        dossier=dossier,
        content=io.BytesIO(placed.pdf),
        name=result_file_name(dossier),
        size=len(placed.pdf),
        result_details={
            "issued_document": issued.short_code,
            "signer_box": list(placed.signer_box) if placed.signer_box else None,
            "seal_box": list(placed.seal_box) if placed.seal_box else None,
            "signatures": [],
        },
    )


def result_document_on_approve(dossier_id: uuid.UUID, event_kind: str) -> None:
    """``dossiers.events`` subscriber: issue the result document after an approval commits."""
    if event_kind != Action.APPROVE:
        return
    dossier = Dossier.objects.filter(pk=dossier_id).first()
    if dossier is not None:
        dossier_result_document_issue(dossier=dossier)
