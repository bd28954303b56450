"""Helpers for the web tests: an HTML reader and signed-in clients (officials with their second factor passed)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.support.sessions import sign_in_with_second_factor  # noqa: F401  (re-exported for web tests)


class Element:
    def __init__(self, tag: str, attrs: dict[str, str | None]):
        self.tag = tag
        self.attrs = attrs
        self.text = ""

    def __repr__(self) -> str:
        return f"<{self.tag} {self.attrs} {self.text[:40]!r}>"


class _Collector(HTMLParser):
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.open: list[Element] = []

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs))
        self.elements.append(element)
        if tag not in self.VOID:
            self.open.append(element)

    def handle_endtag(self, tag):
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index].tag == tag:
                del self.open[index:]
                break

    def handle_data(self, data):
        for element in self.open:
            element.text += data


class Page:
    """Just enough of a DOM to assert on landmarks, attributes and visible text."""

    def __init__(self, html: str):
        collector = _Collector()
        collector.feed(html)
        self.elements = collector.elements

    def find_all(self, tag: str, **attrs: str) -> list[Element]:
        return [
            element
            for element in self.elements
            if element.tag == tag
            and all(element.attrs.get(name.rstrip("_").replace("_", "-")) == value for name, value in attrs.items())
        ]

    def find(self, tag: str, **attrs: str) -> Element:
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag}> with {attrs}"
        return found[0]

    def text(self, tag: str) -> str:
        return " ".join(" ".join(element.text.split()) for element in self.find_all(tag))


def page(response_or_html) -> Page:
    if isinstance(response_or_html, str):
        return Page(response_or_html)
    return Page(response_or_html.content.decode())


@pytest.fixture
def official(db):
    from tests.factories import OfficialFactory

    return OfficialFactory(full_name="Nguyễn Thị Lan")
