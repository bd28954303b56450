"""Processing: supplements with the clock paused, delays (Form 04), the on-time rule, idempotency, races."""

from __future__ import annotations

import datetime as dt

import pytest

from motcua.core.exceptions import Conflict, InvalidState, PermissionDenied, ValidationFailed
from motcua.core.permissions import SYSTEM
from motcua.dossiers import selectors, services
from motcua.dossiers.models import DelayNotice, Dossier, DossierFile, DossierStatus, StepRecord, SupplementRequest
from motcua.dossiers.selectors import dossier_timeliness
from motcua.payments import services as payments
from motcua.payments.models import PaymentRequest
from tests.dossiers.conftest import Counts, at_step, received, state_of, submit, upload
from tests.dossiers.factories import LOCAL, MONDAY, PNG_BYTES, at, judicial_record_content, valid_form, version_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def processing(citizen, version, clerk):
    """Received Monday 2 March 09:00 (due Monday 16 March 17:00), at the specialists' step since 10:00."""
    dossier = received(citizen, version, clerk, at=MONDAY)
    return services.dossier_forward(actor=clerk, dossier=dossier, at=at(2, 10))


def test_due_date_counts_working_days_around_public_holidays(citizen, clerk, directory):
    version = version_create(judicial_record_content(processing_hours=24))
    dossier = received(citizen, version, clerk, at=dt.datetime(2026, 4, 24, 9, tzinfo=LOCAL))
    # Friday 24 April; Monday 27 (Hùng Kings, observed), 30 April and 1 May are holidays: due Monday 4 May.
    assert dossier.due_at == dt.datetime(2026, 5, 4, 17, tzinfo=LOCAL)


def test_half_day_durations_count_in_working_hours(citizen, clerk, directory):
    version = version_create(judicial_record_content(processing_hours=4))
    dossier = received(citizen, version, clerk, at=at(2, 15))
    # 15:00-17:00 Monday (2 h), then Tuesday 07:30-09:30.
    assert dossier.due_at == at(3, 9, 30)


def test_supplement_loop_pauses_the_clock_and_moves_the_appointment(processing, citizen, specialist):
    request = services.dossier_request_supplement(
        actor=specialist,
        dossier=processing,
        items=["Bản chụp CCCD rõ nét"],
        reason="Ảnh CCCD không đọc được",
        at=at(3, 9),
    )
    dossier = Dossier.objects.get(pk=processing.pk)
    assert dossier.status == DossierStatus.SUPPLEMENT_REQUESTED and dossier.portal_status == 5
    assert dossier.supplement_count == 1 and dossier.deadline_paused_at == at(3, 9)
    assert request.due_at_before == at(16, 17)
    paused = dossier_timeliness(user=citizen, dossier=dossier, now=at(20))
    assert paused.is_paused and not paused.is_overdue
    # The applicant supplies two working days later (Thursday 09:00): the appointment moves by 16 office hours.
    new_scan = upload(citizen, "cccd-moi.png", PNG_BYTES)
    dossier = services.dossier_supply(
        actor=citizen,
        dossier=dossier,
        files=[services.FileRef(component_code="cccd", upload_id=new_scan.pk)],
        note="Đã bổ sung ảnh rõ",
        at=at(5, 9),
    )
    assert dossier.status == DossierStatus.PROCESSING and dossier.due_at == at(18, 17)
    request.refresh_from_db()
    assert request.supplied_at == at(5, 9) and request.due_at_after == at(18, 17) and request.supplied_by == citizen
    assert DossierFile.objects.get(pk=new_scan.pk).dossier == dossier
    # The step's own clock excluded the wait as well.
    step = StepRecord.objects.get(dossier=dossier, code="tham_dinh")
    assert step.running_since == at(5, 9)
    assert step.consumed_seconds == pytest.approx((5.5 + 1.5) * 3600)
    timeliness = dossier_timeliness(user=citizen, dossier=dossier, now=at(17, 9))
    assert timeliness.is_on_time is True and timeliness.reason == "within_deadline"


def test_a_clerk_supplies_at_the_counter(processing, specialist, clerk):
    services.dossier_request_supplement(
        actor=specialist, dossier=processing, items=["Văn bản ủy quyền"], reason="Thiếu ủy quyền", at=at(3, 9)
    )
    scan = upload(clerk, "uy-quyen.pdf")
    dossier = services.dossier_supply(
        actor=clerk,
        dossier=processing,
        files=[services.FileRef(component_code="uy_quyen", upload_id=scan.pk)],
        at=at(3, 14),
    )
    assert dossier.status == DossierStatus.PROCESSING
    assert DossierFile.objects.get(pk=scan.pk).is_digitised is True


