import csv
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from motcua.agencies.models import Organisation, Unit
from motcua.agencies.rules import SYSTEM_ACTOR
from motcua.agencies.services import ImportRejected, OrganisationRecord, agencies_load_demo, organisations_import
from motcua.agencies.transfer import organisation_export_records, records_read, records_write
from motcua.core.audit import audit_chain_verify
from motcua.core.exceptions import PermissionDenied, ValidationFailed
from motcua.core.models import AuditEvent

pytestmark = pytest.mark.django_db

COLUMNS = "code,name,short_name,abbreviation,kind,parent_code,administrative_unit_code,address,email,phone,website"


def _directory_wipe():
    Unit.objects.filter(parent__isnull=False).delete()
    Unit.objects.all().delete()
    for organisation in Organisation.objects.order_by("-depth"):
        organisation.delete()


def _write_csv(tmp_path, rows, name="organisations.csv"):
    path = tmp_path / name
    path.write_text("\n".join([COLUMNS, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("extension", ["json", "csv"])
def test_export_then_import_reproduces_the_directory(tmp_path, extension):
    agencies_load_demo()
    path = tmp_path / f"directory.{extension}"
    call_command("agencies", "export", str(path))
    exported = records_read(path)
    assert len(exported) == Organisation.objects.count() == 53

    _directory_wipe()
    assert Organisation.objects.count() == 0
    call_command("agencies", "import", str(path))
    with_units = extension == "json"
    second = tmp_path / f"again.{extension}"
    records_write(second, organisation_export_records(with_units=with_units))
    assert second.read_text(encoding="utf-8-sig") == path.read_text(encoding="utf-8-sig")
    # Paths were rebuilt from parent codes.
    tax = Organisation.objects.get(code="000.00.18.G12")
    assert tax.parent.code == "000.00.00.G12" and tax.depth == 2
    assert Unit.objects.filter(organisation__code="000.00.00.G22", abbreviation="TTĐT").exists() == with_units


def test_reimport_is_idempotent(tmp_path):
    agencies_load_demo()
    path = tmp_path / "directory.json"
    records_write(path, organisation_export_records())
    events = AuditEvent.objects.count()
    report = organisations_import(actor=SYSTEM_ACTOR, records=records_read(path))
    assert (report.created, report.updated, report.unchanged, report.units_created) == (0, 0, 53, 0)
    assert AuditEvent.objects.count() == events


def test_parents_may_come_after_children(tmp_path):
    path = _write_csv(
        tmp_path,
        [
            "000.01.18.G12,Chi cục Thuế khu vực I,,,other,000.00.18.G12,,,,,",
            "000.00.18.G12,Cục Thuế,,CT,central_department,000.00.00.G12,,,,,",
            "000.00.00.G12,Bộ Tài chính,,BTC,ministry,government,,,,,",
            ",Chính phủ,,,government,,,,,,",
        ],
    )
    report = organisations_import(actor=SYSTEM_ACTOR, records=records_read(path))
    assert report.created == 4
    branch = Organisation.objects.get(code="000.01.18.G12")
    assert branch.depth == 3
    assert [a.name for a in branch.parent.parent.parent.children.all()] == ["Bộ Tài chính"]


def test_a_bad_file_writes_nothing_and_reports_every_bad_row(tmp_path):
    path = _write_csv(
        tmp_path,
        [
            ",Chính phủ,,,government,,,,,,",  # line 2: fine
            "000.00.00.G12,Bộ Tài chính,,BTC,ministry,government,,,,,",  # 3: fine
            "G15,Bộ Tư pháp,,BTP,ministry,government,,,,,",  # 4: bad code
            "000.00.00.G16,Bộ Văn hóa,,,ministry,000.00.00.G99,,,,,",  # 5: unknown parent
            "000.00.00.G17,Bộ Xây dựng,,,ministry,government,,,not-an-email,,",  # 6: bad e-mail
            "000.00.00.G12,Bộ Tài chính lần hai,,,ministry,government,,,,,",  # 7: duplicate code
            "000.00.19.G12,Cục Hải quan,,,castle,000.00.00.G12,,,,,",  # 8: bad kind
        ],
    )
    with pytest.raises(ImportRejected) as raised:
        organisations_import(actor=SYSTEM_ACTOR, records=records_read(path))
    problems = {(problem.row, problem.field) for problem in raised.value.report.problems}
    assert problems == {(4, "code"), (5, "parent_code"), (6, "email"), (7, "code"), (8, "kind")}
    assert raised.value.details["rows"][0]["row"] == 4
    assert Organisation.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_json_problems_name_the_record_and_the_unit(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps(
            [
                {"code": "000.00.00.G22", "name": "Văn phòng Chính phủ", "kind": "government_office"},
                {
                    "code": "000.00.00.G12",
                    "name": "Bộ Tài chính",
                    "kind": "ministry",
                    "colour": "blue",
                    "units": [
                        {"code": "VP", "name": "Văn phòng"},
                        {"code": "TH", "name": "Phòng Tổng hợp", "parent_code": "XX"},
                        {"code": "VP", "name": "Văn phòng hai"},
                    ],
                },
            ]
        ),
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as raised:
        organisations_import(actor=SYSTEM_ACTOR, records=records_read(path))
    problems = {(problem.row, problem.field) for problem in raised.value.report.problems}
    assert problems == {(2, "colour"), (2, "units[2].parent_code"), (2, "units[3].code")}
    assert Organisation.objects.count() == 0


def test_loops_in_a_file_are_reported(tmp_path):
    path = _write_csv(
        tmp_path,
        [
            "000.00.00.T10,A,,,other,000.00.00.T11,,,,,",
            "000.00.00.T11,B,,,other,000.00.00.T10,,,,,",
        ],
    )
    with pytest.raises(ImportRejected) as raised:
        organisations_import(actor=SYSTEM_ACTOR, records=records_read(path))
    assert any("loop" in problem.message for problem in raised.value.report.problems)
    assert Organisation.objects.count() == 0


def test_import_moves_and_updates_existing_organisations(tmp_path):
    agencies_load_demo()
    path = _write_csv(tmp_path, ["000.00.18.G12,Cục Thuế,,CT,central_department,000.00.00.G15,,,thue@example.vn,,"])
    report = organisations_import(actor=SYSTEM_ACTOR, records=records_read(path))
    assert (report.created, report.updated) == (0, 1)
    tax = Organisation.objects.get(code="000.00.18.G12")
    assert tax.parent.code == "000.00.00.G15" and tax.email == "thue@example.vn"


def test_import_needs_permission(citizen, platform_admin):
    records = [OrganisationRecord(row=1, data={"code": "000.00.00.S10", "name": "A", "kind": "other"})]
    with pytest.raises(PermissionDenied):
        organisations_import(actor=citizen, records=records)
    assert Organisation.objects.count() == Organisation.objects.filter(positions__user=platform_admin).count()
    organisations_import(actor=platform_admin, records=records)
    assert AuditEvent.objects.get(action="agencies.organisation_create").actor_id == platform_admin.pk


def test_unsupported_or_broken_files(tmp_path):
    with pytest.raises(ValidationFailed):
        records_read(tmp_path / "directory.xlsx")
    broken = tmp_path / "broken.json"
    broken.write_text('[{"code": ', encoding="utf-8")
    with pytest.raises(ValidationFailed) as raised:
        records_read(broken)
    assert "line 1" in str(raised.value.message)


def test_command_reports_bad_rows_and_acts_as_the_named_user(tmp_path, platform_admin, citizen, capsys):
    bad = _write_csv(tmp_path, ["G15,Bộ Tư pháp,,BTP,ministry,,,,,,"])
    with pytest.raises(CommandError):
        call_command("agencies", "import", str(bad))
    assert "row 2: code:" in capsys.readouterr().err
    assert Organisation.objects.filter(name="Bộ Tư pháp").count() == 0

    good = _write_csv(tmp_path, ["000.00.00.G15,Bộ Tư pháp,,BTP,ministry,,,,,,"], name="good.csv")
    with pytest.raises(CommandError):
        call_command("agencies", "import", str(good), "--as", citizen.username)
    call_command("agencies", "import", str(good), "--as", platform_admin.username)
    assert AuditEvent.objects.get(action="agencies.organisation_create").actor_label == platform_admin.username
    assert audit_chain_verify().intact


def test_csv_export_has_the_documented_columns(tmp_path):
    agencies_load_demo()
    path = tmp_path / "directory.csv"
    call_command("agencies", "export", str(path))
    with path.open(encoding="utf-8-sig", newline="") as csv_file:
        rows = list(csv.DictReader(csv_file))
    assert list(rows[0]) == COLUMNS.split(",")
    government = next(row for row in rows if row["kind"] == "government")
    assert government["code"] == "" and government["parent_code"] == ""
    assert next(row for row in rows if row["code"] == "000.00.00.G22")["parent_code"] == "government"
