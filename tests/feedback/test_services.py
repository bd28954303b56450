"""Feedback services: submission by anyone, every transition of the state machine, who may take it, and what a
refused call leaves behind (nothing)."""

from __future__ import annotations

import datetime as dt

import pytest

from motcua.accounts.models import ApiClient
from motcua.agencies.models import Organisation, Role
from motcua.core.exceptions import (
    InvalidState,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from motcua.core.models import AuditEvent
from motcua.dossiers.lookup_secret import secret_matches
from motcua.feedback import services
from motcua.feedback.models import Feedback, FeedbackAttachment, FeedbackEvent, FeedbackStatus
from motcua.feedback.selectors import feedback_actions_available
from tests.dossiers.conftest import submit as dossier_submit
from tests.dossiers.factories import judicial_record_content, version_create
from tests.factories import UserFactory, tax_code
from tests.feedback.conftest import (
    JPEG_BYTES,
    KHAI_SINH,
    LLTP,
    MONDAY,
    PDF_BYTES,
    PNG_BYTES,
    QN_HA_LONG,
    QN_JUSTICE,
    Counts,
    accepted,
    answered,
    approved,
    assigned,
    events_sent,
    official_in,
    published,
    state_of,
    submit,
    upload,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
S = FeedbackStatus


# ----------------------------------------------------------------------------- submission


def test_someone_without_an_account_submits_with_a_contact_and_gets_a_code_and_secret(directory, receiver, sent):
    feedback = submit(attachments=[upload("anh.png", PNG_BYTES), upload("giay.pdf", PDF_BYTES)])

    assert feedback.code == "PAKN-260302-0001"
    assert feedback.status == S.NEW and feedback.submitter is None
    assert feedback.agency.code == QN_JUSTICE  # the procedure's implementing organisation
    assert feedback.field_code == "ly-lich-tu-phap" and feedback.procedure.code == LLTP
    assert feedback.submitter_name == "Trần Thị Bích" and feedback.submitter_phone == "0987654321"
    assert len(feedback.lookup_secret) == 10
    stored = Feedback.objects.get(pk=feedback.pk)
    assert feedback.lookup_secret not in stored.secret_hash
    assert secret_matches(feedback.lookup_secret, stored.secret_hash)
    assert [item.name for item in FeedbackAttachment.objects.filter(feedback=feedback)] == ["anh.png", "giay.pdf"]
    assert {item.content_type for item in FeedbackAttachment.objects.all()} == {"image/png", "application/pdf"}
    history = FeedbackEvent.objects.get(feedback=feedback)
    assert history.action == "submit" and history.to_status == S.NEW and history.actor is None
    audit = AuditEvent.objects.get(action="feedback.submit")
    assert audit.actor_label == "anonymous" and "secret_hash" not in audit.after
    assert events_sent(sent) == ["feedback.received", "feedback.new_for_agency"]
    assert sent[0]["recipients"][0].phone == "0987654321" and sent[0]["recipients"][0].user is None
    assert [r.user for r in sent[1]["recipients"]] == [receiver]
    assert sent[0]["link"] == f"/feedback/follow/?code={feedback.code}"


def test_a_signed_in_citizen_has_name_and_contact_from_the_account(directory, citizen, sent):
    feedback = submit(citizen)

    assert feedback.submitter == citizen
    assert (feedback.submitter_name, feedback.submitter_phone, feedback.submitter_email) == (
        "Nguyễn Thị Hoa",
        "0912345678",
        "hoa@example.vn",
    )
    assert sent[0]["recipients"][0].user == citizen
    assert sent[0]["link"] == f"/feedback/follow/{feedback.code}/"


def test_a_business_submits_about_an_agency(directory):
    business = UserFactory(kind="business", personal_id="", tax_code=tax_code(), organisation_name="Công ty Hạ Long")
    feedback = submit(business, subject_kind="agency", agency_code=QN_HA_LONG, procedure_code="")
    assert feedback.agency.code == QN_HA_LONG and feedback.procedure is None
    assert feedback.submitter_name == "Công ty Hạ Long"


def test_codes_follow_each_other_per_local_day(directory):
    first = submit(at=MONDAY)
    second = submit(at=MONDAY + dt.timedelta(hours=3))
    # 23:30 in Hà Nội is still Monday; 00:30 the next morning is Tuesday, even though both are Monday in UTC.
    late = submit(at=dt.datetime(2026, 3, 2, 23, 30, tzinfo=MONDAY.tzinfo))
    next_day = submit(at=dt.datetime(2026, 3, 3, 0, 30, tzinfo=MONDAY.tzinfo))
    assert [f.code for f in (first, second, late, next_day)] == [
        "PAKN-260302-0001",
        "PAKN-260302-0002",
        "PAKN-260302-0003",
        "PAKN-260303-0001",
    ]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"phone": "", "email": ""}, "phone"),
        ({"name": ""}, "name"),
        ({"phone": "call me"}, "phone"),
        ({"phone": "", "email": "not-an-email"}, "email"),
        ({"title": "   "}, "title"),
        ({"content": ""}, "content"),
        ({"title": "x" * 201}, "title"),
        ({"subject_kind": "weather"}, "subject_kind"),
        ({"procedure_code": "9.999999"}, "procedure"),
        ({"procedure_code": ""}, "procedure"),
        ({"subject_kind": "agency", "agency_code": "000.00.99.H99"}, "agency"),
        ({"subject_kind": "dossier", "dossier_code": ""}, "dossier"),
    ],
)
def test_bad_submissions_are_refused_with_the_field_named_and_nothing_kept(directory, overrides, field, sent):
    counts = Counts()
    with pytest.raises(ValidationFailed) as refused:
        submit(**overrides)
    assert field in refused.value.details
    counts.assert_unchanged()
    assert sent == []


