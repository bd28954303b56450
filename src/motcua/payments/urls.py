from django.urls import URLPattern, URLResolver, path

from motcua.payments import views

app_name = "payments"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.mine, name="mine"),
    path("requests/<uuid:request_id>/", views.request_detail, name="request_detail"),
    path("requests/<uuid:request_id>/start/", views.start, name="start"),
    path("requests/<uuid:request_id>/receipt/", views.receipt, name="receipt"),
    path("requests/<uuid:request_id>/counter/", views.record_at_counter, name="record_at_counter"),
    path("requests/<uuid:request_id>/cancel/", views.cancel, name="cancel"),
    path("requests/<uuid:request_id>/refund/", views.refund, name="refund"),
    path("pay/<str:token>/", views.pay_link, name="pay_link"),
    path("pay/<str:token>/start/", views.pay_link_start, name="pay_link_start"),
    path("pay/<str:token>/receipt/", views.pay_link_receipt, name="pay_link_receipt"),
    path("return/<uuid:transaction_id>/", views.payment_return, name="return"),
    path("gateway/<str:gateway>/callback/", views.callback, name="callback"),
    path("officials/", views.officials_list, name="officials_list"),
    path("reconciliation/", views.reconciliation_index, name="reconciliation_index"),
    path("reconciliation/<str:code>/", views.reconciliation_organisation, name="reconciliation_organisation"),
    path("reconciliation/<str:code>/<str:day>/", views.reconciliation_day, name="reconciliation_day"),
    path("reconciliation/<str:code>/<str:day>/csv/", views.reconciliation_csv, name="reconciliation_csv"),
]
