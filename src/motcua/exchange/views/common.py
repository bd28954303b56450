"""Helpers of the officials' exchange pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from motcua.core.exceptions import NotFound
from motcua.exchange import selectors

STYLESHEETS = ("dossiers/officials.css", "exchange/exchange.css")


@dataclass
class ActionForm:
    """One action offered on a document page: its form inside a disclosure, or a single button."""

    action: str
    label: Any
    form: forms.Form
    url: str
    is_dangerous: bool = False
    multipart: bool = False
    is_open: bool = False
    help_text: Any = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def has_fields(self) -> bool:
        return any(not bound.is_hidden for bound in self.form)


def officials_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Pages for officials who hold an exchange role somewhere (others get 403)."""

    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not selectors.has_exchange_role(user=request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@require_GET
@officials_only
def file_download(request: HttpRequest, file_id: Any) -> FileResponse:
    """A file of a document the official may see (always as a download)."""
    try:
        item = selectors.file_get(user=request.user, file_id=file_id)
    except NotFound as error:
        raise Http404 from error
    response = FileResponse(
        item.file.open("rb"), as_attachment=True, filename=item.name, content_type=item.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
