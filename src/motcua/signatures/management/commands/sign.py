"""``motcua sign FILE --as CODE [--output OUT] [--pin-env VAR]``: sign a PDF or XML document with a stored key.

CODE names the key: an organisation's electronic code (its agency seal), a username (that official's personal
key) or a certificate's serial number. The PIN is read from the environment variable named by ``--pin-env``
(``MOTCUA_SIGNING_PIN`` by default), or asked for when the command runs in a terminal; never from the command
line, which other users of the machine can read. A PDF gets a visible stamp in Vietnamese and a PAdES B-LT
signature, an XML document an enveloped XML-DSig signature. The command acts as the platform (SYSTEM).

Exit status: 0 signed, 1 error, 2 wrong usage, 3 wrong PIN, 4 key locked.
"""

from __future__ import annotations

import datetime as dt
import getpass
import io
import os
import sys
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields

from motcua.agencies.selectors import organisation_find
from motcua.core.exceptions import MotcuaError, NotFound, ValidationFailed
from motcua.core.permissions import SYSTEM
from motcua.signatures.keys import KeySigner, pdf_sign_with, signing_key_find, signing_key_unlock, xml_sign_with
from motcua.signatures.models import Certificate, SigningKey
from motcua.signatures.pdf import StampText
from motcua.signatures.services import certificate_find

DEFAULT_PIN_VARIABLE = "MOTCUA_SIGNING_PIN"
EXIT_WRONG_PIN = 3
EXIT_LOCKED = 4
STAMP_WIDTH, STAMP_HEIGHT, MARGIN, GAP = 230, 70, 36, 10


def _document_kind(data: bytes) -> str | None:
    if b"%PDF-" in data[:1024]:
        return "pdf"
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return "xml" if start == b"<" else None


def _signing_key_for(code: str) -> SigningKey:
    """The key CODE names: an organisation's seal, an official's personal key, or a certificate's key."""
    code = code.strip()
    organisation = organisation_find(reference=code)
    if organisation is not None and organisation.code:
        key = signing_key_find(organisation_code=organisation.code, kind=Certificate.Kind.AGENCY_SEAL)
        if key is None:
            raise CommandError(
                _("%(name)s (%(code)s) has no agency seal key with a valid certificate.")
                % {"name": organisation.name, "code": organisation.code}
            )
        return key
    user = get_user_model().objects.filter(username=code).first()
    if user is not None:
        key = signing_key_find(holder=user, kind=Certificate.Kind.PERSONAL)
        if key is None:
            raise CommandError(_("%(user)s has no personal signing key with a valid certificate.") % {"user": code})
        return key
    try:
        row = certificate_find(serial_number=code)
    except (NotFound, ValidationFailed):
        raise CommandError(
            _(
                "%(code)s is neither an organisation's electronic code, a username nor the serial number of a "
                "certificate."
            )
            % {"code": code}
        ) from None
    key = SigningKey.objects.filter(certificate=row).first()
    if key is None:
        raise CommandError(_("There is no signing key for the certificate %(serial)s.") % {"serial": row.serial_number})
    return key


def _name_part(certificate: x509.Certificate, oid: x509.ObjectIdentifier) -> str:
    values = certificate.subject.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def _stamp(signer: KeySigner) -> StampText:
    row = signer.signing_key.certificate
    common_name = _name_part(signer.certificate, NameOID.COMMON_NAME) or row.subject_common_name
    if row.kind == Certificate.Kind.AGENCY_SEAL:
        return StampText(signer_name=common_name, signed_at=dt.datetime.now(dt.UTC))
    holder = row.holder
    name = (getattr(holder, "full_name", "") if holder is not None else "") or common_name
    return StampText(
        signer_name=name,
        position=_name_part(signer.certificate, NameOID.TITLE),
        agency=_name_part(signer.certificate, NameOID.ORGANIZATION_NAME),
        signed_at=dt.datetime.now(dt.UTC),
    )


