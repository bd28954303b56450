"""The SMS channel and its provider plugins.

Operators' gateways (SMS "brandname" services) differ in everything but the essentials, so the channel talks
to an ``SmsProvider``: ``send(phone=..., text=..., reference=...)`` returns the provider's message id, raises
``SmsRejected`` for a message that can never go (an invalid number) and any other exception when the gateway
may work later. Providers register under a name (``sms_provider_register``); ``SMS_PROVIDER`` chooses one
("" turns SMS off). Motcua ships ``file``, which appends one JSON line per message to
``<MOTCUA_DATA_DIR>/sms/outbox.jsonl`` (the embedded run and the tests; a real provider is a small subclass).

Text: Vietnamese SMS usually go without diacritics, because a message in GSM 7-bit characters holds 160
characters while one needing UCS-2 (any Vietnamese letter with a diacritic) holds 70 and costs more than
twice as much. So unless the provider says ``ascii_only = False``, the text is folded to plain ASCII
("Hồ sơ đã được tiếp nhận" → "Ho so da duoc tiep nhan") and cut to ``SMS_MAX_LENGTH`` characters (160: one
message) at a word boundary, ending with "...". What is stored in the notification is exactly what is sent.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import re
import unicodedata
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.notifications.channels import SMS, Channel, ChannelRejected

if TYPE_CHECKING:
    from motcua.notifications.models import Notification
    from motcua.notifications.recipients import ResolvedRecipient

ELLIPSIS = "..."
# Typographic characters of templates, written the GSM 7-bit way.
_ASCII_PUNCTUATION = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "„": '"',
        "‘": "'",
        "’": "'",
        "–": "-",
        "—": "-",
        "…": "...",
        "\u00a0": " ",
        "«": '"',
        "»": '"',
        "đ": "d",
        "Đ": "D",
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
    }
)


class SmsRejected(Exception):
    """The provider refused the message for good (an invalid or barred number)."""


class SmsProvider:
    """A gateway that sends SMS. Subclass it, set ``name``, implement ``send`` and register the class."""

    name: ClassVar[str] = ""
    # Fold the text to ASCII (GSM 7-bit, 160 characters a message); False for a provider sending Unicode.
    ascii_only: ClassVar[bool] = True

    def send(self, *, phone: str, text: str, reference: str) -> str:
        """Send ``text`` to ``phone`` (E.164, e.g. +84912345678); return the provider's message id."""
        raise NotImplementedError


class FileSmsProvider(SmsProvider):
    """Demo provider: appends one JSON line per message to ``<MOTCUA_DATA_DIR>/sms/outbox.jsonl``."""

    name = "file"

    @staticmethod
    def outbox_path() -> Path:
        return Path(settings.DATA_DIR) / "sms" / "outbox.jsonl"

    def send(self, *, phone: str, text: str, reference: str) -> str:
        message_id = uuid.uuid4().hex
        line = json.dumps(
            {
                "id": message_id,
                "reference": reference,
                "to": phone,
                "sender": getattr(settings, "SMS_SENDER", ""),
                "text": text,
                "at": timezone.now().astimezone(dt.UTC).isoformat(timespec="seconds"),
            },
            ensure_ascii=False,
        )
        path = self.outbox_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as outbox:
            # Several workers append to the same file: one whole line at a time.
            fcntl.flock(outbox, fcntl.LOCK_EX)
            try:
                outbox.write(line + "\n")
                outbox.flush()
            finally:
                fcntl.flock(outbox, fcntl.LOCK_UN)
        return message_id


_providers: dict[str, type[SmsProvider]] = {}


def sms_provider_register(provider_class: type[SmsProvider]) -> type[SmsProvider]:
    """Make a provider available under its ``name`` (usable as a class decorator)."""
    if not provider_class.name:
        raise ValueError("an SMS provider needs a name")
    _providers[provider_class.name] = provider_class
    return provider_class


def sms_provider_get() -> SmsProvider | None:
    """The configured provider (``SMS_PROVIDER``), or None when SMS are off."""
    name = getattr(settings, "SMS_PROVIDER", "")
    if not name:
        return None
    try:
        return _providers[name]()
    except KeyError:
        raise LookupError(f"MOTCUA_SMS_PROVIDER names no registered SMS provider: {name!r}") from None


sms_provider_register(FileSmsProvider)


def sms_text_fold(text: str) -> str:
    """Plain ASCII: diacritics removed (đ → d), typographic quotes and dashes made plain, other signs dropped."""
    decomposed = unicodedata.normalize("NFD", text.translate(_ASCII_PUNCTUATION))
    kept = "".join(character for character in decomposed if unicodedata.category(character) != "Mn")
    return unicodedata.normalize("NFC", kept).encode("ascii", "ignore").decode("ascii")


def sms_text_fit(text: str, *, max_length: int, ascii_only: bool = True) -> str:
    """One line of text, folded when the provider needs it, at most ``max_length`` characters."""
    text = re.sub(r"\s+", " ", sms_text_fold(text) if ascii_only else text).strip()
    if len(text) <= max_length:
        return text
    cut = text[: max_length - len(ELLIPSIS)]
    if " " in cut[max_length // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:-") + ELLIPSIS


def phone_normalise(phone: str) -> str:
    """A phone number in E.164 (+84912345678), from Vietnamese (0912 345 678) or international writing; "" if
    it is not one."""
    cleaned = re.sub(r"[\s().\-]", "", phone or "")
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    if cleaned.startswith("0") and re.fullmatch(r"0\d{9,10}", cleaned):
        return "+84" + cleaned[1:]
    if re.fullmatch(r"84\d{9,10}", cleaned):
        return "+" + cleaned
    if re.fullmatch(r"\+[1-9]\d{7,14}", cleaned):
        return cleaned
    return ""


class SmsChannel(Channel):
    key = "sms"
    label = _("SMS")
    parts = (SMS,)

    def is_available(self) -> bool:
        return bool(getattr(settings, "SMS_PROVIDER", ""))

    def address(self, recipient: ResolvedRecipient) -> str:
        return phone_normalise(recipient.phone)

    def compose(self, parts: Mapping[str, str]) -> tuple[str, str, str]:
        provider = sms_provider_get()
        ascii_only = provider.ascii_only if provider is not None else True
        max_length = int(getattr(settings, "SMS_MAX_LENGTH", 160))
        return "", sms_text_fit(parts.get(SMS, ""), max_length=max_length, ascii_only=ascii_only), ""

    def send(self, notification: Notification) -> str:
        provider = sms_provider_get()
        if provider is None:
            raise ChannelRejected("SMS are turned off (MOTCUA_SMS_PROVIDER is empty)")
        try:
            return provider.send(phone=notification.address, text=notification.body, reference=str(notification.pk))
        except SmsRejected as error:
            raise ChannelRejected(str(error)) from error
