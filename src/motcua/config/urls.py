from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from motcua.config.api import api
from motcua.core import views as core_views

admin.site.site_header = "Motcua"
admin.site.site_title = "Motcua"

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("metrics", core_views.metrics, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("accounts/", include("motcua.accounts.urls")),
    path("agencies/", include("motcua.agencies.urls")),
    path("procedures/", include("motcua.procedures.urls")),
    path("dossiers/", include("motcua.dossiers.urls")),
    path("pki/", include("motcua.signatures.urls")),
    path("verify/", include("motcua.signatures.urls_public")),
    path("signatures/keys/", include("motcua.signatures.urls_keys")),
    path("payments/", include("motcua.payments.urls")),
    path("notifications/", include("motcua.notifications.urls")),
    path("feedback/", include("motcua.feedback.urls")),
    path("exchange/", include("motcua.exchange.urls")),
    path("", include("motcua.web.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
