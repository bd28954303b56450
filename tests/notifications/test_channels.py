"""Channels: e-mail through Django's backends (locmem, and a real SMTP conversation with a stand-in server that
fails for a while or refuses a mailbox), SMS through the demo file provider (ASCII folding, length, E.164
numbers), the provider and channel registries."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from email import message_from_string
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone

from motcua.notifications.channels import ChannelRejected, channel_get, channels_optional
from motcua.notifications.channels.sms import (
    SmsProvider,
    SmsRejected,
    phone_normalise,
    sms_provider_get,
    sms_provider_register,
    sms_text_fit,
    sms_text_fold,
)
from motcua.notifications.models import Notification
from motcua.notifications.services import Recipient, notifications_deliver, notify
from tests.notifications.conftest import CONTEXT, NOTE, RECEIVED

pytestmark = pytest.mark.django_db
State = Notification.State
SMTP_SERVER = Path(__file__).resolve().parents[1] / "support" / "smtp_server.py"


# ------------------------------------------------------------------------------------------------------
# E-mail
# ------------------------------------------------------------------------------------------------------


def test_e_mail_goes_through_the_configured_backend_with_its_message_id_recorded(lan, committed):
    with committed():
        notify(event=RECEIVED, recipients=[lan], context=CONTEXT, link="/x/")
    (message,) = mail.outbox
    row = Notification.objects.get(channel="email")
    assert message.extra_headers["Message-ID"] == row.provider_reference
    assert message.extra_headers["X-Motcua-Notification"] == str(row.pk)
    assert message.extra_headers["X-Motcua-Event"] == RECEIVED
    assert message.from_email == "motcua@localhost" and message.body == row.body


def test_an_address_that_is_not_one_gets_no_e_mail(committed):
    with committed():
        written = notify(
            event=RECEIVED, recipients=[Recipient(email="not an address", phone="0912345678")], context=CONTEXT
        )
    assert [row.channel for row in written] == ["sms"]


@pytest.fixture
def smtp(tmp_path, settings):
    """Start the SMTP stand-in with options; the e-mail backend talks to it."""
    processes = []

    def start(*options):
        outbox = tmp_path / "smtp-outbox.jsonl"
        process = subprocess.Popen(
            [sys.executable, str(SMTP_SERVER), "--port", "0", "--outbox", str(outbox), *options],
            stdout=subprocess.PIPE,
            text=True,
        )
        processes.append(process)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = int(process.stdout.readline().split()[1])
        settings.EMAIL_TIMEOUT = 5
        return lambda: [json.loads(line) for line in outbox.read_text().splitlines()] if outbox.exists() else []

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


def test_a_mail_server_answering_try_again_later_gets_the_message_again_after_a_back_off(lan, john, smtp):
    delivered = smtp("--fail-first", "1")
    notify(event=RECEIVED, recipients=[lan, john], context=CONTEXT)
    now = timezone.now()

    report = notifications_deliver(now=now)
    assert (report.sent, report.retried) == (2, 1)  # Lan's SMS and one e-mail; the other e-mail answered 451
    waiting = Notification.objects.get(channel="email", state=State.PENDING)
    assert "451" in waiting.last_error and waiting.attempts == 1

    assert notifications_deliver(now=now + dt.timedelta(hours=1)).sent == 1
    messages = delivered()
    assert sorted(message["to"][0] for message in messages) == ["john@example.com", "lan@example.vn"]
    parsed = {message["to"][0]: message_from_string(message["data"]) for message in messages}
    assert str(make_header(decode_header(parsed["lan@example.vn"]["Subject"]))).startswith("Đã tiếp nhận")
    assert parsed["lan@example.vn"]["Auto-Submitted"] == "auto-generated"
    assert parsed["lan@example.vn"].is_multipart()  # plain text and HTML
    assert all(row.state == State.SENT for row in Notification.objects.exclude(channel="inbox"))


def test_a_mailbox_refused_for_good_is_given_up_at_once(lan, smtp, caplog):
    smtp("--refuse", "lan@example.vn")
    notify(event=NOTE, recipients=[lan], context={"status": "x"})
    with caplog.at_level("ERROR"):
        assert notifications_deliver().failed == 1
    row = Notification.objects.get(channel="email")
    assert row.state == State.FAILED and row.attempts == 1 and "refused" in row.last_error
    assert "refused for good" in caplog.text


# ------------------------------------------------------------------------------------------------------
# SMS
# ------------------------------------------------------------------------------------------------------


def test_vietnamese_is_folded_to_plain_ascii_for_sms():
    assert sms_text_fold("Hồ sơ đã được tiếp nhận. ĐẶNG Ưu – “Cấp phiếu”…") == (
        'Ho so da duoc tiep nhan. DANG Uu - "Cap phieu"...'
    )
    assert sms_text_fold("Reçu : dossier accepté, œuvre") == "Recu : dossier accepte, oeuvre"
    assert sms_text_fold("số 5 ✓ 😀") == "so 5  "


def test_sms_text_is_one_line_cut_at_a_word_within_the_limit():
    assert sms_text_fit("Hồ sơ\n  đã   nhận ", max_length=160) == "Ho so da nhan"
    long = "Ho so " + "rat dai " * 40
    fitted = sms_text_fit(long, max_length=160)
    assert len(fitted) <= 160 and fitted.endswith("...") and not fitted.endswith(" ...")
    assert sms_text_fit("Hồ sơ đã nhận", max_length=160, ascii_only=False) == "Hồ sơ đã nhận"


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("0912 345 678", "+84912345678"),
        ("0912.345.678", "+84912345678"),
        ("+84 912 345 678", "+84912345678"),
        ("84912345678", "+84912345678"),
        ("0084912345678", "+84912345678"),
        ("(024) 3825 3536", "+842438253536"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("12345", ""),
        ("not a number", ""),
        ("", ""),
    ],
)
def test_phone_numbers_are_written_in_e164(written, normalised):
    assert phone_normalise(written) == normalised


def test_the_demo_provider_appends_one_json_line_per_sms(lan, claire, committed, sms_outbox, settings):
    settings.SMS_SENDER = "UBND QN"
    with committed():
        notify(event=RECEIVED, recipients=[lan, claire], context=CONTEXT)
    lines = sms_outbox()
    assert len(lines) == 2
    assert {line["to"] for line in lines} == {"+84912345678", "+33612345678"}
    assert all(line["sender"] == "UBND QN" and line["text"].isascii() and len(line["text"]) <= 160 for line in lines)
    rows = {str(row.pk): row for row in Notification.objects.filter(channel="sms")}
    assert {line["reference"] for line in lines} == set(rows)
    assert all(rows[line["reference"]].provider_reference == line["id"] for line in lines)
    assert all(rows[line["reference"]].body == line["text"] for line in lines)  # stored is what was sent


class RefusingProvider(SmsProvider):
    name = "tests-refusing"

    def send(self, *, phone, text, reference):
        raise SmsRejected(f"{phone} is not a mobile number")


class UnicodeProvider(SmsProvider):
    name = "tests-unicode"
    ascii_only = False
    sent: list = []

    def send(self, *, phone, text, reference):
        UnicodeProvider.sent.append(text)
        return "u-1"


def test_a_number_the_provider_refuses_is_given_up_at_once(lan, settings):
    sms_provider_register(RefusingProvider)
    settings.SMS_PROVIDER = "tests-refusing"
    notify(event=RECEIVED, recipients=[lan], context=CONTEXT)
    notifications_deliver()
    row = Notification.objects.get(channel="sms")
    assert row.state == State.FAILED and "not a mobile number" in row.last_error


def test_a_provider_sending_unicode_keeps_the_diacritics(lan, settings, committed):
    sms_provider_register(UnicodeProvider)
    settings.SMS_PROVIDER = "tests-unicode"
    with committed():
        notify(event=RECEIVED, recipients=[lan], context=CONTEXT)
    assert UnicodeProvider.sent[-1].startswith("Mã hồ sơ")


def test_an_unknown_provider_name_is_a_configuration_error(settings):
    settings.SMS_PROVIDER = "no-such-gateway"
    with pytest.raises(LookupError, match="MOTCUA_SMS_PROVIDER"):
        sms_provider_get()
    settings.SMS_PROVIDER = ""
    assert sms_provider_get() is None
    assert not channel_get("sms").is_available()
    with pytest.raises(ChannelRejected):
        channel_get("sms").send(Notification(address="+84912345678", body="x"))


def test_the_inbox_is_not_a_choice_and_every_channel_is_registered():
    assert [channel.key for channel in channels_optional()] == ["email", "sms"]
    assert not channel_get("inbox").optional and not channel_get("inbox").sends
    with pytest.raises(LookupError):
        channel_get("fax")