def test_an_official_account_or_another_system_cannot_submit(directory, handler):
    with pytest.raises(PermissionDenied) as official:
        submit(handler)
    assert official.value.code == "feedback_official_account"
    client = ApiClient(name="Cổng tỉnh", client_id="qn-portal", secret_hash="x")
    with pytest.raises(PermissionDenied) as system:
        submit(client)
    assert system.value.code == "feedback_person_required"
    assert Feedback.objects.count() == 0


def test_submissions_without_an_account_are_rate_limited_per_address(directory, settings, citizen):
    settings.FEEDBACK_SUBMIT_RATE_PER_HOUR = 2
    submit()
    submit()
    with pytest.raises(RateLimited):
        submit()
    assert Feedback.objects.count() == 2
    # Another address, or a signed-in citizen, is not held back by that address's count.
    services.feedback_submit(
        actor=None,
        subject_kind="procedure",
        procedure_code=LLTP,
        title="Câu hỏi",
        content="Nội dung",
        name="Lê Văn C",
        email="c@example.vn",
        client_address="198.51.100.7",
    )
    submit(citizen)
    assert Feedback.objects.count() == 4


# ----------------------------------------------------------------------------- attachments


def test_disguised_oversized_or_too_many_attachments_are_refused_and_nothing_is_stored(directory, settings):
    counts = Counts()
    with pytest.raises(ValidationFailed) as disguised:
        submit(attachments=[upload("anh.png", PNG_BYTES), upload("hop-dong.pdf", PNG_BYTES)])
    assert "hop-dong.pdf" in disguised.value.details["attachments"][0]
    with pytest.raises(ValidationFailed) as script:
        submit(attachments=[upload("thu.pdf", b"#!/bin/sh\necho pwned\n" * 10)])
    assert "attachments" in script.value.details
    settings.DOSSIER_UPLOAD_MAX_BYTES = 40
    with pytest.raises(ValidationFailed) as large:
        submit(attachments=[upload("to-khai.pdf", PDF_BYTES + b"0" * 100)])
    assert "attachments" in large.value.details
    settings.DOSSIER_UPLOAD_MAX_BYTES = 10 * 1024 * 1024
    settings.FEEDBACK_ATTACHMENTS_MAX = 2
    with pytest.raises(ValidationFailed) as many:
        submit(attachments=[upload("a.jpg", JPEG_BYTES), upload("b.jpg", JPEG_BYTES), upload("c.jpg", JPEG_BYTES)])
    assert "attachments" in many.value.details
    counts.assert_unchanged()


