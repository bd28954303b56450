"""Whole journeys through the services, with the real working-day calendar (Asia/Ho_Chi_Minh)."""

from __future__ import annotations

import pytest

from motcua.core.audit import audit_chain_verify
from motcua.core.exceptions import InvalidState, PermissionDenied, ValidationFailed
from motcua.core.models import AuditEvent
from motcua.dossiers import services
from motcua.dossiers.events import dossier_event_subscribe, dossier_event_unsubscribe
from motcua.dossiers.lookup_secret import secret_matches
from motcua.dossiers.models import Channel, Dossier, DossierStatus, StepRecord
from motcua.dossiers.selectors import dossier_timeliness
from tests.dossiers.conftest import Counts, state_of, submit, upload
from tests.dossiers.factories import MONDAY, QN_CENTRE, QN_JUSTICE, at, valid_form

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def emitted():
    seen = []

    def remember(dossier_id, kind):
        seen.append((dossier_id, kind))

    dossier_event_subscribe(remember)
    yield seen
    dossier_event_unsubscribe(remember)


def test_online_application_to_returned_result(
    citizen, version, clerk, specialist, unit_head, leader, emitted, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        dossier = submit(citizen, version, at=MONDAY)
    assert dossier.code == f"{QN_CENTRE}-260302-0001"
    assert dossier.status == DossierStatus.NEW and DossierStatus(dossier.status).portal_code == 1
    assert dossier.channel == Channel.ONLINE
    assert dossier.receiving_organisation.code == QN_CENTRE
    assert dossier.processing_organisation.code == QN_JUSTICE
    assert dossier.applicant_name == "Nguyễn Thị Hoa" and dossier.applicant_identifier == "022190000123"
    assert dossier.lookup_secret and secret_matches(dossier.lookup_secret, Dossier.objects.get().secret_hash)
    assert "lookup_secret" not in str(AuditEvent.objects.last().after) and dossier.secret_hash not in str(
        AuditEvent.objects.last().after
    )
    assert dossier.files.count() == 2
    # The fees billed with the application were paid at the desk (the conftest's submit): recorded on the dossier.
    assert emitted == [(dossier.pk, "submit"), (dossier.pk, "record_fees")]
    assert (dossier.fees_due, dossier.fees_paid, dossier.status) == (200000, 200000, DossierStatus.NEW)

    with django_capture_on_commit_callbacks(execute=True):
        dossier = services.dossier_accept(actor=clerk, dossier=dossier, at=MONDAY)
    # 10 working days, the day of receipt not counted: Monday 16 March 2026 at the close of business.
    assert dossier.status == DossierStatus.ACCEPTED and dossier.portal_status == 2
    assert dossier.due_at == at(16, 17)
    assert dossier.received_by == clerk
    assert dossier.current_step_code == "tiep_nhan" and dossier.assigned_to == clerk

    dossier = services.dossier_forward(actor=clerk, dossier=dossier, at=at(2, 10))
    assert dossier.status == DossierStatus.PROCESSING and dossier.current_step_code == "tham_dinh"
    dossier = services.dossier_claim(actor=specialist, dossier=dossier, at=at(2, 14))
    assert dossier.assigned_to == specialist
    dossier = services.dossier_forward(actor=specialist, dossier=dossier, expected_step="tham_dinh", at=at(5, 9))
    dossier = services.dossier_forward(actor=unit_head, dossier=dossier, at=at(6, 9))
    with django_capture_on_commit_callbacks(execute=True):
        dossier = services.dossier_approve(
            actor=leader, dossier=dossier, result={"number": "123/2026/LLTP"}, at=at(6, 15)
        )
    assert dossier.status == DossierStatus.FINISHED and dossier.portal_status == 9
    assert dossier.finished_at == at(6, 15) and dossier.is_on_time is True
    assert dossier.result["data"] == {"number": "123/2026/LLTP"}
    assert dossier.result["name"] == "Phiếu lý lịch tư pháp"
    assert dossier.result["approved_by_title"] == "Phó Giám đốc Sở"

    # The result document was issued from the procedure's template once the approval committed
    # (services.result_documents, subscribed to the approve event).
    assert dossier.files.get(purpose="result").name == f"ket-qua-{dossier.code}.pdf"
    with django_capture_on_commit_callbacks(execute=True):
        dossier = services.dossier_return_result(actor=clerk, dossier=dossier, method="online", at=at(9, 8))
    assert dossier.status == DossierStatus.RETURNED and dossier.portal_status == 10
    assert dossier.returned_at == at(9, 8) and dossier.result_method == "online"

    steps = list(StepRecord.objects.filter(dossier=dossier).order_by("started_at", "index"))
    assert [(s.code, s.outcome, s.is_on_time) for s in steps] == [
        ("tiep_nhan", "forwarded", True),
        ("tham_dinh", "forwarded", True),
        ("kiem_tra", "forwarded", True),
        ("phe_duyet", "approved", True),
    ]
    # Thẩm định from Monday 10:00 to Thursday 09:00 in office time: Monday 10:00-11:30 and 13:00-17:00
    # (5.5 h), Tuesday and Wednesday (16 h), Thursday 07:30-09:00 (1.5 h).
    assert steps[1].consumed_seconds == pytest.approx((5.5 + 16 + 1.5) * 3600)
    assert steps[1].assignee == specialist and steps[1].finished_by == specialist
    events = list(dossier.events.order_by("sequence"))
    assert [e.action for e in events] == [
        "submit",
        "record_fees",
        "accept",
        "forward",
        "claim",
        "forward",
        "forward",
        "approve",
        "attach_result_file",
        "return_result",
    ]
    assert [e.to_status for e in events][-3:] == ["finished", "finished", "returned"]
    assert events[2].actor == clerk and events[2].actor_title == "Chuyên viên Bộ phận Tiếp nhận"
    assert [kind for _id, kind in emitted] == [
        "submit",
        "record_fees",
        "accept",
        "approve",
        "attach_result_file",
        "return_result",
    ]
    timeliness = dossier_timeliness(user=citizen, dossier=dossier, now=at(20))
    assert timeliness.is_on_time is True and timeliness.reason == "finished_on_time"
    assert audit_chain_verify().intact
    assert AuditEvent.objects.filter(object_id=str(dossier.pk), action__startswith="dossiers.").count() == 10


def test_counter_intake_receives_at_once_with_the_appointment(directory, version, clerk):
    dossier = services.dossier_receive_at_counter(
        actor=clerk,
        procedure_version=version,
        applicant={
            "kind": "citizen",
            "full_name": "Trần Văn Nam",
            "identifier": "022085000777",
            "phone": "0203 3835 555",
            "address": "Phường Hạ Long, Quảng Ninh",
        },
        form_data=valid_form(full_name="Trần Văn Nam", personal_id="022085000777"),
        files=[services.FileRef(component_code="to_khai", upload_id=upload(clerk, "scan.pdf").pk)],
        paper_components=["cccd"],
        channel=Channel.POST,
        at=at(3, 15),
    )
    assert dossier.status == DossierStatus.ACCEPTED and dossier.channel == Channel.POST
    assert dossier.applicant is None and dossier.applicant_name == "Trần Văn Nam"
    assert dossier.code == f"{QN_CENTRE}-260303-0001"
    assert dossier.received_at == at(3, 15) and dossier.due_at == at(17, 17)
    assert dossier.files.get().is_digitised is True
    assert dossier.lookup_secret
    assert dossier.events.get().action == "receive_at_counter"
    assert dossier.current_step_code == "tiep_nhan" and dossier.assigned_to == clerk
    second = services.dossier_receive_at_counter(
        actor=clerk,
        procedure_version=version,
        applicant={"full_name": "Lê Thị Mai", "identifier": "022190000124"},
        form_data=valid_form(full_name="Lê Thị Mai", personal_id="022190000124"),
        paper_components=["to_khai", "cccd"],
        at=at(3, 16),
    )
    assert second.code == f"{QN_CENTRE}-260303-0002"


def test_counter_intake_links_the_applicants_account(directory, version, clerk, citizen):
    dossier = services.dossier_receive_at_counter(
        actor=clerk,
        procedure_version=version,
        applicant={"full_name": "Nguyễn Thị Hoa", "identifier": citizen.personal_id},
        form_data=valid_form(),
        paper_components=["to_khai", "cccd"],
        at=MONDAY,
    )
    assert dossier.applicant == citizen


def test_counter_intake_checks_the_applicant_form_and_components(directory, version, clerk):
    counts = Counts()
    with pytest.raises(ValidationFailed) as error:
        services.dossier_receive_at_counter(
            actor=clerk,
            procedure_version=version,
            applicant={"full_name": "", "identifier": "123"},
            form_data={"full_name": "X", "unknown": 1},
            paper_components=["to_khai"],
            channel=Channel.ONLINE,
            at=MONDAY,
        )
    details = error.value.details
    assert {"applicant.full_name", "applicant.identifier", "channel", "components.cccd", "form.unknown"} <= set(details)
    assert "form.personal_id" in details and "form.purpose" in details
    counts.assert_unchanged()


def test_deterritorialised_receipt_routes_to_the_implementing_department(directory, clerk, foreign_clerk):
    # A procedure implemented by Sở Tư pháp Quảng Ninh that names no receiving place at all.
    from tests.dossiers.factories import judicial_record_content, version_create

    version = version_create(judicial_record_content(receiving_organisation_codes=[]))
    dossier = services.dossier_receive_at_counter(
        actor=clerk,
        procedure_version=version,
        applicant={"full_name": "Phạm Văn An", "identifier": "022090000555"},
        form_data=valid_form(full_name="Phạm Văn An", personal_id="022090000555"),
        paper_components=["to_khai", "cccd"],
        at=MONDAY,
    )
    assert dossier.receiving_organisation.code == QN_CENTRE
    assert dossier.processing_organisation.code == QN_JUSTICE
    counts = Counts()
    with pytest.raises(PermissionDenied) as refused:
        services.dossier_receive_at_counter(
            actor=foreign_clerk,
            procedure_version=version,
            applicant={"full_name": "Phạm Văn An", "identifier": "022090000555"},
            form_data=valid_form(full_name="Phạm Văn An", personal_id="022090000555"),
            paper_components=["to_khai", "cccd"],
            at=MONDAY,
        )
    assert refused.value.code == "dossier_receiving_not_allowed"
    counts.assert_unchanged()


def test_refusal_at_receipt_needs_reasons_and_ends_the_dossier(citizen, version, clerk):
    dossier = submit(citizen, version)
    with pytest.raises(ValidationFailed):
        services.dossier_refuse_receipt(actor=clerk, dossier=dossier, reasons=["  "], at=MONDAY)
    dossier = services.dossier_refuse_receipt(
        actor=clerk, dossier=dossier, reasons=["Tờ khai không có chữ ký", "Ảnh CCCD mờ"], at=at(2, 10)
    )
    assert dossier.status == DossierStatus.REFUSED and dossier.portal_status == 3
    assert dossier.closed_at == at(2, 10)
    event = dossier.events.order_by("sequence").last()
    assert event.action == "refuse_receipt" and event.details["reasons"] == [
        "Tờ khai không có chữ ký",
        "Ảnh CCCD mờ",
    ]
    # Never received: not counted in the on-time rate.
    assert dossier_timeliness(user=citizen, dossier=dossier, now=at(20)).is_counted is False


def test_withdrawal_by_the_applicant_only_and_before_the_end(citizen, other_citizen, version, clerk, leader):
    dossier = services.dossier_accept(actor=clerk, dossier=submit(citizen, version), at=MONDAY)
    before = state_of(dossier)
    with pytest.raises(PermissionDenied):
        services.dossier_withdraw(actor=clerk, dossier=dossier, at=at(3))
    from motcua.core.exceptions import NotFound

    with pytest.raises(NotFound):
        services.dossier_withdraw(actor=other_citizen, dossier=dossier, at=at(3))
    assert state_of(dossier) == before
    dossier = services.dossier_withdraw(actor=citizen, dossier=dossier, reason="Không còn nhu cầu", at=at(3))
    assert dossier.status == DossierStatus.WITHDRAWN and dossier.portal_status == 7
    assert dossier.current_step_code == "" and dossier.closed_at == at(3)
    assert StepRecord.objects.get(dossier=dossier).outcome == "ended"
    with pytest.raises(InvalidState):
        services.dossier_withdraw(actor=citizen, dossier=dossier, at=at(4))
