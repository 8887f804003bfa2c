"""`kerashp tune`'s flags and messages: `--if-exists`, errors
that name flags and YAML keys, close-name suggestions, the `tensorboard:` key,
and no TensorFlow C++ start-up lines."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import kerashp as khp
from kerashp import cli

TINY = """
builder: mlp
data: iris
algorithm: random
max_trials: 1
seed: 0
run: {name: tiny}
space:
  units: 4
  epochs: 1
"""


def _config(tmp_path: Path, text: str = TINY, name: str = "search.yaml") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


@pytest.mark.slow  # the flags without a search: test_the_workers_and_ray_flags_reach_tune_over_the_yaml
def test_an_existing_run_is_continued_or_started_over_with_flags_that_override_the_yaml(tmp_path, capsys):
    runs = str(tmp_path / "runs")
    config = _config(tmp_path,
                     TINY.replace("{name: tiny}", "{name: tiny, tensorboard: " + str(tmp_path / "logs") + "}"))
    assert cli.main(["tune", config, "--directory", runs]) == 0
    assert (tmp_path / "logs" / "trial_0").is_dir()  # the `tensorboard:` key reached tune
    first = khp.load_result(tmp_path / "runs" / "tiny").records[0]
    capsys.readouterr()

    assert cli.main(["tune", config, "--directory", runs]) == 2
    err = capsys.readouterr().err
    assert ("A run named 'tiny' exists in" in err and "Pass --if-exists resume (or `if_exists: resume` under `run:` "
            "in the YAML) to continue it, --if-exists overwrite (or `if_exists: overwrite` under `run:` in the YAML) "
            "to start it over, or another --name (or `name:` under `run:` in the YAML)." in err)
    assert "RunFolder" not in err

    # its one trial is done: nothing runs
    assert cli.main(["tune", config, "--directory", runs, "--if-exists", "resume"]) == 0
    assert "resuming" in capsys.readouterr().out
    assert khp.load_result(tmp_path / "runs" / "tiny").records[0].seconds == first.seconds

    resuming = _config(tmp_path, TINY.replace("units: 4", "units: 8").replace("{name: tiny}",
                                                                               "{name: tiny, if_exists: resume}"),
                       "changed.yaml")
    assert cli.main(["tune", resuming, "--directory", runs]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kerashp: error: --if-exists resume (or `if_exists: resume` under `run:` in the YAML), but "
                          "the run 'tiny' was made with different settings: space entry")
    assert "Use another --name (or `name:` under `run:` in the YAML), or --if-exists overwrite" in err
    assert cli.main(["tune", resuming, "--directory", runs, "--if-exists", "overwrite"]) == 0  # the flag wins
    assert khp.load_result(tmp_path / "runs" / "tiny").records[0].params["units"] == 8


def test_a_bad_if_exists_flag_is_refused_naming_the_choices(tmp_path, capsys):
    assert cli.main(["tune", _config(tmp_path), "--if-exists", "append"]) == 2
    assert "`if_exists` must be one of ['error', 'resume', 'overwrite']" in capsys.readouterr().err


@pytest.mark.parametrize(("line", "message"), [
    ("max_trail: 5", "Unknown key 'max_trail' in '{path}'. Did you mean 'max_trials'?"),
    ("executon: {workers: 2}", "Unknown key 'executon' in '{path}'. Did you mean 'execution'?"),
    ("colour: blue", "Unknown key 'colour' in '{path}'. `kerashp tune --help` lists the keys."),
])
def test_a_mistyped_yaml_key_gets_the_closest_key_not_the_list(line, message, tmp_path, capsys):
    path = _config(tmp_path, TINY + line + "\n")
    assert cli.main(["tune", path]) == 2
    assert capsys.readouterr().err.strip() == "kerashp: error: " + message.format(path=path)


def test_the_help_of_tune_lists_the_yaml_keys(capsys):
    with pytest.raises(SystemExit):
        cli.main(["tune", "--help"])
    out = capsys.readouterr().out
    assert "--if-exists" in out and "--workers" in out and "max_trials" in out and "--tensorboard" in out


def test_a_mistyped_algorithm_in_the_yaml_gets_the_closest_name(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["tune", _config(tmp_path, TINY.replace("random", "tpee"))]) == 2
    err = capsys.readouterr().err
    assert "Received: algorithm='tpee'. Did you mean 'tpe'?" in err
    assert not list(tmp_path.glob("kerashp_runs/*"))


@pytest.mark.parametrize(("argv", "expected"), [
    (["tune", "my search.yaml", "--directory", "runs"],
     "kerashp: interrupted; finished trials are saved. Continue with:\n  kerashp tune 'my search.yaml' "
     "--directory runs --if-exists resume"),
    (["demo"], "kerashp: interrupted; finished trials are in kerashp_runs/demo (`kerashp demo` starts over)."),
])
def test_ctrl_c_says_how_to_carry_on_in_the_commands_words(argv, expected, monkeypatch, capsys):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, f"_cmd_{argv[0]}", interrupted)
    monkeypatch.setattr(cli, "_import_tensorflow", lambda: None)
    assert cli.main(argv) == 130
    err = capsys.readouterr().err
    assert err.strip() == expected and "RunFolder" not in err


# What `import tensorflow` 2.21 writes on this CPU machine, twice over.
STARTUP = """\
WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
I0000 00:00:1796411899.705686   19458 port.cc:153] oneDNN custom operations are on. You may see slightly different \
numerical results due to floating-point round-off errors from different computation orders.
I0000 00:00:1796411899.706063   19458 cudart_stub.cc:31] Could not find cuda drivers on your machine, \
GPU will not be used.
I0000 00:00:1796411899.752739   19458 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use available \
CPU instructions in performance-critical operations.
To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the appropriate \
compiler flags.
/site-packages/somewhere.py:3: UserWarning: a warning of Python's
  warnings.warn("a warning of Python's")
