"""``motcua exchange ...``: this node's identity, the node directory, and delivery.

motcua exchange node-init [--force] [--key FILE --certificate FILE [--password P]]
motcua exchange node-show
motcua exchange member-add --id ID --name NAME --url URL --certificate FILE [--hub] [--mode pull --via HUB]
motcua exchange members-refresh           read each member's signed identity (the organisations it serves)
motcua exchange publish                   sign the next directory version, apply it, push it to the members
motcua exchange fetch                     fetch the directory from MOTCUA_EXCHANGE_DIRECTORY_URL
motcua exchange deliver [--loop [--interval S]]   send due outbox messages (and pull, in pull mode)
motcua exchange status                    outbox messages per state
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from motcua.core.exceptions import MotcuaError
from motcua.core.permissions import SYSTEM

ACTIONS = ["node-init", "node-show", "member-add", "members-refresh", "publish", "fetch", "deliver", "status"]


class Command(BaseCommand):
    help = "Document exchange: node identity and key, the signed node directory, delivery of the outbox."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=ACTIONS)
        parser.add_argument("--force", action="store_true", help="node-init: issue a new node key")
        parser.add_argument("--key", help="node-init: import this PEM private key instead of issuing one")
        parser.add_argument("--certificate", help="node-init: its PEM certificate (chain); member-add: the member's")
        parser.add_argument("--password", default="", help="node-init: the imported key's password")
        parser.add_argument("--id", dest="member_id", help="member-add: the node's id")
        parser.add_argument("--name", default="", help="member-add: the node's name")
        parser.add_argument("--url", help="member-add: the node's base URL")
        parser.add_argument("--hub", action="store_true", help="member-add: the node relays for others")
        parser.add_argument("--mode", default="push", choices=["push", "pull"], help="member-add: delivery mode")
        parser.add_argument("--via", default="", help="member-add: the hub the node sends through (and pulls from)")
        parser.add_argument("--loop", action="store_true", help="deliver: keep delivering until stopped")
        parser.add_argument("--interval", type=float, default=1.0, help="deliver --loop: seconds between rounds")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, "_" + options["action"].replace("-", "_"))(options)
        except MotcuaError as error:
            raise CommandError(f"{error.code}: {error.message} {error.details or ''}") from error

    def _node_init(self, options: dict[str, Any]) -> None:
        from motcua.exchange.identity import node_key_import, node_key_init

        if options["key"]:
            if not options["certificate"]:
                raise CommandError("--key needs --certificate")
            key = node_key_import(
                key_pem=Path(options["key"]).read_bytes(),
                certificate_pem=Path(options["certificate"]).read_bytes(),
                password=options["password"],
                actor=SYSTEM,
            )
        else:
            key = node_key_init(actor=SYSTEM, force=options["force"])
        self.stdout.write(json.dumps({"certificate_sha256": key.fingerprint}))

    def _node_show(self, options: dict[str, Any]) -> None:
        from motcua.exchange.directory import directory_version_current
        from motcua.exchange.identity import node_id, node_key_exists, node_key_load, node_url, served_organisations

        self.stdout.write(
            json.dumps(
                {
                    "node_id": node_id(),
                    "url": node_url(),
                    "certificate_sha256": node_key_load().fingerprint if node_key_exists() else "",
                    "certificate_pem": node_key_load().certificate_pem() if node_key_exists() else "",
                    "organisations": list(served_organisations().values_list("code", flat=True)),
                    "directory_version": directory_version_current(),
                },
                ensure_ascii=False,
            )
        )

    def _member_add(self, options: dict[str, Any]) -> None:
        from motcua.exchange.directory import directory_member_register

        if not (options["member_id"] and options["url"] and options["certificate"]):
            raise CommandError("member-add needs --id, --url and --certificate")
        member = directory_member_register(
            actor=SYSTEM,
            member_id=options["member_id"],
            name=options["name"] or options["member_id"],
            url=options["url"],
            certificate_pem=Path(options["certificate"]).read_text(),
            is_hub=options["hub"],
            mode=options["mode"],
            via=options["via"],
        )
        self.stdout.write(f"member {member.node_id} registered ({member.certificate_sha256})")

    def _members_refresh(self, options: dict[str, Any]) -> None:
        from motcua.exchange.services.nodes import directory_members_refresh

        self.stdout.write(json.dumps(directory_members_refresh(actor=SYSTEM)))

    def _publish(self, options: dict[str, Any]) -> None:
        from motcua.exchange.directory import directory_publish
        from motcua.exchange.services.nodes import directory_push

        version = directory_publish(actor=SYSTEM)
        report = directory_push(version=version.version)
        self.stdout.write(json.dumps({"version": version.version, **report}))

    def _fetch(self, options: dict[str, Any]) -> None:
        from motcua.exchange.services.nodes import directory_fetch

        self.stdout.write(json.dumps({"version": directory_fetch(actor=SYSTEM)}))

    def _deliver(self, options: dict[str, Any]) -> None:
        from motcua.exchange.transport.client import NodeUnreachable
        from motcua.exchange.transport.outbox import outbox_deliver
        from motcua.exchange.transport.pull import pull_once

        while True:
            report = asdict(outbox_deliver())
            try:
                report.update(asdict(pull_once()))
            except NodeUnreachable as error:
                report["pull_error"] = str(error)
            if not options["loop"]:
                self.stdout.write(json.dumps(report))
                return
            time.sleep(options["interval"])

    def _status(self, options: dict[str, Any]) -> None:
        from motcua.exchange.models import OutboxMessage

        counts = dict(OutboxMessage.objects.values_list("state").annotate(count=Count("id")).order_by("state"))
        for state in OutboxMessage.State.values:
            self.stdout.write(f"{state}: {counts.get(state, 0)}")
