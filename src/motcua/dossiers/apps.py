from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DossiersConfig(AppConfig):
    name = "motcua.dossiers"
    label = "dossiers"
    verbose_name = _("Dossiers")

    def ready(self) -> None:
        from motcua.dossiers import rules  # noqa: F401  (registers permission rules)
        from motcua.dossiers.events import dossier_event_subscribe
        from motcua.dossiers.services.result_documents import result_document_on_approve

        # The result document is produced from the procedure's template once an approval commits.
        dossier_event_subscribe(result_document_on_approve)
