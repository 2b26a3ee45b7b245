"""What the commands share for --plot: the early check, the training picture and the comparison picture."""

from ..io.atomic import check_writable
from ._common import flags


def check_plot_option(path) -> None:
    """Fail before any training: a picture suffix, a writable folder, matplotlib installed (in that order,
    so a bad path is reported whether or not matplotlib is there)."""
    if path is None:
        return
    from .. import plotting

    with flags(path="--plot", plotting="--plot"):
        plotting.check_path(path)
        check_writable(path, "plot")
        plotting.require()


def data_for_plot(prepared):
    """All samples (train, then dev) in the data's own units: X (n^[0], m) and y (regression targets learnt
    standardised back in theirs), for drawing."""
    import numpy as np

    X, y = prepared.train.X, prepared.train.y
    if prepared.dev is not None:
        X, y = np.hstack([X, prepared.dev.X]), np.hstack([y, prepared.dev.y])
    if prepared.standardizer is not None:
        X = X * prepared.standardizer.std + prepared.standardizer.mean
    if prepared.target_scaler is not None:
        y = y * prepared.target_scaler.std + prepared.target_scaler.mean
    return X, y


def plot_comparison(path, config, runs, *, source: str = "<config>", title: str | None = None) -> None:
    """Cost curves of `runs` (experiments.MeasuredRun: label, costs, network) on one axis, and a boundary per run."""
    from .. import plotting
    from ..pipeline import prepare

    prepared = prepare(config, source=source)  # the runs' data: same config, same seed
    X, y = data_for_plot(prepared)
    plot_runs = [plotting.PlotRun(run.label, run.costs, run.network) for run in runs]
    plotting.compare_figure(plot_runs, path, X=X, y=y, classes=prepared.train.classes,
                            standardizer=prepared.standardizer, target_scaler=prepared.target_scaler, title=title)


def _value(row, key):
    return row[key] if isinstance(row, dict) else getattr(row, key)


def draw_training(path, prepared) -> None:
    """The cost curve (train, dev every epoch, the best epoch marked) and the model panel in the data's own units."""
    from .. import plotting

    state = prepared.state
    dev_points = [(e, c) for e, c in enumerate(state.dev_costs) if c is not None]
    dev_curve = tuple(zip(*dev_points)) if dev_points else None
    X, y = data_for_plot(prepared)
    traced = [h for h in state.history if h.layers]
    gradients = None
    if traced:  # a --trace run: ||dW^[l]|| per layer over the logged epochs
        gradients = [h.epoch for h in traced], [[_value(r, "dW_norm") for r in h.layers] for h in traced]
    plotting.training_figure(path, state.costs, dev=dev_curve, best_epoch=state.best_epoch,
                             network=prepared.network, X=X, y=y, gradients=gradients,
                             classes=prepared.train.classes, standardizer=prepared.standardizer,
                             target_scaler=prepared.target_scaler,
                             title=f"layers {prepared.network.layers}, {' / '.join(prepared.network.activations)}")


def plot_depth(path, experiment) -> None:
    """The depth experiment's picture: std of Z^[l] against l per scheme, measured and predicted."""
    from .. import plotting

    results = [(r.scheme.label, [x["l"] for x in r.layers], [x["std_Z"] for x in r.layers],
                [x["predicted_std_Z"] for x in r.layers]) for r in experiment.schemes]
    plotting.depth_figure(path, results, title=f"{experiment.depth} {experiment.activation} hidden layers of "
                                               f"{experiment.width} units: std of Z^[l] at initialisation")
