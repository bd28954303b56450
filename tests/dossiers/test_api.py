"""The dossiers API: journeys over HTTP, uploads, public lookup, and an authorisation matrix."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client

from motcua.dossiers.models import Dossier, DossierFile, DossierStatus
from motcua.payments.models import PaymentRequest
from tests.dossiers.conftest import Counts, received, state_of, submit
from tests.dossiers.factories import JPEG_BYTES, PDF_BYTES, PNG_BYTES, QN_CENTRE
from tests.support.sessions import sign_in_with_second_factor

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

BASE = "/api/v1/dossiers"


def signed_in(user):
    client = Client()
    if user.kind == "official":
        return sign_in_with_second_factor(client, user)
    client.force_login(user)
    return client


def post_file(client, name, content):
    stream = io.BytesIO(content)
    stream.name = name
    return client.post(f"{BASE}/uploads", {"file": stream})


def application(client, *, key="k-1", purpose="work"):
    to_khai = post_file(client, "to-khai.pdf", PDF_BYTES).json()["id"]
    cccd = post_file(client, "cccd.jpg", JPEG_BYTES).json()["id"]
    body = {
        "procedure": "1.001193",
        "form_data": {
            "full_name": "Nguyễn Thị Hoa",
            "personal_id": "022190000123",
            "purpose": purpose,
            "married": False,
        },
        "files": [{"component_code": "to_khai", "upload_id": to_khai}, {"component_code": "cccd", "upload_id": cccd}],
    }
    return body


def test_online_journey_over_the_api(citizen, version, clerk, specialist, unit_head, leader):
    applicant = signed_in(citizen)
    body = application(applicant)
    created = applicant.post(BASE, body, content_type="application/json", headers={"Idempotency-Key": "abc"})
    assert created.status_code == 201, created.content
    data = created.json()
    code = data["code"]
    assert code.startswith(f"{QN_CENTRE}-") and data["status"] == "new" and data["portal_status"] == 1
    assert len(data["lookup_secret"]) == 10
    replay = applicant.post(BASE, body, content_type="application/json", headers={"Idempotency-Key": "abc"})
    assert replay.status_code == 200 and replay.json()["code"] == code and replay.json()["idempotent_replay"]
    body["form_data"]["purpose"] = "study"
    conflict = applicant.post(BASE, body, content_type="application/json", headers={"Idempotency-Key": "abc"})
    assert conflict.status_code == 409 and conflict.json()["code"] == "idempotency_key_reused"
    assert Dossier.objects.count() == 1

    # The fees were billed with the application: a full-process dossier is received once they are paid.
    (bill,) = applicant.get(f"{BASE}/{code}").json()["payments"]
    assert (bill["purpose"], bill["amount"], bill["status"]) == ("dossier_fees", 200000, "open")
    assert [line["code"] for line in bill["lines"]] == ["LLTP"]
    desk = signed_in(clerk)
    queue = desk.get(BASE, {"view": "new"}).json()
    assert [item["code"] for item in queue["items"]] == [code]
    unpaid = desk.post(f"{BASE}/{code}/actions/accept", {}, content_type="application/json")
    assert unpaid.status_code == 409 and unpaid.json()["code"] == "dossier_fees_unpaid"
    counter = f"{BASE}/{code}/payments/{bill['id']}/counter"
    # Only a clerk of the dossier's organisations records cash; a wrong amount is refused; neither changes anything.
    refused = applicant.post(counter, {"amount": 200000}, content_type="application/json")
    assert refused.status_code == 403
    wrong = desk.post(counter, {"amount": 100000}, content_type="application/json")
    assert wrong.status_code == 422 and "amount" in wrong.json()["details"]
    assert applicant.get(f"{BASE}/{code}").json()["payments"][0]["status"] == "open"
    paid = desk.post(counter, {"amount": 200000, "paper_receipt_number": "0001234"}, content_type="application/json")
    assert paid.status_code == 200, paid.content
    assert paid.json()["payments"][0]["status"] == "paid" and paid.json()["payments"][0]["receipt"]
    assert paid.json()["fees_paid"] == 200000 and paid.json()["status"] == "new"
    again = desk.post(counter, {"amount": 200000}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "payment_request_not_open"
    accepted = desk.post(f"{BASE}/{code}/actions/accept", {}, content_type="application/json")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert accepted.json()["allowed_actions"] == ["claim", "forward", "request_supplement", "announce_delay", "stop"]
    desk.post(f"{BASE}/{code}/actions/forward", {"expected_step": "tiep_nhan"}, content_type="application/json")

    expert = signed_in(specialist)
    mine = expert.get(BASE, {"view": "my_step", "q": "nguyen thi hoa"}).json()
    assert [item["code"] for item in mine["items"]] == [code]
    supplement = expert.post(
        f"{BASE}/{code}/actions/request_supplement",
        {"items": ["Ảnh CCCD rõ"], "reason": "Ảnh mờ", "expected_step": "tham_dinh"},
        content_type="application/json",
    )
    assert supplement.status_code == 200 and supplement.json()["status"] == "supplement_requested"
    assert supplement.json()["timeliness"]["is_paused"] is True
    new_scan = post_file(applicant, "cccd-2.png", PNG_BYTES).json()["id"]
    supplied = applicant.post(
        f"{BASE}/{code}/actions/supply",
        {"files": [{"component_code": "cccd", "upload_id": new_scan}], "note": "Đã bổ sung"},
        content_type="application/json",
    )
    assert supplied.status_code == 200 and supplied.json()["status"] == "processing"
    for official, step in ((expert, "tham_dinh"), (signed_in(unit_head), "kiem_tra")):
        moved = official.post(
            f"{BASE}/{code}/actions/forward", {"expected_step": step}, content_type="application/json"
        )
        assert moved.status_code == 200, moved.content
    approved = signed_in(leader).post(
        f"{BASE}/{code}/actions/approve", {"result": {"number": "12/LLTP"}}, content_type="application/json"
    )
    assert approved.status_code == 200 and approved.json()["status"] == "finished"
    returned = desk.post(f"{BASE}/{code}/actions/return_result", {"method": "counter"}, content_type="application/json")
    assert returned.json()["status"] == "returned" and returned.json()["portal_status"] == 10

    mine = applicant.get(BASE).json()
    assert mine["count"] == 1 and mine["items"][0]["status"] == "returned"
    detail = applicant.get(f"{BASE}/{code}").json()
    assert detail["timeliness"]["is_on_time"] is True and len(detail["steps"]) == 4
    assert [s["code"] for s in detail["steps"]] == ["tiep_nhan", "tham_dinh", "kiem_tra", "phe_duyet"]
    history = applicant.get(f"{BASE}/{code}/history").json()
    assert [h["action"] for h in history][:3] == ["submit", "record_fees", "accept"]
    assert [h["to_status"] for h in history][:4] == ["new", "new", "accepted", "processing"]
    assert history[-1]["to_status"] == "returned"
    file_id = detail["files"][0]["id"]
    download = expert.get(f"{BASE}/files/{file_id}")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF_BYTES

    lookup = Client().get(f"{BASE}/public/lookup", {"code": code, "secret": replay.json()["lookup_secret"]})
    assert lookup.status_code == 200
    public = lookup.json()
    assert public["status"] == "returned" and public["portal_status"] == 10
    assert "Nguyễn" not in lookup.content.decode() and "022190000123" not in lookup.content.decode()
    assert [line["status"] for line in public["history"]][-1] == "returned"
    assert [(item["purpose"], item["status"], item["has_receipt"]) for item in public["bills"]] == [
        ("dossier_fees", "paid", True)
    ]
    # The first secret stopped working when the replay issued a new one.
    stale = Client().get(f"{BASE}/public/lookup", {"code": code, "secret": data["lookup_secret"]})
    assert stale.status_code == 404


def test_counter_intake_over_the_api(version, clerk, foreign_clerk):
    desk = signed_in(clerk)
    scan = post_file(desk, "scan.pdf", PDF_BYTES).json()["id"]
    body = {
        "procedure": "1.001193",
        "channel": 1,
        "applicant": {"full_name": "Trần Văn Nam", "identifier": "022085000777", "phone": "0912345678"},
        "form_data": {"full_name": "Trần Văn Nam", "personal_id": "022085000777", "purpose": "work"},
        "files": [{"component_code": "to_khai", "upload_id": scan}],
        "paper_components": ["cccd"],
    }
    response = desk.post(f"{BASE}/counter", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "accepted" and response.json()["due_at"]
    counts = Counts()
    refused = signed_in(foreign_clerk).post(f"{BASE}/counter", {**body, "files": []}, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "dossier_receiving_not_allowed"
    counts.assert_unchanged()


# --- uploads ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("giay-to.pdf", PNG_BYTES, "file_type_mismatch"),  # a PNG disguised as a PDF
        ("giay-to.pdf", b"just some text, not a PDF at all", "file_type_not_allowed"),
        ("anh.png", JPEG_BYTES, "file_type_mismatch"),
        ("script.html", b"<html><script>alert(1)</script></html>", "file_type_not_allowed"),
        ("noextension", PDF_BYTES, "file_type_mismatch"),
    ],
)
def test_disguised_or_unknown_files_are_refused_and_nothing_is_written(
    citizen, settings, tmp_path, name, content, code
):
    settings.MEDIA_ROOT = tmp_path
    response = post_file(signed_in(citizen), name, content)
    assert response.status_code == 422 and response.json()["code"] == code
    assert DossierFile.objects.count() == 0 and list(tmp_path.rglob("*")) == []


def test_oversized_files_are_refused(citizen, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.DOSSIER_UPLOAD_MAX_BYTES = 1024
    response = post_file(signed_in(citizen), "big.pdf", PDF_BYTES + b"0" * 2048)
    assert response.status_code == 422 and response.json()["code"] == "file_too_large"
    assert DossierFile.objects.count() == 0 and list(tmp_path.rglob("*")) == []
    accepted = post_file(signed_in(citizen), "small.PDF", PDF_BYTES)
    assert accepted.status_code == 201 and accepted.json()["content_type"] == "application/pdf"
    stored = DossierFile.objects.get()
    assert stored.file.name.endswith(".pdf") and "small" not in stored.file.name


def test_uploads_belong_to_their_uploader(citizen, other_citizen):
    upload_id = post_file(signed_in(citizen), "a.pdf", PDF_BYTES).json()["id"]
    assert signed_in(citizen).get(f"{BASE}/files/{upload_id}").status_code == 200
    assert signed_in(other_citizen).get(f"{BASE}/files/{upload_id}").status_code == 404
    assert Client().get(f"{BASE}/files/{upload_id}").status_code == 401
    assert Client().post(f"{BASE}/uploads", {"file": io.BytesIO(PDF_BYTES)}).status_code == 401


# --- public lookup ----------------------------------------------------------------------------------------


def test_public_lookup_with_a_wrong_secret_is_not_found_and_rate_limited(citizen, version, settings):
    settings.DOSSIER_LOOKUP_RATE_PER_MINUTE = 3
    dossier = submit(citizen, version)
    anonymous = Client()
    for secret in ("WRONGWRONG", "", dossier.lookup_secret.lower()):
        response = anonymous.get(f"{BASE}/public/lookup", {"code": dossier.code, "secret": secret})
        expected = 200 if secret == dossier.lookup_secret.lower() else 404
        assert response.status_code == expected
    missing = anonymous.get(f"{BASE}/public/lookup", {"code": dossier.code, "secret": dossier.lookup_secret})
    assert missing.status_code == 429 and missing.json()["code"] == "rate_limited"


def test_public_lookup_of_an_unknown_code(db):
    response = Client().get(f"{BASE}/public/lookup", {"code": "000.00.20.H49-260302-9999", "secret": "ABCDEFGHJK"})
    assert response.status_code == 404


# --- authorisation matrix ---------------------------------------------------------------------------------

ACTION_BODIES = {
    "accept": {},
    "refuse_receipt": {"reasons": ["x"]},
    "claim": {},
    "forward": {},
    "return_to_step": {"step_code": "tiep_nhan", "reason": "x"},
    "request_supplement": {"items": ["x"], "reason": "x"},
    "supply": {"note": "x"},
    "request_payment": {"amount": 1000},
    "record_payment": {"amount": 1000},
    "request_opinion": {"organisation": "000.00.02.H49", "question": "x"},
    "answer_opinion": {"opinion_request_id": "00000000-0000-0000-0000-000000000000", "answer": "x"},
    "announce_delay": {"new_due_at": "2026-12-31T17:00:00+07:00", "reason": "x"},
    "refuse": {"reasons": ["x"]},
    "stop": {"reason": "x"},
    "approve": {},
    "return_result": {"method": "counter"},
    "withdraw": {"reason": "x"},
}


@pytest.fixture
def dossiers_in_play(citizen, version, clerk):
    """One dossier newly submitted and one being processed at the specialists' step."""
    from motcua.dossiers import services

    new = submit(citizen, version)
    processing = services.dossier_forward(actor=clerk, dossier=received(citizen, version, clerk))
    return new, processing


