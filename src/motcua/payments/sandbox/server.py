"""The payment sandbox server (stdlib ``http.server`` + ``sqlite3``); see the package docstring.

Endpoints (all JSON bodies and answers, signed as ``protocol`` says; the MaDoiTac must be a known client):

POST /api/giao-dich             create a transaction -> MaGiaoDich, UrlThanhToan
POST /api/giao-dich/trang-thai  status of a transaction
POST /api/hoan-tien             refund (idempotent on MaHoanTien)
POST /api/doi-soat              the transactions paid on a day (Ngay yyyyMMdd, Asia/Ho_Chi_Minh)
GET  /thanh-toan/<MaGiaoDich>   the hosted payment page; POST it to pay (choose a bank) or cancel
GET  /_control                  what happened (deliveries, collected notifications, counts)
POST /_control                  change behaviour: {"callback": "normal" | "before_redirect" | "drop" | "twice" |
                                "delay" | "collect", "delay_seconds": 2, "wrong_signature": false,
                                "pending_notice": false, "fail_create": 0, "retry_delays": [...],
                                "max_attempts": 8, "reset": false}
POST /_control/notify           {"MaGiaoDich", "TrangThai"}: send one more notification for a transaction
POST /_control/redeliver        {"MaThongBao"}: deliver a stored notification again, freshly timed and signed
"""

from __future__ import annotations

import argparse
import html
import json
import secrets
import sqlite3
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from motcua.payments.gateways import protocol as p

BANKS = (
    ("VCB", "Vietcombank"),
    ("CTG", "VietinBank"),
    ("BIDV", "BIDV"),
    ("VBA", "Agribank"),
    ("TCB", "Techcombank"),
    ("MB", "MB Bank"),
    ("VPB", "VPBank"),
)
DEFAULT_CONTROL: dict[str, Any] = {
    "callback": "normal",
    "delay_seconds": 2.0,
    "wrong_signature": False,
    "pending_notice": False,
    "fail_create": 0,
    "retry_delays": [0.5, 1, 2, 5, 10, 30, 60],
    "max_attempts": 8,
    "window_seconds": 300,
}
SCHEMA = """
CREATE TABLE IF NOT EXISTS transactions (
    id TEXT PRIMARY KEY, client TEXT NOT NULL, reference TEXT NOT NULL, amount INTEGER NOT NULL,
    status TEXT NOT NULL, bank TEXT NOT NULL DEFAULT '', paid_at TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL, return_url TEXT NOT NULL, notify_url TEXT NOT NULL, description TEXT NOT NULL,
    language TEXT NOT NULL, bill TEXT NOT NULL, digest TEXT NOT NULL, refunded INTEGER NOT NULL DEFAULT 0,
    UNIQUE (client, reference)
);
CREATE TABLE IF NOT EXISTS notifications (
    id TEXT PRIMARY KEY, transaction_id TEXT NOT NULL, status TEXT NOT NULL, created_at REAL NOT NULL,
    delivered INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS refunds (
    client TEXT NOT NULL, refund_id TEXT NOT NULL, transaction_id TEXT NOT NULL, amount INTEGER NOT NULL,
    reason TEXT NOT NULL, created_at REAL NOT NULL, PRIMARY KEY (client, refund_id)
);
"""


