"""Built-in builders: a hyperparameter dict in, a compiled `keras.Model` out.

Inside `kerashp.tune` (and the `kerashp.sklearn` estimators) the builders read
the input shape, task and output size from the data being searched; called on
their own they take `spec=kerashp.datasets.DataSpec(...)`.

`default_space(builder, data)` gives either builder a search space sized to the data.

Example:
    >>> model = kerashp.builders.mlp({"layers": 2, "units": 64}, spec=spec)
    >>> space = kerashp.builders.default_space(kerashp.builders.mlp, (x, y))
"""

from kerashp.builders.cnn import cnn
from kerashp.builders.compile import compile_model, ensure_compiled, make_optimizer
from kerashp.builders.mlp import mlp
from kerashp.builders.spaces import default_space

__all__ = ["cnn", "compile_model", "default_space", "ensure_compiled", "make_optimizer", "mlp"]
