"""Every option of `tune` is declared once (`kerashp.options`): the
signature, the groups, the YAML keys and flags, `run.json` and the docs
table all follow the declaration, and a test fails when one drifts."""

from __future__ import annotations

import dataclasses
import inspect
import json
from pathlib import Path

import pytest

import kerashp as khp
from kerashp import cli, config, options
from kerashp.storage.run_store import RunStore

ROOT = Path(__file__).resolve().parents[1]


def test_the_signature_of_tune_is_the_declaration():
    parameters = list(inspect.signature(khp.tune).parameters)
    assert parameters == [o.name for o in options.declared()]
    assert len(parameters) <= 15


@pytest.mark.parametrize("group", sorted(options.GROUPS))
def test_each_group_holds_what_the_declaration_says(group):
    fields = [f.name for f in dataclasses.fields(options.GROUPS[group])]
    assert fields == [o.name for o in options.declared(group)]


def test_the_yaml_takes_every_option_of_tune_that_a_file_can_hold_and_nothing_else():
    keys = set(config.config_keys())
    code = {o.name for o in options.declared() if o.on_resume == "code"}
    assert keys == {o.yaml_key for o in options.declared()} - code
    assert code == {"callbacks", "on_trial_end"}


def test_every_option_a_file_holds_has_a_flag_but_the_arrays(capsys):
    with pytest.raises(SystemExit):
        cli.main(["tune", "--help"])
    out = capsys.readouterr().out
    flagged = [o for o in options.OPTIONS if o.flag]
    assert flagged and all(o.flag in out for o in flagged)
    assert {o.name for o in options.OPTIONS if not o.flag and o.on_resume != "code"} == {
        "build_fn", "space", "data", "run", "execution", "source", "sample_weight", "test"}


def test_the_docs_table_is_the_declarations():
    page = (ROOT / "docs" / "options.md").read_text()
    table = page.split("<!-- options table: begin -->\n")[1].split("<!-- options table: end -->")[0]
    assert table == options.options_table()


@pytest.mark.parametrize("group", [None, *sorted(options.GROUPS)])
def test_the_docstrings_args_are_the_declarations(group):
    """`tune`'s and each group's `Args:` (static text, for the API reference) say what `OPTIONS` says."""
    owner = khp.tune if group is None else options.GROUPS[group]
    args = owner.__doc__.split("    Args:\n", 1)[1].split("\n\n")[0].rstrip()
    assert args == options.describe(group).rstrip()


def test_run_json_records_every_declared_key_and_resume_compares_the_same_ones(tmp_path):
    khp.tune(lambda hp: _model(hp["units"]), {"units": 4, "epochs": 1}, data=khp.Data("iris", validation_split=0.3),
             algorithm="grid", verbose=0, run=khp.RunFolder(tmp_path, "r"))
    written = json.loads((tmp_path / "r" / "run.json").read_text())
    declared = {key for o in options.OPTIONS for key in o.keys}
    assert declared <= set(written) and set(written) - declared == {"schema", "spec"}
    assert set(RunStore.COMPARED) == {key for o in options.OPTIONS if o.on_resume == "same" for key in o.keys}
    assert {"fingerprint", "options", "seed", "max_epochs", "batch_size", "precision", "class_weight",
            "cv"} <= set(RunStore.COMPARED)
    assert not {"max_trials", "time_budget", "workers", "tensorboard"} & set(RunStore.COMPARED)


def _model(units):
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_the_groups_check_their_own_values():
    with pytest.raises(khp.ArgumentError, match=r"`if_exists` must be one of"):
        khp.RunFolder(if_exists="append")
    with pytest.raises(khp.ArgumentError, match=r"`cv` must be an integer >= 2. Received: cv=1"):
        khp.Data("iris", cv=1)
    with pytest.raises(khp.ArgumentError, match=r"`precision` must be one of"):
        khp.Execution(precision="fp8")
    with pytest.raises(khp.ArgumentError, match=r"Unknown key 'worker' under `execution`.*Did you mean 'workers'"):
        options.as_group("execution", {"worker": 2})
