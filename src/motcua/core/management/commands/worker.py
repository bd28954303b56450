from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run a background task worker on the database queue (run several to scale out)."

    def add_arguments(self, parser):
        parser.add_argument("--queue-name", default="*", help="comma-separated queues, or * for all")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls when idle")
        parser.add_argument("--max-tasks", type=int, default=None, help="exit after this many tasks")

    def handle(self, *args, **options):
        arguments = [
            "--queue-name",
            options["queue_name"],
            "--interval",
            str(options["interval"]),
            "--no-startup-delay",
        ]
        if options["max_tasks"]:
            arguments += ["--max-tasks", str(options["max_tasks"])]
        call_command("db_worker", *arguments)
