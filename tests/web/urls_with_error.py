"""The real URLs plus a view that fails, to see the 500 page as a visitor would."""

from django.urls import include, path


def failing_view(request):
    raise RuntimeError("boom")


urlpatterns = [path("boom/", failing_view), path("", include("motcua.config.urls"))]
