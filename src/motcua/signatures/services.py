"""A development PKI for the embedded run and the tests: root CA, issuing CA, signers, TSA and OCSP responder.

Production deployments use certificates from a licensed CA (in Viet Nam, for state bodies, the Government
Cipher Committee's specialised CA, under Decree 23/2025/NĐ-CP on electronic signatures and trust services);
this module only stands in for one, but with real certificates that other tools accept (``openssl verify``,
pyHanko, Adobe with the root trusted): the same extensions, CRL distribution points and OCSP/CA-issuers
URLs that point at Motcua's own ``/pki/`` endpoints.

Key sizes: the two CA keys are RSA 3072 (they would live for years; NIST SP 800-57 puts 3072 past 2030),
end entities, the TSA and the OCSP responder are RSA 2048 by default, the size national CAs issue, which
every validator accepts; end entities may use ECDSA P-256 instead (``key_type="ec"``). The tests keep the
defaults and generate the CAs once per session.

Storage: ``DATA_DIR/pki/`` (or ``settings.PKI_DIR``) holds PEM files: ``root-ca.pem``, ``issuing-ca.pem``,
``tsa.pem``, ``ocsp.pem``, each with its ``*.key.pem`` (unencrypted PKCS#8, mode 0600: it is a development
PKI). The keys of the seals and personal certificates it issues are never written to files: given a PIN,
``certificate_issue`` keeps them as ``SigningKey`` rows, encrypted under that PIN (``signatures.keys``).
Which certificates exist and which are revoked is the inventory in the database (``signatures.Certificate``).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.agencies.selectors import organisation_list, position_active_all, user_is_platform_admin
from motcua.core.audit import audit_record, snapshot
from motcua.core.exceptions import Conflict, InvalidState, NotFound, ValidationFailed
from motcua.core.permissions import permission_require, rule_register
from motcua.signatures.models import Certificate, RevocationReason, SigningKey

KeyType = Literal["rsa", "ec"]
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

ROOT_CA_NAME = "root-ca"
ISSUING_CA_NAME = "issuing-ca"
CA_NAMES = (ROOT_CA_NAME, ISSUING_CA_NAME)
TSA_NAME = "tsa"
OCSP_NAME = "ocsp"

CA_KEY_SIZE = 3072
END_ENTITY_KEY_SIZE = 2048
ROOT_CA_DAYS = 20 * 365
ISSUING_CA_DAYS = 10 * 365
TSA_DAYS = 10 * 365
OCSP_DAYS = 2 * 365
END_ENTITY_DAYS = 3 * 365
CRL_VALIDITY_HOURS = 24
CLOCK_SKEW = dt.timedelta(minutes=5)

# Who may revoke a certificate: platform administrators (rules in core.permissions).
REVOKE_ACTION = "signatures.certificate_revoke"


def _may_revoke(user: Any, obj: Any = None) -> bool:
    return user_is_platform_admin(user=user)


rule_register(REVOKE_ACTION, _may_revoke)

# Fields of the inventory that the audit trail records (the PEM is long and follows from the fingerprint).
_AUDITED_FIELDS = [
    "serial_number",
    "kind",
    "subject_common_name",
    "organisation_code",
    "not_before",
    "not_after",
    "sha256_fingerprint",
    "issuer_sha256_fingerprint",
    "revoked_at",
    "revocation_reason",
]


@dataclass(frozen=True)
class CertifiedKey:
    """A certificate and its private key."""

    certificate: x509.Certificate
    private_key: PrivateKey

    @property
    def serial_number(self) -> str:
        return serial_hex(self.certificate.serial_number)

    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def private_key_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


@dataclass(frozen=True)
class DevPki:
    """The development PKI as loaded from its directory."""

    directory: Path
    root: CertifiedKey
    issuing: CertifiedKey
    tsa: CertifiedKey
    ocsp: CertifiedKey

    def ca(self, *, name: str) -> CertifiedKey:
        if name == ROOT_CA_NAME:
            return self.root
        if name == ISSUING_CA_NAME:
            return self.issuing
        raise NotFound(_("There is no such certification authority."), code="unknown_ca")

    @property
    def chain(self) -> list[x509.Certificate]:
        """The certificates above an end entity, nearest first: issuing CA, root CA."""
        return [self.issuing.certificate, self.root.certificate]

    def path_of(self, *, name: str) -> Path:
        """The PEM file of the root CA, issuing CA, TSA or OCSP responder certificate (for other tools)."""
        return self.directory / f"{name}.pem"


@dataclass(frozen=True)
class PkiInitReport:
    created: bool
    seals_issued: int
    personal_issued: int
    directory: Path


# --- small helpers -------------------------------------------------------------------------------------


def serial_hex(serial_number: int) -> str:
    """How the inventory, file names and commands write a serial number: lower-case hex, no leading zeros."""
    return format(serial_number, "x")


def serial_normalise(text: str) -> str:
    """Accept ``0x1A2B``, ``1a:2b`` or ``1A2B`` and return ``1a2b``; reject what is not hexadecimal."""
    value = text.strip().lower().removeprefix("0x").replace(":", "").replace(" ", "")
    try:
        return serial_hex(int(value, 16))
    except ValueError:
        raise ValidationFailed(
            _("A serial number is written in hexadecimal."), details={"serial_number": [text]}
        ) from None


def certificate_fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


def pki_directory() -> Path:
    """Where the dev PKI lives (``MOTCUA_PKI_DIR``, by default ``DATA_DIR/pki``)."""
    return Path(settings.PKI_DIR)


def pki_base_url() -> str:
    """The URL that certificates name for CRLs, OCSP and CA certificates (``MOTCUA_PKI_BASE_URL``)."""
    return str(settings.PKI_BASE_URL).rstrip("/")


def crl_url(*, base_url: str, ca_name: str) -> str:
    return f"{base_url}/pki/crl/{ca_name}.crl"


def ca_certificate_url(*, base_url: str, ca_name: str) -> str:
    return f"{base_url}/pki/ca/{ca_name}.crt"


def ocsp_url(*, base_url: str) -> str:
    return f"{base_url}/pki/ocsp"


def tsa_url(*, base_url: str) -> str:
    return f"{base_url}/pki/tsa"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _generate_key(*, key_type: KeyType, key_size: int) -> PrivateKey:
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    raise ValidationFailed(_("The key type must be rsa or ec."), details={"key_type": [str(key_type)]})


def _write_private(path: Path, data: bytes) -> None:
    """Write a private key readable by its owner only (mode 0600 from the start, not chmod afterwards)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as key_file:
        key_file.write(data)
    os.chmod(path, 0o600)  # an existing file keeps its old mode through O_CREAT


