"""XML-DSig: safe parsing, signing, and verification against real certificates and an independent validator.

The certificates are made in memory (tests/signatures/certificates.py: a root CA, an intermediate CA and signers),
so these tests do not depend on the development PKI.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import copy
import datetime as dt
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from motcua.signatures.reports import Status
from motcua.signatures.xml import (
    DS_NAMESPACE,
    XmlRejected,
    xml_parse_safely,
    xml_sign,
    xml_verify,
    xml_verify_signed_content,
)
from tests.signatures.certificates import NOW, SIGNING, Identity, PrivateKey, crl, issue, name, rsa_key

DS = f"{{{DS_NAMESPACE}}}"
EDXML_NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"


def _issue(
    common_name: str,
    *,
    issuer: Identity | None,
    key: PrivateKey | None = None,
    is_ca: bool = False,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    usages: frozenset[str] = SIGNING,
) -> Identity:
    """RSA by default here: the XML tests cover RSA-SHA256 first and ECDSA with an explicit key."""
    return issue(
        name(common_name, "Motcua Test"),
        issuer,
        ca=is_ca,
        key=key or rsa_key(),
        key_usage=() if is_ca else usages,
        not_before=not_before,
        not_after=not_after,
    )


@dataclass
class Pki:
    root: Identity
    intermediate: Identity
    signer: Identity
    ecdsa_signer: Identity
    wrong_usage: Identity
    expired: Identity
    other_root: Identity
    stranger: Identity


@pytest.fixture(scope="module")
def pki() -> Pki:
    root = _issue("Motcua Test Root CA", issuer=None, is_ca=True, not_before=NOW - dt.timedelta(days=365))
    intermediate = _issue("Motcua Test Signing CA", issuer=root, is_ca=True, not_before=NOW - dt.timedelta(days=300))
    other_root = _issue("Somebody Else Root CA", issuer=None, is_ca=True)
    return Pki(
        root=root,
        intermediate=intermediate,
        signer=_issue("Nguyễn Văn An", issuer=root),
        ecdsa_signer=_issue("Trần Thị Bình", issuer=intermediate, key=ec.generate_private_key(ec.SECP256R1())),
        wrong_usage=_issue("Encryption Only", issuer=root, usages=frozenset({"key_encipherment"})),
        expired=_issue(
            "Lê Văn Cũ",
            issuer=root,
            not_before=NOW - dt.timedelta(days=200),
            not_after=NOW - dt.timedelta(days=10),
        ),
        other_root=other_root,
        stranger=_issue("Stranger", issuer=other_root),
    )


DOCUMENT = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<Document xmlns="urn:motcua:test"><Title>Quy\xe1\xba\xbft \xc4\x91\xe1\xbb\x8bnh 12/Q\xc4\x90</Title>'
    b"<Amount>1000000</Amount><Body>Giao nhi\xe1\xbb\x87m v\xe1\xbb\xa5.</Body></Document>"
)

EDXML = f"""<?xml version="1.0" encoding="UTF-8"?>
<edXML:edXML xmlns:edXML="{EDXML_NS}">
  <edXML:edXMLEnvelope>
    <edXML:edXMLHeader>
      <edXML:MessageHeader>
        <edXML:From><edXML:OrganId>000.00.00.G22</edXML:OrganId></edXML:From>
        <edXML:DocumentId>000.00.00.G22,2018/09/20,7816/VPCP-TTĐT</edXML:DocumentId>
        <edXML:Subject>Về việc triển khai trục liên thông</edXML:Subject>
      </edXML:MessageHeader>
    </edXML:edXMLHeader>
  </edXML:edXMLEnvelope>
  <edXML:edXMLBody><edXML:edXMLManifest/></edXML:edXMLBody>
