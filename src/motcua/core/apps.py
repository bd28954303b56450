from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "motcua.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        import datetime as dt

        from motcua.core.schedule import periodic_register

        periodic_register(
            "core.audit_chain_verify", every=dt.timedelta(days=1), task="motcua.core.tasks.audit_chain_verify_task"
        )
