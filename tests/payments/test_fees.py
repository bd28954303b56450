"""Fee quotes from a procedure's fee lines, and amounts in words."""

import pytest

from motcua.core.exceptions import ValidationFailed
from motcua.payments.amount_words import amount_in_words
from motcua.payments.services import fee_quote
from motcua.procedures.content import ProcedureContent

CONTENT = {
    "code": "2.000635",
    "name": "Cấp bản sao trích lục hộ tịch",
    "field": {"code": "ho-tich", "name": "Hộ tịch"},
    "level": "commune",
    "online_level": "full",
    "implementing_organisation_code": "000.00.31.H49",
    "processing_hours": 8,
    "fees": [
        {"code": "LP", "name": "Lệ phí đăng ký", "kind": "charge", "amount": 50000, "basis": "fixed"},
        {
            "code": "BANSAO",
            "name": "Phí cấp bản sao trích lục",
            "kind": "fee",
            "amount": 8000,
            "basis": "per_copy",
            "exempt_categories": ["nguoi_co_cong", "ho_ngheo"],
        },
    ],
    "workflow": [{"code": "TN", "name": "Tiếp nhận", "role": "one_stop_clerk", "allotted_hours": 8}],
}


def content(**overrides):
    return ProcedureContent.model_validate({**CONTENT, **overrides})


def test_fixed_lines_once_per_copy_lines_times_copies():
    quote = fee_quote(content=content(), copies=3)
    assert [(line.code, line.kind, line.quantity, line.amount) for line in quote.lines] == [
        ("LP", "charge", 1, 50000),
        ("BANSAO", "fee", 3, 24000),
    ]
    assert quote.total == 74000 and len(quote.payable_lines) == 2


def test_an_exempt_category_makes_its_lines_zero_and_only_those():
    quote = fee_quote(content=content(), copies=2, applicant_category="ho_ngheo")
    assert [(line.code, line.exempt, line.amount) for line in quote.lines] == [
        ("LP", False, 50000),
        ("BANSAO", True, 0),
    ]
    assert quote.total == 50000 and [line.code for line in quote.payable_lines] == ["LP"]
    assert fee_quote(content=content(), copies=2, applicant_category="other").total == 66000


def test_no_fees_is_a_zero_quote():
    quote = fee_quote(content=content(fees=[]))
    assert quote.lines == () and quote.total == 0


@pytest.mark.parametrize("copies", [0, -1, 1001, True, "2"])
def test_copies_must_be_a_sensible_whole_number(copies):
    with pytest.raises(ValidationFailed) as error:
        fee_quote(content=content(), copies=copies)
    assert "copies" in error.value.details


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (0, "Không đồng"),
        (8000, "Tám nghìn đồng"),
        (15000, "Mười lăm nghìn đồng"),
        (21000, "Hai mươi mốt nghìn đồng"),
        (24000, "Hai mươi tư nghìn đồng"),
        (105000, "Một trăm linh năm nghìn đồng"),
        (210000, "Hai trăm mười nghìn đồng"),
        (1250000, "Một triệu hai trăm năm mươi nghìn đồng"),
        (1005000, "Một triệu không trăm linh năm nghìn đồng"),
        (1000500, "Một triệu năm trăm đồng"),
        (2000000000, "Hai tỷ đồng"),
    ],
)
def test_amounts_in_words_as_receipts_write_them(amount, words):
    assert amount_in_words(amount) == words


def test_amount_in_words_refuses_what_is_not_a_whole_number_of_dong():
    for value in (-1, 1.5, True):
        with pytest.raises(ValueError):
            amount_in_words(value)
