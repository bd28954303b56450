"""edXML packages (QCVN 102): build, seal, parse and verify per second, and the memory a large package costs.

``edxml_measure(...)`` times, for a package carrying one 100 KB attachment (a document from Quảng Ninh's People's
Committee to the Government Office):

* ``package_build`` (the strict check included), ``package_sign`` with a seal of the development PKI (RSA-2048;
  the header check, the XML-DSig signature over the whole package and the audit row), ``package_parse`` (the
  attachment decoded to a temporary file, removed at once) and ``package_verify`` (integrity, chain to the dev
  PKI's root, its CRLs, the sender's seal);

then, each in a fresh process, the same operations on a large package (``large_mib`` MiB attachment; a 50 MB package
by default), next to a whole-tree parse of it (``xml_parse_safely``), which is what streaming avoids: how far the
resident memory rises during the operation (Linux's ``VmHWM`` peak, reset just before it, minus ``VmRSS`` then).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
QUANG_NINH = "000.00.00.H49"
GOVERNMENT_OFFICE = "000.00.00.G22"
ATTACHMENT_BYTES = 100 * 1024

BUILD = "package_build"
SIGN = "package_sign"
PARSE = "package_parse"
VERIFY = "package_verify"
MEASUREMENTS = (BUILD, SIGN, PARSE, VERIFY)
LARGE_OPERATIONS = ("build", "parse", "tree", "sign", "verify")


@dataclass(frozen=True)
class EdxmlTiming:
    measurement: str
    count: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.count / self.seconds

    @property
    def per_operation_ms(self) -> float:
        return self.seconds * 1000 / self.count


@dataclass(frozen=True)
class EdxmlMemory:
    """One operation on the large package in its own process: its time, and how far its resident memory rose.

    ``extra``: the peak resident memory during the operation (``VmHWM`` after resetting it with
    ``/proc/self/clear_refs``) minus the resident memory just before it; ``peak_rss``: that peak, whole process.
    """

    operation: str
    seconds: float
    peak_rss: int  # bytes
    extra: int  # bytes


@dataclass(frozen=True)
class EdxmlBench:
    timings: list[EdxmlTiming]
    memory: list[EdxmlMemory]
    package_bytes: int  # the 100 KB package, signed
    large_package_bytes: int


def _package(attachment: Any) -> Any:
    from motcua.exchange.edxml import (
        Attachment,
        Code,
        DocumentType,
        MessageHeader,
        Organ,
        Package,
        PromulgationInfo,
        SignerInfo,
        TraceHeaderList,
    )
    from motcua.exchange.edxml.codes import VIETNAM

    header = MessageHeader(
        from_organ=Organ(organ_id=QUANG_NINH, organ_name="Ủy ban nhân dân tỉnh Quảng Ninh"),
        to_organs=(Organ(organ_id=GOVERNMENT_OFFICE, organ_name="Văn phòng Chính phủ"),),
        document_id=f"{QUANG_NINH},2024/03/15,125/UBND-VX",
        code=Code(code_number="125", code_notation="UBND-VX"),
        promulgation_info=PromulgationInfo(place="Quảng Ninh", promulgation_date=dt.date(2024, 3, 15)),
        document_type=DocumentType(type_code=1, type_name="Công văn"),
        subject="V/v báo cáo tình hình triển khai dịch vụ công trực tuyến quý I năm 2024",
        signer_info=SignerInfo(competence="TM. UBND", position="Chủ tịch", full_name="Nguyễn Văn Thắng"),
    )
    trace = TraceHeaderList().with_hop(organ_id=QUANG_NINH, at=dt.datetime(2024, 3, 15, 8, 30, tzinfo=VIETNAM))
    return Package(
        header=header,
        trace=trace,
        attachments=(Attachment(name="bao-cao.bin", content=attachment, content_type="application/octet-stream"),),
    )


def _attachment_bytes(size: int) -> bytes:
    """Incompressible-looking content (base64 of it has no long runs), the same on every run."""
    import hashlib

    block = b"".join(hashlib.sha256(str(i).encode()).digest() for i in range(2048))  # 64 KiB
    return (block * (size // len(block) + 1))[:size]


def _time(operation: Callable[[], object], *, seconds: float, warmup_seconds: float) -> tuple[int, float]:
    deadline = time.perf_counter() + warmup_seconds
    operation()
    while time.perf_counter() < deadline:
        operation()
    count = 0
    started = time.perf_counter()
    while True:
        operation()
        count += 1
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return count, elapsed


def _seal(directory: Path) -> tuple[Any, Any]:
    """A seal of Quảng Ninh's People's Committee from a fresh development PKI, and the trust that verifies it."""
    from motcua.signatures.keys import KeySigner, signing_key_create_software
    from motcua.signatures.models import Certificate
    from motcua.signatures.services import (
        ISSUING_CA_NAME,
        ROOT_CA_NAME,
        certificate_issue,
        crl_build,
        pki_create,
        pki_register,
    )
    from motcua.signatures.verification import VerificationTrust

    pki = pki_create(directory=directory / "pki")
    pki_register(pki=pki)
    seal = certificate_issue(
        pki=pki,
        kind=Certificate.Kind.AGENCY_SEAL,
        common_name="Ủy ban nhân dân tỉnh Quảng Ninh",
        organisation_code=QUANG_NINH,
    )
    row = Certificate.objects.get(serial_number=seal.serial_number)
    key = signing_key_create_software(certificate_row=row, private_key=seal.private_key, pin="135790")
    signer = KeySigner(
        signing_key=key,
        certificate=seal.certificate,
        chain=[pki.issuing.certificate, pki.root.certificate],
        private_key=seal.private_key,
    )
    trust = VerificationTrust(
        anchors=[pki.root.certificate],
        intermediates=[pki.issuing.certificate],
        crls=[crl_build(pki=pki, ca_name=name) for name in (ROOT_CA_NAME, ISSUING_CA_NAME)],
    )
    return signer, trust


def _check(condition: bool, what: str) -> None:
    if not condition:
        raise RuntimeError(f"edXML benchmark check failed: {what}")


def edxml_measure(*, seconds: float = 2.0, warmup_seconds: float = 0.3, large_mib: float = 37.5) -> EdxmlBench:
    """Time the four operations on a 100 KB package, then measure the large one in child processes.

    Needs the database (``package_sign`` writes its audit row; the seal's certificate is in the inventory).
    """
    from motcua.exchange.edxml import ParseLimits, package_build, package_parse, package_sign, package_verify

    with tempfile.TemporaryDirectory(prefix="motcua-bench-edxml-") as temporary:
        directory = Path(temporary)
        signer, trust = _seal(directory)
        package = _package(_attachment_bytes(ATTACHMENT_BYTES))
        unsigned = package_build(package)
        signed = package_sign(unsigned, signer=signer)
        limits = ParseLimits(temp_dir=str(directory))
        verification = package_verify(signed, trust=trust)
        _check(verification.accepted, f"the sealed package verifies ({verification.as_dict()['problems']})")
        with package_parse(signed, limits=limits) as parsed:
            _check(parsed.attachments[0].size == ATTACHMENT_BYTES, "the attachment comes back whole")

        def parse() -> None:
            package_parse(signed, limits=limits).close()

        operations: list[tuple[str, Callable[[], object]]] = [
            (BUILD, lambda: package_build(package)),
            (SIGN, lambda: package_sign(unsigned, signer=signer)),
            (PARSE, parse),
            (VERIFY, lambda: package_verify(signed, trust=trust)),
        ]
        timings = []
        for measurement, operation in operations:
            count, elapsed = _time(operation, seconds=seconds, warmup_seconds=warmup_seconds)
            timings.append(EdxmlTiming(measurement=measurement, count=count, seconds=elapsed))
        memory, large_bytes = _large(directory, signer=signer, large_mib=large_mib)
    return EdxmlBench(timings=timings, memory=memory, package_bytes=len(signed), large_package_bytes=large_bytes)


# --- the large package, one child process per operation ---------------------------------------------------------


def _large(directory: Path, *, signer: Any, large_mib: float) -> tuple[list[EdxmlMemory], int]:
    from cryptography.hazmat.primitives import serialization

    attachment = directory / "large-attachment.bin"
    with attachment.open("wb") as handle:
        remaining = int(large_mib * 1024 * 1024)
        block = _attachment_bytes(1024 * 1024)
        while remaining > 0:
            handle.write(block[:remaining])
            remaining -= len(block)
    key = directory / "seal-key.pem"
    key.write_bytes(
        signer.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    chain = directory / "seal-chain.pem"
    chain.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in [signer.certificate, *signer.chain]))
    unsigned, signed = directory / "large.edxml", directory / "large-signed.edxml"
    runs = [
        ("build", _child(directory, "build", str(attachment), str(unsigned))),
        ("parse", _child(directory, "parse", str(unsigned))),
        ("tree", _child(directory, "tree", str(unsigned))),
        ("sign", _child(directory, "sign", str(unsigned), str(key), str(chain), str(signed))),
        ("verify", _child(directory, "verify", str(signed), str(chain))),
    ]
    memory = [
        EdxmlMemory(operation=name, seconds=run["seconds"], peak_rss=run["peak_rss"], extra=run["extra"])
        for name, run in runs
    ]
    return memory, unsigned.stat().st_size


def _child(directory: Path, operation: str, *arguments: str) -> dict[str, Any]:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "motcua.config.settings",
        "MOTCUA_DATA_DIR": str(directory),
        "MOTCUA_MANIFEST_STATIC": "0",
        "MOTCUA_EDXML_TEMP_DIR": str(directory),
    }
    completed = subprocess.run(
        [sys.executable, "-m", "tests.bench.edxml", operation, *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"edXML benchmark child {operation} failed: {completed.stderr[-2000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _status_bytes(field: str) -> int:
    """A memory figure of this process from /proc/self/status (Linux), in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} is not in /proc/self/status")