class Sandbox:
    """State and behaviour, shared by the request threads (one lock around the database)."""

    def __init__(self, *, database: str, clients: dict[str, str], base_url: str, timeout_minutes: int) -> None:
        self.database = database
        self.clients = clients
        self.base_url = base_url.rstrip("/")
        self.timeout_seconds = timeout_minutes * 60
        self.lock = threading.RLock()
        self.control: dict[str, Any] = json.loads(json.dumps(DEFAULT_CONTROL))
        self.deliveries: list[dict[str, Any]] = []
        self.collected: list[dict[str, Any]] = []
        self.counts: dict[str, int] = {}
        self.connection = sqlite3.connect(database, check_same_thread=False, isolation_level=None)
        # A sandbox: durability matters less than answering fast (WAL, no fsync on every write).
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=OFF")
        self.connection.executescript(SCHEMA)

    # ---------------------------------------------------------------- helpers

    def count(self, name: str) -> None:
        with self.lock:
            self.counts[name] = self.counts.get(name, 0) + 1

    def query(self, sql: str, *parameters: Any) -> list[sqlite3.Row]:
        with self.lock:
            self.connection.row_factory = sqlite3.Row
            return list(self.connection.execute(sql, parameters))

    def execute(self, sql: str, *parameters: Any) -> None:
        with self.lock:
            self.connection.execute(sql, parameters)

    def secret(self, client: Any) -> str:
        if not isinstance(client, str) or client not in self.clients:
            raise p.ProtocolError(p.UNKNOWN_PARTNER, "unknown MaDoiTac")
        return self.clients[client]

    def transaction(self, transaction_id: str) -> sqlite3.Row | None:
        rows = self.query("SELECT * FROM transactions WHERE id = ?", transaction_id)
        return rows[0] if rows else None

    def fresh(self, message: dict[str, Any]) -> None:
        if not p.within_window(str(message.get("ThoiGianGui", "")), seconds=int(self.control["window_seconds"])):
            raise p.ProtocolError(p.STALE_OR_REPLAYED, "ThoiGianGui outside the window")

    def expire_if_due(self, row: sqlite3.Row) -> sqlite3.Row:
        if row["status"] == p.STATUS_PENDING and time.time() - row["created_at"] > self.timeout_seconds:
            self.execute("UPDATE transactions SET status = ? WHERE id = ?", p.STATUS_EXPIRED, row["id"])
            refreshed = self.transaction(row["id"])
            assert refreshed is not None
            return refreshed
        return row

    # ---------------------------------------------------------------- API

    def create(self, message: dict[str, Any]) -> dict[str, Any]:
        secret = self.secret(message.get("MaDoiTac"))
        p.create_verify(message, secret)
        with self.lock:
            if self.control["fail_create"] > 0:
                self.control["fail_create"] -= 1
                raise p.ProtocolError(p.SIMULATED_FAILURE, "simulated failure")
        amount = message["SoTien"]
        lines = message[p.BILL].get(p.FEE_LINES) or []
        if not isinstance(amount, int) or amount <= 0 or amount != sum(line["SoTien"] for line in lines):
            raise p.ProtocolError(p.INVALID_AMOUNT, "SoTien must be a positive whole number of đồng, the lines' sum")
        if message["MaTienTe"] != p.CURRENCY:
            raise p.ProtocolError(p.INVALID_AMOUNT, "only VND")
        digest = p.checksum("digest", p.create_canonical({**message, "ThoiGianTao": ""}))
        with self.lock:
            existing = self.query(
                "SELECT * FROM transactions WHERE client = ? AND reference = ?",
                message["MaDoiTac"],
                message["MaThamChieu"],
            )
            if existing:
                if existing[0]["digest"] != digest:
                    raise p.ProtocolError(p.DUPLICATE_REFERENCE, "MaThamChieu already used for another transaction")
                transaction_id = existing[0]["id"]
            else:
                transaction_id = "SB" + secrets.token_hex(8).upper()
                self.execute(
                    "INSERT INTO transactions (id, client, reference, amount, status, created_at, return_url, "
                    "notify_url, description, language, bill, digest) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    transaction_id,
                    message["MaDoiTac"],
                    message["MaThamChieu"],
                    amount,
                    p.STATUS_PENDING,
                    time.time(),
                    message["UrlTraVe"],
                    message["UrlThongBao"],
                    message["NoiDung"],
                    message["NgonNgu"],
                    json.dumps(message[p.BILL], ensure_ascii=False),
                    digest,
                )
        self.count("created")
        answer = {
            "MaLoi": p.OK,
            "MoTa": "Thành công",
            "MaThamChieu": message["MaThamChieu"],
            "MaGiaoDich": transaction_id,
            "UrlThanhToan": f"{self.base_url}/thanh-toan/{transaction_id}",
        }
        return p.sign(answer, secret, p.CREATE_ANSWER_FIELDS)

    def status(self, message: dict[str, Any]) -> dict[str, Any]:
        secret = self.secret(message.get("MaDoiTac"))
        p.verify(message, secret, p.QUERY_FIELDS)
        self.fresh(message)
        rows = self.query(
            "SELECT * FROM transactions WHERE client = ? AND reference = ?", message["MaDoiTac"], message["MaThamChieu"]
        )
        if not rows:
            raise p.ProtocolError(p.UNKNOWN_TRANSACTION, "unknown MaThamChieu")
        row = self.expire_if_due(rows[0])
        self.count("status")
        answer = {
            "MaLoi": p.OK,
            "MaThamChieu": row["reference"],
            "MaGiaoDich": row["id"],
            "SoTien": row["amount"],
            "TrangThai": row["status"],
            "MaNganHang": row["bank"],
            "ThoiGianThanhToan": row["paid_at"],
            "SoTienHoanTra": row["refunded"],
        }
        return p.sign(answer, secret, p.QUERY_ANSWER_FIELDS)

    def refund(self, message: dict[str, Any]) -> dict[str, Any]:
        secret = self.secret(message.get("MaDoiTac"))
        p.verify(message, secret, p.REFUND_FIELDS)
        self.fresh(message)
        client = message["MaDoiTac"]
        with self.lock:
            rows = self.query(
                "SELECT * FROM transactions WHERE client = ? AND reference = ?", client, message["MaThamChieu"]
            )
            if not rows:
                raise p.ProtocolError(p.UNKNOWN_TRANSACTION, "unknown MaThamChieu")
            row = rows[0]
            done = self.query("SELECT * FROM refunds WHERE client = ? AND refund_id = ?", client, message["MaHoanTien"])
            if not done:
                amount = message["SoTien"]
                if row["status"] not in (p.STATUS_SUCCEEDED, p.STATUS_REFUNDED):
                    raise p.ProtocolError(p.NOT_REFUNDABLE, "the transaction was not paid")
                if not isinstance(amount, int) or amount <= 0 or row["refunded"] + amount > row["amount"]:
                    raise p.ProtocolError(p.INVALID_AMOUNT, "more than what is left to refund")
                self.execute(
                    "INSERT INTO refunds VALUES (?,?,?,?,?,?)",
                    client,
                    message["MaHoanTien"],
                    row["id"],
                    amount,
                    message["LyDo"],
                    time.time(),
                )
                refunded = row["refunded"] + amount
                status = p.STATUS_REFUNDED if refunded == row["amount"] else row["status"]
                self.execute(
                    "UPDATE transactions SET refunded = ?, status = ? WHERE id = ?", refunded, status, row["id"]
                )
                self.count("refunded")
            refund = self.query(
                "SELECT * FROM refunds WHERE client = ? AND refund_id = ?", client, message["MaHoanTien"]
            )[0]
        answer = {
            "MaLoi": p.OK,
            "MaHoanTien": refund["refund_id"],
            "MaThamChieu": message["MaThamChieu"],
            "SoTien": refund["amount"],
            "TrangThai": p.STATUS_REFUNDED,
        }
        return p.sign(answer, secret, p.REFUND_ANSWER_FIELDS)

    def statement(self, message: dict[str, Any]) -> dict[str, Any]:
        secret = self.secret(message.get("MaDoiTac"))
        p.verify(message, secret, p.STATEMENT_FIELDS)
        self.fresh(message)
        day = str(message["Ngay"])
        if len(day) != 8 or not day.isdigit():
            raise p.ProtocolError(p.MALFORMED, "Ngay must be yyyyMMdd")
        rows = self.query(
            "SELECT * FROM transactions WHERE client = ? AND paid_at LIKE ? ORDER BY paid_at, id",
            message["MaDoiTac"],
            day + "%",
        )
        entries = [
            {
                "MaThamChieu": row["reference"],
                "MaGiaoDich": row["id"],
                "MaDonVi": json.loads(row["bill"]).get("MaDonVi", ""),
                "MaHoSo": json.loads(row["bill"]).get("MaHoSo", ""),
                "SoTien": row["amount"],
                "TrangThai": row["status"],
                "ThoiGianThanhToan": row["paid_at"],
                "SoTienHoanTra": row["refunded"],
            }
            for row in rows
        ]
        answer = {"MaLoi": p.OK, "Ngay": day, "SoGiaoDich": len(entries), p.STATEMENT_ENTRIES: entries}
        return p.sign(answer, secret, p.STATEMENT_ANSWER_FIELDS, **p.statement_shape())

    # ---------------------------------------------------------------- paying and notifying

    def pay(self, transaction_id: str, *, action: str, bank: str) -> sqlite3.Row:
        """The payer chose: pay with a bank, or cancel. Final states do not change again."""
        with self.lock:
            row = self.transaction(transaction_id)
            if row is None:
                raise p.ProtocolError(p.UNKNOWN_TRANSACTION, "unknown transaction")
            row = self.expire_if_due(row)
            if row["status"] != p.STATUS_PENDING:
                return row
            if action == "pay":
                if bank not in dict(BANKS):
                    raise p.ProtocolError(p.MALFORMED, "choose a bank")
                self.execute(
                    "UPDATE transactions SET status = ?, bank = ?, paid_at = ? WHERE id = ?",
                    p.STATUS_SUCCEEDED,
                    bank,
                    p.now_text(),
                    transaction_id,
                )
            else:
                self.execute(
                    "UPDATE transactions SET status = ?, bank = ? WHERE id = ?", p.STATUS_FAILED, bank, transaction_id
                )
            row = self.transaction(transaction_id)
            assert row is not None
        self.count("paid" if action == "pay" else "cancelled")
        return row

    def notification_new(self, row: sqlite3.Row, status: str) -> str:
        notification_id = "TB" + secrets.token_hex(8).upper()
        self.execute(
            "INSERT INTO notifications (id, transaction_id, status, created_at) VALUES (?,?,?,?)",
            notification_id,
            row["id"],
            status,
            time.time(),
        )
        return notification_id

    def notification_body(self, notification_id: str) -> tuple[dict[str, Any], str]:
        notification = self.query("SELECT * FROM notifications WHERE id = ?", notification_id)[0]
        row = self.transaction(notification["transaction_id"])
        assert row is not None
        secret = self.clients[row["client"]]
        if self.control["wrong_signature"]:
            secret = "not-the-shared-secret"
        body = {
            "MaDoiTac": row["client"],
            "MaThongBao": notification_id,
            "MaThamChieu": row["reference"],
            "MaGiaoDich": row["id"],
            "SoTien": row["amount"],
            "MaTienTe": p.CURRENCY,
            "TrangThai": notification["status"],
            "MaNganHang": row["bank"],
            "ThoiGianThanhToan": row["paid_at"] if notification["status"] == p.STATUS_SUCCEEDED else "",
            "ThoiGianGui": p.now_text(),
        }
        return p.sign(body, secret, p.NOTIFY_FIELDS), row["notify_url"]

    def deliver_once(self, notification_id: str) -> bool:
        """One delivery attempt, freshly timed and signed; True when Motcua answered MaLoi 00."""
        body, url = self.notification_body(notification_id)
        self.execute("UPDATE notifications SET attempts = attempts + 1 WHERE id = ?", notification_id)
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        record: dict[str, Any] = {"MaThongBao": notification_id, "TrangThai": body["TrangThai"], "url": url}
        try:
            request = urllib.request.Request(  # noqa: S310 - the URL Motcua gave when creating the transaction
                url, data=data, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
            )
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                record["http_status"] = response.status
                answer = json.loads(response.read().decode("utf-8") or "{}")
        except urllib.error.HTTPError as error:
            record["http_status"] = error.code
            try:
                answer = json.loads(error.read().decode("utf-8") or "{}")
            except ValueError:
                answer = {}
        except (OSError, ValueError) as error:
            record["http_status"] = 0
            record["error"] = str(error)
            answer = {}
        record["MaLoi"] = answer.get("MaLoi", "")
        accepted = record["MaLoi"] == p.OK
        if accepted:
            self.execute("UPDATE notifications SET delivered = 1 WHERE id = ?", notification_id)
        with self.lock:
            self.deliveries.append(record)
        self.count("delivery_attempts")
        return accepted

    def deliver(self, notification_id: str, *, first_delay: float = 0.0) -> None:
        """Deliver with retries until Motcua answers 00 or the attempts run out (in the calling thread)."""
        if first_delay:
            time.sleep(first_delay)
        delays = list(self.control["retry_delays"])
        for attempt in range(int(self.control["max_attempts"])):
            if self.deliver_once(notification_id):
                return
            time.sleep(delays[min(attempt, len(delays) - 1)] if delays else 1)

    def notify(self, row: sqlite3.Row, status: str, *, synchronous: bool = False) -> str:
        """Make a notification and send it as the control says."""
        notification_id = self.notification_new(row, status)
        mode = self.control["callback"]
        if mode == "drop":
            self.count("dropped")
        elif mode == "collect":
            body, _url = self.notification_body(notification_id)
            with self.lock:
                self.collected.append(body)
        elif synchronous and mode == "before_redirect":
            self.deliver(notification_id)
        else:
            delay = float(self.control["delay_seconds"]) if mode == "delay" else 0.0
            copies = 2 if mode == "twice" else 1
            for _copy in range(copies):
                threading.Thread(
                    target=self.deliver, args=(notification_id,), kwargs={"first_delay": delay}, daemon=True
                ).start()
        return notification_id

    def return_url(self, row: sqlite3.Row) -> str:
        secret = self.clients[row["client"]]
        if self.control["wrong_signature"]:
            secret = "not-the-shared-secret"
        values = p.sign(
            {
                "MaDoiTac": row["client"],
                "MaThamChieu": row["reference"],
                "MaGiaoDich": row["id"],
                "SoTien": row["amount"],
                "TrangThai": row["status"],
                "ThoiGianGui": p.now_text(),
            },
            secret,
            p.RETURN_FIELDS,
        )
        separator = "&" if "?" in row["return_url"] else "?"
        return row["return_url"] + separator + urllib.parse.urlencode(values)

    # ---------------------------------------------------------------- control

    def control_state(self) -> dict[str, Any]:
        with self.lock:
            return {
                "control": dict(self.control),
                "counts": dict(self.counts),
                "deliveries": list(self.deliveries),
                "collected": list(self.collected),
                "transactions": [dict(row) for row in self.query("SELECT * FROM transactions ORDER BY created_at")],
            }

    def control_change(self, changes: dict[str, Any]) -> None:
        with self.lock:
            if changes.pop("reset", False):
                self.control = json.loads(json.dumps(DEFAULT_CONTROL))
                self.deliveries.clear()
                self.collected.clear()
                self.counts.clear()
                for table in ("transactions", "notifications", "refunds"):
                    self.connection.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            for key, value in changes.items():
                if key not in DEFAULT_CONTROL:
                    raise p.ProtocolError(p.MALFORMED, f"unknown control {key}")
                self.control[key] = value


