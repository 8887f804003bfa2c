"""One repository URL, declared in pyproject.toml, is the one the README's
install line, the notebooks' Colab badges and their install cells, the docs
and the site's `repo_url` use."""

from __future__ import annotations

import re

import pytest
from project_files import NOTEBOOKS, ROOT, cells, install_cell, pyproject, source_url

BADGE = "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({link})"
PIP_SPEC = re.compile(r"kerashp @ (\S+?)[\"'\s]")
GITHUB_URL = re.compile(r"https?://github\.com/[\w.-]+/kerashp\b[^\s)\"']*")
COLAB_URL = re.compile(r"https://colab\.research\.google\.com/github/([^\s)\"']+)")


def colab_link(name: str) -> str:
    repository = source_url().removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{repository}/blob/main/notebooks/{name}"


def texts() -> dict[str, str]:
    """Every file a user reads a repository URL in."""
    found = {path.name: path.read_text() for path in (ROOT / "README.md", ROOT / "CHANGELOG.md", ROOT / "mkdocs.yml")}
    found.update({str(p.relative_to(ROOT)): p.read_text() for p in (ROOT / "docs").rglob("*.md")})
    found.update({p.name: "\n".join(source for _, source in cells(p)) for p in NOTEBOOKS})
    return found


def test_pyproject_declares_the_repository_once():
    urls = pyproject()["project"]["urls"]
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", urls["Source"])
    assert urls["Homepage"] == urls["Source"]
    assert urls["Issues"] == urls["Source"] + "/issues"


def test_the_readme_installs_from_the_repository():
    readme = (ROOT / "README.md").read_text()
    assert f'pip install "kerashp @ git+{source_url()}"' in readme


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_each_notebook_opens_with_its_badge_and_installs_from_the_repository(path):
    kind, first = cells(path)[0]
    assert kind == "markdown" and first.startswith(BADGE.format(link=colab_link(path.name)))
    assert f'"kerashp @ git+{source_url()}"' in install_cell(path)


def test_the_readme_shows_each_notebook_with_its_badge():
    readme = (ROOT / "README.md").read_text()
    assert not [p.name for p in NOTEBOOKS if BADGE.format(link=colab_link(p.name)) not in readme]


def test_no_other_repository_url_is_written_anywhere():
    source, notebooks = source_url(), {p.name for p in NOTEBOOKS}
    specs, github, colab = [], [], []
    for name, text in texts().items():
        specs += [(name, spec) for spec in PIP_SPEC.findall(text)]
        github += [(name, url) for url in GITHUB_URL.findall(text)]
        colab += [(name, path) for path in COLAB_URL.findall(text)]
    assert specs and github and colab
    assert not [(name, spec) for name, spec in specs if spec != f"git+{source}"]
    assert not [
        (name, url) for name, url in github if url != source and not url.startswith(source + "/")
    ]
    allowed = {
        colab_link(notebook).removeprefix("https://colab.research.google.com/github/")
        for notebook in notebooks
    }
    assert not [(name, path) for name, path in colab if path not in allowed]
