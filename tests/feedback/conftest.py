"""Fixtures of the feedback tests: the demo directory and catalogue (Quảng Ninh's Department of Justice and Phường
Hạ Long), officials of each role there, citizens, a captured notification sender and helpers that drive the
services. Nothing here is autouse but the notification capture."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.conf import settings
from django.test import Client

from motcua.agencies.models import Organisation, Role
from motcua.agencies.services import agencies_load_demo
from motcua.core.models import AuditEvent
from motcua.core.permissions import SYSTEM
from motcua.feedback import notifying, services
from motcua.feedback.models import Feedback, FeedbackAttachment, FeedbackEvent, FeedbackVote
from motcua.procedures.services import procedures_load_demo
from tests.factories import OfficialFactory, PositionFactory, UserFactory
from tests.support.sessions import sign_in_with_second_factor

QN_PROVINCE = "000.00.00.H49"
QN_JUSTICE = "000.00.01.H49"  # Sở Tư pháp tỉnh Quảng Ninh
QN_CENTRE = "000.00.20.H49"
QN_HA_LONG = "000.00.31.H49"  # Ủy ban nhân dân phường Hạ Long
NA_JUSTICE = "000.00.01.H41"  # Sở Tư pháp tỉnh Nghệ An
LLTP = "2.000488"  # Cấp Phiếu lý lịch tư pháp (Sở Tư pháp Quảng Ninh)
KHAI_SINH = "1.001193"  # Đăng ký khai sinh (Phường Hạ Long)

LOCAL = dt.timezone(dt.timedelta(hours=7))
# Monday 2 March 2026, 09:00 in Hà Nội: three weeks without a public holiday.
MONDAY = dt.datetime(2026, 3, 2, 9, 0, tzinfo=LOCAL)

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489") + b"\x00" * 32
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32


def local(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=LOCAL)


def close_of(year: int, month: int, day: int) -> dt.datetime:
    """The close of business (17:00) of a day: where a deadline in working days ends."""
    return local(year, month, day, 17, 0)


@pytest.fixture
def english():
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def directory(db):
    agencies_load_demo(actor=SYSTEM)
    procedures_load_demo(actor=SYSTEM)


def official_in(code: str, role: str, **user_fields):
    organisation = Organisation.objects.get(code=code)
    user = OfficialFactory(**user_fields)
    PositionFactory(user=user, organisation=organisation, role=role, title=str(Role(role).label))
    return user


@pytest.fixture
def receiver(directory):
    """The Department of Justice's document clerk (văn thư), who receives its feedback."""
    return official_in(QN_JUSTICE, Role.DOCUMENT_CLERK, full_name="Phan Thị Thu")


@pytest.fixture
def handler(directory):
    return official_in(QN_JUSTICE, Role.SPECIALIST, full_name="Lê Văn Minh")


@pytest.fixture
def other_handler(directory):
    return official_in(QN_JUSTICE, Role.UNIT_HEAD, full_name="Phạm Thu Hà")


@pytest.fixture
def leader(directory):
    return official_in(QN_JUSTICE, Role.AGENCY_LEADER, full_name="Đỗ Mạnh Cường")


@pytest.fixture
def province_admin(directory):
    """The province's agency administrator: authority over every body of Quảng Ninh."""
    return official_in(QN_PROVINCE, Role.AGENCY_ADMIN, full_name="Đặng Văn Long")


@pytest.fixture
def ward_clerk(directory):
    return official_in(QN_HA_LONG, Role.ONE_STOP_CLERK, full_name="Trịnh Thu Trang")


@pytest.fixture
def foreign_leader(directory):
    """A leader of Nghệ An's Department of Justice: another province, no right on Quảng Ninh's feedback."""
    return official_in(NA_JUSTICE, Role.AGENCY_LEADER)


@pytest.fixture
def citizen(db):
    return UserFactory(
        username="hoa",
        full_name="Nguyễn Thị Hoa",
        personal_id="022190000123",
        phone="0912345678",
        email="hoa@example.vn",
    )