def _write_public(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _save(*, directory: Path, name: str, certified: CertifiedKey) -> None:
    _write_private(directory / f"{name}.key.pem", certified.private_key_pem())
    _write_public(directory / f"{name}.pem", certified.certificate_pem())


def _load(*, directory: Path, name: str) -> CertifiedKey:
    certificate_path, key_path = directory / f"{name}.pem", directory / f"{name}.key.pem"
    if not certificate_path.exists() or not key_path.exists():
        raise NotFound(_("The PKI has not been initialised. Run `motcua pki init`."), code="pki_missing")
    certificate = x509.load_pem_x509_certificate(certificate_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise InvalidState(_("The PKI's key files are not RSA or ECDSA keys."), code="pki_bad_key")
    return CertifiedKey(certificate=certificate, private_key=key)


def _fit(text: str, limit: int = 64) -> str:
    """Cut a name to the X.520 upper bound (64), counted in UTF-8 bytes as cryptography does, whole letters only.

    Vietnamese agency names can be longer; the full name stays in the inventory and the directory.
    """
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore").strip()


def _name(
    *,
    common_name: str,
    organisation_name: str = "",
    organisation_unit: str = "",
    title: str = "",
    serial_number: str = "",
    locality: str = "",
) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if locality:
        attributes.append(x509.NameAttribute(NameOID.LOCALITY_NAME, locality))
    if organisation_name:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, _fit(organisation_name)))
    if organisation_unit:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, _fit(organisation_unit)))
    if title:
        attributes.append(x509.NameAttribute(NameOID.TITLE, _fit(title)))
    if serial_number:
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, _fit(serial_number)))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, _fit(common_name)))
    return x509.Name(attributes)


