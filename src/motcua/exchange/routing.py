"""Where a message for an organisation code goes next, by the node directory.

- A code this node serves is delivered here (the same code path as any other delivery, without HTTP).
- A spoke (a node whose directory entry names a hub in ``via``) sends everything else to its hub.
- A hub, or a node of a flat network, sends straight to the node that serves the code; when that node pulls its
  messages and this node is its hub, the message is held here until the node fetches it.
"""

from __future__ import annotations

from dataclasses import dataclass

from motcua.exchange.identity import node_id, served_organisation_get
from motcua.exchange.models import DirectoryEntry, Node
from motcua.exchange.models.directory import DeliveryMode


@dataclass(frozen=True)
class Route:
    organisation_code: str
    organisation_name: str
    destination: str  # the node that serves the code ("" = this node)
    next_hop: str  # the node the message goes to now ("" = delivered here)
    hold: bool = False  # kept here for ``next_hop`` to fetch (pull mode)

    @property
    def is_local(self) -> bool:
        return self.next_hop == ""


def self_node() -> Node | None:
    return Node.objects.filter(node_id=node_id()).first()


def route_for(code: str) -> Route | None:
    """The route to an organisation code, or None when no node serves it."""
    code = (code or "").strip().upper()
    local = served_organisation_get(code)
    if local is not None:
        return Route(organisation_code=code, organisation_name=local.name, destination="", next_hop="")
    entry = DirectoryEntry.objects.select_related("node").filter(organisation_code=code).first()
    if entry is None or entry.node.node_id == node_id():
        return None
    destination = entry.node
    me = self_node()
    if me is not None and me.via and me.via != destination.node_id:
        next_hop, hold = me.via, False
    elif destination.mode == DeliveryMode.PULL:
        if destination.via == node_id():
            next_hop, hold = destination.node_id, True
        else:
            next_hop, hold = destination.via, False
    else:
        next_hop, hold = destination.node_id, False
    return Route(
        organisation_code=code,
        organisation_name=entry.organisation_name,
        destination=destination.node_id,
        next_hop=next_hop,
        hold=hold,
    )


def node_get(identifier: str) -> Node | None:
    return Node.objects.filter(node_id=identifier).first()
