"""Channels as plugins: how a notification reaches its recipient.

A channel is a subclass of ``Channel`` registered under its key (``channel_register``), usually in an
``AppConfig.ready()``. Motcua ships three: ``email`` (Django's mail backend, ``EMAIL_BACKEND``), ``sms`` (an
``SmsProvider`` plugin chosen by ``SMS_PROVIDER``) and ``inbox`` (the in-app inbox: the stored row is the
message, nothing is sent). An event lists the channels it may use; a person may switch the optional ones off.

``send(notification)`` delivers one message and returns the provider's reference for it. It raises
``ChannelRejected`` when the message can never be delivered (an address refused for good) and any other
exception when it may work later (a server down): the delivery service then tries again after a back-off.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from motcua.notifications.models import Notification
    from motcua.notifications.recipients import ResolvedRecipient

# Parts of an event's wording a channel needs (template files subject.txt, body.txt, body.html, sms.txt).
SUBJECT = "subject"
BODY = "body"
HTML = "html"
SMS = "sms"


class ChannelError(Exception):
    """The message could not be sent now; another attempt may work."""


class ChannelRejected(ChannelError):
    """The message can never be sent this way (the address was refused for good)."""


class Channel:
    key: ClassVar[str] = ""
    label: ClassVar[Any] = ""
    # The person may switch it off in their preferences.
    optional: ClassVar[bool] = True
    # False for the inbox: the stored row is the message itself.
    sends: ClassVar[bool] = True
    # Only people with an account can receive it (the inbox).
    needs_account: ClassVar[bool] = False
    parts: ClassVar[tuple[str, ...]] = (SUBJECT, BODY)

    def is_available(self) -> bool:
        """False when the deployment turned the channel off (no SMS provider, say)."""
        return True

    def address(self, recipient: ResolvedRecipient) -> str:
        """Where this recipient is reached on this channel; "" when they cannot be (no address)."""
        raise NotImplementedError

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Held around a round of sends (an SMTP connection kept open for all of them, say)."""
        yield

    def compose(self, parts: Mapping[str, str]) -> tuple[str, str, str]:
        """The subject, text and HTML stored in the notification, from the rendered parts this channel asked for."""
        return parts.get(SUBJECT, ""), parts.get(BODY, ""), parts.get(HTML, "")

    def send(self, notification: Notification) -> str:
        raise NotImplementedError


_channels: dict[str, Channel] = {}


def channel_register(channel: Channel) -> Channel:
    """Register a channel instance under its key (registering a key again replaces it)."""
    if not channel.key:
        raise ValueError("a channel needs a key")
    _channels[channel.key] = channel
    return channel


def channel_get(key: str) -> Channel:
    try:
        return _channels[key]
    except KeyError:
        raise LookupError(f"no notification channel {key!r} is registered") from None


def channel_find(key: str) -> Channel | None:
    return _channels.get(key)


def channels_all() -> list[Channel]:
    return list(_channels.values())


def channels_optional() -> list[Channel]:
    """The channels a person may switch off, in registration order."""
    return [channel for channel in _channels.values() if channel.optional]