def _child_main(operation: str, arguments: list[str]) -> dict[str, Any]:
    import django

    django.setup()
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    from motcua.exchange.edxml import NAMESPACE, ParseLimits, package_parse, package_verify, package_write
    from motcua.signatures.verification import VerificationTrust
    from motcua.signatures.xml import xml_parse_safely, xml_sign

    roomy = ParseLimits(max_package_bytes=1 << 40, max_attachment_bytes=1 << 40, temp_dir=os.environ["MOTCUA_DATA_DIR"])
    Path("/proc/self/clear_refs").write_text("5")  # resets the peak (VmHWM) to the current resident size
    before = _status_bytes("VmRSS")
    started = time.perf_counter()
    if operation == "build":
        with Path(arguments[1]).open("wb") as target:
            package_write(_package(Path(arguments[0])), target)
    elif operation == "parse":
        with package_parse(arguments[0], limits=roomy) as parsed:
            _check(parsed.attachments[0].size > 0, "the large attachment is read")
    elif operation == "tree":
        xml_parse_safely(Path(arguments[0]).read_bytes(), max_bytes=1 << 40, huge_tree=True)
    elif operation == "sign":
        key = serialization.load_pem_private_key(Path(arguments[1]).read_bytes(), password=None)
        certificate, *chain = x509.load_pem_x509_certificates(Path(arguments[2]).read_bytes())
        signed = xml_sign(
            Path(arguments[0]).read_bytes(),
            key=key,  # type: ignore[arg-type]
            certificate=certificate,
            chain=chain,
            signature_parent_xpath="//e:edXMLHeader",
            namespaces={"e": NAMESPACE},
            max_bytes=1 << 40,
            huge_tree=True,
        )
        Path(arguments[3]).write_bytes(signed)
    elif operation == "verify":
        certificates = x509.load_pem_x509_certificates(Path(arguments[1]).read_bytes())
        trust = VerificationTrust(anchors=[certificates[-1]], intermediates=certificates[1:-1])
        verification = package_verify(Path(arguments[0]).read_bytes(), trust=trust, limits=roomy)
        _check(verification.accepted, "the large package verifies")
    else:
        raise SystemExit(f"unknown operation {operation}")
    elapsed = time.perf_counter() - started
    peak = _status_bytes("VmHWM")
    return {"seconds": elapsed, "peak_rss": peak, "extra": max(0, peak - before)}


