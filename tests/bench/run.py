"""`make bench`: time the foundation, signatures, edXML, document exchange, notifications, one-stop dossiers,
payment callbacks and feedback; write docs/benchmarks.md.

Runs against a throw-away database in a temporary directory (SQLite by default; set DATABASE_URL to
measure PostgreSQL). Prints tables and rewrites their sections of docs/benchmarks.md. The dossier part loads
``BENCH_DOSSIERS`` synthetic dossiers (default 1,000,000; on SQLite at most ``BENCH_DOSSIERS_SQLITE``, default
200,000) with ``tests.bench.dossiers``; set ``BENCH_DOSSIERS=0`` to skip it. The signatures part
(``tests.bench.signatures``) does not use the database, so it runs once, without ``--postgres``; each of its
figures runs for ``BENCH_SIGNATURES_SECONDS`` (default 2). The edXML part (``tests.bench.edxml``) runs once too,
each figure for ``BENCH_EDXML_SECONDS`` (default 2), its large package with a ``BENCH_EDXML_LARGE_MIB``
attachment (default 37.5, a 50 MB package). The exchange part (``tests.bench.exchange``) starts two real nodes
(their own SQLite databases, whatever the run measures) and sends ``BENCH_EXCHANGE_DOCUMENTS`` documents (default
40) with a 100 KB attachment, ``BENCH_EXCHANGE_CONCURRENCY`` at a time (default 4); it runs once, without
``--postgres``. The notifications part (``tests.bench.notifications``) runs on both databases, its counts scaled
by ``BENCH_NOTIFICATIONS_SCALE`` (default 1). The payments part (``tests.bench.payments``) posts
``BENCH_PAYMENTS`` signed payment notifications (default 600) from ``BENCH_PAYMENT_THREADS`` threads (default 8)
to Motcua under gunicorn. The feedback part loads ``BENCH_FEEDBACK`` synthetic feedback (default 200,000) with
``tests.bench.feedback``; ``BENCH_FEEDBACK=0`` skips it. ``--only NAME`` runs one part (see ``BENCHES``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]


def _setup() -> None:
    data_dir = tempfile.mkdtemp(prefix="motcua-bench-")
    os.environ.setdefault("MOTCUA_DATA_DIR", data_dir)
    os.environ.setdefault("MOTCUA_MANIFEST_STATIC", "0")
    os.environ.setdefault("MOTCUA_FAST_PASSWORD_HASHER", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.config.settings")
    Path(data_dir, "static").mkdir()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)


def _rate(label: str, count: int, seconds: float, unit: str) -> tuple[str, str, str]:
    return label, f"{count / seconds:,.0f} {unit}/s", f"{seconds * 1000 / count:.3f} ms"


BENCHES = ("foundation", "signatures", "edxml", "exchange", "notifications", "dossiers", "payments", "feedback")


def main(*, only: str | None = None, postgres: bool = False) -> int:
    _setup()
    if only in (None, "foundation"):
        _foundation()
    if only == "signatures" or (only is None and not postgres):
        _signatures()
    if only == "edxml" or (only is None and not postgres):
        _edxml()
    if only == "exchange" or (only is None and not postgres):
        _exchange()
    if only in (None, "notifications"):
        _notifications()
    if only in (None, "dossiers"):
        _dossiers()
    if only in (None, "payments"):
        _payments()
    if only in (None, "feedback"):
        _feedback()
    return 0


def _foundation() -> None:
    from django.test import Client

    from motcua.core.audit import audit_chain_verify, audit_record
    from motcua.core.calendar import WorkingCalendar
    from motcua.core.context import request_context

    results = []

    count = 2000
    started = time.perf_counter()
    with request_context(request_id="bench", client_address="127.0.0.1"):
        for i in range(count):
            audit_record(action="bench.event", object_type="bench", object_id=str(i), after={"i": i, "name": "Hồ sơ"})
    results.append(_rate("audit_record (one transaction each)", count, time.perf_counter() - started, "events"))

    started = time.perf_counter()
    report = audit_chain_verify()
    assert report.intact and report.events_checked == count
    results.append(_rate("audit_chain_verify", count, time.perf_counter() - started, "events"))

    calendar = WorkingCalendar()
    vn = ZoneInfo("Asia/Ho_Chi_Minh")
    start = dt.datetime(2026, 2, 10, 9, tzinfo=vn)
    count = 20000
    started = time.perf_counter()
    for i in range(count):
        calendar.add_working_days(start + dt.timedelta(hours=i % 500), 15)
    results.append(_rate("add_working_days(15) across Tết", count, time.perf_counter() - started, "calls"))

    count = 20000
    started = time.perf_counter()
    for i in range(count):
        calendar.add_working_hours(start + dt.timedelta(minutes=i % 900), 20)
    results.append(_rate("add_working_hours(20)", count, time.perf_counter() - started, "calls"))

    client = Client()
    count = 300
    started = time.perf_counter()
    for _ in range(count):
        assert client.get("/healthz").status_code == 200
    results.append(_rate("GET /healthz (in-process)", count, time.perf_counter() - started, "requests"))

    try:
        from motcua.agencies.services import agencies_load_demo

        agencies_load_demo(actor=None)
        count = 200
        started = time.perf_counter()
        for _ in range(count):
            assert client.get("/api/v1/agencies/organisations").status_code == 200
        results.append(
            _rate("GET /api/v1/agencies/organisations (page 1)", count, time.perf_counter() - started, "requests")
        )
    except ImportError:
        pass

    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    from django.db import connection

    header = "| measurement | throughput | per operation |\n|---|---|---|\n"
    table = header + "".join(f"| {a} | {b} | {c} |\n" for a, b, c in results)
    section = f"## Foundation ({connection.vendor})\n"
    text = (
        section + "\n"
        f"Measured {dt.date.today():%Y-%m-%d} on {_machine()}; peak RSS {peak_mib:,.0f} MiB; command `make bench`.\n\n"
        + table
    )
    print(text)
    _section_write(section, text)


def _machine() -> str:
    from django.db import connection

    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {connection.vendor}"


def _signatures() -> None:
    """PDF and XML signatures per second next to the raw operations of the same key (no database)."""
    from tests.bench.signatures import signatures_machine, signatures_measure, signatures_table

    seconds = float(os.environ.get("BENCH_SIGNATURES_SECONDS", "2"))
    print(f"Measuring digital signatures ({seconds:g} s per figure)...", flush=True)
    bench = signatures_measure(seconds=seconds)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    section = "## Digital signatures\n"
    text = (
        section + "\n"
        f"Measured {dt.date.today():%Y-%m-%d} on {signatures_machine()}; peak RSS {peak_mib:,.0f} MiB; command "
        f"`make bench` (alone: `python -m tests.bench.run --only signatures`). One process, one thread, in-process "
        f"calls; each figure runs {seconds:g} s after a warm-up. Keys: RSA-2048 and ECDSA P-256 signers under one "
        f"RSA-3072 root and issuing CA; the TSA signs with RSA-2048 whatever the signer's key. The PDF is the "
        f"one-page decision of `render_result` ({bench.pdf_bytes / 1024:,.1f} KiB), signed with pyHanko's "
        f"`SimpleSigner` unless the row says the key is kept loaded; the edXML package is "
        f"{bench.xml_bytes / 1024:,.1f} KiB, its signature in the edXML header. Verification trusts the root and "
        f"checks integrity, chain, validity and key usage (the certificates name no CRL or OCSP responder). "
        f"“Raw operations in that time”: raw signatures (or verifications) of the same key per second ÷ documents "
        f"per second. Python heap peak: tracemalloc over one operation.\n\n" + signatures_table(bench.timings)
    )
    print(text)
    _section_write(section, text)


def _exchange() -> None:
    """Documents per second between two real nodes, end to end, with their latency, next to raw HTTP."""
    from tests.bench.exchange import exchange_measure, exchange_table

    documents = int(os.environ.get("BENCH_EXCHANGE_DOCUMENTS", "40"))
    concurrency = int(os.environ.get("BENCH_EXCHANGE_CONCURRENCY", "4"))
    print(f"Measuring document exchange between two nodes ({documents} documents, {concurrency} at a time)...")
    bench = exchange_measure(documents=documents, concurrency=concurrency)
    section = "## Document exchange (two nodes)\n"
    text = (
        section + "\n"
        f"Measured {dt.date.today():%Y-%m-%d} on {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average {bench.load_average:.1f} when the sending started (the machine "
        f"is shared: the timings scale with it); command `make bench` (alone: `python -m tests.bench.run --only "
        f"exchange`). Two nodes on 127.0.0.1, each its own processes (gunicorn with one worker of four threads, a "
        f"task worker polling every 0.2 s, the scheduler) and its own SQLite database, one development PKI (RSA-2048 "
        f"CAs, seals, personal and node keys). {bench.documents} documents, each a "
        f"one-page PDF signed by the leader and a {bench.attachment_bytes / 1024:,.0f} KiB attachment "
        f"({bench.package_bytes / 1024:,.0f} KiB sealed package), sent by the clerk through the API "
        f"{bench.concurrency} at a time. End to end: the seal PIN opens the agency seal (scrypt), the seal goes on "
        f"the PDF (PAdES with a time stamp) and on the package; the outbox row commits; the worker sends it; the "
        f"receiver authenticates the node request, parses the package, verifies the seal (chain, CRL), stores the "
        f"document and its files, signs its receipt with its node key; the sender verifies the receipt and records "
        f"it. Latency: from the clerk's request to the recorded receipt. Raw HTTP: the same servers, no work.\n\n"
        + exchange_table(bench)
        + "\nHow to read it: most of each document's time is the clerk's send (the seal key opened, the PAdES seal "
        "with its time stamp and revocation data, the package sealed); delivery, verification and the receipt take "
        "the rest. The ratio to raw HTTP is the price of signing and verifying, not of the transport: one document "
        "costs a few hundred round trips of the same servers.\n"
    )
    print(text)
    _section_write(section, text)


def _edxml() -> None:
    """edXML packages per second (100 KB attachment) and the memory of a large one (child processes)."""
    from tests.bench.edxml import edxml_measure, edxml_table

    seconds = float(os.environ.get("BENCH_EDXML_SECONDS", "2"))
    large_mib = float(os.environ.get("BENCH_EDXML_LARGE_MIB", "37.5"))
    print(f"Measuring edXML packages ({seconds:g} s per figure, a {large_mib:g} MiB attachment)...", flush=True)
    load = os.getloadavg()[0]  # the machine may be shared: timings scale with it, memory figures do not
    bench = edxml_measure(seconds=seconds, large_mib=large_mib)
    section = "## edXML packages (QCVN 102)\n"
    text = (
        section + "\n"
        f"Measured {dt.date.today():%Y-%m-%d} on {_machine()}, load average {load:.1f} when it started; command "
        f"`make bench` (alone: `python -m tests.bench.run --only edxml`). One process, one thread, in-process "
        f"calls; each figure runs {seconds:g} s after a warm-up. "
        f"The package goes from Quảng Ninh's People's Committee to the Government Office with one 100 KB attachment "
        f"({bench.package_bytes / 1024:,.1f} KiB signed). `package_sign` seals it with an RSA-2048 seal of a fresh "
        f"development PKI (RSA-3072 root and issuing CA) and writes its audit row; `package_verify` checks integrity, "
        f"the chain to the root, the CRLs and the sender's seal; `package_parse` decodes the attachment to a "
        f"temporary file. The large package ({large_mib:g} MiB attachment) is measured one operation per fresh "
        f"process: how far its resident memory rose (the `VmHWM` peak, reset just before, minus `VmRSS` then).\n\n"
        + edxml_table(bench)
    )
    print(text)
    _section_write(section, text)


def _notifications() -> None:
    """notify() and delivery throughput on this database, webhooks to a local receiver process."""
    from django.db import connection

    from tests.bench.notifications import notifications_machine, notifications_measure, notifications_table

    scale = float(os.environ.get("BENCH_NOTIFICATIONS_SCALE", "1"))
    print(f"Measuring notifications on {connection.vendor}...", flush=True)
    load = os.getloadavg()[0]
    timings = notifications_measure(scale=scale)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    section = f"## Notifications ({connection.vendor})\n"
    text = (
        section + "\n"
        f"Measured {dt.date.today():%Y-%m-%d} on {notifications_machine()} (load average {load:.1f} when it "
        f"started); peak RSS {peak_mib:,.0f} MiB; command "
        f"`make bench` (alone: `python -m tests.bench.run --only notifications`). One process, one thread; each "
        f"`notify()` in its own transaction renders the certificate-expiry warning's templates in the citizen's "
        f"language (vi, en, fr in turn) and, once committed, enqueues its delivery task on the database queue. "
        f"Delivery figures are one worker's round (claim, send, record). E-mails go to Django's locmem backend (no "
        f"SMTP server), SMS to the demo file provider, webhooks by HTTP to a receiver process on 127.0.0.1 that "
        f"checks every signature.\n\n" + notifications_table(timings)
    )
    print(text)
    _section_write(section, text)


def _dossiers() -> None:
    """Load synthetic dossiers and time the queue, lookups, search and submissions at that size."""
    from django.db import connection

    from tests.bench.dossiers import dossiers_load, dossiers_measure

    size = int(os.environ.get("BENCH_DOSSIERS", "1000000"))
    if connection.vendor == "sqlite":
        size = min(size, int(os.environ.get("BENCH_DOSSIERS_SQLITE", "200000")))
    if size <= 0:
        return
    print(f"Loading {size:,} dossiers into {connection.vendor}...", flush=True)
    load = dossiers_load(count=size)
    print(f"Loaded in {load.seconds:,.0f} s ({load.dossiers / load.seconds:,.0f} rows/s, {load.method}); measuring...")
    timings = dossiers_measure(samples=int(os.environ.get("BENCH_SAMPLES", "200")))
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    statuses = ", ".join(f"{status} {count / load.dossiers:.1%}" for status, count in load.per_status.most_common())
    table = "| measurement | samples | p50 | p95 | notes |\n|---|---|---|---|---|\n" + "".join(
        f"| {t.measurement} | {t.samples} | {t.p50_ms:.1f} ms | {t.p95_ms:.1f} ms | {t.note} |\n" for t in timings
    )
    section = f"## One-stop dossiers ({connection.vendor})\n"
    text = (
        section + "\n"
        f"Measured {dt.date.today():%Y-%m-%d} on {_machine()}; peak RSS {peak_mib:,.0f} MiB; command `make bench` "
        f"(`BENCH_DOSSIERS={size}`). {load.dossiers:,} synthetic dossiers loaded in {load.seconds:,.0f} s "
        f"({load.method}, {load.dossiers / load.seconds:,.0f} rows/s) over {len(load.per_organisation)} processing "
        f"organisations; statuses: {statuses}. In-process calls (no HTTP server), warm cache.\n\n" + table
    )
    print(text)
    _section_write(section, text)


def _payments() -> None:
    """Signed payment notifications posted over HTTP to Motcua under gunicorn, as `motcua serve` runs it."""
    import socket
    import subprocess

    import requests
    from django.db import connection
    from django.test import override_settings

    from tests.bench.payments import PURPOSE, payments_measure, payments_prepare, payments_table
    from tests.support.payment_sandbox import CLIENT_ID, SECRET, SandboxProcess

    count = int(os.environ.get("BENCH_PAYMENTS", "600"))
    threads = int(os.environ.get("BENCH_PAYMENT_THREADS", "8"))
    if count <= 0:
        return
    data_dir = Path(os.environ["MOTCUA_DATA_DIR"])
    sandbox = SandboxProcess.start(database=data_dir / "paysandbox.sqlite3")
    gateway = {
        "PAYMENT_GATEWAYS": ["sandbox"],
        "PAYMENT_SANDBOX_URL": sandbox.url,
        "PAYMENT_SANDBOX_CLIENT_ID": CLIENT_ID,
        "PAYMENT_SANDBOX_SECRET": SECRET,
    }
    print(f"Preparing {count:,} payments at the sandbox...", flush=True)
    with override_settings(**gateway):
        notifications = payments_prepare(sandbox=sandbox, payments=count)
    config = data_dir / "gunicorn_bench.py"
    # The benchmark's purpose needs its settlement handler in the web processes too.
    config.write_text(
        "def post_worker_init(worker):\n"
        "    from motcua.payments.handlers import payment_settlement_handler_register\n"
        f"    payment_settlement_handler_register({PURPOSE!r}, lambda request, transaction: None)\n"
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "motcua.config.settings",
        "MOTCUA_PAYMENT_SANDBOX_URL": sandbox.url,
        "MOTCUA_PAYMENT_SANDBOX_CLIENT_ID": CLIENT_ID,
        "MOTCUA_PAYMENT_SANDBOX_SECRET": SECRET,
        "MOTCUA_LOG_LEVEL": "WARNING",
        # Persistent database connections, as a production deployment keeps them (docs/deploy.md).
        "MOTCUA_DB_CONN_MAX_AGE": os.environ.get("MOTCUA_DB_CONN_MAX_AGE", "60"),
    }
    command = [
        sys.executable, "-m", "gunicorn", "motcua.config.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--workers", "2", "--threads", "4", "--config", str(config),
    ]  # fmt: skip
    server = subprocess.Popen(command, env=environment, cwd=ROOT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base_url}/healthz", timeout=5)
                break
            except (requests.ConnectionError, requests.Timeout):
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.3)
        print(f"Posting {len(notifications):,} notifications twice from {threads} threads...", flush=True)
        timings = payments_measure(base_url=base_url, notifications=notifications, threads=threads)
    finally:
        server.terminate()
        server.wait(timeout=30)
        sandbox.stop()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    section = f"## Payment callbacks ({connection.vendor})\n"
    text = (
        section + "\n"
        f"Measured {dt.date.today():%Y-%m-%d} on {_machine()}; peak RSS of the client {peak_mib:,.0f} MiB; command "
        f"`make bench` (alone: `python -m tests.bench.run --only payments`; `BENCH_PAYMENTS={count}`, "
        f"`BENCH_PAYMENT_THREADS={threads}`). {count:,} payments started at the sandbox process and paid on its "
        f"hosted page; the notifications it signed (HMAC-SHA256) are posted over HTTP to Motcua under gunicorn "
        f"(2 workers × 4 threads, as `motcua serve` runs it; database connections kept for 60 s), first once each "
        f"(every one settles a payment: row locks, history, receipt number, issued-document registration, "
        f"settlement handler, audit events), then all "
        f"again (duplicates: verified, answered, logged, nothing settled). Latencies are per request, seen by the "
        f"client threads.\n\n" + payments_table(timings)
    )
    print(text)
    _section_write(section, text)


def _feedback() -> None:
    """Load synthetic feedback and time the officials' queue, the public search and submissions at that size."""
    from django.db import connection

    from tests.bench.feedback import feedback_load, feedback_measure

    size = int(os.environ.get("BENCH_FEEDBACK", "200000"))
    if size <= 0:
        return
    print(f"Loading {size:,} feedback into {connection.vendor}...", flush=True)
    load = feedback_load(count=size)
    timings = feedback_measure(samples=int(os.environ.get("BENCH_SAMPLES", "200")))
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    statuses = ", ".join(f"{status} {count / load.feedback:.1%}" for status, count in load.per_status.most_common())
    table = "| measurement | samples | p50 | p95 | notes |\n|---|---|---|---|---|\n" + "".join(
        f"| {t.measurement} | {t.samples} | {t.p50_ms:.1f} ms | {t.p95_ms:.1f} ms | {t.note} |\n" for t in timings
    )
    section = f"## Feedback and recommendations ({connection.vendor})\n"
    text = (
        section + "\n"
        f"Measured {dt.date.today():%Y-%m-%d} on {_machine()}; peak RSS {peak_mib:,.0f} MiB; command `make bench` "
        f"(`BENCH_FEEDBACK={size}`; alone: `python -m tests.bench.run --only feedback`). {load.feedback:,} synthetic "
        f"feedback over {YEARS_OF_FEEDBACK} years loaded in {load.seconds:,.0f} s; statuses: {statuses}. In-process "
        f"calls (no HTTP server), warm cache.\n\n" + table
    )
    print(text)
    _section_write(section, text)


