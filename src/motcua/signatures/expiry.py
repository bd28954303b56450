"""Expiry warnings for the certificates Motcua signs with.

A signing certificate that lapses stops the work it serves (results cannot be signed, documents cannot be
sent), and a licensed CA needs days to renew one. So the holders are warned ahead: 30, 7 and 1 day before
``not_after``, once per threshold (``Certificate.expiry_warning_days`` remembers the last one sent), through
notifications (event ``signatures.certificate_expiring``: e-mail and the in-app inbox, in each person's own
language, templates in ``signatures/notifications/certificate_expiring``). Personal certificates warn their
holder; agency seals warn the agency's administrators and the agency's mailbox (by e-mail). Only certificates
with an active signing key are watched: the CAs, the TSA and the OCSP responder of the development PKI are the
operator's business (``motcua pki list``).

Run daily by the operator's scheduler: ``motcua certificates expiring --warn`` (or the task
``certificate_expiry_warn_task``).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from motcua.agencies.models import Role
from motcua.agencies.selectors import position_active_all
from motcua.core.audit import audit_record
from motcua.notifications.services import Recipient, notify
from motcua.signatures.models import Certificate

logger = logging.getLogger(__name__)

WARNING_DAYS = (30, 7, 1)
# Registered in SignaturesConfig.ready(); its wording is in templates/signatures/notifications/certificate_expiring.
EXPIRING_EVENT = "signatures.certificate_expiring"


@dataclass(frozen=True)
class ExpiryWarning:
    certificate: Certificate
    days_left: int
    threshold: int
    recipients: tuple[Recipient, ...]


def certificates_expiring(*, within_days: int = WARNING_DAYS[0], now: dt.datetime | None = None) -> list[Certificate]:
    """Valid, unrevoked signing certificates (with an active key) that lapse within ``within_days``."""
    now = now or timezone.now()
    return list(
        Certificate.objects.filter(
            revoked_at__isnull=True,
            not_after__gt=now,
            not_after__lte=now + dt.timedelta(days=within_days),
            signing_key__is_active=True,
        )
        .select_related("holder", "organisation")
        .order_by("not_after")
    )


def _threshold(days_left: int) -> int | None:
    """The smallest warning threshold that ``days_left`` has reached (30, 7 or 1), or None."""
    reached = [days for days in WARNING_DAYS if days_left <= days]
    return min(reached) if reached else None


def _recipients(certificate: Certificate) -> tuple[Recipient, ...]:
    """The holder of a personal certificate; the administrators and the mailbox of a seal's agency."""
    found: dict[str, Recipient] = {}  # by e-mail address (or account), so nobody is told twice
    if certificate.kind == Certificate.Kind.PERSONAL:
        holder = certificate.holder
        if holder is not None and holder.is_active:
            found[holder.email or str(holder.pk)] = Recipient(user=holder)
    else:
        organisation = certificate.organisation
        if organisation is not None:
            admins = position_active_all().filter(organisation=organisation, role=Role.AGENCY_ADMIN)
            for position in admins.select_related("user"):
                found.setdefault(position.user.email or str(position.user.pk), Recipient(user=position.user))
            if organisation.email:
                found.setdefault(organisation.email, Recipient(email=organisation.email, name=organisation.name))
    return tuple(found.values())


def _link(certificate: Certificate) -> str:
    if certificate.kind != Certificate.Kind.PERSONAL and certificate.organisation is not None:
        code = certificate.organisation.code
        if code:
            return reverse("signing_keys:organisation", kwargs={"code": code})
    return reverse("signing_keys:mine")


def certificate_expiry_warn(*, now: dt.datetime | None = None, actor: Any = None) -> list[ExpiryWarning]:
    """Warn the holders of certificates that reached a warning threshold they were not yet warned for."""
    now = now or timezone.now()
    sent: list[ExpiryWarning] = []
    for certificate in certificates_expiring(now=now):
        days_left = max(0, (certificate.not_after - now).days)
        threshold = _threshold(days_left)
        if threshold is None:
            continue
        if certificate.expiry_warning_days is not None and certificate.expiry_warning_days <= threshold:
            continue
        warning = ExpiryWarning(
            certificate=certificate, days_left=days_left, threshold=threshold, recipients=_recipients(certificate)
        )
        with transaction.atomic():
            row = Certificate.objects.select_for_update().get(pk=certificate.pk)
            if row.expiry_warning_days is not None and row.expiry_warning_days <= threshold:
                continue  # another worker sent it meanwhile
            row.expiry_warning_days = threshold
            row.save(update_fields=["expiry_warning_days", "updated_at"])
            audit_record(
                action="signatures.certificate_expiry_warned",
                instance=row,
                after={"days_left": days_left, "threshold": threshold, "recipients": len(warning.recipients)},
                actor=actor,
            )
            notify(
                event=EXPIRING_EVENT,
                recipients=warning.recipients,
                context={
                    "certificate_name": certificate.subject_common_name,
                    "serial_number": certificate.serial_number,
                    "not_after": certificate.not_after.isoformat(),
                    "days": days_left,
                    "threshold": threshold,
                    "seal": certificate.kind != Certificate.Kind.PERSONAL,
                },
                link=_link(certificate),
                subject_type="signatures.certificate",
                subject_id=str(certificate.pk),
                dedupe_key=f"certificate_expiring:{certificate.pk}:{threshold}",
            )
        if not warning.recipients:
            logger.warning("certificate expires with nobody to warn", extra={"serial": certificate.serial_number})
        sent.append(warning)
    return sent