</edXML:edXML>""".encode()


def _sign(document: bytes, issued: Identity, **kwargs: object) -> bytes:
    return xml_sign(document, key=issued.key, certificate=issued.certificate, **kwargs)  # type: ignore[arg-type]


def _codes(report_reasons: list) -> set[str]:
    return {reason.code for reason in report_reasons}


# --- round trips ---------------------------------------------------------------------------------------------


def test_rsa_round_trip_is_valid_and_describes_the_signer(pki: Pki) -> None:
    signed = _sign(DOCUMENT, pki.signer)

    root = etree.fromstring(signed)
    signature = root.find(f"{DS}Signature")
    assert signature is not None and root[-1] is signature  # last child of the root by default
    assert signature.find(f"{DS}SignedInfo/{DS}CanonicalizationMethod").get("Algorithm") == (
        "http://www.w3.org/2001/10/xml-exc-c14n#"
    )
    assert signature.find(f"{DS}SignedInfo/{DS}SignatureMethod").get("Algorithm").endswith("#rsa-sha256")
    assert signature.find(f"{DS}SignedInfo/{DS}Reference").get("URI") == ""

    report = xml_verify(signed, trust_roots=[pki.root.certificate])

    assert report.kind == "xml"
    assert report.status == Status.VALID, report.as_dict()
    [signature_report] = report.signatures
    assert signature_report.reasons == []
    assert signature_report.signer_name == "Nguyễn Văn An"
    assert signature_report.signer_organisation == "Motcua Test"
    assert signature_report.issuer_name == "Motcua Test Root CA"
    assert signature_report.signer_certificate_sha256 == pki.signer.certificate.fingerprint(hashes.SHA256()).hex()
    assert signature_report.algorithm == "rsa-sha256"
    assert signature_report.covers_whole_document is True


def test_ecdsa_round_trip_with_intermediate_carried_in_the_signature(pki: Pki) -> None:
    signed = _sign(DOCUMENT, pki.ecdsa_signer, chain=[pki.intermediate.certificate])

    certificates = etree.fromstring(signed).findall(f".//{DS}X509Certificate")
    assert len(certificates) == 2
    report = xml_verify(signed, trust_roots=[pki.root.certificate])

    assert report.status == Status.VALID, report.as_dict()
    assert report.signatures[0].algorithm == "ecdsa-sha256"
    assert report.signatures[0].signer_name == "Trần Thị Bình"


def test_ecdsa_without_the_intermediate_needs_it_from_the_caller(pki: Pki) -> None:
    signed = _sign(DOCUMENT, pki.ecdsa_signer)

    alone = xml_verify(signed, trust_roots=[pki.root.certificate])
    helped = xml_verify(signed, trust_roots=[pki.root.certificate], intermediates=[pki.intermediate.certificate])

    assert alone.status == Status.INDETERMINATE
    assert _codes(alone.signatures[0].reasons) == {"unknown_issuer"}
    assert helped.status == Status.VALID


def test_signature_goes_into_the_edxml_header_and_verifies(pki: Pki) -> None:
    signed = _sign(
        EDXML,
        pki.signer,
        signature_parent_xpath="/edXML:edXML/edXML:edXMLEnvelope/edXML:edXMLHeader",
        namespaces={"edXML": EDXML_NS},
    )

    header = etree.fromstring(signed).find(f"{{{EDXML_NS}}}edXMLEnvelope/{{{EDXML_NS}}}edXMLHeader")
    assert header is not None and header[-1].tag == f"{DS}Signature"
    verification = xml_verify_signed_content(signed, trust_roots=[pki.root.certificate])
    assert verification.report.status == Status.VALID, verification.report.as_dict()
    [signed_root] = verification.signed_elements
    assert signed_root is not None
    assert signed_root.tag == f"{{{EDXML_NS}}}edXML"
    # What is handed back is the content that was digested: the signature itself is not part of it.
    assert signed_root.find(f".//{DS}Signature") is None
    assert "7816/VPCP-TTĐT" in signed_root.findtext(f".//{{{EDXML_NS}}}DocumentId")


def test_signing_refuses_a_certificate_of_another_key(pki: Pki) -> None:
    with pytest.raises(ValueError, match="does not belong"):
        xml_sign(DOCUMENT, key=pki.signer.key, certificate=pki.expired.certificate)  # type: ignore[arg-type]


# --- the independent validator -------------------------------------------------------------------------------


xmlsec1 = shutil.which("xmlsec1")
needs_xmlsec1 = pytest.mark.skipif(xmlsec1 is None, reason="xmlsec1 is not installed")


def _xmlsec1_verify(tmp_path: Path, signed: bytes, trusted: list[x509.Certificate]) -> subprocess.CompletedProcess[str]:
    document = tmp_path / "signed.xml"
    document.write_bytes(signed)
    command = [str(xmlsec1), "--verify", "--enabled-key-data", "x509"]
    for index, certificate in enumerate(trusted):
        pem = tmp_path / f"trusted-{index}.pem"
        pem.write_bytes(certificate.public_bytes(Encoding.PEM))
        command += ["--trusted-pem", str(pem)]
    return subprocess.run([*command, str(document)], capture_output=True, text=True, timeout=60, check=False)


@needs_xmlsec1
@pytest.mark.parametrize("signer_name", ["signer", "ecdsa_signer"])
def test_xmlsec1_accepts_what_we_sign_and_refuses_a_tampered_copy(pki: Pki, tmp_path: Path, signer_name: str) -> None:
    issued = getattr(pki, signer_name)
    trusted = [pki.root.certificate, pki.intermediate.certificate]
    signed = _sign(EDXML, issued, chain=[pki.intermediate.certificate] if signer_name == "ecdsa_signer" else [])

    accepted = _xmlsec1_verify(tmp_path, signed, trusted)
    assert accepted.returncode == 0, accepted.stderr
    assert "OK" in accepted.stdout + accepted.stderr

    tampered = signed.replace("trục liên thông".encode(), "trục KHÁC".encode())
    assert tampered != signed
    refused = _xmlsec1_verify(tmp_path, tampered, trusted)
    assert refused.returncode != 0
    assert "FAIL" in refused.stdout + refused.stderr


@needs_xmlsec1
def test_xmlsec1_refuses_our_signature_without_our_root(pki: Pki, tmp_path: Path) -> None:
    signed = _sign(DOCUMENT, pki.signer)
    assert _xmlsec1_verify(tmp_path, signed, [pki.other_root.certificate]).returncode != 0


# --- modified documents and wrapping -------------------------------------------------------------------------


def test_modified_text_is_invalid(pki: Pki) -> None:
    signed = _sign(DOCUMENT, pki.signer)
    tampered = signed.replace(b"<Amount>1000000</Amount>", b"<Amount>9000000</Amount>")
    assert tampered != signed

    report = xml_verify(tampered, trust_roots=[pki.root.certificate])

    assert report.status == Status.INVALID
    assert _codes(report.signatures[0].reasons) == {"modified_after_signing"}
    assert report.signatures[0].reasons[0].message


def test_changed_signature_value_is_a_bad_signature(pki: Pki) -> None:
    signed = _sign(DOCUMENT, pki.signer)
    root = etree.fromstring(signed)
    value = root.find(f".//{DS}SignatureValue")
    raw = bytearray(base64.b64decode(value.text))
    raw[10] ^= 0xFF
    value.text = base64.b64encode(bytes(raw)).decode()

    report = xml_verify(etree.tostring(root), trust_roots=[pki.root.certificate])

    assert report.status == Status.INVALID
    assert _codes(report.signatures[0].reasons) == {"bad_signature"}


def test_a_certificate_swapped_into_the_signature_does_not_verify(pki: Pki) -> None:
    signed = _sign(DOCUMENT, pki.signer)
    root = etree.fromstring(signed)
    element = root.find(f".//{DS}X509Certificate")
    element.text = base64.b64encode(pki.ecdsa_signer.certificate.public_bytes(Encoding.DER)).decode()

    report = xml_verify(etree.tostring(root), trust_roots=[pki.root.certificate])

    assert report.status == Status.INVALID
    assert _codes(report.signatures[0].reasons) == {"bad_signature"}


ID_DOCUMENT = (
    '<Envelope xmlns="urn:motcua:test"><Header/>'
    '<Order Id="order-1"><Item>Giấy phép xây dựng</Item><Fee>500000</Fee></Order>'
    "</Envelope>"
).encode()


def test_signature_over_one_element_is_accepted_only_for_the_id_the_caller_uses(pki: Pki) -> None:
    signed = _sign(ID_DOCUMENT, pki.signer, reference_uri="#order-1", signature_parent_xpath="//*[@Id]")

    expected = xml_verify_signed_content(signed, trust_roots=[pki.root.certificate], signed_id="order-1")
    not_expected = xml_verify(signed, trust_roots=[pki.root.certificate])

    assert expected.report.status == Status.VALID, expected.report.as_dict()
    assert expected.report.signatures[0].covers_whole_document is False
    [order] = expected.signed_elements
    assert order is not None and order.get("Id") == "order-1"
    assert order.findtext("{urn:motcua:test}Fee") == "500000"
    assert not_expected.status == Status.INVALID
    assert _codes(not_expected.signatures[0].reasons) == {"unexpected_reference"}


def test_wrapping_attack_with_a_duplicate_id_is_not_valid(pki: Pki) -> None:
    signed = _sign(ID_DOCUMENT, pki.signer, reference_uri="#order-1", signature_parent_xpath="//*[@Id]")
    root = etree.fromstring(signed)
    original = root.find("{urn:motcua:test}Order")
    # Classic wrapping: keep the signed element (with its signature) hidden in the header, put an evil copy with the
    # same Id where the application looks.
    root.find("{urn:motcua:test}Header").append(copy.deepcopy(original))
    original.find("{urn:motcua:test}Fee").text = "1"
    original.remove(original.find(f"{DS}Signature"))

    verification = xml_verify_signed_content(
        etree.tostring(root), trust_roots=[pki.root.certificate], signed_id="order-1"
    )

    assert verification.report.status == Status.INVALID
    assert {"ambiguous_reference"} <= _codes(verification.report.signatures[0].reasons)
    assert verification.signed_elements == [None]


def test_wrapping_attack_moving_the_signed_element_away_from_its_signature_is_not_valid(pki: Pki) -> None:
    signed = _sign(ID_DOCUMENT, pki.signer, reference_uri="#order-1", signature_parent_xpath="//*[@Id]")
    root = etree.fromstring(signed)
    order = root.find("{urn:motcua:test}Order")
    signature = order.find(f"{DS}Signature")
    # Move the signature out of the signed element, and put an evil element (another Id) in its place.
    order.remove(signature)
    root.append(signature)
    evil = etree.SubElement(root, "{urn:motcua:test}Order", Id="order-2")
    etree.SubElement(evil, "{urn:motcua:test}Fee").text = "1"

    for signed_id in ("order-1", "order-2"):
        report = xml_verify(etree.tostring(root), trust_roots=[pki.root.certificate], signed_id=signed_id)
        assert report.status == Status.INVALID
        assert _codes(report.signatures[0].reasons) == {"unexpected_reference"}


def test_whole_document_signature_detects_an_inserted_evil_element(pki: Pki) -> None:
    signed = _sign(DOCUMENT, pki.signer)
    root = etree.fromstring(signed)
    root.insert(0, etree.fromstring(b'<Amount xmlns="urn:motcua:test">1</Amount>'))

    report = xml_verify(etree.tostring(root), trust_roots=[pki.root.certificate])

    assert report.status == Status.INVALID
    assert _codes(report.signatures[0].reasons) == {"modified_after_signing"}


def test_every_signature_is_reported_and_an_extra_bad_one_makes_the_file_invalid(pki: Pki) -> None:
    signed = _sign(DOCUMENT, pki.signer)
    root = etree.fromstring(signed)
    forged = copy.deepcopy(root.find(f"{DS}Signature"))
    forged.find(f"{DS}SignedInfo/{DS}Reference").set("URI", "#nothing")
    root.find("{urn:motcua:test}Body").append(forged)

    report = xml_verify(etree.tostring(root), trust_roots=[pki.root.certificate])

    assert report.status == Status.INVALID
    # The forged one points at nothing; inserting it changed what the genuine one covers.
    assert [_codes(signature.reasons) for signature in report.signatures] == [
        {"ambiguous_reference"},
        {"modified_after_signing"},
    ]


def test_verification_works_inside_a_running_event_loop(pki: Pki) -> None:
    signed = _sign(DOCUMENT, pki.signer)

    async def verify_in_loop() -> Status:
        return xml_verify(signed, trust_roots=[pki.root.certificate]).status

    # In a thread of its own, so the loop this test starts is the one running (a browser test may hold one here).
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(asyncio.run, verify_in_loop()).result() == Status.VALID


# --- certificates --------------------------------------------------------------------------------------------


def test_unknown_root_is_indeterminate_unknown_issuer(pki: Pki) -> None:
    report = xml_verify(_sign(DOCUMENT, pki.stranger), trust_roots=[pki.root.certificate])

    assert report.status == Status.INDETERMINATE
    assert _codes(report.signatures[0].reasons) == {"unknown_issuer"}
    assert report.signatures[0].signer_name == "Stranger"


def test_a_self_signed_certificate_is_not_trusted_because_the_document_carries_it(pki: Pki) -> None:
    report = xml_verify(_sign(DOCUMENT, pki.other_root), trust_roots=[pki.root.certificate])
    assert report.status != Status.VALID
    assert "unknown_issuer" in _codes(report.signatures[0].reasons)


def test_expired_certificate(pki: Pki) -> None:
    signed = _sign(DOCUMENT, pki.expired)

    now = xml_verify(signed, trust_roots=[pki.root.certificate])
    back_then = xml_verify(signed, trust_roots=[pki.root.certificate], at=NOW - dt.timedelta(days=100))

    assert now.status == Status.INDETERMINATE
    assert _codes(now.signatures[0].reasons) == {"expired"}
    assert back_then.status == Status.VALID


def test_not_yet_valid_certificate(pki: Pki) -> None:
    report = xml_verify(_sign(DOCUMENT, pki.signer), trust_roots=[pki.root.certificate], at=NOW - dt.timedelta(days=60))
    assert report.status == Status.INDETERMINATE
    assert _codes(report.signatures[0].reasons) == {"not_yet_valid"}


def test_wrong_key_usage(pki: Pki) -> None:
    report = xml_verify(_sign(DOCUMENT, pki.wrong_usage), trust_roots=[pki.root.certificate])

    assert report.status == Status.INVALID
    assert _codes(report.signatures[0].reasons) == {"wrong_key_usage"}


def test_revoked_certificate_is_invalid_and_a_clean_crl_keeps_it_valid(pki: Pki) -> None:
    signed = _sign(DOCUMENT, pki.signer)

    revoked = xml_verify(signed, trust_roots=[pki.root.certificate], crls=[crl(pki.root, [pki.signer.certificate])])
    clean = xml_verify(signed, trust_roots=[pki.root.certificate], crls=[crl(pki.root, [])])

    assert revoked.status == Status.INVALID
    assert _codes(revoked.signatures[0].reasons) == {"revoked"}
    assert clean.status == Status.VALID, clean.as_dict()


def test_revocation_unknown_when_revocation_data_does_not_cover_the_signer(pki: Pki) -> None:
    # A CRL is given (so revocation must be proven) but it comes from another CA.
    signed = _sign(DOCUMENT, pki.signer)
    report = xml_verify(signed, trust_roots=[pki.root.certificate], crls=[crl(pki.other_root, [])])

    assert report.status == Status.INDETERMINATE
    assert _codes(report.signatures[0].reasons) == {"revocation_unknown"}


# --- hostile and broken input --------------------------------------------------------------------------------

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Document>&secret;</Document>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>"""


