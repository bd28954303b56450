from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "motcua.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        import datetime as dt

        from motcua.core.schedule import periodic_register
        from motcua.payments import rules  # noqa: F401  (registers permission rules)
        from motcua.payments.gateways import gateway_register
        from motcua.payments.gateways.sandbox import SandboxGateway
        from motcua.payments.notifying import payment_events_register

        gateway_register(SandboxGateway())
        payment_events_register()
        periodic_register(
            "payments.status_sweep",
            every=dt.timedelta(minutes=1),
            task="motcua.payments.tasks.payments_status_sweep_task",
        )
        periodic_register(
            "payments.refunds_retry",
            every=dt.timedelta(minutes=5),
            task="motcua.payments.tasks.payments_refunds_retry_task",
        )
        periodic_register(
            "payments.reconciliation",
            every=dt.timedelta(hours=6),
            task="motcua.payments.tasks.payments_reconciliation_task",
        )
