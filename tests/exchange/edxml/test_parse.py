"""Parsing edXML packages: the hand-written fixtures, lenient warnings, refusals naming the field, limits."""

from __future__ import annotations

import datetime as dt
import io
import logging
from pathlib import Path

import pytest

from motcua.exchange.edxml import (
    BusinessDocType,
    Organ,
    PackageRefused,
    ParseLimits,
    Priority,
    StatusCode,
    SteeringType,
    edxml_parse,
    package_parse,
    refusal_status,
    status_parse,
)
from motcua.exchange.edxml.codes import VIETNAM
from tests.exchange.edxml.conftest import GOVERNMENT_OFFICE, QUANG_NINH, fixture_bytes, fixture_path


def _refusal(name: str, **options) -> PackageRefused:
    with pytest.raises(PackageRefused) as caught:
        edxml_parse(fixture_path(name), **options)
    return caught.value


def _issues(issues) -> set[tuple[str, str]]:
    return {(issue.path, issue.code) for issue in issues}


# --- valid packages ---------------------------------------------------------------------------------------------


def test_the_full_fixture_is_read_field_by_field(limits):
    with package_parse(fixture_path("valid/full.edxml"), limits=limits, strict=True) as parsed:
        header, trace = parsed.header, parsed.trace
        assert parsed.warnings == [] and parsed.signed is False
        assert header.from_organ.organ_id == GOVERNMENT_OFFICE
        assert header.from_organ.organ_name == "Văn phòng Chính phủ"
        assert header.from_organ.organ_add == "16 Lê Hồng Phong, Ba Đình, Hà Nội"
        assert header.from_organ.website == "https://vpcp.chinhphu.vn"
        assert [organ.organ_id for organ in header.to_organs] == [QUANG_NINH, "000.00.00.H41"]
        assert header.document_id == "000.00.00.G22,2018/09/20,7816/VPCP-TTĐT"
        assert str(header.code) == "7816/VPCP-TTĐT"
        assert header.promulgation_info.promulgation_date == dt.date(2018, 9, 20)
        assert header.promulgation_info.place == "Hà Nội"
        assert (header.document_type.type_code, header.document_type.type_name) == (1, "Công văn")
        assert header.subject.startswith("V/v kết nối, liên thông văn bản")
        assert header.signer_info is not None and header.signer_info.full_name == "Nguyễn Cao Lục"
        assert header.due_date == dt.date(2018, 9, 30)
        assert header.to_places == ("Như trên", "Lưu: VT, TTĐT")
        other = header.other_info
        assert other.priority == Priority.VERY_URGENT and other.direction is True
        assert (other.promulgation_amount, other.page_amount, other.typer_notation) == (65, 2, "NTH")
        assert other.appendixes == ("Phụ lục I: Danh sách cơ quan kết nối", "Phụ lục II: Lịch kết nối")
        assert other.reference_codes == "28/2018/QĐ-TTg"
        assert header.response_for[0].document_id == "000.00.00.G12,2018/09/10,120/BTTTT-THH"
        assert header.response_for[0].promulgation_date == dt.date(2018, 9, 10)
        assert header.steering_type == SteeringType.DIRECTIVE
        assert header.response_for_task is not None and header.response_for_task.task_codes == ("NV-2018-0457",)
        assert header.application_type == "Motcua"
        assert [hop.organ_id for hop in trace.trace_headers] == [GOVERNMENT_OFFICE, QUANG_NINH]
        assert trace.trace_headers[0].timestamp == dt.datetime(2018, 9, 20, 14, 30, 5, tzinfo=VIETNAM)
        business = trace.business
        assert business.business_doc_type == BusinessDocType.REPLACEMENT and business.paper == 1
        assert business.staff_info is not None and business.staff_info.staff == "Trần Thị Hoa"
        assert business.business_document_info is not None
        assert business.business_document_info.receivers[0].organ_id == "000.00.00.H41"
        assert business.replacement_info[0].organ_ids == (QUANG_NINH, "000.00.00.H41")
        pdf, appendix = parsed.attachments
        assert (pdf.name, pdf.content_type, pdf.detected_content_type) == (
            "7816-VPCP-TTĐT.pdf",
            "application/pdf",
            "application/pdf",
        )
        assert pdf.read_bytes().startswith(b"%PDF-1.4") and pdf.size == len(pdf.read_bytes())
        assert appendix.read_bytes().decode() == "Danh sách cơ quan kết nối\n"
        assert appendix.description == "Phụ lục I" and appendix.content_id == "7816-vpcp-phu-luc"


