from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DossiersConfig(AppConfig):
    name = "motcua.dossiers"
    label = "dossiers"
    verbose_name = _("Dossiers")

    def ready(self) -> None:
        import datetime as dt

        from motcua.core.schedule import periodic_register
        from motcua.dossiers import rules  # noqa: F401  (registers permission rules)
        from motcua.dossiers.events import dossier_event_subscribe
        from motcua.dossiers.notifying import dossier_events_register
        from motcua.dossiers.services.result_documents import result_document_on_approve

        dossier_events_register()
        # The dossier's bills: settled into the dossier (inside the settlement), and told to its applicant.
        from motcua.dossiers.billing import PURPOSES
        from motcua.dossiers.notifying import dossier_payment_notices_register
        from motcua.dossiers.services.payments import dossier_payment_settled
        from motcua.payments.handlers import payment_settlement_handler_register

        for purpose in PURPOSES:
            payment_settlement_handler_register(purpose, dossier_payment_settled)
        dossier_payment_notices_register()
        # The result document is produced from the procedure's template once an approval commits.
        dossier_event_subscribe(result_document_on_approve)
        # The outbox is also delivered right after each change commits; the sweep catches what a lost task missed.
        periodic_register(
            "dossiers.portal_outbox_deliver",
            every=dt.timedelta(minutes=1),
            task="motcua.dossiers.national_portal.tasks.portal_outbox_deliver_task",
        )
        periodic_register(
            "dossiers.deadlines_notify",
            every=dt.timedelta(hours=1),
            task="motcua.dossiers.tasks.dossier_deadlines_notify_task",
        )
        periodic_register(
            "dossiers.unused_uploads_purge",
            every=dt.timedelta(hours=1),
            task="motcua.dossiers.tasks.dossier_unused_uploads_purge_task",
        )
