"""``motcua paysandbox --port 8001``: the local stand-in of the national payment platform (its own process and
SQLite file; see motcua.payments.sandbox). It knows Motcua's client id and shared secret from the settings."""

from django.conf import settings
from django.core.management.base import BaseCommand

from motcua.payments.sandbox.server import serve


class Command(BaseCommand):
    help = "Serve the payment sandbox (a stand-in of the national payment platform) on its own port."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument("--database", default=str(settings.DATA_DIR / "paysandbox.sqlite3"))
        parser.add_argument("--public-url", default="", help="base URL of its pages (default http://host:port)")

    def handle(self, *args, **options):
        server = serve(
            host=options["host"],
            port=options["port"],
            database=options["database"],
            clients={settings.PAYMENT_SANDBOX_CLIENT_ID: settings.PAYMENT_SANDBOX_SECRET},
            public_url=options["public_url"],
        )
        self.stdout.write(f"LISTENING {server.server_address[1]}")
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