YEARS_OF_FEEDBACK = 3


def _section_write(section: str, text: str) -> None:
    target = ROOT / "docs" / "benchmarks.md"
    existing = target.read_text() if target.exists() else "# Benchmarks\n\n"
    marker = section
    if marker in existing:
        before, after = existing.split(marker, 1)
        rest = after.split("\n## ", 1)
        existing = before + text + (("\n## " + rest[1]) if len(rest) > 1 else "")
    else:
        existing = existing.rstrip() + "\n\n" + text
    target.write_text(existing)


def _postgres_database_ready(url: str) -> bool:
    """Create the benchmark database on the server if it is missing; False if no server answers."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as connection:
            exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if exists:
                connection.execute(f'DROP DATABASE "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        print(f"PostgreSQL not measured: {error}", file=sys.stderr)
        return False
    return True


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.run", description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument(
        "--postgres", action="store_true", help="measure on PostgreSQL (BENCH_POSTGRES_URL), not SQLite"
    )
    parser.add_argument("--only", choices=BENCHES, help="run only this part")
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = _arguments(sys.argv[1:])
    if arguments.postgres:
        url = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/motcua_bench")
        if not _postgres_database_ready(url):
            sys.exit(0)
        os.environ["DATABASE_URL"] = url
    sys.exit(main(only=arguments.only, postgres=arguments.postgres))
