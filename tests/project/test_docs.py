"""The documentation site's API reference has an entry for every public name
(`kerashp.__all__`), and the site builds with `--strict` (`make docs`, run
by CI; the full tier builds it too)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import kerashp as khp

ROOT = Path(__file__).resolve().parents[2]


def test_every_public_name_has_a_reference_entry():
    text = "\n".join(p.read_text() for p in (ROOT / "docs" / "reference").glob("*.md"))
    identifiers = re.findall(r"^::: ([\w.]+)", text, flags=re.MULTILINE)
    members = {m for block in re.findall(r"members: \[([^\]]*)\]", text) for m in re.findall(r'"(\w+)"', block)}
    documented = {i.rsplit(".", 1)[-1] for i in identifiers} | members
    exceptions = set(khp.exceptions.__all__)
    assert sorted(set(khp.__all__) - documented - exceptions) == []
    assert "kerashp.exceptions" in identifiers  # every error, by the module's own list


@pytest.mark.e2e
def test_the_site_builds_strictly(tmp_path):
    out = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert (tmp_path / "site" / "reference" / "kerashp" / "index.html").exists()
