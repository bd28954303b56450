"""The e-mail channel: Django's mail backend (``EMAIL_BACKEND``), plain text with an optional HTML part."""

from __future__ import annotations

import contextlib
import smtplib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import make_msgid
from django.core.mail.utils import DNS_NAME
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from motcua.notifications.channels import BODY, HTML, SUBJECT, Channel, ChannelRejected

if TYPE_CHECKING:
    from motcua.notifications.models import Notification
    from motcua.notifications.recipients import ResolvedRecipient

_connection: ContextVar[Any] = ContextVar("motcua_notification_mail_connection", default=None)


class EmailChannel(Channel):
    key = "email"
    label = _("E-mail")
    parts = (SUBJECT, BODY, HTML)

    def address(self, recipient: ResolvedRecipient) -> str:
        if not recipient.email:
            return ""
        try:
            validate_email(recipient.email)
        except Exception:
            return ""
        return recipient.email

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """One connection to the mail server for a whole round of messages."""
        connection = get_connection(fail_silently=False)
        token = _connection.set(connection)
        try:
            yield
        finally:
            _connection.reset(token)
            with contextlib.suppress(Exception):
                connection.close()

    def send(self, notification: Notification) -> str:
        message_id = make_msgid(domain=DNS_NAME)
        message = EmailMultiAlternatives(
            subject=notification.subject,
            body=notification.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[notification.address],
            headers={
                "Message-ID": message_id,
                # RFC 3834: automatic messages, so mail servers and clients do not answer them with auto-replies.
                "Auto-Submitted": "auto-generated",
                "X-Motcua-Notification": str(notification.pk),
                "X-Motcua-Event": notification.event,
            },
            connection=_connection.get(),
        )
        if notification.body_html:
            message.attach_alternative(notification.body_html, "text/html")
        try:
            message.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as error:
            raise ChannelRejected(f"recipient refused: {error.recipients}") from error
        except smtplib.SMTPResponseException as error:
            if error.smtp_code in (550, 551, 553):  # mailbox unavailable, user not local, mailbox name not allowed
                raise ChannelRejected(f"{error.smtp_code} {error.smtp_error!r}") from error
            raise
        return message_id
