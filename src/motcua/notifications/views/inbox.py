"""One's notifications (/notifications/): unread first, newest first; read one, open its link, mark all read.

Someone else's notification is "not found", like one that does not exist.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from motcua.core.exceptions import NotFound, PermissionDenied
from motcua.notifications import selectors, services
from motcua.notifications.models import Notification

PAGE_SIZE = 20


def _own(request: HttpRequest, notification_id: uuid.UUID) -> Notification:
    try:
        return selectors.notification_get(user=request.user, notification_id=notification_id)
    except NotFound:
        raise Http404 from None
    except PermissionDenied as error:
        raise DjangoPermissionDenied(str(error.message)) from error


def _back(request: HttpRequest) -> str:
    """Where to return after a button: the page it was on, if it is one of ours."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        return target
    return "notifications:inbox"


def _internal_path(link: str) -> str:
    """The path of a link to this site (its own address or a path), else "" (never an open redirect)."""
    if not link:
        return ""
    site = urlsplit(settings.SITE_URL)
    parts = urlsplit(link)
    if parts.scheme and (parts.scheme, parts.netloc) != (site.scheme, site.netloc):
        return ""
    if not parts.path.startswith("/") or parts.path.startswith("//"):
        return ""
    return parts.path + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")


@never_cache
@require_GET
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    try:
        rows = selectors.notification_inbox_list(user=request.user, unread_only=unread_only)
    except PermissionDenied as error:
        raise DjangoPermissionDenied(str(error.message)) from error
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/inbox.html",
        {
            "page": page,
            "notifications": list(page.object_list),
            "unread_only": unread_only,
            "unread_count": selectors.notification_unread_count(user=request.user),
            "manages_webhooks": bool(selectors.webhook_organisations_managed(user=request.user))
            or getattr(request.user, "is_superuser", False),
        },
    )


@never_cache
@require_GET
@login_required
def detail(request: HttpRequest, notification_id: uuid.UUID) -> HttpResponse:
    """The whole message; reading it marks it read."""
    notification = services.notification_mark_read(actor=request.user, notification=_own(request, notification_id))
    return render(
        request,
        "notifications/detail.html",
        {"notification": notification, "internal_link": _internal_path(notification.link)},
    )


@never_cache
@require_GET
@login_required
def open_link(request: HttpRequest, notification_id: uuid.UUID) -> HttpResponse:
    """Follow the notification's link (marking it read); a link elsewhere shows the message instead."""
    notification = services.notification_mark_read(actor=request.user, notification=_own(request, notification_id))
    target = _internal_path(notification.link)
    if target:
        return redirect(target)
    return redirect("notifications:detail", notification_id=notification.pk)


@require_POST
@login_required
def mark_read(request: HttpRequest, notification_id: uuid.UUID) -> HttpResponse:
    services.notification_mark_read(actor=request.user, notification=_own(request, notification_id))
    return redirect(_back(request))


@require_POST
@login_required
def mark_all_read(request: HttpRequest) -> HttpResponse:
    try:
        count = services.notification_mark_all_read(actor=request.user)
    except PermissionDenied as error:
        raise DjangoPermissionDenied(str(error.message)) from error
    if count:
        messages.success(request, _("All your notifications are marked read."))
    return redirect(_back(request))
