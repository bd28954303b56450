"""The one-stop forms' PDFs: the Vietnamese text a person reads, dates in Vietnam's time, layout facts.

Text is extracted with pypdf and compared after NFC normalisation and whitespace collapsing, so that a
wrapped line still matches; values that a table cell may break across lines (dossier codes, URLs) are
compared with all whitespace removed. No database is needed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import shutil
import subprocess
import unicodedata

import pytest
import segno
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from motcua.dossiers.documents import (
    ControlSlipStep,
    Timeliness,
    render_control_slip,
    render_delay_notice,
    render_log_book,
    render_receipt,
    render_refusal,
    render_result,
    render_supplement_request,
)
from motcua.dossiers.documents import formatting as fmt
from motcua.dossiers.documents.samples import (
    sample_control_slip,
    sample_delay_notice,
    sample_log_book,
    sample_receipt,
    sample_refusal,
    sample_result,
    sample_supplement_request,
    save_samples,
)

A4_PORTRAIT = (595.28, 841.89)  # points
UTC = dt.UTC


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def compact(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", text))


class Extracted:
    def __init__(self, content: bytes) -> None:
        self.reader = PdfReader(io.BytesIO(content))
        self.pages = [normalise(page.extract_text()) for page in self.reader.pages]
        self.text = " ".join(self.pages)

    def assert_contains(self, *expected: str) -> None:
        for value in expected:
            assert normalise(value) in self.text, f"{value!r} not found in:\n{self.text}"

    def assert_contains_compact(self, *expected: str) -> None:
        flat = compact(self.text)
        for value in expected:
            assert compact(value) in flat, f"{value!r} not found in:\n{self.text}"


@pytest.fixture(scope="module")
def receipt() -> Extracted:
    return Extracted(render_receipt(sample_receipt()))


@pytest.fixture(scope="module")
def receipt_bytes() -> bytes:
    return render_receipt(sample_receipt())


# ----------------------------------------------------------------------------- Form 01


def test_receipt_has_the_form_wording_and_values(receipt: Extracted) -> None:
    ctx = sample_receipt()
    receipt.assert_contains(
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "PHIẾU TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        f"Mã hồ sơ: {ctx.dossier_code}",
        "Bộ phận tiếp nhận và trả kết quả Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh "
        "tiếp nhận hồ sơ của: Ông/Bà Nguyễn Thị Hồng Nhung",
        "Số định danh cá nhân: 022190001234",
        "Địa chỉ: Số 15, tổ 3, khu 5, phường Hồng Gai, tỉnh Quảng Ninh",
        "Số điện thoại: 0912 345 678",
        "Nội dung yêu cầu giải quyết: Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài "
        "đang cư trú tại Việt Nam (mã thủ tục 2.000488)",
        "Hình thức nộp hồ sơ: Trực tiếp",
        "Thành phần hồ sơ nộp gồm",
        "Giấy xác nhận thông tin về cư trú",
        "Căn cước công dân (bản chụp)",
        "Số lượng hồ sơ: 01 (bộ)",
        "Thời gian giải quyết hồ sơ theo quy định là: 10 ngày làm việc",
        "Đăng ký nhận kết quả tại: Bộ phận tiếp nhận và trả kết quả, Trung tâm Phục vụ hành chính công tỉnh",
        "Phí, lệ phí: 200.000 đồng",
        "Vào Sổ theo dõi hồ sơ, Quyển số: 03 Số thứ tự: 1542",
        "NGƯỜI NỘP HỒ SƠ",
        "NGƯỜI TIẾP NHẬN HỒ SƠ",
        "(Ký và ghi rõ họ tên)",
        "Trần Văn Đức",
        f"Mã tra cứu {ctx.lookup_secret}",
    )
    receipt.assert_contains_compact(
        "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG TỈNH QUẢNG NINH", "ỦY BAN NHÂN DÂN TỈNH QUẢNG NINH", ctx.tracking_url
    )


def test_receipt_times_are_printed_in_vietnam_time(receipt: Extracted) -> None:
    # The sample's received_at is 01:30 UTC and due_at 09:30 UTC: Hà Nội is UTC+7.
    receipt.assert_contains(
        "Thời gian nhận hồ sơ: 08 giờ 30 phút, ngày 23/11/2026",
        "Thời gian trả kết quả giải quyết hồ sơ: 16 giờ 30 phút, ngày 07/12/2026",
        "Quảng Ninh, ngày 23 tháng 11 năm 2026",
    )


def test_receipt_received_late_in_the_utc_evening_is_dated_the_next_local_day() -> None:
    ctx = dataclasses.replace(sample_receipt(), received_at=dt.datetime(2026, 11, 22, 18, 5, tzinfo=UTC))
    extracted = Extracted(render_receipt(ctx))
    extracted.assert_contains("Thời gian nhận hồ sơ: 01 giờ 05 phút, ngày 23/11/2026", "ngày 23 tháng 11 năm 2026")


def test_receipt_refuses_a_naive_datetime() -> None:
    ctx = dataclasses.replace(sample_receipt(), received_at=dt.datetime(2026, 11, 23, 8, 30))
    with pytest.raises(ValueError, match="aware datetime"):
        render_receipt(ctx)


def test_receipt_without_fees_says_none_are_charged() -> None:
    extracted = Extracted(render_receipt(dataclasses.replace(sample_receipt(), fees_total=0)))
    extracted.assert_contains("Phí, lệ phí: Không thu")


def test_receipt_qr_image_encodes_the_tracking_url(receipt_bytes: bytes) -> None:
    """Sample the embedded image at each module's centre and compare with the QR matrix of the URL."""
    url = sample_receipt().tracking_url
    images = PdfReader(io.BytesIO(receipt_bytes)).pages[0].images
    assert len(images) == 1
    picture = Image.open(io.BytesIO(images[0].data)).convert("L")
    expected = segno.make(url, error="m", micro=False)
    modules = expected.symbol_size(scale=1, border=0)[0]
    border = 4
    pixel = picture.width / (modules + 2 * border)
    assert picture.width == picture.height
    decoded = [
        [
            picture.getpixel((int((border + col + 0.5) * pixel), int((border + row + 0.5) * pixel))) < 128
            for col in range(modules)
        ]
        for row in range(modules)
    ]
    assert decoded == [[bool(value) for value in row] for row in expected.matrix]
    # A QR code of another URL would differ: the comparison can fail.
    other = segno.make(url + "x", error="m", micro=False)
    assert decoded != [[bool(value) for value in row] for row in other.matrix]