def test_two_supplement_requests_make_the_dossier_late(processing, citizen, specialist, unit_head, leader):
    for day in (3, 5):
        services.dossier_request_supplement(
            actor=specialist, dossier=processing, items=["Giấy tờ"], reason="Thiếu", at=at(day, 9)
        )
        services.dossier_supply(actor=citizen, dossier=processing, note="Đã bổ sung", at=at(day, 10))
    dossier = services.dossier_forward(actor=specialist, dossier=processing, at=at(6, 9))
    dossier = services.dossier_forward(actor=unit_head, dossier=dossier, at=at(6, 10))
    dossier = services.dossier_approve(actor=leader, dossier=dossier, at=at(6, 11))
    timeliness = dossier_timeliness(user=citizen, dossier=dossier, now=at(6, 12))
    assert dossier.supplement_count == 2
    assert dossier.is_on_time is False and timeliness.reason == "too_many_supplements"
    assert timeliness.remaining_seconds > 0  # well within the time, and still late by the rule


def test_foreseen_delay_with_form_04(processing, citizen, specialist, unit_head, leader):
    counts = Counts()
    before = state_of(processing)
    # Monday 16 March 10:00: less than one working day before the 17:00 deadline.
    with pytest.raises(InvalidState) as too_late:
        services.dossier_announce_delay(
            actor=specialist, dossier=processing, new_due_at=at(19, 17), reason="Chờ xác minh", at=at(16, 10)
        )
    assert too_late.value.code == "dossier_delay_too_late"
    assert "at least one working day before" in str(too_late.value.message)
    with pytest.raises(InvalidState) as overdue:
        services.dossier_announce_delay(
            actor=specialist, dossier=processing, new_due_at=at(19, 17), reason="Chờ xác minh", at=at(17, 10)
        )
    assert overdue.value.code == "dossier_already_overdue"
    with pytest.raises(ValidationFailed) as invalid:
        services.dossier_announce_delay(
            actor=specialist, dossier=processing, new_due_at=at(16, 12), reason=" ", at=at(13, 9)
        )
    assert set(invalid.value.details) == {"reason", "new_due_at"}
    counts.assert_unchanged()
    assert state_of(processing) == before

    notice = services.dossier_announce_delay(
        actor=specialist,
        dossier=processing,
        new_due_at=at(19, 17),
        reason="Cần xác minh thông tin tại cơ quan công an",
        at=at(13, 9),
    )
    assert notice.previous_due_at == at(16, 17) and notice.new_due_at == at(19, 17)
    dossier = Dossier.objects.get(pk=processing.pk)
    assert dossier.due_at == at(19, 17) and dossier.status == DossierStatus.PROCESSING
    assert dossier.events.order_by("sequence").last().action == "announce_delay"
    # Finished after the statutory deadline but before the new appointment: still late (Decision 766).
    dossier = services.dossier_forward(actor=specialist, dossier=dossier, at=at(17, 9))
    dossier = services.dossier_forward(actor=unit_head, dossier=dossier, at=at(17, 10))
    dossier = services.dossier_approve(actor=leader, dossier=dossier, at=at(18, 9))
    assert dossier.is_on_time is False
    assert dossier_timeliness(user=citizen, dossier=dossier, now=at(18, 10)).reason == "late"
    assert DelayNotice.objects.filter(dossier=dossier).count() == 1


def test_delay_then_supplement_keeps_the_announced_extension(processing, citizen, specialist):
    services.dossier_announce_delay(
        actor=specialist, dossier=processing, new_due_at=at(19, 17), reason="Chờ xác minh", at=at(3, 9)
    )
    services.dossier_request_supplement(actor=specialist, dossier=processing, items=["X"], reason="Y", at=at(4, 9))
    dossier = services.dossier_supply(actor=citizen, dossier=processing, note="Z", at=at(5, 9))
    # One working day waited: Thursday 19 March becomes Friday 20 March.
    assert dossier.due_at == at(20, 17)


