"""Language selection for a Vietnamese public service."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class VietnameseFirstLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware without browser negotiation: Vietnamese unless the visitor chose otherwise.

    Many citizens use phones and computers set to English; a public service in Vietnam should still greet them in
    Vietnamese. The choice made with the language switcher (the language cookie set by ``set_language``) wins.
    Use in place of ``django.middleware.locale.LocaleMiddleware`` in ``MIDDLEWARE``.
    """

    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if not chosen and request.path.startswith("/api/"):
            # Other systems calling the API say which language they want for error messages.
            super().process_request(request)
            return
        language = settings.LANGUAGE_CODE
        if chosen:
            try:
                language = translation.get_supported_language_variant(chosen)
            except LookupError:
                language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
