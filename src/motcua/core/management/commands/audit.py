import json

from django.core.management.base import BaseCommand, CommandError

from motcua.core.audit import audit_chain_verify


class Command(BaseCommand):
    help = "Audit trail tools. `motcua audit verify` proves the hash chain intact or names the first bad event."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args, **options):
        report = audit_chain_verify()
        if options["json"]:
            self.stdout.write(json.dumps(report.__dict__))
        elif report.intact:
            self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {report.events_checked} events verified."))
        if not report.intact:
            raise CommandError(
                f"Audit chain broken at event #{report.first_bad_sequence} ({report.problem}); "
                f"{report.events_checked} events before it verified."
            )
