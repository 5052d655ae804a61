"""reports/README.md indexes every committed report, and reports name no machine paths."""

from __future__ import annotations

import re
from pathlib import Path

REPORTS = Path(__file__).resolve().parents[2] / "reports"


def _reports() -> list[Path]:
    return sorted(p for p in REPORTS.rglob("*.md") if p.name != "README.md")


def test_every_report_is_indexed() -> None:
    index = (REPORTS / "README.md").read_text()
    missing = [str(p.relative_to(REPORTS)) for p in _reports()
               if str(p.relative_to(REPORTS).with_suffix("")) not in index]
    assert not missing, f"reports/README.md does not index {missing}"


def test_index_links_point_at_existing_files() -> None:
    index = (REPORTS / "README.md").read_text()
    targets = re.findall(r"\]\(([^)#]+)\)", index)
    assert targets, "the index links no report"
    dangling = [t for t in targets if not (REPORTS / t).exists()]
    assert not dangling, f"reports/README.md links missing files {dangling}"


def test_reports_name_no_machine_paths() -> None:
    pattern = re.compile(r"(^|[\s`'\"(=])/(work|tmp|home|root)/")
    offenders = [str(p.relative_to(REPORTS)) for p in REPORTS.rglob("*")
                 if p.suffix in (".md", ".json") and pattern.search(p.read_text())]
    assert not offenders, f"reports naming machine paths (use NHL_DIR etc.): {offenders}"