def _requests(dossier):
    yield "get", f"{BASE}/{dossier.code}", None
    yield "get", f"{BASE}/{dossier.code}/history", None
    yield "get", f"{BASE}/{dossier.code}/steps", None
    yield "get", f"{BASE}/files/{dossier.files.first().pk}", None
    for action, body in ACTION_BODIES.items():
        yield "post", f"{BASE}/{dossier.code}/actions/{action}", body
    for bill in PaymentRequest.objects.filter(subject_id=dossier.pk):
        yield "post", f"{BASE}/{dossier.code}/payments/{bill.pk}/counter", {"amount": bill.amount}


def _send(client, method, url, body):
    if method == "get":
        return client.get(url)
    return client.post(url, body, content_type="application/json")


@pytest.mark.parametrize("who", ["anonymous", "other_citizen", "foreign_clerk", "official_of_another_department"])
def test_outsiders_get_nothing_from_any_endpoint_and_change_nothing(
    who, dossiers_in_play, other_citizen, foreign_clerk
):
    from motcua.agencies.models import Role
    from tests.dossiers.factories import official_in

    actors = {
        "anonymous": None,
        "other_citizen": other_citizen,
        "foreign_clerk": foreign_clerk,
        "official_of_another_department": official_in("000.00.02.H49", Role.SPECIALIST),
    }
    user = actors[who]
    client = Client() if user is None else signed_in(user)
    expected = 401 if user is None else 404
    for dossier in dossiers_in_play:
        before, counts = state_of(dossier), Counts()
        for method, url, body in _requests(dossier):
            response = _send(client, method, url, body)
            assert response.status_code == expected, (who, url, response.content)
        assert state_of(dossier) == before
        counts.assert_unchanged()
    listing = _send(client, "get", BASE, None)
    if user is None:
        assert listing.status_code == 401
    else:
        assert listing.status_code == 200 and listing.json()["count"] == 0


