"""Organisation files: reading and writing the JSON and CSV exchange formats.

JSON (``.json``): either a list of organisations or an object ``{"format": "motcua.agencies/1",
"organisations": [...]}`` (other top-level keys, such as "note", are ignored). Each organisation::

    {"code": "000.00.18.G12", "name": "Cục Thuế", "short_name": "", "abbreviation": "CT",
     "kind": "central_department", "parent_code": "000.00.00.G12", "administrative_unit_code": "",
     "address": "", "email": "", "phone": "", "website": "",
     "units": [{"code": "VP", "name": "Văn phòng", "abbreviation": "VP", "parent_code": null}]}

CSV (``.csv``, UTF-8, a header row): one row per organisation, the same columns without ``units``.

``parent_code`` is the parent's electronic code, or the word ``government`` for the Government (which has
no code); empty for a top-level body. ``kind`` is one of ``Organisation.Kind``. Reading checks only the
shape of the file; agencies.services.organisations_import checks the content, all or nothing.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Organisation
from motcua.agencies.selectors import GOVERNMENT_REFERENCE, unit_list
from motcua.agencies.services import ORGANISATION_RECORD_FIELDS, OrganisationRecord
from motcua.core.exceptions import ValidationFailed

FORMAT_NAME = "motcua.agencies/1"
SUPPORTED_EXTENSIONS = (".json", ".csv")


def file_format(path: str | Path) -> str:
    extension = Path(path).suffix.lower()
    if extension not in SUPPORTED_EXTENSIONS:
        raise ValidationFailed(_("Use a .json or .csv file."), code="unsupported_format", details={"file": [str(path)]})
    return extension[1:]


def records_from_json(text: str) -> list[OrganisationRecord]:
    try:
        content = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValidationFailed(
            _("The file is not valid JSON (line %(line)s, column %(column)s).")
            % {"line": error.lineno, "column": error.colno},
            code="unreadable_file",
        ) from error
    organisations = content.get("organisations") if isinstance(content, dict) else content
    if not isinstance(organisations, list) or not all(isinstance(item, dict) for item in organisations):
        raise ValidationFailed(
            _("The JSON file must hold a list of organisations, or an object with an “organisations” list."),
            code="unreadable_file",
        )
    return [OrganisationRecord(row=number, data=item) for number, item in enumerate(organisations, start=1)]


def records_from_csv(text: str) -> list[OrganisationRecord]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames:
        raise ValidationFailed(_("The CSV file has no header row."), code="unreadable_file")
    records = []
    for row in reader:
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue  # blank lines that spreadsheets leave at the end
        # The reader's line number is that of the row's last line; quoted values may span several lines.
        data = {(key or "").strip(): value for key, value in row.items() if key is not None}
        if None in row:
            data["(extra values)"] = row[None]  # more values than columns: reported as an unknown column
        records.append(OrganisationRecord(row=reader.line_num, data=data))
    return records


def records_read(path: str | Path) -> list[OrganisationRecord]:
    """The organisations in a .json or .csv file (the format follows the extension)."""
    kind = file_format(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ValidationFailed(
            _("The file cannot be read as UTF-8 text."), code="unreadable_file", details={"file": [str(error)]}
        ) from error
    return records_from_json(text) if kind == "json" else records_from_csv(text)


def _parent_reference(organisation: Organisation) -> str | None:
    parent = organisation.parent
    if parent is None:
        return None
    if parent.code:
        return parent.code
    return GOVERNMENT_REFERENCE if parent.kind == Organisation.Kind.GOVERNMENT else None


def organisation_export_records(*, with_units: bool = True) -> list[dict[str, Any]]:
    """Every active organisation as a record of the exchange format, parents before children."""
    records = []
    organisations = Organisation.objects.filter(is_active=True).select_related("parent").order_by("depth", "code")
    for organisation in organisations:
        record: dict[str, Any] = {
            "code": organisation.code,
            "name": organisation.name,
            "short_name": organisation.short_name,
            "abbreviation": organisation.abbreviation,
            "kind": organisation.kind,
            "parent_code": _parent_reference(organisation),
            "administrative_unit_code": organisation.administrative_unit_code,
            "address": organisation.address,
            "email": organisation.email,
            "phone": organisation.phone,
            "website": organisation.website,
        }
        if with_units:
            record["units"] = [
                {
                    "code": unit.code,
                    "name": unit.name,
                    "abbreviation": unit.abbreviation,
                    "parent_code": unit.parent.code if unit.parent else None,
                }
                for unit in unit_list(organisation=organisation).order_by("code")
            ]
        records.append(record)
    return records


def records_write(path: str | Path, records: list[dict[str, Any]]) -> None:
    """Write records in the format that the file's extension names."""
    kind = file_format(path)
    if kind == "json":
        content = {"format": FORMAT_NAME, "organisations": records}
        Path(path).write_text(json.dumps(content, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return
    # A byte-order mark lets spreadsheet programs open the Vietnamese text correctly.
    with Path(path).open("w", encoding="utf-8-sig", newline="") as csv_file:
        writer = csv.DictWriter(csv_file, fieldnames=list(ORGANISATION_RECORD_FIELDS), extrasaction="ignore")
        writer.writeheader()
        for record in records:
            writer.writerow({key: "" if value is None else value for key, value in record.items()})
