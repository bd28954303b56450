"""Background work of the exchange (thin: call the service, log the outcome)."""

from __future__ import annotations

import logging
from dataclasses import asdict

from django_tasks import task

from motcua.core.permissions import SYSTEM

logger = logging.getLogger(__name__)


@task(queue_name="exchange")
def outbox_deliver_task() -> dict[str, int]:
    """Send the due outbox messages (enqueued after each change that queues one, and every few seconds by
    ``motcua scheduler`` as a sweep)."""
    from motcua.exchange.transport.auth import nonces_purge
    from motcua.exchange.transport.outbox import outbox_deliver

    report = outbox_deliver()
    if report.handled:
        logger.info("exchange outbox: %s", asdict(report))
    nonces_purge()
    return asdict(report)


@task(queue_name="exchange")
def pull_task() -> dict[str, int]:
    """Fetch the messages the hub holds for this node, when it pulls."""
    from motcua.exchange.transport.client import NodeUnreachable
    from motcua.exchange.transport.pull import pull_once

    try:
        return asdict(pull_once())
    except NodeUnreachable as error:
        logger.warning("hub unreachable for pulling: %s", error)
        return {"fetched": 0, "answered": 0}


@task(queue_name="exchange")
def directory_refresh_task() -> dict[str, object]:
    """Fetch the directory from the authority and apply it when newer."""
    from motcua.core.exceptions import MotcuaError
    from motcua.exchange.services.nodes import directory_fetch
    from motcua.exchange.transport.client import NodeUnreachable

    try:
        return {"version": directory_fetch(actor=SYSTEM)}
    except (NodeUnreachable, MotcuaError) as error:
        logger.warning("node directory not refreshed: %s", error)
        return {"error": str(error)}


@task(queue_name="exchange")
def directory_push_task(version: int) -> dict[str, int]:
    """Push a directory version the authority published to every member node."""
    from motcua.exchange.services.nodes import directory_push

    return directory_push(version=version)
