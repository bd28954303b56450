import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "motcua.exchange"
    label = "exchange"
    verbose_name = _("Document exchange")

    def ready(self) -> None:
        from django.conf import settings

        from motcua.core.schedule import periodic_register
        from motcua.exchange import rules  # noqa: F401  (registers the permission rules)
        from motcua.exchange.notifying import exchange_events_register

        exchange_events_register()

        periodic_register(
            "exchange.deliver",
            every=dt.timedelta(seconds=settings.EXCHANGE_DELIVER_EVERY_SECONDS),
            task="motcua.exchange.tasks.outbox_deliver_task",
        )
        periodic_register(
            "exchange.pull",
            every=dt.timedelta(seconds=settings.EXCHANGE_PULL_EVERY_SECONDS),
            task="motcua.exchange.tasks.pull_task",
        )
        periodic_register(
            "exchange.directory_refresh",
            every=dt.timedelta(minutes=settings.EXCHANGE_DIRECTORY_REFRESH_MINUTES),
            task="motcua.exchange.tasks.directory_refresh_task",
        )
