"""What predict and evaluate share: a saved model, the data it is applied to, its outputs checked finite.

Imported inside the commands (it loads NumPy), so that `dnn --help` stays light.
"""

from __future__ import annotations

import numpy as np

from ..columns import named_features
from ..data import read_inputs
from ..errors import DataError
from ..files import load_model


def model_and_inputs(model_path, data_path, *, by_position: bool):
    """The model of `model_path` and the samples of `data_path` in its feature order: (model, inputs)."""
    model = load_model(model_path)
    inputs = read_inputs(data_path, n_x=model.network.layers[0], feature_names=model.features,
                         label=model.config.data.label, named=named_features(model), by_position=by_position)
    check_outputs(model, inputs)
    return model, inputs


def check_outputs(model, inputs) -> None:
    """DataError naming the first sample whose output A^[L] is not finite (features too large for float64)."""
    with np.errstate(all="ignore"):
        AL = model.network.predict_proba(model.scale(inputs.X))
    bad = np.flatnonzero(~np.isfinite(AL).all(axis=0))
    if bad.size:
        i = int(bad[0])
        raise DataError(f"{inputs.source}: {inputs.where(i)}: the model's output is not finite for this sample "
                        f"(largest |feature| {np.abs(inputs.X[:, i]).max():.3g}): its values are too large for "
                        "float64 arithmetic")
