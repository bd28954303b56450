"""The durable outbox to the national portal: records written with the change, delivered in order to the
real stand-in process (which checks every record field by field), retried, rejected, run by the worker."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from motcua.core.exceptions import InvalidState, PermissionDenied
from motcua.core.models import AuditEvent
from motcua.dossiers import services
from motcua.dossiers.models import Dossier, PortalOutboxRecord
from motcua.dossiers.national_portal.outbox import portal_outbox_deliver, portal_outbox_retry, retry_delay
from motcua.dossiers.national_portal.payloads import portal_datetime
from tests.dossiers.conftest import fees_paid_at_counter, submit, upload
from tests.dossiers.factories import MONDAY, PDF_BYTES, at, judicial_record_content, version_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

STAND_IN = Path(__file__).resolve().parents[1] / "support" / "national_portal.py"
TOKEN = "portal-token-for-outbox-tests"
Kind = PortalOutboxRecord.Kind
State = PortalOutboxRecord.State
DATE = re.compile(r"^\d{14}$")


@pytest.fixture(scope="module")
def portal():
    process = subprocess.Popen(
        [sys.executable, str(STAND_IN), "--port", "0", "--token", TOKEN], stdout=subprocess.PIPE, text=True
    )
    try:
        port = int(process.stdout.readline().split()[1])
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def stand_in(portal, settings):
    """The stand-in, emptied, as the configured portal (HTTP client)."""
    control(portal, dossiers=[], progress=[], fail_next=0, rejected=[], requests=0)
    settings.NATIONAL_PORTAL_URL = portal
    settings.NATIONAL_PORTAL_TOKEN = TOKEN
    settings.NATIONAL_PORTAL_CLIENT = "http"
    return portal


@pytest.fixture
def free_version(directory):
    """A free procedure: the outbox's mechanics without the records of a fee payment."""
    return version_create(judicial_record_content(code="9.000010", fees=[]))


def control(portal, **changes):
    requests.post(f"{portal}/_control", json=changes, timeout=5).raise_for_status()


def arrived(portal):
    return requests.get(f"{portal}/_control", timeout=5).json()


def outbox(dossier, kind=None):
    rows = PortalOutboxRecord.objects.filter(dossier=dossier).order_by("event_sequence", "kind")
    return list(rows.filter(kind=kind) if kind else rows)


def later(minutes=0, hours=0):
    return timezone.now() + dt.timedelta(minutes=minutes, hours=hours)


# ------------------------------------------------------------------------------------------------------
# Written with the change
# ------------------------------------------------------------------------------------------------------


def test_each_transition_writes_its_records_in_its_own_transaction(citizen, free_version, clerk, specialist):
    dossier = submit(citizen, free_version, at=MONDAY)
    # No on-commit callback has run in this test's transaction: the rows were written by the service itself.
    (created,) = outbox(dossier)
    assert (created.kind, created.event_sequence, created.state, created.attempts) == (
        Kind.DOSSIER_SYNC,
        1,
        "pending",
        0,
    )
    assert created.payload["MaHoSo"] == dossier.code and created.payload["TrangThaiHoSo"] == 1

    dossier = services.dossier_accept(actor=clerk, dossier=dossier, at=MONDAY)
    assert [(row.event_sequence, row.kind) for row in outbox(dossier)][1:] == [
        (2, Kind.DOSSIER_SYNC),
        (2, Kind.PROGRESS_UPDATE),
    ]

    before = PortalOutboxRecord.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.dossier_forward(actor=clerk, dossier=dossier, at=at(2, 10))
        assert PortalOutboxRecord.objects.count() == before + 2
        raise RuntimeError("the process dies before the commit")
    assert PortalOutboxRecord.objects.count() == before  # rolled back with the transition

    with pytest.raises(InvalidState):  # a refused transition queues nothing
        services.dossier_accept(actor=clerk, dossier=dossier, at=MONDAY)
    assert PortalOutboxRecord.objects.count() == before

    # A claim changes no status: a progress record only.
    dossier = services.dossier_forward(actor=clerk, dossier=dossier, at=at(2, 10))
    services.dossier_claim(actor=specialist, dossier=dossier, at=at(2, 11))
    assert [row.kind for row in outbox(dossier) if row.event_sequence == 4] == [Kind.PROGRESS_UPDATE]