def test_the_minimal_fixture_is_accepted_without_a_warning(limits):
    with package_parse(fixture_bytes("valid/minimal.edxml"), limits=limits) as parsed:
        assert parsed.warnings == []
        assert parsed.header.content == "" and parsed.header.due_date is None
        assert parsed.header.other_info.priority == Priority.NORMAL
        assert parsed.trace.trace_headers == () and parsed.trace.business.business_doc_type == BusinessDocType.NEW
        assert [attachment.name for attachment in parsed.attachments] == ["bao-cao-quy-1.pdf"]


@pytest.mark.parametrize("code", StatusCode.values)
def test_each_status_code_is_read_from_its_fixture(code, limits):
    parsed = status_parse(fixture_path(f"valid/status_{code}.edxml"), limits=limits, strict=True)
    status = parsed.status
    assert status.status_code == StatusCode(code) and parsed.warnings == []
    assert status.response_for.document_id == "000.00.00.G22,2018/09/20,7816/VPCP-TTĐT"
    assert status.response_for.code == "7816/VPCP-TTĐT"
    assert status.timestamp.astimezone(VIETNAM).date() == dt.date(2018, 9, 21)
    assert status.staff_info is not None and status.staff_info.staff == "Phạm Thu Trang"
    assert status.description


def test_sources_may_be_bytes_a_path_or_a_file(limits):
    data = fixture_bytes("valid/minimal.edxml")
    results = [
        package_parse(source, limits=limits)
        for source in (data, str(fixture_path("valid/minimal.edxml")), io.BytesIO(data), memoryview(data))
    ]
    assert len({(result.sha256, result.size) for result in results}) == 1
    assert all(result.header == results[0].header for result in results)


def test_a_status_is_refused_where_a_document_is_expected_and_the_reverse(limits):
    with pytest.raises(PackageRefused) as caught:
        package_parse(fixture_path("valid/status_01.edxml"), limits=limits)
    assert _issues(caught.value.errors) == {("MessageHeader", "wrong_kind")}
    with pytest.raises(PackageRefused) as caught:
        status_parse(fixture_path("valid/minimal.edxml"), limits=limits)
    assert _issues(caught.value.errors) == {("MessageHeader", "wrong_kind")}


# --- imperfect packages: accepted with a warning, refused when strict -------------------------------------------

IMPERFECT = {
    "whitespace": {("MessageHeader/From/OrganId", "whitespace"), ("MessageHeader/Subject", "whitespace")},
    "dash_dates": {
        ("MessageHeader/PromulgationInfo/PromulgationDate", "date_format"),
        ("TraceHeaderList/TraceHeader[1]/Timestamp", "timestamp_format"),
    },
    "lowercase_code": {("MessageHeader/To[1]/OrganId", "organisation_code_case")},
    "unknown_elements": {
        ("MessageHeader/Classification", "unknown_element"),
        ("MessageHeader/Tracking", "unknown_element"),
    },
    "missing_optional": {
        ("MessageHeader/From/OrganName", "missing_optional"),
        ("MessageHeader/PromulgationInfo/Place", "missing_optional"),
        ("MessageHeader/SignerInfo", "missing_optional"),
        ("TraceHeaderList", "missing_optional"),
    },
    "business_spelling": {
        ("TraceHeaderList/Bussiness", "spelling"),
        ("TraceHeaderList/Bussiness/BussinessDocType", "spelling"),
    },
    "document_id_missing": {("MessageHeader/DocumentId", "document_id_derived")},
    "subject_over_limit": {("MessageHeader/Subject", "too_long")},
    "no_namespace": {("edXMLEnvelope", "namespace_missing")},
    "no_wrapper": {("", "root_wrapper")},
    "base64_padding": {("AttachmentEncoded/Attachment[1]/ContentTransferEncoded", "base64_padding")},
    "not_in_manifest": {("AttachmentEncoded/Attachment[2]", "not_in_manifest")},
    "unsafe_name": {("edXMLManifest/Reference[1]/AttachmentName", "name_cleaned")},
    "status_legacy_soap": {
        ("", "legacy_envelope"),
        ("MessageHeader/StatusCode", "status_code_format"),
        ("MessageHeader/Timestamp", "timestamp_format"),
    },
}


@pytest.mark.parametrize("name", sorted(IMPERFECT))
def test_imperfect_packages_are_accepted_with_a_warning_naming_the_field(name, limits):
    with edxml_parse(fixture_path(f"imperfect/{name}.edxml"), limits=limits) as parsed:
        assert _issues(parsed.warnings) == IMPERFECT[name]
        assert all(issue.message for issue in parsed.warnings)


