"""Writes of the agency directory: organisations, units, staff positions, imports and demo data.

Every function here is the one door for its change (rule 1 of DESIGN.md): it checks the actor's right
first, validates everything before writing, writes in one transaction and records an audit event.
Legal basis of the directory: electronic codes of state bodies per Decision 20/2020/QĐ-TTg (amended by
Decision 09/2025/QĐ-TTg) and QCVN 102:2016/BTTTT.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Organisation, Position, Role, Unit
from motcua.agencies.rules import PRIVILEGED_ROLES, SYSTEM_ACTOR
from motcua.agencies.search import search_fold
from motcua.agencies.selectors import GOVERNMENT_REFERENCE, organisation_find
from motcua.core.audit import audit_record, snapshot
from motcua.core.codes import OrganisationCode, organisation_code_parse
from motcua.core.exceptions import Conflict, InvalidState, MotcuaError, NotFound, ValidationFailed, validation_details
from motcua.core.permissions import permission_require

Errors = dict[str, list[str]]

# Fields that organisation_update accepts; path, depth and search_key follow from them.
ORGANISATION_UPDATABLE_FIELDS = frozenset(
    {
        "code",
        "name",
        "short_name",
        "abbreviation",
        "kind",
        "parent",
        "administrative_unit_code",
        "address",
        "email",
        "phone",
        "website",
    }
)
UNIT_UPDATABLE_FIELDS = frozenset({"code", "name", "abbreviation", "parent", "is_active"})
_TEXT_FIELDS = (
    "name",
    "short_name",
    "abbreviation",
    "administrative_unit_code",
    "address",
    "email",
    "phone",
    "website",
)
_PATH_MAX_LENGTH = Organisation._meta.get_field("path").max_length or 1000


def _add_error(errors: Errors, field_name: str, message: Any) -> None:
    errors.setdefault(field_name, []).append(str(message))


def _raise_if_any(errors: Errors) -> None:
    if errors:
        raise ValidationFailed(details=errors)


def _normalise_code(value: str | None) -> str | None:
    text = (value or "").strip().upper()
    return text or None


def _organisation_search_key(organisation: Organisation) -> str:
    parts = [organisation.name, organisation.short_name, organisation.abbreviation, organisation.code or ""]
    return search_fold(" ".join(part for part in parts if part))


def _place_under(organisation: Organisation, parent: Organisation | None) -> None:
    organisation.parent = parent
    organisation.path = f"{parent.path}{parent.pk}/" if parent is not None else "/"
    organisation.depth = parent.depth + 1 if parent is not None else 0


def _parent_lock(parent: Organisation | None, errors: Errors) -> Organisation | None:
    """The parent as stored now (locked, so it cannot be moved or deactivated under us)."""
    if parent is None:
        return None
    stored = Organisation.objects.select_for_update().filter(pk=parent.pk).first()
    if stored is None:
        _add_error(errors, "parent", _("The parent organisation does not exist."))
    elif not stored.is_active:
        _add_error(errors, "parent", _("The parent organisation is no longer active."))
    return stored


def _parsed_code(code: str | None) -> OrganisationCode | None:
    if not code:
        return None
    try:
        return organisation_code_parse(code)
    except ValidationError:
        return None


def _organisation_validate(organisation: Organisation, errors: Errors) -> None:
    """Collect every problem of an organisation about to be saved (codes, family, uniqueness, fields)."""
    try:
        organisation.full_clean(
            exclude=["code", "parent", "path", "depth", "search_key"], validate_unique=False, validate_constraints=False
        )
    except ValidationError as error:
        for field_name, messages in validation_details(error).items():
            for message in messages:
                _add_error(errors, field_name, message)

    is_government = organisation.kind == Organisation.Kind.GOVERNMENT
    if is_government:
        other_government = Organisation.objects.filter(kind=Organisation.Kind.GOVERNMENT).exclude(pk=organisation.pk)
        if other_government.exists():
            _add_error(errors, "kind", _("The Government is already in the directory."))

    code = organisation.code
    if not code:
        if not is_government:
            _add_error(errors, "code", _("Every organisation except the Government needs an electronic code."))
        return
    try:
        own_code = organisation_code_parse(code)
    except ValidationError as error:
        for message in error.messages:
            _add_error(errors, "code", message)
        return
    if Organisation.objects.filter(code=code).exclude(pk=organisation.pk).exists():
        _add_error(errors, "code", _("Another organisation already has the code %(code)s.") % {"code": code})

    parent = organisation.parent
    parent_code = _parsed_code(parent.code) if parent is not None else None
    # Within one level-1 family (the same ministry or province) codes are hierarchical: a body's code
    # extends its parent's code one level deeper or more (Decision 20/2020/QĐ-TTg, Article 4).
    if parent_code is not None and parent_code.level1 == own_code.level1 and not parent_code.is_ancestor_of(own_code):
        _add_error(
            errors,
            "code",
            _("The code of a body under %(parent)s must extend the parent's code %(parent_code)s at a deeper level.")
            % {"parent": parent.name if parent else "", "parent_code": str(parent_code)},
        )
    if organisation.pk is not None and not organisation._state.adding:
        for child in Organisation.objects.filter(parent_id=organisation.pk, is_active=True).exclude(code=None):
            child_code = _parsed_code(child.code)
            if child_code and child_code.level1 == own_code.level1 and not own_code.is_ancestor_of(child_code):
                _add_error(
                    errors,
                    "code",
                    _("The code of %(child)s (%(child_code)s) would no longer extend this code.")
                    % {"child": child.name, "child_code": child.code},
                )


def _organisation_save(organisation: Organisation) -> None:
    # The checks above run before writing; the constraints catch a concurrent writer that got there first.
    try:
        with transaction.atomic():
            organisation.save()
    except IntegrityError as error:
        if (
            organisation.code
            and Organisation.objects.filter(code=organisation.code).exclude(pk=organisation.pk).exists()
        ):
            raise ValidationFailed(
                details={
                    "code": [
                        str(_("Another organisation already has the code %(code)s.") % {"code": organisation.code})
                    ]
                }
            ) from error
        raise Conflict() from error


def _organisation_locked(organisation: Organisation) -> Organisation:
    locked = Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    if locked is None:
        raise NotFound(_("There is no organisation with this code."))
    return locked


@transaction.atomic
def organisation_create(
    *,
    actor: Any,
    name: str,
    kind: str,
    code: str | None = None,
    parent: Organisation | None = None,
    short_name: str = "",
    abbreviation: str = "",
    administrative_unit_code: str = "",
    address: str = "",
    email: str = "",
    phone: str = "",
    website: str = "",
) -> Organisation:
    """Register a state body with its electronic code (Decision 20/2020/QĐ-TTg; QCVN 102:2016/BTTTT)."""
    permission_require(actor, "agencies.create_organisation", parent)
    errors: Errors = {}
    organisation = Organisation(
        code=_normalise_code(code),
        name=name.strip(),
        short_name=short_name.strip(),
        abbreviation=abbreviation.strip(),
        kind=kind,
        administrative_unit_code=administrative_unit_code.strip(),
        address=address.strip(),
        email=email.strip(),
        phone=phone.strip(),
        website=website.strip(),
    )
    _place_under(organisation, _parent_lock(parent, errors))
    _organisation_validate(organisation, errors)
    if len(organisation.path) > _PATH_MAX_LENGTH:
        _add_error(errors, "parent", _("The hierarchy is too deep."))
    _raise_if_any(errors)
    organisation.search_key = _organisation_search_key(organisation)
    _organisation_save(organisation)
    audit_record(
        action="agencies.organisation_create", instance=organisation, after=snapshot(organisation), actor=actor
    )
    return organisation


@transaction.atomic
def organisation_update(*, actor: Any, organisation: Organisation, data: Mapping[str, Any]) -> Organisation:
    """Change an organisation's details or move it (with its whole subtree) under another parent."""
    permission_require(actor, "agencies.change_organisation", organisation)
    errors: Errors = {}
    for unknown in sorted(set(data) - ORGANISATION_UPDATABLE_FIELDS):
        _add_error(errors, unknown, _("This field cannot be changed here."))
    _raise_if_any(errors)

    stored = _organisation_locked(organisation)
    before = snapshot(stored)
    old_path = stored.path
    for field_name in _TEXT_FIELDS:
        if field_name in data:
            setattr(stored, field_name, (data[field_name] or "").strip())
    if "code" in data:
        stored.code = _normalise_code(data["code"])
    if "kind" in data:
        stored.kind = data["kind"]

    if "parent" in data and getattr(data["parent"], "pk", None) != stored.parent_id:
        new_parent = _parent_lock(data["parent"], errors)
        # The new place must be the actor's too: an agency administrator cannot hand a body to another tree.
        permission_require(actor, "agencies.create_organisation", new_parent)
        if new_parent is not None and (
            new_parent.pk == stored.pk or str(stored.pk) in new_parent.path.strip("/").split("/")
        ):
            _add_error(errors, "parent", _("An organisation cannot be placed under itself or one of its own bodies."))
            new_parent = None
        if "parent" not in errors:
            _place_under(stored, new_parent)

    _organisation_validate(stored, errors)
    _raise_if_any(errors)
    stored.search_key = _organisation_search_key(stored)
    if snapshot(stored) == before:
        return stored  # nothing changed: no write, no audit event (imports re-run idempotently)

    descendants: list[Organisation] = []
    if stored.path != old_path:
        old_prefix, new_prefix = f"{old_path}{stored.pk}/", f"{stored.path}{stored.pk}/"
        descendants = list(Organisation.objects.select_for_update().filter(path__startswith=old_prefix))
        for descendant in descendants:
            descendant.path = new_prefix + descendant.path[len(old_prefix) :]
            descendant.depth = descendant.path.count("/") - 1
        if any(len(descendant.path) > _PATH_MAX_LENGTH for descendant in [stored, *descendants]):
            raise ValidationFailed(details={"parent": [str(_("The hierarchy is too deep."))]})
    _organisation_save(stored)
    if descendants:
        Organisation.objects.bulk_update(descendants, ["path", "depth"])
    audit_record(
        action="agencies.organisation_update", instance=stored, before=before, after=snapshot(stored), actor=actor
    )
    return stored


