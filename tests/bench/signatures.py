"""Digital signatures: PDF and XML signatures per second next to the raw private-key operations of the same key.

``signatures_measure(...)`` times, for an RSA-2048 and an ECDSA P-256 signing key (each certified by the same
chain: an RSA-3072 root and issuing CA, as the development PKI has them):

* the raw key operations: ``private_key.sign`` of a 32-byte message (PKCS#1 v1.5 resp. ECDSA, SHA-256) and its
  verification, plus loading the key from PKCS#8 DER, which pyHanko's ``SimpleSigner`` does for every signature;
* ``pdf_sign`` of a one-page decision (~27 KB, rendered by the platform's own ``render_result``): PAdES B-B with
  an invisible signature, the same with a signer that keeps the loaded key, B-B with a visible Vietnamese stamp
  (``StampText``), and B-T with a time stamp from the in-process TSA (``tsa_respond``, no HTTP);
* ``pdf_verify`` of the B-B and the B-T documents, trusting the root;
* ``xml_sign`` (enveloped, exclusive c14n, signature in the edXML header) of a ~20 KB edXML package and
  ``xml_verify`` with the root as trust anchor.

Every figure runs after a warm-up for at least ``seconds`` (operations in batches, so the clock is read rarely
for the fast raw operations); each document operation is also run once under ``tracemalloc`` for its Python
heap peak. The certificates are made in memory (``tests/signatures/certificates.py``): no PKI directory, no
database, no network. They name no CRL or OCSP responder, so verification checks integrity, the chain, the
validity period and the key usage, not revocation.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import os
import platform
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asn1crypto import tsp
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID
from pyhanko.sign import signers
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko.sign.timestamps import TimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from tests.signatures.certificates import SIGNING, Identity, PrivateKey, issue, name

RAW_SIGN = "raw sign (SHA-256, 32-byte message)"
RAW_VERIFY = "raw verify"
KEY_LOAD = "key load from PKCS#8 DER"
PDF_INVISIBLE = "pdf_sign PAdES B-B, invisible"
PDF_INVISIBLE_KEPT_KEY = "pdf_sign PAdES B-B, invisible, key kept loaded"
PDF_VISIBLE = "pdf_sign PAdES B-B, visible Vietnamese stamp"
PDF_TIMESTAMPED = "pdf_sign PAdES B-T, in-process TSA"
PDF_VERIFY = "pdf_verify B-B"
PDF_VERIFY_TIMESTAMPED = "pdf_verify B-T"
XML_SIGN = "xml_sign edXML (enveloped, exc-c14n)"
XML_VERIFY = "xml_verify edXML"

KEYS = ("RSA-2048", "ECDSA P-256")
EDXML_NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
FIELD = "Signature1"
STAMP_SIGNER = "Vũ Đình Khánh"
STAMP_POSITION = "Phó Giám đốc"
STAMP_AGENCY = "Sở Tư pháp tỉnh Quảng Ninh"


@dataclass(frozen=True)
class SignatureTiming:
    """One figure: ``count`` operations in ``seconds`` with one key; ``baseline`` names the raw operation it is
    compared with (same key); ``heap_peak`` is the tracemalloc peak of one operation, in bytes."""

    measurement: str
    key: str
    count: int
    seconds: float
    unit: str
    baseline: str = ""
    heap_peak: int | None = None

    @property
    def per_second(self) -> float:
        return self.count / self.seconds

    @property
    def per_operation_ms(self) -> float:
        return self.seconds * 1000 / self.count


@dataclass(frozen=True)
class SignatureBench:
    """The figures, and the sizes of the documents signed."""

    timings: list[SignatureTiming]
    pdf_bytes: int
    xml_bytes: int


@dataclass(frozen=True)
class _Pki:
    root: Identity
    issuing: Identity
    tsa: Identity
    signers: dict[str, Identity]

    def certificate_store(self) -> SimpleCertificateStore:
        return SimpleCertificateStore.from_certs([self.issuing.asn1, self.root.asn1])


def _pki() -> _Pki:
    """Root and issuing CA (RSA-3072, as the development PKI), an RSA-2048 TSA, one signer per key type."""
    three_years = dt.datetime.now(tz=dt.UTC) + dt.timedelta(days=3 * 365)
    root = issue(
        name("Motcua Bench Root CA", "Motcua"),
        None,
        ca=True,
        key=rsa.generate_private_key(public_exponent=65537, key_size=3072),
        not_after=three_years,
    )
    issuing = issue(
        name("Motcua Bench Issuing CA", "Motcua"),
        root,
        ca=True,
        key=rsa.generate_private_key(public_exponent=65537, key_size=3072),
        not_after=three_years,
    )
    tsa = issue(
        name("Motcua Bench Time-Stamping Authority", "Motcua"),
        issuing,
        key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        key_usage={"digital_signature"},
        extended_key_usage=[ExtendedKeyUsageOID.TIME_STAMPING],
    )
    keys: dict[str, PrivateKey] = {
        "RSA-2048": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "ECDSA P-256": ec.generate_private_key(ec.SECP256R1()),
    }
    return _Pki(
        root=root,
        issuing=issuing,
        tsa=tsa,
        signers={
            label: issue(name(STAMP_SIGNER, STAMP_AGENCY), issuing, key=key, key_usage=SIGNING)
            for label, key in keys.items()
        },
    )


class InProcessTimeStamper(TimeStamper):
    """pyHanko asks the platform's own TSA (``tsa_respond``) directly, without HTTP."""

    def __init__(self, pki: Any) -> None:
        super().__init__()
        self._pki = pki

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        from motcua.signatures.tsa import tsa_respond

        return tsp.TimeStampResp.load(tsa_respond(request_der=req.dump(), pki=self._pki))