def test_the_same_history_line_is_never_queued_twice(citizen, free_version):
    from django.db import IntegrityError

    dossier = submit(citizen, free_version)
    row = outbox(dossier)[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        PortalOutboxRecord.objects.create(
            dossier=dossier,
            event_sequence=row.event_sequence,
            kind=row.kind,
            payload={},
            next_attempt_at=row.next_attempt_at,
        )


# ------------------------------------------------------------------------------------------------------
# Delivered to the stand-in portal
# ------------------------------------------------------------------------------------------------------


def _whole_journey(citizen, version, clerk, specialist, unit_head, leader):
    """An online dossier re-using a document of an earlier one, with a supplement loop, to its return."""
    earlier = submit(citizen, version, at=at(23, month=2), paid=False)
    reused = earlier.files.get(component_code="cccd")
    dossier = submit(
        citizen,
        version,
        at=MONDAY,
        paid=False,
        files=[
            services.FileRef(component_code="to_khai", upload_id=upload(citizen).pk),
            services.FileRef(component_code="cccd", reuse_file_id=reused.pk),
        ],
    )
    # The applicant pays the fees at the desk (full-process: received once paid).
    dossier = fees_paid_at_counter(dossier, actor=clerk)
    dossier = services.dossier_accept(actor=clerk, dossier=dossier, at=at(2, 10))
    dossier = services.dossier_forward(actor=clerk, dossier=dossier, at=at(2, 11))
    services.dossier_request_supplement(
        actor=specialist, dossier=dossier, items=["Bản sao giấy khai sinh"], reason="Thiếu giấy tờ", at=at(3, 9)
    )
    dossier = services.dossier_supply(
        actor=citizen, dossier=Dossier.objects.get(pk=dossier.pk), note="Đã bổ sung", at=at(5, 9)
    )
    dossier = services.dossier_forward(actor=specialist, dossier=dossier, at=at(6, 9))
    dossier = services.dossier_forward(actor=unit_head, dossier=dossier, at=at(6, 14))
    dossier = services.dossier_approve(actor=leader, dossier=dossier, result={"number": "12/LLTP"}, at=at(9, 9))
    services.dossier_result_file_attach(
        actor=leader, dossier=dossier, content=io.BytesIO(PDF_BYTES), name="phieu-lltp.pdf", at=at(9, 10)
    )
    dossier = services.dossier_return_result(actor=clerk, dossier=dossier, method="online", at=at(9, 11))
    return earlier, dossier


def test_a_whole_journey_reaches_the_portal_field_by_field(
    stand_in, citizen, version, clerk, specialist, unit_head, leader
):
    citizen.verified_by_identity_provider = True
    citizen.save()
    _earlier, dossier = _whole_journey(citizen, version, clerk, specialist, unit_head, leader)

    report = portal_outbox_deliver(now=later(minutes=1))

    state = arrived(stand_in)
    assert state["rejected"] == []  # the stand-in checked every record and refused none
    syncs, progress = outbox(dossier, Kind.DOSSIER_SYNC), outbox(dossier, Kind.PROGRESS_UPDATE)
    assert report.sent == len(syncs) + len(progress) + 1 and report.retried == report.rejected == 0
    assert {row.state for row in outbox(dossier)} == {"sent"} and all(row.attempts == 1 for row in outbox(dossier))
    # What arrived is exactly what the outbox kept, in the order it was written.
    assert [record for record in state["dossiers"] if record["MaHoSo"] == dossier.code] == [
        row.payload for row in syncs
    ]
    assert state["progress"] == [row.payload for row in progress]

    statuses = [row.payload["TrangThaiHoSo"] for row in syncs]
    assert statuses == [1, 1, 2, 4, 5, 4, 9, 9, 10]  # 1 twice: the fees were paid; 9 twice: the result attached
    first, received, last = syncs[0].payload, syncs[2].payload, syncs[-1].payload
    assert first["NgayTiepNhan"] == portal_datetime(MONDAY) == "20260302090000"
    assert DATE.match(first["NgayHenTra"])  # provisional appointment before receipt
    assert received["NgayTiepNhan"] == "20260302100000" and received["NgayHenTra"] == "20260316170000"
    assert last["MaHoSo"] == dossier.code == last["SoBienNhan"]
    assert (last["MaTTHC"], last["TenTTHC"]) == ("1.001193", "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam")
    assert (last["MaLinhVuc"], last["TenLinhVuc"]) == ("LLTP", "Lý lịch tư pháp")
    assert (last["ChuHoSo"], last["MaDoiTuong"], last["LoaiDoiTuong"]) == ("Nguyễn Thị Hoa", "022190000123", 1)
    assert (last["KenhThucHien"], last["DonViXuLy"], last["TaiKhoanDuocXacThucVoiVNeID"]) == (2, "000.00.01.H49", 1)
    # The earlier dossier's bill is still open: its line is to be paid online (its channel); this one's was paid at
    # the counter.
    assert first["DanhSachLePhi"][0]["HinhThucThu"] == 2 and first["DuocThanhToanTrucTuyen"] == 0
    assert last["DanhSachLePhi"] == [
        {
            "TenPhiLePhi": "Phí cấp Phiếu lý lịch tư pháp",
            "MaPhiLePhi": "LLTP",
            "HinhThucThu": 1,
            "Gia": 200000,
            "LoaiPhiLePhi": 1,
        }
    ]
    (supplement,) = last["DanhSachHoSoBoSung"]
    assert supplement["TrangThaiBoSung"] == 2 and supplement["NgayBoSung"] == "20260303090000"
    assert supplement["NgayHenTraTruoc"] == "20260316170000"
    # Two days paused (Tue 09:00 → Thu 09:00): the appointment moves two working days later.
    assert supplement["NgayHenTraMoi"] == "20260318170000" == last["NgayHenTra"]
    documents = {item["MaThanhPhanHoSo"]: item for item in last["TaiLieuNop"]}
    assert documents["cccd"]["DuocLayTuKhoDMQG"] == 1 and documents["to_khai"]["DuocLayTuKhoDMQG"] == 0
    assert documents["to_khai"]["DuongDanTaiTepTin"].endswith(
        f"/api/v1/dossiers/files/{documents['to_khai']['TepDinhKemId']}"
    )
    (result,) = last["DanhSachGiayToKetQua"]
    assert result["TenGiayTo"] == "Phiếu lý lịch tư pháp"
    assert (last["NgayKetThucXuLy"], last["NgayTra"], last["HinhThuc"]) == ("20260309090000", "20260309110000", 2)
    assert (last["DuocThanhToanTrucTuyen"], last["HoSoCoThanhPhanSoHoa"]) == (0, 0)

    steps = [(record["NguoiXuLy"], record["ChucDanh"], record["TrangThai"]) for record in state["progress"]]
    assert steps[0] == (clerk.full_name, "Chuyên viên Bộ phận Tiếp nhận", 1)  # the clerk took the fees in cash
    assert state["progress"][0]["NoiDungXuLy"].startswith("Ghi nhận đã nộp phí, lệ phí")
    assert steps[1] == (clerk.full_name, "Chuyên viên Bộ phận Tiếp nhận", 2)
    assert (specialist.full_name, "Chuyên viên Phòng Hành chính tư pháp", 5) in steps
    assert steps[-1] == (clerk.full_name, "Chuyên viên Bộ phận Tiếp nhận", 10)
    forwarded = state["progress"][2]  # the clerk finishes the receiving step
    assert forwarded["NoiDungXuLy"] == "Chuyển bước tiếp theo (Tiếp nhận hồ sơ)"
    assert forwarded["PhongBanXuLy"] == "Bộ phận Tiếp nhận và Trả kết quả"  # the clerk's unit
    assert (forwarded["NgayBatDau"], forwarded["ThoiDiemXuLy"]) == ("20260302100000", "20260302110000")
    supplied = next(record for record in state["progress"] if record["NguoiXuLy"] == citizen.full_name)
    assert supplied["NoiDungXuLy"] == "Bổ sung hồ sơ (Thẩm định hồ sơ): Đã bổ sung"
    assert (supplied["ChucDanh"], supplied["PhongBanXuLy"]) == (
        "Người nộp hồ sơ",
        "Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh",
    )
    approval = next(record for record in state["progress"] if record["TrangThai"] == 9)
    assert approval["NguoiXuLy"] == leader.full_name and approval["ChucDanh"] == "Phó Giám đốc Sở"


def test_an_unavailable_portal_is_retried_with_backoff_and_the_record_delivered_once(stand_in, citizen, free_version):
    dossier = submit(citizen, free_version)
    (row,) = outbox(dossier)
    control(stand_in, fail_next=3)
    now = later(minutes=1)
    waits = []
    for _attempt in range(3):
        report = portal_outbox_deliver(now=now)
        assert report.retried == 1 and report.sent == 0
        row.refresh_from_db()
        assert row.state == "pending" and "503" in row.last_error
        waits.append(row.next_attempt_at - now)
        assert portal_outbox_deliver(now=now).handled == 0  # not due again before the back-off ends
        now = row.next_attempt_at
    # Exponential with jitter: within [½, 1] × 30 s × 2^(n-1).
    assert [30 * 2**n / 2 <= wait.total_seconds() <= 30 * 2**n for n, wait in enumerate(waits)] == [True] * 3

    assert portal_outbox_deliver(now=now).sent == 1
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error, row.sent_at) == ("sent", 4, "", now)
    state = arrived(stand_in)
    assert state["requests"] == 4 and len(state["dossiers"]) == 1 and state["dossiers"][0] == row.payload
    assert portal_outbox_deliver(now=later(hours=2)).handled == 0  # sent once, never again