@pytest.mark.parametrize(
    "hostile", [XXE, BILLION_LAUGHS, XXE.decode().encode("utf-16")], ids=["xxe", "laughs", "utf16"]
)
def test_doctype_and_entities_are_refused(hostile: bytes) -> None:
    with pytest.raises(XmlRejected) as raised:
        xml_parse_safely(hostile)
    assert raised.value.code == "dtd_forbidden"
    assert "DTD" in str(raised.value.message)

    report = xml_verify(hostile, trust_roots=[])
    assert report.status == Status.INVALID
    assert _codes(report.errors) == {"dtd_forbidden"}
    assert report.signatures == []
    assert "root:" not in repr(report.as_dict())  # nothing of /etc/passwd leaked into the report


def test_external_entity_is_not_read_even_past_the_byte_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    # Disable the cheap byte scan to show that the parser itself neither reads the file nor expands entities.
    monkeypatch.setattr("motcua.signatures.xml._DOCTYPE_MARKERS", ())
    with pytest.raises(XmlRejected) as raised:
        xml_parse_safely(XXE)
    assert raised.value.code == "dtd_forbidden"
    with pytest.raises(XmlRejected):
        xml_parse_safely(BILLION_LAUGHS)


def test_oversize_input_is_refused() -> None:
    big = b"<a>" + b"x" * 2048 + b"</a>"
    assert xml_parse_safely(big, max_bytes=4096).tag == "a"
    with pytest.raises(XmlRejected) as raised:
        xml_parse_safely(big, max_bytes=1024)
    assert raised.value.code == "too_large"

    report = xml_verify(big, trust_roots=[], max_bytes=1024)
    assert _codes(report.errors) == {"too_large"}


