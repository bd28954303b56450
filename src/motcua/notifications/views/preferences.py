"""One's choice of channels (/notifications/preferences/): e-mail and SMS, for every event or per event."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from motcua.core.exceptions import MotcuaError, PermissionDenied
from motcua.notifications import selectors, services
from motcua.notifications.forms import PreferencesForm


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    try:
        table = selectors.preference_table(user=request.user)
    except PermissionDenied as error:
        raise DjangoPermissionDenied(str(error.message)) from error
    form = PreferencesForm(request.POST or None, table=table)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.notification_preferences_set(
                    actor=request.user, defaults=form.defaults(), events=form.events()
                )
            except MotcuaError as error:
                form.add_error(None, str(error.message))
            else:
                messages.success(request, _("Your choices are saved."))
                return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {
            "form": form,
            "table": table,
            "phone": getattr(request.user, "phone", ""),
            "email": getattr(request.user, "email", ""),
        },
        status=status,
    )
