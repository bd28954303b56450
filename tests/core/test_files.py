"""The file name every upload is stored and shown under."""

import unicodedata

import pytest

from motcua.core.files import safe_name


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("C:\\Users\\an\\tờ khai.pdf", "tờ khai.pdf"),  # a Windows path: the name only
        ("../../etc/passwd", "passwd"),
        ("..", "file"),
        ("", "file"),
        (" .ẩn.pdf. ", "ẩn.pdf"),
        ("bad\x00name\x1f.pdf", "badname.pdf"),
    ],
)
def test_a_safe_name_keeps_the_name_and_drops_what_could_harm(given, kept):
    assert safe_name(given) == kept


def test_vietnamese_typed_decomposed_is_stored_composed():
    decomposed = unicodedata.normalize("NFD", "Giấy khai sinh.pdf")
    assert safe_name(decomposed) == unicodedata.normalize("NFC", "Giấy khai sinh.pdf")


def test_a_long_name_is_cut_to_200_characters_keeping_its_extension():
    name = safe_name("a" * 300 + ".pdf")
    assert len(name) == 194 and name.endswith(".pdf")
