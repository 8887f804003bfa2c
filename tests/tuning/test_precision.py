"""`tune(..., execution=Execution(precision=...))`: the dtype policy trials and rebuilt models use."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerashp as khp


def test_trials_and_the_rebuilt_best_model_compute_in_the_chosen_policy(digits_small, tmp_path):
    policies = []

    def build(hp):
        model = khp.builders.mlp(hp)
        policies.append([layer.dtype_policy.name for layer in model.layers[2:]])  # after Input, Normalization
        return model

    result = khp.tune(
        build,
        {"units": 16, "layers": 1, "epochs": 2},
        data=digits_small,
        algorithm="grid",
        verbose=0,
        run=khp.RunFolder(directory=tmp_path, name="bf16"),
        execution=khp.Execution(precision="mixed_bfloat16"),
    )
    assert policies == [["mixed_bfloat16", "float32"]]  # the hidden layer in bfloat16, the softmax in float32
    assert keras.config.dtype_policy().name == "float32"  # the caller's policy is left as it was
    assert result.settings["precision"] == "mixed_bfloat16" and result.records[0].completed
    model = result.best_model
    assert model.layers[2].compute_dtype == "bfloat16" and model.layers[2].kernel.dtype == "float32"
    assert model.predict(digits_small[0][:4], verbose=0).dtype == np.float32


def test_auto_is_float32_on_a_cpu_and_other_values_are_refused(digits_small, tmp_path):
    from kerashp.devices import get_strategy, resolve_precision

    assert resolve_precision("auto", get_strategy()) == "float32"
    with pytest.raises(khp.ArgumentError, match=r"`precision` must be one of .*'mixed_float16'"):
        khp.tune(
            khp.builders.mlp,
            {"units": 8},
            data=digits_small,
            run=khp.RunFolder(directory=tmp_path),
            execution=khp.Execution(precision="fp16"),
        )
    assert not any(tmp_path.iterdir())
