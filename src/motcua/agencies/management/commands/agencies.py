"""``motcua agencies import FILE | export FILE | import-provinces | load-demo`` (formats: agencies.transfer)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from motcua.agencies.rules import SYSTEM_ACTOR
from motcua.agencies.services import (
    ImportRejected,
    ImportReport,
    agencies_load_demo,
    organisations_import,
    provinces_import_all,
)
from motcua.agencies.transfer import organisation_export_records, records_read, records_write
from motcua.core.context import request_context
from motcua.core.exceptions import MotcuaError


class Command(BaseCommand):
    help = (
        "Agency directory tools. `import FILE` creates or updates organisations by code from a .json or .csv "
        "file, all or nothing; `export FILE` writes the directory; `import-provinces` creates the provinces "
        "whose electronic code is known; `load-demo` loads the demo directory."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["import", "export", "import-provinces", "load-demo"])
        parser.add_argument("file", nargs="?", help="a .json or .csv file (import and export)")
        parser.add_argument(
            "--as",
            dest="username",
            default="",
            help="the user the audit trail names as the actor (default: the system)",
        )

        parser.add_argument(
            "--include-inferred",
            action="store_true",
            help="import-provinces: also create provinces whose code is inferred, not confirmed (docs/adr/0005)",
        )

    def handle(self, *args, **options):
        action, path = options["action"], options["file"]
        if action in ("import", "export") and not path:
            raise CommandError(f"`agencies {action}` needs a file name.")
        actor = self._actor(options["username"])
        with request_context(user=actor if actor is not SYSTEM_ACTOR else None):
            try:
                if action == "export":
                    records = organisation_export_records(with_units=path.lower().endswith(".json"))
                    records_write(path, records)
                    self.stdout.write(self.style.SUCCESS(f"Exported {len(records)} organisations to {path}."))
                    return
                if action == "import":
                    report = organisations_import(actor=actor, records=records_read(path))
                elif action == "import-provinces":
                    report = provinces_import_all(actor=actor, include_inferred=options["include_inferred"])
                else:
                    report = agencies_load_demo(actor=actor)
            except ImportRejected as rejected:
                for problem in rejected.report.problems:
                    self.stderr.write(f"row {problem.row}: {problem.field}: {problem.message}")
                raise CommandError(
                    f"{rejected.message} ({len(rejected.report.problems)} problems listed above)"
                ) from rejected
            except MotcuaError as error:
                raise CommandError(f"{error.message} {error.details or ''}".strip()) from error
        self._summary(report)

    def _actor(self, username):
        if not username:
            return SYSTEM_ACTOR
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no user {username!r}.")
        return user

    def _summary(self, report: ImportReport) -> None:
        self.stdout.write(
            self.style.SUCCESS(
                f"Organisations: {report.created} created, {report.updated} updated, {report.unchanged} unchanged; "
                f"units: {report.units_created} created, {report.units_updated} updated."
            )
        )
        if report.skipped:
            self.stdout.write(
                f"Skipped {len(report.skipped)} provinces whose electronic code (QCVN 102) is not known yet; "
                f"import them from a file: {', '.join(report.skipped)}."
            )