def test_insiders_may_only_take_their_own_actions(dossiers_in_play, citizen, clerk, specialist, leader):
    new, processing = dossiers_in_play
    # action -> who may take it on the processing dossier (every one refused for others, with a 403).
    cases = [
        (signed_in(citizen), {"supply", "withdraw"}),  # the applicant: supply is a 409 here, withdraw allowed
        (signed_in(clerk), {"supply", "record_payment", "return_result"}),
        (signed_in(leader), {"announce_delay", "refuse", "stop", "approve"}),
    ]
    for client, allowed in cases:
        before, counts = state_of(processing), Counts()
        for action, body in ACTION_BODIES.items():
            if action in allowed:
                continue
            response = _send(client, "post", f"{BASE}/{processing.code}/actions/{action}", body)
            assert response.status_code in (403, 409), (action, response.content)
            if response.status_code == 409:
                assert response.json()["code"] == "dossier_invalid_transition", action
        assert state_of(processing) == before
        counts.assert_unchanged()
    # The applicant sees their dossier; a specialist cannot receive it at the desk.
    assert signed_in(citizen).get(f"{BASE}/{new.code}").status_code == 200
    refused = signed_in(specialist).post(f"{BASE}/{new.code}/actions/accept", {}, content_type="application/json")
    assert refused.status_code == 403
    assert Dossier.objects.get(pk=new.pk).status == DossierStatus.NEW


