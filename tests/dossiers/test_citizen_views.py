"""The applicant's pages: apply online step by step, my dossiers, receipt, supplement, withdrawal, tracking."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from motcua.dossiers import services
from motcua.dossiers.models import Dossier, DossierDraft, DossierFile, DossierStatus, DraftStep
from motcua.dossiers.services.drafts import draft_start
from motcua.dossiers.services.files import file_store
from tests.dossiers.conftest import at_step, fees_paid_at_counter, received, submit
from tests.dossiers.factories import PDF_BYTES, PNG_BYTES, valid_form

pytestmark = pytest.mark.django_db


def client_for(user=None):
    client = Client()
    client.cookies["django_language"] = "en"
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def browser(citizen):
    return client_for(citizen)


@pytest.fixture
def no_second_factor(settings):
    """Officials' second factor is tested in accounts; here an official's session counts as verified."""
    settings.OFFICIALS_REQUIRE_2FA = False


def pdf_file(name="to-khai.pdf", content=PDF_BYTES, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def form_post(**overrides):
    data = {"full_name": "Nguyễn Thị Hoa", "personal_id": "022190000123", "purpose": "work", "email": "hoa@example.vn"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def started(browser, version):
    response = browser.post(reverse("dossiers:apply", args=[version.procedure.code]))
    assert response.status_code == 302
    return DossierDraft.objects.get()


def at_review(browser, version):
    draft = started(browser, version)
    browser.post(reverse("dossiers:draft_form", args=[draft.pk]), form_post())
    browser.post(
        reverse("dossiers:draft_documents", args=[draft.pk]),
        {"file_to_khai": pdf_file(), "file_cccd": pdf_file("cccd.png", PNG_BYTES, "image/png")},
    )
    browser.post(reverse("dossiers:draft_fees", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.current_step == DraftStep.REVIEW
    return draft


def submitted_dossier(browser, version):
    draft = at_review(browser, version)
    response = browser.post(reverse("dossiers:draft_submit", args=[draft.pk]))
    dossier = Dossier.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("dossiers:submitted", args=[dossier.code])
    page = browser.get(response["Location"]).content.decode()
    secret = re.search(r"data-secret>([A-Z0-9]+)<", page).group(1)
    return dossier, secret


# ---------------------------------------------------------------------------------------------------------
# Who may apply
# ---------------------------------------------------------------------------------------------------------


def test_the_guide_asks_to_sign_in_first(version):
    response = client_for().get(reverse("dossiers:apply", args=[version.procedure.code]))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_an_official_is_refused_the_apply_pages_with_a_message(clerk, version, citizen, no_second_factor):
    browser = client_for(clerk)
    guide = browser.get(reverse("dossiers:apply", args=[version.procedure.code]))
    assert guide.status_code == 403
    assert "This account cannot apply online" in guide.content.decode()
    assert browser.post(reverse("dossiers:apply", args=[version.procedure.code])).status_code == 403
    draft = draft_start(actor=citizen, procedure_version=version)
    assert browser.get(reverse("dossiers:draft_form", args=[draft.pk])).status_code == 403
    assert DossierDraft.objects.count() == 1


def test_the_guide_tells_what_to_bring_the_fees_and_the_time(browser, version):
    page = browser.get(reverse("dossiers:apply", args=[version.procedure.code])).content.decode()
    assert "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp" in page
    assert "200,000" in page or "200.000" in page
    assert "10 working days" in page
    assert "Start the application" in page


def test_an_unknown_procedure_is_not_found(browser, directory):
    assert browser.get(reverse("dossiers:apply", args=["9.999999"])).status_code == 404


# ---------------------------------------------------------------------------------------------------------
# The steps
# ---------------------------------------------------------------------------------------------------------


def test_each_step_validates_and_saves_the_draft(browser, version):
    draft = started(browser, version)
    form_url = reverse("dossiers:draft_form", args=[draft.pk])
    assert browser.get(form_url).status_code == 200

    response = browser.post(form_url, form_post(postcode="200000"))
    assert response["Location"] == reverse("dossiers:draft_documents", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.form_data["postcode"] == "200000" and draft.current_step == DraftStep.DOCUMENTS

    documents_url = reverse("dossiers:draft_documents", args=[draft.pk])
    response = browser.post(documents_url, {"file_to_khai": pdf_file()})
    assert response["Location"].startswith(documents_url + "?check=1")
    page = browser.get(response["Location"]).content.decode()
    assert "A document is still missing" in page and "Bản chụp Căn cước công dân" in page

    response = browser.post(documents_url, {"file_cccd": pdf_file("cccd.png", PNG_BYTES, "image/png")})
    assert response["Location"] == reverse("dossiers:draft_fees", args=[draft.pk])
    fees = browser.get(response["Location"]).content.decode()
    assert "Phí cấp Phiếu lý lịch tư pháp" in fees and "You pay after you submit" in fees

    response = browser.post(reverse("dossiers:draft_fees", args=[draft.pk]), {"action": "continue"})
    assert response["Location"] == reverse("dossiers:draft_review", args=[draft.pk])
    review = browser.get(response["Location"]).content.decode()
    for text in ("Nguyễn Thị Hoa", "Xin việc", "to-khai.pdf", "cccd.png", "Submit the dossier"):
        assert text in review
    assert f"{reverse('dossiers:draft_form', args=[draft.pk])}?return_to=review" in review


def test_invalid_form_data_shows_an_error_summary_and_keeps_the_draft(browser, version):
    draft = started(browser, version)
    before = DossierDraft.objects.values().get(pk=draft.pk)

    response = browser.post(
        reverse("dossiers:draft_form", args=[draft.pk]),
        form_post(personal_id="12345", married="on", postcode="12", purpose=None),
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert "There is a problem" in page
    assert 'href="#id_personal_id"' in page and 'href="#id_spouse_name"' in page
    assert 'href="#id_postcode"' in page and 'href="#id_purpose"' in page
    assert DossierDraft.objects.values().get(pk=draft.pk) == before


def test_save_and_finish_later_returns_to_my_dossiers_where_it_continues(browser, version):
    draft = started(browser, version)
    response = browser.post(reverse("dossiers:draft_form", args=[draft.pk]), form_post(action="later"))
    assert response["Location"] == reverse("dossiers:mine")
    page = browser.get(reverse("dossiers:mine")).content.decode()
    assert "Continue your application" in page
    assert browser.get(reverse("dossiers:draft_continue", args=[draft.pk]))["Location"] == reverse(
        "dossiers:draft_documents", args=[draft.pk]
    )


def test_a_disguised_upload_is_refused_with_a_message_and_nothing_stored(browser, version):
    draft = started(browser, version)
    files_before = DossierFile.objects.count()
    response = browser.post(
        reverse("dossiers:draft_documents", args=[draft.pk]),
        {"file_to_khai": pdf_file(), "file_cccd": pdf_file("cccd.pdf", b"<html><script>alert(1)</script></html>")},
    )
    assert response.status_code == 422
    assert "Only PDF, JPEG and PNG files are accepted." in response.content.decode()
    assert DossierFile.objects.count() == files_before
    draft.refresh_from_db()
    assert draft.documents == {}


def test_a_file_whose_name_lies_about_its_type_is_refused_in_vietnamese(citizen, version):
    browser = client_for(citizen)
    browser.cookies["django_language"] = "vi"
    draft = started(browser, version)
    response = browser.post(
        reverse("dossiers:draft_documents", args=[draft.pk]), {"file_to_khai": pdf_file("to-khai.png")}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Có thông tin cần sửa" in page  # "There is a problem"
    assert "không khớp với nội dung" in page and "to-khai.png" in page
    assert DossierFile.objects.count() == 0


def test_an_oversized_upload_is_refused(browser, version, settings):
    settings.DOSSIER_UPLOAD_MAX_BYTES = 20
    draft = started(browser, version)
    response = browser.post(reverse("dossiers:draft_documents", args=[draft.pk]), {"file_to_khai": pdf_file()})
    assert response.status_code == 422
    assert "larger than" in response.content.decode()
    assert DossierFile.objects.count() == 0


def test_reusing_an_earlier_result_marks_the_document_reused(browser, citizen, version):
    earlier = submit(citizen, version)
    result = file_store(
        content=io.BytesIO(PDF_BYTES),
        name="phieu-lltp.pdf",
        size=len(PDF_BYTES),
        uploaded_by=None,
        dossier=earlier,
        purpose=DossierFile.Purpose.RESULT,
    )
    draft = started(browser, version)
    browser.post(reverse("dossiers:draft_form", args=[draft.pk]), form_post())
    page = browser.get(reverse("dossiers:draft_documents", args=[draft.pk])).content.decode()
    assert f'value="{result.pk}"' in page and "phieu-lltp.pdf" in page

    browser.post(
        reverse("dossiers:draft_documents", args=[draft.pk]),
        {"file_to_khai": pdf_file(), "reuse_cccd": str(result.pk)},
    )
    browser.post(reverse("dossiers:draft_fees", args=[draft.pk]))
    review = browser.get(reverse("dossiers:draft_review", args=[draft.pk])).content.decode()
    assert f"re-used from dossier {earlier.code}" in review

    browser.post(reverse("dossiers:draft_submit", args=[draft.pk]))
    dossier = Dossier.objects.exclude(pk=earlier.pk).get()
    assert dossier.files.get(component_code="cccd").reused_from_id == result.pk


def test_submitting_twice_makes_one_dossier(browser, version):
    draft = at_review(browser, version)
    first = browser.post(reverse("dossiers:draft_submit", args=[draft.pk]))
    second = browser.post(reverse("dossiers:draft_submit", args=[draft.pk]))
    assert Dossier.objects.count() == 1
    assert first["Location"] == second["Location"]
    # The review page of a submitted draft leads to the dossier.
    assert browser.get(reverse("dossiers:draft_review", args=[draft.pk]))["Location"] == reverse(
        "dossiers:mine_detail", args=[Dossier.objects.get().code]
    )


def test_the_confirmation_shows_the_code_and_the_secret_once(browser, version):
    dossier, secret = submitted_dossier(browser, version)
    assert len(secret) == 10
    again = browser.get(reverse("dossiers:submitted", args=[dossier.code])).content.decode()
    assert secret not in again
    assert dossier.code in again
    assert "Waiting for the one-stop desk to receive your dossier" in again


def test_discarding_a_draft(browser, version):
    draft = started(browser, version)
    assert browser.get(reverse("dossiers:draft_discard", args=[draft.pk])).status_code == 200
    response = browser.post(reverse("dossiers:draft_discard", args=[draft.pk]))
    assert response["Location"] == reverse("dossiers:mine")
    assert DossierDraft.objects.count() == 0


# ---------------------------------------------------------------------------------------------------------
# Another person's draft, dossier, receipt
# ---------------------------------------------------------------------------------------------------------


def test_another_citizen_gets_not_found_for_a_draft_a_dossier_and_a_receipt(citizen, other_citizen, version, clerk):
    draft = draft_start(actor=citizen, procedure_version=version)
    dossier = received(citizen, version, clerk)
    stranger = client_for(other_citizen)
    before = DossierDraft.objects.values().get(pk=draft.pk)
    for name in ("draft_form", "draft_documents", "draft_fees", "draft_review", "draft_continue", "draft_discard"):
        assert stranger.get(reverse(f"dossiers:{name}", args=[draft.pk])).status_code == 404, name
    assert stranger.post(reverse("dossiers:draft_form", args=[draft.pk]), form_post()).status_code == 404
    assert stranger.post(reverse("dossiers:draft_submit", args=[draft.pk])).status_code == 404
    assert stranger.post(reverse("dossiers:draft_discard", args=[draft.pk])).status_code == 404
    for name in ("mine_detail", "receipt", "submitted", "mine_withdraw"):
        assert stranger.get(reverse(f"dossiers:{name}", args=[dossier.code])).status_code == 404, name
    assert stranger.post(reverse("dossiers:mine_withdraw", args=[dossier.code])).status_code == 404
    file_id = dossier.files.first().pk
    assert stranger.get(reverse("dossiers:mine_file", args=[file_id])).status_code == 404
    assert DossierDraft.objects.values().get(pk=draft.pk) == before
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.ACCEPTED
    assert (
        reverse("dossiers:mine_detail", args=[dossier.code])
        not in stranger.get(reverse("dossiers:mine")).content.decode()
    )


# ---------------------------------------------------------------------------------------------------------
# Receipt, my dossiers, supplement, withdrawal
# ---------------------------------------------------------------------------------------------------------


def test_the_receipt_is_downloadable_once_received(browser, version, clerk, no_second_factor):
    dossier, _secret = submitted_dossier(browser, version)
    waiting = browser.get(reverse("dossiers:receipt", args=[dossier.code]))
    assert waiting.status_code == 409

    fees_paid_at_counter(dossier, actor=clerk)
    services.dossier_accept(actor=clerk, dossier=dossier)
    response = browser.get(reverse("dossiers:receipt", args=[dossier.code]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="phieu-tiep-nhan-{dossier.code}.pdf"'
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert dossier.code in text
    assert "PHIẾU TIẾP NHẬN" in text.upper()

    # An official who may see the dossier downloads it too.
    assert client_for(clerk).get(reverse("dossiers:receipt", args=[dossier.code])).status_code == 200


def test_my_dossiers_lists_status_dates_and_timeliness(browser, citizen, version, clerk):
    received(citizen, version, clerk)
    started(browser, version)
    page = browser.get(reverse("dossiers:mine")).content.decode()
    dossier = Dossier.objects.get()
    assert dossier.code in page
    assert "Received" in page and "On time" in page
    assert "Applications not submitted yet" in page


def test_the_applicant_supplies_what_was_asked(browser, citizen, version, clerk, specialist):
    dossier = received(citizen, version, clerk)
    dossier = at_step(dossier, {"tiep_nhan": clerk}, "tham_dinh")
    services.dossier_request_supplement(
        actor=specialist, dossier=dossier, items=["Bản chụp CCCD rõ nét hơn"], reason="Ảnh bị mờ"
    )
    detail = browser.get(reverse("dossiers:mine_detail", args=[dossier.code])).content.decode()
    assert "What is asked of you" in detail and "Bản chụp CCCD rõ nét hơn" in detail and "Ảnh bị mờ" in detail

    refused = browser.post(
        reverse("dossiers:mine_supply", args=[dossier.code]),
        {"supply-file_cccd": pdf_file("cccd.pdf", b"GIF89a not a pdf")},
    )
    assert refused.status_code == 422
    assert "Only PDF, JPEG and PNG files are accepted." in refused.content.decode()
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.SUPPLEMENT_REQUESTED

    response = browser.post(
        reverse("dossiers:mine_supply", args=[dossier.code]),
        {"supply-file_cccd": pdf_file("cccd-moi.png", PNG_BYTES, "image/png"), "note": "Đã chụp lại"},
    )
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.PROCESSING
    assert dossier.files.filter(name="cccd-moi.png").exists()


def test_the_applicant_withdraws_after_confirming(browser, citizen, version, clerk):
    dossier = received(citizen, version, clerk)
    assert "Withdraw the dossier" in browser.get(reverse("dossiers:mine_detail", args=[dossier.code])).content.decode()
    confirm = browser.get(reverse("dossiers:mine_withdraw", args=[dossier.code]))
    assert "This cannot be undone" in confirm.content.decode()
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.ACCEPTED

    response = browser.post(reverse("dossiers:mine_withdraw", args=[dossier.code]), {"reason": "Không cần nữa"})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.WITHDRAWN
    assert (
        "You withdrew the dossier."
        in browser.get(reverse("dossiers:mine_detail", args=[dossier.code])).content.decode()
    )


def test_a_returned_online_result_can_be_downloaded(browser, citizen, version, clerk):
    dossier = received(citizen, version, clerk)
    # The officials' side produces results; here the dossier is put in the returned state directly.
    Dossier.objects.filter(pk=dossier.pk).update(
        status=DossierStatus.RETURNED,
        result_method="online",
        finished_at=dossier.received_at,
        returned_at=dossier.received_at,
    )
    result = file_store(
        content=io.BytesIO(PDF_BYTES),
        name="ket-qua.pdf",
        size=len(PDF_BYTES),
        uploaded_by=None,
        dossier=dossier,
        purpose=DossierFile.Purpose.RESULT,
    )
    page = browser.get(reverse("dossiers:mine_detail", args=[dossier.code])).content.decode()
    assert reverse("dossiers:mine_file", args=[result.pk]) in page
    response = browser.get(reverse("dossiers:mine_file", args=[result.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES


# ---------------------------------------------------------------------------------------------------------
# Public tracking
# ---------------------------------------------------------------------------------------------------------


def test_tracking_prefills_the_code_from_the_qr_link(version, citizen):
    dossier = submit(citizen, version)
    page = client_for().get(reverse("dossiers:track") + f"?code={dossier.code}").content.decode()
    assert f'value="{dossier.code}"' in page


def test_tracking_with_a_wrong_secret_says_so_without_saying_which(version, citizen):
    dossier = submit(citizen, version)
    anonymous = client_for()
    wrong_secret = anonymous.post(reverse("dossiers:track"), {"code": dossier.code, "secret": "AAAAAAAAAA"})
    wrong_code = anonymous.post(reverse("dossiers:track"), {"code": "000.00.20.H49-000000-0001", "secret": "A"})
    assert wrong_secret.status_code == wrong_code.status_code == 404
    message = "No dossier matches this code and lookup secret."
    assert message in wrong_secret.content.decode() and message in wrong_code.content.decode()
    assert "Submit online" not in wrong_secret.content.decode()


def test_tracking_with_the_right_secret_shows_the_history(version, citizen, clerk):
    dossier = submit(citizen, version)
    secret = dossier.lookup_secret
    services.dossier_accept(actor=clerk, dossier=dossier)
    response = client_for().post(reverse("dossiers:track"), {"code": dossier.code, "secret": secret.lower()})
    page = response.content.decode()
    assert response.status_code == 200
    assert "You submitted the dossier online." in page
    assert "The one-stop desk received your dossier" in page
    assert citizen.full_name not in page  # no names on the public page


def test_tracking_is_rate_limited(version, citizen, settings):
    settings.DOSSIER_LOOKUP_RATE_PER_MINUTE = 2
    dossier = submit(citizen, version)
    anonymous = client_for()
    for _attempt in range(2):
        anonymous.post(reverse("dossiers:track"), {"code": dossier.code, "secret": "WRONGWRONG"})
    response = anonymous.post(reverse("dossiers:track"), {"code": dossier.code, "secret": dossier.lookup_secret})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()


def test_navigation_links_to_my_dossiers_and_tracking(browser):
    page = browser.get("/").content.decode()
    assert f'href="{reverse("dossiers:mine")}"' in page
    assert f'href="{reverse("dossiers:track")}"' in page


def test_the_procedure_page_links_to_apply_online(browser, version):
    page = browser.get(reverse("procedures:detail", args=[version.procedure.code])).content.decode()
    assert f'href="{reverse("dossiers:apply", args=[version.procedure.code])}"' in page


def test_valid_form_helper_matches_the_post(version):
    # Guard: the POST built here is the service's valid form (so the view tests exercise the real rules).
    assert {key: value for key, value in valid_form().items() if key != "married"} == form_post()
