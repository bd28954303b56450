"""A local stand-in for an agency system that receives Motcua's webhooks, and fails on purpose.

Run it as its own process::

    python tests/support/webhook_receiver.py --port 0 --secret mcwh_...

It prints ``READY <port>`` once it listens on 127.0.0.1. Every POST (any path) is checked as a receiver
written from docs/notifications.md would check it, without Motcua's code: the ``Motcua-Signature`` header
must hold a ``v1=`` HMAC-SHA256 of ``<Motcua-Timestamp>.<body>`` under the secret, with a timestamp within
five minutes; otherwise the answer is 401 and nothing is stored. A signed request is then handled by the next
step of the failure plan (``/_control``):

- ``"500"``: answer HTTP 500 (the event is not stored);
- ``"timeout"``: wait ``slow_seconds`` before answering 503 (the sender gives up waiting first);
- ``"reset"``: drop the connection with a TCP reset, no answer;
- ``"ok"`` (and whenever the plan is empty): store the event and answer 200.

A delivery id stored once is answered 200 again without being stored twice, as a careful receiver does;
``duplicates`` counts such repeats. ``/_control``: POST JSON ``{"plan": [...], "secret": "...",
"slow_seconds": 1.0, "reset": true}`` (``reset`` empties what was received); GET returns the state:
``accepted`` (delivery id, event, body), ``tries`` (delivery id, what happened), ``refused`` (bad signatures),
``duplicates``.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOLERANCE_SECONDS = 300
LOCK = threading.Lock()
STATE: dict[str, Any] = {}


def state_reset(secret: str) -> None:
    STATE.clear()
    STATE.update(
        {
            "secret": secret,
            "plan": [],
            "slow_seconds": 1.0,
            "accepted": [],
            "tries": [],
            "refused": [],
            "duplicates": 0,
        }
    )


def signature_valid(secret: str, headers: Any, body: bytes) -> bool:
    """The check docs/notifications.md gives receivers, written independently of Motcua."""
    try:
        timestamp = int(headers.get("Motcua-Timestamp", ""))
    except ValueError:
        return False
    if abs(time.time() - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    for part in headers.get("Motcua-Signature", "").split(","):
        scheme, _, value = part.strip().partition("=")
        if scheme == "v1" and hmac.compare_digest(value, expected):
            return True
    return False


class Handler(BaseHTTPRequestHandler):
    server_version = "MotcuaTestReceiver/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return

    def _answer(self, status: int, body: Any) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the sender stopped waiting (the "timeout" step)
            pass

    def do_GET(self) -> None:
        if self.path != "/_control":
            self._answer(404, {"error": "not found"})
            return
        with LOCK:
            self._answer(200, {key: value for key, value in STATE.items() if key != "secret"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path == "/_control":
            changes = json.loads(body or b"{}")
            with LOCK:
                if changes.pop("reset", False):
                    state_reset(changes.get("secret", STATE["secret"]))
                STATE.update(changes)
            self._answer(200, {"ok": True})
            return
        delivery = self.headers.get("Motcua-Delivery", "")
        with LOCK:
            if not signature_valid(STATE["secret"], self.headers, body):
                STATE["refused"].append({"delivery": delivery, "signature": self.headers.get("Motcua-Signature", "")})
                step = "refused"
            else:
                step = STATE["plan"].pop(0) if STATE["plan"] else "ok"
            STATE["tries"].append({"delivery": delivery, "step": step})
            slow = float(STATE["slow_seconds"])
        if step == "refused":
            self._answer(401, {"error": "bad signature"})
        elif step == "500":
            self._answer(500, {"error": "the receiving system is down"})
        elif step == "timeout":
            time.sleep(slow)
            self._answer(503, {"error": "too slow"})
        elif step == "reset":
            # SO_LINGER with a zero timeout: close() sends a TCP RST instead of a FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
        else:
            with LOCK:
                if any(item["delivery"] == delivery for item in STATE["accepted"]):
                    STATE["duplicates"] += 1
                else:
                    STATE["accepted"].append(
                        {
                            "delivery": delivery,
                            "event": self.headers.get("Motcua-Event", ""),
                            "body": json.loads(body),
                        }
                    )
            self._answer(200, {"received": delivery})


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--secret", default="")
    arguments = parser.parse_args(argv)
    state_reset(arguments.secret)
    server = ThreadingHTTPServer(("127.0.0.1", arguments.port), Handler)
    server.daemon_threads = True
    print(f"READY {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