def test_an_attachment_keeps_a_clean_name_and_its_checksum(directory):
    feedback = submit(attachments=[upload("../../etc/ảnh\x00chụp.png", PNG_BYTES)])
    item = FeedbackAttachment.objects.get(feedback=feedback)
    assert item.name == "ảnhchụp.png" and item.size == len(PNG_BYTES)
    assert item.file.name.startswith("feedback/") and item.file.name.endswith(".png")
    assert "chụp" not in item.file.name
    with item.file.open("rb") as stored:
        assert stored.read() == PNG_BYTES


# ----------------------------------------------------------------------------- feedback about a dossier


@pytest.fixture
def dossier(directory, citizen):
    version = version_create(judicial_record_content(code="9.000001"))
    return dossier_submit(citizen, version)


def test_the_applicant_attaches_their_dossier_and_its_processing_agency_handles_it(dossier, citizen):
    feedback = submit(citizen, subject_kind="dossier", dossier_code=dossier.code, procedure_code="")
    assert feedback.dossier == dossier and feedback.agency == dossier.processing_organisation
    assert feedback.agency.code == QN_JUSTICE and feedback.procedure.code == "9.000001"


def test_someone_elses_dossier_gets_the_same_answer_as_no_dossier(dossier, other_citizen):
    answers = []
    for code in (dossier.code, "000.00.20.H49-260302-9999"):
        with pytest.raises(ValidationFailed) as refused:
            submit(other_citizen, subject_kind="dossier", dossier_code=code)
        answers.append(refused.value.details["dossier"])
    assert answers[0] == answers[1] == ["None of your dossiers has this code."]
    assert Feedback.objects.count() == 0


def test_without_an_account_the_dossiers_lookup_secret_proves_it_is_yours(dossier):
    with pytest.raises(ValidationFailed) as missing:
        submit(subject_kind="dossier", dossier_code=dossier.code)
    assert "dossier_secret" in missing.value.details
    with pytest.raises(ValidationFailed) as wrong:
        submit(subject_kind="dossier", dossier_code=dossier.code, dossier_secret="WRONGSECRET")
    assert wrong.value.details["dossier"] == ["No dossier matches this code and lookup secret."]
    feedback = submit(subject_kind="dossier", dossier_code=dossier.code, dossier_secret=dossier.lookup_secret)
    assert feedback.dossier == dossier and feedback.submitter is None


# ----------------------------------------------------------------------------- receipt


def test_a_receiver_accepts_within_the_receipt_deadline(directory, receiver, sent):
    feedback = submit()
    feedback = services.feedback_accept(actor=receiver, feedback=feedback, note="Đúng thẩm quyền", at=MONDAY)
    assert feedback.status == S.ACCEPTED
    assert feedback.due_at == feedback.resolve_due_at  # the answer's deadline is the one that runs now
    line = FeedbackEvent.objects.get(feedback=feedback, action="accept")
    assert line.due_at == feedback.receipt_due_at and line.is_on_time is True
    assert line.actor == receiver and line.organisation.code == QN_JUSTICE and line.note == "Đúng thẩm quyền"
    assert AuditEvent.objects.filter(action="feedback.accept", object_id=str(feedback.pk)).count() == 1


@pytest.mark.parametrize("role", [Role.ONE_STOP_CLERK, Role.DOCUMENT_CLERK, Role.AGENCY_LEADER, Role.AGENCY_ADMIN])
def test_every_receiving_role_of_the_agency_may_receive(directory, role):
    official = official_in(QN_JUSTICE, role)
    assert services.feedback_accept(actor=official, feedback=submit()).status == S.ACCEPTED


def test_the_provinces_agency_administrator_receives_for_the_bodies_under_it(directory, province_admin):
    assert services.feedback_accept(actor=province_admin, feedback=submit()).status == S.ACCEPTED


def test_refusal_needs_a_reason_and_tells_the_submitter(directory, receiver, sent):
    feedback = submit()
    with pytest.raises(ValidationFailed):
        services.feedback_refuse(actor=receiver, feedback=feedback, reason="  ")
    feedback = services.feedback_refuse(actor=receiver, feedback=feedback, reason="Không phải phản ánh về quy định.")
    assert feedback.status == S.REFUSED and feedback.closed_at is not None and feedback.due_at is None
    assert feedback.closing_reason == "Không phải phản ánh về quy định."
    assert events_sent(sent)[-1] == "feedback.refused"
    assert sent[-1]["context"]["reason"] == "Không phải phản ánh về quy định."


