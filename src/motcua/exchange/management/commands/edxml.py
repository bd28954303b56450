"""``motcua edxml check FILE [--strict] [--check-recipients]``: what Motcua makes of an edXML package.

For integrators debugging their systems: the package (or status package) is read as a receiving node reads it,
its seal checked against this deployment's trust, and everything printed as one JSON object: the header, the
trace and business part, the attachments (name, type, size, SHA-256), the signature report, the warnings and the
errors, each naming its field. Exit code 0 when the package would be accepted, 1 when it would be refused, 2 when
the file cannot be read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from motcua.agencies.selectors import organisation_find
from motcua.exchange.edxml import (
    FieldIssue,
    PackageRefused,
    ParsedPackage,
    ParsedStatus,
    edxml_parse,
    package_verify,
)
from motcua.exchange.edxml.limits import ParseLimits
from motcua.exchange.edxml.serialise import jsonable

EXIT_REFUSED = 1
EXIT_UNREADABLE = 2


def recipient_known(code: str) -> bool:
    """Whether this deployment's directory has an active organisation with this electronic code."""
    organisation = organisation_find(reference=code)
    return organisation is not None and organisation.is_active and organisation.code == code


class Command(BaseCommand):
    help = (
        "Check an edXML package (QCVN 102:2016) as this node would receive it and print the result as JSON: "
        "header, trace, business part, attachments, signature report, warnings and errors. Exit code 0 when it "
        "would be accepted, 1 when refused, 2 when the file cannot be read."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["check"])
        parser.add_argument("file", metavar="FILE", help="the edXML package or status package")
        parser.add_argument("--strict", action="store_true", help="every warning is an error")
        parser.add_argument(
            "--check-recipients",
            action="store_true",
            help="refuse recipients (To/OrganId) that this deployment's directory does not know",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        result = package_check(path, strict=options["strict"], check_recipients=options["check_recipients"])
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
        if result.get("unreadable"):
            raise CommandError(_("The file cannot be read."), returncode=EXIT_UNREADABLE)
        if not result["accepted"]:
            raise CommandError(_("The package would be refused."), returncode=EXIT_REFUSED)


def package_check(path: Path, *, strict: bool, check_recipients: bool) -> dict[str, Any]:
    """What a receiving node makes of the package at ``path``, as JSON-ready data (see the module's docstring)."""
    result: dict[str, Any] = {"file": str(path), "accepted": False, "kind": None}
    limits = ParseLimits.from_settings()
    try:
        size = path.stat().st_size
        with path.open("rb"):
            pass
    except OSError as error:
        result.update(unreadable=True, errors=[{"path": "", "code": "unreadable", "message": error.strerror}])
        return result
    try:
        parsed = edxml_parse(
            path,
            limits=limits,
            strict=strict,
            recipient_exists=recipient_known if check_recipients else None,
            keep_attachments=False,
        )
    except PackageRefused as refused:
        result.update(
            size=size,
            warnings=[issue.as_dict() for issue in refused.warnings],
            errors=[issue.as_dict() for issue in refused.errors],
        )
        return result
    with parsed:
        errors: list[FieldIssue] = []
        warnings = list(parsed.warnings)
        result.update(kind=parsed.kind, size=parsed.size, sha256=parsed.sha256)
        if isinstance(parsed, ParsedPackage):
            result["header"] = jsonable(parsed.header)
            result["trace"] = jsonable(parsed.trace.trace_headers)
            result["business"] = jsonable(parsed.trace.business)
            result["attachments"] = [attachment.as_dict() for attachment in parsed.attachments]
        elif isinstance(parsed, ParsedStatus):
            result["status"] = jsonable(parsed.status)
            result["trace"] = jsonable(parsed.trace.trace_headers) if parsed.trace else []
        result["signature"] = None
        if parsed.signed:
            verification = package_verify(path.read_bytes(), limits=limits)
            result["signature"] = verification.as_dict()
            if not verification.accepted:
                errors.append(_seal_problem(verification.as_dict()))
        else:
            unsigned = FieldIssue("Signature", "unsigned", _("The package is not signed."))
            (errors if strict else warnings).append(unsigned)
    result["warnings"] = [issue.as_dict() for issue in warnings]
    result["errors"] = [issue.as_dict() for issue in errors]
    result["accepted"] = not errors
    return result


def _seal_problem(verification: dict[str, Any]) -> FieldIssue:
    reasons = [reason for signature in verification["report"]["signatures"] for reason in signature["reasons"]]
    reasons += verification["report"]["errors"] + verification["problems"]
    first = reasons[0] if reasons else {"code": "signature_invalid", "message": _("The signature is not valid.")}
    return FieldIssue("Signature", str(first["code"]), str(first["message"]))
