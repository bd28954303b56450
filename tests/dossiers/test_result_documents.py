"""The result document produced from the procedure's template when the leader approves."""

from __future__ import annotations

import io
import re
import unicodedata

import pytest
from pypdf import PdfReader

from motcua.core.permissions import SYSTEM
from motcua.dossiers import services
from motcua.dossiers.models import DossierEvent, DossierFile
from motcua.dossiers.services.result_documents import (
    BLANK,
    dossier_result_document_issue,
    result_document_number,
    result_template_placeholders_unknown,
    result_text_fill,
)
from tests.dossiers.conftest import at_step, received
from tests.dossiers.factories import MONDAY, at, judicial_record_content, version_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", " ".join(page.extract_text() for page in reader.pages)))


@pytest.fixture
def officials(clerk, specialist, unit_head, leader):
    return {"tiep_nhan": clerk, "tham_dinh": specialist, "kiem_tra": unit_head, "phe_duyet": leader}


def approve(dossier, officials, capture):
    dossier = at_step(dossier, officials, "phe_duyet")
    with capture(execute=True):
        return services.dossier_approve(actor=officials["phe_duyet"], dossier=dossier, at=at(3, 15))


def test_fill_is_strict_plain_text():
    text, unknown = result_text_fill(
        template="Cấp cho {{ full_name }} <b>{{full_name}}</b> – {{ missing }}, {{ number }}",
        values={"full_name": "Nguyễn & Con", "number": "12/STP"},
    )
    assert text == f"Cấp cho Nguyễn & Con <b>Nguyễn & Con</b> – {BLANK}, 12/STP"
    assert unknown == ["missing"]


def test_unknown_placeholders_are_listed_for_publishing():
    assert result_template_placeholders_unknown(
        template="{{ full_name }} {{ code }} {{ child_name }} {{ child_name }}", form_field_names=["full_name"]
    ) == ["child_name"]
    assert result_template_placeholders_unknown(template="", form_field_names=[]) == []


def test_the_result_document_is_issued_on_approval_with_the_placeholders_filled(
    citizen, version, officials, django_capture_on_commit_callbacks
):
    dossier = received(citizen, version, officials["tiep_nhan"], at=MONDAY)
    dossier = approve(dossier, officials, django_capture_on_commit_callbacks)
    result = DossierFile.objects.get(dossier=dossier, purpose=DossierFile.Purpose.RESULT)
    assert result.name == f"ket-qua-{dossier.code}.pdf" and result.content_type == "application/pdf"
    number = result_document_number(dossier)
    assert number == f"{dossier.code}/STP"
    text = text_of(result.file.open("rb").read())
    # The template "Phiếu lý lịch tư pháp số {{ number }} cấp cho {{ full_name }}", filled.
    assert "Phiếu lý lịch tư pháp số" in text and "cấp cho Nguyễn Thị Hoa" in text
    assert re.sub(r"\s+", "", number) in re.sub(r"\s+", "", text)
    assert "SỞ TƯ PHÁP TỈNH QUẢNG NINH" in re.sub(r"\s+", " ", text).upper()
    assert "PHIẾU LÝ LỊCH TƯ PHÁP" in text
    assert "Quảng Ninh, ngày 03 tháng 3 năm 2026" in text
    assert DossierEvent.objects.filter(dossier=dossier, action="attach_result_file").count() == 1
    # Issuing again does nothing: one result document per dossier.
    assert dossier_result_document_issue(dossier=dossier, actor=SYSTEM) is None
    assert DossierFile.objects.filter(dossier=dossier, purpose=DossierFile.Purpose.RESULT).count() == 1


def test_an_unknown_placeholder_leaves_a_blank_and_never_fails_the_approval(
    directory, citizen, officials, django_capture_on_commit_callbacks
):
    version = version_create(
        judicial_record_content(code="9.000002", result_template="Cấp cho {{ full_name }}, con của {{ parent_name }}.")
    )
    dossier = received(citizen, version, officials["tiep_nhan"], at=MONDAY)
    dossier = approve(dossier, officials, django_capture_on_commit_callbacks)
    result = DossierFile.objects.get(dossier=dossier, purpose=DossierFile.Purpose.RESULT)
    text = text_of(result.file.open("rb").read())
    assert "Cấp cho Nguyễn Thị Hoa, con của ……" in text


def test_without_a_template_a_plain_statement_is_issued(
    directory, citizen, officials, django_capture_on_commit_callbacks
):
    version = version_create(judicial_record_content(code="9.000003", result_template="", result_name=""))
    dossier = received(citizen, version, officials["tiep_nhan"], at=MONDAY)
    dossier = approve(dossier, officials, django_capture_on_commit_callbacks)
    text = text_of(DossierFile.objects.get(dossier=dossier, purpose="result").file.open("rb").read())
    assert "KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH" in text and "Nguyễn Thị Hoa" in text


def test_nothing_is_issued_before_approval(citizen, version, officials):
    dossier = received(citizen, version, officials["tiep_nhan"], at=MONDAY)
    assert dossier_result_document_issue(dossier=dossier) is None
    assert not DossierFile.objects.filter(dossier=dossier, purpose="result").exists()
