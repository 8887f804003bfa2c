"""The package stays readable: modules are small, and the README's layout
section names every package folder a newcomer will find."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "kerashp"


def test_no_module_is_over_400_lines():
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")}
    assert sizes and not {path: n for path, n in sizes.items() if n > 400}


def test_the_readme_layout_names_every_package_folder_and_module():
    readme = (ROOT / "README.md").read_text()
    layout = readme[readme.index("## Layout"):]
    folders = sorted(str(p.parent.relative_to(ROOT)) + "/" for p in PACKAGE.rglob("__init__.py"))
    missing = [folder for folder in folders if folder not in layout and folder != "kerashp/"]
    assert not missing
    top = [p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"]
    assert not [name for name in top if name not in layout]