# -------------------------------------------------------------------- the hosted page

PAGE_STYLE = """
body{font-family:system-ui,"Noto Sans",sans-serif;margin:0;background:#f3f5f9;color:#1b1f24;font-size:17px}
header{background:#b3261e;color:#fff;padding:.8rem 1rem}header strong{display:block;font-size:1.1rem}
main{max-width:34rem;margin:0 auto;padding:1rem}
section{background:#fff;border-radius:.5rem;padding:1rem;margin:0 0 1rem}
table{width:100%;border-collapse:collapse}td,th{padding:.35rem 0;text-align:left;vertical-align:top}
td.amount,th.amount{text-align:right;white-space:nowrap}.total td{font-weight:700;border-top:1px solid #ccd}
fieldset{border:0;padding:0;margin:0 0 1rem}legend{font-weight:700;margin-bottom:.5rem}
label.bank{display:flex;gap:.6rem;align-items:center;padding:.6rem;border:1px solid #ccd;border-radius:.4rem;
margin:.3rem 0}
button{font-size:1.05rem;padding:.8rem 1rem;border-radius:.4rem;border:0;width:100%;margin:.3rem 0;cursor:pointer}
.pay{background:#0b6b3a;color:#fff}.cancel{background:#e6e8ec;color:#1b1f24}.muted{color:#555;font-size:.95rem}
dl{margin:0}dt{color:#555;font-size:.9rem}dd{margin:0 0 .5rem}
"""


