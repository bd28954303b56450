from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "motcua.feedback"
    label = "feedback"
    verbose_name = _("Feedback and recommendations")

    def ready(self) -> None:
        import datetime as dt

        from motcua.core.schedule import periodic_register
        from motcua.feedback import rules  # noqa: F401  (registers permission rules)
        from motcua.feedback.notifying import feedback_events_register

        feedback_events_register()

        # Handlers, receiving officials and leaders hear of feedback due within a working day or overdue.
        periodic_register(
            "feedback.deadline_reminders",
            every=dt.timedelta(hours=1),
            task="motcua.feedback.tasks.feedback_deadline_reminders_task",
        )
