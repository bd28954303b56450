"""Folding of Vietnamese text for search, so "uy ban nhan dan" finds "Ủy ban nhân dân"."""

from __future__ import annotations

import unicodedata


def search_fold(text: str) -> str:
    """Lower-case, without tone marks or other diacritics, đ as d, single spaces.

    People type Vietnamese with or without diacritics (and with tone marks placed in either of the two
    accepted positions, "Ủy"/"Uỷ"); folding both the stored names and the query makes them all meet.
    """
    lowered = (text or "").lower().replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", lowered)
    without_marks = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(without_marks.split())


def search_terms(query: str) -> list[str]:
    """The folded words of a query; every one of them must appear for an item to match."""
    return search_fold(query).split()
