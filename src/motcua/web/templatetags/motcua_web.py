"""Small template helpers shared by every page."""

import unicodedata

from django import template
from django.conf import settings
from django.utils.translation import get_language_info

register = template.Library()


@register.simple_tag
def platform_name() -> str:
    """The platform's name, for templates rendered without a request context (the 500 page)."""
    return settings.PLATFORM_NAME


@register.simple_tag
def language_choices() -> list[dict[str, str]]:
    """The site's languages, each named in itself ("Tiếng Việt", "English", "Français"), for the switcher.

    Django's table of language names stores some in decomposed Unicode; NFC keeps them searchable and lets
    screen readers and fonts treat them like any other text.
    """
    choices = []
    for code, _name in settings.LANGUAGES:
        info = get_language_info(code)
        name = unicodedata.normalize("NFC", str(info["name_local"]))
        choices.append({"code": code, "name": name[:1].upper() + name[1:]})
    return choices
