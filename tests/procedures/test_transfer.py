import json

import pytest
import yaml
from django.core.management import CommandError, call_command

from motcua.core.exceptions import PermissionDenied, ValidationFailed
from motcua.core.permissions import SYSTEM
from motcua.procedures.models import Procedure
from motcua.procedures.services import ImportRejected, procedures_import
from motcua.procedures.transfer import catalogue_export_definitions, definitions_read, definitions_write
from tests.procedures.conftest import DEFINITION, counts, definition

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("extension", ["json", "yaml", "yml"])
def test_export_then_import_round_trip(tmp_path, demo_catalogue, extension):
    path = tmp_path / f"catalogue.{extension}"
    call_command("procedures", "export", str(path))
    text = path.read_text(encoding="utf-8")
    assert "Đăng ký khai sinh" in text  # Vietnamese written as is, not escaped
    content = json.loads(text) if extension == "json" else yaml.safe_load(text)
    assert content["format"] == "motcua.procedures/1"
    exported = content["procedures"]
    assert [item["code"] for item in exported] == sorted(Procedure.objects.values_list("code", flat=True))
    # Re-importing what was exported changes nothing.
    before = counts()
    report = procedures_import(actor=SYSTEM, definitions=definitions_read(path))
    assert (report.created, report.published, report.unchanged) == (0, 0, len(exported))
    assert counts() == before
    # The catalogue exported again is the same.
    assert catalogue_export_definitions() == exported


def test_import_into_an_empty_catalogue_publishes_version_1(tmp_path, demo_agencies):
    path = tmp_path / "one.yaml"
    definitions_write(path, [definition()])
    call_command("procedures", "import", str(path))
    procedure = Procedure.objects.get(code=DEFINITION["code"])
    assert procedure.current_version.number == 1
    assert catalogue_export_definitions()[0]["fees"][0]["amount"] == 1_250_000


def test_a_changed_definition_becomes_a_new_version(tmp_path, demo_agencies):
    procedures_import(actor=SYSTEM, definitions=[definition()])
    changed = definition(name="Tên đã đổi")
    report = procedures_import(actor=SYSTEM, definitions=[changed])
    assert (report.created, report.published, report.unchanged) == (0, 1, 0)
    procedure = Procedure.objects.get(code=DEFINITION["code"])
    assert procedure.current_version.number == 2 and procedure.name == "Tên đã đổi"
    assert procedure.versions.get(number=1).content["name"] == DEFINITION["name"]


def test_a_file_with_bad_entries_imports_nothing_and_reports_every_one(tmp_path, demo_agencies):
    bad_time = definition(code="9.000010", processing_hours=99)
    unknown_agency = definition(code="9.000011", implementing_organisation_code="000.00.77.H49")
    not_an_object = "khai sinh"
    good = definition(code="9.000012")
    duplicate = definition(code="9.000012")
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps({"procedures": [good, bad_time, unknown_agency, not_an_object, duplicate]}, ensure_ascii=False),
        encoding="utf-8",
    )
    before = counts()
    with pytest.raises(ImportRejected) as caught:
        procedures_import(actor=SYSTEM, definitions=definitions_read(path))
    assert counts() == before
    problems = {(problem.entry, problem.field) for problem in caught.value.report.problems}
    assert problems == {
        (2, "workflow"),
        (3, "implementing_organisation_code"),
        (4, "__all__"),
        (5, "code"),
    }
    with pytest.raises(CommandError):
        call_command("procedures", "import", str(path))
    assert counts() == before


def test_unreadable_files_and_formats_are_refused(tmp_path, demo_agencies):
    for name, text in (("x.yaml", "procedures: [a: b: c"), ("x.json", "{"), ("x.yaml", "just text"), ("x.csv", "a")):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ValidationFailed):
            definitions_read(path)


def test_yaml_is_read_safely(tmp_path, demo_agencies):
    path = tmp_path / "evil.yaml"
    path.write_text("procedures: !!python/object/apply:os.system ['echo pwned']\n", encoding="utf-8")
    with pytest.raises(ValidationFailed):
        definitions_read(path)


def test_import_needs_a_platform_administrator(demo_agencies, province_admin, platform_admin):
    before = counts()
    with pytest.raises(PermissionDenied):
        procedures_import(actor=province_admin, definitions=[definition()])
    assert counts() == before
    assert procedures_import(actor=platform_admin, definitions=[definition()]).created == 1