def money(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đồng"


def page(title: str, body: str) -> bytes:
    return (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} – Nền tảng thanh toán (thử nghiệm)</title><style>{PAGE_STYLE}</style></head>"
        "<body><header><strong>Nền tảng thanh toán trực tuyến</strong>"
        "<span>Môi trường thử nghiệm (sandbox) – không có tiền thật</span></header>"
        f'<main id="main">{body}</main></body></html>'
    ).encode()


def payment_page(row: sqlite3.Row, *, problem: str = "") -> bytes:
    bill = json.loads(row["bill"])
    lines = "".join(
        f"<tr><td>{html.escape(line['TenPhiLePhi'])}</td><td class='amount'>{money(line['SoTien'])}</td></tr>"
        for line in bill.get(p.FEE_LINES, [])
    )
    banks = "".join(
        f'<label class="bank"><input type="radio" name="bank" value="{code}" required>{html.escape(name)}</label>'
        for code, name in BANKS
    )
    alert = f'<p role="alert" class="muted"><strong>{html.escape(problem)}</strong></p>' if problem else ""
    body = f"""
<h1>Thanh toán phí, lệ phí</h1>
<section aria-labelledby="bill"><h2 id="bill">Thông tin hóa đơn</h2><dl>
<dt>Cơ quan thu</dt><dd>{html.escape(bill.get("TenDonVi", ""))} ({html.escape(bill.get("MaDonVi", ""))})</dd>
<dt>Mã hồ sơ</dt><dd>{html.escape(bill.get("MaHoSo", ""))}</dd>
<dt>Thủ tục</dt><dd>{html.escape(bill.get("TenTTHC", ""))} ({html.escape(bill.get("MaTTHC", ""))})</dd>
<dt>Người nộp</dt><dd>{html.escape(bill.get("HoTenNguoiNop", ""))}</dd>
<dt>Tài khoản thụ hưởng</dt>
<dd>{html.escape(bill.get("TaiKhoanThuHuong", ""))} – {html.escape(bill.get("TenKhoBac", ""))}</dd>
</dl>
<table><thead><tr><th>Khoản thu</th><th class="amount">Số tiền</th></tr></thead><tbody>{lines}
<tr class="total"><td>Tổng cộng</td><td class="amount" id="total">{money(row["amount"])}</td></tr></tbody></table>
</section>
{alert}
<form method="post" action="/thanh-toan/{row["id"]}">
<fieldset><legend>Chọn ngân hàng</legend>{banks}</fieldset>
<button class="pay" type="submit" name="action" value="pay">Thanh toán {money(row["amount"])}</button>
</form>
<form method="post" action="/thanh-toan/{row["id"]}">
<button class="cancel" type="submit" name="action" value="cancel">Hủy giao dịch</button>
</form>
<p class="muted">Mã giao dịch: {row["id"]}</p>"""
    return page("Thanh toán", body)


