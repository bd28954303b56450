"""The feedback API: a journey over HTTP, the public endpoints, and an authorisation matrix of every endpoint (the
right actor may, every wrong one is refused and nothing changes)."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from motcua.accounts.services import api_client_create
from motcua.core.permissions import SYSTEM
from motcua.feedback import services
from motcua.feedback.models import Feedback, FeedbackStatus
from tests.feedback.conftest import (
    LLTP,
    PDF_BYTES,
    PNG_BYTES,
    QN_HA_LONG,
    Counts,
    accepted,
    anonymous,
    answered,
    approved,
    assigned,
    published,
    signed_in,
    state_of,
    submit,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
BASE = "/api/v1/feedback"
S = FeedbackStatus


def form(**overrides):
    data = {
        "subject_kind": "procedure",
        "procedure": LLTP,
        "title": "Thời hạn cấp Phiếu lý lịch tư pháp",
        "content": "Thời hạn tính từ khi nào?",
        "name": "Trần Thị Bích",
        "phone": "0987654321",
        "publication_consent": "true",
    }
    data.update(overrides)
    return data


def post(client: Client, path: str, body: dict | None = None):
    return client.post(f"{BASE}{path}", body or {}, content_type="application/json")


def file(name: str, content: bytes):
    stream = io.BytesIO(content)
    stream.name = name
    return stream


def _system_client() -> Client:
    """Another agency's system, signed in with its API client credentials."""
    client, secret = api_client_create(actor=SYSTEM, name="Cổng tỉnh", organisation_code=QN_HA_LONG, scopes=[])
    return Client(headers={"Authorization": f"Bearer {client.client_id}.{secret}"})


# ----------------------------------------------------------------------------- journey


def test_journey_over_the_api(directory, receiver, handler, leader, citizen):
    created = anonymous().post(BASE, form(attachments=[file("anh.png", PNG_BYTES), file("don.pdf", PDF_BYTES)]))
    assert created.status_code == 201, created.content
    data = created.json()
    code, secret = data["code"], data["lookup_secret"]
    assert data["status"] == "new" and data["agency"]["code"] == "000.00.01.H49" and len(secret) == 10
    assert Feedback.objects.get(code=code).attachments.count() == 2

    desk = signed_in(receiver)
    queue = desk.get(f"{BASE}/queue", {"view": "to_receive", "q": "ly lich"}).json()
    assert [item["code"] for item in queue["items"]] == [code] and queue["count"] == 1
    detail = desk.get(f"{BASE}/{code}").json()
    assert detail["allowed_actions"] == ["accept", "refuse", "return", "forward", "request_info"]
    assert detail["submitter_phone"] == "0987654321"
    asked = post(desk, f"/{code}/actions/request_info", {"question": "Mã hồ sơ của bạn?"})
    assert asked.status_code == 200 and asked.json()["status"] == "needs_info"

    followed = anonymous().get(f"{BASE}/follow", {"code": code, "secret": secret}).json()
    assert followed["status"] == "needs_info" and followed["question"] == "Mã hồ sơ của bạn?"
    assert followed["answer"] is None and "submitter_phone" not in followed
    supplied = post(anonymous(), "/follow/supplement", {"code": code, "secret": secret, "text": "Mã 000.1"})
    assert supplied.status_code == 200 and supplied.json()["status"] == "accepted"

    assert post(desk, f"/{code}/actions/assign", {"assignee_id": str(handler.pk)}).json()["status"] == "assigned"
    expert = signed_in(handler)
    assert [i["code"] for i in expert.get(f"{BASE}/queue", {"view": "mine"}).json()["items"]] == [code]
    answer = post(
        expert,
        f"/{code}/actions/answer",
        {"answer": "Tính từ ngày tiếp nhận.", "published_question": "Công dân hỏi thời hạn."},
    )
    assert answer.json()["status"] == "answered"
    head = signed_in(leader)
    assert post(head, f"/{code}/actions/approve", {}).json()["status"] == "awaiting_publication"
    assert post(head, f"/{code}/actions/publish", {}).json()["status"] == "published"
    history = head.get(f"{BASE}/{code}/history").json()
    assert [line["action"] for line in history] == [
        "submit",
        "request_info",
        "supplement",
        "assign",
        "answer",
        "approve",
        "publish",
    ]
    assert all(line["is_on_time"] in (True, None) for line in history)

    public = anonymous().get(f"{BASE}/public", {"q": "thoi han"}).json()
    assert [item["code"] for item in public["items"]] == [code]
    item = anonymous().get(f"{BASE}/public/{code}").json()
    assert item["question"] == "Công dân hỏi thời hạn." and "Bích" not in str(item)
    vote = post(signed_in(citizen), f"/public/{code}/vote", {"value": "like"})
    assert vote.status_code == 200 and vote.json() == {
        "code": code,
        "value": "like",
        "like_count": 1,
        "dislike_count": 0,
    }
    final = anonymous().get(f"{BASE}/follow", {"code": code, "secret": secret}).json()
    assert final["answer"] == "Tính từ ngày tiếp nhận." and final["is_published"] is True


