"""dnn: fully-connected deep neural networks on a NumPy core, in the deep-learning course's notation.

The library API (no typer, rich or matplotlib here):

    from dnn_cli import Network, load_config, train
"""

from .config import Config, load_config
from .errors import ConfigError, DataError, DnnError, ModelFileError, TrainingError
from .network import Gradients, Network
from .pipeline import fit, prepare
from .training import EpochResult, TrainResult, iter_epochs, train

__all__ = [
    "Config", "ConfigError", "DataError", "DnnError", "EpochResult", "Gradients", "ModelFileError", "Network",
    "TrainResult", "TrainingError", "fit", "iter_epochs", "load_config", "prepare", "train",
]
__version__ = "0.1.0"
