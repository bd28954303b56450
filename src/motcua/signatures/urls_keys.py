"""Officials' signing keys, at /signatures/keys/ (see ``views_keys``)."""

from django.urls import path

from motcua.signatures import views_keys

app_name = "signing_keys"

urlpatterns = [
    path("", views_keys.keys_mine, name="mine"),
    path("import/", views_keys.key_import, name="import"),
    path("<uuid:key_id>/pin/", views_keys.key_change_pin, name="change_pin"),
    path("organisation/", views_keys.organisation_open, name="organisation_open"),
    path("organisation/<str:code>/", views_keys.organisation_keys, name="organisation"),
    path("organisation/<str:code>/import/", views_keys.organisation_seal_import, name="organisation_import"),
    path("organisation/<str:code>/<uuid:key_id>/unblock/", views_keys.organisation_key_unblock, name="unblock"),
]
