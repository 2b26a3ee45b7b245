"""dnn: fully-connected deep neural networks on a NumPy core, in the deep-learning course's notation.

The library API (no typer, rich or matplotlib here):

    from dnn_cli import Network, load_config, train

The names are loaded on first use (PEP 562), so that `dnn` starts its signal handling before the
half second NumPy and pydantic take to import.
"""

from __future__ import annotations

import importlib

# Each public name and the module it comes from.
_API = {
    "Config": "config", "load_config": "config",
    "ConfigError": "errors", "DataError": "errors", "DnnError": "errors", "ModelFileError": "errors",
    "TrainingError": "errors",
    "Gradients": "network", "Network": "network",
    "fit": "pipeline", "prepare": "pipeline",
    "EpochResult": "training", "TrainResult": "training", "iter_epochs": "training", "train": "training",
}

__all__ = sorted(_API)
__version__ = "0.1.0"


def __getattr__(name: str):
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'dnn_cli' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})
