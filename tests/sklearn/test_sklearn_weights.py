"""class_weight and sample_weight as scikit-learn defines them: 0 drops a sample,
the loss is the weighted mean (so an integer weight counts like repeats in
full-batch training), and the weights reach each fold of a search."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import sklearn_helpers as helpers
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.metrics import recall_score
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.utils import shuffle
from test_sklearn_checks import ESTIMATORS

from kerashp.sklearn import KerasClassifier, KerasRegressor


@pytest.fixture(autouse=True)
def _clear_records():
    helpers.BUILT.clear()
    helpers.VALIDATION_SEEN.clear()


def _with_junk(n_junk: int = 60):
    """Iris plus a block of junk rows: far-off inputs (so they would move the
    normalization statistics too) with labels that contradict the clean rows."""
    x, y = helpers.iris()
    rng = np.random.default_rng(0)
    junk_x = (x[rng.integers(0, len(x), n_junk)] * 3 + 20).astype("float32")
    junk_y = rng.integers(0, 3, n_junk)
    weights = np.r_[np.ones(len(x)), np.zeros(n_junk)]
    return x, y, np.vstack([x, junk_x]), np.r_[y, junk_y], weights


@pytest.mark.slow
def test_class_weight_balanced_raises_the_minority_class_recall():
    x, y = make_classification(
        n_samples=1200, n_features=8, n_informative=4, weights=[0.95, 0.05], class_sep=0.6, random_state=0
    )
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.5, stratify=y, random_state=0)
    recall = {}
    for class_weight in (None, "balanced"):
        est = KerasClassifier(helpers.tiny, epochs=10, random_state=0, class_weight=class_weight)
        recall[class_weight] = recall_score(y_test, est.fit(x_train, y_train).predict(x_test))
    assert recall["balanced"] > recall[None] + 0.2, recall


@pytest.mark.slow
def test_zero_weight_samples_do_not_influence_the_fit_even_in_mini_batches():
    x, y, x_all, y_all, weights = _with_junk()
    est = KerasClassifier(helpers.tiny, epochs=3, batch_size=16, random_state=0)
    clean = est.fit(x, y).predict_proba(x)
    weighted = est.fit(x_all, y_all, sample_weight=weights).predict_proba(x)
    np.testing.assert_allclose(weighted, clean, atol=1e-6)
    unweighted = est.fit(x_all, y_all).predict_proba(x)
    assert np.abs(unweighted - clean).max() > 0.05  # the junk does matter when it is not weighted out


def test_integer_weights_equal_repeated_samples_in_full_batch_training():
    x, y = helpers.iris()
    weights = np.random.default_rng(1).integers(0, 4, len(x))
    est = KerasClassifier(helpers.tiny, epochs=10, batch_size=1000, optimizer="sgd", learning_rate=0.5, random_state=0)
    repeated = est.fit(x.repeat(weights, axis=0), y.repeat(weights)).predict_proba(x)
    weighted = est.fit(x, y, sample_weight=weights).predict_proba(x)
    np.testing.assert_allclose(weighted, repeated, atol=1e-5)


def test_scaling_every_weight_changes_nothing():
    """The loss is the weighted mean, so plain SGD takes the same steps whatever
    the weights' scale, and `loss` and `val_loss` stay comparable to unweighted fits."""
    x, y = helpers.iris()
    est = KerasClassifier(helpers.tiny, epochs=3, optimizer="sgd", validation_split=0.2, random_state=0)
    plain = est.fit(x, y)
    plain_proba, plain_history = plain.predict_proba(x), plain.history_
    scaled = est.fit(x, y, sample_weight=np.full(len(x), 1000.0))
    np.testing.assert_allclose(scaled.predict_proba(x), plain_proba, atol=1e-5)
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(scaled.history_[key], plain_history[key], rtol=1e-4)


def test_zero_weight_samples_stay_out_of_the_validation_split():
    x, y, x_all, y_all, weights = _with_junk()
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=1)
    est = KerasClassifier(helpers.recording_builder, epochs=2, callbacks=[stop], random_state=0)
    est.fit(x_all, y_all, sample_weight=weights)
    seen = np.concatenate(helpers.VALIDATION_SEEN[-1])
    assert len(seen) and seen.max() < 20  # junk inputs are all >= 20
    assert "val_loss" in est.history_


