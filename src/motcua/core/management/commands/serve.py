import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Motcua: gunicorn web workers, a task worker and the periodic-job scheduler, stopped together."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("MOTCUA_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("MOTCUA_PORT", "8000")))
        parser.add_argument("--web-workers", type=int, default=int(os.environ.get("MOTCUA_WEB_WORKERS", "2")))
        parser.add_argument(
            "--no-worker", action="store_true", help="do not start a task worker nor the periodic-job scheduler"
        )

    def handle(self, *args, **options):
        # The shared cache of the embedded run is a database table (rate limits must hold across workers).
        call_command("createcachetable", verbosity=0)
        motcua = [sys.executable, "-m", "motcua.config.cli"]
        web = [
            sys.executable, "-m", "gunicorn", "motcua.config.wsgi:application",
            "--bind", f"{options['host']}:{options['port']}",
            "--workers", str(options["web_workers"]), "--threads", "4",
            "--access-logfile", "-", "--graceful-timeout", "10",
        ]  # fmt: skip
        processes = [subprocess.Popen(web)]  # noqa: S603 - our own fixed command line
        if not options["no_worker"]:
            processes.append(subprocess.Popen([*motcua, "worker"]))  # noqa: S603
            processes.append(subprocess.Popen([*motcua, "scheduler"]))  # noqa: S603
        self.stdout.write(
            self.style.SUCCESS(f"{settings.PLATFORM_NAME} is serving on http://{options['host']}:{options['port']}/")
        )
        demo_logins = settings.DATA_DIR / "demo-logins.txt"
        if demo_logins.exists():
            self.stdout.write(demo_logins.read_text())

        def stop(signum, frame):
            for process in processes:
                if process.poll() is None:
                    process.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while all(process.poll() is None for process in processes):
                time.sleep(0.5)
        finally:
            stop(None, None)
            for process in processes:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
        codes = [process.returncode for process in processes]
        if any(code not in (0, -signal.SIGTERM, None) for code in codes):
            raise SystemExit(1)
