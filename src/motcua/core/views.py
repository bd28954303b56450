"""Operational endpoints: liveness, readiness (database and task queue reachable)."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from motcua.core.exceptions import PermissionDenied


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"error: {type(error).__name__}"
    try:
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.exists()
        checks["task_queue"] = "ok"
    except Exception as error:
        checks["task_queue"] = f"error: {type(error).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics, for the scraper's addresses only (they reveal traffic and internals)."""
    from django_prometheus.exports import ExportToDjangoView

    if request.META.get("REMOTE_ADDR") not in settings.METRICS_ALLOWED_ADDRESSES:
        return JsonResponse(PermissionDenied().as_dict(), status=403)
    response: HttpResponse = ExportToDjangoView(request)
    return response
