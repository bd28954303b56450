"""Amounts in words as Vietnamese financial papers write them (số tiền bằng chữ): "Một trăm linh năm nghìn đồng".

Every group of three digits after the first is read in full ("một triệu không trăm linh năm nghìn"), groups of
zeros are skipped, 1 after twenty is "mốt", 4 after twenty is "tư", 5 after ten is "lăm", and a missing tens
digit is "linh". (``num2words`` reads inner groups short: "một triệu năm nghìn", which receipts do not use.)
"""

from __future__ import annotations

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
SCALES = ("", "nghìn", "triệu", "tỷ", "nghìn tỷ", "triệu tỷ")


def _group(number: int, *, full: bool) -> list[str]:
    hundreds, rest = divmod(number, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if full or hundreds:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units:
            if words:
                words.append("linh")
            words.append(DIGITS[units])
        return words
    words += ["mười"] if tens == 1 else [DIGITS[tens], "mươi"]
    if units == 1 and tens > 1:
        words.append("mốt")
    elif units == 4 and tens > 1:
        words.append("tư")
    elif units == 5:
        words.append("lăm")
    elif units:
        words.append(DIGITS[units])
    return words


def amount_in_words(amount: int, currency: str = "đồng") -> str:
    """``amount`` (a whole number of đồng, at most 999 999 triệu tỷ) in words, capitalised, with the currency."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise ValueError("a non-negative whole number is needed")
    groups: list[int] = []
    rest = amount
    while rest:
        rest, group = divmod(rest, 1000)
        groups.append(group)
    if len(groups) > len(SCALES):
        raise ValueError("amount too large")
    words: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            continue
        words += _group(group, full=index != len(groups) - 1)
        if SCALES[index]:
            words.append(SCALES[index])
    text = " ".join(words) if words else DIGITS[0]
    return f"{text[0].upper()}{text[1:]} {currency}".strip()
