"""Expiry warnings for the certificates Motcua signs with.

A signing certificate that lapses stops the work it serves (results cannot be signed, documents cannot be
sent), and a licensed CA needs days to renew one. So the holders are warned ahead: 30, 7 and 1 day before
``not_after``, by e-mail in their own language, once per threshold (``Certificate.expiry_warning_days``
remembers the last one sent). Personal certificates warn their holder; agency seals warn the agency's
administrators and the agency's mailbox. Only certificates with an active signing key are watched: the CAs,
the TSA and the OCSP responder of the development PKI are the operator's business (``motcua pki list``).

Run daily by the operator's scheduler: ``motcua certificates expiring --warn`` (or the task
``certificate_expiry_warn_task``).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from motcua.agencies.models import Role
from motcua.agencies.selectors import position_active_all
from motcua.core.audit import audit_record
from motcua.signatures.models import Certificate

logger = logging.getLogger(__name__)

WARNING_DAYS = (30, 7, 1)


@dataclass(frozen=True)
class ExpiryWarning:
    certificate: Certificate
    days_left: int
    threshold: int
    recipients: tuple[tuple[str, str], ...]  # (e-mail address, language)


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


def _recipients(certificate: Certificate) -> tuple[tuple[str, str], ...]:
    found: dict[str, str] = {}
    if certificate.kind == Certificate.Kind.PERSONAL:
        holder = certificate.holder
        if holder is not None and holder.email:
            found[holder.email] = getattr(holder, "preferred_language", "") or settings.LANGUAGE_CODE
    else:
        organisation = certificate.organisation
        if organisation is not None:
            admins = position_active_all().filter(organisation=organisation, role=Role.AGENCY_ADMIN)
            for position in admins.select_related("user"):
                if position.user.email:
                    found.setdefault(
                        position.user.email,
                        getattr(position.user, "preferred_language", "") or settings.LANGUAGE_CODE,
                    )
            if organisation.email:
                found.setdefault(organisation.email, settings.LANGUAGE_CODE)
    return tuple(found.items())


def _message(warning: ExpiryWarning, language: str) -> tuple[str, str]:
    certificate = warning.certificate
    with translation.override(language):
        subject = _("Your signing certificate expires in %(days)d day(s)") % {"days": warning.days_left}
        body = _(
            "The certificate “%(name)s” (serial number %(serial)s) expires on %(date)s.\n\n"
            "After that date nothing can be signed with it: ask your certification authority to renew it, "
            "then have the new certificate registered in Motcua."
        ) % {
            "name": certificate.subject_common_name,
            "serial": certificate.serial_number,
            "date": timezone.localtime(certificate.not_after).strftime("%d/%m/%Y %H:%M"),
        }
    return subject, body


def _mail(*, subject: str, body: str, address: str) -> None:
    try:
        send_mail(subject, body, None, [address], fail_silently=False)
    except Exception:  # a mail server down must not stop the other warnings; the log tells the operator
        logger.exception("certificate expiry warning not sent", extra={"address": address})


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
            for address, language in warning.recipients:
                subject, body = _message(warning, language)
                transaction.on_commit(partial(_mail, subject=subject, body=body, address=address))
        if not warning.recipients:
            logger.warning("certificate expires with nobody to warn", extra={"serial": certificate.serial_number})
        sent.append(warning)
    return sent