def _open_positions(queryset: Any, today: dt.date) -> Any:
    from django.db.models import Q

    return queryset.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))


@transaction.atomic
def organisation_deactivate(*, actor: Any, organisation: Organisation) -> Organisation:
    """Close an organisation that no longer exists (merged or dissolved); its history stays."""
    permission_require(actor, "agencies.change_organisation", organisation)
    stored = _organisation_locked(organisation)
    if not stored.is_active:
        raise InvalidState(_("This organisation is already inactive."))
    details: Errors = {}
    for child in Organisation.objects.filter(parent=stored, is_active=True).order_by("name"):
        _add_error(details, "children", child.name)
    if "children" in details:
        raise Conflict(
            _("Move or close the bodies under this organisation first."), code="has_active_children", details=details
        )
    open_positions = _open_positions(Position.objects.filter(organisation=stored), timezone.localdate())
    if open_positions.exists():
        raise Conflict(
            _("End the staff positions in this organisation first."),
            code="has_active_positions",
            details={"positions": [str(position.pk) for position in open_positions]},
        )
    before = snapshot(stored)
    stored.is_active = False
    stored.save(update_fields=["is_active", "updated_at"])
    audit_record(
        action="agencies.organisation_deactivate", instance=stored, before=before, after=snapshot(stored), actor=actor
    )
    return stored


