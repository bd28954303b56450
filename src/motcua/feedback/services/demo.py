"""Demo feedback for the embedded run (`motcua demo`): published answers to search and rate, and open feedback in
the demo officials' queues. Every item goes through the real services, acted by the demo officials."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from motcua.accounts.models import User
from motcua.core.permissions import permission_require
from motcua.feedback.models import Feedback
from motcua.feedback.services.handling import (
    feedback_accept,
    feedback_answer,
    feedback_approve,
    feedback_assign,
    feedback_close,
    feedback_publish,
    feedback_request_info,
)
from motcua.feedback.services.submission import feedback_submit
from motcua.feedback.services.votes import feedback_vote

# Quảng Ninh's Department of Justice and Phường Hạ Long, from the demo directory, and the demo officials there.
JUSTICE = {"receiver": "vanthu.stp", "handler": "chuyenvien.qn", "leader": "lanhdao.qn"}
HA_LONG = {"receiver": "motcua.halong", "handler": "tuphap.halong", "leader": "chutich.halong"}
ANONYMOUS_CONTACT = {"name": "Trần Thị Bích", "phone": "0987 654 321"}


@dataclass(frozen=True)
class DemoItem:
    about: dict[str, str]
    title: str
    content: str
    officials: dict[str, str]
    submitter: str  # a demo account's username, or "" for someone without an account
    consent: bool
    # How far it goes: "new", "needs_info", "assigned", "published" or "closed".
    until: str
    answer: str = ""
    published_question: str = ""
    days_ago: int = 3


DEMO_ITEMS = [
    DemoItem(
        about={"subject_kind": "procedure", "procedure_code": "2.000488"},
        title="Thời gian cấp Phiếu lý lịch tư pháp khi nộp trực tuyến",
        content=(
            "Tôi nộp hồ sơ cấp Phiếu lý lịch tư pháp trực tuyến ngày 02/3, số điện thoại 0912345678. "
            "Xin hỏi thời gian giải quyết có được tính từ ngày nộp trực tuyến hay từ ngày Sở tiếp nhận, "
            "và tôi có thể nhận kết quả qua bưu điện không?"
        ),
        officials=JUSTICE,
        submitter="congdan",
        consent=True,
        until="published",
        answer=(
            "Thời hạn giải quyết được tính từ ngày Sở Tư pháp tiếp nhận hồ sơ hợp lệ (không quá 10 ngày làm việc). "
            "Hồ sơ nộp trực tuyến được tiếp nhận trong giờ hành chính của ngày làm việc kế tiếp nếu nộp ngoài giờ. "
            "Ông/bà có thể đăng ký nhận kết quả qua dịch vụ bưu chính công ích khi nộp hồ sơ."
        ),
        published_question=(
            "Công dân hỏi thời hạn cấp Phiếu lý lịch tư pháp được tính từ khi nào khi nộp hồ sơ trực tuyến, và có "
            "thể nhận kết quả qua bưu điện không."
        ),
        days_ago=20,
    ),
    DemoItem(
        about={"subject_kind": "procedure", "procedure_code": "1.001193"},
        title="Đăng ký khai sinh cho con khi cha mẹ chưa đăng ký kết hôn",
        content=(
            "Vợ chồng tôi chưa đăng ký kết hôn, nay muốn làm giấy khai sinh cho con tại phường Hạ Long. "
            "Xin hướng dẫn giấy tờ cần chuẩn bị và việc ghi tên người cha trong giấy khai sinh."
        ),
        officials=HA_LONG,
        submitter="",
        consent=True,
        until="published",
        answer=(
            "Trường hợp cha mẹ chưa đăng ký kết hôn, người đi đăng ký nộp tờ khai theo mẫu và giấy chứng sinh. "
            "Nếu có yêu cầu ghi thông tin người cha, UBND phường kết hợp giải quyết việc nhận cha, con và đăng ký "
            "khai sinh; cần có văn bản chứng minh quan hệ cha, con hoặc văn bản cam đoan theo quy định."
        ),
        published_question=(
            "Công dân hỏi thủ tục đăng ký khai sinh cho con khi cha mẹ chưa đăng ký kết hôn và việc ghi tên người cha."
        ),
        days_ago=12,
    ),
    DemoItem(
        about={"subject_kind": "agency", "agency_code": "000.00.31.H49"},
        title="Đề nghị bố trí thêm chỗ ngồi chờ tại bộ phận một cửa",
        content=(
            "Buổi sáng thứ Hai bộ phận một cửa của phường rất đông, nhiều người cao tuổi phải đứng chờ. "
            "Đề nghị phường bố trí thêm ghế chờ và máy lấy số thứ tự."
        ),
        officials=HA_LONG,
        submitter="congdan",
        consent=False,
        until="closed",
        answer="UBND phường đã bố trí thêm 10 ghế chờ và sẽ lắp máy lấy số thứ tự trong tháng tới. Cảm ơn ông/bà.",
        days_ago=8,
    ),
    DemoItem(
        about={"subject_kind": "procedure", "procedure_code": "2.000488"},
        title="Phí cấp Phiếu lý lịch tư pháp cho doanh nghiệp xin cho người lao động",
        content=(
            "Doanh nghiệp chúng tôi muốn xin Phiếu lý lịch tư pháp cho 20 người lao động. "
            "Có được nộp chung một hồ sơ không?"
        ),
        officials=JUSTICE,
        submitter="doanhnghiep",
        consent=True,
        until="assigned",
        days_ago=4,
    ),
    DemoItem(
        about={"subject_kind": "procedure", "procedure_code": "1.000656"},
        title="Hồ sơ khai tử chậm giải quyết",
        content="Tôi đã nộp hồ sơ đăng ký khai tử cho bố tôi nhưng chưa nhận được kết quả.",
        officials=HA_LONG,
        submitter="",
        consent=False,
        until="needs_info",
        days_ago=3,
    ),
    DemoItem(
        about={"subject_kind": "agency", "agency_code": "000.00.01.H49"},
        title="Cổng dịch vụ công không tải được tờ khai",
        content="Tôi không tải được mẫu tờ khai lý lịch tư pháp trên trang dịch vụ công, đường dẫn báo lỗi.",
        officials=JUSTICE,
        submitter="",
        consent=True,
        until="new",
        days_ago=1,
    ),
]


def _users(usernames: list[str]) -> dict[str, User]:
    return {user.username: user for user in User.objects.filter(username__in=usernames, is_active=True)}


def _step(start: dt.datetime) -> Callable[[float], dt.datetime]:
    def at(hours: float) -> dt.datetime:
        return start + dt.timedelta(hours=hours)

    return at


def _run(item: DemoItem, users: dict[str, User], now: dt.datetime) -> Feedback | None:
    officials = {role: users.get(username) for role, username in item.officials.items()}
    if any(user is None for user in officials.values()):
        return None
    receiver, handler, leader = officials["receiver"], officials["handler"], officials["leader"]
    submitter = users.get(item.submitter) if item.submitter else None
    contact = {} if submitter is not None else ANONYMOUS_CONTACT
    # Mornings, so the history reads like office hours.
    start = timezone.localtime(now - dt.timedelta(days=item.days_ago)).replace(
        hour=8, minute=15, second=0, microsecond=0
    )
    at = _step(start)
    feedback = feedback_submit(
        actor=submitter,
        title=item.title,
        content=item.content,
        publication_consent=item.consent,
        attachments=[],
        client_address="127.0.0.1",
        at=at(0),
        **item.about,
        **contact,
    )
    if item.until == "new":
        return feedback
    if item.until == "needs_info":
        return feedback_request_info(
            actor=receiver,
            feedback=feedback,
            question="Đề nghị ông/bà cho biết mã hồ sơ và ngày nộp hồ sơ đăng ký khai tử.",
            at=at(2),
        )
    feedback = feedback_accept(actor=receiver, feedback=feedback, at=at(1))
    feedback = feedback_assign(actor=receiver, feedback=feedback, assignee=handler, at=at(2))
    if item.until == "assigned":
        return feedback
    feedback = feedback_answer(
        actor=handler, feedback=feedback, answer=item.answer, published_question=item.published_question, at=at(26)
    )
    feedback = feedback_approve(actor=leader, feedback=feedback, at=at(28))
    if item.until == "closed":
        return feedback_close(actor=leader, feedback=feedback, at=at(29))
    return feedback_publish(actor=leader, feedback=feedback, at=at(30))


@transaction.atomic
def feedback_load_demo(*, actor: Any) -> int:
    """Load the demo feedback (needs the demo directory, catalogue and accounts); does nothing when it is already
    there. Returns how many feedback were created."""
    permission_require(actor, "feedback.load_demo")
    if Feedback.objects.filter(title=DEMO_ITEMS[0].title).exists():
        return 0
    usernames = sorted({u for item in DEMO_ITEMS for u in item.officials.values()} | {"congdan", "doanhnghiep"})
    users = _users(usernames)
    now = timezone.now()
    created = [feedback for item in DEMO_ITEMS if (feedback := _run(item, users, now)) is not None]
    # The demo citizen and business rate the published answers.
    for feedback in created:
        if feedback.status != "published":
            continue
        for username, value in (("congdan", "like"), ("doanhnghiep", "like")):
            if username in users:
                feedback_vote(actor=users[username], feedback=feedback, value=value)
    return len(created)
