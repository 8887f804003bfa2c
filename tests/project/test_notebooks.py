"""The notebooks run end to end (small settings) in a real Jupyter kernel, on
the checkout under test, and show what they promise."""

from __future__ import annotations

import ast
import json
import os
import re
from pathlib import Path

import pytest
from project_files import NOTEBOOKS, ROOT, install_cell


def printed(text: str, label: str):
    """The value printed after `label` on its line, as a Python literal."""
    line = next(line for line in text.splitlines() if line.startswith(label))
    return ast.literal_eval(line.removeprefix(label).strip())


def check_quickstart(text: str, runs: Path) -> None:
    assert printed(text, "best val_accuracy:") > 0.5
    assert (runs / "notebook" / "run.json").exists()
    rates = ast.literal_eval(next(line for line in text.splitlines() if line.startswith("[")))
    assert len(rates) == 2 and rates[0] != rates[1]  # the schedule moved the learning rate


def check_callbacks(text: str, runs: Path) -> None:
    peak = float(re.search(r"LRFinder tried 60 rates and suggests (\S+)", text).group(1))
    assert 1e-5 < peak < 1.0
    peak *= 1 + 1e-5  # printed to 6 digits
    # Warmup ends within the first epoch, then the rate only decays.
    warmup = printed(text, "WarmupCosine learning rate per epoch:")
    assert (
        max(warmup) <= peak
        and warmup == sorted(warmup, reverse=True)
        and warmup[-1] < warmup[0] / 2
    )
    one_cycle = printed(text, "OneCycle learning rate per epoch:")
    assert max(one_cycle) <= peak and one_cycle[-1] < peak / 1000
    momentum = printed(text, "OneCycle momentum per epoch:")
    assert momentum[0] < 0.95 and momentum[-1] == 0.95  # Adam's beta_1 went down, then back
    # In tune, the schedule peaked at the trial's own learning rate.
    in_tune = printed(text, "its learning rate per epoch:")
    assert (
        max(in_tune) <= printed(text, "best trial's learning_rate:") + 1e-6
        and in_tune[-1] < in_tune[0]
    )
    assert printed(text, "best val_accuracy:") > 0.5 and (runs / "callbacks" / "run.json").exists()


def check_sklearn(text: str, runs: Path) -> None:
    assert "GridSearchCV tried 6 combinations" in text  # adam: 2 rates; sgd: 2 rates x 2 momenta
    branches = [ast.literal_eval(line) for line in text.splitlines() if line.startswith("{'units'")]
    assert [b["optimizer"] for b in branches] == [["adam"], ["sgd"]]
    assert "momentum" not in branches[0] and branches[1]["momentum"] == [0.0, 0.9]
    assert (
        printed(text, "grid test accuracy:") > 0.5 and printed(text, "random test accuracy:") > 0.5
    )


def check_accelerator(text: str, runs: Path) -> None:
    gpus = printed(text, "GPU devices:")
    tpus = printed(text, "TPU devices:")
    replicas = int(re.search(r"strategy: \w+ with (\d+) replica", text).group(1))
    expected = len(tpus) or (len(gpus) if len(gpus) > 1 else 1)
    assert replicas == expected
    accelerator = "TPU" if tpus else "GPU" if gpus else "CPU"
    assert f"accelerator: {accelerator}" in text and f"on {accelerator}" in text
    policy = "float32 (compute float32, variables float32)"  # Keras's default
    assert f"Keras global policy: {policy}" in text
    picked = text.split("kerashp picks: ")[1].split()[0]
    assert picked == {"TPU": "mixed_bfloat16", "CPU": "float32"}.get(accelerator, picked)
    assert f"trials built under: {picked}" in text
    assert float(re.search(r"best val_accuracy: (\S+) on", text).group(1)) > 0.5
    assert (runs / "accelerator" / "run.json").exists()


def check_parallel(text: str, runs: Path) -> None:
    first = printed(text, "trials:")
    assert printed(text, "trials after resume:") == first + 2
    assert printed(text, "best val_accuracy:") > 0.5
    assert f"{[f'{n}.json' for n in range(first)]}" in text  # every trial's record came back from the workers
    assert (runs / "parallel" / "run.json").exists()


CHECKS = {
    "01_quickstart": check_quickstart,
    "02_callbacks_and_schedules": check_callbacks,
    "03_sklearn_search": check_sklearn,
    "04_gpu_tpu": check_accelerator,
    "05_parallel_and_resume": check_parallel,
}


def test_every_notebook_has_a_check():
    assert sorted(CHECKS) == [path.stem for path in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path):
    notebook = json.loads(path.read_text())
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert code and not [c for c in code if c["outputs"] or c["execution_count"] is not None]


def test_every_notebook_installs_kerashp_with_the_same_first_code_cell():
    """tests/project/test_wheel.py runs this cell for real, once for all notebooks."""
    first = {path.name: install_cell(path) for path in NOTEBOOKS}
    assert len(set(first.values())) == 1
    ast.parse(next(iter(first.values())))  # plain Python, no `!pip`: it runs anywhere


@pytest.mark.e2e
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("KERASHP_NOTEBOOK_FAST", "1")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    # The kernel imports the checkout under test, whatever kerashp is installed.
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    )
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(
        nbformat.v4.new_code_cell(
            "import kerashp\nprint('kerashp imported from', kerashp.__file__)"
        )
    )
    NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    outputs = [
        o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])
    ]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert f"kerashp imported from {ROOT / 'kerashp' / '__init__.py'}" in text
    CHECKS[path.stem](text, tmp_path / "kerashp_runs")