def test_return_ends_a_feedback_outside_the_agencys_competence(directory, receiver, sent):
    feedback = services.feedback_return(actor=receiver, feedback=accepted(receiver), reason="Thuộc thẩm quyền Bộ.")
    assert feedback.status == S.RETURNED and feedback.closed_at is not None
    assert events_sent(sent)[-1] == "feedback.returned"


def test_forwarding_hands_the_same_feedback_to_the_competent_agency_with_fresh_deadlines(
    directory, receiver, ward_clerk, sent
):
    feedback = submit()
    secret = feedback.lookup_secret
    later = MONDAY + dt.timedelta(days=1)
    ha_long = Organisation.objects.get(code=QN_HA_LONG)
    feedback = services.feedback_forward(actor=receiver, feedback=feedback, agency=ha_long, at=later)

    assert feedback.status == S.NEW and feedback.agency == ha_long
    assert feedback.received_at == later and feedback.receipt_due_at > later
    stored = Feedback.objects.get(pk=feedback.pk)
    assert stored.code == feedback.code and secret_matches(secret, stored.secret_hash)
    line = FeedbackEvent.objects.get(feedback=feedback, action="forward")
    assert line.details["from_agency"] == QN_JUSTICE and line.details["to_agency"] == QN_HA_LONG
    assert events_sent(sent)[-2:] == ["feedback.forwarded", "feedback.new_for_agency"]
    assert [r.user for r in sent[-1]["recipients"]] == [ward_clerk]
    # The first agency no longer sees it; the new one receives it.
    with pytest.raises(NotFound):
        services.feedback_accept(actor=receiver, feedback=feedback)
    assert services.feedback_accept(actor=ward_clerk, feedback=feedback).status == S.ACCEPTED


def test_forwarding_to_the_same_or_a_closed_agency_is_refused(directory, receiver):
    feedback = submit()
    with pytest.raises(ValidationFailed):
        services.feedback_forward(actor=receiver, feedback=feedback, agency=feedback.agency)
    closed = Organisation.objects.get(code=QN_HA_LONG)
    closed.is_active = False
    closed.save()
    with pytest.raises(ValidationFailed):
        services.feedback_forward(actor=receiver, feedback=feedback, agency=closed)
    assert Feedback.objects.get(pk=feedback.pk).agency.code == QN_JUSTICE


# ----------------------------------------------------------------------------- more information


@pytest.mark.parametrize("stage", ["new", "accepted", "assigned"])
def test_asking_for_information_pauses_and_the_supplement_goes_back_where_it_was(
    directory, receiver, handler, stage, sent
):
    feedback = submit()
    secret = feedback.lookup_secret
    asker = receiver
    if stage in ("accepted", "assigned"):
        feedback = services.feedback_accept(actor=receiver, feedback=feedback, at=MONDAY)
    if stage == "assigned":
        feedback = services.feedback_assign(actor=receiver, feedback=feedback, assignee=handler, at=MONDAY)
        asker = handler
    feedback = services.feedback_request_info(
        actor=asker, feedback=feedback, question="Cho biết mã hồ sơ.", at=MONDAY + dt.timedelta(hours=3)
    )
    assert feedback.status == S.NEEDS_INFO and feedback.due_at is None and feedback.resolve_due_at is None
    assert feedback.info_request_count == 1 and feedback.resolve_paused_at is not None
    assert events_sent(sent)[-1] == "feedback.info_requested"
    assert sent[-1]["context"]["question"] == "Cho biết mã hồ sơ."

    with pytest.raises(NotFound):
        services.feedback_supplement(actor=None, feedback=feedback, text="Mã hồ sơ là ...", secret="WRONGSECRET")
    feedback = services.feedback_supplement(
        actor=None,
        feedback=feedback,
        text="Mã hồ sơ 000.00.20.H49-260302-0001",
        attachments=[upload()],
        secret=secret,
        at=MONDAY + dt.timedelta(days=1),
    )
    assert feedback.status == (S.ASSIGNED if stage == "assigned" else S.ACCEPTED)
    assert feedback.resume_status == "" and feedback.resolve_due_at is not None
    line = FeedbackEvent.objects.filter(feedback=feedback).last()
    assert line.action == "supplement" and line.note == "Mã hồ sơ 000.00.20.H49-260302-0001" and line.actor is None
    assert FeedbackAttachment.objects.get(event=line).name == "anh.png"
    assert events_sent(sent)[-1] == "feedback.supplemented"
    expected = [handler] if stage == "assigned" else [receiver]
    assert [r.user for r in sent[-1]["recipients"]] == expected


