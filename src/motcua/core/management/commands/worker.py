import logging

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorker


class _Worker(DatabaseWorker):
    """django-tasks' database worker, whose own log lines follow ``MOTCUA_TASK_LOG_LEVEL``.

    Left alone it sets its loggers to INFO at the default verbosity, over the settings' LOGGING, and names every
    task it runs: the periodic sweeps would fill the log every few seconds.
    """

    def configure_logging(self, verbosity: int) -> None:
        super().configure_logging(verbosity)
        if verbosity == 1:
            level = logging.getLevelName(settings.TASK_LOG_LEVEL)
            for name in ("django_tasks", "django_tasks_db"):
                logging.getLogger(name).setLevel(level)


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
            "--verbosity",
            str(options["verbosity"]),
        ]
        if options["max_tasks"]:
            arguments += ["--max-tasks", str(options["max_tasks"])]
        call_command(_Worker(stdout=self.stdout, stderr=self.stderr), *arguments)
