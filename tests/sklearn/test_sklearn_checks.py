"""scikit-learn's own estimator checks (`parametrize_with_checks`) on both estimators."""

from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

from kerashp.builders import mlp
from kerashp.sklearn import KerasClassifier, KerasRegressor


class EagerMLP:
    """kerashp's MLP, compiled to run eagerly: the checks fit ~200 tiny models,
    and skipping graph tracing halves their time. The wrapper code is the same.
    (A class with a fixed repr, so test ids do not change from run to run.)"""

    def __call__(self, hp):
        model = mlp(hp)
        model.compile(optimizer=model.optimizer, loss=model.loss, run_eagerly=True)
        return model

    def __repr__(self) -> str:
        return "EagerMLP()"


# One hidden layer, one epoch, a high learning rate: enough to pass the checks
# that require learning sklearn's easy datasets (blobs at > 83% accuracy).
_TINY = {"epochs": 1, "layers": 1, "units": 16, "learning_rate": 0.1, "batch_size": 64}

# (The regressor needs 3 epochs to reach the R^2 > 0.5 check_regressors_train asks.)
ESTIMATORS = [
    KerasClassifier(EagerMLP(), random_state=0, **_TINY),
    KerasRegressor(EagerMLP(), random_state=0, **{**_TINY, "epochs": 3}),
]

# Checks we deliberately let fail, with the reason.
EXPECTED_FAILURES = {
    "check_no_attributes_set_in_init": (
        "by design: hyperparameters are free-form constructor keywords (`units=64`), "
        "stored as attributes that scikit-learn cannot see in the __init__ signature; "
        "get_params/set_params/clone handle them (tested in test_sklearn_estimators.py)"
    ),
    "check_sample_weight_equivalence_on_dense_data": (
        "float32 arithmetic, and mini-batches: the check wants weighted and repeated fits "
        "equal at rtol=1e-7. In its setting (15 samples, batch_size=64: one full batch) they "
        "agree to ~5e-7 (float32 sums in another order), and weight 0 drops a sample exactly; "
        "with batch_size=4 they differ by up to 0.34 in probability, since repeats change the "
        "batches and the steps per epoch (test_sklearn_weights.py measures both)"
    ),
    "check_methods_subset_invariance": (
        "float32 arithmetic, as for the sample order: a row's prediction can change in the "
        "last bit (~2e-7) with the size of the batch it is predicted in, and the check allows "
        "rtol=1e-7; it passes or fails by luck of the data (the regressor fails it since its "
        "output layer starts at zero)"
    ),
    "check_methods_sample_order_invariance": (
        "float32 arithmetic: a row's prediction can change in the last bit (relative "
        "difference ~2e-7) with its position in the batch, and the check allows rtol=1e-7; "
        "it passes or fails by luck of the data"
    ),
}


def expected_failed_checks(estimator):
    return EXPECTED_FAILURES


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)