class KeptKeySigner(signers.SimpleSigner):
    """A ``SimpleSigner`` that signs with the key it was given, already loaded.

    pyHanko's ``SimpleSigner.sign_raw`` loads the key from its PKCS#8 DER for every signature; for RSA that
    load (OpenSSL checks the key's primes) costs far more than the signature itself.
    """

    def __init__(self, *, private_key: PrivateKey, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._private_key = private_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        hash_algorithm = get_pyca_cryptography_hash(digest_algorithm)
        if isinstance(self._private_key, rsa.RSAPrivateKey):
            return self._private_key.sign(data, padding.PKCS1v15(), hash_algorithm)
        return self._private_key.sign(data, ec.ECDSA(hash_algorithm))


def _dev_pki_for_tsa(pki: _Pki) -> Any:
    """The ``DevPki`` shape ``tsa_respond`` reads (the TSA's key and certificate, the issuing CA), in memory."""
    from motcua.signatures.services import CertifiedKey, DevPki

    def certified(identity: Identity) -> CertifiedKey:
        return CertifiedKey(certificate=identity.certificate, private_key=identity.key)

    tsa = certified(pki.tsa)
    return DevPki(
        directory=Path(tempfile.gettempdir()),  # never read: every key is in memory
        root=certified(pki.root),
        issuing=certified(pki.issuing),
        tsa=tsa,
        ocsp=tsa,  # not used by the TSA
    )


def pdf_document() -> bytes:
    """A one-page decision as the platform issues it (``render_result`` with the sample context, ~27 KB)."""
    from motcua.dossiers.documents.forms import render_result
    from motcua.dossiers.documents.samples import sample_result

    return render_result(sample_result())


def edxml_document(attachment: bytes) -> bytes:
    """An edXML package (QCVN 102:2016) of ~20 KB: a full message header and ``attachment`` base64-encoded."""
    recipients = "".join(
        f"<edXML:To><edXML:OrganId>000.00.{index:02d}.H49</edXML:OrganId>"
        f"<edXML:OrganName>Ủy ban nhân dân huyện số {index}</edXML:OrganName>"
        f"<edXML:OrganAdd>Số {index}, đường Trần Hưng Đạo, tỉnh Quảng Ninh</edXML:OrganAdd>"
        f"<edXML:Email>ubnd{index}@quangninh.gov.vn</edXML:Email><edXML:Telephone>0203382{index:04d}</edXML:Telephone>"
        "</edXML:To>"
        for index in range(1, 9)
    )
    encoded = base64.encodebytes(attachment).decode("ascii")
    text = f"""<?xml version="1.0" encoding="UTF-8"?>
<edXML:edXML xmlns:edXML="{EDXML_NS}">
  <edXML:edXMLEnvelope>
    <edXML:edXMLHeader>
      <edXML:MessageHeader>
        <edXML:From><edXML:OrganId>000.00.32.H49</edXML:OrganId>
          <edXML:OrganName>Sở Tư pháp tỉnh Quảng Ninh</edXML:OrganName>
          <edXML:OrganInCharge>Ủy ban nhân dân tỉnh Quảng Ninh</edXML:OrganInCharge>
          <edXML:OrganAdd>Tầng 8, Trụ sở Liên cơ quan số 2, phường Hồng Hà, tỉnh Quảng Ninh</edXML:OrganAdd>
          <edXML:Email>stp@quangninh.gov.vn</edXML:Email><edXML:Telephone>02033835263</edXML:Telephone>
          <edXML:Website>https://stp.quangninh.gov.vn</edXML:Website></edXML:From>
        {recipients}
        <edXML:DocumentId>000.00.32.H49,2026/11/23,1542/QĐ-STP</edXML:DocumentId>
        <edXML:Code><edXML:CodeNumber>1542</edXML:CodeNumber><edXML:CodeNotation>QĐ-STP</edXML:CodeNotation></edXML:Code>
        <edXML:PromulgationInfo><edXML:Place>Quảng Ninh</edXML:Place>
          <edXML:PromulgationDate>2026/11/23</edXML:PromulgationDate></edXML:PromulgationInfo>
        <edXML:DocumentType><edXML:Type>1</edXML:Type><edXML:TypeName>Quyết định</edXML:TypeName></edXML:DocumentType>
        <edXML:Subject>Về việc cấp Phiếu lý lịch tư pháp số 1 cho bà Nguyễn Thị Hồng Nhung</edXML:Subject>
        <edXML:Content>Căn cứ Luật Lý lịch tư pháp ngày 17 tháng 6 năm 2009; xét đề nghị của bà Nguyễn Thị Hồng
          Nhung tại hồ sơ mã số 000.00.00.H49-261123-0042, cấp Phiếu lý lịch tư pháp số 1.</edXML:Content>
        <edXML:SignerInfo><edXML:Competence>KT. GIÁM ĐỐC</edXML:Competence>
          <edXML:Position>{STAMP_POSITION}</edXML:Position><edXML:FullName>{STAMP_SIGNER}</edXML:FullName></edXML:SignerInfo>
        <edXML:DueDate>2026/12/07</edXML:DueDate>
        <edXML:ToPlaces><edXML:Place>Như Điều 2</edXML:Place><edXML:Place>Lưu: VT, HCTP</edXML:Place></edXML:ToPlaces>
        <edXML:OtherInfo><edXML:Priority>0</edXML:Priority><edXML:SphereOfPromulgation>Liên thông văn bản quốc gia
          </edXML:SphereOfPromulgation><edXML:TyperNotation>HCTP</edXML:TyperNotation>
          <edXML:PromulgationAmount>3</edXML:PromulgationAmount><edXML:PageAmount>1</edXML:PageAmount></edXML:OtherInfo>
        <edXML:SteeringType>0</edXML:SteeringType>
      </edXML:MessageHeader>
      <edXML:TraceHeaderList><edXML:Bussiness><edXML:BussinessDocType>0</edXML:BussinessDocType>
        <edXML:BussinessDocReason>Văn bản mới</edXML:BussinessDocReason><edXML:Paper>0</edXML:Paper></edXML:Bussiness>
      </edXML:TraceHeaderList>
    </edXML:edXMLHeader>
    <edXML:edXMLBody><edXML:edXMLManifest version="1.0"><edXML:Reference>
      <edXML:ContentId>cid:1542-QD-STP</edXML:ContentId><edXML:ContentType>application/pdf</edXML:ContentType>
      <edXML:Description>Quyết định 1542/QĐ-STP</edXML:Description>
      <edXML:AttachmentName>1542-QD-STP.pdf</edXML:AttachmentName></edXML:Reference></edXML:edXMLManifest>
    </edXML:edXMLBody>
  </edXML:edXMLEnvelope>
  <edXML:AttachmentEncoded><edXML:Attachment><edXML:ContentId>cid:1542-QD-STP</edXML:ContentId>
    <edXML:AttachmentName>1542-QD-STP.pdf</edXML:AttachmentName><edXML:ContentType>application/pdf</edXML:ContentType>
    <edXML:ContentTransferEncoded>base64</edXML:ContentTransferEncoded>
    <edXML:Value>{encoded}</edXML:Value></edXML:Attachment></edXML:AttachmentEncoded>
</edXML:edXML>"""
    return text.encode("utf-8")


def _time(operation: Callable[[], object], *, seconds: float, warmup_seconds: float) -> tuple[int, float]:
    """Run ``operation`` for ``warmup_seconds`` (at least once), then for at least ``seconds`` (at least once).

    Operations run in batches that double until a batch takes 20 ms, so the clock is read rarely.
    """
    started = time.perf_counter()
    operation()
    while time.perf_counter() - started < warmup_seconds:
        operation()
    batch, count = 1, 0
    started = time.perf_counter()
    while True:
        batch_started = time.perf_counter()
        for _ in range(batch):
            operation()
        count += batch
        now = time.perf_counter()
        if now - started >= seconds:
            return count, now - started
        if now - batch_started < 0.02:
            batch *= 2


def _heap_peak(operation: Callable[[], object]) -> int:
    """The Python heap's peak above its level before one (warm) call of ``operation``, from tracemalloc."""
    tracemalloc.start()
    try:
        before, _peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        operation()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def _check(condition: bool, what: str) -> None:
    if not condition:
        raise RuntimeError(f"signature bench: {what}")


@dataclass
class _Run:
    """What every figure shares: the PKI, the documents, how long to measure, and the figures so far."""

    pki: _Pki
    tsa_pki: Any
    pdf: bytes
    xml: bytes
    seconds: float
    warmup_seconds: float
    timings: list[SignatureTiming]

    def measure(
        self, measurement: str, key: str, operation: Callable[[], object], unit: str, baseline: str = ""
    ) -> None:
        count, elapsed = _time(operation, seconds=self.seconds, warmup_seconds=self.warmup_seconds)
        peak = _heap_peak(operation) if baseline else None
        self.timings.append(SignatureTiming(measurement, key, count, elapsed, unit, baseline, peak))
        print(f"  {key}: {measurement}: {count / elapsed:,.1f} {unit}/s", flush=True)


def _raw_operations(run: _Run, label: str, private_key: PrivateKey) -> None:
    message = hashlib.sha256(b"Ho so 000.00.00.H49-261123-0042").digest()
    der = private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    if isinstance(private_key, rsa.RSAPrivateKey):
        rsa_public = private_key.public_key()
        rsa_signature = private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        run.measure(
            RAW_SIGN, label, lambda: private_key.sign(message, padding.PKCS1v15(), hashes.SHA256()), "signatures"
        )
        run.measure(
            RAW_VERIFY,
            label,
            lambda: rsa_public.verify(rsa_signature, message, padding.PKCS1v15(), hashes.SHA256()),
            "verifications",
        )
    else:
        ec_public = private_key.public_key()
        ec_signature = private_key.sign(message, ec.ECDSA(hashes.SHA256()))
        run.measure(RAW_SIGN, label, lambda: private_key.sign(message, ec.ECDSA(hashes.SHA256())), "signatures")
        run.measure(
            RAW_VERIFY,
            label,
            lambda: ec_public.verify(ec_signature, message, ec.ECDSA(hashes.SHA256())),
            "verifications",
        )
    run.measure(KEY_LOAD, label, lambda: serialization.load_der_private_key(der, None), "loads")


def _pdf_operations(run: _Run, label: str, identity: Identity) -> None:
    from motcua.signatures.pdf import StampText, pdf_sign, pdf_verify
    from motcua.signatures.reports import Status

    roots = [run.pki.root.certificate]
    common = {
        "signing_cert": identity.asn1,
        "signing_key": identity.asn1_key,
        "cert_registry": run.pki.certificate_store(),
    }
    simple = signers.SimpleSigner(**common)
    kept = KeptKeySigner(private_key=identity.key, **common)
    timestamper = InProcessTimeStamper(run.tsa_pki)  # one for all: pyHanko keeps its size-estimation token
    stamp = StampText(signer_name=STAMP_SIGNER, position=STAMP_POSITION, agency=STAMP_AGENCY)

    def sign_invisible() -> bytes:
        return pdf_sign(run.pdf, signer=simple, field_name=FIELD)

    def sign_invisible_kept_key() -> bytes:
        return pdf_sign(run.pdf, signer=kept, field_name=FIELD)

    def sign_visible() -> bytes:
        return pdf_sign(run.pdf, signer=simple, field_name=FIELD, stamp=stamp)

    def sign_timestamped() -> bytes:
        return pdf_sign(run.pdf, signer=simple, field_name=FIELD, timestamper=timestamper)

    signed, timestamped = sign_invisible(), sign_timestamped()
    for what, document in (
        ("B-B", signed),
        ("B-B (key kept loaded)", sign_invisible_kept_key()),
        ("visible", sign_visible()),
        ("B-T", timestamped),
    ):
        report = pdf_verify(document, trust_roots=roots)
        _check(report.status == Status.VALID, f"{label} {what} PDF is {report.as_dict()}")
    report = pdf_verify(timestamped, trust_roots=roots)
    _check(report.signatures[0].timestamp_time is not None, f"{label} B-T PDF has no trusted time stamp")

    run.measure(PDF_INVISIBLE, label, sign_invisible, "documents", RAW_SIGN)
    run.measure(PDF_INVISIBLE_KEPT_KEY, label, sign_invisible_kept_key, "documents", RAW_SIGN)
    run.measure(PDF_VISIBLE, label, sign_visible, "documents", RAW_SIGN)
    run.measure(PDF_TIMESTAMPED, label, sign_timestamped, "documents", RAW_SIGN)
    run.measure(PDF_VERIFY, label, lambda: pdf_verify(signed, trust_roots=roots), "documents", RAW_VERIFY)
    run.measure(
        PDF_VERIFY_TIMESTAMPED, label, lambda: pdf_verify(timestamped, trust_roots=roots), "documents", RAW_VERIFY
    )


def _xml_operations(run: _Run, label: str, identity: Identity) -> None:
    from motcua.signatures.reports import Status
    from motcua.signatures.xml import xml_sign, xml_verify

    roots = [run.pki.root.certificate]

    def sign() -> bytes:
        return xml_sign(
            run.xml,
            key=identity.key,
            certificate=identity.certificate,
            chain=[run.pki.issuing.certificate],
            signature_parent_xpath="/edXML:edXML/edXML:edXMLEnvelope/edXML:edXMLHeader",
            namespaces={"edXML": EDXML_NS},
        )

    signed = sign()
    report = xml_verify(signed, trust_roots=roots)
    _check(report.status == Status.VALID, f"{label} edXML is {report.as_dict()}")
    run.measure(XML_SIGN, label, sign, "documents", RAW_SIGN)
    run.measure(XML_VERIFY, label, lambda: xml_verify(signed, trust_roots=roots), "documents", RAW_VERIFY)


def signatures_measure(*, seconds: float = 2.0, warmup_seconds: float = 0.3) -> SignatureBench:
    """Time the raw key operations and the document signatures and verifications, for each key of ``KEYS``.

    Before timing, every signed document is verified once and must be valid (B-T: with its trusted time stamp).
    """
    # fontTools logs every subset it makes at INFO (several lines per visible stamp); not part of the work.
    font_logger = logging.getLogger("fontTools")
    font_level = font_logger.level
    font_logger.setLevel(logging.WARNING)
    try:
        pki = _pki()
        pdf = pdf_document()
        run = _Run(
            pki=pki,
            tsa_pki=_dev_pki_for_tsa(pki),
            pdf=pdf,
            xml=edxml_document(pdf[:10_500]),
            seconds=seconds,
            warmup_seconds=warmup_seconds,
            timings=[],
        )
        for label in KEYS:
            identity = pki.signers[label]
            _raw_operations(run, label, identity.key)
            _pdf_operations(run, label, identity)
            _xml_operations(run, label, identity)
    finally:
        font_logger.setLevel(font_level)
    return SignatureBench(timings=run.timings, pdf_bytes=len(run.pdf), xml_bytes=len(run.xml))


def signatures_machine() -> str:
    """The machine and the cryptography stack, for the section's first line."""
    from importlib.metadata import version

    from cryptography.hazmat.backends.openssl.backend import backend

    cpu = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    except OSError:
        pass
    openssl = " ".join(backend.openssl_version_text().split()[:2])  # "OpenSSL 3.x.y", without the date
    machine = f"{platform.machine()} ({cpu})" if cpu else platform.machine()
    return (
        f"{machine}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{openssl} (cryptography {version('cryptography')}), pyHanko {version('pyHanko')}, "
        f"signxml {version('signxml')}"
    )


def _memory(value: int | None) -> str:
    if value is None:
        return ""
    return f"{value / 1024 / 1024:,.1f} MiB" if value >= 1024 * 1024 else f"{value / 1024:,.0f} KiB"


def _figure(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def signatures_table(timings: list[SignatureTiming]) -> str:
    """A Markdown table: per key, each figure with its throughput and how many raw operations fit in its time."""
    by_name = {(timing.key, timing.measurement): timing for timing in timings}
    lines = [
        "| key | measurement | throughput | per operation | raw operations in that time | Python heap peak |",
        "|---|---|---|---|---|---|",
    ]
    for timing in timings:
        ratio = ""
        base = by_name.get((timing.key, timing.baseline))
        if base is not None:
            short = "sign" if timing.baseline == RAW_SIGN else "verify"
            ratio = f"{_figure(base.per_second / timing.per_second)} × raw {short}"
        lines.append(
            f"| {timing.key} | {timing.measurement} | {_figure(timing.per_second)} {timing.unit}/s | "
            f"{timing.per_operation_ms:.3f} ms | {ratio} | {_memory(timing.heap_peak)} |"
        )
    return "\n".join(lines) + "\n"
