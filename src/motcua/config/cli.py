"""The ``motcua`` console command: Django's management commands with Motcua's settings.

motcua serve        web server and a task worker (the embedded run)
motcua worker       a task worker only (scale out by running several)
motcua demo         load the demo agencies and accounts
motcua agencies import FILE | export FILE
motcua audit verify
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["motcua", *(argv if argv is not None else sys.argv[1:])])


if __name__ == "__main__":
    main()
