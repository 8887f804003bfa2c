"""The package stays readable: modules are small, and the architecture page
names every package folder and module a newcomer will find."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "kerashp"
ARCHITECTURE = ROOT / "docs" / "architecture.md"


def test_no_module_is_over_400_lines():
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")}
    assert sizes and not {path: n for path, n in sizes.items() if n > 400}


def test_the_architecture_page_names_every_package_and_module_and_nothing_else():
    page = ARCHITECTURE.read_text()
    named = set(re.findall(r"`(kerashp/[\w/]*(?:\.py|/))`", page))
    modules = {str(p.relative_to(ROOT)) for p in PACKAGE.rglob("*.py")}
    folders = {str(p.parent.relative_to(ROOT)) + "/" for p in PACKAGE.rglob("__init__.py")} - {"kerashp/"}
    assert sorted((modules | folders) - named) == []  # in the package, not on the page
    assert sorted(named - (modules | folders)) == []  # on the page, not in the package


def test_tests_mirror_the_package():
    folders = {p.name for p in (ROOT / "tests").iterdir() if p.is_dir() and p.name not in ("data", "__pycache__")}
    packages = {p.parent.name for p in PACKAGE.rglob("__init__.py")} - {"kerashp"}
    assert sorted(folders - packages - {"project", "reliability"}) == []
    assert sorted(packages - folders) == []


def test_no_control_flow_reads_an_error_message():
    pattern = re.compile(r"\bin\s+str\(\s*(err|error|exc|e)\s*\)|str\(\s*(err|error|exc|e)\s*\)\.(lower|startswith)")
    found = [f"{p.relative_to(ROOT)}:{n}" for p in PACKAGE.rglob("*.py")
             for n, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert found == []