@pytest.mark.slow
def test_grid_search_passes_sample_weight_to_every_fit():
    """Metadata routing off (scikit-learn's default): GridSearchCV.fit slices
    sample_weight for each fold and the refit. Zero-weighting the junk gives the
    same best model as a search on the clean rows alone."""
    x, y, x_all, y_all, weights = _with_junk()
    order = np.random.default_rng(2).permutation(len(x_all))  # junk spread over both folds
    x_all, y_all, weights = x_all[order], y_all[order], weights[order]
    est = KerasClassifier(helpers.tiny, epochs=3, batch_size=16, random_state=0)
    search = GridSearchCV(est, {"units": [4, 8]}, cv=2).fit(x_all, y_all, sample_weight=weights)
    reference = KerasClassifier(helpers.tiny, epochs=3, batch_size=16, random_state=0, **search.best_params_)
    expected = reference.fit(x_all[weights > 0], y_all[weights > 0]).predict_proba(x)
    np.testing.assert_allclose(search.best_estimator_.predict_proba(x), expected, atol=1e-6)


@pytest.mark.slow
def test_class_weight_applies_in_partial_fit_and_to_one_hot_labels():
    x, y = helpers.iris()
    only_setosa = {0: 1.0, 1: 0.0, 2: 0.0}
    est = KerasClassifier(helpers.tiny, learning_rate=0.05, random_state=0, class_weight=only_setosa)
    for _ in range(5):
        est.partial_fit(x, y)
    assert (est.predict(x) == 0).all()  # only class 0 carried weight

    one_hot = np.eye(3)[y]
    by_label = KerasClassifier(helpers.tiny, epochs=3, random_state=0, class_weight={2: 4.0}).fit(x, y)
    by_column = KerasClassifier(helpers.tiny, epochs=3, random_state=0, class_weight={2: 4.0}).fit(x, one_hot)
    np.testing.assert_allclose(by_column.predict_proba(x), by_label.predict_proba(x), atol=1e-5)


@pytest.mark.parametrize(
    ("class_weight", "message"),
    [
        ({0: 1.0, 7: 2.0}, r"`class_weight` names 7, which is not a class of the training labels \[0, 1, 2\]"),
        ("balance", r"`class_weight` must be 'balanced' or a dict \{label: weight\}. Received: class_weight='balance'"),
        ({1: -2.0}, r"`class_weight\[1\]` must be a finite number >= 0. Received: -2.0"),
    ],
)
def test_bad_class_weight_is_refused_by_name(class_weight, message):
    x, y = helpers.iris()
    with pytest.raises(ValueError, match=message):
        KerasClassifier(helpers.tiny, class_weight=class_weight).fit(x, y)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        (np.r_[1.0, 1.0, 1.0, -1.0, np.ones(146)], r"sample 3 has weight -1.0 .* np.clip"),
        (np.r_[np.nan, np.ones(149)], r"sample 0 has weight nan"),
        (np.ones(10), r"sample_weight must have shape \(150,\).* shape \(10,\)"),
        (np.zeros(150), r"Every sample has weight zero"),
    ],
)
def test_bad_sample_weight_is_refused_by_name(weights, message):
    x, y = helpers.iris()
    for est in (KerasClassifier(helpers.tiny), KerasRegressor(helpers.tiny)):
        with pytest.raises(ValueError, match=message):
            est.fit(x, y.astype("float32") if isinstance(est, KerasRegressor) else y, sample_weight=weights)


def test_balanced_class_weight_in_partial_fit_is_refused_with_the_fix():
    x, y = helpers.iris()
    with pytest.raises(ValueError, match=r"class_weight='balanced' is not supported by partial_fit.*"
                                         r"compute_class_weight"):
        KerasClassifier(helpers.tiny, class_weight="balanced").partial_fit(x, y)


@pytest.mark.slow
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda est: type(est).__name__)
def test_why_the_sample_weight_equivalence_check_is_an_expected_failure(estimator):
    """scikit-learn's check_sample_weight_equivalence_on_dense_data, its data and
    its estimators: in one full batch, weighted and repeated fits agree to float32
    precision (the check asks rtol=1e-7); in mini-batches they cannot."""
    rng = np.random.RandomState(42)
    x, y, weights = rng.rand(15, 30), rng.randint(0, 3, size=15), rng.randint(0, 5, size=15)
    x_shuffled, y_shuffled, w_shuffled = shuffle(x, y, weights, random_state=0)
    method = "predict_proba" if hasattr(estimator, "predict_proba") else "predict"
    gaps = {}
    for batch_size in (64, 4):
        est = clone(estimator).set_params(batch_size=batch_size)
        repeated = getattr(clone(est).fit(x.repeat(weights, axis=0), y.repeat(weights)), method)(x)
        weighted = getattr(est.fit(x_shuffled, y_shuffled, sample_weight=w_shuffled), method)(x)
        gaps[batch_size] = np.abs(weighted - repeated).max() / np.abs(repeated).max()
    assert gaps[64] < 1e-5 and gaps[4] > 1e-2, gaps