def test_the_submitters_account_supplies_without_the_secret(directory, receiver, citizen):
    feedback = services.feedback_request_info(actor=receiver, feedback=submit(citizen), question="Thêm ảnh.")
    feedback = services.feedback_supplement(actor=citizen, feedback=feedback, text="Ảnh đính kèm.")
    assert feedback.status == S.ACCEPTED
    assert FeedbackEvent.objects.filter(feedback=feedback).last().actor == citizen


def test_someone_else_cannot_supply_nor_a_feedback_that_waits_for_nothing(directory, receiver, citizen, other_citizen):
    feedback = services.feedback_request_info(actor=receiver, feedback=submit(citizen), question="Thêm ảnh.")
    with pytest.raises(NotFound):
        services.feedback_supplement(actor=other_citizen, feedback=feedback, text="Tôi trả lời thay.")
    with pytest.raises(ValidationFailed):
        services.feedback_supplement(actor=citizen, feedback=feedback, text="")
    waiting = Feedback.objects.get(pk=feedback.pk)
    assert waiting.status == S.NEEDS_INFO
    other = submit(citizen)
    with pytest.raises(InvalidState) as wrong:
        services.feedback_supplement(actor=citizen, feedback=other, text="Không ai hỏi.")
    assert wrong.value.code == "feedback_invalid_transition"


def test_a_feedback_whose_information_never_came_may_be_refused(directory, receiver):
    feedback = services.feedback_request_info(actor=receiver, feedback=submit(), question="Thêm thông tin.")
    feedback = services.feedback_refuse(actor=receiver, feedback=feedback, reason="Không bổ sung thông tin.")
    assert feedback.status == S.REFUSED


# ----------------------------------------------------------------------------- handling and answer


def test_assignment_to_a_handler_of_the_agency_only(directory, receiver, handler, other_handler, ward_clerk, sent):
    feedback = accepted(receiver)
    for wrong in (receiver, ward_clerk, official_in(QN_HA_LONG, Role.SPECIALIST)):
        with pytest.raises(ValidationFailed):
            services.feedback_assign(actor=receiver, feedback=feedback, assignee=wrong)
    feedback = services.feedback_assign(actor=receiver, feedback=feedback, assignee=handler, note="Xử lý gấp")
    assert feedback.status == S.ASSIGNED and feedback.assigned_to == handler and feedback.assigned_at is not None
    assert events_sent(sent)[-1] == "feedback.assigned" and sent[-1]["recipients"][0].user == handler
    with pytest.raises(ValidationFailed):
        services.feedback_assign(actor=receiver, feedback=feedback, assignee=handler)
    feedback = services.feedback_assign(actor=receiver, feedback=feedback, assignee=other_handler)
    assert feedback.assigned_to == other_handler
    # Only the assigned handler answers.
    with pytest.raises(PermissionDenied):
        services.feedback_answer(actor=handler, feedback=feedback, answer="Trả lời")