def test_text_over_ten_megabytes_needs_huge_tree_and_still_refuses_dtds(pki: Pki) -> None:
    """edXML attachments are base64 text nodes: libxml2 refuses one over 10 MB unless asked (XML_PARSE_HUGE)."""
    payload = "QUFB" * (11 * 1024 * 1024 // 4)
    big = f'<edXML:edXML xmlns:edXML="{EDXML_NS}"><edXML:edXMLHeader/><edXML:Data>{payload}</edXML:Data></edXML:edXML>'
    data = big.encode()
    with pytest.raises(XmlRejected) as raised:
        xml_parse_safely(data)
    assert raised.value.code == "malformed"
    assert len(xml_parse_safely(data, huge_tree=True)[1].text) == len(payload)
    with pytest.raises(XmlRejected) as raised:
        xml_parse_safely(b"<!DOCTYPE a>" + data, huge_tree=True)
    assert raised.value.code == "dtd_forbidden"

    options = {"signature_parent_xpath": "//e:edXMLHeader", "namespaces": {"e": EDXML_NS}}
    with pytest.raises(XmlRejected):
        _sign(data, pki.signer, **options)
    signed = _sign(data, pki.signer, huge_tree=True, **options)
    assert _codes(xml_verify(signed, trust_roots=[pki.root.certificate]).errors) == {"malformed"}
    report = xml_verify(signed, trust_roots=[pki.root.certificate], huge_tree=True)
    assert report.status == Status.VALID, report.as_dict()
    tampered = signed.replace(b"QUFBQUFB</edXML:Data>", b"QUFBQUFC</edXML:Data>")
    report = xml_verify(tampered, trust_roots=[pki.root.certificate], huge_tree=True)
    assert _codes(report.signatures[0].reasons) == {"modified_after_signing"}


@pytest.mark.parametrize(
    "garbage",
    [b"", b"\x00\xff\xfe garbage \x89PNG", b"<a><b></a>", b"not xml at all", b"%PDF-1.7\n"],
    ids=["empty", "binary", "unbalanced", "text", "pdf"],
)
def test_garbage_gives_a_malformed_report_not_an_exception(garbage: bytes, pki: Pki) -> None:
    report = xml_verify(garbage, trust_roots=[pki.root.certificate])

    assert report.status == Status.INVALID
    assert _codes(report.errors) == {"malformed"}
    assert report.as_dict()["errors"][0]["message"]


def test_unsigned_document_is_reported_as_such(pki: Pki) -> None:
    report = xml_verify(DOCUMENT, trust_roots=[pki.root.certificate])
    assert report.status == Status.INVALID
    assert _codes(report.errors) == {"no_signature"}


def test_broken_signature_element_is_malformed_not_an_exception(pki: Pki) -> None:
    signed = _sign(DOCUMENT, pki.signer)
    root = etree.fromstring(signed)
    signature = root.find(f"{DS}Signature")
    signature.remove(signature.find(f"{DS}SignatureValue"))
    root.find(f".//{DS}X509Certificate").text = "!!!"

    report = xml_verify(etree.tostring(root), trust_roots=[pki.root.certificate])

    assert report.status == Status.INVALID
    assert _codes(report.signatures[0].reasons) == {"malformed"}


def test_sha1_signatures_are_not_accepted(pki: Pki) -> None:
    signed = _sign(DOCUMENT, pki.signer)
    downgraded = signed.replace(b"xmldsig-more#rsa-sha256", b"xmldsig-more#rsa-sha1")
    report = xml_verify(downgraded, trust_roots=[pki.root.certificate])
    assert report.status == Status.INVALID
    assert _codes(report.signatures[0].reasons) == {"unsupported_algorithm"}
