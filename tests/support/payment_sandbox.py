"""The payment sandbox (``motcua.payments.sandbox``) run as a real separate process for the tests.

``SandboxProcess.start(secret=...)`` launches ``python -m motcua.payments.sandbox --port 0`` with its own
SQLite file, waits for ``LISTENING <port>`` and offers the test-control calls (``control``, ``state``,
``notify``, ``redeliver``) and the hosted page (``pay``: what a person's browser posts). ``signed_notification``
builds a notification as the platform would sign it, for tests that post to Motcua directly.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from motcua.payments.gateways import protocol as p

CLIENT_ID = "motcua-test"
SECRET = "sandbox-shared-secret-for-tests"


@dataclass
class SandboxProcess:
    process: subprocess.Popen
    url: str

    @classmethod
    def start(cls, *, database: Path, client_id: str = CLIENT_ID, secret: str = SECRET) -> SandboxProcess:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "motcua.payments.sandbox",
                "--port",
                "0",
                "--database",
                str(database),
                "--client",
                f"{client_id}:{secret}",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("LISTENING "):
            process.kill()
            raise RuntimeError(
                f"the payment sandbox did not start: {line!r} {process.stderr.read() if process.stderr else ''}"
            )
        return cls(process=process, url=f"http://127.0.0.1:{int(line.split()[1])}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def control(self, **changes: Any) -> None:
        response = requests.post(f"{self.url}/_control", json=changes, timeout=10)
        response.raise_for_status()

    def state(self) -> dict[str, Any]:
        return requests.get(f"{self.url}/_control", timeout=10).json()

    def notify(self, gateway_transaction_id: str, status: str) -> str:
        answer = requests.post(
            f"{self.url}/_control/notify", json={"MaGiaoDich": gateway_transaction_id, "TrangThai": status}, timeout=30
        ).json()
        return answer["MaThongBao"]

    def redeliver(self, notification_id: str) -> bool:
        answer = requests.post(f"{self.url}/_control/redeliver", json={"MaThongBao": notification_id}, timeout=30)
        return bool(answer.json()["accepted"])

    def pay(self, payment_url: str, *, action: str = "pay", bank: str = "VCB") -> requests.Response:
        """What the payer's browser does on the hosted page; the redirect to Motcua is not followed."""
        return requests.post(payment_url, data={"action": action, "bank": bank}, allow_redirects=False, timeout=30)

    def wait_for(self, condition: Any, *, timeout: float = 15.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.state()
            result = condition(state)
            if result:
                return result
            time.sleep(0.05)
        raise AssertionError("the sandbox never reached the expected state")


def signed_notification(
    *,
    initiator_transaction_id: str,
    status: str = p.STATUS_SUCCEEDED,
    amount: int,
    notification_id: str = "TB0001",
    gateway_transaction_id: str = "SB0001",
    client_id: str = CLIENT_ID,
    secret: str = SECRET,
    signed_at: str | None = None,
    paid_at: str | None = None,
) -> dict[str, Any]:
    body = {
        "MaDoiTac": client_id,
        "MaThongBao": notification_id,
        "MaThamChieu": initiator_transaction_id,
        "MaGiaoDich": gateway_transaction_id,
        "SoTien": amount,
        "MaTienTe": p.CURRENCY,
        "TrangThai": status,
        "MaNganHang": "VCB" if status == p.STATUS_SUCCEEDED else "",
        "ThoiGianThanhToan": (paid_at or p.now_text()) if status == p.STATUS_SUCCEEDED else "",
        "ThoiGianGui": signed_at or p.now_text(),
    }
    return p.sign(body, secret, p.NOTIFY_FIELDS)
