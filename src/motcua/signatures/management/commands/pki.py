"""``motcua pki init [--force] [--pin PIN] | revoke SERIAL [--reason R] | list`` (the development PKI, see
signatures.services). The keys ``init`` issues are encrypted under the PIN given with ``--pin`` or in
``MOTCUA_DEMO_SIGNING_PIN`` (the environment keeps it out of the process list)."""

from __future__ import annotations

import json
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from motcua.core.exceptions import MotcuaError
from motcua.signatures.models import Certificate, RevocationReason
from motcua.signatures.services import CA_KEY_SIZE, certificate_revoke, pki_init

PIN_ENVIRONMENT_VARIABLE = "MOTCUA_DEMO_SIGNING_PIN"


class Command(BaseCommand):
    help = (
        "Development PKI. `init` creates the root CA, issuing CA, TSA and OCSP responder once (`--force` "
        "recreates them and forgets every certificate they issued, with its key) and issues the missing agency "
        "seals and personal certificates for the directory, their keys encrypted under --pin; "
        "`revoke SERIAL --reason keyCompromise` revokes a certificate; `list` prints the inventory as JSON."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["init", "revoke", "list"])
        parser.add_argument("serial", nargs="?", help="revoke: the certificate's serial number (hexadecimal)")
        parser.add_argument(
            "--reason",
            default=RevocationReason.UNSPECIFIED,
            choices=RevocationReason.values,
            help="revoke: the RFC 5280 reason code",
        )
        parser.add_argument("--force", action="store_true", help="init: recreate the PKI even if it exists")
        parser.add_argument("--ca-key-size", type=int, default=CA_KEY_SIZE, help="init: RSA key size of the CAs")
        parser.add_argument(
            "--no-directory",
            action="store_true",
            help="init: do not issue certificates for organisations and officials",
        )
        parser.add_argument(
            "--pin",
            default="",
            help=(
                "init: the PIN that encrypts the keys issued (6 to 12 characters); by default "
                f"${PIN_ENVIRONMENT_VARIABLE}"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "init":
                issue_for_directory = not options["no_directory"]
                pin = options["pin"] or os.environ.get(PIN_ENVIRONMENT_VARIABLE, "")
                if issue_for_directory and not pin:
                    raise CommandError(
                        f"`pki init` encrypts the keys it issues under a PIN: give --pin or set "
                        f"{PIN_ENVIRONMENT_VARIABLE} (or --no-directory to issue none)."
                    )
                report = pki_init(
                    force=options["force"],
                    ca_key_size=options["ca_key_size"],
                    issue_for_directory=issue_for_directory,
                    pin=pin,
                )
                state = "created" if report.created else "already present"
                self.stdout.write(
                    self.style.SUCCESS(
                        f"PKI {state} in {report.directory}; issued {report.seals_issued} agency seals and "
                        f"{report.personal_issued} personal certificates."
                    )
                )
            elif action == "revoke":
                if not options["serial"]:
                    raise CommandError("`pki revoke` needs a serial number.")
                row = certificate_revoke(serial_number=options["serial"], reason=options["reason"])
                self.stdout.write(
                    self.style.SUCCESS(
                        f"Revoked {row.serial_number} ({row.subject_common_name}): {row.revocation_reason}."
                    )
                )
            else:
                self.stdout.write(json.dumps(self._inventory(), ensure_ascii=False, indent=2))
        except MotcuaError as error:
            raise CommandError(f"{error.message} {error.details or ''}".strip()) from error

    @staticmethod
    def _inventory() -> list[dict[str, Any]]:
        return [
            {
                "serial_number": row.serial_number,
                "kind": row.kind,
                "subject_common_name": row.subject_common_name,
                "organisation_code": row.organisation_code,
                "not_before": row.not_before.isoformat(),
                "not_after": row.not_after.isoformat(),
                "sha256_fingerprint": row.sha256_fingerprint,
                "issuer_sha256_fingerprint": row.issuer_sha256_fingerprint,
                "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
                "revocation_reason": row.revocation_reason,
            }
            for row in Certificate.objects.order_by("created_at")
        ]
