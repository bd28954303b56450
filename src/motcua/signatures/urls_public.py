"""Verification for everyone, at /verify/ (see ``views``): the upload page and the issued documents' pages."""

from django.urls import path

from motcua.signatures import views

app_name = "verify"

urlpatterns = [
    path("", views.verify_index, name="index"),
    path("report/<slug:token>.json", views.verify_report_download, name="report"),
    path("<str:short_code>", views.verify_document, name="document"),
    path("<str:short_code>/file", views.verify_document_file, name="document_file"),
]
