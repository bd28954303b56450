"""The certificate inventory: every certificate Motcua's PKI issued, and whether it was revoked.

The inventory is what the OCSP responder and the CRL answer from; the certificates and the dev PKI's keys
themselves live under ``DATA_DIR/pki`` (see ``signatures.services``).
"""

from __future__ import annotations

import uuid

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
    is_imported = models.BooleanField(
        _("imported"), default=False, help_text=_("Issued by another CA and imported with its key, not by Motcua.")
    )
    expiry_warning_days = models.PositiveSmallIntegerField(
        _("last expiry warning (days before)"),
        null=True,
        blank=True,
        help_text=_("The smallest number of days before expiry for which the holder was already warned."),
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


class SigningKey(BaseModel):
    """A private key Motcua signs with, bound to one certificate of the inventory.

    Software keys are kept encrypted at rest (AES-256-GCM under a key derived with scrypt from the holder's PIN
    and the deployment's secret) and unlocked for one signing at a time; PKCS#11 keys never leave their token or
    HSM, which checks the PIN itself. Wrong PINs are counted and lock the key, as a token does.
    """

    class Storage(models.TextChoices):
        SOFTWARE = "software", _("Software key (encrypted)")
        PKCS11 = "pkcs11", _("PKCS#11 token or HSM")

    certificate = models.OneToOneField(
        Certificate, verbose_name=_("certificate"), on_delete=models.PROTECT, related_name="signing_key"
    )
    storage = models.CharField(_("storage"), max_length=10, choices=Storage.choices)
    label = models.CharField(_("label"), max_length=200, blank=True)
    encrypted_key = models.BinaryField(_("encrypted private key"), blank=True, default=b"", editable=False)
    key_derivation = models.JSONField(_("key derivation parameters"), default=dict, blank=True, editable=False)
    pkcs11_module = models.CharField(_("PKCS#11 module"), max_length=300, blank=True)
    pkcs11_token_label = models.CharField(_("PKCS#11 token label"), max_length=100, blank=True)
    pkcs11_key_label = models.CharField(_("PKCS#11 key label"), max_length=100, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(_("wrong PINs in a row"), default=0)
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(storage="software", pkcs11_key_label="")
                | models.Q(storage="pkcs11") & ~models.Q(pkcs11_key_label=""),
                name="signing_key_storage_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.label or str(self.certificate)

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


def issued_document_path(instance: IssuedDocument, filename: str) -> str:
    extension = "xml" if instance.kind == IssuedDocument.Kind.XML else "pdf"
    return f"issued/{uuid.uuid4().hex}.{extension}"


class IssuedDocument(BaseModel):
    """An electronic document Motcua issued (a dossier result...), findable by the short code printed on it.

    The QR code and short code on the document lead to its public verification page, which shows who issued
    it and checks the signatures of the registered copy, or of a copy someone uploads against it.
    """

    class Kind(models.TextChoices):
        PDF = "pdf", "PDF"
        XML = "xml", "XML"

    short_code = models.CharField(_("short code"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=3, choices=Kind.choices, default=Kind.PDF)
    title = models.CharField(_("title"), max_length=300)
    number = models.CharField(_("number and notation"), max_length=100, blank=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True, db_index=True)
    organisation_code = models.CharField(_("organisation code"), max_length=35, blank=True)
    organisation_name = models.CharField(_("issuing organisation"), max_length=300, blank=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    file = models.FileField(_("file"), upload_to=issued_document_path, max_length=300, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("issued document")
        verbose_name_plural = _("issued documents")

    def __str__(self) -> str:
        return f"{self.short_code} {self.title}"
