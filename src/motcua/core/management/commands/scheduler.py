import time

from django.core.management.base import BaseCommand

from motcua.core.schedule import periodic_enqueue_due, periodic_jobs


class Command(BaseCommand):
    help = "Enqueue periodic jobs when they are due (run one per machine; they agree through the database)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between checks")
        parser.add_argument("--once", action="store_true", help="check once and exit")
        parser.add_argument("--list", action="store_true", help="list the registered jobs and exit")

    def handle(self, *args, **options):
        if options["list"]:
            for job in periodic_jobs():
                self.stdout.write(f"{job.name}\tevery {job.every}\t{job.task}")
            return
        while True:
            periodic_enqueue_due()
            if options["once"]:
                return
            time.sleep(options["interval"])