def test_a_signed_in_citizen_submits_and_follows_through_the_account(directory, citizen, receiver):
    client = signed_in(citizen)
    created = client.post(BASE, form(name="", phone=""))
    assert created.status_code == 201
    code = created.json()["code"]
    assert Feedback.objects.get(code=code).submitter == citizen
    mine = client.get(f"{BASE}/mine").json()
    assert [item["code"] for item in mine["items"]] == [code]
    view = client.get(f"{BASE}/{code}").json()
    assert view["code"] == code and "allowed_actions" not in view and view["answer"] is None
    feedback = Feedback.objects.get(code=code)
    services.feedback_request_info(actor=receiver, feedback=feedback, question="Thêm ảnh.")
    supplied = post(client, f"/{code}/actions/supplement", {"text": "Đã có ảnh."})
    assert supplied.status_code == 200 and supplied.json()["status"] == "accepted"


def test_bad_submissions_over_the_api(directory, settings):
    counts = Counts()
    missing = anonymous().post(BASE, form(phone=""))
    assert missing.status_code == 422 and "phone" in missing.json()["details"]
    unknown = anonymous().post(BASE, form(subject_kind="weather"))
    assert unknown.status_code == 422
    disguised = anonymous().post(BASE, form(attachments=[file("hop-dong.pdf", PNG_BYTES)]))
    assert disguised.status_code == 422 and "attachments" in disguised.json()["details"]
    settings.DOSSIER_UPLOAD_MAX_BYTES = 40
    large = anonymous().post(BASE, form(attachments=[file("to-khai.pdf", PDF_BYTES + b"0" * 100)]))
    assert large.status_code == 422
    counts.assert_unchanged()
    settings.FEEDBACK_SUBMIT_RATE_PER_HOUR = 0
    limited = anonymous().post(BASE, form())
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
    counts.assert_unchanged()


def test_a_signed_in_session_must_send_its_csrf_token(directory, citizen):
    client = Client(enforce_csrf_checks=True)
    client.force_login(citizen)
    refused = client.post(BASE, form())
    assert refused.status_code == 403
    # Without a session there is nothing to forge: people without an account submit without a token.
    assert Client(enforce_csrf_checks=True).post(BASE, form()).status_code == 201
    assert Feedback.objects.filter(submitter=citizen).count() == 0


def test_officials_and_other_systems_cannot_submit(directory, handler):
    refused = signed_in(handler).post(BASE, form())
    assert refused.status_code == 403 and refused.json()["code"] == "feedback_official_account"
    system = _system_client()
    refused = system.post(BASE, form())
    assert refused.status_code == 403 and refused.json()["code"] == "feedback_person_required"
    forged = Client(headers={"Authorization": "Bearer someone.wrong"}).post(BASE, form())
    assert forged.status_code == 401
    assert Feedback.objects.count() == 0


# ----------------------------------------------------------------------------- authorisation matrix


def test_read_endpoints_refuse_the_wrong_people(
    directory, receiver, handler, leader, citizen, other_citizen, foreign_leader
):
    mine = submit(citizen)
    shown = published(receiver, handler, leader)
    hidden = answered(receiver, handler)
    for path in ("/queue", "/mine", f"/{mine.code}", f"/{mine.code}/history"):
        assert anonymous().get(f"{BASE}{path}").status_code == 401, path
    assert signed_in(citizen).get(f"{BASE}/queue").status_code == 403
    assert signed_in(foreign_leader).get(f"{BASE}/queue").json()["items"] == []
    for outsider in (other_citizen, foreign_leader):
        assert signed_in(outsider).get(f"{BASE}/{mine.code}").status_code == 404
    assert signed_in(citizen).get(f"{BASE}/{mine.code}/history").status_code == 404
    assert signed_in(other_citizen).get(f"{BASE}/mine").json()["items"] == []
    assert anonymous().get(f"{BASE}/public/{shown.code}").status_code == 200
    assert anonymous().get(f"{BASE}/public/{hidden.code}").status_code == 404
    assert anonymous().get(f"{BASE}/follow", {"code": mine.code, "secret": "WRONGSECRET"}).status_code == 404


