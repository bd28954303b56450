"""A local stand-in for the National Public Service Portal's dossier synchronisation endpoints.

Run as a separate process (``python tests/support/national_portal.py --port 0 --token T``); it prints
``LISTENING <port>`` when ready. It checks every record field by field against the portal's published
format independently of Motcua's own models (required fields, types, code lists, ``yyyyMMddHHmmss`` dates)
and answers ``{"error_code": 0}`` or an error. ``/_control`` lets a test read what arrived and make the next
requests fail (HTTP 503) to exercise retries.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DATE = re.compile(r"^\d{14}$")
STATE = {"dossiers": [], "progress": [], "fail_next": 0, "requests": 0, "rejected": []}
LOCK = threading.Lock()

DOSSIER_REQUIRED = {
    "MaHoSo": str,
    "MaTTHC": str,
    "TenTTHC": str,
    "MaLinhVuc": str,
    "TenLinhVuc": str,
    "KenhThucHien": int,
    "ChuHoSo": str,
    "LoaiDoiTuong": int,
    "MaDoiTuong": str,
    "TrichYeuHoSo": str,
    "NgayTiepNhan": str,
    "NgayHenTra": str,
    "TrangThaiHoSo": int,
    "DonViXuLy": str,
    "DanhSachLePhi": list,
    "DanhSachHoSoBoSung": list,
    "DanhSachGiayToKetQua": list,
    "TaiLieuNop": list,
}
PROGRESS_REQUIRED = {
    "MaHoSo": str,
    "NguoiXuLy": str,
    "ChucDanh": str,
    "ThoiDiemXuLy": str,
    "PhongBanXuLy": str,
    "NoiDungXuLy": str,
    "TrangThai": int,
    "NgayBatDau": str,
    "NgayKetThucTheoQuyDinh": str,
}


def _problems(record: dict, required: dict, dates: list[str], optional_dates: list[str]) -> list[str]:
    problems = []
    for name, kind in required.items():
        if name not in record:
            problems.append(f"{name} missing")
        elif not isinstance(record[name], kind) or (kind is int and isinstance(record[name], bool)):
            problems.append(f"{name} must be {kind.__name__}")
        elif kind is str and name.startswith("Ma") and not record[name].strip():
            problems.append(f"{name} empty")
    for name in dates:
        if isinstance(record.get(name), str) and not DATE.match(record[name]):
            problems.append(f"{name} not yyyyMMddHHmmss")
    for name in optional_dates:
        value = record.get(name, "")
        if value and not DATE.match(str(value)):
            problems.append(f"{name} not yyyyMMddHHmmss")
    return problems


def dossier_problems(record: dict) -> list[str]:
    problems = _problems(record, DOSSIER_REQUIRED, ["NgayTiepNhan", "NgayHenTra"], ["NgayTra", "NgayKetThucXuLy"])
    if record.get("TrangThaiHoSo") not in range(1, 11):
        problems.append("TrangThaiHoSo outside 1-10")
    if record.get("KenhThucHien") not in (1, 2, 3):
        problems.append("KenhThucHien outside 1-3")
    if record.get("LoaiDoiTuong") not in (1, 2):
        problems.append("LoaiDoiTuong outside 1-2")
    for fee in record.get("DanhSachLePhi") or []:
        if not isinstance(fee.get("Gia"), int) or fee["Gia"] < 0:
            problems.append("DanhSachLePhi.Gia must be a non-negative integer (đồng)")
    return problems


def progress_problems(record: dict) -> list[str]:
    problems = _problems(record, PROGRESS_REQUIRED, ["ThoiDiemXuLy", "NgayBatDau", "NgayKetThucTheoQuyDinh"], [])
    if record.get("TrangThai") not in range(1, 11):
        problems.append("TrangThai outside 1-10")
    return problems


class Handler(BaseHTTPRequestHandler):
    token = ""

    def log_message(self, *args):  # keep test output quiet
        pass

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/_control":
            with LOCK:
                self._answer(200, STATE)
            return
        self._answer(404, {"error_code": 404, "message": "not found"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path == "/_control":
            with LOCK:
                STATE.update(json.loads(raw or b"{}"))
            self._answer(200, {"ok": True})
            return
        with LOCK:
            STATE["requests"] += 1
            if STATE["fail_next"] > 0:
                STATE["fail_next"] -= 1
                self._answer(503, {"error_code": 503, "message": "temporarily unavailable"})
                return
        if self.headers.get("Authorization") != f"Bearer {self.token}":
            self._answer(401, {"error_code": 401, "message": "bad token"})
            return
        try:
            records = json.loads(raw.decode("utf-8"))["data"]
            assert isinstance(records, list) and records
        except (ValueError, KeyError, AssertionError, UnicodeDecodeError):
            self._answer(400, {"error_code": 400, "message": 'body must be {"data": [records]}'})
            return
        kind, check = {
            "/DongBoHoSoMC": ("dossiers", dossier_problems),
            "/CapNhatTienDoHoSoMC": ("progress", progress_problems),
        }.get(self.path, (None, None))
        if kind is None:
            self._answer(404, {"error_code": 404, "message": "unknown service"})
            return
        problems = [problem for record in records for problem in check(record)]
        with LOCK:
            if problems:
                STATE["rejected"].append({"service": self.path, "problems": problems})
            else:
                STATE[kind].extend(records)
        if problems:
            self._answer(200, {"error_code": 1, "message": "; ".join(problems)})
        else:
            self._answer(200, {"error_code": 0, "message": "success"})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default="portal-token")
    arguments = parser.parse_args()
    Handler.token = arguments.token
    server = ThreadingHTTPServer(("127.0.0.1", arguments.port), Handler)
    print(f"LISTENING {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
