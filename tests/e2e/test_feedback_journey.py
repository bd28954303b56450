"""Feedback in real Chromium: a citizen on a phone sends feedback without an account, the Department of Justice's
clerk receives and assigns it, a specialist answers, the director approves and publishes, and the public finds the
answer without typing diacritics and likes it."""

from __future__ import annotations

import base64
import datetime as dt
import re
import secrets

import pyotp
import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from motcua.agencies.models import Role
from motcua.agencies.selectors import organisation_get
from motcua.agencies.services import agencies_load_demo, position_assign
from motcua.core.permissions import SYSTEM
from motcua.feedback.models import Feedback, FeedbackStatus
from motcua.procedures.services import procedures_load_demo
from tests.factories import OfficialFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "Mat-khau-an-toan-2026"
QN_JUSTICE = "000.00.01.H49"


def official(username: str, full_name: str, role: str) -> tuple:
    """An official of the Department of Justice with a confirmed authenticator whose secret the test knows."""
    user = OfficialFactory(username=username, full_name=full_name)
    position_assign(
        actor=SYSTEM,
        user=user,
        organisation=organisation_get(code_or_id=QN_JUSTICE),
        role=role,
        valid_from=dt.date(2025, 7, 1),
    )
    key = secrets.token_hex(20)
    TOTPDevice.objects.create(user=user, name="app", confirmed=True, key=key)
    return user, pyotp.TOTP(base64.b32encode(bytes.fromhex(key)).decode())


def signed_in_page(browser, live_server, user, totp):
    context = _opened(browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900}))
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/accounts/second-factor/verify/**")
    page.fill("input[name=token]", totp.now())
    page.click("main form button[type=submit]")
    page.wait_for_url("**/workspace/**")
    return page


_CONTEXTS: list = []


def _opened(context):
    """A browser context to close at the end of the test, so no request reaches the server after it."""
    _CONTEXTS.append(context)
    return context


@pytest.fixture(autouse=True)
def _close_contexts():
    yield
    while _CONTEXTS:
        _CONTEXTS.pop().close()


def act(page, action: str, **fields: str) -> None:
    """Open an action on the handling page, fill its fields, submit, wait for the reloaded page."""
    box = page.locator(f"#action-{action}")
    if not box.evaluate("node => node.open"):
        box.locator("summary").click()
    for name, value in fields.items():
        field = box.locator(f"[name='{action}-{name}']")
        if field.evaluate("node => node.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    with page.expect_navigation():
        box.locator("button[type=submit]").click()
    assert page.locator(".message--success").count() == 1, page.locator("main").inner_text()[:1500]


def test_feedback_from_a_phone_to_a_published_and_liked_answer(browser, live_server, tmp_path):
    agencies_load_demo(actor=SYSTEM)
    procedures_load_demo(actor=SYSTEM)
    clerk, clerk_totp = official("vt.stp", "Phan Thị Thu", Role.DOCUMENT_CLERK)
    specialist, specialist_totp = official("cv.stp", "Lê Văn Minh", Role.SPECIALIST)
    leader, leader_totp = official("gd.stp", "Đỗ Mạnh Cường", Role.AGENCY_LEADER)

    # A citizen on a phone, without an account, in Vietnamese.
    phone = _opened(browser.new_context(locale="vi-VN", viewport={"width": 390, "height": 844})).new_page()
    phone.set_default_timeout(15000)
    phone.goto(f"{live_server.url}/")
    assert phone.locator("html").get_attribute("lang") == "vi"
    phone.locator("main a[href='/feedback/']").first.click()
    phone.locator("main a[href='/feedback/send/']").first.click()
    phone.check("input[name=subject_kind][value=procedure]")
    phone.select_option("select[name=procedure]", "2.000488")
    phone.fill("input[name=title]", "Thời hạn cấp Phiếu lý lịch tư pháp khi nộp trực tuyến")
    phone.fill("textarea[name=content]", "Tôi là Trần Thị Bích, nộp hồ sơ ngày 02/3. Thời hạn tính từ khi nào?")
    photo = tmp_path / "bien-nhan.png"
    photo.write_bytes(
        bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489") + b"\x00" * 32
    )
    phone.set_input_files("input[name=attachments]", str(photo))
    phone.fill("input[name=name]", "Trần Thị Bích")
    phone.fill("input[name=phone]", "0987 654 321")
    phone.check("input[name=publication_consent]")
    with phone.expect_navigation():
        phone.locator("main form button[type=submit]").click()
    code = phone.locator("#feedback-code").inner_text().strip()
    secret = phone.locator("#feedback-secret").inner_text().strip()
    assert re.fullmatch(r"PAKN-\d{6}-\d{4}", code) and len(secret) == 10
    feedback = Feedback.objects.get(code=code)
    assert feedback.agency.code == QN_JUSTICE and feedback.attachments.count() == 1

    # The clerk finds it in the workspace's feedback queue, receives it and assigns the specialist.
    desk = signed_in_page(browser, live_server, clerk, clerk_totp)
    desk.locator("main a[href='/feedback/work/']").first.click()
    desk.locator(f"main a[href='/feedback/work/{code}/']").click()
    act(desk, "accept")
    act(desk, "assign", assignee=str(specialist.pk))

    # The specialist answers, rewriting the question without personal data.
    expert = signed_in_page(browser, live_server, specialist, specialist_totp)
    expert.goto(f"{live_server.url}/feedback/work/?view=mine")
    expert.locator(f"main a[href='/feedback/work/{code}/']").click()
    act(
        expert,
        "answer",
        answer="Thời hạn giải quyết được tính từ ngày Sở Tư pháp tiếp nhận hồ sơ hợp lệ.",
        published_title="Thời hạn cấp Phiếu lý lịch tư pháp khi nộp trực tuyến",
        published_question="Công dân hỏi thời hạn cấp Phiếu lý lịch tư pháp được tính từ khi nào.",
    )

    # The director approves and publishes.
    director = signed_in_page(browser, live_server, leader, leader_totp)
    director.goto(f"{live_server.url}/feedback/work/?view=to_approve")
    director.locator(f"main a[href='/feedback/work/{code}/']").click()
    act(director, "approve")
    act(director, "publish")
    assert Feedback.objects.get(code=code).status == FeedbackStatus.PUBLISHED

    # The citizen reads the answer on the follow-up page, in the same browser.
    phone.goto(f"{live_server.url}/feedback/follow/{code}/")
    expect(phone.locator("main")).to_contain_text("Sở Tư pháp tiếp nhận hồ sơ hợp lệ")

    # Someone else searches without diacritics, finds the answer and likes it.
    public = _opened(browser.new_context(locale="vi-VN", viewport={"width": 390, "height": 844})).new_page()
    public.set_default_timeout(15000)
    public.goto(f"{live_server.url}/feedback/")
    public.fill("input[name=q]", "thoi han ly lich tu phap")
    with public.expect_navigation():
        public.locator("form[role=search] button[type=submit]").click()
    public.locator(f"#answer-results a[href='/feedback/answers/{code}/']").click()
    main = public.locator("main").inner_text()
    assert "Bích" not in main and "0987" not in main
    public.locator("#vote-box form").first.locator("button").click()
    expect(public.locator("#like-count")).to_have_text("1")
    expect(public.locator("#vote-box button[aria-pressed=true]")).to_have_count(1)
    public.reload()
    expect(public.locator("#like-count")).to_have_text("1")
    assert Feedback.objects.get(code=code).like_count == 1
