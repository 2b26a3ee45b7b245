"""Shell completion (`dnn --install-completion`): the names an option takes, looked up in the registries.

Config and model arguments are paths: click completes them as files. Each function here imports the
registry it needs when the shell asks, so that `dnn --help` loads none of them.
"""


def _comma_list(names, incomplete: str) -> list[str]:
    """'tanh,re' -> ['tanh,relu']: the last item of a comma-separated list completed from `names`."""
    done, _, last = incomplete.rpartition(",")
    head = done + "," if done else ""
    taken = set(done.split(",")) if done else set()
    return [head + name for name in names if name.startswith(last) and name not in taken]


def activation_names(incomplete: str) -> list[str]:
    """--activations: the hidden activations of the registry (softmax is output-only)."""
    from ..activations import ACTIVATIONS

    return _comma_list([name for name, g in ACTIVATIONS.items() if g.hidden_ok], incomplete)


def init_schemes(incomplete: str) -> list[str]:
    """--schemes: the init schemes of the registry."""
    from ..initializers import INITIALIZERS

    return _comma_list(list(INITIALIZERS), incomplete)


def _values() -> dict[str, list[str]]:
    """The config keys whose values are registry names, with those names."""
    from ..activations import ACTIVATIONS
    from ..datasets import DATASETS
    from ..initializers import INITIALIZERS
    from ..losses import LOSSES
    from ..optimizers import OPTIMIZERS
    from ..schedules import SCHEDULES

    return {"data.source": list(DATASETS), "model.init": list(INITIALIZERS), "model.loss": ["auto", *LOSSES],
            "model.activations": [f"[{name}]" for name in ACTIVATIONS], "train.optimizer": list(OPTIMIZERS),
            "train.lr_decay": list(SCHEDULES), "train.dtype": ["float64", "float32"],
            "train.batch_size": ["full"]}


def override(incomplete: str) -> list[str]:
    """--set: a dotted key (`model.init=`), then, for a key that takes a name, the names (datasets, inits, ...)."""
    key, sep, value = incomplete.partition("=")
    if sep:
        return [f"{key}={name}" for name in _values().get(key, []) if name.startswith(value)]
    from ..schema import SECTIONS

    keys = [".".join((*path, field)) for path, model in SECTIONS.items() for field in model.model_fields
            if len(path + (field,)) > 1]  # data, model, train are mappings: their keys are set one by one
    return [f"{k}=" for k in keys if k.startswith(incomplete)]
