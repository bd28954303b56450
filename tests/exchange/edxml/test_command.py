"""``motcua edxml check FILE``: the JSON integrators read; exit codes 0 accepted, 1 refused, 2 unreadable."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from motcua.exchange.edxml import package_build, package_sign
from tests.exchange.edxml.conftest import GOVERNMENT_OFFICE, QUANG_NINH, fixture_bytes, fixture_path, package_make

pytestmark = pytest.mark.django_db


def _check(path, *options: str) -> tuple[int, dict]:
    out = io.StringIO()
    try:
        call_command("edxml", "check", str(path), *options, stdout=out)
        code = 0
    except CommandError as error:
        code = error.returncode
    return code, json.loads(out.getvalue())


def test_an_acceptable_package_is_described_in_full():
    code, result = _check(fixture_path("valid/full.edxml"))
    assert code == 0 and result["accepted"] is True and result["kind"] == "package"
    assert result["header"]["from_organ"]["organ_id"] == GOVERNMENT_OFFICE
    assert [hop["organ_id"] for hop in result["trace"]] == [GOVERNMENT_OFFICE, QUANG_NINH]
    assert result["business"]["business_doc_type"] == 3
    assert [(item["name"], item["content_type"], item["size"]) for item in result["attachments"]] == [
        ("7816-VPCP-TTĐT.pdf", "application/pdf", 82),
        ("Phụ lục I.txt", "text/plain", 32),
    ]
    assert all(len(item["sha256"]) == 64 for item in result["attachments"])
    assert result["signature"] is None and result["errors"] == []
    assert [warning["code"] for warning in result["warnings"]] == ["unsigned"]


def test_warnings_are_listed_and_strict_turns_them_into_a_refusal():
    code, result = _check(fixture_path("imperfect/lowercase_code.edxml"))
    assert code == 0
    assert {(w["path"], w["code"]) for w in result["warnings"]} == {
        ("MessageHeader/To[1]/OrganId", "organisation_code_case"),
        ("Signature", "unsigned"),
    }
    code, result = _check(fixture_path("imperfect/lowercase_code.edxml"), "--strict")
    assert code == 1 and result["accepted"] is False
    assert [(e["path"], e["code"]) for e in result["errors"]] == [
        ("MessageHeader/To[1]/OrganId", "organisation_code_case")
    ]


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("refused/missing_from_organ_id.edxml", ("MessageHeader/From/OrganId", "required")),
        ("refused/billion_laughs.edxml", ("", "dtd_forbidden")),
        ("refused/garbage.bin", ("", "malformed")),
        ("refused/status_bad_code.edxml", ("MessageHeader/StatusCode", "invalid_status_code")),
    ],
)
def test_a_refused_package_exits_1_with_its_errors(name, error):
    code, result = _check(fixture_path(name))
    assert code == 1 and result["accepted"] is False
    assert (result["errors"][0]["path"], result["errors"][0]["code"]) == error
    assert result["errors"][0]["message"]


def test_an_unreadable_file_exits_2(tmp_path):
    code, result = _check(tmp_path / "missing.edxml")
    assert code == 2 and result["unreadable"] is True and result["errors"][0]["code"] == "unreadable"
    code, result = _check(tmp_path)
    assert code == 2


def test_a_status_package_is_described():
    code, result = _check(fixture_path("valid/status_04.edxml"))
    assert code == 0 and result["kind"] == "status" and result["status"]["status_code"] == "04"


def test_recipients_are_checked_against_the_directory_on_request():
    from tests.factories import OrganisationFactory

    OrganisationFactory(code=GOVERNMENT_OFFICE)
    code, _result = _check(fixture_path("valid/minimal.edxml"), "--check-recipients")
    assert code == 0
    code, result = _check(fixture_path("valid/full.edxml"), "--check-recipients")
    assert code == 1
    assert {(e["path"], e["code"]) for e in result["errors"]} == {
        ("MessageHeader/To[1]/OrganId", "unknown_recipient"),
        ("MessageHeader/To[2]/OrganId", "unknown_recipient"),
    }


def test_the_seal_is_reported(quang_ninh_signer, tmp_path):
    signer, clerk = quang_ninh_signer
    sealed = tmp_path / "sealed.edxml"
    sealed.write_bytes(package_sign(package_build(package_make()), signer=signer, actor=clerk))
    code, result = _check(sealed, "--strict")
    assert code == 0 and result["signature"]["accepted"] is True
    assert result["signature"]["signer_organisation_code"] == QUANG_NINH and result["warnings"] == []

    tampered = tmp_path / "tampered.edxml"
    tampered.write_bytes(sealed.read_bytes().replace("quý I".encode(), "quý II".encode()))
    code, result = _check(tampered)
    assert code == 1 and result["signature"]["status"] == "invalid"
    assert result["errors"] == [
        {"path": "Signature", "code": "modified_after_signing", "message": result["errors"][0]["message"]}
    ]
    unknown = tmp_path / "self-signed.edxml"
    unknown.write_bytes(fixture_bytes("signed/self_signed.edxml"))
    code, result = _check(unknown)
    assert code == 1 and result["errors"][0]["code"] == "unknown_issuer"


def test_the_motcua_console_command_runs_the_check(tmp_path):
    """Through the installed ``motcua`` script, system checks included, as an integrator runs it."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    motcua = Path(sys.executable).parent / "motcua"
    (tmp_path / "static").mkdir()
    environment = {**os.environ, "MOTCUA_DATA_DIR": str(tmp_path), "MOTCUA_MANIFEST_STATIC": "0"}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    accepted = subprocess.run(
        [str(motcua), "edxml", "check", str(fixture_path("valid/minimal.edxml"))],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert accepted.returncode == 0, accepted.stderr
    assert json.loads(accepted.stdout)["header"]["code"]["code_number"] == "125"
    refused = subprocess.run(
        [str(motcua), "edxml", "check", "--strict", str(fixture_path("imperfect/whitespace.edxml"))],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert refused.returncode == 1 and json.loads(refused.stdout)["accepted"] is False
