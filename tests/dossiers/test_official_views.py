"""The officials' pages: queues, the processing page and its actions, counter intake, forms as PDF, log book.

Each action goes through the view to its service; errors come back on the form and change nothing; a
stale page (someone else acted) changes nothing and says so; every page refuses the wrong people.
"""

from __future__ import annotations

import io
import re
import unicodedata

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from motcua.agencies.models import Organisation, Role
from motcua.dossiers import services
from motcua.dossiers.models import (
    DelayNotice,
    Dossier,
    DossierFile,
    DossierStatus,
    OpinionRequest,
    SupplementRequest,
)
from motcua.procedures.models import Procedure
from tests.dossiers.conftest import Counts, at_step, received, state_of, submit
from tests.dossiers.factories import (
    MONDAY,
    NA_CENTRE,
    PDF_BYTES,
    QN_CENTRE,
    QN_CONSTRUCTION,
    QN_JUSTICE,
    at,
    judicial_record_content,
    official_in,
    version_create,
)
from tests.support.sessions import sign_in_with_second_factor

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", " ".join(page.extract_text() for page in reader.pages)))


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def signed_in():
    def sign_in(user) -> Client:
        client = sign_in_with_second_factor(Client(), user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the pages are in Vietnamese unless chosen
        return client

    return sign_in


@pytest.fixture
def officials(clerk, specialist, unit_head, leader):
    return {"tiep_nhan": clerk, "tham_dinh": specialist, "kiem_tra": unit_head, "phe_duyet": leader}


def process_url(dossier) -> str:
    return reverse("dossiers:process", kwargs={"code": dossier.code})


def act(client: Client, dossier, action: str, *, stale: str | None = None, **fields):
    """Post an action form as the page draws it: prefixed fields, the state and step the official saw."""
    dossier.refresh_from_db()
    data = {
        f"{action}-seen_state": stale if stale is not None else f"{dossier.status}:{dossier.current_step_code}",
        f"{action}-expected_step": dossier.current_step_code,
    }
    data.update({f"{action}-{name}": value for name, value in fields.items()})
    url = reverse("dossiers:official_action", kwargs={"code": dossier.code, "action": action})
    return client.post(url, data)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []


# ----------------------------------------------------------------------------- queues


def test_queue_shows_the_officials_dossiers_overdue_first_and_nobody_elses(
    citizen, version, clerk, foreign_clerk, signed_in
):
    late = received(citizen, version, clerk, at=MONDAY)  # 10 working days from March: overdue now
    fresh = submit(citizen, version)  # submitted online now, not yet received
    services.dossier_accept(actor=clerk, dossier=fresh)
    client = signed_in(clerk)

    response = client.get(reverse("dossiers:queue"), {"view": "open"})
    assert response.status_code == 200
    codes = [row["dossier"].code for row in response.context["rows"]]
    assert codes == [late.code, fresh.code]
    html = response.content.decode()
    assert "Overdue by" in html and "row--overdue" in html
    assert html.index(late.code) < html.index(fresh.code)

    overdue = client.get(reverse("dossiers:queue"), {"view": "overdue"})
    assert [row["dossier"].code for row in overdue.context["rows"]] == [late.code]
    assert {tab: count for tab, _label, count in overdue.context["tabs"]}["overdue"] == 1

    other = signed_in(foreign_clerk).get(reverse("dossiers:queue"), {"view": "all"})
    assert other.status_code == 200 and other.context["rows"] == []
    assert late.code not in other.content.decode()


def test_open_lists_the_dossiers_in_hand_and_all_adds_the_closed_ones_newest_first(
    citizen, version, officials, signed_in
):
    clerk = officials["tiep_nhan"]
    stopped = at_step(received(citizen, version, clerk, at=at(2)), officials, "tham_dinh", at=at(2))
    services.dossier_stop(actor=officials["phe_duyet"], dossier=stopped, reason="Người nộp đề nghị dừng", at=at(2, 10))
    running = received(citizen, version, clerk, at=at(3))
    fresh = submit(citizen, version, at=at(4))
    client = signed_in(clerk)

    in_hand = client.get(reverse("dossiers:queue"), {"view": "open"})
    assert {row["dossier"].code for row in in_hand.context["rows"]} == {running.code, fresh.code}
    assert {tab: count for tab, _label, count in in_hand.context["tabs"]}["open"] == 2
    register = client.get(reverse("dossiers:queue"), {"view": "all"})
    assert [row["dossier"].code for row in register.context["rows"]] == [fresh.code, running.code, stopped.code]
    found = client.get(reverse("dossiers:queue"), {"view": "all", "q": stopped.code})
    assert [row["dossier"].code for row in found.context["rows"]] == [stopped.code]


def test_queue_search_without_diacritics_filters_and_htmx_partial(citizen, version, clerk, signed_in):
    dossier = received(citizen, version, clerk)
    client = signed_in(clerk)
    found = client.get(reverse("dossiers:queue"), {"view": "all", "q": "nguyen thi hoa"})
    assert [row["dossier"].code for row in found.context["rows"]] == [dossier.code]
    assert client.get(reverse("dossiers:queue"), {"view": "all", "q": "tran van"}).context["rows"] == []
    by_code = client.get(reverse("dossiers:queue"), {"view": "all", "q": dossier.code})
    assert len(by_code.context["rows"]) == 1

    other_procedure = version_create(judicial_record_content(code="9.000001", name="Thủ tục khác"))
    filtered = client.get(reverse("dossiers:queue"), {"view": "all", "procedure": other_procedure.procedure.code})
    assert filtered.context["rows"] == []
    by_organisation = client.get(reverse("dossiers:queue"), {"view": "all", "organisation": QN_CENTRE})
    assert len(by_organisation.context["rows"]) == 1

    partial = client.get(
        reverse("dossiers:queue"),
        {"view": "all", "q": "hoa"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="queue-results",
    )
    body = partial.content.decode()
    assert 'id="queue-results"' in body and "<html" not in body and dossier.code in body


def test_claim_from_the_queue(citizen, version, officials, signed_in):
    dossier = at_step(received(citizen, version, officials["tiep_nhan"]), officials, "tham_dinh")
    client = signed_in(officials["tham_dinh"])
    mine = client.get(reverse("dossiers:queue"), {"view": "my_step"})
    assert [row["dossier"].code for row in mine.context["rows"]] == [dossier.code]
    assert mine.context["rows"][0]["may_claim"]
    response = client.post(
        reverse("dossiers:official_claim", kwargs={"code": dossier.code}), {"expected_step": "tham_dinh"}, follow=True
    )
    assert response.status_code == 200
    dossier.refresh_from_db()
    assert dossier.assigned_to == officials["tham_dinh"]


# ----------------------------------------------------------------------------- processing page


def test_processing_page_shows_the_dossier_and_only_the_open_actions(citizen, version, clerk, specialist, signed_in):
    dossier = submit(citizen, version)
    clerk_client = signed_in(clerk)
    page = clerk_client.get(process_url(dossier))
    assert page.status_code == 200
    actions = [item["action"] for item in page.context["action_forms"]]
    assert actions == ["accept", "refuse_receipt"]
    html = page.content.decode()
    assert "Nguyễn Thị Hoa" in html and "TrangThaiHoSo 1" in html and "Cấp Phiếu lý lịch tư pháp" in html
    assert "to-khai.pdf" in html

    # The specialist of the processing organisation sees the dossier but can do nothing with it yet.
    specialist_page = signed_in(specialist).get(process_url(dossier))
    assert specialist_page.status_code == 200 and specialist_page.context["action_forms"] == []

    act(clerk_client, dossier, "accept")
    dossier.refresh_from_db()
    after = clerk_client.get(process_url(dossier))
    actions = [item["action"] for item in after.context["action_forms"]]
    assert "forward" in actions and "request_supplement" in actions and "accept" not in actions
    assert "approve" not in actions and "return_to_step" not in actions


def test_a_file_of_the_dossier_downloads_for_officials_who_may_see_it(
    citizen, version, clerk, foreign_clerk, signed_in
):
    dossier = received(citizen, version, clerk)
    item = DossierFile.objects.filter(dossier=dossier).first()
    url = reverse("dossiers:official_file", kwargs={"code": dossier.code, "file_id": item.pk})
    response = signed_in(clerk).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF_BYTES
    assert signed_in(foreign_clerk).get(url).status_code == 404


def test_the_whole_processing_through_the_action_views(
    citizen, version, officials, signed_in, django_capture_on_commit_callbacks
):
    clerk, specialist, unit_head, leader = (
        officials[key] for key in ("tiep_nhan", "tham_dinh", "kiem_tra", "phe_duyet")
    )
    dossier = submit(citizen, version)
    clerk_client, specialist_client = signed_in(clerk), signed_in(specialist)
    unit_client, leader_client = signed_in(unit_head), signed_in(leader)

    response = act(clerk_client, dossier, "accept")
    assert response.status_code == 303 and response["Location"] == process_url(dossier)
    assert act(clerk_client, dossier, "forward").status_code == 303
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.PROCESSING and dossier.current_step_code == "tham_dinh"

    # A supplement request without items: the service's message, on the form, nothing changed.
    counts, before = Counts(), state_of(dossier)
    refused = act(specialist_client, dossier, "request_supplement", items="", reason="Thiếu giấy tờ")
    assert refused.status_code == 422
    assert "This field is required." in refused.content.decode()
    counts.assert_unchanged()
    assert state_of(dossier) == before

    response = act(
        specialist_client,
        dossier,
        "request_supplement",
        items="Bản sao Căn cước công dân còn hạn\nTờ khai có chữ ký",
        reason="Căn cước đã hết hạn",
    )
    assert response.status_code == 303
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.SUPPLEMENT_REQUESTED and dossier.deadline_paused_at is not None
    request_row = SupplementRequest.objects.get(dossier=dossier)
    form_02 = clerk_client.get(
        reverse(
            "dossiers:official_document_item",
            kwargs={"code": dossier.code, "kind": "supplement-request", "item": request_row.pk},
        )
    )
    assert form_02["Content-Type"] == "application/pdf"
    text = text_of(form_02.content)
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text and "Bản sao Căn cước công dân còn hạn" in text
    assert "Căn cước đã hết hạn" in text

    # The applicant brings the papers to the counter: the clerk records the supplement with a scan.
    supply = clerk_client.post(
        reverse("dossiers:official_action", kwargs={"code": dossier.code, "action": "supply"}),
        {
            "supply-seen_state": "supplement_requested:tham_dinh",
            "supply-note": "Nộp bản sao căn cước mới",
            "supply-file_cccd": SimpleUploadedFile("cccd-moi.pdf", PDF_BYTES, content_type="application/pdf"),
        },
    )
    assert supply.status_code == 303
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.PROCESSING
    assert DossierFile.objects.filter(dossier=dossier, name="cccd-moi.pdf", is_digitised=True).exists()

    # Opinion of another agency, answered by that agency.
    builder = official_in(QN_CONSTRUCTION, Role.SPECIALIST)
    assert (
        act(specialist_client, dossier, "request_opinion", organisation=QN_CONSTRUCTION, question="Có vướng mắc?")
    ).status_code == 303
    opinion = OpinionRequest.objects.get(dossier=dossier)
    builder_client = signed_in(builder)
    page = builder_client.get(process_url(dossier))
    assert [item["action"] for item in page.context["action_forms"]] == ["answer_opinion"]
    assert act(builder_client, dossier, "answer_opinion", opinion_request=opinion.pk, answer="Không").status_code == 303
    opinion.refresh_from_db()
    assert opinion.answer == "Không"

    # Financial obligation: requested by the step, recorded by the clerk (wrong amount first).
    assert act(specialist_client, dossier, "request_payment", amount=150000).status_code == 303
    wrong = act(clerk_client, dossier, "record_payment", amount=100, reference="BL-1")
    assert wrong.status_code == 422 and "150.000" in wrong.content.decode()
    assert act(clerk_client, dossier, "record_payment", amount=150000, reference="BL-1").status_code == 303

    assert act(specialist_client, dossier, "forward").status_code == 303
    # The unit head sends it back; the specialist forwards again.
    assert act(unit_client, dossier, "return_to_step", step_code="tham_dinh", reason="Xác minh lại").status_code == 303
    dossier.refresh_from_db()
    assert dossier.current_step_code == "tham_dinh"
    assert act(specialist_client, dossier, "forward").status_code == 303
    assert act(unit_client, dossier, "forward").status_code == 303

    with django_capture_on_commit_callbacks(execute=True):
        assert act(leader_client, dossier, "approve", note="Đồng ý").status_code == 303
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.FINISHED
    result = DossierFile.objects.get(dossier=dossier, purpose=DossierFile.Purpose.RESULT)
    assert "Nguyễn Thị Hoa" in text_of(result.file.open("rb").read())

    assert act(clerk_client, dossier, "return_result", method="online").status_code == 303
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.RETURNED and dossier.result_method == "online"

    # The control slip shows every step the dossier went through.
    slip = clerk_client.get(
        reverse("dossiers:official_document", kwargs={"code": dossier.code, "kind": "control-slip"})
    )
    text = text_of(slip.content)
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text
    for step in ("Tiếp nhận hồ sơ", "Thẩm định hồ sơ", "Trưởng phòng kiểm tra", "Lãnh đạo Sở phê duyệt"):
        assert step in text
    assert "Trả lại bước trước" in text and "Phê duyệt" in text


def test_a_stale_page_changes_nothing_and_says_so(citizen, version, officials, signed_in):
    dossier = at_step(received(citizen, version, officials["tiep_nhan"]), officials, "tham_dinh")
    client = signed_in(officials["tham_dinh"])
    counts, before = Counts(), state_of(dossier)
    # The page was drawn when the dossier was at the first step (someone forwarded it since).
    url = reverse("dossiers:official_action", kwargs={"code": dossier.code, "action": "forward"})
    response = client.post(url, {"forward-expected_step": "tiep_nhan"}, follow=True)
    assert response.redirect_chain[-1][0] == process_url(dossier)
    assert any("Someone else acted on this dossier, the page was reloaded" in m for m in messages_of(response))
    counts.assert_unchanged()
    assert state_of(dossier) == before

    # Same for an action outside the steps: the state the page showed is no longer the dossier's.
    response = act(client, dossier, "stop", stale="accepted:tiep_nhan", reason="x")
    assert response.status_code == 303
    counts.assert_unchanged()
    assert state_of(dossier) == before


def test_service_errors_on_the_forms_change_nothing(citizen, version, officials, signed_in):
    dossier = at_step(received(citizen, version, officials["tiep_nhan"], at=MONDAY), officials, "tham_dinh")
    client = signed_in(officials["tham_dinh"])
    counts, before = Counts(), state_of(dossier)
    # The appointment of March is long past: a delay can no longer be announced (the service says why).
    late = act(client, dossier, "announce_delay", new_date="2026-12-31", reason="Chờ xác minh")
    assert late.status_code == 409
    assert "The appointment has already passed" in late.content.decode()
    refuse = act(client, dossier, "refuse", reasons="")
    assert refuse.status_code == 422 and "error-summary" in refuse.content.decode()
    back = act(client, dossier, "return_to_step", step_code="phe_duyet", reason="x")
    assert back.status_code == 422
    # An action this official may not take (accept is the clerk's, and the dossier is past it).
    assert act(client, dossier, "accept").status_code in (303, 409)
    counts.assert_unchanged()
    assert state_of(dossier) == before


def test_announced_delay_and_its_form_04(citizen, version, officials, signed_in):
    dossier = received(citizen, version, officials["tiep_nhan"], at=timezone.now())
    client = signed_in(officials["tiep_nhan"])
    dossier.refresh_from_db()
    new_date = (dossier.due_at + (dossier.due_at - dossier.received_at)).date().isoformat()
    response = act(client, dossier, "announce_delay", new_date=new_date, reason="Cần xác minh tại địa phương khác")
    assert response.status_code == 303
    notice = DelayNotice.objects.get(dossier=dossier)
    pdf = client.get(
        reverse(
            "dossiers:official_document_item", kwargs={"code": dossier.code, "kind": "delay-notice", "item": notice.pk}
        )
    )
    text = text_of(pdf.content)
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in text and "Cần xác minh tại địa phương khác" in text


def test_refusal_at_receipt_prints_form_03(citizen, version, clerk, signed_in):
    dossier = submit(citizen, version)
    client = signed_in(clerk)
    response = act(client, dossier, "refuse_receipt", reasons="Hồ sơ không thuộc thẩm quyền\nThiếu tờ khai")
    assert response.status_code == 303
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.REFUSED
    page = client.get(process_url(dossier))
    assert page.context["action_forms"] == []
    assert "Form 03" in page.content.decode()
    pdf = client.get(reverse("dossiers:official_document", kwargs={"code": dossier.code, "kind": "refusal"}))
    text = text_of(pdf.content)
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in text
    assert "Hồ sơ không thuộc thẩm quyền" in text and "Thiếu tờ khai" in text and "Nguyễn Thị Hoa" in text


def test_stop_processing(citizen, version, officials, signed_in):
    dossier = at_step(received(citizen, version, officials["tiep_nhan"]), officials, "tham_dinh")
    response = act(signed_in(officials["phe_duyet"]), dossier, "stop", reason="Người nộp đề nghị dừng")
    assert response.status_code == 303
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.STOPPED


# ----------------------------------------------------------------------------- counter intake


def counter_post(client: Client, procedure_code: str, organisation: str = QN_CENTRE, **overrides):
    data = {
        "organisation": organisation,
        "procedure": procedure_code,
        "applicant_kind": "citizen",
        "applicant_full_name": "Trần Văn Bình",
        "applicant_identifier": "022090001234",
        "applicant_phone": "0912345678",
        "applicant_address": "Hạ Long, Quảng Ninh",
        "channel": "1",
        "form_full_name": "Trần Văn Bình",
        "form_personal_id": "022090001234",
        "form_purpose": "work",
        "file_to_khai": SimpleUploadedFile("to-khai.pdf", PDF_BYTES, content_type="application/pdf"),
        "paper_cccd": "on",
    }
    data.update(overrides)
    return client.post(reverse("dossiers:counter"), data)


def justice_only_version():
    """A Sở Tư pháp procedure that names only the Sở as receiving place."""
    version = version_create(judicial_record_content(receiving_organisation_codes=[QN_JUSTICE]))
    justice = Organisation.objects.get(code=QN_JUSTICE)
    Procedure.objects.filter(pk=version.procedure_id).update(implementing_organisation=justice)
    version.procedure.receiving_organisations.set([justice])
    return version


def test_counter_intake_with_deterritorialised_receipt_and_the_receipt_pdf(directory, clerk, signed_in):
    # The provincial service centre receives the Sở's procedure anyway and routes it to the Sở.
    version = justice_only_version()
    client = signed_in(clerk)
    page = client.get(reverse("dossiers:counter"))
    assert version.procedure.code in page.content.decode()
    form = client.get(reverse("dossiers:counter"), {"procedure": version.procedure.code})
    assert "Họ và tên" in form.content.decode() and "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp" in form.content.decode()

    response = counter_post(client, version.procedure.code)
    assert response.status_code == 303, response.content.decode()[:2000]
    dossier = Dossier.objects.get()
    assert response["Location"] == process_url(dossier)
    assert dossier.receiving_organisation.code == QN_CENTRE and dossier.processing_organisation.code == QN_JUSTICE
    assert dossier.status == DossierStatus.ACCEPTED and dossier.channel == 1
    assert dossier.form_data["full_name"] == "Trần Văn Bình"
    page = client.get(process_url(dossier))
    assert "Print the receipt (Form 01)" in page.content.decode()

    receipt = client.get(reverse("dossiers:official_document", kwargs={"code": dossier.code, "kind": "receipt"}))
    assert receipt["Content-Type"] == "application/pdf"
    text = text_of(receipt.content)
    assert "PHIẾU TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert compact(dossier.code) in compact(text)
    assert "Trần Văn Bình" in text and "Hình thức nộp hồ sơ: Trực tiếp" in text
    secret = client.session["dossiers:receipt-secrets"][dossier.code]
    assert secret and compact(secret) in compact(text)


def test_counter_refuses_a_clerk_of_another_province_and_invalid_input(
    directory, clerk, foreign_clerk, citizen, signed_in
):
    version = justice_only_version()
    foreign = signed_in(foreign_clerk)
    assert version.procedure.code not in foreign.get(reverse("dossiers:counter")).content.decode()
    response = counter_post(foreign, version.procedure.code, organisation=NA_CENTRE)
    assert response.status_code == 422
    assert Dossier.objects.count() == 0

    client = signed_in(clerk)
    bad_id = counter_post(client, version.procedure.code, applicant_identifier="12345")
    assert bad_id.status_code == 422 and "error-summary" in bad_id.content.decode()
    fake_pdf = counter_post(
        client,
        version.procedure.code,
        file_to_khai=SimpleUploadedFile("to-khai.pdf", b"not really a pdf", content_type="application/pdf"),
    )
    assert fake_pdf.status_code == 422 and "Only PDF, JPEG and PNG files are accepted." in fake_pdf.content.decode()
    missing = counter_post(client, version.procedure.code, paper_cccd="")
    assert missing.status_code == 422 and "is required" in missing.content.decode()
    assert Dossier.objects.count() == 0
    # A citizen has no counter.
    assert signed_in(citizen).get(reverse("dossiers:counter")).status_code == 403


# ----------------------------------------------------------------------------- log book


def test_log_book_lists_the_agencys_dossiers_of_the_period_only(
    citizen, version, clerk, foreign_clerk, signed_in, directory
):
    in_period = received(citizen, version, clerk, at=MONDAY)
    later = received(citizen, version, clerk, at=timezone.now())  # received today, outside March
    client = signed_in(clerk)
    params = {"organisation": QN_CENTRE, "start": "2026-03-01", "end": "2026-03-31"}
    page = client.get(reverse("dossiers:log_book"), params)
    assert page.status_code == 200
    assert [dossier.code for dossier in page.context["entries"]] == [in_period.code]
    pdf = client.get(reverse("dossiers:log_book"), {**params, "format": "pdf"})
    text = text_of(pdf.content)
    assert "SỔ THEO DÕI HỒ SƠ" in text and "Từ ngày 01/03/2026 đến ngày 31/03/2026" in text
    assert compact(in_period.code) in compact(text) and compact(later.code) not in compact(text)
    # Another province's clerk can only choose their own organisation.
    other = signed_in(foreign_clerk).get(reverse("dossiers:log_book"), params)
    assert other.status_code == 422 and other.context["entries"] == []
    assert signed_in(citizen).get(reverse("dossiers:log_book")).status_code == 403


# ----------------------------------------------------------------------------- authorisation matrix


def official_urls(dossier, file_id) -> list[tuple[str, str]]:
    code = dossier.code
    return [
        ("get", reverse("dossiers:process", kwargs={"code": code})),
        ("get", reverse("dossiers:official_file", kwargs={"code": code, "file_id": file_id})),
        ("get", reverse("dossiers:official_document", kwargs={"code": code, "kind": "receipt"})),
        ("get", reverse("dossiers:official_document", kwargs={"code": code, "kind": "control-slip"})),
        ("post", reverse("dossiers:official_claim", kwargs={"code": code})),
        *[
            ("post", reverse("dossiers:official_action", kwargs={"code": code, "action": action}))
            for action in ("accept", "forward", "request_supplement", "stop", "approve", "return_result", "supply")
        ],
    ]


def test_authorisation_matrix_for_every_official_view(citizen, version, clerk, foreign_clerk, signed_in):
    dossier = received(citizen, version, clerk)
    file_id = DossierFile.objects.filter(dossier=dossier).first().pk
    counts, before = Counts(), state_of(dossier)
    anonymous = Client()
    applicant = signed_in(citizen)
    outsider = signed_in(foreign_clerk)
    for method, url in official_urls(dossier, file_id):
        response = getattr(anonymous, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
        assert getattr(applicant, method)(url).status_code == 404, url
        assert getattr(outsider, method)(url, {"stop-reason": "x", "forward-note": "x"}).status_code == 404, url
    for url in (reverse("dossiers:queue"), reverse("dossiers:counter"), reverse("dossiers:log_book")):
        response = anonymous.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert applicant.get(url).status_code == 403
    assert anonymous.post(reverse("dossiers:counter")).status_code == 302
    assert applicant.post(reverse("dossiers:counter")).status_code == 403
    counts.assert_unchanged()
    assert state_of(dossier) == before


def test_an_official_without_second_factor_is_sent_to_verify(version, clerk, citizen):
    dossier = received(citizen, version, clerk)
    client = Client()
    client.force_login(clerk)
    response = client.get(process_url(dossier))
    assert response.status_code == 302 and "/accounts/second-factor/" in response["Location"]


def test_workspace_links_the_queues(clerk, signed_in):
    page = signed_in(clerk).get(reverse("web:workspace"))
    html = page.content.decode()
    assert reverse("dossiers:queue") in html and reverse("dossiers:counter") in html
    assert reverse("dossiers:log_book") in html
