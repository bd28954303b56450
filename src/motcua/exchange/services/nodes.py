"""The node directory over the network: fetch it from the authority, push it to the members, read the members'
identities. The rules are in ``exchange.directory``; this module only carries the bytes."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings

from motcua.core.exceptions import MotcuaError
from motcua.core.permissions import permission_require
from motcua.exchange.directory import (
    directory_apply,
    directory_member_identity_set,
    directory_signed_current,
    directory_version_current,
)
from motcua.exchange.identity import node_id
from motcua.exchange.models import DirectoryMember, DirectoryVersion

logger = logging.getLogger(__name__)


def directory_fetch(*, actor: Any) -> int:
    """Fetch the directory from ``MOTCUA_EXCHANGE_DIRECTORY_URL`` and apply it when newer; the version in use."""
    from motcua.exchange.transport.client import directory_get

    url = str(settings.EXCHANGE_DIRECTORY_URL or "")
    if not url:
        return directory_version_current()
    data = directory_get(url=url)
    current = DirectoryVersion.objects.order_by("-version").first()
    if current is not None and bytes(current.signed) == data:
        return current.version
    try:
        return directory_apply(data=data, actor=actor).version
    except MotcuaError as error:
        if error.code == "directory_not_newer":
            return directory_version_current()
        raise


def directory_push(*, version: int) -> dict[str, int]:
    """Send the current directory to every active member (each checks it and applies it when newer)."""
    from motcua.exchange.transport.client import NodeUnreachable, directory_post

    data = directory_signed_current()
    report = {"pushed": 0, "unreachable": 0, "refused": 0}
    for member in DirectoryMember.objects.filter(is_active=True).exclude(node_id=node_id()):
        try:
            status = directory_post(base_url=member.url, data=data)
        except NodeUnreachable as error:
            logger.warning("directory v%s not pushed to %s: %s", version, member.node_id, error)
            report["unreachable"] += 1
            continue
        if status == 200:
            report["pushed"] += 1
        else:
            logger.warning("directory v%s refused by %s (HTTP %s)", version, member.node_id, status)
            report["refused"] += 1
    return report


def directory_members_refresh(*, actor: Any) -> dict[str, list[str]]:
    """Read each active member's signed identity (the organisations it serves) over the network."""
    from motcua.exchange.transport.client import NodeUnreachable, identity_get

    permission_require(actor, "exchange.manage_directory")
    report: dict[str, list[str]] = {"read": [], "failed": []}
    for member in DirectoryMember.objects.filter(is_active=True).exclude(node_id=node_id()):
        try:
            directory_member_identity_set(actor=actor, member=member, identity=identity_get(base_url=member.url))
        except (NodeUnreachable, MotcuaError) as error:
            logger.warning("identity of %s not read: %s", member.node_id, error)
            report["failed"].append(member.node_id)
            continue
        report["read"].append(member.node_id)
    return report