def test_officials_need_their_second_factor(dossiers_in_play, clerk):
    client = Client()
    client.force_login(clerk)
    response = client.get(f"{BASE}/{dossiers_in_play[0].code}")
    assert response.status_code == 403 and response.json()["code"] == "second_factor_required"


def test_queue_views_put_overdue_first(citizen, version, clerk, specialist):
    from motcua.dossiers import services
    from tests.dossiers.factories import at

    early = services.dossier_forward(actor=clerk, dossier=received(citizen, version, clerk, at=at(2)), at=at(2, 10))
    late = services.dossier_forward(actor=clerk, dossier=received(citizen, version, clerk, at=at(2, 8)), at=at(2, 10))
    # The queue works on the real "now": one appointment long passed, the other next week.
    from django.utils import timezone

    Dossier.objects.filter(pk=late.pk).update(due_at=timezone.now() - dt.timedelta(days=30))
    Dossier.objects.filter(pk=early.pk).update(due_at=timezone.now() + dt.timedelta(days=7))
    expert = signed_in(specialist)
    codes = [item["code"] for item in expert.get(BASE, {"view": "open"}).json()["items"]]
    assert codes == [late.code, early.code]
    assert [item["code"] for item in expert.get(BASE).json()["items"]] == codes  # "open" is the default
    overdue = expert.get(BASE, {"view": "overdue"}).json()
    assert [item["code"] for item in overdue["items"]] == [late.code] and overdue["items"][0]["is_overdue"]
    assert expert.get(BASE, {"view": "awaiting_supplement"}).json()["count"] == 0
    assert expert.get(BASE, {"view": "nonsense"}).status_code == 422
    assert expert.get(BASE, {"q": early.code}).json()["items"][0]["code"] == early.code


