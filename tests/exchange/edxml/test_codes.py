"""Code lists and value formats: DocumentId, status codes and their translated labels, dates in Vietnam's time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from motcua.exchange.edxml import (
    BusinessDocType,
    Priority,
    StatusCode,
    SteeringType,
    document_id_format,
    document_id_parse,
)
from motcua.exchange.edxml.codes import VIETNAM, timestamp_format


def test_document_ids_are_written_and_read_back():
    text = document_id_format(
        organ_id="000.00.00.G22", promulgation_date=dt.date(2018, 9, 20), code_number="7816", code_notation="VPCP-TTĐT"
    )
    assert text == "000.00.00.G22,2018/09/20,7816/VPCP-TTĐT"
    parts = document_id_parse(text)
    assert (parts.organ_id, parts.promulgation_date, parts.code_number, parts.code_notation) == (
        "000.00.00.G22",
        dt.date(2018, 9, 20),
        "7816",
        "VPCP-TTĐT",
    )
    decree = document_id_parse("000.00.00.G01,2020/03/05,30/2020/NĐ-CP")
    assert (decree.code_number, decree.code_notation) == ("30", "2020/NĐ-CP")


@pytest.mark.parametrize(
    "text",
    ["", "3f2b7c1e-8f6a-4a59-9a51-5b8a4f1e2d3c", "000.00.00.G22,2018-09-20,7816/VPCP", "000.00.00.G22,2018/02/30,1/A"],
)
def test_malformed_document_ids_are_refused(text):
    with pytest.raises(ValueError):
        document_id_parse(text)


def test_the_status_codes_of_qcvn_102_with_labels_in_each_language():
    assert StatusCode.values == ["01", "02", "03", "04", "05", "06", "13", "15", "16"]
    with translation.override("vi"):
        assert str(StatusCode.REJECTED.label) == "Từ chối tiếp nhận"
    with translation.override("fr"):
        assert str(StatusCode.REJECTED.label) == "Refusé"
    with translation.override("en"):
        assert str(StatusCode.FINISHED.label) == "Processing finished"
    assert BusinessDocType.values == [0, 1, 2, 3] and Priority.values == [0, 1, 2, 3, 4]
    assert SteeringType.values == [0, 1, 2]


def test_moments_are_written_in_vietnams_time():
    assert timestamp_format(dt.datetime(2024, 3, 15, 1, 30, 5, tzinfo=dt.UTC)) == "2024/03/15 08:30:05"
    assert timestamp_format(dt.datetime(2024, 3, 15, 8, 30, 5)) == "2024/03/15 08:30:05"  # naive: Vietnam's
    assert timestamp_format(dt.datetime(2024, 3, 15, 8, 30, 5, tzinfo=VIETNAM)) == "2024/03/15 08:30:05"
