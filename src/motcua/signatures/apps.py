from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SignaturesConfig(AppConfig):
    name = "motcua.signatures"
    label = "signatures"
    verbose_name = _("Digital signatures")

    def ready(self) -> None:
        import datetime as dt

        from motcua.core.schedule import periodic_register
        from motcua.notifications.events import OFFICIALS, notification_event_register

        notification_event_register(
            "signatures.certificate_expiring",
            label=_("A signing certificate expires soon"),
            template="signatures/notifications/certificate_expiring",
            channels=("email", "inbox"),
            audience=OFFICIALS,
        )
        periodic_register(
            "signatures.certificate_expiry_warn",
            every=dt.timedelta(days=1),
            task="motcua.signatures.tasks.certificate_expiry_warn_task",
        )