def test_recording_a_payment_at_the_counter_over_the_api(citizen, version, clerk, specialist):
    """The status-6 action records the open obligation only (409 outside status 6); the per-bill endpoint any open
    bill of the dossier; only the dossier's clerks; a wrong amount changes nothing."""
    from motcua.dossiers import services

    dossier = services.dossier_forward(actor=clerk, dossier=received(citizen, version, clerk))
    desk = signed_in(clerk)
    outside = desk.post(
        f"{BASE}/{dossier.code}/actions/record_payment", {"amount": 1000}, content_type="application/json"
    )
    assert outside.status_code == 409 and outside.json()["code"] == "dossier_invalid_transition"
    asked = signed_in(specialist).post(
        f"{BASE}/{dossier.code}/actions/request_payment",
        {"fee_codes": ["LLTP"], "note": "Cấp thêm phiếu", "expected_step": "tham_dinh"},
        content_type="application/json",
    )
    assert asked.status_code == 200 and asked.json()["status"] == "financial_obligation"
    obligation = next(item for item in asked.json()["payments"] if item["purpose"] == "dossier_obligation")
    assert (obligation["amount"], obligation["status"], obligation["lines"][0]["code"]) == (200000, "open", "LLTP")
    both = signed_in(specialist).post(
        f"{BASE}/{dossier.code}/actions/request_payment",
        {"amount": 5000, "fee_codes": ["LLTP"]},
        content_type="application/json",
    )
    assert both.status_code == 409  # already waiting for the applicant: no second obligation

    before, counts = state_of(dossier), Counts()
    by_specialist = signed_in(specialist).post(
        f"{BASE}/{dossier.code}/actions/record_payment", {"amount": 200000}, content_type="application/json"
    )
    assert by_specialist.status_code == 403
    wrong = desk.post(f"{BASE}/{dossier.code}/actions/record_payment", {"amount": 1}, content_type="application/json")
    assert wrong.status_code == 422 and "amount" in wrong.json()["details"]
    assert state_of(dossier) == before
    counts.assert_unchanged()
    paid = desk.post(
        f"{BASE}/{dossier.code}/actions/record_payment",
        {"amount": 200000, "reference": "0000777"},
        content_type="application/json",
    )
    assert paid.status_code == 200 and paid.json()["status"] == "processing"
    assert {item["status"] for item in paid.json()["payments"]} == {"paid"}