def test_receipt_qr_code_scans_from_the_printed_page(receipt_bytes: bytes, tmp_path) -> None:
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        pytest.fail("poppler-utils and zbar-tools are needed: run `make browser` (Debian packages)")
    pdf = tmp_path / "receipt.pdf"
    pdf.write_bytes(receipt_bytes)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True
    )
    page = next(tmp_path.glob("page*.png"))
    result = subprocess.run(["zbarimg", "-q", "--raw", str(page)], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == sample_receipt().tracking_url


def test_receipt_fits_one_a4_page_with_its_signature_blocks(receipt: Extracted) -> None:
    assert len(receipt.reader.pages) == 1


# ----------------------------------------------------------------------------- Forms 02-04


def test_supplement_request() -> None:
    extracted = Extracted(render_supplement_request(sample_supplement_request()))
    extracted.assert_contains(
        "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
        "Số: 128/PYCBS-TTPVHCC",
        "Quảng Ninh, ngày 24 tháng 11 năm 2026",
        "Hồ sơ của: Ông/Bà Nguyễn Thị Hồng Nhung",
        "Nội dung cần bổ sung, hoàn thiện",
        "Lý do",
        "Giấy xác nhận thông tin về cư trú",
        "Bản đã nộp hết hiệu lực; cần bản cấp trong vòng 30 ngày gần nhất.",
        "Thiếu chữ ký của người yêu cầu ở trang 2.",
        "Đề nghị Ông/Bà bổ sung trước ngày 08/12/2026",
        "Ông/Bà liên hệ với Trần Văn Đức, số điện thoại 0203 3 835 678 để được hướng dẫn.",
        "Xin trân trọng cảm ơn./.",
        "NGƯỜI HƯỚNG DẪN",
    )
    extracted.assert_contains_compact("Mã hồ sơ: 000.00.00.H49-261123-0042")


def test_refusal() -> None:
    extracted = Extracted(render_refusal(sample_refusal()))
    extracted.assert_contains(
        "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
        "Số: 45/PTC-TTPVHCC",
        "tiếp nhận hồ sơ của: Ông/Bà Nguyễn Thị Hồng Nhung",
        "Căn cứ quy định tại khoản 2 Điều 45 Luật Lý lịch tư pháp, Trung tâm Phục vụ hành chính công tỉnh "
        "Quảng Ninh từ chối tiếp nhận, giải quyết hồ sơ này với lý do cụ thể như sau:",
        "1. Người yêu cầu không thuộc đối tượng được cấp Phiếu lý lịch tư pháp số 2 theo yêu cầu của cá nhân.",
        "2. Hồ sơ đã được bổ sung hai lần nhưng vẫn không đầy đủ theo quy định.",
        "Xin thông báo cho Ông/Bà được biết và thực hiện./.",
        "NGƯỜI TIẾP NHẬN HỒ SƠ",
    )


def test_delay_notice_states_reason_and_both_appointments_in_local_time() -> None:
    extracted = Extracted(render_delay_notice(sample_delay_notice()))
    extracted.assert_contains(
        "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
        "Kính gửi: Ông/Bà Nguyễn Thị Hồng Nhung",
        "Vào lúc 08 giờ 30 phút, ngày 23/11/2026, Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh tiếp nhận",
        "Thời gian hẹn trả kết quả giải quyết hồ sơ: 16 giờ 30 phút, ngày 07/12/2026.",
        "lý do: Cần xác minh thông tin án tích tại cơ quan quản lý cơ sở dữ liệu lý lịch tư pháp của tỉnh khác.",
        "Sự chậm trễ này đã gây phiền hà cho Ông/Bà.",
        "xin lỗi Ông/Bà",
        "Thời gian hẹn trả lại kết quả: 16 giờ 30 phút, ngày 14/12/2026.",
        "GIÁM ĐỐC",
        "(Ký, ghi rõ họ tên và đóng dấu)",
        "Phạm Thị Thu Hằng",
        "Quảng Ninh, ngày 04 tháng 12 năm 2026",
    )


def test_delay_notice_uses_the_agency_s_own_apology_when_given() -> None:
    ctx = dataclasses.replace(sample_delay_notice(), apology="Trung tâm thành thật xin lỗi vì sự bất tiện này.")
    extracted = Extracted(render_delay_notice(ctx))
    extracted.assert_contains("Trung tâm thành thật xin lỗi vì sự bất tiện này.")
    assert "Sự chậm trễ này đã gây phiền hà" not in extracted.text


# ----------------------------------------------------------------------------- Form 05


def test_control_slip_lists_every_step() -> None:
    extracted = Extracted(render_control_slip(sample_control_slip()))
    extracted.assert_contains(
        "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
        "(Kèm theo Phiếu tiếp nhận hồ sơ và hẹn trả kết quả)",
        "Cơ quan (bộ phận) giải quyết hồ sơ: Sở Tư pháp tỉnh Quảng Ninh",
        "Cơ quan phối hợp giải quyết hồ sơ: Công an tỉnh Quảng Ninh",
        "Thời gian hẹn trả kết quả: 16 giờ 30 phút, ngày 07/12/2026",
        "Bước xử lý",
        "Người xử lý",
        "Tiếp nhận, kiểm tra hồ sơ",
        "Lê Minh Tuấn",
        "Phòng Hành chính tư pháp",
        "Trước hạn",
        "Đúng hạn",
        "Đang xử lý",
        "Đề nghị Công an tỉnh xác minh",
        "0,5",
    )
    # 06:00 UTC on 23/11 is 13:00 in Hà Nội
    extracted.assert_contains_compact("13:0023/11/2026", "16:0027/11/2026")


def test_control_slip_table_repeats_its_heading_on_every_page() -> None:
    base = sample_control_slip()
    start = dt.datetime(2026, 11, 23, 1, 30, tzinfo=UTC)
    steps = tuple(
        ControlSlipStep(
            name=f"Bước số {index}: xem xét, cho ý kiến về hồ sơ",
            handler="Lê Minh Tuấn",
            unit="Phòng Hành chính tư pháp",
            received_at=start + dt.timedelta(hours=index),
            allotted_working_days=0.25,
            finished_at=start + dt.timedelta(hours=index + 1),
            timeliness=Timeliness.ON_TIME,
        )
        for index in range(1, 61)
    )
    extracted = Extracted(render_control_slip(dataclasses.replace(base, steps=steps)))
    assert len(extracted.pages) >= 3
    for page in extracted.pages:
        assert "Bước xử lý" in page
        assert "Thời điểm hoàn thành" in page
    extracted.assert_contains("Bước số 1: xem xét", "Bước số 60: xem xét")


# ----------------------------------------------------------------------------- Form 06


def test_log_book_is_landscape_with_headings_on_every_page_and_every_dossier() -> None:
    ctx = sample_log_book(entries=40)
    extracted = Extracted(render_log_book(ctx))
    assert len(extracted.pages) > 1
    for page in extracted.reader.pages:
        assert float(page.mediabox.width) == pytest.approx(A4_PORTRAIT[1], abs=0.5)
        assert float(page.mediabox.height) == pytest.approx(A4_PORTRAIT[0], abs=0.5)
    for page in extracted.pages:
        for heading in ("Mã hồ sơ", "Tên thủ tục hành chính", "Ngày, tháng, năm", "Hẹn trả kết quả", "Ghi chú"):
            assert heading in page
    extracted.assert_contains(
        "SỔ THEO DÕI HỒ SƠ", "Từ ngày 01/11/2026 đến ngày 30/11/2026", "Quyển số: 03", "Trả qua bưu điện"
    )
    extracted.assert_contains_compact(*(entry.dossier_code for entry in ctx.entries))
    # the first dossier arrived 01:30 UTC on 2 November: 08:30 local
    extracted.assert_contains_compact("08:3002/11/2026")


# ----------------------------------------------------------------------------- result document


def test_result_document_layout_and_text() -> None:
    extracted = Extracted(render_result(sample_result()))
    extracted.assert_contains(
        "ỦY BAN NHÂN DÂN TỈNH QUẢNG NINH",
        "SỞ TƯ PHÁP",
        "Số: 1542/QĐ-STP",
        "Quảng Ninh, ngày 23 tháng 11 năm 2026",
        "QUYẾT ĐỊNH",
        "Về việc cấp Phiếu lý lịch tư pháp số 1",
        "Căn cứ Luật Lý lịch tư pháp ngày 17 tháng 6 năm 2009;",
        "Điều 1. Cấp Phiếu lý lịch tư pháp số 1 cho bà Nguyễn Thị Hồng Nhung, sinh ngày 05 tháng 02 năm 1990",
        "Nơi nhận:",
        "- Như Điều 2;",
        "KT. GIÁM ĐỐC",
        "PHÓ GIÁM ĐỐC",
        "Vũ Đình Khánh",
    )


def test_long_result_wraps_onto_more_pages_and_keeps_the_signature_whole() -> None:
    paragraph = "Điều khoản dài về quyền và nghĩa vụ của tổ chức, cá nhân có liên quan được quy định chi tiết. " * 12
    ctx = dataclasses.replace(sample_result(), body=tuple(f"Điều {n}. {paragraph}" for n in range(1, 8)))
    extracted = Extracted(render_result(ctx))
    assert len(extracted.pages) >= 3
    last = extracted.pages[-1]
    assert "PHÓ GIÁM ĐỐC" in last and "Vũ Đình Khánh" in last and "KT. GIÁM ĐỐC" in last
    extracted.assert_contains("Điều 7. Điều khoản dài")


# ----------------------------------------------------------------------------- every form


RENDERS = {
    "receipt": lambda: render_receipt(sample_receipt()),
    "supplement": lambda: render_supplement_request(sample_supplement_request()),
    "refusal": lambda: render_refusal(sample_refusal()),
    "delay": lambda: render_delay_notice(sample_delay_notice()),
    "control_slip": lambda: render_control_slip(sample_control_slip()),
    "log_book": lambda: render_log_book(sample_log_book(entries=3)),
    "result": lambda: render_result(sample_result()),
}


@pytest.mark.parametrize("name", RENDERS)
def test_pdf_is_valid_a4_with_metadata_and_embedded_noto_sans(name: str) -> None:
    content = RENDERS[name]()
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    for page in reader.pages:
        size = sorted((float(page.mediabox.width), float(page.mediabox.height)))
        assert size == pytest.approx(sorted(A4_PORTRAIT), abs=0.5)
    metadata = reader.metadata
    assert metadata is not None
    assert metadata.title and metadata.author and metadata.creator == "Motcua"
    fonts: dict[str, DictionaryObject] = {}
    for page in reader.pages:
        resources = page["/Resources"].get_object()
        for font in resources["/Font"].get_object().values():
            font = font.get_object()
            fonts[str(font["/BaseFont"])] = font
    assert fonts, "no font on the pages"
    for base_font, font in fonts.items():
        assert re.fullmatch(r"/[A-Z]{6}\+NotoSans.*", base_font), base_font  # a subset of Noto Sans
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor, f"{base_font} is not embedded"
    assert len({name.split("+", 1)[1] for name in fonts}) >= 2  # regular and bold at least


@pytest.mark.parametrize("name", RENDERS)
def test_same_context_gives_the_same_bytes(name: str) -> None:
    assert RENDERS[name]() == RENDERS[name]()


def test_creation_date_is_the_document_date() -> None:
    reader = PdfReader(io.BytesIO(render_receipt(sample_receipt())))
    assert reader.metadata is not None
    assert reader.metadata.creation_date == sample_receipt().received_at


def test_diacritics_survive_in_nfd_input() -> None:
    """Text typed in decomposed form (NFD) is printed composed, so a search for the NFC name finds it."""
    applicant = dataclasses.replace(sample_receipt().applicant, name=unicodedata.normalize("NFD", "Đỗ Thị Ngọc Ánh"))
    extracted = Extracted(render_receipt(dataclasses.replace(sample_receipt(), applicant=applicant)))
    assert "Đỗ Thị Ngọc Ánh" in extracted.text


def test_save_samples_writes_every_form(tmp_path) -> None:
    written = save_samples(tmp_path / "samples")
    assert len(written) == 7
    for path in written:
        assert len(PdfReader(path).pages) >= 1


# ----------------------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2026, 3, 5), "ngày 05 tháng 3 năm 2026"),
        (dt.date(2026, 1, 9), "ngày 09 tháng 01 năm 2026"),
        (dt.date(2026, 2, 28), "ngày 28 tháng 02 năm 2026"),
        (dt.date(2026, 11, 23), "ngày 23 tháng 11 năm 2026"),
    ],
)
def test_long_date_follows_decree_30(day: dt.date, expected: str) -> None:
    assert fmt.long_date(day) == expected


def test_number_formats() -> None:
    assert fmt.money(1_250_000) == "1.250.000 đồng"
    assert fmt.money(0) == "0 đồng"
    assert fmt.working_days(0.5) == "0,5"
    assert fmt.working_days(5) == "5"
    assert fmt.hour_minute_date(dt.datetime(2026, 12, 31, 17, 0, tzinfo=UTC)) == "00 giờ 00 phút, ngày 01/01/2027"
