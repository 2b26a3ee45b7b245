"""What predict and evaluate share: a saved model and the data it is applied to, its outputs checked finite.

Imported inside the commands (it loads NumPy), so that `dnn --help` stays light.
"""

from ..io.modelfile import load_model
from ..predictor import check_outputs, named_features, read_inputs


def model_and_inputs(model_path, data_path, *, by_position: bool):
    """The model of `model_path` and the samples of `data_path` in its feature order: (model, inputs)."""
    model = load_model(model_path)
    inputs = read_inputs(data_path, n_x=model.network.layers[0], feature_names=model.features,
                         label=model.config.data.label, named=named_features(model), by_position=by_position,
                         encoder=model.encoder)
    check_outputs(model, inputs)
    return model, inputs
