"""The feedback pages: the public (search, answer, vote, send, follow, supplement, my feedback) and the officials
(queue, handling page, one form per action). Each page refuses the wrong people and a refused form changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from motcua.feedback import services
from motcua.feedback.models import Feedback, FeedbackAttachment, FeedbackStatus
from motcua.feedback.views.public import VOTER_COOKIE
from tests.feedback.conftest import (
    LLTP,
    MONDAY,
    PDF_BYTES,
    PNG_BYTES,
    QN_JUSTICE,
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
S = FeedbackStatus


def send_data(**overrides):
    data = {
        "subject_kind": "procedure",
        "procedure": LLTP,
        "agency": "",
        "dossier": "",
        "title": "Thời hạn cấp Phiếu lý lịch tư pháp",
        "content": "Tôi muốn biết thời hạn tính từ khi nào.",
        "name": "Trần Thị Bích",
        "phone": "0987 654 321",
        "email": "",
        "publication_consent": "on",
    }
    data.update(overrides)
    return data


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []


# ----------------------------------------------------------------------------- published answers


def test_the_public_searches_answers_without_diacritics_and_reads_one(directory, receiver, handler, leader):
    feedback = published(receiver, handler, leader, content="Tôi là Trần Thị Bích, số 0987654321.")
    hidden = answered(receiver, handler, title="Chưa công bố")
    client = anonymous()

    page = client.get(reverse("feedback:index"), {"q": "thoi han ly lich"})
    assert page.status_code == 200
    html = page.content.decode()
    assert feedback.published_title in html and hidden.title not in html
    assert "1 published answer" in html
    stale_filter = client.get(reverse("feedback:index"), {"q": "thoi han", "agency": "000.00.99.H99"})
    assert [item.code for item in stale_filter.context["page"].object_list] == [feedback.code]
    partial = client.get(
        reverse("feedback:index"), {"q": "khong co"}, headers={"HX-Request": "true", "HX-Target": "answer-results"}
    )
    assert (
        partial.content.decode().startswith('<div id="answer-results">')
        and "No published answer" in partial.content.decode()
    )

    answer = client.get(reverse("feedback:answer", kwargs={"code": feedback.code}))
    body = answer.content.decode()
    assert answer.status_code == 200 and feedback.answer in body and feedback.published_question in body
    assert "Bích" not in body and "0987654321" not in body and feedback.content not in body
    assert client.get(reverse("feedback:answer", kwargs={"code": hidden.code})).status_code == 404


def test_a_browser_without_an_account_votes_once_and_may_change_its_vote(directory, receiver, handler, leader):
    feedback = published(receiver, handler, leader)
    url = reverse("feedback:vote", kwargs={"code": feedback.code})
    browser = anonymous()
    first = browser.post(url, {"value": "like"})
    assert first.status_code == 303 and VOTER_COOKIE in first.cookies
    browser.post(url, {"value": "like"})
    assert Feedback.objects.get(pk=feedback.pk).like_count == 1
    changed = browser.post(url, {"value": "dislike"}, headers={"HX-Request": "true"})
    assert changed.status_code == 200 and 'id="vote-box"' in changed.content.decode()
    assert 'aria-pressed="true"' in changed.content.decode()
    stored = Feedback.objects.get(pk=feedback.pk)
    assert (stored.like_count, stored.dislike_count) == (0, 1)
    # Another browser is another vote; a forged cookie is no cookie (a new token is issued).
    other = anonymous()
    other.cookies[VOTER_COOKIE] = "forged-value"
    other.post(url, {"value": "like"})
    assert Feedback.objects.get(pk=feedback.pk).like_count == 1


def test_votes_are_refused_on_unpublished_feedback_and_without_a_valid_value(directory, receiver, citizen):
    feedback = accepted(receiver)
    client = signed_in(citizen)
    assert client.post(reverse("feedback:vote", kwargs={"code": feedback.code}), {"value": "like"}).status_code == 404
    counts = Counts()
    response = client.post(reverse("feedback:vote", kwargs={"code": "PAKN-000000-0000"}), {"value": "like"})
    assert response.status_code == 404
    counts.assert_unchanged()


def test_anonymous_votes_are_rate_limited(directory, receiver, handler, leader, settings):
    settings.FEEDBACK_VOTE_RATE_PER_MINUTE = 1
    feedback = published(receiver, handler, leader)
    url = reverse("feedback:vote", kwargs={"code": feedback.code})
    anonymous().post(url, {"value": "like"})
    limited = anonymous().post(url, {"value": "like"}, headers={"HX-Request": "true"})
    assert limited.status_code == 429 and "Too many votes" in limited.content.decode()
    assert Feedback.objects.get(pk=feedback.pk).like_count == 1


# ----------------------------------------------------------------------------- sending


def test_someone_without_an_account_sends_feedback_with_files_and_sees_the_secret_once(directory):
    client = anonymous()
    form = client.get(reverse("feedback:send"), {"procedure": LLTP})
    assert form.status_code == 200 and form.context["form"].initial["subject_kind"] == "procedure"
    data = send_data(
        attachments=[
            SimpleUploadedFile("anh.png", PNG_BYTES, content_type="image/png"),
            SimpleUploadedFile("don.pdf", PDF_BYTES, content_type="application/pdf"),
        ]
    )
    response = client.post(reverse("feedback:send"), data)
    feedback = Feedback.objects.get()
    assert response.status_code == 302 and response.url == reverse("feedback:sent", kwargs={"code": feedback.code})
    assert feedback.submitter is None and feedback.submitter_phone == "0987 654 321"
    assert feedback.language == "en" and feedback.publication_consent
    assert FeedbackAttachment.objects.filter(feedback=feedback).count() == 2

    shown = client.get(response.url).content.decode()
    secret = re.search(r'id="feedback-secret">([A-Z0-9]+)<', shown).group(1)
    assert len(secret) == 10
    assert 'id="feedback-secret"' not in client.get(response.url).content.decode()  # shown once
    # The same browser follows it without typing the secret; another browser needs it.
    assert client.get(reverse("feedback:follow_detail", kwargs={"code": feedback.code})).status_code == 200
    stranger = anonymous()
    redirected = stranger.get(reverse("feedback:follow_detail", kwargs={"code": feedback.code}))
    assert redirected.status_code == 302 and redirected.url.startswith(reverse("feedback:follow"))
    found = stranger.post(reverse("feedback:follow"), {"code": feedback.code.lower(), "secret": secret.lower()})
    assert found.status_code == 302
    assert stranger.get(found.url).context["feedback"] == feedback


def test_a_signed_in_citizen_has_the_form_prefilled_and_lists_their_feedback(directory, citizen, other_citizen):
    client = signed_in(citizen)
    form = client.get(reverse("feedback:send"))
    assert form.context["form"].initial["name"] == "Nguyễn Thị Hoa"
    assert "dossier_secret" not in form.context["form"].fields
    response = client.post(reverse("feedback:send"), send_data(name="", phone="", email=""))
    assert response.status_code == 302
    mine = Feedback.objects.get(submitter=citizen)
    assert mine.submitter_name == "Nguyễn Thị Hoa" and mine.submitter_email == "hoa@example.vn"
    submit(other_citizen, title="Của người khác")
    listing = client.get(reverse("feedback:mine")).content.decode()
    assert mine.code in listing and "Của người khác" not in listing
    assert client.get(reverse("feedback:follow_detail", kwargs={"code": mine.code})).status_code == 200
    other = Feedback.objects.get(submitter=other_citizen)
    assert client.get(reverse("feedback:follow_detail", kwargs={"code": other.code})).status_code == 404


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"phone": "", "email": ""}, "phone"),
        ({"title": ""}, "title"),
        ({"procedure": ""}, "procedure"),
        ({"subject_kind": "dossier"}, "dossier"),
    ],
)
def test_bad_input_comes_back_on_the_form_and_nothing_is_kept(directory, overrides, field):
    counts = Counts()
    response = anonymous().post(reverse("feedback:send"), send_data(**overrides))
    assert response.status_code == 422
    assert field in response.context["form"].errors
    counts.assert_unchanged()


def test_a_disguised_or_oversized_file_is_refused_on_the_form(directory, settings):
    counts = Counts()
    disguised = SimpleUploadedFile("hop-dong.pdf", PNG_BYTES, content_type="application/pdf")
    response = anonymous().post(reverse("feedback:send"), send_data(attachments=[disguised]))
    assert response.status_code == 422 and "hop-dong.pdf" in str(response.context["form"].errors["attachments"])
    settings.DOSSIER_UPLOAD_MAX_BYTES = 40
    large = SimpleUploadedFile("to-khai.pdf", PDF_BYTES + b"0" * 100, content_type="application/pdf")
    response = anonymous().post(reverse("feedback:send"), send_data(attachments=[large]))
    assert response.status_code == 422
    counts.assert_unchanged()


def test_submissions_are_rate_limited_per_address(directory, settings):
    settings.FEEDBACK_SUBMIT_RATE_PER_HOUR = 1
    assert anonymous().post(reverse("feedback:send"), send_data()).status_code == 302
    limited = anonymous().post(reverse("feedback:send"), send_data())
    assert limited.status_code == 429 and Feedback.objects.count() == 1


def test_an_official_account_is_told_to_send_feedback_as_a_person(directory, handler):
    response = signed_in(handler).get(reverse("feedback:send"))
    assert response.status_code == 403 and "official account" in response.content.decode()


# ----------------------------------------------------------------------------- following and supplementing


def test_the_submitter_answers_the_agencys_question_on_the_follow_up_page(directory, receiver):
    feedback = submit()
    secret = feedback.lookup_secret
    services.feedback_request_info(actor=receiver, feedback=feedback, question="Cho biết mã hồ sơ của bạn.")
    client = anonymous()
    client.post(reverse("feedback:follow"), {"code": feedback.code, "secret": secret})
    page = client.get(reverse("feedback:follow_detail", kwargs={"code": feedback.code}))
    assert "Cho biết mã hồ sơ của bạn." in page.content.decode() and page.context["supplement_form"] is not None
    # Officials' names are not shown to the submitter.
    assert receiver.full_name not in page.content.decode()

    url = reverse("feedback:follow_supplement", kwargs={"code": feedback.code})
    empty = client.post(url, {"text": ""})
    assert empty.status_code == 422 and Feedback.objects.get(pk=feedback.pk).status == S.NEEDS_INFO
    done = client.post(
        url, {"text": "Mã hồ sơ 000.00.20.H49-260302-0001", "attachments": [SimpleUploadedFile("a.png", PNG_BYTES)]}
    )
    assert done.status_code == 303
    feedback.refresh_from_db()
    assert feedback.status == S.ACCEPTED
    attachment = FeedbackAttachment.objects.get(feedback=feedback)
    download = client.get(
        reverse("feedback:follow_file", kwargs={"code": feedback.code, "attachment_id": attachment.pk})
    )
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert (
        anonymous()
        .get(reverse("feedback:follow_file", kwargs={"code": feedback.code, "attachment_id": attachment.pk}))
        .status_code
        == 404
    )
    assert anonymous().post(url, {"text": "Giả mạo"}).status_code == 404


def test_follow_with_a_wrong_secret_says_not_found_and_is_rate_limited(directory, settings):
    feedback = submit()
    settings.FEEDBACK_LOOKUP_RATE_PER_MINUTE = 2
    client = anonymous()
    wrong = client.post(reverse("feedback:follow"), {"code": feedback.code, "secret": "WRONGWRONG"})
    assert wrong.status_code == 404 and "No feedback matches" in wrong.content.decode()
    missing = client.post(reverse("feedback:follow"), {"code": "PAKN-000000-0000", "secret": "WRONGWRONG"})
    assert missing.status_code == 404
    limited = client.post(reverse("feedback:follow"), {"code": feedback.code, "secret": feedback.lookup_secret})
    assert limited.status_code == 429


def test_the_submitter_reads_the_answer_once_approved_not_the_draft(directory, receiver, handler, leader, citizen):
    feedback = services.feedback_accept(actor=receiver, feedback=submit(citizen))
    feedback = services.feedback_assign(actor=receiver, feedback=feedback, assignee=handler)
    feedback = services.feedback_answer(actor=handler, feedback=feedback, answer="Bản nháp trả lời.")
    client = signed_in(citizen)
    url = reverse("feedback:follow_detail", kwargs={"code": feedback.code})
    assert "Bản nháp trả lời." not in client.get(url).content.decode()
    services.feedback_approve(actor=leader, feedback=feedback)
    assert "Bản nháp trả lời." in client.get(url).content.decode()


# ----------------------------------------------------------------------------- officials


def act(client, feedback, action, *, seen=None, **fields):
    feedback.refresh_from_db()
    data = {f"{action}-seen_status": seen if seen is not None else feedback.status}
    data.update({f"{action}-{name}": value for name, value in fields.items()})
    return client.post(reverse("feedback:work_action", kwargs={"code": feedback.code, "action": action}), data)


def test_the_queue_shows_the_agencys_feedback_overdue_first_and_nobody_elses(
    directory, receiver, foreign_leader, citizen, ward_clerk
):
    overdue = submit(at=MONDAY)
    fresh = submit(at=dt.datetime.now(tz=MONDAY.tzinfo))
    client = signed_in(receiver)
    response = client.get(reverse("feedback:work"))
    assert response.status_code == 200
    assert [row["feedback"].code for row in response.context["rows"]] == [overdue.code, fresh.code]
    html = response.content.decode()
    assert "Overdue by" in html and "row--overdue" in html
    counts = {tab: count for tab, _label, count in response.context["tabs"]}
    assert counts["overdue"] == 1 and counts["to_receive"] == 2
    search = client.get(reverse("feedback:work"), {"q": overdue.code.lower(), "view": "all"})
    assert [row["feedback"].code for row in search.context["rows"]] == [overdue.code]

    assert signed_in(foreign_leader).get(reverse("feedback:work")).context["rows"] == []
    assert signed_in(ward_clerk).get(reverse("feedback:work")).context["rows"] == []
    assert signed_in(citizen).get(reverse("feedback:work")).status_code == 403
    assert anonymous().get(reverse("feedback:work")).status_code == 302  # to sign in


def test_officials_handle_a_feedback_through_the_pages(directory, receiver, handler, leader, sent):
    feedback = submit()
    desk, expert, head = signed_in(receiver), signed_in(handler), signed_in(leader)

    page = desk.get(reverse("feedback:work_detail", kwargs={"code": feedback.code}))
    assert [item["action"] for item in page.context["action_forms"]] == [
        "accept",
        "request_info",
        "forward",
        "return",
        "refuse",
    ]
    assert act(desk, feedback, "accept", note="").status_code == 303
    assert act(desk, feedback, "assign", assignee=str(handler.pk)).status_code == 303
    assert signed_in(handler).get(reverse("feedback:work")).status_code == 200
    answer = act(
        expert,
        feedback,
        "answer",
        answer="Thời hạn tính từ ngày tiếp nhận.",
        published_title="Thời hạn cấp phiếu",
        published_question="Công dân hỏi thời hạn cấp phiếu.",
    )
    assert answer.status_code == 303
    approve_page = head.get(reverse("feedback:work_detail", kwargs={"code": feedback.code}))
    assert [item["action"] for item in approve_page.context["action_forms"]] == ["approve", "send_back"]
    assert act(head, feedback, "approve", answer="", note="").status_code == 303
    publish_page = head.get(reverse("feedback:work_detail", kwargs={"code": feedback.code}))
    form = publish_page.context["action_forms"][0]["form"]
    assert form.initial["published_question"] == "Công dân hỏi thời hạn cấp phiếu."
    done = act(head, feedback, "publish", published_title="Thời hạn cấp phiếu", published_question="Công dân hỏi.")
    assert done.status_code == 303
    feedback.refresh_from_db()
    assert feedback.status == S.PUBLISHED and feedback.published_question == "Công dân hỏi."
    detail = head.get(reverse("feedback:work_detail", kwargs={"code": feedback.code})).content.decode()
    assert "on time" in detail and 'id="history"' in detail


def test_a_form_error_or_a_stale_page_changes_nothing(directory, receiver, handler):
    feedback = accepted(receiver)
    client = signed_in(receiver)
    before, counts = state_of(feedback), Counts()
    invalid = act(client, feedback, "return", reason="")
    forms = {item["action"]: item for item in invalid.context["action_forms"]}
    assert invalid.status_code == 422 and "reason" in forms["return"]["form"].errors and forms["return"]["is_open"]
    closed = act(client, feedback, "refuse", reason="Không thể từ chối khi đã tiếp nhận.")
    assert closed.status_code == 303
    assert any("not open to you" in message for message in messages_of(client.get(closed.url)))
    stale = act(client, feedback, "assign", seen="new", assignee=str(handler.pk))
    assert stale.status_code == 303
    follow = client.get(stale.url)
    assert any("Someone else acted" in message for message in messages_of(follow))
    assert state_of(feedback) == before
    counts.assert_unchanged()


def test_the_wrong_official_is_refused_and_nothing_changes(directory, receiver, handler, leader, foreign_leader):
    feedback = assigned(receiver, handler)
    before, counts = state_of(feedback), Counts()
    # The leader sees the feedback but may not answer it: the page says so.
    head = signed_in(leader)
    refused = act(head, feedback, "answer", answer="Trả lời thay.")
    assert refused.status_code == 303
    assert any("not open to you" in message for message in messages_of(head.get(refused.url)))
    # Another province's leader does not even see it.
    assert act(signed_in(foreign_leader), feedback, "answer", answer="Trả lời.").status_code == 404
    assert (
        signed_in(foreign_leader).get(reverse("feedback:work_detail", kwargs={"code": feedback.code})).status_code
        == 404
    )
    assert act(signed_in(receiver), feedback, "unknown").status_code == 404
    assert state_of(feedback) == before
    counts.assert_unchanged()


def test_officials_download_attachments_of_their_agencys_feedback_only(directory, receiver, foreign_leader):
    from tests.feedback.conftest import upload

    feedback = submit(attachments=[upload("don.pdf", PDF_BYTES)])
    attachment = FeedbackAttachment.objects.get(feedback=feedback)
    url = reverse("feedback:work_file", kwargs={"code": feedback.code, "attachment_id": attachment.pk})
    response = signed_in(receiver).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF_BYTES
    assert signed_in(foreign_leader).get(url).status_code == 404


def test_the_workspace_links_the_feedback_queue_for_feedback_roles_only(directory, receiver, foreign_leader):
    from motcua.agencies.models import Role
    from tests.feedback.conftest import official_in

    assert reverse("feedback:work") in signed_in(receiver).get(reverse("web:workspace")).content.decode()
    auditor = official_in(QN_JUSTICE, Role.AUDITOR)
    assert reverse("feedback:work") not in signed_in(auditor).get(reverse("web:workspace")).content.decode()


def test_the_menu_and_home_page_lead_to_feedback(db):
    html = anonymous().get(reverse("web:home")).content.decode()
    assert html.count(f'href="{reverse("feedback:index")}"') == 2


def test_an_approved_answer_without_consent_offers_only_closing(directory, receiver, handler, leader):
    feedback = approved(receiver, handler, leader, publication_consent=False)
    page = signed_in(leader).get(reverse("feedback:work_detail", kwargs={"code": feedback.code}))
    assert [item["action"] for item in page.context["action_forms"]] == ["close"]
    assert act(signed_in(leader), feedback, "close", reason="").status_code == 303
    assert Feedback.objects.get(pk=feedback.pk).status == S.CLOSED