@pytest.fixture
def other_citizen(db):
    return UserFactory(full_name="Trần Văn Nam")


@pytest.fixture(autouse=True)
def sent():
    """Every notification the feedback app sends, as (event, recipients, context, link, dedupe_key), still handed
    to the notifications app (so every message is also rendered and written for real)."""
    captured: list[dict] = []
    real = notifying.notification_sender_set(None)

    def capture(**message):
        captured.append(message)
        real(**message)

    previous = notifying.notification_sender_set(capture)
    yield captured
    notifying.notification_sender_set(previous)


def events_sent(sent) -> list[str]:
    return [message["event"] for message in sent]


def upload(name: str = "anh.png", content: bytes = PNG_BYTES) -> services.Upload:
    return services.Upload(content=io.BytesIO(content), name=name, size=len(content))


def submit(actor=None, *, at=MONDAY, **overrides) -> Feedback:
    """A feedback about the judicial-record procedure of the Department of Justice."""
    fields = {
        "subject_kind": "procedure",
        "procedure_code": LLTP,
        "title": "Thời hạn cấp Phiếu lý lịch tư pháp",
        "content": "Tôi nộp hồ sơ trực tuyến, thời hạn giải quyết tính từ ngày nào?",
        "publication_consent": True,
    }
    if actor is None:
        fields.update({"name": "Trần Thị Bích", "phone": "0987654321"})
    fields.update(overrides)
    return services.feedback_submit(actor=actor, at=at, client_address="192.0.2.10", **fields)


def accepted(receiver, *, at=MONDAY, **overrides) -> Feedback:
    feedback = submit(at=at, **overrides)
    return services.feedback_accept(actor=receiver, feedback=feedback, at=at + dt.timedelta(hours=1))


def assigned(receiver, handler, *, at=MONDAY, **overrides) -> Feedback:
    feedback = accepted(receiver, at=at, **overrides)
    return services.feedback_assign(actor=receiver, feedback=feedback, assignee=handler, at=at + dt.timedelta(hours=2))


def answered(receiver, handler, *, at=MONDAY, **overrides) -> Feedback:
    feedback = assigned(receiver, handler, at=at, **overrides)
    return services.feedback_answer(
        actor=handler,
        feedback=feedback,
        answer="Thời hạn tính từ ngày Sở Tư pháp tiếp nhận hồ sơ hợp lệ.",
        published_question="Công dân hỏi thời hạn cấp Phiếu lý lịch tư pháp được tính từ khi nào.",
        at=at + dt.timedelta(days=1),
    )


def approved(receiver, handler, leader, *, at=MONDAY, **overrides) -> Feedback:
    feedback = answered(receiver, handler, at=at, **overrides)
    return services.feedback_approve(actor=leader, feedback=feedback, at=at + dt.timedelta(days=1, hours=2))


def published(receiver, handler, leader, *, at=MONDAY, **overrides) -> Feedback:
    feedback = approved(receiver, handler, leader, at=at, **overrides)
    return services.feedback_publish(actor=leader, feedback=feedback, at=at + dt.timedelta(days=1, hours=3))


class Counts:
    """Row counts of everything a feedback service writes, to prove a refused call wrote nothing."""

    def __init__(self):
        self.before = self.now()

    @staticmethod
    def now():
        return {
            "feedback": Feedback.objects.count(),
            "events": FeedbackEvent.objects.count(),
            "attachments": FeedbackAttachment.objects.count(),
            "votes": FeedbackVote.objects.count(),
            "audit": AuditEvent.objects.count(),
        }

    def assert_unchanged(self):
        assert self.now() == self.before


def state_of(feedback) -> dict:
    """Everything about a feedback row, to compare before and after a refused action."""
    row = Feedback.objects.values().get(pk=feedback.pk)
    row.pop("updated_at")
    return row


def signed_in(user, *, language: str = "en") -> Client:
    client = Client()
    if user.kind == "official":
        sign_in_with_second_factor(client, user)
    else:
        client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def anonymous(language: str = "en") -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client
