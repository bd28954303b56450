"""What is wrong with a package: field-level errors and warnings, and the refusal that carries them."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from motcua.core.exceptions import ValidationFailed


@dataclass(frozen=True)
class FieldIssue:
    """One problem, named by the element path (``MessageHeader/To[2]/OrganId``) and a stable code.

    ``message`` is translated in the language active when the package was read. An empty path means the package
    as a whole (its size, its XML).
    """

    path: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


@dataclass(frozen=True)
class RefusedReference:
    """What could be read of a refused package, enough to answer with a status 02 (rejected) when complete."""

    document_id: str = ""
    from_organ_id: str = ""
    code: str = ""  # "number/notation"
    promulgation_date: dt.date | None = None

    @property
    def is_complete(self) -> bool:
        return bool(self.document_id and self.from_organ_id and self.code and self.promulgation_date)


class PackageRefused(ValidationFailed):
    """The package cannot be accepted: ``errors`` name each field and why (``warnings`` were found too).

    Maps to HTTP 422 with ``details = {"errors": [...], "warnings": [...]}``.
    """

    default_code = "edxml_refused"
    default_message = _("The edXML package was refused.")

    def __init__(
        self,
        *,
        errors: list[FieldIssue],
        warnings: list[FieldIssue] | None = None,
        reference: RefusedReference | None = None,
    ) -> None:
        self.errors = list(errors)
        self.warnings = list(warnings or [])
        self.reference = reference or RefusedReference()
        first = self.errors[0] if self.errors else None
        message = (
            gettext("The edXML package was refused: %(problem)s") % {"problem": str(first)}
            if first is not None
            else gettext("The edXML package was refused.")
        )
        super().__init__(
            message,
            details={
                "errors": [issue.as_dict() for issue in self.errors],
                "warnings": [issue.as_dict() for issue in self.warnings],
            },
        )

    def reason(self, *, limit: int = 500) -> str:
        """The errors as one line, for a status 02's Description (at most ``limit`` characters)."""
        text = "; ".join(str(issue) for issue in self.errors)
        return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class IssueCollector:
    """Errors and warnings found while reading; in strict mode every warning is an error."""

    strict: bool = False
    errors: list[FieldIssue] = field(default_factory=list)
    warnings: list[FieldIssue] = field(default_factory=list)

    def error(self, path: str, code: str, message: Any) -> None:
        self.errors.append(FieldIssue(path=path, code=code, message=str(message)))

    def warn(self, path: str, code: str, message: Any) -> None:
        issue = FieldIssue(path=path, code=code, message=str(message))
        (self.errors if self.strict else self.warnings).append(issue)
