"""Reading the fields of a package tree leniently or strictly, each problem named by its path.

The rules (what is accepted with a warning, what is refused) are listed in ``docs/edxml.md``; in strict mode
every warning is an error. A ``Node`` is an element with its path; the ``read_*`` functions read one child's
value and record what is wrong with it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from lxml import etree

from motcua.core.codes import organisation_code_parse
from motcua.exchange.edxml.codes import FREE_TEXT_HARD_FACTOR, NAMESPACE, VIETNAM
from motcua.exchange.edxml.issues import IssueCollector
from motcua.exchange.edxml.reader import local_name

T = TypeVar("T")

MISSING_DATE = dt.date(1, 1, 1)  # stands in for a required date that is missing (the package is refused anyway)
MISSING_MOMENT = dt.datetime(1, 1, 1, tzinfo=dt.UTC)

# Element names as the standard spells them, and the spellings found in real packages that mean the same.
SPELLINGS = {
    "Bussiness": ("Business",),
    "BussinessDocType": ("BusinessDocType",),
    "BussinessDocReason": ("BusinessDocReason",),
    "BussinessDocumentInfo": ("BusinessDocumentInfo",),
}


@dataclass
class Context:
    issues: IssueCollector
    namespace_warned: bool = False
    foreign_names: set[str] = field(default_factory=set)


def _namespace(tag: str) -> str | None:
    return tag[1:].partition("}")[0] if tag.startswith("{") else None


def _is_element(node: object) -> bool:
    return isinstance(node, etree._Element) and isinstance(node.tag, str)


class Node:
    """An element of the package and its path (``MessageHeader/To[2]``)."""

    def __init__(self, element: etree._Element, path: str, context: Context) -> None:
        self.element = element
        self.path = path
        self.context = context

    @property
    def issues(self) -> IssueCollector:
        return self.context.issues

    @property
    def name(self) -> str:
        return local_name(self.element.tag)

    def sub(self, name: str) -> str:
        return f"{self.path}/{name}" if self.path else name

    def _ours(self, element: etree._Element) -> bool:
        namespace = _namespace(element.tag)
        if namespace == NAMESPACE:
            return True
        if namespace is None:
            if not self.context.namespace_warned:
                self.context.namespace_warned = True
                self.issues.warn(
                    self.sub(local_name(element.tag)),
                    "namespace_missing",
                    _("Elements without the QCVN 102 namespace were read as if they had it."),
                )
            return True
        return False

    def _elements(self) -> list[etree._Element]:
        return [child for child in self.element if _is_element(child)]

    def _matching(self, name: str) -> list[tuple[etree._Element, bool]]:
        """Children named ``name`` (or an accepted other spelling, then flagged True), in document order."""
        spellings = SPELLINGS.get(name, ())
        found = []
        for child in self._elements():
            child_name = local_name(child.tag)
            if child_name == name and self._ours(child):
                found.append((child, False))
            elif child_name in spellings and self._ours(child):
                found.append((child, True))
        return found

    def has(self, name: str) -> bool:
        """Whether a child ``name`` exists (in any accepted spelling), without reporting anything."""
        return bool(self._matching(name))

    def children(self, name: str) -> list[Node]:
        """Every child ``name``, with indexed paths (``To[1]``, ``To[2]``)."""
        nodes = []
        for index, (element, respelled) in enumerate(self._matching(name), start=1):
            path = self.sub(f"{name}[{index}]")
            if respelled:
                self._respelled(path, element, name)
            nodes.append(Node(element, path, self.context))
        return nodes

    def child(self, name: str, *, required: bool = False) -> Node | None:
        """The one child ``name``; a second one is an error (which of them would be meant?)."""
        matches = self._matching(name)
        path = self.sub(name)
        if not matches:
            if required:
                self.issues.error(path, "required", _("This element is required."))
            return None
        if len(matches) > 1:
            self.issues.error(path, "duplicate", _("This element appears more than once."))
        element, respelled = matches[0]
        if respelled:
            self._respelled(path, element, name)
        return Node(element, path, self.context)

    def _respelled(self, path: str, element: etree._Element, name: str) -> None:
        self.issues.warn(
            path,
            "spelling",
            _("“%(found)s” was read as “%(name)s”, the standard's spelling.")
            % {"found": local_name(element.tag), "name": name},
        )

    def expect(self, names: Iterable[str], *, foreign: Iterable[tuple[str, str]] = ()) -> None:
        """Warn about children that the standard does not define here (they are ignored).

        ``foreign`` lists (namespace, name) pairs of other vocabularies that belong here (the XML-DSig Signature).
        """
        known = set(names)
        for name in list(known):
            known.update(SPELLINGS.get(name, ()))
        allowed = set(foreign)
        for child in self._elements():
            name, namespace = local_name(child.tag), _namespace(child.tag)
            if (namespace, name) in allowed or (name in known and namespace in (NAMESPACE, None)):
                continue
            self.issues.warn(
                self.sub(name),
                "unknown_element",
                _("This element is not part of QCVN 102 here and was ignored."),
            )

    def raw_text(self) -> str:
        if any(_is_element(child) for child in self.element):
            self.issues.error(self.path, "unexpected_element", _("This element must hold text, not elements."))
        return self.element.text or ""


# --- leaf values ------------------------------------------------------------------------------------------------


def read_text(
    parent: Node,
    name: str,
    *,
    max_length: int,
    required: bool = False,
    identifier: bool = False,
) -> str:
    """The stripped text of child ``name``; "" when missing.

    Longer than ``max_length``: an identifier or code is refused (cutting it would change what it names); free
    text is kept whole with a warning up to FREE_TEXT_HARD_FACTOR × the limit, refused beyond or when strict.
    """
    node = parent.child(name, required=required)
    if node is None:
        return ""
    return node_text(node, max_length=max_length, required=required, identifier=identifier)


def node_text(node: Node, *, max_length: int, required: bool = False, identifier: bool = False) -> str:
    raw = node.raw_text()
    value = raw.strip()
    if not value:
        if required:
            node.issues.error(node.path, "required", _("This element must not be empty."))
        return ""
    if value != raw:
        node.issues.warn(node.path, "whitespace", _("Spaces or line breaks around the value were removed."))
    if len(value) > max_length:
        message = _("At most %(limit)d characters are allowed; this value has %(length)d.") % {
            "limit": max_length,
            "length": len(value),
        }
        if identifier or len(value) > max_length * FREE_TEXT_HARD_FACTOR:
            node.issues.error(node.path, "too_long", message)
        else:
            node.issues.warn(node.path, "too_long", message)
    return value


def read_organisation_code(parent: Node, name: str, *, required: bool = True) -> str:
    node = parent.child(name, required=required)
    if node is None:
        return ""
    return node_organisation_code(node, required=required)


def node_organisation_code(node: Node, *, required: bool = True) -> str:
    value = node_text(node, max_length=35, required=required, identifier=True)
    if not value:
        return ""
    normalised = value.upper()
    if normalised != value:
        node.issues.warn(
            node.path,
            "organisation_code_case",
            _("The organisation code was written in lower case and was read as %(code)s.") % {"code": normalised},
        )
    try:
        organisation_code_parse(normalised)
    except ValidationError:
        node.issues.error(
            node.path,
            "invalid_organisation_code",
            _("“%(value)s” is not an organisation code of the form 000.00.00.G22 (QCVN 102).") % {"value": value},
        )
    return normalised


_DATE_CANONICAL = re.compile(r"^(\d{4})/(\d{2})/(\d{2})$")
_DATE_LENIENT = (
    re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})$"),
    re.compile(r"^(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4})$"),
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"),
)


def read_date(parent: Node, name: str, *, required: bool = False) -> dt.date | None:
    node = parent.child(name, required=required)
    if node is None:
        return MISSING_DATE if required else None
    return node_date(node, required=required)


def node_date(node: Node, *, required: bool = False) -> dt.date | None:
    value = node_text(node, max_length=40, required=required, identifier=True)
    if not value:
        return MISSING_DATE if required else None
    match = _DATE_CANONICAL.match(value)
    parts = (match.group(1), match.group(2), match.group(3)) if match else None
    if parts is None:
        for pattern in _DATE_LENIENT:
            lenient = pattern.match(value)
            if lenient:
                parts = (lenient["y"], lenient["m"], lenient["d"])
                break
    if parts is None:
        node.issues.error(node.path, "invalid_date", _("“%(value)s” is not a date (yyyy/MM/dd).") % {"value": value})
        return MISSING_DATE
    try:
        date = dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        node.issues.error(node.path, "invalid_date", _("“%(value)s” is not a date that exists.") % {"value": value})
        return MISSING_DATE
    if match is None:
        node.issues.warn(
            node.path,
            "date_format",
            _("The date “%(value)s” was read as %(date)s; the standard writes yyyy/MM/dd.")
            % {"value": value, "date": date.strftime("%Y/%m/%d")},
        )
    return date


_MOMENT_CANONICAL = re.compile(r"^(\d{4})/(\d{2})/(\d{2}) (\d{2}):(\d{2}):(\d{2})$")
_MOMENT_LENIENT = (
    re.compile(
        r"^(?P<y>\d{4})[-/](?P<mo>\d{1,2})[-/](?P<d>\d{1,2})[T ](?P<h>\d{1,2}):(?P<mi>\d{2})(:(?P<s>\d{2})(\.\d+)?)?"
        r"(?P<zone>Z|[+-]\d{2}:?\d{2})?$"
    ),
    re.compile(r"^(?P<d>\d{1,2})[-/](?P<mo>\d{1,2})[-/](?P<y>\d{4})[T ](?P<h>\d{1,2}):(?P<mi>\d{2})(:(?P<s>\d{2}))?$"),
)


def read_timestamp(parent: Node, name: str, *, required: bool = True) -> dt.datetime:
    node = parent.child(name, required=required)
    if node is None:
        return MISSING_MOMENT
    return node_timestamp(node, required=required)


def node_timestamp(node: Node, *, required: bool = True) -> dt.datetime:
    value = node_text(node, max_length=40, required=required, identifier=True)
    if not value:
        return MISSING_MOMENT
    canonical = _MOMENT_CANONICAL.match(value)
    zone: dt.tzinfo = VIETNAM
    if canonical:
        y, mo, d, h, mi, s = (int(part) for part in canonical.groups())
    else:
        lenient = next((m for pattern in _MOMENT_LENIENT if (m := pattern.match(value))), None)
        if lenient is None:
            node.issues.error(
                node.path,
                "invalid_timestamp",
                _("“%(value)s” is not a moment (yyyy/MM/dd HH:mm:ss).") % {"value": value},
            )
            return MISSING_MOMENT
        y, mo, d, h, mi = (int(lenient[key]) for key in ("y", "mo", "d", "h", "mi"))
        s = int(lenient["s"] or 0)
        offset = lenient.groupdict().get("zone")
        if offset:
            zone = dt.UTC if offset == "Z" else _offset(offset)
    try:
        moment = dt.datetime(y, mo, d, h, mi, s, tzinfo=zone)
    except ValueError:
        node.issues.error(
            node.path, "invalid_timestamp", _("“%(value)s” is not a moment that exists.") % {"value": value}
        )
        return MISSING_MOMENT
    if not canonical:
        node.issues.warn(
            node.path,
            "timestamp_format",
            _("The moment “%(value)s” was read as %(moment)s; the standard writes yyyy/MM/dd HH:mm:ss.")
            % {"value": value, "moment": moment.astimezone(VIETNAM).strftime("%Y/%m/%d %H:%M:%S")},
        )
    return moment


def _offset(text: str) -> dt.timezone:
    digits = text.replace(":", "")
    sign = -1 if digits[0] == "-" else 1
    return dt.timezone(sign * dt.timedelta(hours=int(digits[1:3]), minutes=int(digits[3:5])))


def read_integer(
    parent: Node,
    name: str,
    *,
    default: int,
    minimum: int = 0,
    maximum: int | None = None,
    required: bool = False,
) -> int:
    node = parent.child(name, required=required)
    if node is None:
        return default
    value = node_text(node, max_length=12, required=required, identifier=True)
    if not value:
        return default
    if not re.fullmatch(r"[+-]?\d+", value):
        node.issues.error(node.path, "invalid_integer", _("“%(value)s” is not a whole number.") % {"value": value})
        return default
    number = int(value)
    if number < minimum or (maximum is not None and number > maximum):
        node.issues.error(
            node.path,
            "out_of_range",
            _("%(value)s is not between %(minimum)d and %(maximum)s.")
            % {"value": number, "minimum": minimum, "maximum": maximum if maximum is not None else "∞"},
        )
        return default
    return number


def read_choice(
    parent: Node, name: str, *, choices: Callable[[int], T], values: Iterable[int], default: T, required: bool = False
) -> T:
    """An integer code from a closed list (Priority, SteeringType, BussinessDocType)."""
    allowed = sorted(values)
    node = parent.child(name, required=required)
    if node is None:
        return default
    value = node_text(node, max_length=12, required=required, identifier=True)
    if not value:
        return default
    if not re.fullmatch(r"\d+", value) or int(value) not in allowed:
        node.issues.error(
            node.path,
            "invalid_choice",
            _("“%(value)s” is not one of the codes %(allowed)s.")
            % {"value": value, "allowed": ", ".join(str(code) for code in allowed)},
        )
        return default
    return choices(int(value))


def read_boolean(parent: Node, name: str, *, default: bool = False) -> bool:
    node = parent.child(name)
    if node is None:
        return default
    value = node_text(node, max_length=10, identifier=True).lower()
    if not value:
        return default
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    node.issues.error(node.path, "invalid_boolean", _("“%(value)s” is not true or false.") % {"value": value})
    return default


def read_texts(parent: Node, container: str, item: str, *, max_length: int) -> tuple[str, ...]:
    """The non-empty texts of ``container/item*`` (ToPlaces/Place, Appendixes/Appendix)."""
    node = parent.child(container)
    if node is None:
        return ()
    node.expect([item])
    values = []
    for child in node.children(item):
        value = node_text(child, max_length=max_length)
        if value:
            values.append(value)
    return tuple(values)
