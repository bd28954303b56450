"""Documentation that must follow the code: docs/deploy.md lists exactly the environment variables read."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV_READ = re.compile(
    r"""\b(?:env|env_bool|env_int|env_list|os\.environ\.get|os\.getenv)\(\s*["']([A-Z][A-Z0-9_]+)["']"""
)


def _variables_read_by_the_code() -> set[str]:
    names: set[str] = set()
    for source in (ROOT / "src" / "motcua").rglob("*.py"):
        names.update(ENV_READ.findall(source.read_text(encoding="utf-8")))
    return names


def _variables_in_the_settings_table() -> set[str]:
    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    table = text.split("## Settings", 1)[1]
    names: set[str] = set()
    for line in table.splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1]))
    return names


def test_deploy_guide_lists_every_setting_and_only_real_ones():
    read, documented = _variables_read_by_the_code(), _variables_in_the_settings_table()
    assert {"MOTCUA_SECRET_KEY", "DATABASE_URL", "MOTCUA_API_PAGE_SIZE"} <= read  # the scan finds them
    assert read - documented == set(), "read by the code but missing from docs/deploy.md"
    assert documented - read == set(), "in docs/deploy.md but read nowhere"
