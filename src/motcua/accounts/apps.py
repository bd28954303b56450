from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "motcua.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from motcua.accounts import rules  # noqa: F401  (registers permission rules)
