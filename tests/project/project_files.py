"""The project's own files as tests read them: pyproject, notebooks, a copy of the checkout."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

# What a checkout holds that a clone of the repository does not.
_NOT_IN_A_CLONE = (
    ".git",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".coverage",
    ".ipynb_checkpoints",
    "kerashp_runs",
)


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def source_url() -> str:
    """The repository URL, declared once: `[project.urls] Source` in pyproject.toml."""
    return pyproject()["project"]["urls"]["Source"]


def cells(path: Path) -> list[tuple[str, str]]:
    """(cell type, source text) of each cell of a notebook."""
    notebook = json.loads(path.read_text())
    return [(cell["cell_type"], "".join(cell["source"])) for cell in notebook["cells"]]


def install_cell(path: Path) -> str:
    """The notebook's first code cell: the one that installs kerashp in Colab."""
    return next(source for kind, source in cells(path) if kind == "code")


def copy_checkout(dest: Path) -> Path:
    """The checkout's files as a clone of the repository would hold them (no
    virtual environment, build output or caches), copied to `dest`: pip and
    build write their build folders into the source they are given."""
    shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(*_NOT_IN_A_CLONE))
    return dest