def test_answer_approval_and_publication(directory, receiver, handler, leader, citizen, sent):
    feedback = answered(receiver, handler)
    assert feedback.status == S.ANSWERED and feedback.answered_at is not None
    assert events_sent(sent)[-1] == "feedback.answer_to_approve"
    assert [r.user for r in sent[-1]["recipients"]] == [leader]

    feedback = services.feedback_approve(
        actor=leader,
        feedback=feedback,
        answer="Thời hạn được tính từ ngày tiếp nhận hồ sơ hợp lệ.",
        at=MONDAY + dt.timedelta(days=2),
    )
    assert feedback.status == S.AWAITING_PUBLICATION and feedback.approved_by == leader
    assert feedback.answer == "Thời hạn được tính từ ngày tiếp nhận hồ sơ hợp lệ."
    assert feedback.resolved_on_time is True and feedback.resolve_running_since is None
    assert feedback.due_at == feedback.publish_due_at
    assert events_sent(sent)[-1] == "feedback.answered"
    assert sent[-1]["context"]["answer"] == feedback.answer

    feedback = services.feedback_publish(
        actor=leader,
        feedback=feedback,
        published_title="Thời hạn cấp Phiếu lý lịch tư pháp",
        at=MONDAY + dt.timedelta(days=2, hours=1),
    )
    assert feedback.status == S.PUBLISHED and feedback.published_at is not None and feedback.closed_at is not None
    assert feedback.published_question.startswith("Công dân hỏi")
    assert "thoi han" in feedback.public_search_key and feedback.published_on_time is True
    assert events_sent(sent)[-1] == "feedback.published"


def test_the_leader_sends_an_answer_back_and_the_handler_answers_again(directory, receiver, handler, leader, sent):
    feedback = answered(receiver, handler)
    with pytest.raises(ValidationFailed):
        services.feedback_send_back(actor=leader, feedback=feedback, reason="")
    feedback = services.feedback_send_back(actor=leader, feedback=feedback, reason="Dẫn chiếu căn cứ pháp lý.")
    assert feedback.status == S.ASSIGNED and feedback.assigned_to == handler
    assert events_sent(sent)[-1] == "feedback.sent_back" and sent[-1]["recipients"][0].user == handler
    feedback = services.feedback_answer(actor=handler, feedback=feedback, answer="Theo Điều 7 Luật Lý lịch tư pháp.")
    assert feedback.status == S.ANSWERED and feedback.answer == "Theo Điều 7 Luật Lý lịch tư pháp."


def test_no_publication_without_the_submitters_consent(directory, receiver, handler, leader):
    feedback = approved(receiver, handler, leader, publication_consent=False)
    assert "publish" not in feedback_actions_available(user=leader, feedback=feedback)  # pages and API alike
    with pytest.raises(InvalidState) as refused:
        services.feedback_publish(actor=leader, feedback=feedback)
    assert refused.value.code == "feedback_publication_not_consented"
    feedback = services.feedback_close(actor=leader, feedback=feedback)
    assert feedback.status == S.CLOSED and feedback.public_search_key == ""
    assert feedback.closing_reason == "The submitter did not agree to the publication of their question."


def test_closing_a_consented_answer_needs_a_reason_and_publishing_needs_a_public_question(
    directory, receiver, handler, leader
):
    feedback = assigned(receiver, handler)
    feedback = services.feedback_answer(actor=handler, feedback=feedback, answer="Trả lời riêng cho người hỏi.")
    feedback = services.feedback_approve(actor=leader, feedback=feedback)
    with pytest.raises(ValidationFailed) as no_question:
        services.feedback_publish(actor=leader, feedback=feedback)
    assert "published_question" in no_question.value.details
    with pytest.raises(ValidationFailed):
        services.feedback_close(actor=leader, feedback=feedback)
    closed = services.feedback_close(actor=leader, feedback=feedback, reason="Nội dung chỉ liên quan đến cá nhân.")
    assert closed.status == S.CLOSED and closed.closing_reason == "Nội dung chỉ liên quan đến cá nhân."


# ----------------------------------------------------------------------------- the state machine and its actors


