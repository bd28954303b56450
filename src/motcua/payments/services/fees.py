"""Fee quotes: what a procedure's fee lines come to for a number of copies and an applicant category."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from motcua.core.exceptions import ValidationFailed
from motcua.procedures.content import ProcedureContent

MAX_COPIES = 1000


@dataclass(frozen=True)
class FeeLine:
    """One line of a quote or a bill. ``kind``: "fee" (phí) or "charge" (lệ phí); ``amount`` is what is owed
    (``unit_amount`` × ``quantity``, or 0 when ``exempt``)."""

    code: str
    name: str
    kind: str
    unit_amount: int
    quantity: int
    amount: int
    exempt: bool = False


@dataclass(frozen=True)
class FeeQuote:
    lines: tuple[FeeLine, ...]

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def payable_lines(self) -> tuple[FeeLine, ...]:
        """The lines with something to pay (a bill lists these)."""
        return tuple(line for line in self.lines if line.amount > 0)


def fee_quote(*, content: ProcedureContent, copies: int = 1, applicant_category: str = "") -> FeeQuote:
    """Fixed lines once, per-copy lines × ``copies``; a line is 0 when the applicant's category is among its
    exemptions (miễn phí, lệ phí: e.g. people with meritorious service, poor households, per the fee's legal
    basis). Amounts are integer đồng."""
    if isinstance(copies, bool) or not isinstance(copies, int) or not 1 <= copies <= MAX_COPIES:
        raise ValidationFailed(
            details={"copies": [str(_("Enter a number of copies from 1 to %(limit)s.") % {"limit": MAX_COPIES})]}
        )
    category = (applicant_category or "").strip()
    lines = []
    for fee in content.fees:
        quantity = copies if fee.basis == "per_copy" else 1
        exempt = bool(category) and category in fee.exempt_categories
        lines.append(
            FeeLine(
                code=fee.code,
                name=fee.name,
                kind=fee.kind,
                unit_amount=fee.amount,
                quantity=quantity,
                amount=0 if exempt else fee.amount * quantity,
                exempt=exempt,
            )
        )
    return FeeQuote(lines=tuple(lines))