def _sign(
    *,
    subject: x509.Name,
    public_key: Any,
    issuer: CertifiedKey | None,
    signing_key: PrivateKey,
    days: int,
    extensions: list[tuple[x509.ExtensionType, bool]],
) -> x509.Certificate:
    """Build and sign a certificate; ``issuer=None`` makes it self-signed."""
    now = _now()
    not_after = now + dt.timedelta(days=days)
    if issuer is not None:
        not_after = min(not_after, issuer.certificate.not_valid_after_utc)  # never outlive the issuer
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject if issuer is not None else subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    authority_key = issuer.certificate.public_key() if issuer is not None else public_key
    builder = builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(authority_key),  # type: ignore[arg-type]
        critical=False,
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(signing_key, hashes.SHA256())


def _key_usage(*, signer: bool = False, ca: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signer,
        content_commitment=signer,  # nonRepudiation
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _distribution(*, base_url: str, ca_name: str) -> x509.CRLDistributionPoints:
    point = x509.DistributionPoint(
        full_name=[x509.UniformResourceIdentifier(crl_url(base_url=base_url, ca_name=ca_name))],
        relative_name=None,
        reasons=None,
        crl_issuer=None,
    )
    return x509.CRLDistributionPoints([point])


def _authority_access(*, base_url: str, ca_name: str, with_ocsp: bool) -> x509.AuthorityInformationAccess:
    descriptions = []
    if with_ocsp:
        descriptions.append(
            x509.AccessDescription(
                AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url(base_url=base_url))
            )
        )
    descriptions.append(
        x509.AccessDescription(
            AuthorityInformationAccessOID.CA_ISSUERS,
            x509.UniformResourceIdentifier(ca_certificate_url(base_url=base_url, ca_name=ca_name)),
        )
    )
    return x509.AuthorityInformationAccess(descriptions)


# --- the PKI itself ------------------------------------------------------------------------------------


def pki_exists(*, directory: Path | None = None) -> bool:
    folder = directory or pki_directory()
    return all((folder / f"{name}.pem").exists() and (folder / f"{name}.key.pem").exists() for name in _PKI_NAMES)


_PKI_NAMES = (ROOT_CA_NAME, ISSUING_CA_NAME, TSA_NAME, OCSP_NAME)


