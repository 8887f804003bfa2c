"""Every ```python block of README.md and of the documentation site runs as written.

The README's blocks run in order in one Python process and one namespace, as
a reader pastes them into a notebook. The site's pages run the same way, in
the order of `mkdocs.yml`'s navigation, one namespace for the whole site (the
guide's pages use the quickstart's `space` and `result`), in an empty
folder. A traceback names the file and the line. ```bash and ```yaml blocks
are not run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"

RUNNER = """
import json, sys, time
namespace = {"__name__": "__main__"}
for path, line, code in json.loads(sys.argv[1]):
    start = time.monotonic()
    # padded so that a traceback's line numbers are the file's
    exec(compile("\\n" * line + code, path, "exec"), namespace)
    print(f"{path} line {line}: ran in {time.monotonic() - start:.1f}s", flush=True)
"""


def python_blocks(text: str) -> list[tuple[int, str]]:
    """`(line, code)` of each ```python block: the line before its code (the
    fence, counting from 1) and the code as written."""
    blocks = []
    for match in re.finditer(r"^```python\n(.*?)^```$", text, flags=re.DOTALL | re.MULTILINE):
        blocks.append((text.count("\n", 0, match.start()) + 1, match.group(1)))
    return blocks


def site_pages() -> list[Path]:
    """The Markdown pages of the site, in the order of its navigation."""
    def walk(entry):
        if isinstance(entry, str):
            yield entry
        elif isinstance(entry, dict):
            for value in entry.values():
                yield from walk(value)
        elif isinstance(entry, list):
            for item in entry:
                yield from walk(item)

    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text())["nav"]
    return [ROOT / "docs" / page for page in walk(nav) if page.endswith(".md")]


def blocks_of(paths: list[Path]) -> list[tuple[str, int, str]]:
    return [(str(p.relative_to(ROOT)), line, code) for p in paths for line, code in python_blocks(p.read_text())]


def _run(blocks: list[tuple[str, int, str]], folder: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "MPLBACKEND": "Agg"}
    out = subprocess.run([sys.executable, "-c", RUNNER, json.dumps(blocks)], cwd=folder, env=env,
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert out.stdout.count(": ran in ") == len(blocks)


def test_the_blocks_are_found_and_every_one_is_python():
    text = README.read_text()
    assert len(python_blocks(text)) == text.count("```python") >= 1
    pages = site_pages()
    assert ROOT / "docs" / "quickstart.md" in pages and all(p.exists() for p in pages)
    on_site = blocks_of(pages)
    assert len(on_site) == sum(p.read_text().count("```python") for p in pages) >= 5
    for path, line, code in [*blocks_of([README]), *on_site]:
        compile(code, f"{path} line {line}", "exec")
    assert python_blocks("a\n```python\nx = 1\n```\n```bash\nls\n```\n") == [(2, "x = 1\n")]


def test_every_page_with_python_is_in_the_navigation():
    pages = set(site_pages())
    with_code = {p for p in (ROOT / "docs").rglob("*.md") if "```python" in p.read_text()}
    assert sorted(str(p) for p in with_code - pages) == []


@pytest.mark.e2e
def test_every_python_block_of_the_readme_runs(tmp_path):
    _run(blocks_of([README]), tmp_path)


@pytest.mark.e2e
def test_every_python_block_of_the_site_runs_in_reading_order(tmp_path):
    _run(blocks_of(site_pages()), tmp_path)
