"""The certificate inventory: every certificate Motcua's PKI issued, and whether it was revoked.

The inventory is what the OCSP responder and the CRL answer from; the certificates and the dev PKI's keys
themselves live under ``DATA_DIR/pki`` (see ``signatures.services``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.core.models import BaseModel


class RevocationReason(models.TextChoices):
    """CRLReason of RFC 5280 § 5.3.1, by its ASN.1 name (the value ``cryptography.x509.ReasonFlags`` uses)."""

    UNSPECIFIED = "unspecified", _("Unspecified")
    KEY_COMPROMISE = "keyCompromise", _("Key compromise")
    CA_COMPROMISE = "cACompromise", _("CA compromise")
    AFFILIATION_CHANGED = "affiliationChanged", _("Affiliation changed")
    SUPERSEDED = "superseded", _("Superseded")
    CESSATION_OF_OPERATION = "cessationOfOperation", _("Cessation of operation")
    CERTIFICATE_HOLD = "certificateHold", _("Certificate on hold")
    PRIVILEGE_WITHDRAWN = "privilegeWithdrawn", _("Privilege withdrawn")


class Certificate(BaseModel):
    """One X.509 certificate (chứng thư số) issued by Motcua's PKI."""

    class Kind(models.TextChoices):
        ROOT_CA = "root_ca", _("Root CA")
        ISSUING_CA = "issuing_ca", _("Issuing CA")
        AGENCY_SEAL = "agency_seal", _("Agency seal")
        PERSONAL = "personal", _("Personal signing certificate")
        TSA = "tsa", _("Time-stamping authority")
        OCSP = "ocsp", _("OCSP responder")

    serial_number = models.CharField(_("serial number"), max_length=64, help_text=_("Lower-case hexadecimal."))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    subject_common_name = models.CharField(_("subject name"), max_length=200)
    organisation_code = models.CharField(_("organisation code"), max_length=35, blank=True, db_index=True)
    organisation = models.ForeignKey(
        "agencies.Organisation",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("holder"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    not_before = models.DateTimeField(_("valid from"))
    not_after = models.DateTimeField(_("valid until"))
    pem = models.TextField(_("certificate (PEM)"))
    sha256_fingerprint = models.CharField(_("SHA-256 fingerprint"), max_length=64, unique=True)
    issuer_sha256_fingerprint = models.CharField(_("issuer's SHA-256 fingerprint"), max_length=64, db_index=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revocation_reason = models.CharField(
        _("revocation reason"), max_length=30, choices=RevocationReason.choices, blank=True
    )

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            models.UniqueConstraint(
                fields=["issuer_sha256_fingerprint", "serial_number"], name="certificate_serial_unique_per_issuer"
            ),
            models.CheckConstraint(
                condition=models.Q(revoked_at__isnull=True, revocation_reason="")
                | models.Q(revoked_at__isnull=False) & ~models.Q(revocation_reason=""),
                name="certificate_revocation_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_common_name} ({self.serial_number})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