def test_follow_supplement_with_a_wrong_secret_changes_nothing(directory, receiver):
    feedback = services.feedback_request_info(actor=receiver, feedback=submit(), question="Thêm thông tin.")
    before, counts = state_of(feedback), Counts()
    refused = post(anonymous(), "/follow/supplement", {"code": feedback.code, "secret": "WRONGSECRET", "text": "X"})
    assert refused.status_code == 404
    assert state_of(feedback) == before
    counts.assert_unchanged()


def test_votes_need_a_person(directory, receiver, handler, leader):
    feedback = published(receiver, handler, leader)
    system = _system_client()
    counts = Counts()
    assert post(anonymous(), f"/public/{feedback.code}/vote", {"value": "like"}).status_code == 401
    assert post(system, f"/public/{feedback.code}/vote", {"value": "like"}).status_code == 403
    counts.assert_unchanged()


def _build(stage, receiver, handler, leader, citizen):
    builders = {
        "new": lambda: submit(citizen),
        "accepted": lambda: accepted(receiver),
        "needs_info": lambda: services.feedback_request_info(actor=receiver, feedback=submit(citizen), question="?"),
        "assigned": lambda: assigned(receiver, handler),
        "answered": lambda: answered(receiver, handler),
        "approved": lambda: approved(receiver, handler, leader),
    }
    return builders[stage]()


# (action, state it is taken from, body, who may, an official of the agency who may not)
MATRIX = [
    ("accept", "new", {}, "receiver", "handler"),
    ("refuse", "new", {"reason": "Không thuộc phạm vi."}, "receiver", "handler"),
    ("return", "accepted", {"reason": "Không thuộc thẩm quyền."}, "receiver", "handler"),
    ("forward", "new", {"agency": QN_HA_LONG}, "receiver", "handler"),
    ("request_info", "accepted", {"question": "Mã hồ sơ?"}, "receiver", "handler"),
    ("assign", "accepted", {"assignee_id": "HANDLER"}, "receiver", "handler"),
    ("answer", "assigned", {"answer": "Trả lời."}, "handler", "leader"),
    ("approve", "answered", {}, "leader", "handler"),
    ("send_back", "answered", {"reason": "Bổ sung căn cứ."}, "leader", "receiver"),
    ("publish", "approved", {}, "leader", "handler"),
    ("close", "approved", {"reason": "Không công khai."}, "leader", "receiver"),
]


@pytest.mark.parametrize(("action", "stage", "body", "allowed", "insider"), MATRIX, ids=[row[0] for row in MATRIX])
def test_every_action_endpoint_refuses_every_wrong_actor(
    directory, receiver, handler, leader, citizen, other_citizen, foreign_leader, action, stage, body, allowed, insider
):
    people = {"receiver": receiver, "handler": handler, "leader": leader}
    feedback = _build(stage, receiver, handler, leader, citizen)
    body = {key: (str(handler.pk) if value == "HANDLER" else value) for key, value in body.items()}
    path = f"/{feedback.code}/actions/{action}"
    before, counts = state_of(feedback), Counts()

    assert post(anonymous(), path, body).status_code == 401
    assert post(signed_in(citizen), path, body).status_code == 404  # even the submitter: not an official action
    assert post(signed_in(other_citizen), path, body).status_code == 404
    assert post(signed_in(foreign_leader), path, body).status_code == 404
    refused = post(signed_in(people[insider]), path, body)
    assert refused.status_code == 403, refused.content
    assert state_of(feedback) == before
    counts.assert_unchanged()

    done = post(signed_in(people[allowed]), path, body)
    assert done.status_code == 200, done.content
    assert Feedback.objects.get(pk=feedback.pk).status != S.NEW or action == "forward"


def test_a_wrong_transition_over_the_api_is_409(directory, receiver, handler, leader):
    feedback = published(receiver, handler, leader)
    before = state_of(feedback)
    refused = post(signed_in(leader), f"/{feedback.code}/actions/approve", {})
    assert refused.status_code == 409 and refused.json()["code"] == "feedback_invalid_transition"
    assert state_of(feedback) == before


def test_the_supplement_endpoint_is_the_submitters_only(directory, receiver, citizen, other_citizen):
    feedback = services.feedback_request_info(actor=receiver, feedback=submit(citizen), question="?")
    before, counts = state_of(feedback), Counts()
    path = f"/{feedback.code}/actions/supplement"
    assert post(anonymous(), path, {"text": "X"}).status_code == 401
    assert post(signed_in(other_citizen), path, {"text": "X"}).status_code == 404
    assert post(signed_in(receiver), path, {"text": "X"}).status_code == 404
    assert state_of(feedback) == before
    counts.assert_unchanged()
    assert post(signed_in(citizen), path, {"text": "Đây."}).status_code == 200