# --- the tables -------------------------------------------------------------------------------------------------

_LARGE_LABELS = {
    "build": "package_write (streams the attachment from its file)",
    "parse": "package_parse (streams the attachment to a file)",
    "tree": "whole-tree parse for comparison (xml_parse_safely, huge_tree)",
    "sign": "sign (xml_sign as package_sign calls it)",
    "verify": "package_verify",
}


def _mib(value: float) -> str:
    return f"{value / (1024 * 1024):,.1f} MiB"


def edxml_table(bench: EdxmlBench) -> str:
    lines = ["| measurement (100 KB attachment) | throughput | per operation |", "|---|---|---|"]
    for timing in bench.timings:
        lines.append(
            f"| {timing.measurement} | {timing.per_second:,.1f} packages/s | {timing.per_operation_ms:.1f} ms |"
        )
    lines += [
        "",
        f"| large package ({_mib(bench.large_package_bytes)}) | time | resident memory added at peak | peak RSS |",
        "|---|---|---|---|",
    ]
    for item in bench.memory:
        lines.append(
            f"| {_LARGE_LABELS[item.operation]} | {item.seconds:.2f} s | {_mib(item.extra)} | {_mib(item.peak_rss)} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(json.dumps(_child_main(sys.argv[1], sys.argv[2:])))