def _unit_validate(unit: Unit, errors: Errors) -> None:
    try:
        unit.full_clean(exclude=["organisation", "parent"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        for field_name, messages in validation_details(error).items():
            for message in messages:
                _add_error(errors, field_name, message)
    if (
        unit.code
        and Unit.objects.filter(organisation_id=unit.organisation_id, code=unit.code).exclude(pk=unit.pk).exists()
    ):
        _add_error(
            errors, "code", _("This organisation already has a unit with the code %(code)s.") % {"code": unit.code}
        )
    parent = unit.parent
    if parent is not None:
        if parent.organisation_id != unit.organisation_id:
            _add_error(errors, "parent", _("The parent unit belongs to another organisation."))
        # Walk up from the new parent: meeting this unit again would make a loop.
        seen: set[Any] = set()
        ancestor: Unit | None = parent
        while ancestor is not None and ancestor.pk not in seen:
            if ancestor.pk == unit.pk:
                _add_error(errors, "parent", _("A unit cannot be placed under itself or one of its own units."))
                break
            seen.add(ancestor.pk)
            ancestor = Unit.objects.filter(pk=ancestor.parent_id).first() if ancestor.parent_id else None


@transaction.atomic
def unit_create(
    *,
    actor: Any,
    organisation: Organisation,
    code: str,
    name: str,
    abbreviation: str = "",
    parent: Unit | None = None,
) -> Unit:
    """Add a unit (vụ, cục, phòng, ban) to an organisation, with the abbreviation used in notations
    (Decree 30/2020/NĐ-CP, Appendix I)."""
    permission_require(actor, "agencies.manage_units", organisation)
    stored = _organisation_locked(organisation)
    errors: Errors = {}
    if not stored.is_active:
        _add_error(errors, "organisation", _("The organisation is no longer active."))
    unit = Unit(
        organisation=stored, code=code.strip(), name=name.strip(), abbreviation=abbreviation.strip(), parent=parent
    )
    _unit_validate(unit, errors)
    _raise_if_any(errors)
    unit.save()
    audit_record(action="agencies.unit_create", instance=unit, after=snapshot(unit), actor=actor)
    return unit


@transaction.atomic
def unit_update(*, actor: Any, unit: Unit, data: Mapping[str, Any]) -> Unit:
    """Rename, re-code, move or close a unit of an organisation."""
    permission_require(actor, "agencies.manage_units", unit.organisation)
    errors: Errors = {}
    for unknown in sorted(set(data) - UNIT_UPDATABLE_FIELDS):
        _add_error(errors, unknown, _("This field cannot be changed here."))
    _raise_if_any(errors)
    stored = Unit.objects.select_for_update().filter(pk=unit.pk).first()
    if stored is None:
        raise NotFound(_("There is no unit with this code in this organisation."))
    before = snapshot(stored)
    for field_name in ("code", "name", "abbreviation"):
        if field_name in data:
            setattr(stored, field_name, (data[field_name] or "").strip())
    if "parent" in data:
        stored.parent = data["parent"]
    if "is_active" in data:
        stored.is_active = bool(data["is_active"])
        if not stored.is_active and _open_positions(stored.positions.all(), timezone.localdate()).exists():
            _add_error(errors, "is_active", _("End the staff positions in this unit first."))
    _unit_validate(stored, errors)
    _raise_if_any(errors)
    if snapshot(stored) == before:
        return stored
    stored.save()
    audit_record(action="agencies.unit_update", instance=stored, before=before, after=snapshot(stored), actor=actor)
    return stored


@transaction.atomic
def position_assign(
    *,
    actor: Any,
    user: Any,
    organisation: Organisation,
    role: str,
    valid_from: dt.date,
    valid_until: dt.date | None = None,
    unit: Unit | None = None,
    title: str = "",
) -> Position:
    """Give an official a role in an organisation for a period (inclusive dates)."""
    permission_require(actor, "agencies.manage_positions", organisation)
    if role in PRIVILEGED_ROLES:
        permission_require(actor, "agencies.assign_privileged_role", organisation)
    stored = _organisation_locked(organisation)
    errors: Errors = {}
    if not stored.is_active:
        _add_error(errors, "organisation", _("The organisation is no longer active."))
    if getattr(user, "kind", None) != "official" or not getattr(user, "is_active", False):
        _add_error(errors, "user", _("Only an active official account can hold a position."))
    if role not in Role.values:
        _add_error(errors, "role", _("Choose one of the listed roles."))
    if valid_until is not None and valid_until < valid_from:
        _add_error(errors, "valid_until", _("The end date cannot be before the start date."))
    if unit is not None and unit.organisation_id != stored.pk:
        _add_error(errors, "unit", _("The unit belongs to another organisation."))
    elif unit is not None and not unit.is_active:
        _add_error(errors, "unit", _("The unit is no longer active."))
    if len(title) > Position._meta.get_field("title").max_length:  # type: ignore[operator]
        _add_error(errors, "title", _("The job title is too long."))
    _raise_if_any(errors)
    overlapping = _open_positions(
        Position.objects.filter(user=user, organisation=stored, unit=unit, role=role), valid_from
    )
    if valid_until is not None:
        overlapping = overlapping.filter(valid_from__lte=valid_until)
    if overlapping.exists():
        raise Conflict(
            _("This official already holds this role here for part of that period."),
            code="position_overlaps",
            details={"valid_from": [str(_("Overlaps an existing position."))]},
        )
    position = Position.objects.create(
        user=user,
        organisation=stored,
        unit=unit,
        role=role,
        title=title.strip(),
        valid_from=valid_from,
        valid_until=valid_until,
    )
    audit_record(action="agencies.position_assign", instance=position, after=snapshot(position), actor=actor)
    return position


@transaction.atomic
def position_end(*, actor: Any, position: Position, on: dt.date | None = None) -> Position:
    """End a position on a day (its last day, inclusive); today unless said otherwise."""
    permission_require(actor, "agencies.manage_positions", position.organisation)
    if position.role in PRIVILEGED_ROLES:
        permission_require(actor, "agencies.assign_privileged_role", position.organisation)
    stored = Position.objects.select_for_update().filter(pk=position.pk).first()
    if stored is None:
        raise NotFound()
    last_day = on or timezone.localdate()
    if stored.valid_until is not None and stored.valid_until <= last_day:
        raise InvalidState(_("This position has already ended."), code="position_ended")
    if last_day < stored.valid_from:
        raise ValidationFailed(details={"on": [str(_("The end date cannot be before the start date."))]})
    before = snapshot(stored)
    stored.valid_until = last_day
    stored.save(update_fields=["valid_until", "updated_at"])
    audit_record(action="agencies.position_end", instance=stored, before=before, after=snapshot(stored), actor=actor)
    return stored


# --- Import of organisation files (JSON or CSV; formats in agencies.transfer) -------------------------

ORGANISATION_RECORD_FIELDS = (
    "code",
    "name",
    "short_name",
    "abbreviation",
    "kind",
    "parent_code",
    "administrative_unit_code",
    "address",
    "email",
    "phone",
    "website",
)
UNIT_RECORD_FIELDS = ("code", "name", "abbreviation", "parent_code")


@dataclass(frozen=True)
class OrganisationRecord:
    """One organisation read from a file. ``row``: CSV line number, or position in a JSON list (from 1)."""

    row: int
    data: Mapping[str, Any]


@dataclass(frozen=True)
class ImportProblem:
    row: int
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    units_created: int = 0
    units_updated: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def add_problem(self, row: int, field_name: str, message: Any) -> None:
        self.problems.append(ImportProblem(row, field_name, str(message)))


class ImportRejected(ValidationFailed):
    """An import with at least one bad row: nothing was written; ``report.problems`` lists every row."""

    default_code = "import_rejected"
    default_message = _("The file was not imported because some rows are not valid. Nothing was changed.")

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        super().__init__(details={"rows": [problem.as_dict() for problem in report.problems]})


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _record_key(data: Mapping[str, Any]) -> str:
    code = _normalise_code(_text(data.get("code")))
    if code:
        return code
    return GOVERNMENT_REFERENCE if _text(data.get("kind")) == Organisation.Kind.GOVERNMENT else ""


def _parent_key(data: Mapping[str, Any]) -> str:
    reference = _text(data.get("parent_code"))
    return GOVERNMENT_REFERENCE if reference.lower() == GOVERNMENT_REFERENCE else (_normalise_code(reference) or "")


def _records_in_parent_order(records: Iterable[OrganisationRecord], report: ImportReport) -> list[OrganisationRecord]:
    """Parents before their children, whatever the order in the file; loops and duplicates are problems."""
    by_key: dict[str, OrganisationRecord] = {}
    keyless: list[OrganisationRecord] = []
    for record in records:
        key = _record_key(record.data)
        if not key:
            keyless.append(record)  # organisation_create will say what is missing
        elif key in by_key:
            report.add_problem(
                record.row,
                "code",
                _("The code %(code)s also appears on row %(row)s.") % {"code": key, "row": by_key[key].row},
            )
        else:
            by_key[key] = record
    ordered: list[OrganisationRecord] = []
    state: dict[str, str] = {}  # key -> "visiting" | "done"

    def visit(key: str, chain: list[str]) -> None:
        if state.get(key) == "done":
            return
        if state.get(key) == "visiting":
            record = by_key[key]
            report.add_problem(
                record.row, "parent_code", _("The parents form a loop: %(chain)s.") % {"chain": " → ".join(chain)}
            )
            return
        state[key] = "visiting"
        parent_key = _parent_key(by_key[key].data)
        if parent_key in by_key:
            visit(parent_key, [*chain, parent_key])
        state[key] = "done"
        ordered.append(by_key[key])

    for key in sorted(by_key, key=lambda k: by_key[k].row):
        visit(key, [key])
    return ordered + keyless


def _problems_from_error(report: ImportReport, row: int, error: MotcuaError, prefix: str = "") -> None:
    details = error.details if isinstance(error.details, dict) else {}
    if not details:
        report.add_problem(row, prefix.rstrip(".") or "__all__", error.message)
    for field_name, messages in details.items():
        name = "parent_code" if field_name == "parent" else field_name
        for message in messages if isinstance(messages, list) else [messages]:
            report.add_problem(row, f"{prefix}{name}", message)


def _organisation_record_import(
    *, actor: Any, record: OrganisationRecord, report: ImportReport, failed_keys: set[str]
) -> None:
    data = record.data
    for unknown in sorted(set(data) - {*ORGANISATION_RECORD_FIELDS, "units"}):
        report.add_problem(record.row, unknown, _("Unknown column."))
    parent_key = _parent_key(data)
    parent: Organisation | None = None
    if parent_key:
        if parent_key in failed_keys:
            report.add_problem(record.row, "parent_code", _("The parent organisation has errors in this file."))
            failed_keys.add(_record_key(data))
            return
        parent = organisation_find(reference=parent_key)
        if parent is None:
            report.add_problem(
                record.row, "parent_code", _("Unknown parent organisation “%(code)s”.") % {"code": parent_key}
            )
            failed_keys.add(_record_key(data))
            return
    key = _record_key(data)
    existing = organisation_find(reference=key) if key else None
    values = {name: _text(data[name]) for name in ORGANISATION_RECORD_FIELDS if name in data and name != "parent_code"}
    problems_before = len(report.problems)
    try:
        if existing is None:
            organisation = organisation_create(actor=actor, parent=parent, **{"name": "", "kind": "", **values})
            report.created += 1
        else:
            changes: dict[str, Any] = {
                name: value
                for name, value in values.items()
                if (getattr(existing, name) or "") != (value if name != "code" else (_normalise_code(value) or ""))
            }
            if "parent_code" in data and (parent.pk if parent else None) != existing.parent_id:
                changes["parent"] = parent
            organisation = (
                organisation_update(actor=actor, organisation=existing, data=changes) if changes else existing
            )
            if changes:
                report.updated += 1
            else:
                report.unchanged += 1
    except MotcuaError as error:
        _problems_from_error(report, record.row, error)
        failed_keys.add(key)
        return
    _units_import(actor=actor, organisation=organisation, record=record, report=report)
    if len(report.problems) > problems_before:
        failed_keys.add(key)


def _units_import(*, actor: Any, organisation: Organisation, record: OrganisationRecord, report: ImportReport) -> None:
    units = record.data.get("units") or []
    if not isinstance(units, list) or not all(isinstance(unit, Mapping) for unit in units):
        report.add_problem(record.row, "units", _("Units must be a list of objects."))
        return
    pending: list[tuple[int, Mapping[str, Any]]] = []
    first_number: dict[str, int] = {}
    for number, unit in enumerate(units, start=1):
        code = _text(unit.get("code"))
        if code and code in first_number:
            report.add_problem(
                record.row,
                f"units[{number}].code",
                _("The unit code %(code)s also appears at position %(number)s.")
                % {"code": code, "number": first_number[code]},
            )
            continue
        first_number.setdefault(code, number)
        pending.append((number, unit))
    # Parent units first, whatever the order in the list.
    codes_in_file = set(first_number)
    written: set[str] = set()
    while pending:
        ready = [
            (number, unit)
            for number, unit in pending
            if (parent_code := _text(unit.get("parent_code"))) not in codes_in_file
            or parent_code in written
            or parent_code == _text(unit.get("code"))
        ]
        if not ready:
            break
        for number, unit_data in ready:
            _unit_record_import(
                actor=actor, organisation=organisation, row=record.row, number=number, data=unit_data, report=report
            )
            written.add(_text(unit_data.get("code")))
        ready_numbers = {number for number, _unit in ready}
        pending = [item for item in pending if item[0] not in ready_numbers]
    for number, _unit_data in pending:
        report.add_problem(record.row, f"units[{number}].parent_code", _("The parent units form a loop."))


def _unit_record_import(
    *, actor: Any, organisation: Organisation, row: int, number: int, data: Mapping[str, Any], report: ImportReport
) -> None:
    prefix = f"units[{number}]."
    for unknown in sorted(set(data) - set(UNIT_RECORD_FIELDS)):
        report.add_problem(row, f"{prefix}{unknown}", _("Unknown column."))
    parent: Unit | None = None
    parent_code = _text(data.get("parent_code"))
    if parent_code:
        parent = Unit.objects.filter(organisation=organisation, code=parent_code).first()
        if parent is None:
            report.add_problem(
                row, f"{prefix}parent_code", _("Unknown parent unit “%(code)s”.") % {"code": parent_code}
            )
            return
    code = _text(data.get("code"))
    values = {name: _text(data[name]) for name in ("code", "name", "abbreviation") if name in data}
    existing = Unit.objects.filter(organisation=organisation, code=code).first() if code else None
    try:
        if existing is None:
            unit_create(actor=actor, organisation=organisation, parent=parent, **{"code": "", "name": "", **values})
            report.units_created += 1
            return
        changes: dict[str, Any] = {name: value for name, value in values.items() if getattr(existing, name) != value}
        if "parent_code" in data and (parent.pk if parent else None) != existing.parent_id:
            changes["parent"] = parent
        if not existing.is_active:
            changes["is_active"] = True  # listed in the file again: the unit exists
        if changes:
            unit_update(actor=actor, unit=existing, data=changes)
            report.units_updated += 1
    except MotcuaError as error:
        _problems_from_error(report, row, error, prefix)


@transaction.atomic
def organisations_import(*, actor: Any, records: Iterable[OrganisationRecord]) -> ImportReport:
    """Create or update organisations and units by code, all or nothing (the directory's bulk door).

    Keys missing from a record leave the stored value as it is; an empty value clears it. Every row goes
    through organisation_create/_update and unit_create/_update, so the same rules and audit apply.
    """
    permission_require(actor, "agencies.import")
    report = ImportReport()
    ordered = _records_in_parent_order(records, report)
    failed_keys: set[str] = set()
    for record in ordered:
        _organisation_record_import(actor=actor, record=record, report=report, failed_keys=failed_keys)
    if report.problems:
        report.problems.sort(key=lambda problem: problem.row)
        raise ImportRejected(report)  # rolls back every row written above, and their audit events
    return report


# --- Demo data and the national list of provinces ---------------------------------------------------------

DEMO_AGENCIES_PATH = Path(__file__).resolve().parent / "data" / "demo_agencies.json"

# Level-1 electronic codes (QCVN 102) of provincial People's Committees, keyed by the province code of the
# national list of administrative units (post-July 2025). Decision 20/2020's level-1 codes H01-H63 follow
# the alphabetical order of the 63 former provinces written without diacritics (An Giang H01 ... Yên Bái
# H63); that order is confirmed by the codes published for Cao Bằng H14, Hồ Chí Minh City H29, Nghệ An H41,
# Quảng Ninh H49 and Thanh Hóa H56. The others are inferred from the order, assuming each merged province
# kept the code of the former province whose name it carries; they are imported only on request
# (``include_inferred``), because a wrong code would misroute documents. See docs/adr/0005.
PROVINCE_ORGANISATION_CODES: dict[int, str] = {
    4: "000.00.00.H14",  # Cao Bằng
    22: "000.00.00.H49",  # Quảng Ninh
    38: "000.00.00.H56",  # Thanh Hóa
    40: "000.00.00.H41",  # Nghệ An
    79: "000.00.00.H29",  # Thành phố Hồ Chí Minh
}
PROVINCE_ORGANISATION_CODES_INFERRED: dict[int, str] = {
    1: "000.00.00.H24",  # Hà Nội
    8: "000.00.00.H60",  # Tuyên Quang
    11: "000.00.00.H18",  # Điện Biên
    12: "000.00.00.H35",  # Lai Châu
    14: "000.00.00.H52",  # Sơn La
    15: "000.00.00.H38",  # Lào Cai
    19: "000.00.00.H55",  # Thái Nguyên
    20: "000.00.00.H37",  # Lạng Sơn
    24: "000.00.00.H06",  # Bắc Ninh
    25: "000.00.00.H44",  # Phú Thọ
    31: "000.00.00.H27",  # Hải Phòng
    33: "000.00.00.H31",  # Hưng Yên
    37: "000.00.00.H42",  # Ninh Bình
    42: "000.00.00.H25",  # Hà Tĩnh
    44: "000.00.00.H50",  # Quảng Trị
    46: "000.00.00.H57",  # Huế (formerly Thừa Thiên Huế)
    48: "000.00.00.H15",  # Đà Nẵng
    51: "000.00.00.H48",  # Quảng Ngãi
    52: "000.00.00.H21",  # Gia Lai
    56: "000.00.00.H32",  # Khánh Hòa
    66: "000.00.00.H16",  # Đắk Lắk
    68: "000.00.00.H36",  # Lâm Đồng
    75: "000.00.00.H19",  # Đồng Nai
    80: "000.00.00.H53",  # Tây Ninh
    82: "000.00.00.H20",  # Đồng Tháp
    86: "000.00.00.H61",  # Vĩnh Long
    91: "000.00.00.H01",  # An Giang
    92: "000.00.00.H13",  # Cần Thơ
    96: "000.00.00.H12",  # Cà Mau
}


def agencies_load_demo(*, actor: Any = None) -> ImportReport:
    """Load the demo directory (data/demo_agencies.json); safe to run again. Level-2 codes of provincial
    bodies and communes in it are illustrative, not official (see the file's "note")."""
    with DEMO_AGENCIES_PATH.open(encoding="utf-8") as demo_file:
        content = json.load(demo_file)
    records = [OrganisationRecord(row=number, data=data) for number, data in enumerate(content["organisations"], 1)]
    return organisations_import(actor=actor if actor is not None else SYSTEM_ACTOR, records=records)


def province_organisation_name(province_name: str) -> tuple[str, str]:
    """The official name and short name of a province's People's Committee (Ủy ban nhân dân, UBND)."""
    name = " ".join(province_name.split())
    place = name if name.startswith("Thành phố") else f"tỉnh {name}"
    return f"Ủy ban nhân dân {place}", f"UBND {place}"


def provinces_import_all(*, actor: Any, include_inferred: bool = False) -> ImportReport:
    """Create or update the People's Committees of the 34 provinces (Resolution 202/2025/QH15) from the
    national list of administrative units, for those whose QCVN 102 code is confirmed (or also inferred,
    on request); ``skipped`` names the rest."""
    from vietnam_provinces import Province

    government = organisation_find(reference=GOVERNMENT_REFERENCE)
    records: list[OrganisationRecord] = []
    skipped: list[str] = []
    for number, province in enumerate(Province.iter_all(), start=1):
        code = PROVINCE_ORGANISATION_CODES.get(province.code.value)
        if code is None and include_inferred:
            code = PROVINCE_ORGANISATION_CODES_INFERRED.get(province.code.value)
        if code is None:
            skipped.append(province.name)
            continue
        name, short_name = province_organisation_name(province.name)
        data: dict[str, Any] = {
            "code": code,
            "name": name,
            "short_name": short_name,
            "abbreviation": "UBND",
            "kind": Organisation.Kind.PROVINCE.value,
            "administrative_unit_code": f"{province.code.value:02d}",
        }
        if government is not None:
            data["parent_code"] = GOVERNMENT_REFERENCE
        records.append(OrganisationRecord(row=number, data=data))
    report = organisations_import(actor=actor, records=records)
    report.skipped = skipped
    return report