def pki_create(*, directory: Path | None = None, base_url: str | None = None, ca_key_size: int = CA_KEY_SIZE) -> DevPki:
    """Generate a new root CA, issuing CA, TSA and OCSP responder and write them to the directory.

    Files only: ``pki_register`` records the certificates in the inventory. Existing files are replaced.
    """
    folder = directory or pki_directory()
    url = (base_url or pki_base_url()).rstrip("/")
    platform = str(settings.PLATFORM_NAME)

    root_key = _generate_key(key_type="rsa", key_size=ca_key_size)
    root_certificate = _sign(
        subject=_name(common_name=f"{platform} Development Root CA", organisation_name=platform),
        public_key=root_key.public_key(),
        issuer=None,
        signing_key=root_key,
        days=ROOT_CA_DAYS,
        extensions=[
            (x509.BasicConstraints(ca=True, path_length=1), True),
            (_key_usage(ca=True), True),
        ],
    )
    root = CertifiedKey(certificate=root_certificate, private_key=root_key)

    issuing_key = _generate_key(key_type="rsa", key_size=ca_key_size)
    issuing_certificate = _sign(
        subject=_name(common_name=f"{platform} Development Issuing CA", organisation_name=platform),
        public_key=issuing_key.public_key(),
        issuer=root,
        signing_key=root_key,
        days=ISSUING_CA_DAYS,
        extensions=[
            (x509.BasicConstraints(ca=True, path_length=0), True),
            (_key_usage(ca=True), True),
            (_distribution(base_url=url, ca_name=ROOT_CA_NAME), False),
            (_authority_access(base_url=url, ca_name=ROOT_CA_NAME, with_ocsp=False), False),
        ],
    )
    issuing = CertifiedKey(certificate=issuing_certificate, private_key=issuing_key)

    tsa = _issue_end_entity(
        issuing=issuing,
        base_url=url,
        subject=_name(common_name=f"{platform} Development Time-Stamping Authority", organisation_name=platform),
        key_type="rsa",
        days=TSA_DAYS,
        extra=[(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True)],  # RFC 3161 § 2.3: critical
    )
    ocsp = _issue_end_entity(
        issuing=issuing,
        base_url=url,
        subject=_name(common_name=f"{platform} Development OCSP Responder", organisation_name=platform),
        key_type="rsa",
        days=OCSP_DAYS,
        signer_usage=False,
        extra=[
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), False),
            (x509.OCSPNoCheck(), False),  # RFC 6960 § 4.2.2.2.1: clients need not check the responder itself
        ],
    )
    _legacy_keys_remove(directory=folder)
    for name, certified in ((ROOT_CA_NAME, root), (ISSUING_CA_NAME, issuing), (TSA_NAME, tsa), (OCSP_NAME, ocsp)):
        _save(directory=folder, name=name, certified=certified)
    _write_public(folder / "chain.pem", issuing.certificate_pem() + root.certificate_pem())
    _LOADED.pop(str(folder), None)
    return DevPki(directory=folder, root=root, issuing=issuing, tsa=tsa, ocsp=ocsp)


_LOADED: dict[str, tuple[tuple[int, ...], DevPki]] = {}


def pki_load(*, directory: Path | None = None) -> DevPki:
    """Load the PKI from its directory (cached until a file changes); ``NotFound`` if it was never created."""
    folder = directory or pki_directory()
    paths = [folder / f"{name}{suffix}" for name in _PKI_NAMES for suffix in (".pem", ".key.pem")]
    try:
        stamp = tuple(path.stat().st_mtime_ns for path in paths)
    except FileNotFoundError:
        raise NotFound(_("The PKI has not been initialised. Run `motcua pki init`."), code="pki_missing") from None
    cached = _LOADED.get(str(folder))
    if cached is not None and cached[0] == stamp:
        return cached[1]
    loaded = DevPki(
        directory=folder,
        root=_load(directory=folder, name=ROOT_CA_NAME),
        issuing=_load(directory=folder, name=ISSUING_CA_NAME),
        tsa=_load(directory=folder, name=TSA_NAME),
        ocsp=_load(directory=folder, name=OCSP_NAME),
    )
    _LOADED[str(folder)] = (stamp, loaded)
    return loaded


def _end_entity_certificate(
    *,
    issuing: CertifiedKey,
    base_url: str,
    subject: x509.Name,
    public_key: Any,
    days: int,
    extra: list[tuple[x509.ExtensionType, bool]],
    signer_usage: bool = True,
) -> x509.Certificate:
    key_usage = (
        _key_usage(signer=True)
        if signer_usage
        else x509.KeyUsage(True, False, False, False, False, False, False, False, False)
    )
    return _sign(
        subject=subject,
        public_key=public_key,
        issuer=issuing,
        signing_key=issuing.private_key,
        days=days,
        extensions=[
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (key_usage, True),
            *extra,
            (_distribution(base_url=base_url, ca_name=ISSUING_CA_NAME), False),
            (_authority_access(base_url=base_url, ca_name=ISSUING_CA_NAME, with_ocsp=signer_usage), False),
        ],
    )