@pytest.mark.parametrize(
    ("reach", "call"),
    [
        ("new", lambda f, o: services.feedback_assign(actor=o["receiver"], feedback=f, assignee=o["handler"])),
        ("new", lambda f, o: services.feedback_answer(actor=o["handler"], feedback=f, answer="A")),
        ("new", lambda f, o: services.feedback_publish(actor=o["leader"], feedback=f)),
        ("accepted", lambda f, o: services.feedback_accept(actor=o["receiver"], feedback=f)),
        ("accepted", lambda f, o: services.feedback_refuse(actor=o["receiver"], feedback=f, reason="R")),
        ("assigned", lambda f, o: services.feedback_approve(actor=o["leader"], feedback=f)),
        ("answered", lambda f, o: services.feedback_request_info(actor=o["receiver"], feedback=f, question="Q")),
        ("answered", lambda f, o: services.feedback_close(actor=o["leader"], feedback=f, reason="R")),
        ("published", lambda f, o: services.feedback_send_back(actor=o["leader"], feedback=f, reason="R")),
        ("published", lambda f, o: services.feedback_return(actor=o["receiver"], feedback=f, reason="R")),
    ],
)
def test_wrong_transitions_are_409_and_change_nothing(directory, receiver, handler, leader, reach, call, sent):
    officials = {"receiver": receiver, "handler": handler, "leader": leader}
    feedback = {
        "new": submit,
        "accepted": lambda: accepted(receiver),
        "assigned": lambda: assigned(receiver, handler),
        "answered": lambda: answered(receiver, handler),
        "published": lambda: published(receiver, handler, leader),
    }[reach]()
    before, counts, messages = state_of(feedback), Counts(), len(sent)
    with pytest.raises(InvalidState) as refused:
        call(Feedback.objects.get(pk=feedback.pk), officials)
    assert refused.value.code == "feedback_invalid_transition" and refused.value.http_status == 409
    assert state_of(feedback) == before
    counts.assert_unchanged()
    assert len(sent) == messages


def test_wrong_actors_are_refused_and_change_nothing(
    directory, receiver, handler, leader, citizen, foreign_leader, ward_clerk, sent
):
    feedback = answered(receiver, handler)
    before, counts, messages = state_of(feedback), Counts(), len(sent)
    # Outside the agency, or the submitter: the feedback is not even there for them.
    for outsider in (foreign_leader, ward_clerk, citizen):
        with pytest.raises(NotFound):
            services.feedback_approve(actor=outsider, feedback=feedback)
    # Inside the agency, without the right role: forbidden.
    for insider in (receiver, handler):
        with pytest.raises(PermissionDenied):
            services.feedback_approve(actor=insider, feedback=feedback)
    with pytest.raises(NotAuthenticated):
        services.feedback_approve(actor=None, feedback=feedback)
    # Nor may a receiver send an answer back: that is the leader's.
    with pytest.raises(PermissionDenied):
        services.feedback_send_back(actor=receiver, feedback=feedback, reason="Không")
    assert state_of(feedback) == before
    counts.assert_unchanged()
    assert len(sent) == messages


def test_a_handler_who_left_the_agency_can_no_longer_answer(directory, receiver, handler):
    feedback = assigned(receiver, handler)
    handler.positions.update(valid_until=dt.date(2024, 1, 1), valid_from=dt.date(2023, 1, 1))
    with pytest.raises(NotFound):
        services.feedback_answer(actor=handler, feedback=feedback, answer="Trả lời")


def test_every_transition_is_in_the_audit_trail(directory, receiver, handler, leader):
    feedback = published(receiver, handler, leader)
    actions = list(
        AuditEvent.objects.filter(object_id=str(feedback.pk)).order_by("sequence").values_list("action", flat=True)
    )
    assert actions == [
        "feedback.submit",
        "feedback.accept",
        "feedback.assign",
        "feedback.answer",
        "feedback.approve",
        "feedback.publish",
    ]
    history = list(FeedbackEvent.objects.filter(feedback=feedback).values_list("sequence", "action", "to_status"))
    assert history == [
        (1, "submit", "new"),
        (2, "accept", "accepted"),
        (3, "assign", "assigned"),
        (4, "answer", "answered"),
        (5, "approve", "awaiting_publication"),
        (6, "publish", "published"),
    ]


def test_a_feedback_about_a_ward_procedure_goes_to_the_ward(directory, ward_clerk):
    feedback = submit(procedure_code=KHAI_SINH)
    assert feedback.agency.code == QN_HA_LONG
    assert services.feedback_accept(actor=ward_clerk, feedback=feedback).status == S.ACCEPTED


def test_services_refuse_naive_times(directory):
    with pytest.raises(ValueError):
        submit(at=dt.datetime(2026, 3, 2, 9, 0))
