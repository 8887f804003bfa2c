"""KerasClassifier / KerasRegressor: parameters, labels, pipelines, pickling, leak-free folds."""

from __future__ import annotations

import pickle
import threading

import keras
import numpy as np
import pytest
import sklearn_helpers as helpers
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import kerashp as khp
from kerashp.sklearn import KerasClassifier, KerasRegressor


@pytest.fixture(autouse=True)
def _clear_records():
    helpers.BUILT.clear()
    helpers.VALIDATION_SEEN.clear()


# ---------------------------------------------------------------- parameters
def test_hyperparameters_are_plain_constructor_params():
    est = KerasClassifier(khp.builders.mlp, epochs=3, units=64, learning_rate=1e-3)
    params = est.get_params()
    assert params["units"] == 64 and params["learning_rate"] == 1e-3 and params["epochs"] == 3
    assert not any("__" in key for key in params)

    # GridSearchCV sets names the estimator was not built with: they become hyperparameters.
    est.set_params(dropout=0.2, units=32)
    assert est.get_params()["dropout"] == 0.2 and est.units == 32
    copy = clone(est)
    assert copy.get_params() == est.get_params()
    assert "units=32" in repr(copy) and "dropout=0.2" in repr(copy)


@pytest.mark.parametrize("name", ["fit", "predict_proba", "classes_", "_secret", "model__units"])
def test_names_that_would_clash_are_refused(name):
    with pytest.raises(ValueError, match=f"Hyperparameter '{name}'"):
        KerasClassifier(**{name: 1})
    with pytest.raises(ValueError, match="Hyperparameter|without scikeras-style"):
        KerasClassifier().set_params(**{name: 1})


def test_builder_gets_one_dict_and_the_training_spec():
    x, y = helpers.iris()
    est = KerasClassifier(helpers.recording_builder, epochs=1, batch_size=16, units=7, optimizer="sgd")
    est.fit(x, y)
    (built,) = helpers.BUILT
    assert built["hp"] == {"epochs": 1, "batch_size": 16, "units": 7, "optimizer": "sgd"}
    spec = built["spec"]
    assert spec.task == "classification" and spec.num_classes == 3 and spec.input_shape == (4,)
    np.testing.assert_allclose(spec.mean, x.mean(axis=0), rtol=1e-5)
    assert est.spec_ is spec


def test_bad_arguments_fail_at_fit_with_keras_style_messages():
    x, y = helpers.iris()
    with pytest.raises(khp.ArgumentError, match=r"Argument `epochs` must be an integer >= 1. Received: epochs=0"):
        KerasClassifier(helpers.tiny, epochs=0).fit(x, y)
    with pytest.raises(khp.ArgumentError, match=r"Argument `validation_split` must be a float in \[0, 1\)"):
        KerasClassifier(helpers.tiny, validation_split=1.5).fit(x, y)
    with pytest.raises(TypeError, match="Argument `build_fn` must be a function"):
        KerasClassifier("mlp").fit(x, y)
    with pytest.raises(khp.InvalidModelError, match="build_fn must return a keras.Model"):
        KerasClassifier(lambda hp: "not a model").fit(x, y)


# -------------------------------------------------------------------- labels
def test_string_labels_classes_and_predict_proba():
    x, y = helpers.iris()
    names = np.array(["virginica", "setosa", "versicolor"])[y]  # not in sorted order
    est = KerasClassifier(helpers.tiny, epochs=2, random_state=0, learning_rate=0.05).fit(x, names)
    assert est.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    proba = est.predict_proba(x[:5])
    assert proba.shape == (5, 3) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert est.predict(x[:5]).tolist() == est.classes_[proba.argmax(axis=1)].tolist()
    assert 0.0 <= est.score(x, names) <= 1.0


def test_labels_unseen_in_fit_are_a_data_error():
    x, y = helpers.iris()
    keep = y < 2
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    est = KerasClassifier(helpers.tiny, epochs=1, random_state=0).fit(x[keep], names[keep])
    assert est.classes_.tolist() == ["setosa", "versicolor"]
    message = r"Labels \['virginica'\] do not occur in the training labels \['setosa', 'versicolor'\]"
    with pytest.raises(khp.DataError, match=message):
        est.partial_fit(x, names)
    with pytest.raises(khp.DataError, match=message):
        est.fit(x[keep], names[keep], validation_data=(x, names))


def test_binary_labels_give_two_probability_columns():
    x, y = helpers.iris()
    keep = y < 2
    labels = np.where(y[keep] == 0, "no", "yes")
    est = KerasClassifier(helpers.tiny, epochs=1, random_state=0).fit(x[keep], labels)
    assert est.predict_proba(x[:1]).shape == (1, 2)
    assert set(est.predict(x[keep])) <= {"no", "yes"}


def test_categorical_crossentropy_gets_one_hot_targets():
    x, y = helpers.iris()
    est = KerasClassifier(helpers.tiny, epochs=1, loss="categorical_crossentropy").fit(x, y)
    assert est.predict_proba(x[:3]).shape == (3, 3)


def test_regressor_shapes_follow_y():
    x, y = helpers.iris()
    one = KerasRegressor(helpers.tiny, epochs=1).fit(x[:, :3], x[:, 3])
    assert one.predict(x[:4, :3]).shape == (4,) and one.predict(x[:4, :3]).dtype == np.float64
    two = KerasRegressor(helpers.tiny, epochs=1).fit(x[:, :2], x[:, 2:])
    assert two.predict(x[:4, :2]).shape == (4, 2)


