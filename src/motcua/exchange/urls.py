from django.urls import URLPattern, URLResolver, include, path

from motcua.exchange.views import urlpatterns as page_patterns

app_name = "exchange"

urlpatterns: list[URLPattern | URLResolver] = [
    *page_patterns,
    path("node/", include("motcua.exchange.transport.endpoints")),
]