def _issue_end_entity(
    *,
    issuing: CertifiedKey,
    base_url: str,
    subject: x509.Name,
    key_type: KeyType,
    days: int,
    extra: list[tuple[x509.ExtensionType, bool]],
    signer_usage: bool = True,
) -> CertifiedKey:
    key = _generate_key(key_type=key_type, key_size=END_ENTITY_KEY_SIZE)
    certificate = _end_entity_certificate(
        issuing=issuing,
        base_url=base_url,
        subject=subject,
        public_key=key.public_key(),
        days=days,
        extra=extra,
        signer_usage=signer_usage,
    )
    return CertifiedKey(certificate=certificate, private_key=key)


# --- the inventory (writes: rule 1 of DESIGN.md, audited) ---------------------------------------------


def _inventory_fields(certificate: x509.Certificate, issuer: x509.Certificate) -> dict[str, Any]:
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    common_name = str(names[0].value) if names else certificate.subject.rfc4514_string()
    return {
        "serial_number": serial_hex(certificate.serial_number),
        "subject_common_name": common_name[:200],
        "not_before": certificate.not_valid_before_utc,
        "not_after": certificate.not_valid_after_utc,
        "pem": certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        "issuer_sha256_fingerprint": certificate_fingerprint(issuer),
    }


@transaction.atomic
def certificate_record(
    *,
    certificate: x509.Certificate,
    issuer: x509.Certificate,
    kind: str,
    organisation_code: str = "",
    organisation: Any = None,
    holder: Any = None,
    actor: Any = None,
) -> Certificate:
    """Put a certificate in the inventory (once: recording it again returns the existing row)."""
    if kind not in Certificate.Kind.values:
        raise ValidationFailed(details={"kind": [str(kind)]})
    fingerprint = certificate_fingerprint(certificate)
    existing = Certificate.objects.filter(sha256_fingerprint=fingerprint).first()
    if existing is not None:
        return existing
    row = Certificate.objects.create(
        sha256_fingerprint=fingerprint,
        kind=kind,
        organisation_code=organisation_code,
        organisation=organisation,
        holder=holder,
        **_inventory_fields(certificate, issuer),
    )
    audit_record(
        action="signatures.certificate_issued", instance=row, after=snapshot(row, _AUDITED_FIELDS), actor=actor
    )
    return row


def pki_register(*, pki: DevPki, actor: Any = None) -> None:
    """Record the PKI's own certificates (CAs, TSA, OCSP responder) in the inventory; safe to repeat."""
    certificate_record(
        certificate=pki.root.certificate, issuer=pki.root.certificate, kind=Certificate.Kind.ROOT_CA, actor=actor
    )
    certificate_record(
        certificate=pki.issuing.certificate, issuer=pki.root.certificate, kind=Certificate.Kind.ISSUING_CA, actor=actor
    )
    certificate_record(
        certificate=pki.tsa.certificate, issuer=pki.issuing.certificate, kind=Certificate.Kind.TSA, actor=actor
    )
    certificate_record(
        certificate=pki.ocsp.certificate, issuer=pki.issuing.certificate, kind=Certificate.Kind.OCSP, actor=actor
    )


def _end_entity_subject(
    *,
    kind: str,
    common_name: str,
    organisation_name: str,
    organisation_code: str,
    organisation_unit: str,
    title: str,
    email: str,
) -> tuple[x509.Name, list[tuple[x509.ExtensionType, bool]]]:
    """The subject name and extra extensions of an agency seal or personal certificate.

    A seal (con dấu điện tử của cơ quan) names the agency in CN and O and carries its electronic code in
    serialNumber; a personal certificate names the official in CN, their position in title, the agency in O.
    """
    if kind not in (Certificate.Kind.AGENCY_SEAL, Certificate.Kind.PERSONAL):
        raise ValidationFailed(
            _("Only agency seal and personal certificates are issued this way."), details={"kind": [kind]}
        )
    common_name = " ".join(common_name.split())
    if not common_name:
        raise ValidationFailed(details={"common_name": [str(_("This field is required."))]})
    is_seal = kind == Certificate.Kind.AGENCY_SEAL
    subject = _name(
        common_name=common_name,
        organisation_name=organisation_name or (common_name if is_seal else ""),
        organisation_unit=organisation_unit,
        title="" if is_seal else title,
        serial_number=organisation_code if is_seal else "",
    )
    extra: list[tuple[x509.ExtensionType, bool]] = []
    if email and email.isascii():
        extra.append((x509.SubjectAlternativeName([x509.RFC822Name(email)]), False))
    return subject, extra