def test_a_record_is_given_up_after_the_maximum_attempts(stand_in, settings, citizen, free_version):
    settings.NATIONAL_PORTAL_MAX_ATTEMPTS = 2
    dossier = submit(citizen, free_version)
    control(stand_in, fail_next=5)
    assert portal_outbox_deliver(now=later(minutes=1)).retried == 1
    assert portal_outbox_deliver(now=later(hours=1)).failed == 1
    (row,) = outbox(dossier)
    assert (row.state, row.attempts) == ("failed", 2)
    assert portal_outbox_deliver(now=later(hours=5)).handled == 0


def test_a_rejected_record_stops_there_and_holds_back_no_other_dossier(
    stand_in, citizen, other_citizen, free_version, clerk
):
    refused = submit(citizen, free_version, at=MONDAY)
    PortalOutboxRecord.objects.filter(dossier=refused).update(
        payload={**outbox(refused)[0].payload, "NgayHenTra": "16/03/2026"}
    )
    services.dossier_accept(actor=clerk, dossier=refused, at=at(2, 10))
    fine = submit(other_citizen, free_version, at=at(2, 9, 30))

    report = portal_outbox_deliver(now=later(minutes=1))

    rejected = outbox(refused)[0]
    assert (rejected.state, rejected.attempts) == ("rejected", 1)
    assert "NgayHenTra not yyyyMMddHHmmss" in rejected.last_error
    assert {row.state for row in outbox(fine)} == {"sent"}
    # Refused is an end like success: the dossier's later records still go, in order.
    assert [row.state for row in outbox(refused)[1:]] == ["sent", "sent"]
    assert report.rejected == 1 and report.sent == 3
    requests_before = arrived(stand_in)["requests"]
    assert portal_outbox_deliver(now=later(hours=3)).handled == 0  # not retried by itself
    assert arrived(stand_in)["requests"] == requests_before


