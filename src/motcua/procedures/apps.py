from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "motcua.procedures"
    label = "procedures"
    verbose_name = _("Administrative procedures")

    def ready(self) -> None:
        from motcua.procedures import rules  # noqa: F401  (registers permission rules)
