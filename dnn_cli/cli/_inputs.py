"""What predict and evaluate share: a saved model, the data it is applied to, and its outputs, checked finite.

Imported inside the commands (it loads NumPy), so that `dnn --help` stays light.
"""

from ..io.modelfile import load_model
from ..predictor import named_features, outputs, read_inputs


def model_and_inputs(model_path, data_path, *, by_position: bool, labels: bool):
    """The model of `model_path`, the samples of `data_path` in its feature order and the model's outputs A^[L]
    for them, computed once: (model, inputs, AL). labels: whether the file's labels will be used (evaluate)."""
    model = load_model(model_path)
    inputs = read_inputs(data_path, n_x=model.network.layers[0], feature_names=model.features,
                         label=model.config.data.label, named=named_features(model), by_position=by_position,
                         encoder=model.encoder, text_labels=labels and model.classes is not None and not all(
                             isinstance(c, int) for c in model.classes), ignore=model.config.data.ignore_columns)
    return model, inputs, outputs(model, inputs)