def test_records_of_a_dossier_keep_their_order_while_other_dossiers_go_on(
    stand_in, citizen, other_citizen, free_version, clerk
):
    slow = submit(citizen, free_version, at=MONDAY)
    services.dossier_accept(actor=clerk, dossier=slow, at=at(2, 10))
    services.dossier_forward(actor=clerk, dossier=Dossier.objects.get(pk=slow.pk), at=at(2, 11))
    other = submit(other_citizen, free_version, at=at(2, 12))
    services.dossier_accept(actor=clerk, dossier=other, at=at(2, 13))
    control(stand_in, fail_next=1)  # the very first request (the slow dossier's first record) fails

    report = portal_outbox_deliver(now=later(minutes=1))

    assert report.retried == 1 and report.sent == 3  # the other dossier's three records
    head, *rest = outbox(slow)
    assert head.state == "pending" and head.attempts == 1
    assert [(row.state, row.attempts) for row in rest] == [("pending", 0)] * 4  # waiting behind their head
    assert [record["MaHoSo"] for record in arrived(stand_in)["dossiers"]] == [other.code, other.code]

    portal_outbox_deliver(now=later(hours=1))
    assert {row.state for row in outbox(slow)} == {"sent"}
    slow_syncs = [record for record in arrived(stand_in)["dossiers"] if record["MaHoSo"] == slow.code]
    assert [record["TrangThaiHoSo"] for record in slow_syncs] == [1, 2, 4]
    sent_times = [row.sent_at for row in outbox(slow)]
    assert sent_times == sorted(sent_times)


