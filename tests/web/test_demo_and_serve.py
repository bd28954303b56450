"""The embedded run: `motcua demo` and `motcua serve` (real processes, real HTTP)."""

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests
from django.core.management import call_command

from motcua.accounts.models import User
from motcua.agencies.models import Role
from motcua.agencies.selectors import position_active_list
from motcua.core.audit import audit_chain_verify


@pytest.mark.django_db
def test_demo_loads_agencies_and_accounts_once(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    call_command("demo", "--once")
    logins = (tmp_path / "demo-logins.txt").read_text()
    password = logins.rsplit("password for all: ", 1)[1].strip()
    users = User.objects.count()
    assert users == 15  # 13 officials, a citizen, a business

    clerk = User.objects.get(username="motcua.qn")
    assert clerk.kind == User.Kind.OFFICIAL and clerk.check_password(password)
    (position,) = position_active_list(user=clerk)
    assert position.role == Role.ONE_STOP_CLERK and position.organisation.kind == "service_centre"
    assert User.objects.get(username="quantri").is_superuser
    citizen = User.objects.get(username="congdan")
    assert citizen.personal_id == "022090000123" and "Quảng Ninh" in citizen.address  # pre-fills forms
    assert User.objects.get(username="doanhnghiep").kind == User.Kind.BUSINESS
    # Treasury accounts, so that fees can be paid online; and a full-process procedure with a fee to pay.
    from motcua.payments.models import CollectionAccount
    from motcua.procedures.selectors import procedure_version_get

    assert CollectionAccount.objects.filter(organisation__code="000.00.01.H49", is_active=True).exists()
    content = procedure_version_get(procedure_code="2.000488").content
    assert content["online_level"] == "full" and content["fees"][0]["amount"] == 200000
    assert audit_chain_verify().intact

    call_command("demo", "--once")
    assert User.objects.count() == users
    assert (tmp_path / "demo-logins.txt").read_text() == logins


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _motcua(*args, env):
    return subprocess.run(
        [sys.executable, "-m", "motcua.config.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_serve_runs_the_web_server_and_a_worker(tmp_path):
    port = _free_port()
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL"))},
        "MOTCUA_DATA_DIR": str(tmp_path),
        "MOTCUA_MANIFEST_STATIC": "0",
        "DJANGO_SETTINGS_MODULE": "motcua.config.settings",
        "MOTCUA_PAYMENT_SANDBOX_URL": f"http://127.0.0.1:{_free_port()}",
    }
    assert _motcua("migrate", "--noinput", env=env).returncode == 0
    server = subprocess.Popen(
        [sys.executable, "-m", "motcua.config.cli", "serve", "--port", str(port), "--web-workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                ready = requests.get(f"{base}/readyz", timeout=2)
                break
            except (requests.ConnectionError, requests.Timeout):
                # Not listening yet, or listening while the worker process still imports Django (slow on a busy
                # machine, e.g. under pytest -n): both mean "try again", until the deadline.
                assert time.monotonic() < deadline, "server did not start"
                assert server.poll() is None, server.stdout.read()
                time.sleep(0.3)
        assert ready.status_code == 200 and ready.json()["status"] == "ok"
        # The payment sandbox (the sandbox gateway is configured by default) answers on its own port.
        deadline = time.monotonic() + 30
        while True:
            try:
                assert requests.get(env["MOTCUA_PAYMENT_SANDBOX_URL"] + "/healthz", timeout=2).json() == {"ok": True}
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the payment sandbox did not start"
                time.sleep(0.3)
        home = requests.get(base + "/", timeout=5)
        assert home.status_code == 200 and '<html lang="vi"' in home.text
        # The worker started by `serve` picks up a task queued by another process.
        queued = _motcua(
            "shell",
            "-c",
            "from motcua.core.tasks import audit_chain_verify_task; print(audit_chain_verify_task.enqueue().id)",
            env=env,
        )
        task_id = queued.stdout.strip().splitlines()[-1]
        check = (
            f"from django_tasks_db.models import DBTaskResult; print(DBTaskResult.objects.get(id='{task_id}').status)"
        )
        deadline = time.monotonic() + 30
        while (status := _motcua("shell", "-c", check, env=env).stdout.strip().splitlines()[-1]) != "SUCCESSFUL":
            assert time.monotonic() < deadline, f"task still {status}"
            time.sleep(0.5)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert server.returncode == 0
