"""Sample contexts for every form, and ``save_samples`` to render them all for a look or a demo."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from motcua.dossiers.documents.context import (
    Agency,
    Applicant,
    Channel,
    ControlSlipContext,
    ControlSlipStep,
    DelayNoticeContext,
    LogBookContext,
    LogBookEntry,
    ReceiptContext,
    ReceivedComponent,
    RefusalContext,
    ResultContext,
    SupplementItem,
    SupplementRequestContext,
    Timeliness,
)
from motcua.dossiers.documents.forms import (
    render_control_slip,
    render_delay_notice,
    render_log_book,
    render_receipt,
    render_refusal,
    render_result,
    render_supplement_request,
)

UTC = dt.UTC

AGENCY = Agency(
    name="Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh",
    parent_name="Ủy ban nhân dân tỉnh Quảng Ninh",
    place="Quảng Ninh",
)
APPLICANT = Applicant(
    name="Nguyễn Thị Hồng Nhung",
    identifier="022190001234",
    phone="0912 345 678",
    address="Số 15, tổ 3, khu 5, phường Hồng Gai, tỉnh Quảng Ninh",
    email="hongnhung@example.vn",
)
DOSSIER_CODE = "000.00.00.H49-261123-0042"
PROCEDURE_NAME = "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú tại Việt Nam"
PROCEDURE_CODE = "2.000488"
RECEIVED_AT = dt.datetime(2026, 11, 23, 1, 30, tzinfo=UTC)  # 08 giờ 30 phút in Hà Nội time
DUE_AT = dt.datetime(2026, 12, 7, 9, 30, tzinfo=UTC)  # 16 giờ 30 phút


def sample_receipt() -> ReceiptContext:
    return ReceiptContext(
        agency=AGENCY,
        dossier_code=DOSSIER_CODE,
        lookup_secret="7K4P-M9QX",
        tracking_url=f"https://motcua.example.vn/tra-cuu/{DOSSIER_CODE}",
        procedure_name=PROCEDURE_NAME,
        procedure_code=PROCEDURE_CODE,
        applicant=APPLICANT,
        components=(
            ReceivedComponent("Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp (Mẫu số 03/2013/TT-LLTP)", originals=1),
            ReceivedComponent("Căn cước công dân (bản chụp)", copies=1),
            ReceivedComponent("Giấy xác nhận thông tin về cư trú", originals=1, copies=1),
        ),
        fees_total=200_000,
        received_at=RECEIVED_AT,
        due_at=DUE_AT,
        processing_days=10,
        channel=Channel.IN_PERSON,
        clerk_name="Trần Văn Đức",
        result_delivery="Bộ phận tiếp nhận và trả kết quả, Trung tâm Phục vụ hành chính công tỉnh",
        log_book_volume="03",
        log_book_number="1542",
    )


def sample_supplement_request() -> SupplementRequestContext:
    return SupplementRequestContext(
        agency=AGENCY,
        dossier_code=DOSSIER_CODE,
        procedure_name=PROCEDURE_NAME,
        procedure_code=PROCEDURE_CODE,
        applicant=APPLICANT,
        items=(
            SupplementItem(
                "Giấy xác nhận thông tin về cư trú",
                "Bản đã nộp hết hiệu lực; cần bản cấp trong vòng 30 ngày gần nhất.",
            ),
            SupplementItem("Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp", "Thiếu chữ ký của người yêu cầu ở trang 2."),
        ),
        deadline_note=(
            "Thời gian chờ Ông/Bà bổ sung hồ sơ không tính vào thời hạn giải quyết. Đề nghị Ông/Bà bổ sung "
            "trước ngày 08/12/2026, trực tiếp tại Bộ phận tiếp nhận và trả kết quả hoặc trực tuyến."
        ),
        issued_at=dt.datetime(2026, 11, 24, 3, 0, tzinfo=UTC),
        official_name="Trần Văn Đức",
        document_number="128/PYCBS-TTPVHCC",
        contact_name="Trần Văn Đức",
        contact_phone="0203 3 835 678",
    )


def sample_refusal() -> RefusalContext:
    return RefusalContext(
        agency=AGENCY,
        dossier_code=DOSSIER_CODE,
        procedure_name=PROCEDURE_NAME,
        procedure_code=PROCEDURE_CODE,
        applicant=APPLICANT,
        reasons=(
            "Người yêu cầu không thuộc đối tượng được cấp Phiếu lý lịch tư pháp số 2 theo yêu cầu của cá nhân.",
            "Hồ sơ đã được bổ sung hai lần nhưng vẫn không đầy đủ theo quy định.",
        ),
        issued_at=dt.datetime(2026, 11, 25, 2, 15, tzinfo=UTC),
        official_name="Trần Văn Đức",
        document_number="45/PTC-TTPVHCC",
        legal_basis="khoản 2 Điều 45 Luật Lý lịch tư pháp",
    )


def sample_delay_notice() -> DelayNoticeContext:
    return DelayNoticeContext(
        agency=AGENCY,
        dossier_code=DOSSIER_CODE,
        procedure_name=PROCEDURE_NAME,
        procedure_code=PROCEDURE_CODE,
        applicant=APPLICANT,
        received_at=RECEIVED_AT,
        old_due_at=DUE_AT,
        new_due_at=dt.datetime(2026, 12, 14, 9, 30, tzinfo=UTC),
        reason="Cần xác minh thông tin án tích tại cơ quan quản lý cơ sở dữ liệu lý lịch tư pháp của tỉnh khác",
        issued_at=dt.datetime(2026, 12, 4, 2, 0, tzinfo=UTC),
        signer_position="Giám đốc",
        signer_name="Phạm Thị Thu Hằng",
        document_number="17/PXL-TTPVHCC",
    )


def sample_control_slip() -> ControlSlipContext:
    def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime(2026, 11, day, hour, minute, tzinfo=UTC)

    return ControlSlipContext(
        agency=AGENCY,
        dossier_code=DOSSIER_CODE,
        procedure_name=PROCEDURE_NAME,
        procedure_code=PROCEDURE_CODE,
        applicant_name=APPLICANT.name,
        received_at=RECEIVED_AT,
        due_at=DUE_AT,
        processing_unit="Sở Tư pháp tỉnh Quảng Ninh",
        coordinating_units=("Công an tỉnh Quảng Ninh",),
        steps=(
            ControlSlipStep(
                "Tiếp nhận, kiểm tra hồ sơ", "Trần Văn Đức", "Bộ phận một cửa", at(23, 1, 30), 0.5, at(23, 2, 10),
                Timeliness.EARLY,
            ),
            ControlSlipStep(
                "Chuyển hồ sơ đến cơ quan giải quyết", "Trần Văn Đức", "Bộ phận một cửa", at(23, 2, 10), 0.5,
                at(23, 6, 0), Timeliness.ON_TIME,
            ),
            ControlSlipStep(
                "Thẩm định, tra cứu lý lịch tư pháp", "Lê Minh Tuấn", "Phòng Hành chính tư pháp", at(23, 6, 0), 6,
                at(27, 9, 0), Timeliness.EARLY, "Đề nghị Công an tỉnh xác minh",
            ),
            ControlSlipStep(
                "Phê duyệt, ký Phiếu lý lịch tư pháp", "Phạm Thị Thu Hằng", "Lãnh đạo Sở", at(27, 9, 0), 2,
                None, Timeliness.IN_PROGRESS,
            ),
        ),
        printed_at=dt.datetime(2026, 11, 30, 3, 0, tzinfo=UTC),
    )  # fmt: skip


def sample_log_book(entries: int = 40) -> LogBookContext:
    names = ("Nguyễn Văn An", "Trần Thị Bích Ngọc", "Lê Quốc Hưng", "Phạm Thị Thủy", "Hoàng Đức Long")
    procedures = (
        PROCEDURE_NAME,
        "Đăng ký khai sinh",
        "Cấp giấy phép xây dựng nhà ở riêng lẻ",
        "Đăng ký thành lập hộ kinh doanh",
    )
    rows = []
    for index in range(entries):
        received = dt.datetime(2026, 11, 2, 1, 30, tzinfo=UTC) + dt.timedelta(hours=5 * index)
        rows.append(
            LogBookEntry(
                dossier_code=f"000.00.00.H49-2611{2 + index // 5:02d}-{index + 1:04d}",
                procedure_name=procedures[index % len(procedures)],
                applicant_name=names[index % len(names)],
                applicant_address=f"Tổ {index % 9 + 1}, khu {index % 4 + 2}, phường Hồng Gai",
                applicant_phone=f"09{index:02d} 123 4{index % 10}{index % 7}",
                lead_agency="Sở Tư pháp" if index % 2 else "Sở Xây dựng",
                received_at=received,
                due_at=received + dt.timedelta(days=14),
                transferred_at=received + dt.timedelta(hours=4),
                result_received_at=received + dt.timedelta(days=10) if index % 3 else None,
                returned_at=received + dt.timedelta(days=11) if index % 3 else None,
                note="Trả qua bưu điện" if index % 7 == 0 else "",
            )
        )
    return LogBookContext(
        agency=AGENCY,
        period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 11, 30),
        entries=tuple(rows),
        printed_at=dt.datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
        volume="03",
    )


def sample_result() -> ResultContext:
    return ResultContext(
        agency=Agency(name="Sở Tư pháp", parent_name="Ủy ban nhân dân tỉnh Quảng Ninh", place="Quảng Ninh"),
        document_number="1542/QĐ-STP",
        title="QUYẾT ĐỊNH",
        subject="Về việc cấp Phiếu lý lịch tư pháp số 1",
        body=(
            "Căn cứ Luật Lý lịch tư pháp ngày 17 tháng 6 năm 2009;",
            "Căn cứ Nghị định số 111/2010/NĐ-CP ngày 23 tháng 11 năm 2010 của Chính phủ quy định chi tiết và "
            "hướng dẫn thi hành một số điều của Luật Lý lịch tư pháp;",
            "Xét đề nghị của bà Nguyễn Thị Hồng Nhung tại hồ sơ mã số 000.00.00.H49-261123-0042 và đề nghị của "
            "Trưởng phòng Hành chính tư pháp,",
            "Điều 1. Cấp Phiếu lý lịch tư pháp số 1 cho bà Nguyễn Thị Hồng Nhung, sinh ngày 05 tháng 02 năm 1990, "
            "số định danh cá nhân 022190001234, nơi cư trú: số 15, tổ 3, khu 5, phường Hồng Gai, tỉnh Quảng Ninh.",
            "Điều 2. Quyết định này có hiệu lực kể từ ngày ký. Chánh Văn phòng Sở, Trưởng phòng Hành chính tư pháp "
            "và bà Nguyễn Thị Hồng Nhung chịu trách nhiệm thi hành Quyết định này./.",
        ),
        signer_authority="KT. GIÁM ĐỐC",
        signer_position="Phó Giám đốc",
        signer_name="Vũ Đình Khánh",
        issued_at=dt.datetime(2026, 11, 23, 8, 0, tzinfo=UTC),
        recipients=("Như Điều 2;", "Trung tâm Phục vụ hành chính công tỉnh;", "Lưu: VT, HCTP."),
        dossier_code=DOSSIER_CODE,
    )


def save_samples(directory: str | Path) -> list[Path]:
    """Render every form with the sample data into ``directory``; returns the files written."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    documents = {
        "01-phieu-tiep-nhan.pdf": render_receipt(sample_receipt()),
        "02-phieu-yeu-cau-bo-sung.pdf": render_supplement_request(sample_supplement_request()),
        "03-phieu-tu-choi.pdf": render_refusal(sample_refusal()),
        "04-phieu-xin-loi.pdf": render_delay_notice(sample_delay_notice()),
        "05-phieu-kiem-soat.pdf": render_control_slip(sample_control_slip()),
        "06-so-theo-doi.pdf": render_log_book(sample_log_book()),
        "ket-qua.pdf": render_result(sample_result()),
    }
    written = []
    for name, content in documents.items():
        path = target / name
        path.write_bytes(content)
        written.append(path)
    return written
