from django.urls import URLPattern, URLResolver, include, path

app_name = "exchange"

urlpatterns: list[URLPattern | URLResolver] = [
    path("node/", include("motcua.exchange.transport.endpoints")),
]
