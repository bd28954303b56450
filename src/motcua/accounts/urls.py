from django.urls import path

from motcua.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("profile/", views.profile_view, name="profile"),
    path("second-factor/setup/", views.otp_setup_view, name="otp_setup"),
    path("second-factor/verify/", views.otp_verify_view, name="otp_verify"),
    path("second-factor/backup-codes/", views.otp_backup_codes_view, name="otp_backup_codes"),
    path("oidc/login/", views.oidc_login_view, name="oidc_login"),
    path("oidc/callback/", views.oidc_callback_view, name="oidc_callback"),
]
