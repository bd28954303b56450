"""The pages of a dossier's fees: the fees step of an application, "Pay online now" on the confirmation and the
dossier's page, the tracking page (pay, receipt), the officials' page (payment status, the clerk's counter form,
the obligation's form), the "My payments" menu link."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from motcua.dossiers import services
from motcua.dossiers.models import Dossier, DossierDraft, DraftStep
from motcua.payments.models import PaymentRequest, RequestStatus, Transaction
from tests.dossiers.conftest import Counts, at_step, fees_paid_at_counter, received, state_of, submit
from tests.dossiers.factories import MONDAY, at, judicial_record_content, valid_form, version_create
from tests.support.sessions import sign_in_with_second_factor

pytestmark = pytest.mark.django_db

ELDERLY = "Người cao tuổi"


def client_for(user=None):
    client = Client()
    client.cookies["django_language"] = "en"
    if user is not None:
        if getattr(user, "kind", "") == "official":
            return sign_in_with_second_factor(client, user)
        client.force_login(user)
    return client


@pytest.fixture
def copies_version(directory):
    fees = [
        {"code": "LLTP", "name": "Phí cấp Phiếu", "kind": "fee", "amount": 200000, "exempt_categories": [ELDERLY]},
        {"code": "THEM", "name": "Phiếu thêm", "kind": "fee", "amount": 5000, "basis": "per_copy"},
    ]
    return version_create(judicial_record_content(code="9.000030", fees=fees))


def draft_at_fees(citizen, version):
    from motcua.dossiers.services.drafts import draft_save_step, draft_start

    draft = draft_start(actor=citizen, procedure_version=version)
    draft = draft_save_step(actor=citizen, draft=draft, step=DraftStep.FORM, form_data=valid_form())
    from tests.dossiers.conftest import upload
    from tests.dossiers.factories import PNG_BYTES

    draft.documents = {
        "to_khai": {"upload_id": str(upload(citizen).pk)},
        "cccd": {"upload_id": str(upload(citizen, "cccd.png", PNG_BYTES).pk)},
    }
    draft.current_step = DraftStep.FEES
    draft.save()
    return draft


def bill_of(dossier, purpose="dossier_fees"):
    return PaymentRequest.objects.get(subject_id=dossier.pk, purpose=purpose)


# --- the fees step ----------------------------------------------------------------------------------------------


def test_the_fees_step_quotes_copies_and_exemption_and_saves_them(citizen, copies_version):
    draft = draft_at_fees(citizen, copies_version)
    browser = client_for(citizen)
    url = reverse("dossiers:draft_fees", args=[draft.pk])
    page = browser.get(url).content.decode()
    assert "How many copies do you need?" in page and "Are you in one of these groups?" in page
    assert ELDERLY in page and 'id="fee-total">205,000 đồng' in page

    # "Update the amount" saves and stays on the step, with the new quote.
    response = browser.post(url, {"copies": "3", "applicant_category": ELDERLY, "action": "update"})
    assert response.status_code == 302 and response["Location"] == url
    draft.refresh_from_db()
    assert (draft.fee_copies, draft.fee_exemption_category, draft.current_step) == (3, ELDERLY, DraftStep.FEES)
    page = browser.get(url).content.decode()
    assert 'id="fee-total">15,000 đồng' in page and "exempt" in page

    # A group the procedure does not name, or no copies: said on the form, nothing saved.
    before = DossierDraft.objects.values().get(pk=draft.pk)
    for answers in ({"copies": "1", "applicant_category": "Sinh viên"}, {"copies": "0", "applicant_category": ""}):
        refused = browser.post(url, {**answers, "action": "continue"})
        assert refused.status_code == 422 and "There is a problem" in refused.content.decode()
    assert DossierDraft.objects.values().get(pk=draft.pk) == before

    response = browser.post(url, {"copies": "2", "applicant_category": "", "action": "continue"})
    assert response["Location"] == reverse("dossiers:draft_review", args=[draft.pk])
    review = browser.get(response["Location"]).content.decode()
    assert 'id="review-fee-total">210,000 đồng' in review

    # Submitted, the dossier is billed exactly that.
    submitted = browser.post(reverse("dossiers:draft_submit", args=[draft.pk]))
    dossier = Dossier.objects.get()
    assert submitted["Location"] == reverse("dossiers:submitted", args=[dossier.code])
    assert (dossier.fees_due, dossier.fee_copies) == (210000, 2) and bill_of(dossier).amount == 210000


def test_a_stranger_cannot_see_or_save_anothers_fees_step(citizen, other_citizen, copies_version):
    draft = draft_at_fees(citizen, copies_version)
    stranger = client_for(other_citizen)
    url = reverse("dossiers:draft_fees", args=[draft.pk])
    assert stranger.get(url).status_code == 404
    assert stranger.post(url, {"copies": "5", "action": "continue"}).status_code == 404
    draft.refresh_from_db()
    assert draft.fee_copies == 1


# --- paying from the applicant's pages -------------------------------------------------------------------------


def test_the_confirmation_and_the_dossier_page_offer_to_pay_online_now(citizen, version):
    dossier = submit(citizen, version, paid=False)
    bill = bill_of(dossier)
    browser = client_for(citizen)
    for url in (
        reverse("dossiers:submitted", args=[dossier.code]),
        reverse("dossiers:mine_detail", args=[dossier.code]),
    ):
        page = browser.get(url).content.decode()
        assert f'data-payment="{bill.code}" data-status="open"' in page
        assert reverse("dossiers:mine_pay", args=[dossier.code, bill.pk]) in page
        assert "Pay 200,000 đồng online now" in page and "You can also pay in cash at the one-stop desk" in page
    assert "the desk receives your dossier once its fees are paid" in page


def test_pay_online_now_sends_the_applicant_to_the_gateway_and_back_to_the_dossier(citizen, version, sandbox):
    dossier = submit(citizen, version, paid=False)
    bill = bill_of(dossier)
    browser = client_for(citizen)
    url = reverse("dossiers:mine_pay", args=[dossier.code, bill.pk])
    response = browser.post(url, {"idempotency_key": "once"})
    assert response.status_code == 302 and response["Location"].startswith(f"{sandbox.url}/thanh-toan/")
    txn = Transaction.objects.get(request=bill)
    assert txn.return_url == reverse("dossiers:mine_detail", args=[dossier.code]) and txn.started_by == citizen
    again = browser.post(url, {"idempotency_key": "once"})  # a double click: the same payment
    assert again["Location"] == response["Location"] and Transaction.objects.count() == 1
    page = browser.get(reverse("dossiers:mine_detail", args=[dossier.code])).content.decode()
    assert 'data-status="confirming"' in page and "being confirmed" in page


def test_pay_online_now_is_refused_to_others_and_for_a_paid_bill(citizen, other_citizen, version, clerk, sandbox):
    dossier = submit(citizen, version, paid=False)
    bill = bill_of(dossier)
    url = reverse("dossiers:mine_pay", args=[dossier.code, bill.pk])
    assert client_for(other_citizen).post(url, {"idempotency_key": "x"}).status_code == 404
    assert Client().post(url, {"idempotency_key": "x"}).status_code == 302  # to the sign-in page
    browser = client_for(citizen)
    expired = browser.post(url, {})
    assert expired["Location"] == reverse("dossiers:mine_detail", args=[dossier.code])
    fees_paid_at_counter(dossier, actor=clerk)
    paid = browser.post(url, {"idempotency_key": "y"}, follow=True)
    assert "no longer awaiting payment" in paid.content.decode()
    assert not Transaction.objects.exists()
    page = browser.get(reverse("dossiers:mine_detail", args=[dossier.code])).content.decode()
    assert 'data-status="paid"' in page and reverse("payments:receipt", args=[bill.pk]) in page


# --- the tracking page ------------------------------------------------------------------------------------------


def counter_dossier_at_status_6(clerk, specialist, version):
    dossier = services.dossier_receive_at_counter(
        actor=clerk,
        procedure_version=version,
        applicant={"kind": "citizen", "full_name": "Trần Văn Nam", "identifier": "022085000777"},
        form_data={"full_name": "Trần Văn Nam", "personal_id": "022085000777", "purpose": "work"},
        paper_components=["to_khai", "cccd"],
        at=MONDAY,
    )
    secret = dossier.lookup_secret
    dossier = services.dossier_forward(actor=clerk, dossier=dossier, at=at(2, 10))
    services.dossier_request_payment(actor=specialist, dossier=dossier, amount=150000)
    return Dossier.objects.get(pk=dossier.pk), secret


def test_the_tracking_page_shows_the_bill_to_pay_and_then_its_receipt(version, clerk, specialist, sandbox):
    dossier, secret = counter_dossier_at_status_6(clerk, specialist, version)
    bill = bill_of(dossier, "dossier_obligation")
    visitor = client_for()
    page = visitor.post(reverse("dossiers:track"), {"code": dossier.code, "secret": secret}).content.decode()
    assert f'data-payment="{bill.code}" data-status="open"' in page and "Pay 150,000 đồng online now" in page
    fields = {"code": dossier.code, "secret": secret, "payment_request": str(bill.pk), "idempotency_key": "t"}

    wrong = visitor.post(reverse("dossiers:track_pay"), {**fields, "secret": "AAAAAAAAAA"})
    assert wrong.status_code == 404 and not Transaction.objects.exists()
    assert visitor.post(reverse("dossiers:track_receipt"), fields).status_code == 404  # nothing paid yet
    going = visitor.post(reverse("dossiers:track_pay"), fields)
    assert going.status_code == 302 and going["Location"].startswith(f"{sandbox.url}/thanh-toan/")
    assert Transaction.objects.get().return_url == f"/dossiers/track/?code={dossier.code}"

    services.dossier_payment_record_at_counter(actor=clerk, dossier=dossier, amount=150000)  # paid in cash instead
    page = visitor.post(reverse("dossiers:track"), {"code": dossier.code, "secret": secret}).content.decode()
    assert 'data-status="paid"' in page and "Download the receipt (PDF)" in page
    receipt = visitor.post(reverse("dossiers:track_receipt"), fields)
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"
    assert receipt.content.startswith(b"%PDF-")
    assert visitor.post(reverse("dossiers:track_receipt"), {**fields, "secret": "AAAAAAAAAA"}).status_code == 404


def test_the_tracking_page_never_pays_or_gives_the_receipt_of_another_dossier(
    citizen, version, clerk, specialist, sandbox
):
    dossier, secret = counter_dossier_at_status_6(clerk, specialist, version)
    other = submit(citizen, version)  # paid at the counter: a receipt exists
    fields = {"code": dossier.code, "secret": secret, "idempotency_key": "t"}
    for name in ("dossiers:track_pay", "dossiers:track_receipt"):
        response = client_for().post(reverse(name), {**fields, "payment_request": str(bill_of(other).pk)})
        assert response.status_code == 404
    assert not Transaction.objects.exists()


# --- the officials' page ----------------------------------------------------------------------------------------


def test_the_processing_page_shows_the_payments_and_the_clerks_counter_form(citizen, version, clerk, specialist):
    dossier = submit(citizen, version, paid=False, applicant_category="")
    bill = bill_of(dossier)
    desk = client_for(clerk)
    url = reverse("dossiers:process", args=[dossier.code])
    page = desk.get(url).content.decode()
    assert f'data-payment="{bill.code}" data-status="open"' in page and "Not paid" in page
    assert "The dossier is received once this is paid." in page
    counter_url = reverse("dossiers:counter_payment", args=[dossier.code, bill.pk])
    assert counter_url in page
    assert counter_url not in client_for(specialist).get(url).content.decode()  # only clerks take cash

    prefix = f"counter-{bill.pk}"
    before, counts = state_of(dossier), Counts()
    wrong = desk.post(counter_url, {f"{prefix}-amount": "100000"})
    assert wrong.status_code == 422 and "200.000" in wrong.content.decode()
    refused = client_for(specialist).post(counter_url, {f"{prefix}-amount": "200000"})
    assert refused.status_code == 403
    assert client_for(citizen).post(counter_url, {f"{prefix}-amount": "200000"}).status_code == 404
    assert state_of(dossier) == before and bill_of(dossier).status == RequestStatus.OPEN
    counts.assert_unchanged()

    paid = desk.post(counter_url, {f"{prefix}-amount": "200000", f"{prefix}-paper_receipt_number": "0009"})
    assert paid.status_code == 303
    bill.refresh_from_db()
    assert (bill.status, bill.paper_receipt_number, bill.recorded_by) == ("paid", "0009", clerk)
    page = desk.get(url).content.decode()
    assert 'data-status="paid"' in page and "receipt MC/" in page and counter_url not in page


def test_the_obligation_form_bills_lines_of_the_procedure(citizen, version, clerk, specialist):
    dossier = at_step(received(citizen, version, clerk), {"tiep_nhan": clerk}, "tham_dinh")
    specialist_client = client_for(specialist)
    page = specialist_client.get(reverse("dossiers:process", args=[dossier.code])).content.decode()
    assert 'name="request_payment-fee_codes"' in page and "Phí cấp Phiếu lý lịch tư pháp (200.000 đồng)" in page
    response = specialist_client.post(
        reverse("dossiers:official_action", kwargs={"code": dossier.code, "action": "request_payment"}),
        {
            "request_payment-seen_state": f"{dossier.status}:{dossier.current_step_code}",
            "request_payment-fee_codes": ["LLTP"],
            "request_payment-note": "Cấp thêm phiếu",
        },
    )
    assert response.status_code == 303
    obligation = bill_of(dossier, "dossier_obligation")
    assert [(line.code, line.amount) for line in obligation.lines.all()] == [("LLTP", 200000)]
    assert Dossier.objects.get(pk=dossier.pk).status == "financial_obligation"
    desk_page = client_for(clerk).get(reverse("dossiers:process", args=[dossier.code])).content.decode()
    assert 'id="action-record_payment"' in desk_page and 'value="200000"' in desk_page


def test_my_payments_is_in_the_menu_of_citizens_not_of_officials(citizen, clerk):
    link = f'href="{reverse("payments:mine")}"'
    assert link in client_for(citizen).get(reverse("dossiers:mine")).content.decode()
    assert link not in client_for(clerk).get(reverse("dossiers:queue")).content.decode()


def test_the_dossier_page_says_when_the_last_online_payment_did_not_go_through(citizen, version, sandbox, client):
    from tests.payments.helpers import post_callback

    dossier = submit(citizen, version, paid=False)
    bill = bill_of(dossier)
    browser = client_for(citizen)
    going = browser.post(reverse("dossiers:mine_pay", args=[dossier.code, bill.pk]), {"idempotency_key": "k"})
    sandbox.pay(going["Location"], action="cancel")  # the payer cancels on the gateway's page
    assert post_callback(client, sandbox.state()["collected"][-1]).json()["MaLoi"] == "00"
    page = browser.get(reverse("dossiers:mine_detail", args=[dossier.code])).content.decode()
    assert f'data-payment="{bill.code}" data-status="failed"' in page
    assert "Your last online payment did not go through" in page and "Pay 200,000 đồng online now" in page
    assert bill_of(dossier).status == RequestStatus.OPEN
