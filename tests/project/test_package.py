"""Package-level promises: a cheap import, the CLI, plots from data."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import kerashp as khp

HEAVY = ("tensorflow", "keras", "pandas", "matplotlib", "keras_tuner")


@pytest.mark.parametrize(
    ("code", "printed"),
    [
        ("import kerashp\nkerashp.Space({'a': [1, 2]})\nprint(kerashp.Int(1, 2))", "Int(low=1, high=2"),
        ("import kerashp as khp\nprint(khp.sklearn.param_grid({'u': [1, 2]}))\n"
         "print(sorted(khp.sklearn.param_distributions({'lr': khp.Float(1e-3, 1e-1, log=True)})))",
         "{'u': [1, 2]}\n['lr']"),
        ("from kerashp import cli\ntry:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass", "results"),
    ],
    ids=["import kerashp", "sklearn param helpers", "kerashp --help"],
)
def test_what_needs_no_model_imports_no_tensorflow_keras_pandas_or_matplotlib(code, printed):
    """In a fresh process (this one has them all): they load when a function that needs them runs."""
    check = f"\nimport sys\nprint('HEAVY', [m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code + check], capture_output=True, text=True, check=True,
                         timeout=120)
    assert printed in out.stdout  # the code ran
    assert out.stdout.strip().endswith("HEAVY []"), out.stdout[-2000:]


def test_cli_version(capsys):
    from kerashp import __version__, cli

    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.strip() == f"kerashp {__version__}"


@pytest.mark.slow
def test_cli_tune_config_then_results(tmp_path, capsys):
    from kerashp import cli

    config = tmp_path / "search.yaml"
    config.write_text(textwrap.dedent(
        """
        builder: mlp
        data: iris
        algorithm: random
        objective: val_accuracy
        max_trials: 2
        seed: 0
        run: {name: yaml-run}
        space:
          units: {type: int, low: 4, high: 16}
          learning_rate: {type: float, low: 0.001, high: 0.05, log: true}
          epochs: 2
        """
    ))
    assert cli.main(["tune", str(config), "--directory", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "best trial" in out
    plots = tmp_path / "yaml-run" / "plots"
    assert f"plots written to {plots}: scores.png, history.png, importance.png" in out
    assert sorted(p.name for p in plots.iterdir()) == ["history.png", "importance.png", "scores.png"]
    assert cli.main(["results", str(tmp_path / "yaml-run"), "--all"]) == 0
    out = capsys.readouterr().out
    assert "learning_rate" in out and out.count("COMPLETED") == 2
    result = khp.load_result(tmp_path / "yaml-run")
    assert 4 <= result.best_params["units"] <= 16

    plot_data = khp.plots.scores_data(result)
    assert len(plot_data.scores) == 2 and plot_data.running_best[-1] == result.best_score
    history = khp.plots.history_data(result)
    assert set(history.curves) == {r.number for r in result.records}
    fig = result.plot("history")
    assert fig.axes[0].get_ylabel() == "val_accuracy"
    kinds = r"'history', 'scores', 'parallel', 'slice', 'importance', 'contour', 'edf'"
    with pytest.raises(khp.ArgumentError, match=rf"`kind` must be one of {kinds}. Received: kind='pie'"):
        result.plot("pie")


def test_cli_results_prints_every_trial_of_a_run(write_run, capsys):
    from kerashp import cli

    space = {"units": [4, 8], "epochs": 2}
    path = write_run([({"units": 4, "epochs": 2}, [0.5, 0.4]), ({"units": 8, "epochs": 2}, [0.6, 0.3])], space=space)
    assert cli.main(["results", str(path), "--all"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["trial", "status", "score", "units"]
    assert [line.split()[:4] for line in lines[1:]] == [["0", "COMPLETED", "0.4", "4"], ["1", "COMPLETED", "0.3", "8"]]


def test_cli_reports_config_errors(tmp_path, capsys):
    from kerashp import cli

    config = tmp_path / "bad.yaml"
    config.write_text("space: {units: [8]}\nmax_epoch: 3\n")
    assert cli.main(["tune", str(config)]) == 2
    assert "Unknown key 'max_epoch' in" in capsys.readouterr().err
    assert cli.main(["results", str(tmp_path)]) == 2
    assert "not a kerashp run folder" in capsys.readouterr().err


def test_the_strategy_and_seeding_work_without_tensorflow(monkeypatch):
    """The GPU check runs `tune` under KERAS_BACKEND=jax on a machine without
    TensorFlow: the strategy is the backend's own placement, a tf.distribute
    strategy is refused with the reason, and seeding skips TensorFlow."""
    import keras
    import numpy as np
    import tensorflow as tf

    from kerashp._seeding import seeded
    from kerashp.devices import get_strategy
    from kerashp.exceptions import ArgumentError

    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    monkeypatch.setitem(sys.modules, "tensorflow", None)  # `import tensorflow` raises ImportError
    with get_strategy("auto").scope(), seeded(3):
        first = np.random.rand()
    with seeded(3):
        again = np.random.rand()
    assert first == again
    with pytest.raises(ArgumentError, match="needs the TensorFlow backend; Keras runs on 'jax'"):
        get_strategy(tf.distribute.get_strategy())


def test_every_public_name_the_docs_use_is_exported():
    """`khp.X` / `kerashp.X` in the README, the docs and the examples is in `kerashp.__all__` and resolves."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    pages = [p for p in root.glob("docs/**/*.md") if "reference" not in p.parts]  # the reference names modules
    texts = [root / "README.md", *pages, *root.glob("examples/*.py")]
    code = r"(?<![/\w])(?:khp|kerashp)\.([A-Za-z_]\w*)"  # not a path such as reference/kerashp.md
    used = {m for path in texts for m in re.findall(code, path.read_text())}
    assert used and {"tune", "Int", "builders"} <= used
    assert sorted(used - set(khp.__all__)) == []
    for name in khp.__all__:
        assert getattr(khp, name) is not None
