"""Certificates of signing keys in the inventory, and the chain of CA certificates above them."""

from __future__ import annotations

from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.utils.translation import gettext_lazy as _

from motcua.core.exceptions import InvalidState, ValidationFailed
from motcua.signatures.models import Certificate
from motcua.signatures.services import certificate_fingerprint, certificate_record


def public_bytes(public_key: Any) -> bytes:
    return bytes(public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))


def certificate_of(row: Certificate) -> x509.Certificate:
    return x509.load_pem_x509_certificate(row.pem.encode("ascii"))


def chain_of(certificate_row: Certificate) -> list[x509.Certificate]:
    """The CA certificates above this one in the inventory, nearest first, up to a self-signed root."""
    chain: list[x509.Certificate] = []
    seen = {certificate_row.sha256_fingerprint}
    issuer_fingerprint = certificate_row.issuer_sha256_fingerprint
    while issuer_fingerprint and issuer_fingerprint not in seen:
        issuer = Certificate.objects.filter(sha256_fingerprint=issuer_fingerprint).first()
        if issuer is None:
            break
        chain.append(certificate_of(issuer))
        seen.add(issuer_fingerprint)
        issuer_fingerprint = issuer.issuer_sha256_fingerprint
    return chain


def _issued_by(certificate: x509.Certificate, candidate: x509.Certificate) -> bool:
    if certificate.issuer != candidate.subject:
        return False
    try:
        certificate.verify_directly_issued_by(candidate)
    except Exception:  # InvalidSignature, or a key type that cannot have signed it
        return False
    return True


def _path_to_root(certificate: x509.Certificate, others: list[x509.Certificate]) -> list[x509.Certificate]:
    """The issuers of ``certificate`` from ``others`` and the inventory's CAs, nearest first, to a self-signed
    root; refused when a link is missing (B-LT signatures need the whole chain)."""
    known = [
        certificate_of(row)
        for row in Certificate.objects.filter(kind__in=[Certificate.Kind.ROOT_CA, Certificate.Kind.ISSUING_CA])
    ]
    candidates = [*others, *known]
    path: list[x509.Certificate] = []
    current = certificate
    while current.issuer != current.subject or not _issued_by(current, current):
        issuer = next((candidate for candidate in candidates if _issued_by(current, candidate)), None)
        if issuer is None or issuer in path or len(path) > 8:
            message = (
                _("The certificate of the authority that issued this certificate is missing: include the chain.")
                if not path
                else _("The chain of certificates stops before its root certificate: include the whole chain.")
            )
            raise ValidationFailed(message, code="certificate_chain_incomplete", details={"file": [str(message)]})
        path.append(issuer)
        current = issuer
    return path


def certificate_record_with_chain(
    *,
    certificate: x509.Certificate,
    others: list[x509.Certificate],
    kind: str,
    organisation: Any,
    holder: Any,
    actor: Any,
) -> Certificate:
    """The inventory row of a certificate from elsewhere, with its CAs recorded too (kind issuing or root CA,
    marked imported) so the chain can be rebuilt for every signature."""
    existing = Certificate.objects.filter(sha256_fingerprint=certificate_fingerprint(certificate)).first()
    if existing is not None:
        if existing.kind != kind:
            raise ValidationFailed(
                _("This certificate is already known as another kind of certificate."),
                code="certificate_kind_mismatch",
            )
        if existing.is_revoked:
            raise InvalidState(_("This certificate has been revoked."), code="certificate_revoked")
        other_holder = holder is not None and existing.holder_id not in (None, holder.pk)
        organisation_code = (organisation.code or "") if organisation is not None else ""
        other_organisation = bool(organisation_code) and existing.organisation_code not in ("", organisation_code)
        if other_holder or other_organisation:
            raise ValidationFailed(
                _("This certificate is recorded for another holder or organisation."),
                code="certificate_other_owner",
            )
        return existing
    path = _path_to_root(certificate, others)
    for index in range(len(path) - 1, -1, -1):  # from the root down, so every issuer is there first
        ca = path[index]
        issuer = path[index + 1] if index + 1 < len(path) else ca
        if Certificate.objects.filter(sha256_fingerprint=certificate_fingerprint(ca)).exists():
            continue
        row = certificate_record(
            certificate=ca,
            issuer=issuer,
            kind=Certificate.Kind.ROOT_CA if ca is issuer else Certificate.Kind.ISSUING_CA,
            actor=actor,
        )
        Certificate.objects.filter(pk=row.pk).update(is_imported=True)
    row = certificate_record(
        certificate=certificate,
        issuer=path[0],
        kind=kind,
        organisation_code=(organisation.code or "") if organisation is not None else "",
        organisation=organisation,
        holder=holder,
        actor=actor,
    )
    row.is_imported = True
    row.save(update_fields=["is_imported", "updated_at"])
    return row