def _certify(
    *,
    pki: DevPki,
    public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey,
    kind: str,
    common_name: str,
    organisation_name: str,
    organisation_code: str,
    organisation_unit: str,
    title: str,
    email: str,
    days: int,
    organisation: Any,
    holder: Any,
    actor: Any,
) -> tuple[x509.Certificate, Certificate]:
    """Certify a public key as a seal or personal certificate of the issuing CA and record it in the inventory."""
    subject, extra = _end_entity_subject(
        kind=kind,
        common_name=common_name,
        organisation_name=organisation_name,
        organisation_code=organisation_code,
        organisation_unit=organisation_unit,
        title=title,
        email=email,
    )
    certificate = _end_entity_certificate(
        issuing=pki.issuing, base_url=pki_base_url(), subject=subject, public_key=public_key, days=days, extra=extra
    )
    row = certificate_record(
        certificate=certificate,
        issuer=pki.issuing.certificate,
        kind=kind,
        organisation_code=organisation_code,
        organisation=organisation,
        holder=holder,
        actor=actor,
    )
    return certificate, row


@transaction.atomic
def certificate_issue_for_public_key(
    *,
    pki: DevPki,
    public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey,
    kind: str,
    common_name: str,
    organisation_name: str = "",
    organisation_code: str = "",
    organisation_unit: str = "",
    title: str = "",
    email: str = "",
    days: int = END_ENTITY_DAYS,
    organisation: Any = None,
    holder: Any = None,
    actor: Any = None,
) -> x509.Certificate:
    """Certify a key made elsewhere (on a PKCS#11 token, an HSM) as an agency seal or personal certificate.

    The private key never comes here: only its public half is certified, recorded in the inventory like
    any other certificate of the issuing CA.
    """
    if not isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise ValidationFailed(_("Only RSA and elliptic-curve keys are supported."), code="key_type_unsupported")
    certificate, _row = _certify(
        pki=pki,
        public_key=public_key,
        kind=kind,
        common_name=common_name,
        organisation_name=organisation_name,
        organisation_code=organisation_code,
        organisation_unit=organisation_unit,
        title=title,
        email=email,
        days=days,
        organisation=organisation,
        holder=holder,
        actor=actor,
    )
    return certificate


@transaction.atomic
def certificate_issue(
    *,
    pki: DevPki,
    kind: str,
    common_name: str,
    organisation_name: str = "",
    organisation_code: str = "",
    organisation_unit: str = "",
    title: str = "",
    email: str = "",
    key_type: KeyType = "rsa",
    days: int = END_ENTITY_DAYS,
    organisation: Any = None,
    holder: Any = None,
    pin: str | None = None,
    actor: Any = None,
) -> CertifiedKey:
    """Issue an agency seal or personal signing certificate from the issuing CA with a new key, and record it.

    With a ``pin`` the key is kept as a software ``SigningKey`` encrypted under that PIN; without one it is
    only returned (the caller keeps it: tests, a key handed over on a token). It is never written to a file.
    """
    key = _generate_key(key_type=key_type, key_size=END_ENTITY_KEY_SIZE)
    certificate, row = _certify(
        pki=pki,
        public_key=key.public_key(),
        kind=kind,
        common_name=common_name,
        organisation_name=organisation_name,
        organisation_code=organisation_code,
        organisation_unit=organisation_unit,
        title=title,
        email=email,
        days=days,
        organisation=organisation,
        holder=holder,
        actor=actor,
    )
    if pin is not None:
        # Imported here: signatures.keys builds on this module (the inventory, the PKI).
        from motcua.signatures.keys import signing_key_create_software

        signing_key_create_software(certificate_row=row, private_key=key, pin=pin, actor=actor)
    return CertifiedKey(certificate=certificate, private_key=key)