def test_return_to_an_earlier_step_and_opinions(processing, specialist, unit_head, directory):
    from motcua.agencies.models import Organisation, Role
    from tests.dossiers.factories import QN_CONSTRUCTION, official_in

    dossier = services.dossier_forward(actor=specialist, dossier=processing, at=at(3, 9))
    with pytest.raises(ValidationFailed):
        services.dossier_return_to_step(actor=unit_head, dossier=dossier, step_code="phe_duyet", reason="x")
    dossier = services.dossier_return_to_step(
        actor=unit_head, dossier=dossier, step_code="tham_dinh", reason="Thẩm định lại", at=at(3, 10)
    )
    assert dossier.current_step_code == "tham_dinh" and dossier.assigned_to == specialist
    assert StepRecord.objects.filter(dossier=dossier, code="kiem_tra").get().outcome == "returned"

    construction = Organisation.objects.get(code=QN_CONSTRUCTION)
    opinion = services.dossier_request_opinion(
        actor=specialist, dossier=dossier, organisation=construction, question="Ý kiến về công trình?", at=at(3, 11)
    )
    outsider = official_in(QN_CONSTRUCTION, Role.SPECIALIST)
    stranger = official_in("000.00.03.H49", Role.SPECIALIST)
    with pytest.raises(PermissionDenied):
        services.dossier_answer_opinion(
            actor=unit_head, dossier=dossier, opinion_request_id=opinion.pk, answer="x", at=at(3, 12)
        )
    from motcua.core.exceptions import NotFound

    with pytest.raises(NotFound):
        services.dossier_answer_opinion(
            actor=stranger, dossier=dossier, opinion_request_id=opinion.pk, answer="x", at=at(3, 12)
        )
    answered = services.dossier_answer_opinion(
        actor=outsider, dossier=dossier, opinion_request_id=opinion.pk, answer="Đồng ý", at=at(4, 9)
    )
    assert answered.answer == "Đồng ý" and answered.answered_by == outsider


def test_financial_obligation_pauses_and_payment_resumes(processing, citizen, specialist, clerk):
    with pytest.raises(ValidationFailed):
        services.dossier_request_payment(actor=specialist, dossier=processing, amount=0, at=at(3, 9))
    paid_before = Dossier.objects.get(pk=processing.pk).fees_paid
    dossier = services.dossier_request_payment(actor=specialist, dossier=processing, amount=200000, at=at(3, 9))
    assert dossier.status == DossierStatus.FINANCIAL_OBLIGATION and dossier.portal_status == 6
    bill = PaymentRequest.objects.get(subject_id=dossier.pk, purpose="dossier_obligation")
    assert (bill.amount, bill.status) == (200000, "open")
    # The transition is the settlement's: never without the bill being paid.
    with pytest.raises(InvalidState) as error:
        services.dossier_record_payment(actor=SYSTEM, dossier=dossier, payment_request=bill, at=at(4, 9))
    assert error.value.code == "dossier_payment_not_settled"
    payments.payment_record_at_counter(actor=SYSTEM, request=bill, amount=200000)
    dossier = Dossier.objects.get(pk=dossier.pk)
    assert dossier.status == DossierStatus.PROCESSING and dossier.fees_paid == paid_before + 200000
    assert dossier.payment_reference == bill.code


def test_stop_processing_needs_a_reason(processing, leader, citizen):
    with pytest.raises(ValidationFailed):
        services.dossier_stop(actor=leader, dossier=processing, reason="", at=at(3))
    dossier = services.dossier_stop(actor=leader, dossier=processing, reason="Người yêu cầu đã mất", at=at(3))
    assert dossier.status == DossierStatus.STOPPED and dossier.portal_status == 8
    assert dossier.is_on_time is True and dossier.closed_at == at(3)


def test_refuse_during_processing(processing, specialist):
    dossier = services.dossier_refuse(
        actor=specialist, dossier=processing, reasons=["Không đủ điều kiện"], expected_step="tham_dinh", at=at(3)
    )
    assert dossier.status == DossierStatus.REFUSED


def test_only_the_last_step_approves(processing, leader):
    with pytest.raises(InvalidState) as error:
        services.dossier_approve(actor=SYSTEM, dossier=processing, at=at(3))
    assert error.value.code == "dossier_not_at_last_step"
    with pytest.raises(PermissionDenied):
        services.dossier_forward(actor=leader, dossier=processing, at=at(3))


