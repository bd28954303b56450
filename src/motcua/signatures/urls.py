from django.urls import path, re_path

from motcua.signatures import views

app_name = "pki"

urlpatterns = [
    path("ca/<str:name>.crt", views.ca_certificate, name="ca_certificate"),
    path("crl/<str:name>.crl", views.crl, name="crl"),
    path("ocsp", views.ocsp, name="ocsp"),
    re_path(r"^ocsp/(?P<encoded>[A-Za-z0-9+/=%]+)$", views.ocsp_get, name="ocsp_get"),
    path("tsa", views.tsa, name="tsa"),
]
