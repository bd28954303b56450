"""``motcua verify FILE [FILE...]``: JSON reports on stdout; exit 0 only when every signature is valid, 1, 2."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.signatures.signed_documents import signed_pdf, signed_xml, tampered

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.TRUST_ANCHORS = []
    settings.TRUST_DEV_PKI = True


def _run(*paths: str) -> tuple[list[dict], int]:
    """The command's JSON output and the exit code ``run_from_argv`` would give (CommandError.returncode)."""
    output = StringIO()
    try:
        call_command("verify", *paths, stdout=output)
    except CommandError as error:
        return json.loads(output.getvalue()), error.returncode
    return json.loads(output.getvalue()), 0


def _write(directory: Path, name: str, data: bytes) -> str:
    path = directory / name
    path.write_bytes(data)
    return str(path)


def test_every_signature_valid_exits_0(dev_pki, agency_seal, official_certificate, tmp_path):
    pdf = _write(tmp_path, "giay-phep.pdf", signed_pdf(agency_seal, dev_pki))
    xml = _write(tmp_path, "ket-qua.xml", signed_xml(official_certificate, dev_pki))

    results, code = _run(pdf, xml)

    assert code == 0
    assert [result["path"] for result in results] == [pdf, xml]
    assert [(result["kind"], result["status"]) for result in results] == [("pdf", "valid"), ("xml", "valid")]
    assert results[0]["signatures"][0]["signer_name"] == "Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh"
    assert results[1]["filename"] == "ket-qua.xml"


def test_one_bad_file_among_good_ones_exits_1(dev_pki, agency_seal, tmp_path):
    signed = signed_pdf(agency_seal, dev_pki)
    good = _write(tmp_path, "good.pdf", signed)
    bad = _write(tmp_path, "bad.pdf", tampered(signed))

    results, code = _run(good, bad)

    assert code == 1
    assert [result["status"] for result in results] == ["valid", "invalid"]
    assert "bad_signature" in [reason["code"] for reason in results[1]["signatures"][0]["reasons"]]


def test_a_file_that_is_not_a_document_exits_1(dev_pki, tmp_path):
    results, code = _run(_write(tmp_path, "notes.txt", b"hello"))

    assert code == 1
    assert results[0]["errors"][0]["code"] == "unsupported_format"


def test_an_unreadable_path_exits_2_and_the_others_are_still_reported(dev_pki, agency_seal, tmp_path):
    good = _write(tmp_path, "good.pdf", signed_pdf(agency_seal, dev_pki))
    missing = str(tmp_path / "missing.pdf")

    results, code = _run(good, missing, str(tmp_path))

    assert code == 2
    assert results[0]["status"] == "valid"
    assert results[1] == {"path": missing, "error": "No such file or directory"}
    assert results[2]["path"] == str(tmp_path) and results[2]["error"]


@pytest.mark.skipif(shutil.which("motcua", path=str(Path(sys.executable).parent)) is None, reason="no console script")
def test_the_real_command_exits_with_these_codes(tmp_path):
    """The installed ``motcua`` script, in its own process, without the dev PKI (so no database is needed)."""
    environment = {
        **os.environ,
        "MOTCUA_DATA_DIR": str(tmp_path / "data"),
        "MOTCUA_TRUST_DEV_PKI": "0",
        "MOTCUA_TRUST_ANCHORS": "",
    }
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    environment.pop("DATABASE_URL", None)
    script = str(Path(sys.executable).parent / "motcua")
    garbage = _write(tmp_path, "garbage.pdf", b"%PDF-1.7 junk")

    not_valid = subprocess.run([script, "verify", garbage], env=environment, capture_output=True, timeout=120)
    unreadable = subprocess.run(
        [script, "verify", str(tmp_path / "missing.xml")], env=environment, capture_output=True, timeout=120
    )

    assert not_valid.returncode == 1, not_valid.stderr
    assert json.loads(not_valid.stdout)[0]["status"] == "invalid"
    assert unreadable.returncode == 2, unreadable.stderr
    assert json.loads(unreadable.stdout)[0]["error"]
