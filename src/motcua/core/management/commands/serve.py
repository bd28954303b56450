import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


def _payment_sandbox_address() -> tuple[str, int] | None:
    """Host and port of the payment sandbox when the sandbox gateway is on and points at this machine."""
    from urllib.parse import urlsplit

    if "sandbox" not in getattr(settings, "PAYMENT_GATEWAYS", []) or not getattr(
        settings, "PAYMENT_SANDBOX_EMBEDDED", False
    ):
        return None
    url = urlsplit(settings.PAYMENT_SANDBOX_URL)
    if url.hostname not in ("127.0.0.1", "localhost") or url.port is None:
        return None
    return url.hostname, url.port


class Command(BaseCommand):
    help = (
        "Serve Motcua: gunicorn web workers, a task worker, the periodic-job scheduler and (when configured) the "
        "payment sandbox, stopped together."
    )

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
            # Unused here, and its default path in the home directory is shared by every instance on the machine.
            "--no-control-socket",
        ]  # fmt: skip
        processes = [subprocess.Popen(web)]  # noqa: S603 - our own fixed command line
        if not options["no_worker"]:
            processes.append(subprocess.Popen([*motcua, "worker"]))  # noqa: S603
            processes.append(subprocess.Popen([*motcua, "scheduler"]))  # noqa: S603
        essential = list(processes)
        sandbox = _payment_sandbox_address()
        if sandbox is not None:  # the stand-in of the national payment platform; serving goes on without it
            sandbox_command = [*motcua, "paysandbox", "--host", sandbox[0], "--port", str(sandbox[1])]
            processes.append(subprocess.Popen(sandbox_command))  # noqa: S603
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
            while all(process.poll() is None for process in essential):
                time.sleep(0.5)
        finally:
            stop(None, None)
            for process in processes:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
        codes = [process.returncode for process in essential]
        if any(code not in (0, -signal.SIGTERM, None) for code in codes):
            raise SystemExit(1)