def finished_page(row: sqlite3.Row, return_url: str) -> bytes:
    words = {
        p.STATUS_SUCCEEDED: "Giao dịch đã thanh toán thành công.",
        p.STATUS_FAILED: "Giao dịch đã bị hủy.",
        p.STATUS_EXPIRED: "Giao dịch đã hết hạn.",
        p.STATUS_REFUNDED: "Giao dịch đã được hoàn tiền.",
    }
    body = (
        f"<h1>Giao dịch {row['id']}</h1><section><p>{words.get(row['status'], 'Giao dịch đang xử lý.')}</p>"
        f'<p><a href="{html.escape(return_url)}">Quay lại cổng dịch vụ công</a></p></section>'
    )
    return page("Kết quả", body)


# -------------------------------------------------------------------- HTTP


class Handler(BaseHTTPRequestHandler):
    sandbox: Sandbox
    server_version = "PaymentSandbox/1"
    # Headers and body go out in two writes: without this, Nagle's algorithm and the peer's delayed ACK add 40 ms.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(min(length, 1_000_000))

    def do_GET(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        if path == "/_control":
            self._json(200, self.sandbox.control_state())
        elif path.startswith("/thanh-toan/"):
            row = self.sandbox.transaction(path.rsplit("/", 1)[1])
            if row is None:
                self._send(404, page("Không tìm thấy", "<h1>Không tìm thấy giao dịch</h1>"), "text/html; charset=utf-8")
                return
            row = self.sandbox.expire_if_due(row)
            if row["status"] == p.STATUS_PENDING:
                self._send(200, payment_page(row), "text/html; charset=utf-8")
            else:
                self._send(200, finished_page(row, self.sandbox.return_url(row)), "text/html; charset=utf-8")
        elif path == "/healthz":
            self._json(200, {"ok": True})
        else:
            self._json(404, {"MaLoi": p.MALFORMED, "MoTa": "not found"})

    def do_POST(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        raw = self._body()
        if path.startswith("/thanh-toan/"):
            self._pay(path.rsplit("/", 1)[1], raw)
            return
        try:
            message = json.loads(raw.decode("utf-8") or "{}")
            if not isinstance(message, dict):
                raise p.ProtocolError(p.MALFORMED, "the body must be a JSON object")
            if path == "/_control":
                self.sandbox.control_change(message)
                self._json(200, {"ok": True})
                return
            if path == "/_control/notify":
                row = self.sandbox.transaction(str(message.get("MaGiaoDich", "")))
                if row is None:
                    raise p.ProtocolError(p.UNKNOWN_TRANSACTION, "unknown transaction")
                notification_id = self.sandbox.notify(row, str(message.get("TrangThai", row["status"])))
                self._json(200, {"ok": True, "MaThongBao": notification_id})
                return
            if path == "/_control/redeliver":
                accepted = self.sandbox.deliver_once(str(message.get("MaThongBao", "")))
                self._json(200, {"ok": True, "accepted": accepted})
                return
            handlers = {
                "/api/giao-dich": self.sandbox.create,
                "/api/giao-dich/trang-thai": self.sandbox.status,
                "/api/hoan-tien": self.sandbox.refund,
                "/api/doi-soat": self.sandbox.statement,
            }
            handler = handlers.get(path)
            if handler is None:
                self._json(404, {"MaLoi": p.MALFORMED, "MoTa": "unknown service"})
                return
            self._json(200, handler(message))
        except p.ProtocolError as error:
            self.sandbox.count(f"refused_{error.code}")
            self._json(400, {"MaLoi": error.code, "MoTa": str(error)})
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
            self._json(400, {"MaLoi": p.MALFORMED, "MoTa": f"malformed: {error}"})

    def _pay(self, transaction_id: str, raw: bytes) -> None:
        form = urllib.parse.parse_qs(raw.decode("utf-8", "replace"))
        action = (form.get("action") or [""])[0]
        bank = (form.get("bank") or [""])[0]
        row = self.sandbox.transaction(transaction_id)
        if row is None or action not in ("pay", "cancel"):
            self._send(404, page("Không tìm thấy", "<h1>Không tìm thấy giao dịch</h1>"), "text/html; charset=utf-8")
            return
        was_pending = self.sandbox.expire_if_due(row)["status"] == p.STATUS_PENDING
        try:
            row = self.sandbox.pay(transaction_id, action=action, bank=bank)
        except p.ProtocolError:
            self._send(422, payment_page(row, problem="Vui lòng chọn ngân hàng."), "text/html; charset=utf-8")
            return
        if was_pending:
            if action == "pay" and self.sandbox.control["pending_notice"]:
                self.sandbox.notify(row, p.STATUS_PENDING, synchronous=True)
            self.sandbox.notify(row, row["status"], synchronous=True)
        self._send(303, b"", "text/plain", {"Location": self.sandbox.return_url(row)})


def serve(
    *, host: str, port: int, database: str, clients: dict[str, str], public_url: str = "", timeout_minutes: int = 30
) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), Handler)
    base_url = public_url or f"http://{host}:{server.server_address[1]}"
    sandbox = Sandbox(database=database, clients=clients, base_url=base_url, timeout_minutes=timeout_minutes)
    server.RequestHandlerClass = type("BoundHandler", (Handler,), {"sandbox": sandbox})
    server.daemon_threads = True
    return server


def clients_parse(values: list[str]) -> dict[str, str]:
    clients: dict[str, str] = {}
    for value in values:
        client, _sep, secret = value.partition(":")
        if not client or not secret:
            raise SystemExit(f"--client must be ID:SECRET, got {value!r}")
        clients[client] = secret
    return clients


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m motcua.payments.sandbox", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--database", default="", help="SQLite file of the sandbox's state (default: in memory)")
    parser.add_argument("--client", action="append", default=[], help="ID:SECRET of a client (repeatable)")
    parser.add_argument("--public-url", default="", help="base URL of the hosted pages (default http://host:port)")
    parser.add_argument("--timeout-minutes", type=int, default=30, help="unpaid transactions expire after this")
    arguments = parser.parse_args(argv)
    if arguments.database:
        Path(arguments.database).parent.mkdir(parents=True, exist_ok=True)
    server = serve(
        host=arguments.host,
        port=arguments.port,
        database=arguments.database or ":memory:",
        clients=clients_parse(arguments.client) or {"motcua": "sandbox-secret"},
        public_url=arguments.public_url,
        timeout_minutes=arguments.timeout_minutes,
    )
    print(f"LISTENING {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