def test_a_claimed_dossier_belongs_to_its_official(processing, specialist, second_specialist):
    services.dossier_claim(actor=specialist, dossier=processing, at=at(2, 11))
    before = state_of(processing)
    with pytest.raises(InvalidState) as claimed:
        services.dossier_claim(actor=second_specialist, dossier=processing, at=at(2, 12))
    assert claimed.value.code == "dossier_already_claimed"
    with pytest.raises(PermissionDenied) as taken:
        services.dossier_forward(actor=second_specialist, dossier=processing, at=at(2, 12))
    assert taken.value.code == "dossier_assigned_to_another"
    assert state_of(processing) == before


def test_forward_names_an_official_of_the_next_step(processing, specialist, unit_head, second_specialist):
    with pytest.raises(ValidationFailed):
        services.dossier_forward(actor=specialist, dossier=processing, assignee=second_specialist, at=at(3))
    dossier = services.dossier_forward(actor=specialist, dossier=processing, assignee=unit_head, at=at(3))
    assert dossier.assigned_to == unit_head


# --- idempotency -------------------------------------------------------------------------------------------


def test_idempotent_retry_returns_the_same_dossier(citizen, version):
    files = [
        services.FileRef(component_code="to_khai", upload_id=upload(citizen).pk),
        services.FileRef(component_code="cccd", upload_id=upload(citizen, "c.png", PNG_BYTES).pk),
    ]
    first = submit(citizen, version, key="retry-1", files=files)
    again = submit(citizen, version, key="retry-1", files=files)
    assert again.pk == first.pk and again.code == first.code and again.idempotent_replay
    assert again.lookup_secret and again.lookup_secret != first.lookup_secret
    assert Dossier.objects.count() == 1
    counts = Counts()
    with pytest.raises(Conflict) as conflict:
        submit(citizen, version, key="retry-1", files=files, form_data=valid_form(purpose="study"))
    assert conflict.value.code == "idempotency_key_reused"
    counts.assert_unchanged()


def test_idempotency_keys_belong_to_their_user(citizen, other_citizen, version):
    first = submit(citizen, version, key="same-key")
    second = submit(
        other_citizen,
        version,
        key="same-key",
        form_data=valid_form(personal_id=other_citizen.personal_id),
    )
    assert first.pk != second.pk


# --- submission checks -------------------------------------------------------------------------------------


def test_online_submission_validates_form_components_and_uploads(citizen, other_citizen, version):
    foreign_upload = upload(other_citizen)
    counts = Counts()
    with pytest.raises(ValidationFailed) as error:
        submit(
            citizen,
            version,
            form_data={
                "full_name": "x" * 101,
                "personal_id": "999190000123",
                "purpose": "travel",
                "email": "not-an-email",
                "married": True,
                "postcode": "12ab",
                "extra": "?",
            },
            files=[services.FileRef(component_code="to_khai", upload_id=foreign_upload.pk)],
        )
    details = error.value.details
    assert set(details) == {
        "form.full_name",
        "form.personal_id",
        "form.purpose",
        "form.email",
        "form.spouse_name",
        "form.postcode",
        "form.extra",
        "components.cccd",
        "files.0",
    }
    counts.assert_unchanged()


def test_documents_are_reused_from_earlier_dossiers(citizen, version, other_citizen):
    first = submit(citizen, version)
    earlier_id = first.files.get(component_code="cccd").pk
    second = submit(
        citizen,
        version,
        files=[
            services.FileRef(component_code="to_khai", upload_id=upload(citizen).pk),
            services.FileRef(component_code="cccd", reuse_file_id=earlier_id),
        ],
    )
    reused = second.files.get(component_code="cccd")
    assert reused.reused_from_id == earlier_id and reused.file.name == first.files.get(component_code="cccd").file.name
    with pytest.raises(ValidationFailed) as error:  # not re-usable for this component, and not theirs
        submit(
            other_citizen,
            version,
            form_data=valid_form(personal_id=other_citizen.personal_id),
            files=[
                services.FileRef(component_code="to_khai", reuse_file_id=first.files.get(component_code="to_khai").pk),
                services.FileRef(component_code="cccd", reuse_file_id=earlier_id),
            ],
        )
    assert set(error.value.details) == {"files.0", "files.1"}


