"""Writes of the procedure catalogue: drafts, publication of versions, deactivation, imports, demo data.

Every function here is the one door for its change (rule 1 of DESIGN.md): it checks the actor's right,
validates everything before writing, writes in one transaction and records an audit event.
Legal basis: Decree 63/2010/NĐ-CP on the control of administrative procedures (as amended) for what a
published procedure states; the internal process (quy trình nội bộ) of each procedure, whose steps add up to
the statutory processing time, per Decree 61/2018/NĐ-CP as superseded by Decree 118/2025/NĐ-CP.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Organisation
from motcua.agencies.search import search_fold
from motcua.agencies.selectors import organisation_find, unit_get
from motcua.core.audit import audit_record, snapshot
from motcua.core.exceptions import InvalidState, MotcuaError, NotFound, ValidationFailed
from motcua.core.permissions import SYSTEM, permission_require
from motcua.procedures.content import ProcedureContent
from motcua.procedures.models import Procedure, ProcedureVersion
from motcua.procedures.transfer import definitions_read

Errors = dict[str, list[str]]

CODE_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$")
DEMO_PROCEDURES_PATH = Path(__file__).resolve().parent / "data" / "demo_procedures.yaml"
# Hours are compared with a tolerance: definitions may use halves and quarters of an hour.
_HOURS_TOLERANCE = 1e-6
# Pydantic error types that only mean "not written yet": a draft may be incomplete, a published version not.
_INCOMPLETE_ERROR_TYPES = frozenset({"missing", "too_short"})
_SNAPSHOT_FIELDS = ["code", "name", "level", "online_level", "is_active", "field_code", "implementing_organisation"]


def _add_error(errors: Errors, key: str, message: Any) -> None:
    errors.setdefault(key, []).append(str(message))


def _pydantic_message(error: Mapping[str, Any]) -> Any:
    """A translated message for one pydantic error (pydantic's own messages are English only)."""
    kind = error.get("type", "")
    context = error.get("ctx") or {}
    if kind == "missing":
        return _("This information is required.")
    if kind == "extra_forbidden":
        return _("Unknown field.")
    if kind == "too_short":
        return _("Add at least one item.")
    if kind == "literal_error":
        return _("Choose one of: %(choices)s.") % {"choices": context.get("expected", "")}
    if kind in {"greater_than", "greater_than_equal"}:
        return _("The value is too small.")
    if kind == "string_pattern_mismatch":
        return _("The value does not have the expected format.")
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return _("The value has the wrong type.")
    return _("This value is not valid.")


def _error_key(location: Iterable[Any]) -> str:
    key = ""
    for part in location:
        key += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key or "__all__"


def _shape_problems(definition: Mapping[str, Any], *, complete: bool) -> tuple[ProcedureContent | None, Errors]:
    errors: Errors = {}
    try:
        return ProcedureContent.model_validate(dict(definition)), errors
    except pydantic.ValidationError as error:
        for item in error.errors():
            if not complete and item.get("type") in _INCOMPLETE_ERROR_TYPES:
                continue
            _add_error(errors, _error_key(item.get("loc", ())), _pydantic_message(item))
    return None, errors


def _duplicates(values: Iterable[str]) -> list[str]:
    return sorted(value for value, count in Counter(values).items() if count > 1)


def _format_hours(hours: float) -> str:
    return f"{hours:g}"


def _active_organisation(code: str) -> Organisation | None:
    organisation = organisation_find(reference=code) if code else None
    return organisation if organisation is not None and organisation.is_active else None


def _rule_problems(content: ProcedureContent, errors: Errors) -> None:
    """The rules a published version must follow beyond its shape."""
    steps_total = math.fsum(step.allotted_hours for step in content.workflow)
    if abs(steps_total - content.processing_hours) > _HOURS_TOLERANCE:
        _add_error(
            errors,
            "workflow",
            _(
                "The steps of the internal process add up to %(steps)s working hours, but the statutory "
                "processing time is %(statutory)s working hours; they must be equal."
            )
            % {"steps": _format_hours(steps_total), "statutory": _format_hours(content.processing_hours)},
        )
    lists = {
        "components": [component.code for component in content.components],
        "fees": [fee.code for fee in content.fees],
        "workflow": [step.code for step in content.workflow],
        "form_fields": [form_field.name for form_field in content.form_fields],
    }
    for key, values in lists.items():
        for duplicate in _duplicates(values):
            _add_error(errors, key, _("“%(code)s” appears more than once.") % {"code": duplicate})
    field_names = set(lists["form_fields"])
    for number, form_field in enumerate(content.form_fields, start=1):
        key = f"form_fields[{number}]"
        if form_field.type == "select" and not form_field.choices:
            _add_error(errors, f"{key}.choices", _("A list field needs at least one choice."))
        if form_field.show_if is None:
            continue
        target = form_field.show_if.get("field", "")
        if not target or target == form_field.name or target not in field_names:
            _add_error(
                errors,
                f"{key}.show_if",
                _("The condition must name another field of this form (“%(field)s” is not one).") % {"field": target},
            )
        if set(form_field.show_if) != {"field", "equals"}:
            _add_error(errors, f"{key}.show_if", _("The condition needs exactly “field” and “equals”."))
        checkbox_targets = {other.name for other in content.form_fields if other.type == "checkbox"}
        if target in checkbox_targets and form_field.show_if.get("equals") not in ("yes", "no"):
            # The dossier form stores a ticked box as "yes" and an unticked one as "no".
            _add_error(errors, f"{key}.show_if", _("A condition on a tick box compares with “yes” or “no”."))
    implementing = _active_organisation(content.implementing_organisation_code)
    if implementing is None:
        _add_error(
            errors,
            "implementing_organisation_code",
            _("There is no active organisation with the code %(code)s.")
            % {"code": content.implementing_organisation_code},
        )
    for number, code in enumerate(content.receiving_organisation_codes, start=1):
        if _active_organisation(code) is None:
            _add_error(
                errors,
                f"receiving_organisation_codes[{number}]",
                _("There is no active organisation with the code %(code)s.") % {"code": code},
            )
    for duplicate in _duplicates(content.receiving_organisation_codes):
        _add_error(
            errors, "receiving_organisation_codes", _("“%(code)s” appears more than once.") % {"code": duplicate}
        )
    if implementing is not None:
        for number, step in enumerate(content.workflow, start=1):
            if not step.unit_code:
                continue
            try:
                unit_get(organisation=implementing, code_or_id=step.unit_code)
            except NotFound:
                _add_error(
                    errors,
                    f"workflow[{number}].unit_code",
                    _("The implementing organisation has no unit with the code %(code)s.") % {"code": step.unit_code},
                )


def definition_problems(definition: Mapping[str, Any], *, complete: bool) -> tuple[ProcedureContent | None, Errors]:
    """Check a definition: its shape always; when ``complete`` (publishing) also every rule of a version.

    Returns the parsed content (None when the shape is wrong) and the problems by field.
    """
    content, errors = _shape_problems(definition, complete=complete)
    if complete and content is not None:
        _rule_problems(content, errors)
    return content, errors


def _definition_clean(procedure_code: str, definition: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(definition, Mapping):
        raise ValidationFailed(details={"__all__": [str(_("The definition must be an object."))]})
    cleaned = dict(definition)
    given = cleaned.get("code")
    if given not in (None, "", procedure_code):
        raise ValidationFailed(
            details={
                "code": [
                    str(_("The definition's code must be the procedure's code %(code)s.") % {"code": procedure_code})
                ]
            }
        )
    cleaned["code"] = procedure_code
    return cleaned


def _organisation_named_by(definition: Mapping[str, Any]) -> Organisation | None:
    code = definition.get("implementing_organisation_code")
    return organisation_find(reference=code) if isinstance(code, str) and code.strip() else None


def _require_change(actor: Any, procedure: Procedure, new_definition: Mapping[str, Any] | None = None) -> None:
    """The actor must manage the procedure's organisation now, and the one a new definition names."""
    current = procedure.implementing_organisation or _organisation_named_by(procedure.draft)
    permission_require(actor, "procedures.change_procedure", current)
    if new_definition is not None:
        named = _organisation_named_by(new_definition)
        if named is not None and named != current:
            permission_require(actor, "procedures.change_procedure", named)


def _search_key(name: str, code: str, field_name: str) -> str:
    return search_fold(" ".join(part for part in (name, code, field_name) if part))


def _choice(value: Any, choices: Iterable[str]) -> str:
    return value if isinstance(value, str) and value in choices else ""


@transaction.atomic
def procedure_create(*, actor: Any, code: str, definition: Mapping[str, Any]) -> Procedure:
    """Add a procedure with its first draft; it enters the public catalogue when first published."""
    code = (code or "").strip()
    organisation = _organisation_named_by(definition) if isinstance(definition, Mapping) else None
    permission_require(actor, "procedures.create_procedure", organisation)
    errors: Errors = {}
    if not CODE_PATTERN.match(code):
        _add_error(errors, "code", _("Enter the procedure's national code, for example 1.001193."))
    elif Procedure.objects.filter(code=code).exists():
        _add_error(errors, "code", _("A procedure with the code %(code)s already exists.") % {"code": code})
    if errors:
        raise ValidationFailed(details=errors)
    draft = _definition_clean(code, definition)
    content, problems = definition_problems(draft, complete=False)
    name = draft.get("name")
    if not isinstance(name, str) or not name.strip():
        _add_error(problems, "name", _("This information is required."))
    if problems:
        raise ValidationFailed(details=problems)
    assert isinstance(name, str)
    if content is not None:
        draft = content.model_dump(mode="json")
    procedure = Procedure.objects.create(
        code=code,
        name=name.strip(),
        level=_choice(draft.get("level"), Procedure.Level.values),
        online_level=_choice(draft.get("online_level"), Procedure.OnlineLevel.values),
        draft=draft,
    )
    audit_record(
        action="procedures.procedure_create",
        instance=procedure,
        after={**snapshot(procedure, _SNAPSHOT_FIELDS), "draft": draft},
        actor=actor,
    )
    return procedure


@transaction.atomic
def procedure_update_draft(*, actor: Any, procedure: Procedure, definition: Mapping[str, Any]) -> Procedure:
    """Replace the draft of a procedure; the published versions and the public catalogue are unchanged."""
    procedure = Procedure.objects.select_for_update().get(pk=procedure.pk)
    if not isinstance(definition, Mapping):
        raise ValidationFailed(details={"__all__": [str(_("The definition must be an object."))]})
    _require_change(actor, procedure, definition)
    draft = _definition_clean(procedure.code, definition)
    content, problems = definition_problems(draft, complete=False)
    if problems:
        raise ValidationFailed(details=problems)
    if content is not None:
        draft = content.model_dump(mode="json")  # complete drafts are stored normalised, as versions are
    if draft == procedure.draft:
        return procedure
    before = procedure.draft
    procedure.draft = draft
    procedure.save(update_fields=["draft", "updated_at"])
    audit_record(
        action="procedures.procedure_update_draft",
        instance=procedure,
        before={"draft": before},
        after={"draft": draft},
        actor=actor,
    )
    return procedure


@transaction.atomic
def procedure_publish(*, actor: Any, procedure: Procedure) -> ProcedureVersion:
    """Validate the whole draft and freeze it as the next version, made current; an unchanged draft
    publishes nothing and returns the current version (so publishing twice is harmless)."""
    procedure = Procedure.objects.select_for_update().get(pk=procedure.pk)
    _require_change(actor, procedure, procedure.draft)
    content, problems = definition_problems(procedure.draft, complete=True)
    if problems or content is None:
        raise ValidationFailed(
            _("The procedure cannot be published until the problems listed are corrected."),
            code="procedure_invalid",
            details=problems,
        )
    stored = content.model_dump(mode="json")
    current = procedure.current_version
    # Compared as parsed, so a version stored before an optional field was added to the contract still matches.
    if current is not None and ProcedureContent.model_validate(current.content).model_dump(mode="json") == stored:
        return current
    last_number = procedure.versions.order_by("-number").values_list("number", flat=True).first() or 0
    version = ProcedureVersion.objects.create(
        procedure=procedure, number=last_number + 1, content=stored, published_at=timezone.now()
    )
    before = snapshot(procedure, _SNAPSHOT_FIELDS)
    implementing = organisation_find(reference=content.implementing_organisation_code)
    procedure.current_version = version
    procedure.name = content.name
    procedure.level = content.level
    procedure.online_level = content.online_level
    procedure.field_code = content.field.code
    procedure.field_name = content.field.name
    procedure.implementing_organisation = implementing
    procedure.search_key = _search_key(content.name, content.code, content.field.name)
    procedure.draft = stored
    procedure.save()
    receiving = [organisation_find(reference=code) for code in content.receiving_organisation_codes]
    procedure.receiving_organisations.set([organisation for organisation in receiving if organisation is not None])
    audit_record(
        action="procedures.procedure_publish",
        instance=procedure,
        before={**before, "version": current.number if current is not None else None},
        after={**snapshot(procedure, _SNAPSHOT_FIELDS), "version": version.number},
        actor=actor,
    )
    return version


@transaction.atomic
def procedure_deactivate(*, actor: Any, procedure: Procedure) -> Procedure:
    """Withdraw a procedure from the catalogue; its versions stay, for the dossiers that refer to them."""
    procedure = Procedure.objects.select_for_update().get(pk=procedure.pk)
    _require_change(actor, procedure)
    if not procedure.is_active:
        raise InvalidState(_("This procedure is already withdrawn from the catalogue."), code="procedure_inactive")
    before = snapshot(procedure, _SNAPSHOT_FIELDS)
    procedure.is_active = False
    procedure.save(update_fields=["is_active", "updated_at"])
    audit_record(
        action="procedures.procedure_deactivate",
        instance=procedure,
        before=before,
        after=snapshot(procedure, _SNAPSHOT_FIELDS),
        actor=actor,
    )
    return procedure


# --- Catalogue imports ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportProblem:
    entry: int  # position of the procedure in the file, from 1
    code: str
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"entry": self.entry, "code": self.code, "field": self.field, "message": self.message}


@dataclass
class ImportReport:
    created: int = 0  # new procedures, published as version 1
    published: int = 0  # existing procedures whose changed definition became a new version
    unchanged: int = 0
    problems: list[ImportProblem] = field(default_factory=list)

    def add_problem(self, entry: int, code: str, field_name: str, message: Any) -> None:
        self.problems.append(ImportProblem(entry, code, field_name, str(message)))


class ImportRejected(ValidationFailed):
    """A catalogue with at least one bad entry: nothing was written; ``report.problems`` lists them all."""

    default_code = "import_rejected"
    default_message = _("The catalogue was not imported because some procedures are not valid. Nothing was changed.")

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        super().__init__(details={"entries": [problem.as_dict() for problem in report.problems]})


def _problems_from_error(report: ImportReport, entry: int, code: str, error: MotcuaError) -> None:
    details = error.details if isinstance(error.details, dict) else {}
    if not details:
        report.add_problem(entry, code, "__all__", error.message)
    for field_name, messages in details.items():
        for message in messages if isinstance(messages, list) else [messages]:
            report.add_problem(entry, code, field_name, message)


def _procedure_import(*, actor: Any, entry: int, definition: Mapping[str, Any], report: ImportReport) -> None:
    code = str(definition.get("code") or "").strip()
    existing = Procedure.objects.filter(code=code).first()
    if existing is None:
        procedure = procedure_create(actor=actor, code=code, definition=definition)
        procedure_publish(actor=actor, procedure=procedure)
        report.created += 1
        return
    current = existing.current_version
    procedure_update_draft(actor=actor, procedure=existing, definition=definition)
    version = procedure_publish(actor=actor, procedure=existing)
    if current is not None and version.pk == current.pk:
        report.unchanged += 1
    else:
        report.published += 1


@transaction.atomic
def procedures_import(*, actor: Any, definitions: Iterable[Any]) -> ImportReport:
    """Create or update procedures by code and publish them, all or nothing (the catalogue's bulk door).

    An entry identical to the current version changes nothing; a changed one becomes a new version. Every
    entry goes through procedure_create/_update_draft/_publish, so the same rules and audit apply.
    """
    permission_require(actor, "procedures.import")
    report = ImportReport()
    seen: dict[str, int] = {}
    for entry, definition in enumerate(definitions, start=1):
        if not isinstance(definition, Mapping):
            report.add_problem(entry, "", "__all__", _("Each procedure must be an object."))
            continue
        code = str(definition.get("code") or "").strip()
        if code in seen:
            report.add_problem(
                entry,
                code,
                "code",
                _("The code %(code)s also appears in entry %(entry)s.") % {"code": code, "entry": seen[code]},
            )
            continue
        seen[code] = entry
        try:
            # Each entry in its own savepoint, so that one refused entry does not hide the others' problems.
            with transaction.atomic():
                _procedure_import(actor=actor, entry=entry, definition=definition, report=report)
        except MotcuaError as error:
            _problems_from_error(report, entry, code, error)
    if report.problems:
        raise ImportRejected(report)  # rolls back every entry written above, and their audit events
    return report


def procedures_load_demo(*, actor: Any = None) -> ImportReport:
    """Load the demo catalogue (data/demo_procedures.yaml, needs the demo agencies); safe to run again."""
    return procedures_import(
        actor=actor if actor is not None else SYSTEM, definitions=definitions_read(DEMO_PROCEDURES_PATH)
    )