def certificate_find(*, serial_number: str, issuer_fingerprint: str = "") -> Certificate:
    """The inventory row for a serial number (of the given issuer, when several CAs used the same serial)."""
    rows = Certificate.objects.filter(serial_number=serial_normalise(serial_number))
    if issuer_fingerprint:
        rows = rows.filter(issuer_sha256_fingerprint=issuer_fingerprint)
    found = list(rows[:2])
    if not found:
        raise NotFound(_("There is no certificate with this serial number."), code="certificate_not_found")
    if len(found) > 1:
        raise Conflict(_("Several certificates have this serial number; name the issuer."), code="serial_ambiguous")
    return found[0]


@transaction.atomic
def certificate_revoke(
    *,
    serial_number: str,
    reason: str = RevocationReason.UNSPECIFIED,
    issuer_fingerprint: str = "",
    revoked_at: dt.datetime | None = None,
    actor: Any = None,
) -> Certificate:
    """Revoke a certificate: from now on the CRL lists it and the OCSP responder answers ``revoked`` (RFC 5280).

    Platform administrators revoke; ``actor=None`` is the operator's command on the server (``motcua pki revoke``).
    """
    if actor is not None:
        permission_require(actor, REVOKE_ACTION)
    if reason not in RevocationReason.values:
        raise ValidationFailed(
            _("Unknown revocation reason."), details={"reason": [str(reason)], "allowed": list(RevocationReason.values)}
        )
    row = certificate_find(serial_number=serial_number, issuer_fingerprint=issuer_fingerprint)
    row = Certificate.objects.select_for_update().get(pk=row.pk)
    if row.revoked_at is not None:
        raise InvalidState(_("This certificate is already revoked."), code="already_revoked")
    before = snapshot(row, _AUDITED_FIELDS)
    row.revoked_at = (revoked_at or timezone.now()).replace(microsecond=0)
    row.revocation_reason = reason
    row.save(update_fields=["revoked_at", "revocation_reason", "updated_at"])
    audit_record(
        action="signatures.certificate_revoked",
        instance=row,
        before=before,
        after=snapshot(row, _AUDITED_FIELDS),
        actor=actor,
    )
    return row


