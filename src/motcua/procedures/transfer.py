"""Catalogue files: reading and writing the JSON and YAML exchange formats of procedures.

A file (``.json``, ``.yaml`` or ``.yml``, UTF-8) holds either a list of procedures or an object::

    {"format": "motcua.procedures/1", "note": "...", "procedures": [ <definition>, ... ]}

Each definition has exactly the fields of a published version (``procedures.content.ProcedureContent``):
code, name, field {code, name}, level, online_level, implementing_organisation_code,
receiving_organisation_codes, legal_bases, applicant_kinds, processing_hours (working hours; 8 a working
day), result_kind, result_name, result_template, components, fees, fees_refunded_on_refusal, form_fields,
workflow, plain_guide, who_can_apply, notes. Reading checks only the shape of the file;
procedures.services.procedures_import checks every definition, all or nothing. YAML is read with
``yaml.safe_load`` (no tags, no code).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import gettext_lazy as _

from motcua.core.exceptions import ValidationFailed
from motcua.procedures.models import Procedure

FORMAT_NAME = "motcua.procedures/1"
SUPPORTED_EXTENSIONS = {".json": "json", ".yaml": "yaml", ".yml": "yaml"}


def file_format(path: str | Path) -> str:
    kind = SUPPORTED_EXTENSIONS.get(Path(path).suffix.lower())
    if kind is None:
        raise ValidationFailed(
            _("Use a .json, .yaml or .yml file."), code="unsupported_format", details={"file": [str(path)]}
        )
    return kind


def definitions_parse(text: str, *, kind: str) -> list[Any]:
    """The procedure definitions in the text of a catalogue file."""
    try:
        content = json.loads(text) if kind == "json" else yaml.safe_load(text)
    except json.JSONDecodeError as error:
        raise ValidationFailed(
            _("The file is not valid JSON (line %(line)s, column %(column)s).")
            % {"line": error.lineno, "column": error.colno},
            code="unreadable_file",
        ) from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise ValidationFailed(
            _("The file is not valid YAML (line %(line)s).") % {"line": mark.line + 1 if mark else "?"},
            code="unreadable_file",
        ) from error
    procedures = content.get("procedures") if isinstance(content, dict) else content
    if not isinstance(procedures, list):
        raise ValidationFailed(
            _("The file must hold a list of procedures, or an object with a “procedures” list."),
            code="unreadable_file",
        )
    return procedures


def definitions_read(path: str | Path) -> list[Any]:
    """The procedure definitions in a .json or .yaml file (the format follows the extension)."""
    kind = file_format(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ValidationFailed(
            _("The file cannot be read as UTF-8 text."), code="unreadable_file", details={"file": [str(error)]}
        ) from error
    return definitions_parse(text, kind=kind)


def catalogue_export_definitions() -> list[dict[str, Any]]:
    """The current version of every active procedure, by code."""
    procedures = (
        Procedure.objects.filter(is_active=True, current_version__isnull=False)
        .select_related("current_version")
        .order_by("code")
    )
    return [procedure.current_version.content for procedure in procedures if procedure.current_version]


def definitions_write(path: str | Path, definitions: list[dict[str, Any]]) -> None:
    """Write definitions in the format that the file's extension names."""
    kind = file_format(path)
    content = {"format": FORMAT_NAME, "procedures": definitions}
    if kind == "json":
        text = json.dumps(content, ensure_ascii=False, indent=2) + "\n"
    else:
        text = yaml.safe_dump(content, allow_unicode=True, sort_keys=False, width=120)
    Path(path).write_text(text, encoding="utf-8")