@pytest.mark.parametrize("name", sorted(IMPERFECT))
def test_imperfect_packages_are_refused_when_strict_with_the_same_fields(name, limits, temp_dir):
    refused = _refusal(f"imperfect/{name}.edxml", limits=limits, strict=True)
    assert _issues(refused.errors) == IMPERFECT[name]
    assert list(temp_dir.iterdir()) == []


def test_lenient_readings_give_the_standard_values(limits):
    with package_parse(fixture_path("imperfect/dash_dates.edxml"), limits=limits) as parsed:
        assert parsed.header.promulgation_info.promulgation_date == dt.date(2024, 3, 15)
        assert parsed.trace.trace_headers[0].timestamp == dt.datetime(2024, 3, 15, 1, 30, tzinfo=dt.UTC)
    with package_parse(fixture_path("imperfect/lowercase_code.edxml"), limits=limits) as parsed:
        assert parsed.header.to_organs[0].organ_id == GOVERNMENT_OFFICE
    with package_parse(fixture_path("imperfect/whitespace.edxml"), limits=limits) as parsed:
        assert parsed.header.from_organ.organ_id == QUANG_NINH
        assert parsed.header.subject.startswith("V/v") and parsed.header.subject.endswith("2024")
    with package_parse(fixture_path("imperfect/document_id_missing.edxml"), limits=limits) as parsed:
        assert parsed.header.document_id == "000.00.00.H49,2024/03/15,125/UBND-VX"
    with package_parse(fixture_path("imperfect/subject_over_limit.edxml"), limits=limits) as parsed:
        assert len(parsed.header.subject) == 600  # kept whole, never cut
    with package_parse(fixture_path("imperfect/unsafe_name.edxml"), limits=limits) as parsed:
        assert parsed.attachments[0].name == "bao-cao-quy-1.pdf"
    with package_parse(fixture_path("imperfect/no_namespace.edxml"), limits=limits) as parsed:
        assert parsed.header.code.code_notation == "UBND-VX" and parsed.attachments[0].size > 0
    with package_parse(fixture_path("imperfect/base64_padding.edxml"), limits=limits) as parsed:
        expected = package_parse(fixture_path("valid/minimal.edxml"), limits=limits).attachments[0].sha256
        assert parsed.attachments[0].sha256 == expected
    status = status_parse(fixture_path("imperfect/status_legacy_soap.edxml"), limits=limits).status
    assert status.status_code == StatusCode.ACCEPTED and status.from_organ.organ_id == QUANG_NINH
    assert status.timestamp == dt.datetime(2018, 9, 21, 9, 10, 30, tzinfo=VIETNAM)


# --- refused packages -------------------------------------------------------------------------------------------