def crl_build(*, pki: DevPki, ca_name: str = ISSUING_CA_NAME, hours: int = CRL_VALIDITY_HOURS) -> bytes:
    """The current CRL (DER) of the root or issuing CA, from the inventory's revoked certificates."""
    ca = pki.ca(name=ca_name)
    now = _now()
    revoked = Certificate.objects.filter(
        issuer_sha256_fingerprint=certificate_fingerprint(ca.certificate), revoked_at__isnull=False
    ).order_by("revoked_at")
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.certificate.subject)
        .last_update(now)
        .next_update(now + dt.timedelta(hours=hours))
        # Seconds since the epoch grow with every CRL, as RFC 5280 § 5.2.3 asks of the CRL number.
        .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.certificate.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    for row in revoked:
        assert row.revoked_at is not None
        entry = (
            x509.RevokedCertificateBuilder().serial_number(int(row.serial_number, 16)).revocation_date(row.revoked_at)
        )
        if row.revocation_reason and row.revocation_reason != RevocationReason.UNSPECIFIED:
            # RFC 5280 § 5.3.1: the reason code "unspecified" should be left out rather than written.
            entry = entry.add_extension(x509.CRLReason(x509.ReasonFlags(row.revocation_reason)), critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    return builder.sign(ca.private_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


# --- `motcua pki init` -----------------------------------------------------------------------------------


def _has_valid_certificate(**filters: Any) -> bool:
    """Whether a valid certificate of that kind exists with a usable signing key."""
    return Certificate.objects.filter(
        revoked_at__isnull=True, not_after__gt=timezone.now(), signing_key__is_active=True, **filters
    ).exists()


def _legacy_keys_remove(*, directory: Path) -> None:
    """Earlier versions kept issued keys unencrypted under ``issued/``; nothing reads them any more."""
    shutil.rmtree(directory / "issued", ignore_errors=True)


def pki_init(
    *,
    directory: Path | None = None,
    force: bool = False,
    ca_key_size: int = CA_KEY_SIZE,
    issue_for_directory: bool = True,
    pin: str = "",
    actor: Any = None,
) -> PkiInitReport:
    """Create the dev PKI once (``force`` recreates it, forgetting what it issued) and issue the missing seals and
    personal certificates.

    Seals go to every active organisation with an electronic code; personal certificates to every official
    who holds an active position with a job title (one each). Their keys are kept as signing keys encrypted
    under ``pin`` (required when issuing). Organisations and officials that already have a valid
    certificate of that kind with a signing key are skipped, so running it again only fills gaps.
    """
    if issue_for_directory:
        from motcua.signatures.keys import pin_validate  # signatures.keys builds on this module

        pin_validate(pin=pin)
    from motcua.signatures.keys.encryption import shared_derivation

    with shared_derivation():
        return _pki_init(
            directory=directory,
            force=force,
            ca_key_size=ca_key_size,
            issue_for_directory=issue_for_directory,
            pin=pin,
            actor=actor,
        )


def _pki_init(
    *, directory: Path | None, force: bool, ca_key_size: int, issue_for_directory: bool, pin: str, actor: Any
) -> PkiInitReport:
    folder = directory or pki_directory()
    created = force or not pki_exists(directory=folder)
    if created:
        if force:
            # Certificates imported from other CAs, and their keys, are not the dev PKI's to forget.
            with transaction.atomic():
                issued = Certificate.objects.filter(is_imported=False)
                count = issued.count()
                keys = SigningKey.objects.filter(certificate__in=issued)
                key_count = keys.count()
                keys.delete()  # they protect their certificates
                issued.delete()
                audit_record(
                    action="signatures.pki_recreated",
                    object_type="signatures.pki",
                    object_id=str(folder),
                    before={"certificates": count, "signing_keys": key_count},
                    actor=actor,
                )
        pki = pki_create(directory=folder, ca_key_size=ca_key_size)
    else:
        pki = pki_load(directory=folder)
        _legacy_keys_remove(directory=folder)
    pki_register(pki=pki, actor=actor)
    seals = personal = 0
    if issue_for_directory:
        for organisation in organisation_list().exclude(code__isnull=True).order_by("path"):
            if _has_valid_certificate(kind=Certificate.Kind.AGENCY_SEAL, organisation_code=organisation.code):
                continue
            certificate_issue(
                pki=pki,
                kind=Certificate.Kind.AGENCY_SEAL,
                common_name=organisation.name,
                organisation_code=organisation.code or "",
                email=organisation.email,
                organisation=organisation,
                pin=pin,
                actor=actor,
            )
            seals += 1
        positions = position_active_all().exclude(title="").order_by("user_id", "valid_from")
        seen: set[Any] = set()
        for position in positions:
            user = position.user
            if user.pk in seen or _has_valid_certificate(kind=Certificate.Kind.PERSONAL, holder=user):
                continue
            seen.add(user.pk)
            full_name = getattr(user, "full_name", "") or user.get_full_name() or user.get_username()
            certificate_issue(
                pki=pki,
                kind=Certificate.Kind.PERSONAL,
                common_name=full_name,
                organisation_name=position.organisation.name,
                organisation_code=position.organisation.code or "",
                organisation_unit=position.unit.name if position.unit else "",
                title=position.title,
                email=user.email,
                organisation=position.organisation,
                holder=user,
                pin=pin,
                actor=actor,
            )
            personal += 1
    return PkiInitReport(created=created, seals_issued=seals, personal_issued=personal, directory=folder)
