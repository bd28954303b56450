"""Real Motcua nodes for the federation tests and the exchange benchmark.

Each node is its own deployment on 127.0.0.1: its own data directory and SQLite database (whatever
``DATABASE_URL`` the test run uses), the web server (``motcua serve --no-worker``: gunicorn), a task worker
(``motcua worker``) and the periodic-job scheduler (``motcua scheduler``), started and stopped (or killed) as
separate processes. All nodes share one development PKI (made once, every node trusts its root), as the agencies of a
country share their CA.

Setting a node up runs this module in the node's environment (``python -m tests.support.exchange_nodes setup``):
the demo agency directory, the officials of the organisations the node serves (a document clerk, a leader with a
personal key, a specialist, a unit head) and their agency's seal, all keys under ``PIN``, and the node key. The hub
(directory authority) then registers the members, reads their identities and publishes the signed directory
(``hub-publish``), pushed to every member.

A test drives a node as its officials do, through the JSON API with a signed-in session (officials' second factor
is switched off on these nodes).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PIN = "246810"
PASSWORD = "Mat-khau-an-toan-2026"
ROLES = ("document_clerk", "agency_leader", "specialist", "unit_head")
ROLE_NAMES = {"document_clerk": "clerk", "agency_leader": "leader", "specialist": "specialist", "unit_head": "head"}
TITLES = {
    "document_clerk": "Văn thư",
    "agency_leader": "Chủ tịch",
    "specialist": "Chuyên viên",
    "unit_head": "Chánh Văn phòng",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _python() -> str:
    return str(Path(sys.executable))


# ------------------------------------------------------------------------------------------------------
# Inside a node (run with the node's environment)
# ------------------------------------------------------------------------------------------------------


def _setup(codes: list[str]) -> dict[str, Any]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.config.settings")
    django.setup()
    import datetime as dt

    from django.core.management import call_command

    from motcua.accounts.services import user_create_official
    from motcua.agencies.models import Organisation, Unit
    from motcua.agencies.services import agencies_load_demo, position_assign
    from motcua.core.permissions import SYSTEM
    from motcua.exchange.identity import node_id, node_key_init
    from motcua.signatures.models import Certificate
    from motcua.signatures.services import certificate_issue, pki_load, pki_register

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    if not Organisation.objects.exists():
        agencies_load_demo(actor=SYSTEM)
    pki = pki_load()
    pki_register(pki=pki)
    users: dict[str, dict[str, str]] = {}
    for code in codes:
        organisation = Organisation.objects.get(code=code)
        unit = Unit.objects.filter(organisation=organisation).first()
        users[code] = {}
        for role in ROLES:
            username = f"{node_id()}.{ROLE_NAMES[role]}.{code.replace('.', '')}"
            user = user_create_official(
                actor=SYSTEM,
                username=username,
                full_name=f"{TITLES[role]} {organisation.short_name or organisation.name}"[:150],
                email=f"{username}@example.vn",
                password=PASSWORD,
            )
            position_assign(
                actor=SYSTEM,
                user=user,
                organisation=organisation,
                role=role,
                title=TITLES[role],
                unit=unit if role in ("specialist", "unit_head", "document_clerk") else None,
                valid_from=dt.date(2025, 1, 1),
            )
            users[code][ROLE_NAMES[role]] = username
            users[code][f"{ROLE_NAMES[role]}_id"] = str(user.pk)
            if role == "agency_leader":
                certificate_issue(
                    pki=pki,
                    kind=Certificate.Kind.PERSONAL,
                    common_name=user.full_name,
                    title=TITLES[role],
                    organisation_name=organisation.name,
                    organisation_code=code,
                    organisation=organisation,
                    holder=user,
                    pin=PIN,
                    actor=SYSTEM,
                )
        users[code]["unit_id"] = str(unit.pk) if unit else ""
        certificate_issue(
            pki=pki,
            kind=Certificate.Kind.AGENCY_SEAL,
            common_name=organisation.name,
            organisation_code=code,
            organisation=organisation,
            pin=PIN,
            actor=SYSTEM,
        )
    key = node_key_init(actor=SYSTEM)
    return {"fingerprint": key.fingerprint, "certificate_pem": key.certificate_pem(), "users": users}


def _hub_publish(members: list[dict[str, Any]]) -> dict[str, Any]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.config.settings")
    django.setup()
    from motcua.core.permissions import SYSTEM
    from motcua.exchange.directory import directory_member_register, directory_publish
    from motcua.exchange.services.nodes import directory_members_refresh, directory_push

    for member in members:
        directory_member_register(actor=SYSTEM, **member)
    refreshed = directory_members_refresh(actor=SYSTEM)
    version = directory_publish(actor=SYSTEM)
    return {"refreshed": refreshed, "version": version.version, **directory_push(version=version.version)}


def noise_png(size: int) -> bytes:
    """A PNG of random pixels of about ``size`` bytes (random pixels do not compress)."""
    import io

    from PIL import Image

    side = max(int((size / 3) ** 0.5), 1)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buffer, format="PNG")
    return buffer.getvalue()


def _prepare(code: str, recipient: str, count: int, attachment_bytes: int) -> dict[str, Any]:
    """``count`` documents of ``code`` for ``recipient``, drafted, signed and registered, ready to send (benchmark)."""
    import io

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.config.settings")
    django.setup()
    from motcua.accounts.models import User
    from motcua.agencies.models import Organisation
    from motcua.exchange import services
    from motcua.exchange.identity import node_id
    from tests.signatures.conftest import simple_pdf

    def user(role: str) -> User:
        return User.objects.get(username=f"{node_id()}.{role}.{code.replace('.', '')}")

    organisation = Organisation.objects.get(code=code)
    attachment = noise_png(attachment_bytes)
    ids = []
    for index in range(count):
        document = services.outgoing_create(
            actor=user("specialist"),
            organisation=organisation,
            data={
                "document_type": "CV",
                "subject": f"Công văn số liệu đo hiệu năng {index + 1}",
                "recipients": [recipient],
            },
        )
        text = simple_pdf(f"Công văn {index + 1}")
        services.outgoing_file_add(
            actor=user("specialist"), document=document, content=io.BytesIO(text), name="cong-van.pdf", main=True
        )
        services.outgoing_file_add(
            actor=user("specialist"), document=document, content=io.BytesIO(attachment), name="phu-luc.png"
        )
        services.outgoing_submit(actor=user("specialist"), document=document)
        services.outgoing_review(actor=user("head"), document=document)
        services.outgoing_approve_and_sign(actor=user("leader"), document=document, pin=PIN)
        services.outgoing_register(actor=user("clerk"), document=document)
        ids.append(str(document.pk))
    return {"documents": ids, "attachment_bytes": len(attachment)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["setup", "hub-publish", "prepare"])
    parser.add_argument("--codes", default="")
    parser.add_argument("--members", default="[]")
    parser.add_argument("--to", default="")
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--attachment-bytes", type=int, default=100 * 1024)
    arguments = parser.parse_args()
    if arguments.action == "setup":
        result = _setup([code for code in arguments.codes.split(",") if code])
    elif arguments.action == "prepare":
        result = _prepare(arguments.codes, arguments.to, arguments.count, arguments.attachment_bytes)
    else:
        result = _hub_publish(json.loads(arguments.members))
    print("RESULT " + json.dumps(result, ensure_ascii=False))


# ------------------------------------------------------------------------------------------------------
# The harness (in the test process)
# ------------------------------------------------------------------------------------------------------


@dataclass
class Node:
    """One deployment: its settings, its processes, its officials."""

    name: str
    codes: list[str]
    directory: Path
    pki_dir: Path
    port: int = field(default_factory=free_port)
    mode: str = "push"
    via: str = ""
    url: str = ""  # what other nodes use (a proxy in front of it, maybe)
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    fingerprint: str = ""
    certificate_pem: str = ""
    users: dict[str, dict[str, str]] = field(default_factory=dict)
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    @property
    def local_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def public_url(self) -> str:
        return self.url or self.local_url

    @property
    def key_file(self) -> Path:
        return self.directory / "exchange" / "node-key.pem"

    @property
    def certificate_file(self) -> Path:
        return self.directory / "exchange" / "node-certificate.pem"

    def env(self, authority: str = "", directory_url: str = "") -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("MOTCUA_", "DJANGO_"))}
        env.update(
            {
                "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
                "MOTCUA_DATA_DIR": str(self.directory),
                "DATABASE_URL": f"sqlite:///{self.directory / 'db.sqlite3'}",
                "MOTCUA_SECRET_KEY": self.secret,
                "MOTCUA_PKI_DIR": str(self.pki_dir),
                "MOTCUA_SITE_URL": self.local_url,
                "MOTCUA_ALLOWED_HOSTS": "127.0.0.1,localhost",
                "MOTCUA_EXCHANGE_NODE_ID": self.name,
                "MOTCUA_EXCHANGE_NODE_NAME": f"Node {self.name}",
                "MOTCUA_EXCHANGE_NODE_URL": self.public_url,
                "MOTCUA_EXCHANGE_SERVED_ORGANISATIONS": ",".join(self.codes),
                "MOTCUA_EXCHANGE_DIRECTORY_AUTHORITY": authority,
                "MOTCUA_EXCHANGE_DIRECTORY_URL": directory_url,
                "MOTCUA_EXCHANGE_LEASE_SECONDS": "6",
                "MOTCUA_EXCHANGE_TIMEOUT_SECONDS": "5",
                "MOTCUA_EXCHANGE_RETRY_BASE_SECONDS": "1",
                "MOTCUA_EXCHANGE_RETRY_MAX_SECONDS": "2",
                "MOTCUA_EXCHANGE_MAX_ATTEMPTS": "100",
                "MOTCUA_EXCHANGE_DELIVER_EVERY_SECONDS": "1",
                "MOTCUA_EXCHANGE_PULL_EVERY_SECONDS": "1",
                "MOTCUA_OFFICIALS_REQUIRE_2FA": "0",
                "MOTCUA_FAST_PASSWORD_HASHER": "1",
                "MOTCUA_MANIFEST_STATIC": "0",
                "MOTCUA_LOG_LEVEL": "WARNING",
                "MOTCUA_LOGIN_RATE_PER_MINUTE": "1000",
            }
        )
        env.update(self.extra_env)
        return env

    def setup(self, *, template: Path | None = None) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if template is not None and not (self.directory / "db.sqlite3").exists():
            shutil.copy(template, self.directory / "db.sqlite3")
        result = _run_support(["setup", "--codes", ",".join(self.codes)], env=self.env())
        self.fingerprint, self.certificate_pem, self.users = (
            result["fingerprint"],
            result["certificate_pem"],
            result["users"],
        )

    def start(self, *, authority: str = "", directory_url: str = "") -> None:
        self._authority, self._directory_url = authority, directory_url
        env = self.env(authority, directory_url)
        log = (self.directory / "node.log").open("ab")
        motcua = [_python(), "-m", "motcua.config.cli"]
        commands = [
            [*motcua, "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(self.port), "--web-workers", "1"],
            [*motcua, "worker", "--interval", "0.2"],
            [*motcua, "scheduler", "--interval", "0.3"],
        ]
        self.processes = [
            subprocess.Popen(command, env=env, stdout=log, stderr=log, start_new_session=True) for command in commands
        ]
        wait_until(lambda: _answers(self.local_url + "/healthz"), timeout=60, what=f"node {self.name} to serve")

    def restart(self) -> None:
        self.start(authority=self._authority, directory_url=self._directory_url)

    def _signal(self, number: int) -> None:
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, number)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        self.processes = []

    def stop(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL every process of the node at once, as a power cut would."""
        self._signal(signal.SIGKILL)

    def user(self, code: str, role: str) -> str:
        return self.users[code][role]

    def session(self, code: str, role: str) -> ApiSession:
        return ApiSession(self.local_url, self.users[code][role])


