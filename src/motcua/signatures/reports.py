"""The verification report: one per signature, and one for the whole file.

Every verifier (PDF, XML) answers with these, so the UI, the API, the command line and other domains
read one shape. ``status`` is ``valid``, ``invalid`` or ``indeterminate`` (ETSI EN 319 102-1's three
main indications); ``reasons`` say why in words a person can read, each with a stable ``code`` for
programs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    INDETERMINATE = "indeterminate"


@dataclass(frozen=True)
class Reason:
    """Why a signature is not valid (or a warning about a valid one). ``message`` is already translated."""

    code: str  # e.g. "revoked", "expired", "unknown_issuer", "modified_after_signing", "bad_digest"
    message: str


@dataclass
class SignatureReport:
    status: Status
    reasons: list[Reason] = field(default_factory=list)
    signer_name: str = ""  # the certificate subject's common name
    signer_organisation: str = ""
    signer_certificate_sha256: str = ""
    issuer_name: str = ""
    signing_time: dt.datetime | None = None  # claimed by the signer
    timestamp_time: dt.datetime | None = None  # from a trusted timestamp, if any
    covers_whole_document: bool | None = None  # PDF: no change appended after this signature
    modifications: str = ""  # PDF: what was changed after signing, if anything (pyHanko's modification level)
    field_name: str = ""  # PDF signature field, or XML Signature element id
    algorithm: str = ""

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        for key in ("signing_time", "timestamp_time"):
            value = data[key]
            data[key] = value.isoformat() if value is not None else None
        return data


@dataclass
class FileReport:
    """The report for a file: each signature's report and the overall status."""

    kind: str  # "pdf" or "xml"
    signatures: list[SignatureReport] = field(default_factory=list)
    errors: list[Reason] = field(default_factory=list)  # the file itself could not be read

    @property
    def status(self) -> Status:
        if self.errors or not self.signatures:
            return Status.INVALID if self.errors else Status.INDETERMINATE
        statuses = {report.status for report in self.signatures}
        if Status.INVALID in statuses:
            return Status.INVALID
        if Status.INDETERMINATE in statuses:
            return Status.INDETERMINATE
        return Status.VALID

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "status": self.status.value,
            "signatures": [report.as_dict() for report in self.signatures],
            "errors": [asdict(error) for error in self.errors],
        }
