"""Rendering an event's wording in one language: template files, or an administrator's override.

An event's ``template`` folder holds ``subject.txt``, ``body.txt`` (the text of the e-mail and of the inbox),
``sms.txt`` and optionally ``body.html`` (the e-mail's HTML part). The text files are rendered without HTML
escaping; ``body.html`` with it. Everything is rendered under ``translation.override(language)``, so
``{% blocktranslate %}`` in the files gives the recipient's language. A missing ``sms.txt`` falls back to the
subject. An active ``NotificationTemplate`` for the event and language replaces the parts it fills (its body
then goes without the HTML part, which would say something else).

Templates receive the caller's ``context`` plus ``recipient`` (name, language), ``link`` (absolute),
``site_url`` and ``platform_name``. The ``notifications`` template library adds ``as_datetime`` (ISO text to
a local date and time, for the ``date`` filter).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.template import Context, Engine, Template, TemplateDoesNotExist
from django.utils import translation

from motcua.notifications.channels import BODY, HTML, SMS, SUBJECT
from motcua.notifications.events import EventType
from motcua.notifications.models import NotificationTemplate

logger = logging.getLogger(__name__)

SUBJECT_MAX_LENGTH = 300
FILES = {SUBJECT: "subject.txt", BODY: "body.txt", HTML: "body.html", SMS: "sms.txt"}
_compiled_overrides: dict[tuple[Any, ...], Template] = {}
_COMPILED_OVERRIDES_MAX = 512


def _engine() -> Engine:
    return Engine.get_default()


def template_compile(text: str) -> Template:
    """An override part as a Django template (raises TemplateSyntaxError)."""
    return _engine().from_string(text)


def _override_template(override: NotificationTemplate, part: str) -> Template:
    cache_key = (override.pk, override.updated_at, part)
    compiled = _compiled_overrides.get(cache_key)
    if compiled is None:
        if len(_compiled_overrides) >= _COMPILED_OVERRIDES_MAX:
            _compiled_overrides.clear()
        compiled = template_compile(getattr(override, part))
        _compiled_overrides[cache_key] = compiled
    return compiled


def _file_template(event: EventType, part: str) -> Template | None:
    name = f"{event.template}/{FILES[part]}"
    try:
        template: Any = _engine().get_template(name)
    except TemplateDoesNotExist:
        if part in (SUBJECT, BODY):
            raise
        return None
    return template


def _clean(part: str, text: str) -> str:
    if part == SUBJECT:
        return re.sub(r"\s+", " ", text).strip()[:SUBJECT_MAX_LENGTH]
    if part == HTML:
        return text.strip()
    # Template tags on lines of their own leave blank lines behind: keep paragraphs, drop the rest.
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def template_context(*, context: Mapping[str, Any], recipient: Mapping[str, str], link: str) -> dict[str, Any]:
    return {
        **context,
        "recipient": dict(recipient),
        "link": link,
        "site_url": settings.SITE_URL,
        "platform_name": settings.PLATFORM_NAME,
    }


def parts_render(
    *,
    event: EventType,
    language: str,
    parts: Iterable[str],
    data: Mapping[str, Any],
    override: NotificationTemplate | None = None,
) -> dict[str, str]:
    """The requested parts of an event's wording, rendered in ``language``."""
    wanted = set(parts)
    if SMS in wanted and not (override is not None and override.sms) and _file_template(event, SMS) is None:
        wanted.add(SUBJECT)  # the SMS falls back to the subject
    rendered: dict[str, str] = {}
    with translation.override(language):
        for part in (SUBJECT, BODY, HTML, SMS):
            if part not in wanted:
                continue
            text = _render_part(event=event, part=part, data=data, override=override)
            if text is not None:
                rendered[part] = _clean(part, text)
    if SMS in wanted and SMS not in rendered:
        rendered[SMS] = rendered.get(SUBJECT, "")
    return rendered


def _render_part(
    *, event: EventType, part: str, data: Mapping[str, Any], override: NotificationTemplate | None
) -> str | None:
    autoescape = part == HTML
    if override is not None:
        if part == HTML and override.body:
            return None  # the administrator's text replaces the body: an HTML part would say something else
        if part != HTML and getattr(override, part):
            try:
                return _override_template(override, part).render(Context(dict(data), autoescape=autoescape))
            except Exception:
                # Checked when saved, but a context can still break it: the shipped wording stands in.
                logger.exception("notification template override failed", extra={"template_id": str(override.pk)})
    template = _file_template(event, part)
    if template is None:
        return None
    return template.render(Context(dict(data), autoescape=autoescape))
