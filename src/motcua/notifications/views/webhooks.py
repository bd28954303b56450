"""Webhook subscriptions of the organisations one administers (/notifications/webhooks/).

Agency administrators see and manage their organisation's subscriptions (and those of the bodies under it);
platform administrators all of them. A subscription's page shows its delivery log with every attempt, and
offers a test event, "retry now", a new secret and deletion. A secret is shown once, on the page that made it
(never cached). Every change goes through ``notifications.services``; their refusals become form errors.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from motcua.agencies.models import Organisation
from motcua.agencies.selectors import organisation_get, user_is_platform_admin
from motcua.core.exceptions import MotcuaError, NotFound, PermissionDenied
from motcua.core.permissions import user_can
from motcua.notifications import selectors, services
from motcua.notifications.forms import SubscriptionEditForm, SubscriptionForm
from motcua.notifications.models import WebhookSubscription
from motcua.notifications.signing import HEADER_DELIVERY, HEADER_EVENT, HEADER_SIGNATURE, HEADER_TIMESTAMP

DELIVERIES_PAGE_SIZE = 20
FIELD_NAMES = {"name": "name", "target_url": "target_url", "events": "events"}


def _require_official(request: HttpRequest) -> None:
    user = request.user
    if not (getattr(user, "is_official", False) or getattr(user, "is_superuser", False)):
        raise DjangoPermissionDenied


def _subscription(request: HttpRequest, subscription_id: uuid.UUID) -> WebhookSubscription:
    _require_official(request)
    try:
        return selectors.webhook_subscription_get(user=request.user, subscription_id=subscription_id)
    except NotFound:
        raise Http404 from None


def _errors_apply(form: forms.Form, error: MotcuaError) -> None:
    details = error.details if isinstance(error.details, dict) else {}
    placed = False
    for key, value in details.items():
        name = FIELD_NAMES.get(key)
        if name and name in form.fields:
            form.add_error(name, [str(text) for text in (value if isinstance(value, list) else [value])])
            placed = True
    if not placed:
        form.add_error(None, str(error.message))


def _headers() -> dict[str, str]:
    return {
        "delivery": HEADER_DELIVERY,
        "event": HEADER_EVENT,
        "timestamp": HEADER_TIMESTAMP,
        "signature": HEADER_SIGNATURE,
    }


@never_cache
@require_GET
@login_required
def webhook_list(request: HttpRequest) -> HttpResponse:
    _require_official(request)
    user = request.user
    try:
        subscriptions = list(selectors.webhook_subscription_list(user=user))
    except PermissionDenied as error:
        raise DjangoPermissionDenied(str(error.message)) from error
    return render(
        request,
        "notifications/webhooks/list.html",
        {
            "subscriptions": subscriptions,
            "managed_organisations": selectors.webhook_organisations_managed(user=user),
            "is_platform_admin": user_is_platform_admin(user=user),
        },
    )


def _organisation_for_new(request: HttpRequest) -> Organisation:
    code = (request.GET.get("organisation") or "").strip()[:64]
    if not code:
        raise Http404
    try:
        organisation = organisation_get(code_or_id=code)
    except NotFound as error:
        raise Http404(str(error.message)) from error
    if not user_can(request.user, "notifications.manage_webhooks", organisation):
        raise DjangoPermissionDenied
    return organisation


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def webhook_create(request: HttpRequest) -> HttpResponse:
    _require_official(request)
    organisation = _organisation_for_new(request)
    form = SubscriptionForm(request.POST or None, event_keys=services.webhook_events_available())
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                subscription, secret = services.webhook_subscription_create(
                    actor=request.user,
                    organisation=organisation,
                    name=form.cleaned_data["name"],
                    target_url=form.cleaned_data["target_url"],
                    events=form.cleaned_data["events"],
                    include_descendants=form.cleaned_data["include_descendants"],
                )
            except PermissionDenied as error:
                raise DjangoPermissionDenied(str(error.message)) from error
            except MotcuaError as error:
                _errors_apply(form, error)
            else:
                return _secret_page(request, subscription, secret, created=True)
    return render(
        request,
        "notifications/webhooks/form.html",
        {"form": form, "organisation": organisation, "subscription": None},
        status=status,
    )


def _secret_page(
    request: HttpRequest, subscription: WebhookSubscription, secret: str, *, created: bool
) -> HttpResponse:
    response = render(
        request,
        "notifications/webhooks/secret.html",
        {"subscription": subscription, "secret": secret, "created": created, "headers": _headers()},
        status=201 if created else 200,
    )
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_GET
@login_required
def webhook_detail(request: HttpRequest, subscription_id: uuid.UUID) -> HttpResponse:
    subscription = _subscription(request, subscription_id)
    deliveries = selectors.webhook_delivery_list(user=request.user, subscription=subscription)
    page = Paginator(deliveries, DELIVERIES_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/webhooks/detail.html",
        {"subscription": subscription, "page": page, "deliveries": list(page.object_list), "headers": _headers()},
    )


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def webhook_edit(request: HttpRequest, subscription_id: uuid.UUID) -> HttpResponse:
    subscription = _subscription(request, subscription_id)
    initial: dict[str, Any] = {
        "name": subscription.name,
        "target_url": subscription.target_url,
        "events": subscription.events,
        "include_descendants": subscription.include_descendants,
        "is_active": subscription.is_active,
    }
    form = SubscriptionEditForm(request.POST or None, initial=initial, event_keys=services.webhook_events_available())
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.webhook_subscription_update(
                    actor=request.user, subscription=subscription, changes=dict(form.cleaned_data)
                )
            except PermissionDenied as error:
                raise DjangoPermissionDenied(str(error.message)) from error
            except MotcuaError as error:
                _errors_apply(form, error)
            else:
                messages.success(request, _("The subscription is saved."))
                return redirect("notifications:webhook_detail", subscription_id=subscription.pk)
    return render(
        request,
        "notifications/webhooks/form.html",
        {"form": form, "organisation": subscription.organisation, "subscription": subscription},
        status=status,
    )


@never_cache
@require_POST
@login_required
def webhook_rotate_secret(request: HttpRequest, subscription_id: uuid.UUID) -> HttpResponse:
    subscription = _subscription(request, subscription_id)
    secret = services.webhook_subscription_rotate_secret(actor=request.user, subscription=subscription)
    subscription.refresh_from_db()
    return _secret_page(request, subscription, secret, created=False)


@require_POST
@login_required
def webhook_ping(request: HttpRequest, subscription_id: uuid.UUID) -> HttpResponse:
    subscription = _subscription(request, subscription_id)
    try:
        services.webhook_subscription_ping(actor=request.user, subscription=subscription)
    except MotcuaError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("A test event was sent; its delivery appears below."))
    return redirect("notifications:webhook_detail", subscription_id=subscription.pk)


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def webhook_delete(request: HttpRequest, subscription_id: uuid.UUID) -> HttpResponse:
    subscription = _subscription(request, subscription_id)
    if request.method == "POST":
        services.webhook_subscription_delete(actor=request.user, subscription=subscription)
        messages.success(request, _("The subscription “%(name)s” was deleted.") % {"name": subscription.name})
        return redirect("notifications:webhooks")
    return render(request, "notifications/webhooks/delete.html", {"subscription": subscription})


@require_POST
@login_required
def webhook_delivery_retry(request: HttpRequest, delivery_id: uuid.UUID) -> HttpResponse:
    _require_official(request)
    try:
        delivery = selectors.webhook_delivery_get(user=request.user, delivery_id=delivery_id)
    except NotFound:
        raise Http404 from None
    if delivery.subscription_id is None:
        raise Http404
    count = services.webhook_delivery_retry(actor=request.user, delivery_ids=[delivery.pk])
    if count:
        messages.success(request, _("The delivery will be sent again now."))
    else:
        messages.info(request, _("This delivery was already delivered: nothing to send again."))
    return redirect("notifications:webhook_detail", subscription_id=delivery.subscription_id)
