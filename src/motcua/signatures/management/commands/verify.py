"""``motcua verify FILE [FILE...]``: check the signatures of PDF or XML files, print the reports as JSON.

The same verification as the public page and the API (``signatures.verification.document_verify``), with this
deployment's trust anchors. Exit code 0 only when every signature of every file is valid; 1 when any is not
(or a file has none, or cannot be checked); 2 when a path cannot be read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from motcua.signatures.reports import Status
from motcua.signatures.verification import document_verify, verification_result

EXIT_NOT_VALID = 1
EXIT_UNREADABLE = 2


class Command(BaseCommand):
    help = (
        "Verify the signatures of PDF or XML files and print one JSON report per file (a list). Exit code 0 "
        "only if every signature of every file is valid, 1 otherwise, 2 if a path cannot be read."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE", help="PDF or XML files to verify")

    def handle(self, *args: Any, **options: Any) -> None:
        results: list[dict[str, Any]] = []
        unreadable = not_valid = False
        for name in options["files"]:
            path = Path(name)
            try:
                data = path.read_bytes()
            except OSError as error:
                unreadable = True
                results.append({"path": name, "error": error.strerror or str(error)})
                continue
            report = document_verify(data=data, filename=path.name)
            results.append({"path": name, **verification_result(report=report, data=data, filename=path.name)})
            not_valid = not_valid or report.status != Status.VALID
        self.stdout.write(json.dumps(results, ensure_ascii=False, indent=2))
        if unreadable:
            raise CommandError("Some files could not be read.", returncode=EXIT_UNREADABLE)
        if not_valid:
            raise CommandError("Not every signature is valid.", returncode=EXIT_NOT_VALID)