def test_retry_now_is_for_platform_administrators(stand_in, citizen, free_version, client, platform_admin):
    from tests.support.sessions import sign_in_with_second_factor

    platform_admin.is_staff = platform_admin.is_superuser = True
    platform_admin.save()
    admin_client = sign_in_with_second_factor(client, platform_admin)
    dossier = submit(citizen, free_version)
    PortalOutboxRecord.objects.filter(dossier=dossier).update(state="failed", attempts=12, last_error="HTTP 503")
    (row,) = outbox(dossier)
    with pytest.raises(PermissionDenied):
        portal_outbox_retry(actor=citizen, record_ids=[row.pk])
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("failed", 12)

    page = admin_client.get("/admin/dossiers/portaloutboxrecord/")
    assert page.status_code == 200 and dossier.code in page.content.decode()
    answer = admin_client.post(
        "/admin/dossiers/portaloutboxrecord/", {"action": "retry_now", "_selected_action": [str(row.pk)]}, follow=True
    )
    assert answer.status_code == 200
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("pending", 0)
    assert AuditEvent.objects.filter(action="dossiers.portal_outbox_retry").count() == 1
    assert portal_outbox_deliver(now=later(minutes=1)).sent == 1


def test_the_command_delivers_with_the_recording_client(citizen, free_version, capsys):
    from motcua.dossiers.national_portal.clients import RECORDED

    dossier = submit(citizen, free_version)
    call_command("portal", "deliver")
    assert "sent 1" in capsys.readouterr().out
    assert RECORDED.dossiers[-1].MaHoSo == dossier.code
    call_command("portal", "status")
    assert "sent: 1" in capsys.readouterr().out


def test_backoff_is_capped():
    assert retry_delay(attempts=30).total_seconds() <= 3600
    assert retry_delay(attempts=30).total_seconds() >= 1800


@pytest.mark.django_db(transaction=True)
def test_the_worker_delivers_after_the_change_commits(stand_in, settings, citizen, free_version):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "notifications"]}}
    from django_tasks_db.models import DBTaskResult

    dossier = submit(citizen, free_version)  # commits: the delivery task is enqueued once, on commit
    (queued,) = DBTaskResult.objects.filter(queue_name="default")
    assert queued.status == "READY" and queued.task_path.endswith("portal_outbox_deliver_task")
    assert outbox(dossier)[0].state == "pending"

    call_command("worker", max_tasks=1, interval=0.1, queue_name="default")

    assert DBTaskResult.objects.get(pk=queued.pk).status == "SUCCESSFUL"
    assert outbox(dossier)[0].state == "sent"
    assert [record["MaHoSo"] for record in arrived(stand_in)["dossiers"]] == [dossier.code]
