"""Document exchange between two real nodes: documents per second end to end, latency, next to raw HTTP.

``exchange_measure(...)`` starts two nodes on 127.0.0.1 (``tests.support.exchange_nodes``: each a web server,
a task worker polling every 0.2 s and the scheduler, its own SQLite database, one shared development PKI), the
sender being the directory authority of a flat network (both push). The sender prepares ``documents`` documents
(each a one-page PDF signed by the leader, and a ``attachment_kib`` KiB attachment), drafted, signed and
registered before the clock starts. Then its document clerk sends them through the API, ``concurrency`` at a
time, and the benchmark waits until every recipient shows the receiver's technical receipt (status 01). Each
document's way, end to end: the clerk's seal PIN opens the agency seal (scrypt), the seal goes on the PDF (PAdES
with a time stamp) and on the edXML package; the outbox row is committed; the worker sends it; the receiver checks
the node request, parses the package, verifies the seal (chain and revocation), stores the document and its files,
signs its receipt with its node key; the sender verifies the receipt and records it.

Latency is from the clerk's ``POST .../send`` to the moment the sender recorded the receipt (its
``RecipientStatus.received_at``, same machine clock); throughput is documents ÷ (last receipt − first send). Raw
HTTP on the same machine and the same server setup: ``GET /healthz`` of the receiver (one thread, and
``concurrency`` threads), and the same package ``POST``-ed to the receiver's node endpoint unsigned (refused at
authentication, after the body is read): the round trip without any of the exchange's work.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests

SENDER_CODE = "000.00.00.H49"
RECEIVER_CODE = "000.00.00.H41"


@dataclass
class ExchangeBench:
    documents: int
    concurrency: int
    attachment_bytes: int
    package_bytes: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    send_seconds: list[float] = field(default_factory=list)  # the clerk's POST .../send (seal PIN, seals, queue)
    raw: dict[str, float] = field(default_factory=dict)  # label -> round trips per second
    load_average: float = 0.0

    @property
    def per_second(self) -> float:
        return self.documents / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(round(fraction * (len(ordered) - 1)), len(ordered) - 1)]


def _raw_rate(call, *, seconds: float, threads: int) -> float:
    count = [0] * threads
    deadline = time.perf_counter() + seconds

    def loop(index: int) -> None:
        session = requests.Session()
        while time.perf_counter() < deadline:
            try:
                call(session)
            except requests.ConnectionError:
                # A server may close a kept-alive connection just as the next request goes out (the refused POST
                # is answered before its body is read): that round trip does not count, a new connection is made.
                session = requests.Session()
                continue
            count[index] += 1

    started = time.perf_counter()
    workers = [threading.Thread(target=loop, args=(index,)) for index in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(count) / (time.perf_counter() - started)


def exchange_measure(
    *,
    documents: int = 40,
    concurrency: int = 4,
    attachment_kib: int = 100,
    raw_seconds: float = 3.0,
    base: Path | None = None,
) -> ExchangeBench:
    from motcua.signatures.services import pki_create
    from tests.support.exchange_nodes import (
        PIN,
        Node,
        hub_publish,
        migrated_template,
        prepare_documents,
        wait_until,
    )

    base = base or Path(tempfile.mkdtemp(prefix="motcua-bench-exchange-"))
    pki_create(directory=base / "pki", ca_key_size=2048)
    template = migrated_template(base / "template")
    sender = Node("bench-a", [SENDER_CODE], base / "a", base / "pki")
    receiver = Node("bench-b", [RECEIVER_CODE], base / "b", base / "pki")
    nodes = (sender, receiver)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(lambda node: node.setup(template=template), nodes))
        sender.start()
        receiver.start(authority=sender.fingerprint, directory_url=f"{sender.local_url}/exchange/node/directory")
        assert hub_publish(sender, [receiver])["pushed"] == 1
        prepared = prepare_documents(
            sender, SENDER_CODE, RECEIVER_CODE, count=documents, attachment_bytes=attachment_kib * 1024
        )
        ids = prepared["documents"]
        clerk = sender.session(SENDER_CODE, "clerk")
        started_at: dict[str, dt.datetime] = {}
        send_seconds: list[float] = []

        def send(document_id: str) -> None:
            session = sender.session(SENDER_CODE, "clerk")
            started_at[document_id] = dt.datetime.now(dt.UTC)
            begun = time.perf_counter()
            session.post(f"/outgoing/{document_id}/send", {"pin": PIN})
            send_seconds.append(time.perf_counter() - begun)

        load = os.getloadavg()[0]
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(send, ids))

        def receipts() -> dict[str, dt.datetime] | None:
            found = {}
            for document_id in ids:
                recipient = clerk.get(f"/outgoing/{document_id}")["recipients"][0]
                arrived = [s for s in recipient["statuses"] if s["status_code"] == "01"]
                if not arrived:
                    return None
                found[document_id] = dt.datetime.fromisoformat(arrived[0]["received_at"])
            return found

        done = wait_until(receipts, timeout=60 + documents * 10, interval=0.5, what="every receipt")
        elapsed = (max(done.values()) - min(started_at.values())).total_seconds()
        bench = ExchangeBench(
            documents=documents,
            concurrency=concurrency,
            attachment_bytes=int(prepared["attachment_bytes"]),
            package_bytes=0,
            seconds=elapsed,
            latencies=[(done[i] - started_at[i]).total_seconds() for i in ids],
            send_seconds=send_seconds,
            load_average=load,
        )
        package = _package_of(sender, ids[0])
        bench.package_bytes = len(package)
        health = f"{receiver.local_url}/healthz"
        messages = f"{receiver.local_url}/exchange/node/messages"
        bench.raw = {
            "GET /healthz, 1 thread": _raw_rate(lambda s: s.get(health, timeout=10), seconds=raw_seconds, threads=1),
            f"GET /healthz, {concurrency} threads": _raw_rate(
                lambda s: s.get(health, timeout=10), seconds=raw_seconds, threads=concurrency
            ),
            "POST of the package, refused unsigned, 1 thread": _raw_rate(
                lambda s: s.post(messages, data=package, headers={"Content-Type": "application/xml"}, timeout=10),
                seconds=raw_seconds,
                threads=1,
            ),
        }
        return bench
    finally:
        for node in nodes:
            node.stop()


def _package_of(node, document_id: str) -> bytes:
    """The sealed package the sender sent (read from its database)."""
    import sqlite3

    with sqlite3.connect(node.directory / "db.sqlite3") as connection:
        row = connection.execute(
            "SELECT m.body FROM exchange_outboxmessage m JOIN exchange_recipient r ON m.recipient_id = r.id "
            "WHERE r.document_id = ?",
            [document_id.replace("-", "")],
        ).fetchone()
    return bytes(row[0]) if row else b""


def exchange_table(bench: ExchangeBench) -> str:
    rows = [
        ("documents end to end (sealed, delivered, verified, receipted)", f"{bench.per_second:,.2f} documents/s", ""),
        ("latency p50", f"{bench.percentile(0.5) * 1000:,.0f} ms", ""),
        ("latency p95", f"{bench.percentile(0.95) * 1000:,.0f} ms", ""),
        ("latency mean", f"{statistics.mean(bench.latencies) * 1000:,.0f} ms", ""),
        ("of which the clerk's send request (mean)", f"{statistics.mean(bench.send_seconds) * 1000:,.0f} ms", ""),
    ]
    for label, rate in bench.raw.items():
        rows.append((f"raw HTTP: {label}", f"{rate:,.0f} round trips/s", f"{rate / bench.per_second:,.0f}×"))
    header = "| measurement | result | raw round trips per document |\n|---|---|---|\n"
    return header + "".join(f"| {a} | {b} | {c} |\n" for a, b, c in rows)
