"""OCSP responder and time-stamping authority over real HTTP, checked with openssl and pyHanko."""

from __future__ import annotations

import base64
import hashlib
import urllib.error
import urllib.request

import pytest
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509 import ocsp

from motcua.signatures.models import Certificate
from motcua.signatures.services import certificate_revoke, pki_create
from motcua.signatures.tsa import TimestampFailed, TimeStampReply, timestamp_fetch, timestamp_query, timestamp_verify
from tests.signatures.conftest import openssl

pytestmark = pytest.mark.django_db(transaction=True)


def _post(url: str, body: bytes, content_type: str) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def _ocsp_status(dev_pki, leaf_path, live_server, *extra: str) -> str:
    result = openssl(
        "ocsp",
        "-issuer",
        str(dev_pki.path_of(name="issuing-ca")),
        *(("-cert", str(leaf_path)) if leaf_path else ()),
        *extra,
        "-url",
        f"{live_server.url}/pki/ocsp",
        "-CAfile",
        str(dev_pki.path_of(name="root-ca")),
        "-resp_text",
    )
    output = (result.stdout + result.stderr).decode()
    assert result.returncode == 0, output
    assert "Response verify OK" in output
    return output


def test_openssl_ocsp_says_good_then_revoked(dev_pki, agency_seal, live_server, tmp_path):
    leaf = tmp_path / "seal.pem"
    leaf.write_bytes(agency_seal.certificate_pem())
    output = _ocsp_status(dev_pki, leaf, live_server)
    assert f"{leaf}: good" in output
    assert "Responder Id: " in output and "OCSP Nonce" in output  # the nonce openssl sent is echoed

    certificate_revoke(serial_number=agency_seal.serial_number, reason="keyCompromise")
    output = _ocsp_status(dev_pki, leaf, live_server)
    assert f"{leaf}: revoked" in output
    assert "Reason: keyCompromise" in output


def test_openssl_ocsp_says_unknown_for_a_serial_never_issued(dev_pki, live_server):
    output = _ocsp_status(dev_pki, None, live_server, "-serial", "0x1234567")
    assert "0x1234567: unknown" in output


def _request_for(certificate: x509.Certificate, issuer: x509.Certificate) -> bytes:
    built = ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer, hashes.SHA1()).build()
    return built.public_bytes(serialization.Encoding.DER)


def test_ocsp_get_form_and_refusals(dev_pki, official_certificate, client):
    encoded = base64.b64encode(_request_for(official_certificate.certificate, dev_pki.issuing.certificate)).decode()
    response = client.get(f"/pki/ocsp/{encoded.replace('/', '%2F')}")
    assert response.status_code == 200 and response["Content-Type"] == "application/ocsp-response"
    answer = ocsp.load_der_ocsp_response(response.content)
    assert answer.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert answer.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert answer.serial_number == official_certificate.certificate.serial_number
    # Signed by the responder certificate it embeds, which the issuing CA issued.
    dev_pki.ocsp.certificate.public_key().verify(
        answer.signature, answer.tbs_response_bytes, padding.PKCS1v15(), answer.signature_hash_algorithm
    )
    assert answer.certificates == [dev_pki.ocsp.certificate]

    # The issuing CA itself belongs to the root: this responder is not authoritative for it.
    response = client.post(
        "/pki/ocsp",
        _request_for(dev_pki.issuing.certificate, dev_pki.root.certificate),
        content_type="application/ocsp-request",
    )
    assert ocsp.load_der_ocsp_response(response.content).response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED


@pytest.mark.parametrize("body", [b"", b"not an OCSP request", b"\x30\x03\x02\x01\x05", b"\x30" * 5000])
def test_malformed_ocsp_requests_get_malformed_request(dev_pki, live_server, body):
    status, content_type, reply = _post(f"{live_server.url}/pki/ocsp", body, "application/ocsp-request")
    assert status == 200 and content_type == "application/ocsp-response"
    assert ocsp.load_der_ocsp_response(reply).response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_oversized_and_wrong_method_requests_are_refused_without_error(dev_pki, client):
    assert client.post("/pki/ocsp", b"0" * 70_000, content_type="application/ocsp-request").status_code == 413
    assert client.post("/pki/tsa", b"0" * 70_000, content_type="application/timestamp-query").status_code == 413
    assert client.get("/pki/tsa").status_code == 405
    assert client.get("/pki/ocsp/not*base64").status_code == 404
    bad = client.get("/pki/ocsp/bm90IGFuIE9DU1AgcmVxdWVzdA==")
    assert ocsp.load_der_ocsp_response(bad.content).response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_openssl_timestamp_verifies_and_a_tampered_file_does_not(dev_pki, live_server, tmp_path):
    document = tmp_path / "quyet-dinh.pdf"
    document.write_bytes(b"%PDF-1.7\nQuyet dinh so 123/QD-UBND\n")
    query = tmp_path / "request.tsq"
    made = openssl("ts", "-query", "-data", str(document), "-sha256", "-cert", "-out", str(query))
    assert made.returncode == 0, made.stderr

    status, content_type, reply = _post(f"{live_server.url}/pki/tsa", query.read_bytes(), "application/timestamp-query")
    assert status == 200 and content_type == "application/timestamp-reply"
    reply_path = tmp_path / "reply.tsr"
    reply_path.write_bytes(reply)

    text = openssl("ts", "-reply", "-in", str(reply_path), "-text")
    assert text.returncode == 0, text.stderr
    assert b"Status: Granted." in text.stdout
    assert b"Policy OID: 2.25.63553212667595290914556572097967602214" in text.stdout
    digest = hashlib.sha256(document.read_bytes()).digest()
    assert " ".join(f"{byte:02x}" for byte in digest[:8]).encode() in text.stdout  # the message imprint

    def verify(data_path):
        return openssl(
            "ts",
            "-verify",
            "-data",
            str(data_path),
            "-in",
            str(reply_path),
            "-CAfile",
            str(dev_pki.path_of(name="root-ca")),
            "-untrusted",
            str(dev_pki.directory / "chain.pem"),
        )

    good = verify(document)
    assert good.returncode == 0, good.stdout + good.stderr
    assert b"Verification: OK" in good.stdout

    tampered = tmp_path / "quyet-dinh-sua.pdf"
    tampered.write_bytes(document.read_bytes().replace(b"123", b"124"))
    bad = verify(tampered)
    assert bad.returncode != 0
    assert b"Verification: FAILED" in bad.stdout

    # The reply answers this query: same imprint and nonce (openssl ts -verify -queryfile checks both).
    matched = openssl(
        "ts",
        "-verify",
        "-queryfile",
        str(query),
        "-in",
        str(reply_path),
        "-CAfile",
        str(dev_pki.path_of(name="root-ca")),
        "-untrusted",
        str(dev_pki.directory / "chain.pem"),
    )
    assert b"Verification: OK" in matched.stdout, matched.stderr


@pytest.mark.parametrize(
    ("body", "failure"),
    [
        (b"garbage", "bad_data_format"),
        (b"", "bad_data_format"),
        (timestamp_query(hashed_message=b"\x00" * 16, hash_algorithm="md5"), "bad_alg"),
        (timestamp_query(hashed_message=b"\x00" * 20), "bad_data_format"),  # not 32 bytes for SHA-256
    ],
)
def test_malformed_timestamp_requests_are_rejected_in_rfc_3161_form(dev_pki, live_server, tmp_path, body, failure):
    status, content_type, reply = _post(f"{live_server.url}/pki/tsa", body, "application/timestamp-query")
    assert status == 200 and content_type == "application/timestamp-reply"
    response = TimeStampReply.load(reply)
    assert response["status"]["status"].native == "rejection"
    assert response["status"]["fail_info"].native == {failure}
    reply_path = tmp_path / "reply.tsr"
    reply_path.write_bytes(reply)
    text = openssl("ts", "-reply", "-in", str(reply_path), "-text")
    assert b"Status: Rejected." in text.stdout, text.stderr
    assert b"TST info:\nNot included." in text.stdout
    assert response["time_stamp_token"].native is None


def test_client_fetches_and_checks_a_token(dev_pki, live_server):
    data = "Hồ sơ 000.00.20.H49-260101-0001".encode()
    token = timestamp_fetch(data=data, url=f"{live_server.url}/pki/tsa", trust_roots=[dev_pki.root.certificate])
    assert token.hashed_message == hashlib.sha256(data).digest()
    assert token.policy == "2.25.63553212667595290914556572097967602214"
    assert "Time-Stamping Authority" in token.tsa_name

    # The same token does not cover other data, and means nothing under another root.
    with pytest.raises(TimestampFailed) as other_data:
        timestamp_verify(
            token=token.token, hashed_message=hashlib.sha256(b"other").digest(), trust_roots=[dev_pki.root.certificate]
        )
    assert other_data.value.code == "timestamp_imprint_mismatch"
    stranger = pki_create(directory=dev_pki.directory.parent / "stranger", ca_key_size=2048)
    with pytest.raises(TimestampFailed) as untrusted:
        timestamp_verify(
            token=token.token, hashed_message=token.hashed_message, trust_roots=[stranger.root.certificate]
        )
    assert untrusted.value.code == "timestamp_untrusted"

    # A token whose signed content was altered fails its signature check.
    content_info = cms.ContentInfo.load(token.token)
    encapsulated = content_info["content"]["encap_content_info"]
    tst_info = encapsulated["content"].parsed
    tst_info["serial_number"] = token.serial_number + 1
    encapsulated["content"] = cms.ParsableOctetString(tst_info.dump(force=True))
    altered = content_info.dump(force=True)
    assert altered != token.token
    with pytest.raises(TimestampFailed) as broken:
        timestamp_verify(token=altered, hashed_message=token.hashed_message, trust_roots=[dev_pki.root.certificate])
    assert broken.value.code == "timestamp_signature_invalid"


def test_client_reports_a_refusal(dev_pki, live_server):
    with pytest.raises(TimestampFailed) as refused:
        timestamp_fetch(hashed_message=b"\x01" * 20, url=f"{live_server.url}/pki/tsa")
    assert refused.value.code == "timestamp_rejected"
    assert Certificate.objects.filter(kind=Certificate.Kind.TSA).count() == 1