def test_online_submission_is_refused_for_offline_procedures_and_officials(citizen, clerk, directory):
    version = version_create(judicial_record_content(code="1.000001", online_level="none"))
    with pytest.raises(ValidationFailed) as error:
        submit(citizen, version)
    assert "procedure" in error.value.details
    with pytest.raises(PermissionDenied):
        services.dossier_submit_online(actor=clerk, procedure_version=version, form_data={}, files=[])


def test_codes_count_per_receiving_organisation_and_day(citizen, version):
    codes = [submit(citizen, version, at=MONDAY).code for _ in range(3)]
    tuesday = submit(citizen, version, at=at(3, 8)).code
    assert codes == [f"000.00.20.H49-260302-{n:04d}" for n in (1, 2, 3)]
    assert tuesday == "000.00.20.H49-260303-0001"
    late_evening = submit(citizen, version, at=dt.datetime(2026, 3, 3, 23, 30, tzinfo=LOCAL)).code
    assert late_evening == "000.00.20.H49-260303-0002"  # the local day, not the UTC one


def test_supplement_request_round_trip_records(processing, citizen, specialist):
    services.dossier_request_supplement(actor=specialist, dossier=processing, items=["A"], reason="B", at=at(3))
    with pytest.raises(ValidationFailed):
        services.dossier_supply(actor=citizen, dossier=processing, at=at(4))
    services.dossier_supply(actor=citizen, dossier=processing, form_data=valid_form(purpose="study"), at=at(4))
    processing.refresh_from_db()
    assert processing.form_data["purpose"] == "study"
    assert SupplementRequest.objects.get(dossier=processing).supplied_at == at(4)


def test_an_open_dossier_past_its_deadline_is_late_and_overdue(processing, citizen):
    within = dossier_timeliness(user=citizen, dossier=processing, now=at(16, 16))
    assert within.is_on_time is True and within.reason == "within_deadline" and not within.is_overdue
    past = dossier_timeliness(user=citizen, dossier=processing, now=at(17, 9))
    assert past.is_on_time is False and past.reason == "late" and past.is_overdue
    assert past.remaining_seconds == pytest.approx(-1.5 * 3600)


def test_the_decision_step_approves_and_the_one_stop_desk_hands_the_result_over(
    citizen, clerk, specialist, unit_head, leader, directory
):
    # A process that ends, as the real ones do, with the one-stop desk returning the result ("trả kết quả").
    workflow = [
        *judicial_record_content()["workflow"],
        {"code": "tra_ket_qua", "name": "Trả kết quả", "role": "one_stop_clerk", "allotted_hours": 4},
    ]
    for step in workflow:
        if step["code"] == "tham_dinh":
            step["allotted_hours"] -= 4  # keep the sum equal to the statutory time
    version = version_create(judicial_record_content(workflow=workflow))
    officials = {"tiep_nhan": clerk, "tham_dinh": specialist, "kiem_tra": unit_head}
    dossier = at_step(received(citizen, version, clerk), officials, "phe_duyet", at=at(3))
    with pytest.raises(InvalidState) as refused:
        services.dossier_forward(actor=leader, dossier=dossier, at=at(3, 10))
    assert refused.value.code == "dossier_no_next_step"

    dossier = services.dossier_approve(actor=leader, dossier=dossier, at=at(3, 11))
    assert dossier.status == DossierStatus.FINISHED and dossier.current_step_code == "tra_ket_qua"
    with pytest.raises((InvalidState, PermissionDenied)):
        services.dossier_approve(actor=clerk, dossier=dossier, at=at(3, 12))  # a clerk never approves
    # The result waits at the desk: it is in the clerk's own step and among the dossiers still in hand.
    for view in ("my_step", "open", "all"):
        assert [d.code for d in selectors.dossier_queue(user=clerk, view=view)] == [dossier.code], view
    assert not selectors.dossier_queue(user=specialist, view="my_step").exists()

    dossier = services.dossier_return_result(actor=clerk, dossier=dossier, method="counter", at=at(4, 9))
    assert dossier.status == DossierStatus.RETURNED and dossier.current_step_code == ""
    # Returned: out of the work queues, still in the register ("all").
    assert not selectors.dossier_queue(user=clerk, view="my_step").exists()
    assert not selectors.dossier_queue(user=clerk, view="open").exists()
    assert [d.code for d in selectors.dossier_queue(user=clerk, view="all")] == [dossier.code]
    hand_over = StepRecord.objects.get(dossier=dossier, code="tra_ket_qua")
    assert hand_over.finished_at == at(4, 9)
