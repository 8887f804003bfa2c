"""The shared message helpers of `kerashp/_checks.py`: one "did you mean" for
algorithms, datasets, builder keys and YAML keys, and arguments named as the
user sets them (Python or the command line)."""

from __future__ import annotations

import pytest

import kerashp as khp
from kerashp._checks import command_line_messages, did_you_mean, setting


def test_did_you_mean_names_the_closest_options_or_nothing():
    assert did_you_mean("tpee", ["random", "tpe", "bohb"]) == "Did you mean 'tpe'?"
    assert did_you_mean("digitz", ["digits", "iris", "digits2"], n=3) == "Did you mean 'digits' or 'digits2'?"
    assert did_you_mean("lr", ["learning_rate"], aliases={"lr": "learning_rate"}) == "Did you mean 'learning_rate'?"
    assert did_you_mean("colour", ["max_trials", "seed"]) == ""


def test_a_mistyped_algorithm_in_tune_gets_the_closest_name(tmp_path):
    with pytest.raises(khp.ArgumentError, match=r"Received: algorithm='tpee'. Did you mean 'tpe'\?$"):
        khp.tune(
            khp.builders.mlp,
            {"units": 8},
            data="iris",
            algorithm="tpee",
            run=khp.RunFolder(directory=tmp_path),
        )
    assert list(tmp_path.iterdir()) == []


def test_settings_are_named_in_python_or_in_the_commands_words():
    assert [setting("if_exists", "resume"), setting("name"), setting("seed", 3)] == [
        "run=khp.RunFolder(if_exists='resume')", "run=khp.RunFolder(name=...)", "seed=3"]
    with command_line_messages():
        assert setting("if_exists", "resume") == "--if-exists resume (or `if_exists: resume` under `run:` in the YAML)"
        assert setting("name") == "--name (or `name:` under `run:` in the YAML)"
        assert setting("workers", "two") == "--workers two (or `workers: two` under `execution:` in the YAML)"
        assert setting("seed", 3) == "--seed 3 (or `seed: 3` in the YAML)"
        assert setting("space") == "`space:` in the YAML"
    assert setting("if_exists", "overwrite") == "run=khp.RunFolder(if_exists='overwrite')"
