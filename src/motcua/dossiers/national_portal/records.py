"""Build the national portal's records from a dossier as it stands in the current transaction.

``dossier_sync_record`` gives the whole dossier (DongBoHoSoMC); ``progress_record`` one processing action
(CapNhatTienDoHoSoMC) from a history line. Texts meant for the portal are in Vietnamese whatever the
language of the request. Choices where the portal's specification leaves Motcua free:

- ``SoBienNhan`` (receipt number) is the dossier code, which Form 01 prints as the receipt number.
- ``NgayTiepNhan`` of a dossier not received yet (TrangThaiHoSo 1, or refused at receipt) is the time it
  was submitted; ``NgayHenTra`` is then the provisional appointment: the statutory time counted in working
  time from submission (the real one is set at receipt and sent again then).
- ``MaDoiTuong`` is the personal identification number or tax code; failing one (an account known only by
  the identity provider), the account's user name.
- ``DonViXuLy`` is the QCVN 102 code of the processing organisation; ``PhongBanXuLy`` the unit of the
  acting official, else their organisation.
- File paths (``DuongDanTaiTepTin``, ``DuongDanTepTinKetQua``) are the API download address under
  ``SITE_URL``, which needs an authorised caller.
- ``DanhSachLePhi`` lists the lines of the dossier's bills (payments app), each with ``HinhThucThu`` 2 (paid or to
  be paid online) or 1 (paid at the counter); ``DuocThanhToanTrucTuyen`` is 1 when a bill was paid through a
  gateway that is the national payment platform (setting ``NATIONAL_PORTAL_PAYMENT_GATEWAYS``), 2 through
  another gateway, 0 otherwise.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import translation

from motcua.accounts.models import User
from motcua.agencies.models import Position
from motcua.core.calendar import calendar_get
from motcua.dossiers.billing import payment_requests_of
from motcua.dossiers.catalogue import procedure_content
from motcua.dossiers.models import (
    ApplicantKind,
    Channel,
    Dossier,
    DossierEvent,
    DossierFile,
    ResultMethod,
    StepRecord,
    SupplementRequest,
)
from motcua.dossiers.national_portal.payloads import (
    DossierSync,
    FeeLine,
    ProgressUpdate,
    ResultDocument,
    SubmittedFile,
    SupplementRecord,
    portal_datetime,
)
from motcua.dossiers.workflow import Action
from motcua.payments.models import PaidVia, PaymentRequest, RequestStatus
from motcua.procedures.content import ProcedureContent

# HinhThuc: how the result is returned (portal code list).
RESULT_METHOD_CODES = {ResultMethod.COUNTER: 0, ResultMethod.POST: 1, ResultMethod.ONLINE: 2}
# HinhThucThu: 1 in cash at the counter, 2 online, 3 bank transfer.
FEE_COLLECTION_AT_COUNTER = 1
FEE_COLLECTION_ONLINE = 2
# LoaiPhiLePhi: 1 fee (phí), 2 charge (lệ phí).
FEE_KIND_CODES = {"fee": 1, "charge": 2}
# ChucDanh of the applicant acting on their own dossier.
APPLICANT_TITLE = "Người nộp hồ sơ"


def _file_address(item: DossierFile) -> str:
    return f"{settings.SITE_URL}/api/v1/dossiers/files/{item.pk}"


def _person(user: User | None) -> str:
    if user is None:
        return ""
    return user.full_name or user.username


def provisional_due_at(*, content: ProcedureContent, start: dt.datetime) -> dt.datetime:
    """The appointment the dossier would get if received at ``start`` (same rule as the receipt's)."""
    calendar = calendar_get()
    days = content.processing_hours / (calendar.seconds_per_day / 3600)
    if abs(days - round(days)) < 1e-9:
        return calendar.add_working_days(start, round(days))
    return calendar.add_working_hours(start, content.processing_hours)


def _collection(dossier: Dossier, request: PaymentRequest | None) -> int:
    """HinhThucThu: how the line was (or is to be) paid."""
    if request is not None and request.status in (RequestStatus.PAID, RequestStatus.REFUNDED):
        return FEE_COLLECTION_ONLINE if request.paid_via == PaidVia.GATEWAY else FEE_COLLECTION_AT_COUNTER
    return FEE_COLLECTION_ONLINE if dossier.channel == Channel.ONLINE else FEE_COLLECTION_AT_COUNTER


def _fees(dossier: Dossier, content: ProcedureContent, bills: list[PaymentRequest]) -> list[FeeLine]:
    """DanhSachLePhi: the lines of the dossier's bills (not the cancelled ones), with how each was paid; a dossier
    without a bill (free, or registered at the counter) lists the procedure's fee lines."""
    live = [bill for bill in bills if bill.status != RequestStatus.CANCELLED]
    if not live:
        collection = _collection(dossier, None)
        return [
            FeeLine(
                TenPhiLePhi=fee.name,
                MaPhiLePhi=fee.code,
                HinhThucThu=collection,
                Gia=fee.amount,
                LoaiPhiLePhi=FEE_KIND_CODES[fee.kind],
            )
            for fee in content.fees
        ]
    return [
        FeeLine(
            TenPhiLePhi=line.name,
            MaPhiLePhi=line.code,
            HinhThucThu=_collection(dossier, bill),
            Gia=line.amount,
            LoaiPhiLePhi=FEE_KIND_CODES.get(line.kind, FEE_KIND_CODES["fee"]),
        )
        for bill in live
        for line in bill.lines.all()
    ]


def paid_online_code(bills: list[PaymentRequest]) -> int:
    """DuocThanhToanTrucTuyen: 1 paid online through the national payment platform, 2 through a local gateway,
    0 not paid online. Which gateways are the national platform is a setting (NATIONAL_PORTAL_PAYMENT_GATEWAYS)."""
    national = set(getattr(settings, "NATIONAL_PORTAL_PAYMENT_GATEWAYS", []) or [])
    gateways = [
        bill.settled_transaction.gateway
        for bill in bills
        if bill.paid_via == PaidVia.GATEWAY and bill.settled_transaction is not None
    ]
    if not gateways:
        return 0
    return 1 if any(gateway in national for gateway in gateways) else 2


def _supplements(dossier: Dossier) -> list[SupplementRecord]:
    requests = SupplementRequest.objects.filter(dossier=dossier).select_related("requested_by", "supplied_by")
    return [
        SupplementRecord(
            HoSoBoSungId=str(request.pk),
            NguoiYeuCauBoSung=_person(request.requested_by),
            NoiDungBoSung="; ".join([request.reason, *[str(item) for item in request.items]]),
            NgayBoSung=portal_datetime(request.requested_at),
            NguoiTiepNhanBoSung=_person(request.supplied_by),
            ThongTinTiepNhan=request.note,
            NgayTiepNhanBoSung=portal_datetime(request.supplied_at),
            TrangThaiBoSung=2 if request.supplied_at is not None else 1,
            NgayHenTraTruoc=portal_datetime(request.due_at_before),
            NgayHenTraMoi=portal_datetime(request.due_at_after),
        )
        for request in requests.order_by("requested_at")
    ]


def dossier_sync_record(*, dossier: Dossier) -> DossierSync:
    """DongBoHoSoMC: the dossier with its fees, supplements, submitted files and results."""
    content = procedure_content(dossier.procedure_version)
    files = list(DossierFile.objects.filter(dossier=dossier).order_by("created_at", "id"))
    submitted = [item for item in files if item.purpose == DossierFile.Purpose.SUBMITTED]
    results = [item for item in files if item.purpose == DossierFile.Purpose.RESULT]
    received_at = dossier.received_at or dossier.submitted_at
    due_at = dossier.due_at or provisional_due_at(content=content, start=received_at)
    applicant = dossier.applicant
    bills = payment_requests_of(dossier)
    return DossierSync(
        MaHoSo=dossier.code,
        MaTTHC=content.code,
        TenTTHC=content.name,
        MaLinhVuc=content.field.code,
        TenLinhVuc=content.field.name,
        KenhThucHien=int(dossier.channel),
        ChuHoSo=dossier.applicant_name,
        LoaiDoiTuong=2 if dossier.applicant_kind == ApplicantKind.BUSINESS else 1,
        MaDoiTuong=dossier.applicant_identifier or (applicant.username if applicant is not None else dossier.code),
        Email=dossier.applicant_email,
        SoDienThoai=dossier.applicant_phone,
        TrichYeuHoSo=dossier.summary or content.name,
        NgayTiepNhan=portal_datetime(received_at),
        NgayHenTra=portal_datetime(due_at),
        TrangThaiHoSo=dossier.portal_status,
        NgayTra=portal_datetime(dossier.returned_at),
        HinhThuc=RESULT_METHOD_CODES.get(ResultMethod(dossier.result_method), 0) if dossier.result_method else 0,
        NgayKetThucXuLy=portal_datetime(dossier.finished_at or dossier.closed_at),
        DonViXuLy=dossier.processing_organisation.code or "",
        SoBienNhan=dossier.code,
        DuocThanhToanTrucTuyen=paid_online_code(bills),
        HoSoCoThanhPhanSoHoa=int(any(item.is_digitised for item in submitted)),
        TaiKhoanDuocXacThucVoiVNeID=int(bool(applicant is not None and applicant.verified_by_identity_provider)),
        DanhSachLePhi=_fees(dossier, content, bills),
        DanhSachHoSoBoSung=_supplements(dossier),
        DanhSachGiayToKetQua=[
            ResultDocument(
                TenGiayTo=content.result_name or item.name,
                GiayToId=str(item.pk),
                DuongDanTepTinKetQua=_file_address(item),
            )
            for item in results
        ],
        TaiLieuNop=[
            SubmittedFile(
                TepDinhKemId=str(item.pk),
                TenTepDinhKem=item.name,
                MaThanhPhanHoSo=item.component_code,
                DuongDanTaiTepTin=_file_address(item),
                DuocSoHoa=int(item.is_digitised),
                DuocLayTuKhoDMQG=int(item.reused_from_id is not None),
            )
            for item in submitted
        ],
    )


def _step_of(event: DossierEvent) -> StepRecord | None:
    """The step the action worked on: the one it finished, else the one open now."""
    steps = StepRecord.objects.filter(dossier_id=event.dossier_id)
    finished = steps.filter(finished_at=event.at).order_by("-started_at", "-created_at").first()
    return finished or steps.filter(finished_at__isnull=True).first()


def progress_record(*, dossier: Dossier, event: DossierEvent, position: Position | None) -> ProgressUpdate:
    """CapNhatTienDoHoSoMC: who did what, when, in which unit, and the time the step allowed."""
    step = _step_of(event)
    if step is not None:
        started_at, due_at = step.started_at, step.due_at or dossier.due_at
    else:
        started_at, due_at = dossier.received_at or dossier.submitted_at, dossier.due_at
    if due_at is None:
        due_at = provisional_due_at(content=procedure_content(dossier.procedure_version), start=started_at)
    # An applicant's own action (supplement online, withdrawal) reaches the agency through its one-stop desk.
    department, title = dossier.receiving_organisation.name, event.actor_title
    if position is None and event.actor_id is not None and event.actor_id == dossier.applicant_id:
        title = APPLICANT_TITLE
    if position is not None:
        department = (
            position.unit.name if position.unit_id is not None and position.unit else position.organisation.name
        )
    with translation.override("vi"):
        label = str(Action(event.action).label) if event.action in Action.values else event.action
        name = step.name if step is not None else event.step_name
        step_name = f" ({name})" if name else ""
    content = f"{label}{step_name}" + (f": {event.note}" if event.note else "")
    return ProgressUpdate(
        MaHoSo=dossier.code,
        NguoiXuLy=event.actor_label,
        ChucDanh=title,
        ThoiDiemXuLy=portal_datetime(event.at),
        PhongBanXuLy=department,
        NoiDungXuLy=content[:2000],
        TrangThai=dossier.portal_status,
        NgayBatDau=portal_datetime(started_at),
        NgayKetThucTheoQuyDinh=portal_datetime(due_at),
    )
