"""Translated names of the history's actions, for the pages."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from motcua.exchange.models import IncomingDocument, OutgoingDocument

ACTION_LABELS = {
    "outgoing_created": _("Draft started"),
    "outgoing_updated": _("Draft changed"),
    "outgoing_file_added": _("File added"),
    "outgoing_file_removed": _("File removed"),
    "outgoing_submitted": _("Submitted for review"),
    "outgoing_reviewed": _("Review approved"),
    "outgoing_returned": _("Returned to the drafter"),
    "outgoing_cancelled": _("Draft cancelled"),
    "outgoing_signed": _("Approved and signed"),
    "outgoing_registered": _("Numbered and registered"),
    "outgoing_sent": _("Sealed and sent"),
    "outgoing_recalled": _("Recall sent"),
    "outgoing_update_sent": _("Update sent"),
    "incoming_arrived": _("Arrived"),
    "incoming_registered": _("Registered"),
    "incoming_rejected": _("Rejected"),
    "incoming_assigned": _("Assigned"),
    "incoming_started": _("Processing started"),
    "incoming_finished": _("Finished"),
    "incoming_recall_requested": _("Recall requested by the sender"),
    "incoming_update_requested": _("Update sent by the sender"),
    "incoming_change_accepted": _("Sender's request accepted"),
    "incoming_change_rejected": _("Sender's request refused"),
}


def events_labelled(events: list[Any], *, outgoing: bool) -> list[Any]:
    statuses = dict((OutgoingDocument.Status if outgoing else IncomingDocument.Status).choices)
    for event in events:
        event.action_label = ACTION_LABELS.get(event.action, event.action)
        event.to_status_label = statuses.get(event.to_status, event.to_status)
    return events
