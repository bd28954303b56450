from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "motcua.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        import datetime as dt

        from motcua.core.schedule import periodic_register
        from motcua.notifications import rules  # noqa: F401  (registers permission rules)
        from motcua.notifications.channels import channel_register
        from motcua.notifications.channels.email import EmailChannel
        from motcua.notifications.channels.inbox import InboxChannel
        from motcua.notifications.channels.sms import SmsChannel
        from motcua.notifications.events import OFFICIALS, notification_event_register, webhook_event_register

        channel_register(EmailChannel())
        channel_register(SmsChannel())
        channel_register(InboxChannel())

        # A test event an administrator sends to check a subscription; and the warning that one gave up.
        webhook_event_register("notifications.ping", label=_("Test event"))
        notification_event_register(
            "notifications.webhook_failed",
            label=_("Deliveries to one of your organisation's systems failed"),
            template="notifications/messages/webhook_failed",
            channels=("email", "inbox"),
            audience=OFFICIALS,
        )

        # Delivery is enqueued when each change commits; the sweep sends retries and what a lost task missed.
        periodic_register(
            "notifications.sweep",
            every=dt.timedelta(seconds=30),
            task="motcua.notifications.tasks.notifications_sweep_task",
        )
        periodic_register(
            "notifications.purge",
            every=dt.timedelta(days=1),
            task="motcua.notifications.tasks.notifications_purge_task",
        )
