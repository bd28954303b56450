"""Building packages: the layout of QCVN 102, deterministic bytes, strict checks, and round trips through the parser."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io

import pytest
from lxml import etree

from motcua.exchange.edxml import (
    NAMESPACE,
    Attachment,
    Business,
    BusinessDocType,
    Organ,
    PackageRefused,
    ParseLimits,
    ResponseFor,
    StaffInfo,
    StatusCode,
    StatusMessage,
    TraceHeaderList,
    package_build,
    package_parse,
    package_write,
    refusal_status,
    status_build,
    status_parse,
)
from motcua.exchange.edxml.codes import VIETNAM
from tests.exchange.edxml.conftest import GOVERNMENT_OFFICE, QUANG_NINH, fixture_path, package_make

E = f"{{{NAMESPACE}}}"


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def test_the_package_has_the_layout_of_the_standard():
    root = etree.fromstring(package_build(package_make()))
    assert root.tag == E + "edXML" and root.nsmap[None] == NAMESPACE
    envelope, attachments = list(root)
    assert envelope.tag == E + "edXMLEnvelope" and envelope.prefix == "edXML"
    assert attachments.tag == E + "AttachmentEncoded" and attachments.prefix is None
    header, body = list(envelope)
    assert [_local(child) for child in header] == ["MessageHeader", "TraceHeaderList"]
    assert [_local(child) for child in header[0]][:8] == [
        "From",
        "To",
        "DocumentId",
        "Code",
        "PromulgationInfo",
        "DocumentType",
        "Subject",
        "Content",
    ]
    reference = body.find(f"{E}edXMLManifest/{E}Reference")
    content_id = reference.findtext(f"{E}ContentId")
    assert content_id.startswith("cid:")
    assert reference.get("{http://www.w3.org/1999/xlink}href") == content_id
    attachment = attachments.find(f"{E}Attachment")
    assert "cid:" + attachment.findtext(f"{E}ContentId") == content_id
    encoded = attachment.findtext(f"{E}ContentTransferEncoded")
    assert "\n" not in encoded and base64.b64decode(encoded).startswith(b"%PDF-1.4")


def test_building_is_deterministic_and_the_parser_gives_the_model_back(limits):
    package = package_make()
    data = package_build(package)
    assert package_build(package) == data
    with package_parse(data, limits=limits, strict=True) as parsed:
        assert parsed.header == package.header and parsed.trace == package.trace
        assert parsed.warnings == []
        (attachment,) = parsed.attachments
        original = package.attachments[0]
        assert (attachment.name, attachment.content_type, attachment.description) == (
            original.name,
            original.content_type,
            original.description,
        )
        assert attachment.read_bytes() == original.content
        assert attachment.sha256 == hashlib.sha256(original.content).hexdigest()
        assert package_build(parsed.package()) == data  # parse → build gives the same bytes


@pytest.mark.parametrize("name", ["valid/full.edxml", "valid/minimal.edxml", "imperfect/dash_dates.edxml"])
def test_parse_build_parse_keeps_every_field(name, limits):
    with package_parse(fixture_path(name), limits=limits) as first:
        rebuilt = package_build(first.package())
        with package_parse(rebuilt, limits=limits, strict=True) as second:
            assert second.header == first.header and second.trace == first.trace
            assert [(a.content_id, a.name, a.content_type, a.description, a.sha256) for a in second.attachments] == [
                (a.content_id, a.name, a.content_type, a.description, a.sha256) for a in first.attachments
            ]


@pytest.mark.parametrize("code", StatusCode.values)
def test_status_packages_round_trip(code, limits):
    with status_parse(fixture_path(f"valid/status_{code}.edxml"), limits=limits) as parsed:
        data = status_build(parsed.status)
    again = status_parse(data, limits=limits, strict=True)
    assert again.status == parsed.status
    root = etree.fromstring(data)
    message = root.find(f"{E}edXMLEnvelope/{E}edXMLHeader/{E}MessageHeader")
    assert [_local(child) for child in message] == [
        "From",
        "ResponseFor",
        "StaffInfo",
        "StatusCode",
        "Description",
        "Timestamp",
    ]
    assert message.findtext(f"{E}StatusCode") == code
    assert message.findtext(f"{E}Timestamp") == parsed.status.timestamp.astimezone(VIETNAM).strftime(
        "%Y/%m/%d %H:%M:%S"
    )


def test_attachments_are_streamed_from_files_and_content_ids_derived_stably(tmp_path, limits):
    big = tmp_path / "ho-so.bin"
    content = bytes(range(256)) * 1000  # 256 KB, several encoding chunks
    big.write_bytes(content)
    roomy = ParseLimits(max_attachment_bytes=1024 * 1024, temp_dir=limits.temp_dir)
    package = package_make(
        attachments=(
            Attachment(name="ho-so.bin", content=big),
            Attachment(name="ghi-chu.txt", content="Ghi chú".encode(), content_type="text/plain"),
        )
    )
    target = io.BytesIO()
    package_write(package, target)
    assert target.getvalue() == package_build(package)
    with package_parse(target.getvalue(), limits=roomy) as parsed:
        first, second = parsed.attachments
        assert first.read_bytes() == content and second.read_bytes() == "Ghi chú".encode()
        assert first.content_id != second.content_id
        assert [a.content_id for a in parsed.attachments] == [
            a.content_id for a in package_parse(package_build(package), limits=roomy).attachments
        ]


def test_motcua_refuses_to_build_what_it_would_refuse_to_receive():
    with pytest.raises(PackageRefused) as caught:
        package_build(package_make(from_organ=Organ(organ_id="000.00.00.g22", organ_name="VPCP")))
    assert {(issue.path, issue.code) for issue in caught.value.errors} == {
        ("MessageHeader/From/OrganId", "organisation_code_case")
    }
    with pytest.raises(PackageRefused) as caught:
        package_build(package_make(subject="x" * 501))
    assert {(issue.path, issue.code) for issue in caught.value.errors} == {("MessageHeader/Subject", "too_long")}
    with pytest.raises(PackageRefused) as caught:
        package_build(package_make(to_organs=()))
    assert {(issue.path, issue.code) for issue in caught.value.errors} == {("MessageHeader/To", "required")}
    with pytest.raises(PackageRefused) as caught:
        package_build(package_make(subject="Ký tự điều khiển \x07"))
    assert {issue.code for issue in caught.value.errors} == {"invalid_characters"}
    target = io.BytesIO()
    with pytest.raises(PackageRefused):
        package_write(package_make(subject=""), target)
    assert target.getvalue() == b""  # nothing written


def test_a_replacement_carries_its_business_part(limits):
    business = Business(
        business_doc_type=BusinessDocType.REPLACEMENT,
        document_id=f"{QUANG_NINH},2024/03/10,118/UBND-VX",
        business_doc_reason="Thay thế do sai sót",
        staff_info=StaffInfo(department="Văn phòng", staff="Lê Thị Mai", email="mai@quangninh.gov.vn"),
    )
    package = package_make()
    package = type(package)(
        header=package.header, trace=TraceHeaderList(business=business), attachments=package.attachments
    )
    with package_parse(package_build(package), limits=limits, strict=True) as parsed:
        assert parsed.trace.business == business


def test_a_refused_package_is_answered_with_a_status_02_when_its_header_was_read(limits):
    with pytest.raises(PackageRefused) as caught:
        package_parse(fixture_path("refused/attachment_100k.edxml"), limits=limits)
    at = dt.datetime(2024, 3, 15, 9, 0, tzinfo=VIETNAM)
    receiver = Organ(organ_id=GOVERNMENT_OFFICE, organ_name="Văn phòng Chính phủ")
    status = refusal_status(caught.value, from_organ=receiver, at=at)
    assert status is not None and status.status_code == StatusCode.REJECTED
    assert status.response_for == ResponseFor(
        organ_id=QUANG_NINH,
        code="125/UBND-VX",
        promulgation_date=dt.date(2024, 3, 15),
        document_id="000.00.00.H49,2024/03/15,125/UBND-VX",
    )
    assert "AttachmentEncoded/Attachment[1]/ContentTransferEncoded" in status.description
    parsed = status_parse(status_build(status), limits=limits, strict=True)
    assert parsed.status == status

    with pytest.raises(PackageRefused) as caught:
        package_parse(fixture_path("refused/billion_laughs.edxml"), limits=limits)
    assert refusal_status(caught.value, from_organ=receiver, at=at) is None


def test_a_status_is_built_only_when_complete():
    status = StatusMessage(
        from_organ=Organ(organ_id=QUANG_NINH, organ_name="UBND tỉnh Quảng Ninh"),
        response_for=ResponseFor(
            organ_id=GOVERNMENT_OFFICE,
            code="7816/VPCP-TTĐT",
            promulgation_date=dt.date(2018, 9, 20),
            document_id="000.00.00.G22,2018/09/20,7816/VPCP-TTĐT",
        ),
        status_code=StatusCode.REJECTED,
        timestamp=dt.datetime(2018, 9, 21, 2, 5, tzinfo=dt.UTC),
    )
    with pytest.raises(PackageRefused) as caught:
        status_build(status)  # a rejection must say why
    assert {(issue.path, issue.code) for issue in caught.value.errors} == {
        ("MessageHeader/Description", "reason_required")
    }
    data = status_build(
        StatusMessage(**{**status.__dict__, "description": "Gửi nhầm đơn vị", "status_code": StatusCode.REJECTED})
    )
    assert b"<edXML:Timestamp>2018/09/21 09:05:00</edXML:Timestamp>" in data  # Vietnam's time
