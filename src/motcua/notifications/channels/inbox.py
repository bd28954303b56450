"""The in-app inbox: the notification row is the message, kept for the person; nothing is sent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from motcua.notifications.channels import BODY, SUBJECT, Channel
from motcua.notifications.models import INBOX

if TYPE_CHECKING:
    from motcua.notifications.models import Notification
    from motcua.notifications.recipients import ResolvedRecipient


class InboxChannel(Channel):
    key = INBOX
    label = _("Notifications in Motcua")
    optional = False  # always on: it is where the person finds everything that was sent to them
    sends = False
    needs_account = True
    parts = (SUBJECT, BODY)

    def address(self, recipient: ResolvedRecipient) -> str:
        return ""

    def send(self, notification: Notification) -> str:
        return ""  # stored is delivered
