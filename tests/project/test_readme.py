"""Every ```python block of README.md runs as written.

The blocks run in order in one Python process and one namespace, as a reader
pastes them into a notebook (the `on_trial_end` block uses the Quickstart's
`space` and `result`), in an empty folder. A traceback names README.md and
the line. ```bash and ```yaml blocks are not run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"

RUNNER = """
import json, sys, time
namespace = {"__name__": "__main__"}
for line, code in json.loads(sys.argv[1]):
    start = time.monotonic()
    # padded so that a traceback's line numbers are README.md's
    exec(compile("\\n" * line + code, "README.md", "exec"), namespace)
    print(f"README.md line {line}: ran in {time.monotonic() - start:.1f}s", flush=True)
"""


def python_blocks(text: str) -> list[tuple[int, str]]:
    """`(line, code)` of each ```python block: the line before its code (the
    fence, counting from 1) and the code as written."""
    blocks = []
    for match in re.finditer(r"^```python\n(.*?)^```$", text, flags=re.DOTALL | re.MULTILINE):
        blocks.append((text.count("\n", 0, match.start()) + 1, match.group(1)))
    return blocks


def test_the_blocks_are_found_and_every_one_is_python():
    text = README.read_text()
    blocks = python_blocks(text)
    assert len(blocks) == text.count("```python") >= 5
    for line, code in blocks:
        compile(code, f"README.md line {line}", "exec")
    assert python_blocks("a\n```python\nx = 1\n```\n```bash\nls\n```\n") == [(2, "x = 1\n")]


@pytest.mark.e2e
def test_every_python_block_of_the_readme_runs(tmp_path):
    blocks = python_blocks(README.read_text())
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "MPLBACKEND": "Agg"}
    out = subprocess.run([sys.executable, "-c", RUNNER, json.dumps(blocks)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert out.stdout.count(": ran in ") == len(blocks)
