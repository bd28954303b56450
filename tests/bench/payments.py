"""Payment callbacks settled per second: signed notifications posted over HTTP to a live Motcua.

``payments_prepare(...)`` makes ``payments`` payment requests of one agency, starts each online at the sandbox (a
real process), pays them on its hosted page with the sandbox keeping its notifications (``collect``), and
returns the signed notifications. ``payments_measure(...)`` then posts them to ``base_url`` from ``threads``
client threads, twice: first each notification once (every one settles a payment: locks, history, receipt
number, issued-document registration, settlement handler, audit events), then each again (duplicates: checked,
answered, logged, nothing settled). ``make bench`` runs Motcua under gunicorn (2 workers × 4 threads, as
``motcua serve`` does) on the benchmark's database; the smoke test uses the test live server.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests

PURPOSE = "bench_fee"


@dataclass(frozen=True)
class CallbackTiming:
    measurement: str
    count: int
    seconds: float
    threads: int
    p50_ms: float
    p95_ms: float

    @property
    def per_second(self) -> float:
        return self.count / self.seconds


def payments_prepare(*, sandbox: Any, payments: int) -> list[dict[str, Any]]:
    """Requests, transactions at the sandbox, paid on its page: the notifications it signed (one per payment)."""
    from django.contrib.auth.models import AnonymousUser

    from motcua.agencies.models import Organisation
    from motcua.agencies.services import agencies_load_demo
    from motcua.core.permissions import SYSTEM
    from motcua.payments import services
    from motcua.payments.handlers import payment_settlement_handler_get, payment_settlement_handler_register
    from motcua.payments.models import CollectionAccount

    if payment_settlement_handler_get(PURPOSE) is None:
        payment_settlement_handler_register(PURPOSE, lambda request, transaction: None)
    if not Organisation.objects.filter(code="000.00.01.H49").exists():
        agencies_load_demo(actor=SYSTEM)
    agency = Organisation.objects.get(code="000.00.01.H49")
    if not CollectionAccount.objects.filter(organisation=agency).exists():
        services.collection_account_set(
            actor=SYSTEM,
            organisation=agency,
            account_number="3511.0.1054321",
            account_name="Sở Tư pháp tỉnh Quảng Ninh – thu phí, lệ phí",
            treasury_code="0111",
            treasury_name="Kho bạc Nhà nước khu vực V",
        )
    sandbox.control(reset=True, callback="collect")
    line = services.FeeLine(
        code="LLTP", name="Phí cấp Phiếu lý lịch tư pháp", kind="fee", unit_amount=200000, quantity=1, amount=200000
    )
    urls = []
    for index in range(payments):
        request = services.payment_request_create(
            actor=SYSTEM,
            purpose=PURPOSE,
            subject_id=None,
            reference=f"000.00.20.H49-260302-{index:05d}",
            organisation=agency,
            procedure_code="1.001193",
            procedure_name="Cấp Phiếu lý lịch tư pháp",
            payer_name="Nguyễn Thị Hoa",
            payer_identifier="022190000123",
            lines=[line],
        )
        # Paid through the pay link, as a payer without an account would.
        _transaction, url = services.payment_start(
            actor=AnonymousUser(), request=request, pay_token=request.pay_token or ""
        )
        urls.append(url)
    session = requests.Session()
    for url in urls:
        session.post(url, data={"action": "pay", "bank": "VCB"}, allow_redirects=False, timeout=30).raise_for_status()
    return list(sandbox.state()["collected"])


def _post(url: str, bodies: list[dict[str, Any]], threads: int) -> tuple[float, list[float], list[str]]:
    durations: list[float] = []
    codes: list[str] = []
    lock = threading.Lock()

    def work(chunk: list[dict[str, Any]]) -> None:
        session = requests.Session()
        for body in chunk:
            data = json.dumps(body, ensure_ascii=False).encode()
            started = time.perf_counter()
            response = session.post(url, data=data, headers={"Content-Type": "application/json"}, timeout=60)
            elapsed = time.perf_counter() - started
            with lock:
                durations.append(elapsed)
                codes.append(str(response.json().get("MaLoi", response.status_code)))

    workers = [threading.Thread(target=work, args=(bodies[index::threads],)) for index in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - started, durations, codes


def _timing(measurement: str, seconds: float, durations: list[float], threads: int) -> CallbackTiming:
    ordered = sorted(durations)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return CallbackTiming(measurement, len(durations), seconds, threads, statistics.median(ordered) * 1000, p95 * 1000)


def payments_measure(*, base_url: str, notifications: list[dict[str, Any]], threads: int) -> list[CallbackTiming]:
    url = f"{base_url}/payments/gateway/sandbox/callback/"
    seconds, durations, codes = _post(url, notifications, threads)
    if set(codes) != {"00"}:
        raise AssertionError(f"some notifications were refused: {sorted(set(codes))}")
    settled = _timing("new notification: settles a payment", seconds, durations, threads)
    seconds, durations, codes = _post(url, notifications, threads)
    if set(codes) != {"00"}:
        raise AssertionError(f"some duplicates were refused: {sorted(set(codes))}")
    duplicate = _timing("duplicate notification: answered, nothing settled", seconds, durations, threads)
    return [settled, duplicate]


def payments_table(timings: list[CallbackTiming]) -> str:
    header = "| measurement | callbacks | client threads | callbacks/s | p50 | p95 |\n|---|---|---|---|---|---|\n"
    return header + "".join(
        f"| {t.measurement} | {t.count} | {t.threads} | {t.per_second:,.0f} | {t.p50_ms:.1f} ms | {t.p95_ms:.1f} ms |\n"
        for t in timings
    )
