from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SignaturesConfig(AppConfig):
    name = "motcua.signatures"
    label = "signatures"
    verbose_name = _("Digital signatures")

    def ready(self) -> None:
        import datetime as dt

        from motcua.core.schedule import periodic_register

        periodic_register(
            "signatures.certificate_expiry_warn",
            every=dt.timedelta(days=1),
            task="motcua.signatures.tasks.certificate_expiry_warn_task",
        )
