"""Data for kerashp: bundled and tfds datasets, user arrays, hold-out splits
and cross-validation folds, and the `DataSpec` that lets builders infer input
shape, task and output size.

- `_loading`: `load` by name (scikit-learn's bundled sets offline, or tfds).
- `_spec`: `DataSpec`, `infer_spec`, `use_spec` / `current_spec`.
- `_labels`: `LabelEncoder`, the one label encoding.
- `_prepare`: `prepare`, a search's `Split`s made once.
- `_weights`: sample and class weights as scikit-learn defines them.

Example:
    >>> x, y = load("digits")            # scikit-learn's bundled copy: offline
    >>> x, y = load("mnist", data_dir="~/tensorflow_datasets")  # through tfds
"""

from kerashp.datasets._labels import LabelEncoder, encode_labels
from kerashp.datasets._loading import BUNDLED, load
from kerashp.datasets._prepare import Prepared, Split, is_batched, prepare, weigh_classes
from kerashp.datasets._spec import DataSpec, current_spec, infer_spec, use_spec
from kerashp.datasets._weights import check_sample_weight, class_weights

__all__ = [
    "BUNDLED",
    "DataSpec",
    "LabelEncoder",
    "check_sample_weight",
    "class_weights",
    "Prepared",
    "Split",
    "current_spec",
    "encode_labels",
    "infer_spec",
    "is_batched",
    "load",
    "prepare",
    "weigh_classes",
    "use_spec",
]