def _answers(url: str) -> bool:
    import requests

    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _run_support(arguments: list[str], *, env: dict[str, str]) -> dict[str, Any]:
    completed = subprocess.run(
        [_python(), "-m", "tests.support.exchange_nodes", *arguments],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    for line in completed.stdout.splitlines():
        if line.startswith("RESULT "):
            return dict(json.loads(line[len("RESULT ") :]))
    raise RuntimeError(f"node support command failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-5000:]}")


def migrated_template(directory: Path) -> Path:
    """A migrated SQLite database, copied into each node's directory (migrating once is faster)."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "template.sqlite3"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MOTCUA_", "DJANGO_"))}
    env.update(
        {
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
            "MOTCUA_DATA_DIR": str(directory),
            "DATABASE_URL": f"sqlite:///{target}",
            "MOTCUA_SECRET_KEY": "template",
        }
    )
    subprocess.run(
        [_python(), "-m", "motcua.config.cli", "migrate", "--noinput", "-v", "0"], env=env, check=True, timeout=300
    )
    return target


def hub_publish(hub: Node, members: list[Node]) -> dict[str, Any]:
    records = [
        {
            "member_id": member.name,
            "name": f"Node {member.name}",
            "url": member.public_url,
            "certificate_pem": member.certificate_pem,
            "mode": member.mode,
            "via": member.via,
        }
        for member in members
    ]
    return _run_support(["hub-publish", "--members", json.dumps(records)], env=hub.env())


def prepare_documents(node: Node, code: str, recipient: str, *, count: int, attachment_bytes: int) -> dict[str, Any]:
    return _run_support(
        [
            "prepare",
            "--codes",
            code,
            "--to",
            recipient,
            "--count",
            str(count),
            "--attachment-bytes",
            str(attachment_bytes),
        ],
        env=node.env(),
    )


def wait_until(condition: Callable[[], Any], *, timeout: float = 30, interval: float = 0.2, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(interval)


class ApiSession:
    """An official signed in to a node's API (session and CSRF token, as the browser pages use it)."""

    def __init__(self, base_url: str, username: str) -> None:
        import requests

        self.base_url = base_url
        self.http = requests.Session()
        login = f"{base_url}/accounts/login/"
        self.http.get(login, timeout=10)
        token = self.http.cookies.get("csrftoken", "")
        response = self.http.post(
            login,
            data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": login},
            timeout=10,
            allow_redirects=False,
        )
        assert response.status_code in (302, 303), f"login of {username} failed: {response.status_code}"

    def _headers(self) -> dict[str, str]:
        return {"X-CSRFToken": self.http.cookies.get("csrftoken", ""), "Referer": self.base_url + "/"}

    def call(self, method: str, path: str, *, expect: int | tuple[int, ...] = (200, 201), **options: Any) -> Any:
        response = self.http.request(
            method, f"{self.base_url}/api/v1/exchange{path}", headers=self._headers(), timeout=60, **options
        )
        expected = (expect,) if isinstance(expect, int) else expect
        assert response.status_code in expected, f"{method} {path}: {response.status_code} {response.text[:2000]}"
        return response.json() if response.content and "json" in response.headers.get("Content-Type", "") else response

    def get(self, path: str, **options: Any) -> Any:
        return self.call("GET", path, **options)

    def post(self, path: str, payload: dict[str, Any] | None = None, **options: Any) -> Any:
        return self.call("POST", path, json=payload or {}, **options)


# ------------------------------------------------------------------------------------------------------
# A proxy in front of a node, that can hold the answers back (to kill a sender mid-send)
# ------------------------------------------------------------------------------------------------------


class HoldingProxy:
    """Forwards HTTP requests to a node. While ``hold`` is set, it forwards a POST of a message and keeps the node's
    answer from the caller (``held`` is set once the node answered), until ``release`` or the caller goes away.
    ``captured`` keeps the last message request (headers and body) it forwarded."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.hold = threading.Event()
        self.held = threading.Event()
        self.released = threading.Event()
        self.captured: list[tuple[dict[str, str], bytes]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {
                    name: value for name, value in self.headers.items() if name.lower() not in ("host", "connection")
                }
                if self.command == "POST" and self.path.endswith("/exchange/node/messages"):
                    proxy.captured.append((headers, body))
                connection = HTTPConnection("127.0.0.1", proxy.target_port, timeout=60)
                connection.request(self.command, self.path, body=body or None, headers=headers)
                answer = connection.getresponse()
                data = answer.read()
                if proxy.hold.is_set() and self.command == "POST" and self.path.endswith("/exchange/node/messages"):
                    proxy.held.set()
                    proxy.released.wait(timeout=120)
                try:
                    self.send_response(answer.status)
                    for name, value in answer.getheaders():
                        if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


if __name__ == "__main__":
    main()