REFUSED = {
    "missing_from_organ_id.edxml": {("MessageHeader/From/OrganId", "required")},
    "bad_date.edxml": {("MessageHeader/PromulgationInfo/PromulgationDate", "invalid_date")},
    "subject_far_too_long.edxml": {("MessageHeader/Subject", "too_long")},
    "bad_organisation_code.edxml": {("MessageHeader/To[1]/OrganId", "invalid_organisation_code")},
    "code_number_too_long.edxml": {("MessageHeader/Code/CodeNumber", "too_long")},
    "duplicate_subject.edxml": {("MessageHeader/Subject", "duplicate")},
    "missing_content.edxml": {("edXMLManifest/Reference[2]", "missing_content")},
    "invalid_base64.edxml": {("AttachmentEncoded/Attachment[1]/ContentTransferEncoded", "invalid_base64")},
    "bad_business_type.edxml": {("TraceHeaderList/Bussiness/BussinessDocType", "invalid_choice")},
    "doctype.edxml": {("", "dtd_forbidden")},
    "billion_laughs.edxml": {("", "dtd_forbidden")},
    "external_entity.edxml": {("", "dtd_forbidden")},
    "external_dtd.edxml": {("", "dtd_forbidden")},
    "undeclared_entity.edxml": {("", "malformed")},
    "not_edxml.xml": {("", "not_edxml")},
    "garbage.bin": {("", "malformed")},
    "empty.edxml": {("", "empty")},
    "truncated.edxml": {("", "malformed")},
    "attachment_100k.edxml": {("AttachmentEncoded/Attachment[1]/ContentTransferEncoded", "attachment_too_large")},
    "status_bad_code.edxml": {("MessageHeader/StatusCode", "invalid_status_code")},
    "status_02_without_reason.edxml": {("MessageHeader/Description", "reason_required")},
    "status_incomplete.edxml": {
        ("MessageHeader/ResponseFor/DocumentId", "required"),
        ("MessageHeader/Timestamp", "required"),
    },
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_packages_name_the_field_and_leave_nothing_behind(name, limits, temp_dir, caplog):
    with caplog.at_level(logging.WARNING, logger="motcua.exchange.edxml"):
        refused = _refusal(f"refused/{name}", limits=limits)
    assert _issues(refused.errors) == REFUSED[name]
    assert refused.code == "edxml_refused" and refused.http_status == 422
    assert refused.details["errors"][0]["path"] == refused.errors[0].path
    assert str(refused.errors[0]) in str(refused.message)
    assert list(temp_dir.iterdir()) == []  # no decoded attachment, no directory
    assert any("edXML package refused" in record.getMessage() for record in caplog.records)


def test_an_attachment_within_the_limit_is_accepted(temp_dir):
    roomy = ParseLimits(max_attachment_bytes=200 * 1024, temp_dir=str(temp_dir))
    with package_parse(fixture_path("refused/attachment_100k.edxml"), limits=roomy) as parsed:
        assert parsed.attachments[0].size == 100 * 1024
        assert parsed.attachments[0].read_bytes() == bytes((i * 7 + 3) % 256 for i in range(100 * 1024))
        assert parsed.attachments[0].path is not None and parsed.attachments[0].path.parent.parent == temp_dir
    assert list(temp_dir.iterdir()) == []  # removed when the block ends


def test_a_refused_package_says_what_a_status_02_needs_when_its_header_was_readable(limits):
    refused = _refusal("refused/attachment_100k.edxml", limits=limits)
    reference = refused.reference
    assert reference.is_complete
    assert (reference.document_id, reference.from_organ_id, reference.code) == (
        "000.00.00.H49,2024/03/15,125/UBND-VX",
        QUANG_NINH,
        "125/UBND-VX",
    )
    assert reference.promulgation_date == dt.date(2024, 3, 15)
    assert not _refusal("refused/garbage.bin", limits=limits).reference.is_complete
    assert not _refusal("refused/bad_date.edxml", limits=limits).reference.is_complete


def test_an_unknown_recipient_is_refused_when_the_caller_knows_the_directory(limits):
    def known(code: str) -> bool:
        return code == QUANG_NINH

    with pytest.raises(PackageRefused) as caught:
        package_parse(fixture_path("valid/full.edxml"), limits=limits, recipient_exists=known)
    assert _issues(caught.value.errors) == {("MessageHeader/To[2]/OrganId", "unknown_recipient")}
    answer = refusal_status(caught.value, from_organ=Organ(organ_id=QUANG_NINH), at=dt.datetime.now(dt.UTC))
    assert answer is not None and answer.status_code == StatusCode.REJECTED
    assert answer.response_for.document_id == "000.00.00.G22,2018/09/20,7816/VPCP-TTĐT"
    assert "MessageHeader/To[2]/OrganId" in answer.description
    with package_parse(fixture_path("valid/minimal.edxml"), limits=limits, recipient_exists=lambda code: True) as ok:
        assert ok.header.to_organs[0].organ_id == GOVERNMENT_OFFICE


# --- limits -----------------------------------------------------------------------------------------------------


def test_a_package_over_the_size_limit_is_refused_before_it_is_parsed(temp_dir):
    small = ParseLimits(max_package_bytes=1000, temp_dir=str(temp_dir))
    for source in (fixture_path("valid/minimal.edxml"), fixture_bytes("valid/minimal.edxml")):
        with pytest.raises(PackageRefused) as caught:
            package_parse(source, limits=small)
        assert _issues(caught.value.errors) == {("", "too_large")}
    with pytest.raises(PackageRefused) as caught:  # a stream with no size to look at first
        package_parse(_Unsized(fixture_bytes("valid/minimal.edxml")), limits=small)
    assert _issues(caught.value.errors) == {("", "too_large")}
    assert list(temp_dir.iterdir()) == []


class _Unsized(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self._data.read(size)


def test_too_many_attachments_are_refused(temp_dir):
    one = ParseLimits(max_attachments=1, temp_dir=str(temp_dir))
    with pytest.raises(PackageRefused) as caught:
        package_parse(fixture_path("valid/full.edxml"), limits=one)
    assert _issues(caught.value.errors) == {("AttachmentEncoded", "too_many_attachments")}
    assert list(temp_dir.iterdir()) == []


def _minimal_with(old: str, new: str) -> bytes:
    text = fixture_bytes("valid/minimal.edxml").decode()
    assert old in text
    return text.replace(old, new).encode()


def test_deep_nesting_many_elements_attributes_and_long_texts_are_refused(limits):
    deep = _minimal_with("<edXML:Subject>", "<edXML:Subject>" + "<a>" * 40 + "</a>" * 40)
    with pytest.raises(PackageRefused) as caught:
        package_parse(deep, limits=limits)
    assert {issue.code for issue in caught.value.errors} == {"too_deep"}

    many = _minimal_with("<edXML:SignerInfo>", "<x/>" * 25_000 + "<edXML:SignerInfo>")
    with pytest.raises(PackageRefused) as caught:
        package_parse(many, limits=limits)
    assert _issues(caught.value.errors) == {("", "too_many_elements")}

    attributes = " ".join(f'a{index}="x"' for index in range(40))
    crowded = _minimal_with("<edXML:Subject>", f"<edXML:Subject {attributes}>")
    with pytest.raises(PackageRefused) as caught:
        package_parse(crowded, limits=limits)
    assert _issues(caught.value.errors) == {("MessageHeader/Subject", "too_many_attributes")}

    long_text = _minimal_with("<edXML:Subject>", "<edXML:Subject>" + "x" * 70_000)
    with pytest.raises(PackageRefused) as caught:
        package_parse(long_text, limits=limits)
    assert _issues(caught.value.errors) == {("MessageHeader/Subject", "text_too_long")}


def test_a_doctype_in_utf16_is_refused_too(limits):
    text = fixture_bytes("refused/doctype.edxml").decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    with pytest.raises(PackageRefused) as caught:
        package_parse(text.encode("utf-16"), limits=limits)
    assert _issues(caught.value.errors) == {("", "dtd_forbidden")}


def test_a_package_can_be_checked_without_keeping_its_attachments(temp_dir, limits):
    parsed = edxml_parse(fixture_path("valid/full.edxml"), limits=limits, keep_attachments=False)
    assert [attachment.path for attachment in parsed.attachments] == [None, None]
    assert parsed.attachments[0].sha256 and list(temp_dir.iterdir()) == []
    with pytest.raises(FileNotFoundError):
        parsed.attachments[0].open()


def test_attachments_are_removed_when_the_parsed_package_is_closed_or_forgotten(temp_dir, limits):
    parsed = package_parse(fixture_path("valid/full.edxml"), limits=limits)
    directory = parsed.directory
    assert directory is not None and sorted(path.name for path in directory.iterdir()) == [
        "attachment-1.bin",
        "attachment-2.bin",
    ]
    parsed.close()
    assert not directory.exists()
    parsed.close()  # twice is harmless

    forgotten = package_parse(fixture_path("valid/full.edxml"), limits=limits)
    directory = forgotten.directory
    del forgotten
    import gc

    gc.collect()
    assert directory is not None and not Path(directory).exists()


def test_the_json_form_names_every_field(limits):
    with package_parse(fixture_path("valid/full.edxml"), limits=limits) as parsed:
        data = parsed.as_dict()
    assert data["kind"] == "package" and data["header"]["from_organ"]["organ_id"] == GOVERNMENT_OFFICE
    assert data["header"]["promulgation_info"]["promulgation_date"] == "2018-09-20"
    assert data["header"]["other_info"]["priority"] == 2
    assert data["trace"]["trace_headers"][0]["timestamp"] == "2018-09-20T14:30:05+07:00"
    assert data["attachments"][1]["name"] == "Phụ lục I.txt" and len(data["attachments"][1]["sha256"]) == 64
    status = status_parse(fixture_path("valid/status_16.edxml"), limits=limits).as_dict()
    assert status["status"]["status_code"] == "16" and status["kind"] == "status"


def test_attachments_both_inside_and_after_the_envelope_are_refused(limits, temp_dir):
    """Two sets of attachments: one reader would take these, another those."""
    inside = (
        "<edXML:AttachmentEncoded><edXML:Attachment><edXML:ContentId>bao-cao-quy-1</edXML:ContentId>"
        "<edXML:ContentTransferEncoded>RXZpbA==</edXML:ContentTransferEncoded></edXML:Attachment>"
        "</edXML:AttachmentEncoded>\n  </edXML:edXMLEnvelope>"
    )
    data = _minimal_with("</edXML:edXMLEnvelope>", inside)
    with pytest.raises(PackageRefused) as caught:
        package_parse(data, limits=limits)
    assert _issues(caught.value.errors) == {("AttachmentEncoded", "duplicate")}
    assert list(temp_dir.iterdir()) == []
