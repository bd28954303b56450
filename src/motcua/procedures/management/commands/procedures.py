"""``motcua procedures import FILE | export FILE | load-demo`` (formats: procedures.transfer)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from motcua.core.context import request_context
from motcua.core.exceptions import MotcuaError
from motcua.core.permissions import SYSTEM
from motcua.procedures.services import ImportRejected, ImportReport, procedures_import, procedures_load_demo
from motcua.procedures.transfer import catalogue_export_definitions, definitions_read, definitions_write


class Command(BaseCommand):
    help = (
        "Procedure catalogue tools. `import FILE` creates or updates procedures by code from a .json or .yaml "
        "file and publishes changed ones as new versions, all or nothing; `export FILE` writes the current "
        "version of every active procedure; `load-demo` loads the demo catalogue (after `agencies load-demo`)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["import", "export", "load-demo"])
        parser.add_argument("file", nargs="?", help="a .json, .yaml or .yml file (import and export)")
        parser.add_argument(
            "--as",
            dest="username",
            default="",
            help="the user the audit trail names as the actor (default: the system)",
        )

    def handle(self, *args, **options):
        action, path = options["action"], options["file"]
        if action in ("import", "export") and not path:
            raise CommandError(f"`procedures {action}` needs a file name.")
        actor = self._actor(options["username"])
        with request_context(user=actor if actor is not SYSTEM else None):
            try:
                if action == "export":
                    definitions = catalogue_export_definitions()
                    definitions_write(path, definitions)
                    self.stdout.write(self.style.SUCCESS(f"Exported {len(definitions)} procedures to {path}."))
                    return
                if action == "import":
                    report = procedures_import(actor=actor, definitions=definitions_read(path))
                else:
                    report = procedures_load_demo(actor=actor)
            except ImportRejected as rejected:
                for problem in rejected.report.problems:
                    self.stderr.write(f"entry {problem.entry} ({problem.code}): {problem.field}: {problem.message}")
                raise CommandError(
                    f"{rejected.message} ({len(rejected.report.problems)} problems listed above)"
                ) from rejected
            except MotcuaError as error:
                raise CommandError(f"{error.message} {error.details or ''}".strip()) from error
        self._summary(report)

    def _actor(self, username):
        if not username:
            return SYSTEM
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no user {username!r}.")
        return user

    def _summary(self, report: ImportReport) -> None:
        self.stdout.write(
            self.style.SUCCESS(
                f"Procedures: {report.created} created, {report.published} published as a new version, "
                f"{report.unchanged} unchanged."
            )
        )
