"""Collection accounts: the State Treasury account of each collecting agency, printed on the bill."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Organisation
from motcua.core.audit import audit_record, snapshot
from motcua.core.exceptions import ValidationFailed
from motcua.core.permissions import SYSTEM, permission_require
from motcua.payments.models import CollectionAccount

ACCOUNT_FIELDS = ["account_number", "account_name", "treasury_code", "treasury_name", "is_active"]


@transaction.atomic
def collection_account_set(
    *,
    actor: Any,
    organisation: Organisation,
    account_number: str,
    account_name: str,
    treasury_code: str,
    treasury_name: str,
    is_active: bool = True,
) -> CollectionAccount:
    """Set the agency's account (bills made from now on carry it; earlier bills keep theirs)."""
    permission_require(actor, "payments.manage_accounts", organisation)
    values = {
        "account_number": " ".join(str(account_number or "").split()),
        "account_name": " ".join(str(account_name or "").split()),
        "treasury_code": " ".join(str(treasury_code or "").split()),
        "treasury_name": " ".join(str(treasury_name or "").split()),
    }
    limits = {"account_number": 40, "account_name": 200, "treasury_code": 20, "treasury_name": 200}
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        if not value:
            errors[name] = [str(_("This field is required."))]
        elif len(value) > limits[name] or "|" in value:
            errors[name] = [str(_("This value is not valid."))]
    if errors:
        raise ValidationFailed(details=errors)
    account = CollectionAccount.objects.select_for_update().filter(organisation=organisation).first()
    before = snapshot(account, ACCOUNT_FIELDS) if account else None
    if account is None:
        account = CollectionAccount(organisation=organisation)
    for name, value in values.items():
        setattr(account, name, value)
    account.is_active = bool(is_active)
    account.save()
    audit_record(
        action="payments.collection_account_set",
        instance=account,
        before=before,
        after=snapshot(account, ACCOUNT_FIELDS),
        actor=actor,
    )
    return account


def payments_load_demo(*, actor: Any = SYSTEM) -> int:
    """Demo collection accounts for every agency of the demo directory with a code (made-up numbers in the
    format of State Treasury revenue accounts: 3511 + the agency's budget-unit code). Returns how many."""
    count = 0
    for organisation in Organisation.objects.filter(is_active=True).exclude(code__isnull=True).exclude(code=""):
        if CollectionAccount.objects.filter(organisation=organisation).exists():
            continue
        digits = "".join(character for character in organisation.code or "" if character.isdigit())[-7:].rjust(7, "0")
        collection_account_set(
            actor=actor,
            organisation=organisation,
            account_number=f"3511.0.{digits}",
            account_name=f"{organisation.name} – thu phí, lệ phí",
            treasury_code="0111",
            treasury_name="Kho bạc Nhà nước khu vực (tài khoản thử nghiệm)",
        )
        count += 1
    return count