E0000 00:00:1796411899.9   19458 cuda_platform.cc:52] failed call to cuInit: UNKNOWN ERROR (303)
"""


def test_the_start_up_lines_below_the_log_level_are_dropped_and_nothing_else():
    lines = STARTUP.splitlines(keepends=True)
    assert cli._below_level_dropped(STARTUP, 0) == STARTUP
    assert cli._below_level_dropped(STARTUP, 2) == "".join(lines[5:])
    assert cli._below_level_dropped(STARTUP, 3) == "".join(lines[5:7])


@pytest.mark.subprocess
def test_kerashp_tune_prints_no_tensorflow_start_up_lines(tmp_path):
    """Run as a user runs it: no TF_CPP_MIN_LOG_LEVEL or TF_ENABLE_ONEDNN_OPTS
    (the test suite sets both), and TensorFlow imported by the command."""
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS")}
    out = subprocess.run([sys.executable, "-m", "kerashp.cli", "tune", _config(tmp_path)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "trial 0  ok" in out.stdout
    printed = (out.stdout + out.stderr).lower()
    for noise in ("onednn", "cuda", "this tensorflow binary", "absl::initializelog", "cpu instructions"):
        assert noise not in printed, out.stderr


def test_the_workers_and_ray_flags_reach_tune_over_the_yaml(tmp_path, monkeypatch, capsys):
    class Called(Exception):
        pass

    seen = {}

    def tune(build_fn, space, **kwargs):
        seen.clear()
        seen.update(kwargs)
        raise Called

    config = _config(tmp_path, TINY + "execution: {workers: 3}\n")
    assert cli.main(["tune", config, "--workers", "two"]) == 2  # the real tune refuses it before anything runs
    assert "Received: --workers two (or `workers: two` under `execution:` in the YAML)." in capsys.readouterr().err
    monkeypatch.setattr(khp, "tune", tune)
    for argv, workers in (([], 3), (["--workers", "2"], 2), (["--workers", "auto"], "auto")):
        with pytest.raises(Called):
            cli.main(["tune", config, *argv])
        assert seen["execution"].workers == workers and seen["execution"].ray is None
    with pytest.raises(Called):
        cli.main(["tune", config, "--ray", "local", "--trial-cpus", "0.5"])
    assert (seen["execution"].ray, seen["execution"].trial_cpus, seen["execution"].workers) == ("local", 0.5, 3)
    # the fast tier's share of test_an_existing_run_is_continued_...: --if-exists, --directory and
    # the `tensorboard:` key reach tune, the flags over the YAML's `if_exists: resume`
    config = _config(tmp_path, TINY.replace("{name: tiny}", f"{{name: tiny, tensorboard: {tmp_path / 'logs'}, "
                                                            "if_exists: resume}"))
    for argv, if_exists in (([], "resume"), (["--if-exists", "overwrite"], "overwrite")):
        with pytest.raises(Called):
            cli.main(["tune", config, "--directory", str(tmp_path / "runs"), *argv])
        run = seen["run"]
        assert (run.if_exists, run.directory, run.tensorboard) == (if_exists, str(tmp_path / "runs"),
                                                                   str(tmp_path / "logs"))
    config = _config(tmp_path, TINY.replace("algorithm: random", "algorithm: {name: tpe, pruner: {first_rung: 2}}"),
                     "algo.yaml")  # an algorithm with its options, as tune takes it
    with pytest.raises(Called):
        cli.main(["tune", config])
    assert khp.algorithms.get(seen["algorithm"]) == khp.algorithms.TPE(pruner=khp.pruners.ASHA(first_rung=2))


def test_yaml_data_takes_files_and_a_loader(tmp_path, monkeypatch):
    import numpy as np

    from kerashp.config import load_config, resolve_data

    x, y = np.arange(12, dtype="float32").reshape(6, 2), np.array([0, 1, 0, 1, 0, 1])
    np.savez(tmp_path / "d.npz", x=x, y=y)
    np.save(tmp_path / "d.npy", np.column_stack([x, y]))
    (tmp_path / "d.csv").write_text("a,b,target\n" + "\n".join(f"{a},{b},{t}" for (a, b), t in zip(x, y, strict=True)))
    for name in ("d.npz", "d.npy", "d.csv"):
        got_x, got_y = resolve_data(str(tmp_path / name))
        np.testing.assert_array_equal(got_x, x)
        np.testing.assert_array_equal(got_y, y)
    (tmp_path / "search.yaml").write_text("data: d.csv\n")  # relative to the config's folder
    np.testing.assert_array_equal(load_config(str(tmp_path / "search.yaml"))["data"].source[1], y)
    (tmp_path / "my_data.py").write_text("import numpy as np\ndef load():\n    return np.zeros((4, 2)), np.arange(4)\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert resolve_data("my_data:load")[0].shape == (4, 2)
    assert resolve_data("digits") == "digits"
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(khp.ArgumentError, match=r"Cannot read data='bad.npz'.*must hold arrays x and y"):
        resolve_data("bad.npz")
