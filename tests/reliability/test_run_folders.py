"""Run folders: names that are not plain folder names, links, files in the
way and read-only places are refused with the path and the fix; nothing in a
run folder is ever unpickled or executed."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest

import kerashp as khp
from kerashp.exceptions import ArgumentError, RunFolderError


@pytest.fixture(scope="module")
def digits():
    x, y = khp.datasets.load("digits")
    return x[:200], y[:200]


def search(digits, directory, name="r", if_exists="error", **kwargs):
    return khp.tune(
        khp.builders.mlp,
        {"units": [8, 16], "epochs": 1},
        data=digits,
        algorithm="grid",
        verbose=0,
        run=khp.RunFolder(directory, name, if_exists=if_exists),
        **kwargs,
    )


@pytest.mark.parametrize("name", ["", "../escape", "/abs", "a/b", ".hidden", "a\nb"])
def test_a_name_that_is_not_a_plain_folder_name_is_refused(name, digits, tmp_path):
    with pytest.raises(ArgumentError, match=r"`name` must be a plain folder name.*Received: name="):
        search(digits, tmp_path, name=name)
    assert list(tmp_path.iterdir()) == []


def test_overwrite_never_deletes_through_a_symbolic_link(digits, tmp_path):
    search(digits, tmp_path, name="precious")
    (tmp_path / "link").symlink_to(tmp_path / "precious")
    with pytest.raises(RunFolderError, match=r"Refusing to delete .*link: it is a symbolic link"):
        search(digits, tmp_path, name="link", if_exists="overwrite")
    assert len(khp.load_result(tmp_path / "precious").records) == 2


@pytest.mark.parametrize("where", ["name", "directory"])
def test_a_file_in_the_way_is_named_and_kept(where, digits, tmp_path):
    """keras-tuner used directly deletes such a file with overwrite=True (benchmarks/reliability_peers.py)."""
    path = tmp_path / ("r" if where == "name" else "runs")
    path.write_text("my notes")
    directory = tmp_path / "runs" if where == "directory" else tmp_path
    with pytest.raises(RunFolderError, match=rf"{path} is a file, not a folder.*pass another "
                                             rf"run=khp.RunFolder\({where}=..."):
        search(digits, directory, if_exists="overwrite")
    assert path.read_text() == "my notes"


@pytest.mark.subprocess
def test_a_read_only_directory_is_refused_before_training():
    """Run as an unprivileged user where the tests run as root (root ignores
    permissions), in a folder that user can reach. Every kerashp module is
    imported first: the checkout may sit in a folder only root can enter (a
    `mktemp -d` folder, root's home)."""
    base = Path(tempfile.mkdtemp())
    folder = base / "ro"
    folder.mkdir()
    os.chmod(base, 0o755)
    os.chmod(folder, 0o555)
    code = textwrap.dedent(f"""
        import importlib, os, pkgutil, sys
        import keras_tuner, kerashp as khp
        for module in pkgutil.walk_packages(khp.__path__, "kerashp."):
            importlib.import_module(module.name)
        x, y = khp.datasets.load("digits")
        if os.getuid() == 0:
            import pwd
            os.setgid(pwd.getpwnam("nobody").pw_gid); os.setuid(pwd.getpwnam("nobody").pw_uid)
        fits = []
        try:
            khp.tune(khp.builders.mlp, {{"units": 8, "epochs": 1}}, data=(x[:100], y[:100]), algorithm="random",
                     max_trials=1, verbose=0, run=khp.RunFolder({str(folder)!r}, "r"),
                     callbacks=lambda hp: fits.append(1) or [])
        except khp.KerashpError as err:
            print(type(err).__name__, err, "fits:", len(fits))
        except ImportError as err:  # a module of the Python environment that user cannot read
            print("UNREACHABLE", err)
    """)
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(base)
    if "UNREACHABLE" in out.stdout:
        pytest.skip(f"user nobody cannot import from this Python environment ({sys.prefix}): "
                    f"{out.stdout.strip()}. Put the environment where other users can read it to run this test.")
    assert f"RunFolderError Cannot write in {folder}" in out.stdout, out.stderr[-2000:]
    assert "fits: 0" in out.stdout


class Payload:
    """Unpickling it would create `marker`."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_planted_pickles_and_models_are_never_loaded(digits, tmp_path):
    result = search(digits, tmp_path)
    run, marker = result.path, tmp_path / "executed"
    payload = pickle.dumps(Payload(marker))
    first = result.records[0].trial_id
    for name in [f"trials/{first}.pkl", "tuner0.pkl", "oracle.pkl", f"trial_{first}/checkpoint.pkl", "model.pkl"]:
        (run / name).write_bytes(payload)
    (run / "best_model.keras").write_bytes(payload)
    best = result.best_trial.trial_id
    (run / "trials" / f"{best}.weights.h5").write_bytes(payload)  # the legacy name: not read beside an .npz
    with open(run / "trials" / f"{best}.weights.npz", "wb") as f:  # an object array is a pickle
        np.savez(f, **{"model.0": np.array([Payload(marker)], dtype=object)})

    reopened = khp.load_result(run)
    with pytest.raises(RunFolderError, match=r"weights\.npz is damaged.*Object arrays cannot be loaded"):
        _ = reopened.best_model
    search(digits, tmp_path, if_exists="resume", max_trials=2)
    assert not marker.exists()


def test_a_yaml_config_cannot_run_code(tmp_path, capsys):
    from kerashp import cli

    marker = tmp_path / "executed"
    config = tmp_path / "evil.yaml"
    config.write_text(f'space: !!python/object/apply:os.system ["touch {marker}"]\n')
    assert cli.main(["tune", str(config)]) == 2
    assert "is not valid YAML" in capsys.readouterr().err
    assert not marker.exists()