def _field_and_box(data: bytes) -> tuple[str, tuple[int, int, int, int] | None]:
    """A new field name, and a box above the stamps already on the first page (bottom right upwards)."""
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        names = {str(name) for name, _value, _reference in enumerate_sig_fields(reader)}
        media_box = reader.find_page_for_modification(0)[0].get_object().get("/MediaBox")
    except Exception:
        return "ChuKySo1", None  # pdf_sign says what is wrong with the file
    number = len(names) + 1
    while f"ChuKySo{number}" in names:
        number += 1
    right = int(float(media_box[2])) if media_box is not None else 595
    bottom = int(float(media_box[1])) if media_box is not None else 0
    lower = bottom + MARGIN + len(names) * (STAMP_HEIGHT + GAP)
    return f"ChuKySo{number}", (right - MARGIN - STAMP_WIDTH, lower, right - MARGIN, lower + STAMP_HEIGHT)


class Command(BaseCommand):
    help = (
        "Sign a PDF (visible stamp, PAdES B-LT) or an XML document (enveloped XML-DSig) with a stored key: "
        "--as an organisation code (its seal), a username (personal key) or a certificate serial number. "
        f"The PIN comes from ${DEFAULT_PIN_VARIABLE} (or --pin-env VAR), or is asked for in a terminal. "
        "Exit status: 3 wrong PIN, 4 key locked, 1 other errors."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="the PDF or XML document to sign")
        parser.add_argument(
            "--as", dest="code", required=True, metavar="CODE", help="organisation code, username or certificate serial"
        )
        parser.add_argument("--output", default="", help="where to write the signed document (FILE.signed.pdf/.xml)")
        parser.add_argument(
            "--pin-env",
            default=DEFAULT_PIN_VARIABLE,
            metavar="VAR",
            help=f"environment variable holding the PIN (default {DEFAULT_PIN_VARIABLE})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(_("Cannot read %(file)s: %(error)s") % {"file": path, "error": error.strerror}) from None
        kind = _document_kind(data)
        if kind is None:
            raise CommandError(_("%(file)s is neither a PDF nor an XML document.") % {"file": path})
        key = _signing_key_for(options["code"])
        pin = self._pin(options["pin_env"], key)
        try:
            signer = signing_key_unlock(signing_key=key, pin=pin, actor=SYSTEM)
            if kind == "pdf":
                field_name, box = _field_and_box(data)
                signed = pdf_sign_with(
                    data=data, signer=signer, field_name=field_name, stamp=_stamp(signer), box=box, actor=SYSTEM
                )
            else:
                signed = xml_sign_with(data=data, signer=signer, actor=SYSTEM)
        except MotcuaError as error:
            returncode = {"wrong_pin": EXIT_WRONG_PIN, "signing_key_locked": EXIT_LOCKED}.get(error.code, 1)
            raise CommandError(str(error.message), returncode=returncode) from error
        except ValueError as error:  # xml_sign refuses a document it cannot sign as an enveloped signature
            raise CommandError(str(error)) from error
        output = Path(options["output"]) if options["output"] else path.with_name(f"{path.stem}.signed.{kind}")
        try:
            output.write_bytes(signed)
        except OSError as error:
            raise CommandError(
                _("Cannot write %(file)s: %(error)s") % {"file": output, "error": error.strerror}
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                _("Signed %(file)s with %(key)s (certificate %(serial)s): %(output)s")
                % {"file": path, "key": key, "serial": key.certificate.serial_number, "output": output}
            )
        )

    def _pin(self, variable: str, key: SigningKey) -> str:
        pin = os.environ.get(variable, "")
        if pin:
            return pin
        if sys.stdin.isatty():
            return getpass.getpass(_("PIN of %(key)s: ") % {"key": key})
        raise CommandError(
            _("Put the PIN in the environment variable %(variable)s, or run the command in a terminal to type it.")
            % {"variable": variable}
        )
