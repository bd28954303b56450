"""Administrators' wording of events (template overrides), checked as Django templates before saving."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.template import Context
from django.utils import translation
from django.utils.translation import gettext as _

from motcua.accounts.models import User
from motcua.core.audit import audit_record, snapshot
from motcua.core.exceptions import ValidationFailed
from motcua.core.permissions import permission_require
from motcua.notifications.events import event_find
from motcua.notifications.models import NotificationTemplate
from motcua.notifications.rendering import SUBJECT_MAX_LENGTH, template_compile, template_context

PARTS = ("subject", "body", "sms")


def _person(actor: Any) -> User | None:
    return actor if isinstance(actor, User) else None


# What a check renders the template with: every name a template may use, with a harmless value.
SAMPLE_RECIPIENT = {"name": "Nguyễn Văn A", "language": "vi"}


def _problems(*, language: str, parts: dict[str, str]) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    data = template_context(context={}, recipient=SAMPLE_RECIPIENT, link=f"{settings.SITE_URL}/")
    for part, text in parts.items():
        if not text:
            continue
        try:
            template = template_compile(text)
            with translation.override(language):
                template.render(Context(data, autoescape=False))
        except Exception as error:
            problems[part] = [
                _("This is not a valid template: %(error)s") % {"error": str(error).splitlines()[0][:300]}
            ]
    if len(parts.get("subject", "")) > SUBJECT_MAX_LENGTH:
        problems.setdefault("subject", []).append(
            _("Use at most %(limit)s characters.") % {"limit": SUBJECT_MAX_LENGTH}
        )
    return problems


@transaction.atomic
def notification_template_save(
    *,
    actor: Any,
    event: str,
    language: str,
    subject: str = "",
    body: str = "",
    sms: str = "",
    template: NotificationTemplate | None = None,
) -> NotificationTemplate:
    """Create or change the wording of one event in one language; each part must be a working template."""
    permission_require(actor, "notifications.manage_templates")
    problems: dict[str, list[str]] = {}
    event_type = event_find(event)
    if event_type is None or not event_type.notifies_people:
        problems["event"] = [_("There is no event with this key that notifies people.")]
    if language not in {code for code, _name in settings.LANGUAGES}:
        problems["language"] = [_("Choose one of the site's languages.")]
    parts = {"subject": subject.strip(), "body": body.strip(), "sms": sms.strip()}
    if not any(parts.values()):
        problems["__all__"] = [_("Fill in at least one of the subject, the text or the SMS.")]
    problems.update(_problems(language=language, parts=parts))
    if not problems:
        clash = NotificationTemplate.objects.filter(event=event, language=language)
        if template is not None:
            clash = clash.exclude(pk=template.pk)
        if clash.exists():
            problems["language"] = [_("This event already has a wording in this language: change that one.")]
    if problems:
        raise ValidationFailed(details=problems)

    if template is None:
        row = NotificationTemplate(event=event, language=language, updated_by=_person(actor), **parts)
        row.save(force_insert=True)
        audit_record(action="notifications.template_created", instance=row, after=snapshot(row), actor=actor)
        return row
    row = NotificationTemplate.objects.select_for_update().get(pk=template.pk)
    before = snapshot(row)
    row.event, row.language = event, language
    row.subject, row.body, row.sms = parts["subject"], parts["body"], parts["sms"]
    row.updated_by = _person(actor)
    row.save()
    audit_record(action="notifications.template_changed", instance=row, before=before, after=snapshot(row), actor=actor)
    return row


@transaction.atomic
def notification_template_delete(*, actor: Any, template: NotificationTemplate) -> None:
    """Remove an override: the event's shipped wording applies again."""
    permission_require(actor, "notifications.manage_templates")
    row = NotificationTemplate.objects.select_for_update().get(pk=template.pk)
    before = snapshot(row)
    audit_record(action="notifications.template_deleted", instance=row, before=before, actor=actor)
    row.delete()
