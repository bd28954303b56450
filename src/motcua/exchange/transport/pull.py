"""Pull mode, for a node that cannot accept inbound connections: it asks its hub for the messages held for it,
fetches each, processes it like any received message and posts back what it answered (as the axis' clients do
with getPendingDocumentIds, getDocument and updateStatus). What it sends, it pushes to its hub as usual."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from motcua.exchange.models.directory import DeliveryMode
from motcua.exchange.routing import node_get, self_node

logger = logging.getLogger(__name__)


@dataclass
class PullReport:
    fetched: int = 0
    answered: int = 0


def pull_once(*, limit: int = 100) -> PullReport:
    """Fetch and process the messages the hub holds for this node (nothing when this node pushes)."""
    from motcua.exchange.transport.client import message_answer, message_fetch, pending_list
    from motcua.exchange.transport.inbound import inbound_receive

    report = PullReport()
    me = self_node()
    if me is None or me.mode != DeliveryMode.PULL:
        return report
    hub = node_get(me.via)
    if hub is None:
        logger.error("this node pulls from %s, which is not in the directory", me.via)
        return report
    for pending in pending_list(base_url=hub.url)[:limit]:
        message = message_fetch(base_url=hub.url, message_id=pending.message_id)
        if message is None:
            continue
        report.fetched += 1
        answer = inbound_receive(message=message, previous_hop=hub.node_id)
        message_answer(base_url=hub.url, message_id=pending.message_id, answer=answer)
        report.answered += 1
    if report.fetched:
        logger.info("pulled %s messages from %s", report.fetched, hub.node_id)
    return report
