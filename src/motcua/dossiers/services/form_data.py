"""Validation of an application form against the procedure version's ``form_fields``."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from motcua.core.codes import validate_personal_id
from motcua.procedures.content import FormField

PHONE_PATTERN = re.compile(r"^(\+84|0)\d{9,10}$")
Errors = dict[str, list[str]]


def _is_shown(field: FormField, data: dict[str, Any]) -> bool:
    if not field.show_if:
        return True
    other = field.show_if.get("field", "")
    expected = field.show_if.get("equals", "")
    value = data.get(other)
    if isinstance(value, bool):
        value = "yes" if value else "no"
    return str(value if value is not None else "") == expected


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value is False


def _clean_value(field: FormField, value: Any) -> tuple[Any, str | None]:
    """The stored form of a value, or an error message."""
    kind = field.type
    if kind == "checkbox":
        if not isinstance(value, bool):
            return None, str(_("Tick or untick this box."))
        return value, None
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None, str(_("Enter a number."))
        return value, None
    if not isinstance(value, str):
        return None, str(_("Enter text."))
    text = value.strip()
    if field.max_length is not None and len(text) > field.max_length:
        return None, str(_("At most %(count)d characters.") % {"count": field.max_length})
    if field.pattern and not re.fullmatch(field.pattern, text):
        return None, str(_("This value does not have the expected form."))
    if kind == "date":
        try:
            dt.date.fromisoformat(text)
        except ValueError:
            return None, str(_("Enter a date as YYYY-MM-DD."))
    elif kind == "select":
        if text not in {choice.code for choice in field.choices}:
            return None, str(_("Choose one of the options."))
    elif kind == "email":
        try:
            validate_email(text)
        except ValidationError:
            return None, str(_("Enter a valid e-mail address."))
    elif kind == "phone":
        if not PHONE_PATTERN.fullmatch(text.replace(" ", "")):
            return None, str(_("Enter a Vietnamese phone number, e.g. 0912345678."))
        text = text.replace(" ", "")
    elif kind == "personal_id":
        try:
            validate_personal_id(text)
        except ValidationError as error:
            return None, " ".join(str(message) for message in error.messages)
    return text, None


def form_data_clean(*, fields: list[FormField], data: dict[str, Any]) -> tuple[dict[str, Any], Errors]:
    """The cleaned form (hidden conditional fields dropped) and errors keyed ``form.<field name>``."""
    errors: Errors = {}
    if not isinstance(data, dict):
        return {}, {"form": [str(_("The form must be a set of named values."))]}
    known = {field.name for field in fields}
    for name in data:
        if name not in known:
            errors.setdefault(f"form.{name}", []).append(str(_("This procedure's form has no such field.")))
    cleaned: dict[str, Any] = {}
    for field in fields:
        if not _is_shown(field, data):
            continue
        value = data.get(field.name)
        if _is_empty(value):
            if field.required:
                errors.setdefault(f"form.{field.name}", []).append(str(_("This field is required.")))
            elif value is not None and field.type == "checkbox":
                cleaned[field.name] = False
            continue
        clean, message = _clean_value(field, value)
        if message:
            errors.setdefault(f"form.{field.name}", []).append(message)
        else:
            cleaned[field.name] = clean
    return cleaned, errors