# ------------------------------------------------------------------ pipelines
def test_pipeline_with_scaler_and_grid_search_over_its_step():
    x, y = helpers.digits(240)
    est = KerasClassifier(helpers.EagerMLP(), layers=1, epochs=1, learning_rate=0.05, random_state=0)
    pipe = make_pipeline(StandardScaler(), est)
    gs = GridSearchCV(pipe, {"kerasclassifier__units": [4, 8]}, cv=2).fit(x, y)
    best = gs.best_estimator_[-1]
    assert best.units == gs.best_params_["kerasclassifier__units"]
    assert np.abs(best.spec_.mean).max() < 1e-4  # the estimator got the scaler's output
    assert gs.score(x, y) > 0.5


# ------------------------------------------------------------------- pickling
def test_fitted_estimator_pickles_with_its_model():
    x, y = helpers.iris()
    est = KerasClassifier(helpers.tiny, epochs=1, random_state=0).fit(x, y)
    back = pickle.loads(pickle.dumps(est))
    np.testing.assert_allclose(back.predict_proba(x), est.predict_proba(x), rtol=1e-6)
    assert back.get_params() == est.get_params()


def test_lambda_builder_is_pickled_by_value():
    est = KerasClassifier(lambda hp: helpers.tiny(hp), epochs=1, units=5)
    back = pickle.loads(pickle.dumps(est))
    assert back.units == 5 and callable(back.build_fn) and back.build_fn is not est.build_fn


def test_unpicklable_builder_fails_with_advice():
    lock = threading.Lock()

    def build(hp):
        with lock:
            return helpers.tiny(hp)

    est = KerasClassifier(build, epochs=1)
    with pytest.raises(pickle.PicklingError, match=r"cannot be pickled because its build_fn .*build") as info:
        pickle.dumps(est)
    message = str(info.value)
    assert "n_jobs>1" in message and "top level of an importable .py module" in message


# ------------------------------------------------------------ leak-free folds
@pytest.mark.parametrize(
    "callback",
    [khp.callbacks.EarlyStopping(patience=1), khp.callbacks.ReduceLROnPlateau(patience=1)],
    ids=["EarlyStopping", "ReduceLROnPlateau"],
)
def test_fold_test_data_never_reaches_validation_or_normalization(callback):
    x, y = helpers.digits(150)
    x[:, 0] = np.arange(len(x))  # digits' column 0 is blank: use it as a row id
    est = KerasClassifier(helpers.recording_builder, epochs=2, callbacks=[callback], random_state=0)
    folds = list(KFold(3, shuffle=True, random_state=0).split(x, y))
    cross_validate(est, x, y, cv=folds)

    assert len(helpers.BUILT) == len(helpers.VALIDATION_SEEN) == 3
    for (train, test), built, seen in zip(folds, helpers.BUILT, helpers.VALIDATION_SEEN, strict=True):
        ids = {int(i) for batch in seen for i in batch[:, 0]}
        assert ids, "early stopping got no validation data"
        assert ids <= set(train.tolist())
        assert not ids & set(test.tolist())
        # Normalization statistics: the fold's training part only.
        np.testing.assert_allclose(built["spec"].mean, x[train].mean(axis=0), rtol=1e-5)
    # The callback instance given as a parameter is left untouched (each fit uses a copy).
    assert callback.model is None


def test_no_validation_data_without_a_callback_that_needs_it():
    x, y = helpers.iris()
    KerasClassifier(helpers.recording_builder, epochs=1).fit(x, y)
    assert helpers.VALIDATION_SEEN == [[]]


def test_validation_split_zero_with_early_stopping_is_an_error():
    x, y = helpers.iris()
    est = KerasClassifier(
        helpers.tiny, epochs=1, validation_split=0.0, callbacks=[keras.callbacks.EarlyStopping()]
    )
    with pytest.raises(ValueError, match=r"EarlyStopping\(monitor='val_loss'\) needs validation data"):
        est.fit(x, y)


def test_explicit_validation_split_is_stratified_and_seeded():
    x, y = helpers.iris()  # sorted by class: Keras's tail split would hold out one class only
    x = x.copy()
    x[:, 0] = np.arange(len(x))
    est = KerasClassifier(helpers.recording_builder, epochs=1, validation_split=0.2, random_state=0)
    est.fit(x, y)
    (seen,) = helpers.VALIDATION_SEEN
    ids = np.concatenate([batch[:, 0] for batch in seen]).astype(int)
    assert len(ids) == 30
    assert np.bincount(y[ids]).tolist() == [10, 10, 10]
    assert "val_loss" in est.history_


def test_callbacks_may_be_a_function_of_the_hyperparameters():
    x, y = helpers.iris()
    made = []

    def callbacks(hp):
        made.append(hp["patience"])
        return [khp.callbacks.EarlyStopping(patience=hp["patience"])]

    KerasClassifier(helpers.recording_builder, epochs=1, patience=2, callbacks=callbacks).fit(x, y)
    assert made == [2]
    assert helpers.VALIDATION_SEEN[0], "the early stopping it returned got validation data"
